package data

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/ebm-go/ebm/tensor"
)

// RowEncoder encodes rows for [CreateRows] in a format registered with
// [RegisterRowFormat]. CreateRows owns the file: the encoder only writes to
// the io.Writer it was made with.
type RowEncoder interface {
	// Write appends the rows of x, which has one column per name.
	Write(x *tensor.Dense[float64]) error
	// Close writes whatever ends the stream (a footer); it must not close
	// the underlying writer.
	Close() error
	// Abort releases the encoder's memory without finishing the stream.
	Abort()
}

// rowFormat is a registered row format.
type rowFormat struct {
	exts   []string
	open   func(path string, opt RowOptions) (RowReader, error)
	create func(w io.Writer, names []string) (RowEncoder, error)
}

var (
	rowFormatsMu sync.RWMutex
	rowFormats   = map[string]rowFormat{}
)

// optionalFormats names the package that implements each known row format
// which package data does not carry itself (to keep its dependencies small).
var optionalFormats = map[string]string{
	FormatParquet: "github.com/ebm-go/ebm/data/parquet",
}

// RegisterRowFormat makes the row format name available to [OpenRows]
// (through open) and [CreateRows] (through create, which may be nil for a
// read-only format); exts are the lower-case file name endings (".parquet")
// that [RowFormat] maps to it. A package that implements a format calls it
// from an init function, as package [github.com/ebm-go/ebm/data/parquet]
// does: import that package (a blank import suffices) to read and write
// Parquet. It panics when name is a built-in format or already registered,
// which is a programming error.
func RegisterRowFormat(name string, exts []string, open func(path string, opt RowOptions) (RowReader, error), create func(w io.Writer, names []string) (RowEncoder, error)) {
	rowFormatsMu.Lock()
	defer rowFormatsMu.Unlock()
	switch name {
	case FormatCSV, FormatNPY, FormatIDX, FormatJSONL, "":
		panic(fmt.Sprintf("data: RegisterRowFormat: %q is a built-in format", name))
	}
	if _, dup := rowFormats[name]; dup {
		panic(fmt.Sprintf("data: RegisterRowFormat: format %q registered twice", name))
	}
	if open == nil {
		panic(fmt.Sprintf("data: RegisterRowFormat: format %q without a reader", name))
	}
	rowFormats[name] = rowFormat{exts: slices.Clone(exts), open: open, create: create}
}

// lookupRowFormat returns the registered format name, or an error that says
// which package to import for a known optional format.
func lookupRowFormat(name string) (rowFormat, error) {
	rowFormatsMu.RLock()
	f, ok := rowFormats[name]
	rowFormatsMu.RUnlock()
	if ok {
		return f, nil
	}
	if pkg, known := optionalFormats[name]; known {
		return rowFormat{}, fmt.Errorf("%s support is in %s; import it", formatTitle(name), pkg)
	}
	return rowFormat{}, fmt.Errorf("unknown format %q", name)
}

// registeredFormat returns the registered format whose extension ends the
// (lower-case) file name p, or "".
func registeredFormat(p string) string {
	rowFormatsMu.RLock()
	defer rowFormatsMu.RUnlock()
	for name, f := range rowFormats {
		for _, e := range f.exts {
			if strings.HasSuffix(p, strings.ToLower(e)) {
				return name
			}
		}
	}
	return ""
}

// formatTitle returns the display name of a format ("Parquet").
func formatTitle(name string) string {
	if name == FormatParquet {
		return "Parquet"
	}
	return name
}

// RowFormats returns the names of the registered (non-built-in) row formats,
// sorted.
func RowFormats() []string {
	rowFormatsMu.RLock()
	defer rowFormatsMu.RUnlock()
	var out []string
	for name := range rowFormats {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// baseLower is the lower-case base name of path without a ".gz" suffix.
func baseLower(path string) string {
	return strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz")
}

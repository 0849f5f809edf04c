// Package cli holds what every ebm subcommand shares: usage errors and exit codes,
// key=value settings parsing, JSON output, terminal-only progress bars, and output
// folders that appear whole or not at all.
package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// UsageError marks an error caused by how the command was called (bad flag, unknown
// name, bad setting). The ebm binary exits 2 for these and 1 for runtime failures.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// IsUsage reports whether err is (or wraps) a UsageError.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// ExitCode maps an error to the process exit code: 0 nil, 2 usage, 1 otherwise.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case IsUsage(err):
		return 2
	default:
		return 1
	}
}

// Spec is a parsed "name:k=v,k=v" argument, as in --energy gauss:dim=2,rho=0.8.
type Spec struct {
	Name string
	Args map[string]string
	used map[string]bool
	flag string
}

// ParseSpec parses "name[:k=v,...]". flag names the option, for error messages.
func ParseSpec(flag, s string) (*Spec, error) {
	sp := &Spec{Args: map[string]string{}, used: map[string]bool{}, flag: flag}
	name, rest, _ := strings.Cut(s, ":")
	sp.Name = strings.TrimSpace(name)
	if sp.Name == "" {
		return nil, Usagef("--%s: empty name in %q", flag, s)
	}
	if rest == "" {
		return sp, nil
	}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			// A bare word is a boolean switch (e.g. mlp:specnorm).
			if k == "" {
				return nil, Usagef("--%s: empty setting in %q", flag, s)
			}
			v = "true"
		}
		if _, dup := sp.Args[k]; dup {
			return nil, Usagef("--%s: setting %q given twice", flag, k)
		}
		sp.Args[k] = strings.TrimSpace(v)
	}
	return sp, nil
}

// Float returns setting k as a float64, or def when absent.
func (s *Spec) Float(k string, def float64) (float64, error) {
	v, ok := s.Args[k]
	s.used[k] = true
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, Usagef("--%s %s: setting %s=%q is not a number", s.flag, s.Name, k, v)
	}
	return f, nil
}

// Int returns setting k as an int, or def when absent.
func (s *Spec) Int(k string, def int) (int, error) {
	v, ok := s.Args[k]
	s.used[k] = true
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, Usagef("--%s %s: setting %s=%q is not an integer", s.flag, s.Name, k, v)
	}
	return n, nil
}

// String returns setting k, or def when absent.
func (s *Spec) String(k, def string) string {
	s.used[k] = true
	if v, ok := s.Args[k]; ok {
		return v
	}
	return def
}

// Bool returns setting k as a bool ("true", "false", "1", "0", or bare), or def.
func (s *Spec) Bool(k string, def bool) (bool, error) {
	v, ok := s.Args[k]
	s.used[k] = true
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, Usagef("--%s %s: setting %s=%q is not true or false", s.flag, s.Name, k, v)
	}
	return b, nil
}

// CheckUnused returns a usage error naming any setting that no accessor asked for,
// with the list of valid settings.
func (s *Spec) CheckUnused() error {
	var bad []string
	for k := range s.Args {
		if !s.used[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	var valid []string
	for k := range s.used {
		valid = append(valid, k)
	}
	sort.Strings(valid)
	return Usagef("--%s %s: unknown setting %s (valid: %s)", s.flag, s.Name,
		strings.Join(bad, ", "), strings.Join(valid, ", "))
}

// WriteJSON writes v as one indented JSON object followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Progress is a progress bar shown on stderr only when stderr is a terminal and
// quiet is false; otherwise every method is a no-op.
type Progress struct{ bar *progressbar.ProgressBar }

// NewProgress starts a bar for total steps with a description.
func NewProgress(total int, desc string, quiet bool) *Progress {
	if quiet || !IsTerminal(os.Stderr) {
		return &Progress{}
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("it"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return &Progress{bar: bar}
}

// Add advances the bar by n steps.
func (p *Progress) Add(n int) {
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

// Done finishes and clears the bar.
func (p *Progress) Done() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(os.Stderr)
	}
}

// OutDir builds an output folder under a temporary name next to its final path and
// renames it into place on Commit, so a failed run leaves nothing half-written.
type OutDir struct {
	Final, Tmp string
	done       bool
}

// NewOutDir prepares dir. An existing non-empty dir is an error unless overwrite
// is true, in which case it is replaced only on Commit.
func NewOutDir(dir string, overwrite bool) (*OutDir, error) {
	if dir == "" {
		return nil, Usagef("--out: empty folder name")
	}
	dir = filepath.Clean(dir)
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 && !overwrite {
		return nil, Usagef("--out %s: folder exists and is not empty (remove it or pass --force)", dir)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return nil, err
	}
	return &OutDir{Final: dir, Tmp: tmp}, nil
}

// Path returns the temporary path of a file inside the folder being built.
func (o *OutDir) Path(name string) string { return filepath.Join(o.Tmp, name) }

// Commit moves the finished folder into place.
func (o *OutDir) Commit() error {
	if err := os.RemoveAll(o.Final); err != nil {
		return err
	}
	if err := os.Rename(o.Tmp, o.Final); err != nil {
		return err
	}
	o.done = true
	return nil
}

// Abort removes the temporary folder unless Commit succeeded; safe to defer.
func (o *OutDir) Abort() {
	if o != nil && !o.done {
		os.RemoveAll(o.Tmp)
	}
}

// WriteFileAtomic writes data to path through a temporary file and a rename.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

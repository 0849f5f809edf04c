// Package cli holds what every ebm subcommand shares: usage errors and exit codes,
// settings errors named as flags, JSON output, progress reports (a bar on a terminal,
// plain lines elsewhere), and output folders that appear whole or not at all under
// one rule for what may be created or replaced (see OutDir).
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ebm-go/ebm/internal/atomicfile"
	"github.com/ebm-go/ebm/spec"
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

// IsUsage reports whether err is (or wraps) a UsageError or an invalid
// setting reported by package spec (spec.IsInvalid).
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u) || spec.IsInvalid(err)
}

// Input marks err, a failure to read or accept an input the user named (a
// missing or unreadable file, bad content, a model of the wrong kind), as a
// usage error; nil stays nil.
func Input(err error) error {
	if err == nil || IsUsage(err) {
		return err
	}
	return &UsageError{Err: err}
}

// ErrInterrupted is returned by a command stopped by Ctrl-C or SIGTERM after
// it has said what it kept; the process exits with ExitInterrupt.
var ErrInterrupted = errors.New("interrupted")

// Exit codes of the ebm binary (docs/cli.md lists them).
const (
	ExitOK        = 0   // success
	ExitFailure   = 1   // runtime failure: I/O, divergence, a result that fails its checks
	ExitUsage     = 2   // bad flags, settings, names, unreadable or invalid input
	ExitInternal  = 3   // an unexpected panic (a bug): "ebm: internal error: ..."
	ExitInterrupt = 130 // stopped by Ctrl-C or SIGTERM (128 + SIGINT)
)

// ExitCode maps an error to the process exit code: ExitOK for nil,
// ExitInterrupt for ErrInterrupted or a cancelled context, ExitUsage for usage
// errors (IsUsage), ExitFailure otherwise.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrInterrupted) || errors.Is(err, context.Canceled):
		return ExitInterrupt
	case IsUsage(err):
		return ExitUsage
	default:
		return ExitFailure
	}
}

// ParseSpec parses "name[:k=v,...]" with package spec; flag names the option
// (without dashes) in error messages, which are *spec.Error usage errors.
func ParseSpec(flag, s string) (*spec.Spec, error) { return spec.Parse("--"+flag, s) }

// Flag returns err with a library settings error named as the command-line
// flag it came from: a *spec.Error whose Where starts with a bare word
// ("sampler mala: ...") gets the flag's dashes ("--sampler mala: ...").
// Other errors are returned as they are.
func Flag(err error) error {
	var se *spec.Error
	if errors.As(err, &se) && se.Where != "" && !strings.HasPrefix(se.Where, "-") {
		se.Where = "--" + se.Where
	}
	return err
}

// WriteJSON writes v as one indented JSON object followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// WriteFileAtomic writes data to path through a temporary file and a rename
// (see package internal/atomicfile); the file gets mode 0666 minus the umask.
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.WriteBytes(path, data)
}

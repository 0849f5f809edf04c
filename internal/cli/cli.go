// Package cli holds what every ebm subcommand shares: usage errors and exit codes,
// key=value settings parsing, JSON output, progress reports (a bar on a terminal,
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
	"sort"
	"strconv"
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

// WriteFileAtomic writes data to path through a temporary file and a rename
// (see package internal/atomicfile); the file gets mode 0666 minus the umask.
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.WriteBytes(path, data)
}

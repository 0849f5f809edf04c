// Package spec parses the "name:k=v,k=v" settings strings that ebm uses to
// name energies, samplers, estimators, models and schedules, on the command
// line and from Go alike:
//
//	gauss:dim=2,rho=0.8
//	replay:sampler=mala,step=0.01
//	mlp:hidden=128x128,act=silu,specnorm
//
// A bare word (specnorm) is the boolean setting specnorm=true. Each accessor
// marks its key as used, so CheckUnused can name a misspelt setting together
// with the valid ones. Every error is an *Error, so callers can tell bad
// settings (a usage problem) from failures of the work itself.
package spec

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Error is a malformed spec or an invalid setting.
type Error struct {
	// Where names the option or component, for example "--sampler" or
	// "sampler mala".
	Where string
	Msg   string
}

func (e *Error) Error() string {
	if e.Where == "" {
		return e.Msg
	}
	return e.Where + ": " + e.Msg
}

// Errorf returns an *Error.
func Errorf(where, format string, a ...any) error {
	return &Error{Where: where, Msg: fmt.Sprintf(format, a...)}
}

// IsInvalid reports whether err is (or wraps) an *Error.
func IsInvalid(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Spec is a parsed "name[:k=v,...]".
type Spec struct {
	Name string
	Args map[string]string
	// Where prefixes error messages (the flag or component name).
	Where string
	used  map[string]bool
	order []string
}

// Parse parses "name[:k=v,...]"; where names the option for error messages.
func Parse(where, s string) (*Spec, error) {
	sp := &Spec{Args: map[string]string{}, used: map[string]bool{}, Where: where}
	name, rest, _ := strings.Cut(s, ":")
	sp.Name = strings.TrimSpace(name)
	if sp.Name == "" {
		return nil, Errorf(where, "empty name in %q", s)
	}
	if rest == "" {
		return sp, nil
	}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if k == "" {
			return nil, Errorf(where, "empty setting in %q", s)
		}
		if !ok {
			v = "true" // a bare word is a boolean switch
		}
		if _, dup := sp.Args[k]; dup {
			return nil, Errorf(where, "setting %q given twice", k)
		}
		sp.Args[k] = strings.TrimSpace(v)
		sp.order = append(sp.order, k)
	}
	return sp, nil
}

// New returns a Spec with the given name and settings (from Go code that has
// the settings as a map already).
func New(where, name string, args map[string]string) *Spec {
	sp := &Spec{Name: name, Args: map[string]string{}, used: map[string]bool{}, Where: where}
	for k, v := range args {
		sp.Args[k] = v
		sp.order = append(sp.order, k)
	}
	sort.Strings(sp.order)
	return sp
}

func (s *Spec) where() string {
	if s.Where == "" {
		return s.Name
	}
	return s.Where + " " + s.Name
}

// Has reports whether setting k was given (and marks it used).
func (s *Spec) Has(k string) bool {
	s.mark(k)
	_, ok := s.Args[k]
	return ok
}

func (s *Spec) mark(k string) {
	if s.used == nil {
		s.used = map[string]bool{}
	}
	s.used[k] = true
}

// Float returns setting k as a finite float64, or def when absent.
func (s *Spec) Float(k string, def float64) (float64, error) {
	s.mark(k)
	v, ok := s.Args[k]
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, Errorf(s.where(), "setting %s=%q is not a finite number", k, v)
	}
	return f, nil
}

// Int returns setting k as an int, or def when absent.
func (s *Spec) Int(k string, def int) (int, error) {
	s.mark(k)
	v, ok := s.Args[k]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, Errorf(s.where(), "setting %s=%q is not an integer", k, v)
	}
	return n, nil
}

// String returns setting k, or def when absent.
func (s *Spec) String(k, def string) string {
	s.mark(k)
	if v, ok := s.Args[k]; ok {
		return v
	}
	return def
}

// Bool returns setting k as a bool ("true", "false", "1", "0", or bare), or def.
func (s *Spec) Bool(k string, def bool) (bool, error) {
	s.mark(k)
	v, ok := s.Args[k]
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, Errorf(s.where(), "setting %s=%q is not true or false", k, v)
	}
	return b, nil
}

// CheckUnused returns an *Error naming any setting that no accessor asked
// for, with the list of valid settings.
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
	return Errorf(s.where(), "unknown setting %s (valid: %s)", strings.Join(bad, ", "), strings.Join(valid, ", "))
}

// Canonical returns the spec in canonical form: the name, then the settings in
// the order given.
func (s *Spec) Canonical() string {
	if len(s.order) == 0 {
		return s.Name
	}
	parts := make([]string, len(s.order))
	for i, k := range s.order {
		parts[i] = k + "=" + s.Args[k]
	}
	return s.Name + ":" + strings.Join(parts, ",")
}

// Range checks lo ≤ v ≤ hi for setting k.
func (s *Spec) Range(k string, v, lo, hi float64) error {
	if !(v >= lo && v <= hi) {
		return Errorf(s.where(), "setting %s=%v must be in [%v, %v]", k, v, lo, hi)
	}
	return nil
}

// Positive checks v > 0 for setting k.
func (s *Spec) Positive(k string, v float64) error {
	if !(v > 0) {
		return Errorf(s.where(), "setting %s=%v must be > 0", k, v)
	}
	return nil
}

// AtLeast checks n ≥ lo for integer setting k.
func (s *Spec) AtLeast(k string, n, lo int) error {
	if n < lo {
		return Errorf(s.where(), "setting %s=%d must be ≥ %d", k, n, lo)
	}
	return nil
}

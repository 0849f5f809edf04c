package spec

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary strings to Parse: it never panics, every error is
// an *Error, and an accepted spec's canonical form parses back to the same
// name and settings.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"gauss:dim=2,rho=0.8", "replay:sampler=mala,step=0.01", "mlp:hidden=128x128,act=silu,specnorm",
		"", ":", "a:", "a:,", "a:=1", "a:b=1,b=2", "a: b = 1 ", "a:b=c=d", "a:b:c", "é:ü=ß",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := Parse("--x", s)
		if err != nil {
			if !IsInvalid(err) {
				t.Fatalf("Parse(%q): error %v is not an *Error", s, err)
			}
			return
		}
		if sp.Name == "" || strings.Contains(sp.Name, ":") {
			t.Fatalf("Parse(%q): name %q", s, sp.Name)
		}
		// Accessors never panic on whatever was given.
		for k := range sp.Args {
			sp.Float(k, 0)
			sp.Int(k, 0)
			sp.Bool(k, false)
			sp.String(k, "")
		}
		if err := sp.CheckUnused(); err != nil {
			t.Fatalf("Parse(%q): every setting was read, yet %v", s, err)
		}
		c := sp.Canonical()
		back, err := Parse("--x", c)
		if err != nil {
			// Values holding a comma or "=" cannot round-trip; nothing else
			// may fail.
			for _, v := range sp.Args {
				if strings.ContainsAny(v, ",") {
					return
				}
			}
			t.Fatalf("canonical %q of %q does not parse: %v", c, s, err)
		}
		if back.Name != sp.Name || len(back.Args) != len(sp.Args) {
			t.Fatalf("canonical %q of %q parses to %q %v, want %q %v", c, s, back.Name, back.Args, sp.Name, sp.Args)
		}
		for k, v := range sp.Args {
			if back.Args[k] != v {
				t.Fatalf("canonical %q of %q: setting %s=%q, want %q", c, s, k, back.Args[k], v)
			}
		}
	})
}

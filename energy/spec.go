package energy

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// maxSpecDim bounds dim= in FromSpec (every built-in costs O(dim) memory).
const maxSpecDim = 1_000_000

type setting struct {
	name, def, doc string
}

type specEntry struct {
	name, desc string
	settings   []setting
	build      func(v values) (GradEnergy, error)
}

// values holds parsed settings of one FromSpec call (defaults filled in).
type values struct {
	name string
	m    map[string]string
}

func (v values) int(key string, lo, hi int) (int, error) {
	s := v.m[key]
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("energy: %s: setting %s=%q is not an integer", v.name, key, s)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("energy: %s: setting %s=%d out of range [%d, %d]", v.name, key, n, lo, hi)
	}
	return n, nil
}

// constraint on a float setting.
type constraint int

const (
	anyFinite constraint = iota
	positive
	nonNegative
)

func (v values) float(key string, c constraint) (float64, error) {
	s := v.m[key]
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !finite(f) {
		return 0, fmt.Errorf("energy: %s: setting %s=%q is not a finite number", v.name, key, s)
	}
	switch {
	case c == positive && !(f > 0):
		return 0, fmt.Errorf("energy: %s: setting %s=%q, want > 0", v.name, key, s)
	case c == nonNegative && !(f >= 0):
		return 0, fmt.Errorf("energy: %s: setting %s=%q, want ≥ 0", v.name, key, s)
	}
	return f, nil
}

// done converts a constructor's result, prefixing an error with the spec name
// (constructor errors that remain after the settings' own checks are rare).
func done[T GradEnergy](v values, e T, err error) (GradEnergy, error) {
	if err != nil {
		return nil, fmt.Errorf("energy: %s: %s", v.name, strings.TrimPrefix(err.Error(), "energy: "))
	}
	return e, nil
}

var specs = []specEntry{
	{
		name: "gauss",
		desc: "Gaussian, mean 0, unit variances, every pairwise correlation rho",
		settings: []setting{
			{"dim", "2", "dimension"},
			{"rho", "0", "pairwise correlation, −1/(dim−1) < rho < 1"},
		},
		build: func(v values) (GradEnergy, error) {
			d, err := v.int("dim", 1, maxSpecDim)
			if err != nil {
				return nil, err
			}
			rho, err := v.float("rho", anyFinite)
			if err != nil {
				return nil, err
			}
			if rho == 0 {
				vars := make([]float64, d)
				for i := range vars {
					vars[i] = 1
				}
				g, err := NewDiagGaussian(make([]float64, d), vars)
				return done(v, g, err)
			}
			if rho >= 1 || rho <= -1 || (d > 1 && rho <= -1/float64(d-1)) {
				return nil, fmt.Errorf("energy: gauss: setting rho=%v: covariance not positive definite (need −1/(dim−1) < rho < 1)", rho)
			}
			g, err := NewEquiGaussian(make([]float64, d), 1, rho)
			if err != nil {
				return nil, fmt.Errorf("energy: gauss: setting rho=%v: %s", rho, strings.TrimPrefix(err.Error(), "energy: "))
			}
			return g, nil
		},
	},
	{
		name: "illcond",
		desc: "ill-conditioned Gaussian, independent, variance of coordinate i = 10^(−2 + 4i/(dim−1))",
		settings: []setting{
			{"dim", "50", "dimension, ≥ 2"},
		},
		build: func(v values) (GradEnergy, error) {
			d, err := v.int("dim", 2, maxSpecDim)
			if err != nil {
				return nil, err
			}
			g, err := NewDiagGaussian(make([]float64, d), IllCondVariances(d))
			return done(v, g, err)
		},
	},
	{
		name: "ncsn-gmm",
		desc: "2-D mixture 0.8·N((5,5), I) + 0.2·N((−5,−5), I) (NCSN toy)",
		build: func(v values) (GradEnergy, error) {
			return NCSNGMM(), nil
		},
	},
	{
		name: "8gaussians",
		desc: "FFJORD's 8gaussians density: 8 equal Gaussians on a circle of radius 4/1.414, std 0.5/1.414 (entropy 2.832 nats)",
		build: func(v values) (GradEnergy, error) {
			return EightGaussians(), nil
		},
	},
	{
		name: "doublewell",
		desc: "double well h(x₀² − 1)² + ½Σ_{i≥1} xᵢ², barrier height h",
		settings: []setting{
			{"dim", "2", "dimension"},
			{"h", strconv.FormatFloat(DefaultDoubleWellHeight, 'g', -1, 64), "barrier height in nats, > 0"},
		},
		build: func(v values) (GradEnergy, error) {
			d, err := v.int("dim", 1, maxSpecDim)
			if err != nil {
				return nil, err
			}
			h, err := v.float("h", positive)
			if err != nil {
				return nil, err
			}
			w, err := NewDoubleWell(d, h)
			return done(v, w, err)
		},
	},
	{
		name: "banana",
		desc: "Haario's twisted Gaussian x₀²/200 + ½(x₁ + b x₀² − 100b)² + ½Σ_{i≥2} xᵢ²",
		settings: []setting{
			{"dim", "2", "dimension, ≥ 2"},
			{"b", strconv.FormatFloat(DefaultBananaB, 'g', -1, 64), "curvature"},
		},
		build: func(v values) (GradEnergy, error) {
			d, err := v.int("dim", 2, maxSpecDim)
			if err != nil {
				return nil, err
			}
			b, err := v.float("b", anyFinite)
			if err != nil {
				return nil, err
			}
			k, err := NewBanana(d, b)
			return done(v, k, err)
		},
	},
	{
		name: "rastrigin",
		desc: "Rastrigin (A·d + Σ(xᵢ² − A cos 2πxᵢ))/T: a grid of local minima",
		settings: []setting{
			{"dim", "2", "dimension"},
			{"A", strconv.FormatFloat(DefaultRastriginA, 'g', -1, 64), "amplitude, ≥ 0"},
			{"T", "1", "temperature, > 0"},
		},
		build: func(v values) (GradEnergy, error) {
			d, err := v.int("dim", 1, maxSpecDim)
			if err != nil {
				return nil, err
			}
			a, err := v.float("A", nonNegative)
			if err != nil {
				return nil, err
			}
			t, err := v.float("T", positive)
			if err != nil {
				return nil, err
			}
			r, err := NewRastrigin(d, a, t)
			return done(v, r, err)
		},
	},
}

// IllCondVariances returns the variances of the "illcond" energy:
// 10^(−2 + 4i/(d−1)) for i = 0..d−1 (from 0.01 to 100, condition number 10⁴).
// It panics if d < 2.
func IllCondVariances(d int) []float64 {
	if d < 2 {
		panic(fmt.Sprintf("energy: IllCondVariances(%d): want d ≥ 2", d))
	}
	v := make([]float64, d)
	for i := range v {
		v[i] = math.Pow(10, -2+4*float64(i)/float64(d-1))
	}
	return v
}

func lookupSpec(name string) *specEntry {
	for i := range specs {
		if specs[i].name == name {
			return &specs[i]
		}
	}
	return nil
}

// Names returns the names FromSpec accepts, in a fixed order.
func Names() []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.name
	}
	return out
}

// Describe returns a one-line description of the named energy with its settings
// and their defaults, for command-line help, or "" for an unknown name.
func Describe(name string) string {
	s := lookupSpec(name)
	if s == nil {
		return ""
	}
	if len(s.settings) == 0 {
		return s.desc + " (no settings)"
	}
	parts := make([]string, len(s.settings))
	for i, st := range s.settings {
		parts[i] = st.name + "=" + st.def + ": " + st.doc
	}
	return s.desc + " (settings: " + strings.Join(parts, "; ") + ")"
}

// FromSpec builds a built-in energy by name with settings given as strings, for
// the command line (e.g. "gauss" with {"dim": "10", "rho": "0.5"}); missing
// settings take their defaults (see Describe), args may be nil. The names are
//
//	gauss       dim=2 rho=0     N(0, Σ), Σᵢᵢ = 1, Σᵢⱼ = rho (i ≠ j);
//	                            −1/(dim−1) < rho < 1, else an error
//	illcond     dim=50          N(0, diag(10^(−2 + 4i/(dim−1))))
//	ncsn-gmm                    NCSNGMM()
//	8gaussians                  EightGaussians()
//	doublewell  dim=2 h=4       NewDoubleWell(dim, h)
//	banana      dim=2 b=0.03    NewBanana(dim, b)
//	rastrigin   dim=2 A=10 T=1  NewRastrigin(dim, A, T)
//
// An unknown name gives an error listing the valid names; an unknown setting, an
// error listing the name's valid settings; a value that does not parse or is out
// of range, an error naming the setting.
func FromSpec(name string, args map[string]string) (GradEnergy, error) {
	s := lookupSpec(name)
	if s == nil {
		return nil, fmt.Errorf("energy: unknown energy %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	v := values{name: name, m: make(map[string]string, len(s.settings))}
	for _, st := range s.settings {
		v.m[st.name] = st.def
	}
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic error messages
	for _, k := range keys {
		if _, ok := v.m[k]; !ok {
			if len(s.settings) == 0 {
				return nil, fmt.Errorf("energy: %s: unknown setting %q (%s takes no settings)", name, k, name)
			}
			valid := make([]string, len(s.settings))
			for i, st := range s.settings {
				valid[i] = st.name
			}
			return nil, fmt.Errorf("energy: %s: unknown setting %q (valid: %s)", name, k, strings.Join(valid, ", "))
		}
		v.m[k] = args[k]
	}
	return s.build(v)
}

package energy

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// ClassConditional is implemented by models that hold one energy per class
// (p(x | y = k) ∝ exp(−E_k(x))), so that a label can condition a sum.
type ClassConditional interface {
	NumClasses() int
	ClassEnergy(k int) (GradEnergy, error)
}

// SumGrammar documents the composition grammar of ParseSum.
const SumGrammar = `A sum of energy terms (a product of experts: p ∝ Π exp(−wₖEₖ/Tₖ)):
  TERM + TERM + ...        energies add ('+' splits terms; 1e+3 stays a number)
  w*TERM or TERM*w         weight w > 0 (temperature 1/w)
  TERM@T                   temperature T > 0 (energy divided by T)
Terms:
  model:DIR                a saved model (any kind with a gradient in x)
  model:DIR,class=K        class K of a class-conditional model
  NAME[:k=v,...]           a built-in energy (see the list); dim defaults to
                           the dimension of the other terms
  quad:center=C,scale=S    (x−c)²/(2S²) summed over coordinates; C is one
                           number or one per coordinate separated by ';'
  box:lo=L,hi=H[,k=K]      a smooth barrier K/2·Σ(dist outside [L,H])², K=100
  box:lo=L,hi=H,mode=clamp confine the chains to the box instead (no energy)`

// Composed is a parsed sum of energies (see ParseSum).
type Composed struct {
	// Energy is the weighted sum (the term itself when there is one term with
	// weight 1, so it keeps interfaces such as Smoother).
	Energy GradEnergy
	// Terms describes the terms in order.
	Terms []ComposedTerm
	// ClampLo and ClampHi, when not nil, confine samplers to a box
	// (box:...,mode=clamp), one bound per coordinate.
	ClampLo, ClampHi []float64
	// Models lists the model folders the sum reads.
	Models []string
}

// ComposedTerm is one term of a Composed sum.
type ComposedTerm struct {
	Text   string  // the term as written
	Weight float64 // w/T
	Dim    int     // 0 for a clamp
}

var (
	leadWeight  = regexp.MustCompile(`^\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*\*\s*`)
	trailWeight = regexp.MustCompile(`\s*\*\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$`)
	trailTemp   = regexp.MustCompile(`\s*@\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$`)
)

// splitTerms splits s at '+' signs that are not the sign of a number's
// exponent (as in 1e+3).
func splitTerms(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '+' {
			continue
		}
		if i >= 2 && (s[i-1] == 'e' || s[i-1] == 'E') && (isDigit(s[i-2]) || s[i-2] == '.') && i+1 < len(s) && isDigit(s[i+1]) {
			continue
		}
		out = append(out, s[start:i])
		start = i + 1
	}
	return append(out, s[start:])
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

type rawTerm struct {
	text   string
	atom   string
	weight float64
	e      GradEnergy
	dim    int
	clamp  bool
	lo, hi []float64
	sp     *spec.Spec
}

// ParseSum parses a sum of energy terms (grammar: SumGrammar), loading saved
// models with LoadGrad and building built-ins with FromSpec. Every error is a
// *spec.Error that names the term ("--energy term 2 (gauss:dim=3): ...");
// where names the option. Terms must agree on the dimension; built-ins and
// quad terms without dim= take it from the others.
func ParseSum(where, s string) (*Composed, error) {
	if strings.TrimSpace(s) == "" {
		return nil, spec.Errorf(where, "empty energy")
	}
	parts := splitTerms(s)
	terms := make([]*rawTerm, len(parts))
	termErr := func(i int, format string, a ...any) error {
		return spec.Errorf(fmt.Sprintf("%s term %d (%s)", where, i+1, strings.TrimSpace(parts[i])), format, a...)
	}
	out := &Composed{}
	// Pass 1: weights, syntax, saved models.
	for i, p := range parts {
		t := &rawTerm{text: strings.TrimSpace(p), weight: 1}
		if t.text == "" {
			return nil, spec.Errorf(where, "term %d is empty (a '+' with nothing on one side)", i+1)
		}
		atom := t.text
		for {
			if m := trailTemp.FindStringSubmatch(atom); m != nil {
				T, _ := strconv.ParseFloat(m[1], 64)
				if !(T > 0) || math.IsInf(T, 0) {
					return nil, termErr(i, "temperature @%s: want a finite number > 0", m[1])
				}
				t.weight /= T
				atom = atom[:len(atom)-len(m[0])]
				continue
			}
			if m := trailWeight.FindStringSubmatch(atom); m != nil {
				w, _ := strconv.ParseFloat(m[1], 64)
				if !(w > 0) || math.IsInf(w, 0) {
					return nil, termErr(i, "weight *%s: want a finite number > 0", m[1])
				}
				t.weight *= w
				atom = atom[:len(atom)-len(m[0])]
				continue
			}
			break
		}
		if m := leadWeight.FindStringSubmatch(atom); m != nil {
			w, _ := strconv.ParseFloat(m[1], 64)
			if !(w > 0) || math.IsInf(w, 0) {
				return nil, termErr(i, "weight %s*: want a finite number > 0", m[1])
			}
			t.weight *= w
			atom = atom[len(m[0]):]
		}
		t.atom = strings.TrimSpace(atom)
		if t.atom == "" {
			return nil, termErr(i, "no energy, only a weight")
		}
		if rest, ok := strings.CutPrefix(t.atom, "model:"); ok {
			dir, class, hasClass := strings.Cut(rest, ",class=")
			dir = strings.TrimSpace(dir)
			if dir == "" {
				return nil, termErr(i, "model: needs a folder, as in model:runs/a")
			}
			e, meta, err := LoadGrad(dir)
			if err != nil {
				return nil, termErr(i, "%v", err)
			}
			if hasClass {
				k, err := strconv.Atoi(strings.TrimSpace(class))
				cc, ok := e.(ClassConditional)
				switch {
				case err != nil:
					return nil, termErr(i, "class=%q is not an integer", class)
				case !ok:
					return nil, termErr(i, "the model (kind %q) has no class-conditional energy, so it cannot take class=", meta.Kind)
				case k < 0 || k >= cc.NumClasses():
					return nil, termErr(i, "class=%d out of range: the model has classes 0 to %d", k, cc.NumClasses()-1)
				}
				if e, err = cc.ClassEnergy(k); err != nil {
					return nil, termErr(i, "%v", err)
				}
			}
			t.e, t.dim = e, e.Dim()
			out.Models = append(out.Models, dir)
		} else {
			sp, err := spec.Parse(where, t.atom)
			if err != nil {
				return nil, termErr(i, "%s", strings.TrimPrefix(err.Error(), where+": "))
			}
			t.sp = sp
			if es := lookupSpec(sp.Name); es != nil && !hasSetting(es, "dim") {
				// A built-in of fixed dimension fixes the sum's.
				if err := t.build(0); err != nil {
					return nil, termErr(i, "%s", strings.TrimPrefix(err.Error(), "energy: "))
				}
				t.sp = nil
			}
			if d, ok := sp.Args["dim"]; ok {
				n, err := strconv.Atoi(d)
				if err != nil || n < 1 || n > maxSpecDim {
					return nil, termErr(i, "setting dim=%q: want an integer in [1, %d]", d, maxSpecDim)
				}
				t.dim = n
			}
			if sp.Name == "quad" {
				if c, ok := sp.Args["center"]; ok && strings.Contains(c, ";") {
					t.dim = len(strings.Split(c, ";"))
				}
			}
			if sp.Name == "box" {
				for _, k := range []string{"lo", "hi"} {
					if c, ok := sp.Args[k]; ok && strings.Contains(c, ";") {
						t.dim = len(strings.Split(c, ";"))
					}
				}
			}
		}
		terms[i] = t
	}
	// The dimension: the first term that knows it.
	D, from := 0, -1
	for i, t := range terms {
		if t.dim > 0 {
			D, from = t.dim, i
			break
		}
	}
	// Pass 2: build the built-ins, quad and box terms; check dimensions.
	var es []GradEnergy
	for i, t := range terms {
		if t.sp != nil {
			var err error
			if err = t.build(D); err != nil {
				return nil, termErr(i, "%s", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "energy: "), where+" "))
			}
		}
		d := t.dim
		if t.e != nil {
			d = t.e.Dim()
		}
		if D == 0 {
			D, from = d, i
		}
		if d != D {
			return nil, termErr(i, "dimension %d, but term %d (%s) has dimension %d", d, from+1, terms[from].text, D)
		}
		if t.clamp {
			if out.ClampLo != nil {
				return nil, termErr(i, "a second clamp box")
			}
			out.ClampLo, out.ClampHi = t.lo, t.hi
			out.Terms = append(out.Terms, ComposedTerm{Text: t.text, Weight: t.weight})
			continue
		}
		e := t.e
		if t.weight != 1 {
			var err error
			if e, err = Temperature(e, 1/t.weight); err != nil {
				return nil, termErr(i, "%v", err)
			}
		}
		es = append(es, e)
		out.Terms = append(out.Terms, ComposedTerm{Text: t.text, Weight: t.weight, Dim: d})
	}
	if len(es) == 0 {
		return nil, spec.Errorf(where, "no energy term (a clamp box alone is not an energy)")
	}
	if len(es) == 1 {
		out.Energy = es[0]
		return out, nil
	}
	sum, err := Sum(es...)
	if err != nil {
		return nil, spec.Errorf(where, "%v", err)
	}
	out.Energy = sum
	return out, nil
}

// build makes a built-in, quad or box term in dimension D (0: unknown).
func (t *rawTerm) build(D int) error {
	sp := t.sp
	switch sp.Name {
	case "quad":
		center, err := numberList(sp.String("center", "0"), "center", D)
		if err != nil {
			return err
		}
		scale, err := sp.Float("scale", 1)
		if err != nil {
			return err
		}
		if !(scale > 0) {
			return fmt.Errorf("setting scale=%v: want > 0", scale)
		}
		if _, err := sp.Int("dim", 0); err != nil {
			return err
		}
		if err := sp.CheckUnused(); err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), sp.Where+" "))
		}
		g, err := NewIsoGaussian(center, scale)
		if err != nil {
			return err
		}
		t.e, t.dim = g, len(center)
	case "box":
		lo, err := numberList(sp.String("lo", ""), "lo", D)
		if err != nil {
			return err
		}
		hi, err := numberList(sp.String("hi", ""), "hi", D)
		if err != nil {
			return err
		}
		if len(lo) != len(hi) {
			return fmt.Errorf("lo has %d coordinates, hi %d", len(lo), len(hi))
		}
		for j := range lo {
			if !(lo[j] < hi[j]) {
				return fmt.Errorf("lo=%v is not below hi=%v in coordinate %d", lo[j], hi[j], j)
			}
		}
		k, err := sp.Float("k", 100)
		if err != nil {
			return err
		}
		if !(k > 0) {
			return fmt.Errorf("setting k=%v: want > 0", k)
		}
		mode := sp.String("mode", "barrier")
		if _, err := sp.Int("dim", 0); err != nil {
			return err
		}
		if err := sp.CheckUnused(); err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), sp.Where+" "))
		}
		switch mode {
		case "barrier":
			t.e, t.dim = &boxBarrier{lo: lo, hi: hi, k: k}, len(lo)
		case "clamp":
			t.clamp, t.lo, t.hi, t.dim = true, lo, hi, len(lo)
		default:
			return fmt.Errorf("setting mode=%q: want barrier or clamp", mode)
		}
	default:
		args := make(map[string]string, len(sp.Args)+1)
		for k, v := range sp.Args {
			args[k] = v
		}
		if _, ok := args["dim"]; !ok && D > 0 {
			if s := lookupSpec(sp.Name); s != nil && hasSetting(s, "dim") {
				args["dim"] = strconv.Itoa(D)
			}
		}
		e, err := FromSpec(sp.Name, args)
		if err != nil {
			return err
		}
		t.e, t.dim = e, e.Dim()
	}
	return nil
}

func hasSetting(s *specEntry, name string) bool {
	for _, st := range s.settings {
		if st.name == name {
			return true
		}
	}
	return false
}

// numberList parses "a" or "a;b;c": one number is repeated D times (D must be
// known then).
func numberList(s, key string, D int) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("setting %s is required", key)
	}
	parts := strings.Split(s, ";")
	v := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !finite(f) {
			return nil, fmt.Errorf("setting %s=%q: %q is not a finite number", key, s, p)
		}
		v[i] = f
	}
	if len(v) == 1 {
		if D == 0 {
			return nil, fmt.Errorf("setting %s=%q: one number needs dim= or another term that fixes the dimension", key, s)
		}
		for len(v) < D {
			v = append(v, v[0])
		}
	}
	return v, nil
}

// boxBarrier is E(x) = k/2 Σⱼ (max(0, loⱼ − xⱼ)² + max(0, xⱼ − hiⱼ)²): zero in
// the box, a quadratic wall outside, continuously differentiable.
type boxBarrier struct {
	lo, hi []float64
	k      float64
}

func (b *boxBarrier) Dim() int { return len(b.lo) }

func (b *boxBarrier) Energy(x *tensor.Dense[float64], e []float64) {
	mustBatch("box.Energy", len(b.lo), x, e, nil, false)
	for i := range e {
		e[i] = b.point(x.Row(i), nil)
	}
}

func (b *boxBarrier) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	mustBatch("box.EnergyGrad", len(b.lo), x, e, g, true)
	for i := range e {
		e[i] = b.point(x.Row(i), g.Row(i))
	}
}

func (b *boxBarrier) point(x, g []float64) float64 {
	s := 0.0
	for j, v := range x {
		d := 0.0
		if v < b.lo[j] {
			d = v - b.lo[j]
		} else if v > b.hi[j] {
			d = v - b.hi[j]
		}
		s += d * d
		if g != nil {
			g[j] = b.k * d
		}
	}
	return 0.5 * b.k * s
}

package hopfield

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/tensor"
)

var (
	_ energy.GradEnergy = (*Network)(nil)
	_ energy.GradEnergy = (*Modern)(nil)
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 77)) }

// bruteEnergy is −½ sᵀWs − bᵀs from the definition.
func bruteEnergy(h *Network, s []float64) float64 {
	e := 0.0
	for i := range s {
		e -= h.B[i] * s[i]
		for j := range s {
			e -= 0.5 * s[i] * h.W.At(i, j) * s[j]
		}
	}
	return e
}

func TestEnergyAndGradient(t *testing.T) {
	rng := newRand(1)
	x := RandomPatterns(5, 20, rng)
	h, err := Store(Storkey, x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range h.B {
		h.B[i] = 0.3 * rng.NormFloat64()
	}
	q := RandomPatterns(7, 20, rng)
	e := make([]float64, q.Rows)
	h.Energy(q, e)
	for n := range e {
		if want := bruteEnergy(h, q.Row(n)); math.Abs(e[n]-want) > 1e-12 {
			t.Errorf("row %d: E = %g, brute force %g", n, e[n], want)
		}
	}
	if rel, err := energy.CheckGrad(h, q, 1e-5); err != nil || rel > 1e-6 {
		t.Errorf("binary gradient: relative error %g, %v", rel, err)
	}
	m, err := NewModern(x, 0.7)
	if err != nil {
		t.Fatal(err)
	}
	for i := range q.Data {
		q.Data[i] *= 0.3 * rng.Float64()
	}
	if rel, err := energy.CheckGrad(m, q, 1e-5); err != nil || rel > 1e-6 {
		t.Errorf("modern gradient: relative error %g, %v", rel, err)
	}
}

// TestRecallNeverIncreasesEnergy checks every single flip of asynchronous
// recall, for every rule, with biases, from random states.
func TestRecallNeverIncreasesEnergy(t *testing.T) {
	rng := newRand(2)
	for _, rule := range Rules {
		x := RandomPatterns(30, 100, rng)
		h, err := Store(rule, x)
		if err != nil {
			t.Fatal(err)
		}
		for i := range h.B {
			h.B[i] = 0.1 * rng.NormFloat64()
		}
		flips := 0
		for trial := 0; trial < 10; trial++ {
			s := RandomPatterns(1, 100, rng).Row(0)
			prev := bruteEnergy(h, s)
			info, err := h.Recall(s, 1000, rng, func(int) {
				e := bruteEnergy(h, s)
				if e > prev+1e-9 {
					t.Fatalf("%v: energy rose from %g to %g", rule, prev, e)
				}
				prev = e
				flips++
			})
			if err != nil {
				t.Fatal(err)
			}
			if !info.Converged {
				t.Errorf("%v: no fixed point after %d sweeps", rule, info.Sweeps)
			}
			// A fixed point: every unit agrees with its field.
			for i := range s {
				if f := h.field(s, i); f*s[i] < 0 {
					t.Errorf("%v: unit %d disagrees with its field %g", rule, i, f)
				}
			}
		}
		if flips == 0 {
			t.Errorf("%v: recall never flipped a unit", rule)
		}
	}
}

// TestPseudoInverseFixedPoints: the projection rule makes every linearly
// independent pattern a fixed point (the field is (1 − Pᵢᵢ)ξᵢ with Pᵢᵢ < 1).
func TestPseudoInverseFixedPoints(t *testing.T) {
	x := RandomPatterns(60, 100, newRand(3))
	h, err := Store(PseudoInverse, x)
	if err != nil {
		t.Fatal(err)
	}
	for mu := 0; mu < x.Rows; mu++ {
		s := append([]float64(nil), x.Row(mu)...)
		info, err := h.Recall(s, 10, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if info.Flips != 0 {
			t.Errorf("pattern %d is not a fixed point (%d flips)", mu, info.Flips)
		}
	}
}

// TestCapacity: with N = 200 and 10% of the bits corrupted, Hebbian recall is
// nearly perfect at α = 0.05 and has broken down at α = 0.25, above the
// critical load ≈ 0.138 (Amit, Gutfreund and Sompolinsky 1985); the
// pseudo-inverse rule still recalls at α = 0.25, and Storkey's rule does
// better than Hebb's there.
func TestCapacity(t *testing.T) {
	pts, err := RetrievalCurve(context.Background(), CurveConfig{N: 200, Loads: []float64{0.05, 0.25}, Trials: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	acc := map[string]float64{}
	for _, p := range pts {
		acc[p.Rule+" "+tensorFmt(p.Load)] = p.BitAccuracy
		t.Logf("%-8s α = %.2f (P = %d): bits %.4f ± %.4f, perfect %.2f", p.Rule, p.Load, p.P, p.BitAccuracy, p.StdErr, p.Perfect)
	}
	switch {
	case acc["hebbian 0.05"] < 0.99:
		t.Errorf("Hebbian at α = 0.05: %.4f", acc["hebbian 0.05"])
	case acc["hebbian 0.25"] > 0.9:
		t.Errorf("Hebbian at α = 0.25 still recalls: %.4f", acc["hebbian 0.25"])
	case acc["pinv 0.25"] < 0.99:
		t.Errorf("pseudo-inverse at α = 0.25: %.4f", acc["pinv 0.25"])
	case acc["storkey 0.25"] <= acc["hebbian 0.25"]:
		t.Errorf("Storkey %.4f not above Hebbian %.4f at α = 0.25", acc["storkey 0.25"], acc["hebbian 0.25"])
	}
}

func tensorFmt(a float64) string {
	return map[float64]string{0.05: "0.05", 0.25: "0.25"}[a]
}

// TestGibbsMatchesEnumeration: stochastic recall at temperature T samples
// p_T ∝ exp(−E/T): the mean energy over independent chains matches the exact
// mean by enumeration within 4 standard errors.
func TestGibbsMatchesEnumeration(t *testing.T) {
	const n, temp = 8, 1.5
	rng := newRand(4)
	h, err := Store(Hebbian, RandomPatterns(2, n, rng))
	if err != nil {
		t.Fatal(err)
	}
	for i := range h.B {
		h.B[i] = 0.2 * rng.NormFloat64()
	}
	// Exact mean energy.
	var logw, es []float64
	s := make([]float64, n)
	for k := 0; k < 1<<n; k++ {
		for i := range s {
			s[i] = float64(2*(k>>i&1) - 1)
		}
		e := bruteEnergy(h, s)
		es = append(es, e)
		logw = append(logw, -e/temp)
	}
	lz := tensor.LogSumExp(logw)
	exact := 0.0
	for k, e := range es {
		exact += e * math.Exp(logw[k]-lz)
	}
	const chains = 4000
	sum, sum2 := 0.0, 0.0
	for c := 0; c < chains; c++ {
		st := RandomPatterns(1, n, rng).Row(0)
		if err := h.Gibbs(st, temp, 30, rng); err != nil {
			t.Fatal(err)
		}
		e := bruteEnergy(h, st)
		sum += e
		sum2 += e * e
	}
	mean := sum / chains
	se := math.Sqrt((sum2/chains - mean*mean) / chains)
	if math.Abs(mean-exact) > 4*se {
		t.Errorf("Gibbs mean energy %.4f ± %.4f, exact %.4f", mean, se, exact)
	}
}

// TestModernOneStep: the modern network retrieves P = 10N random patterns from
// cues with 10% of the bits flipped, ≥ 99% of the bits right after one
// update, and the update never raises the energy (it is the concave-convex
// procedure's step).
func TestModernOneStep(t *testing.T) {
	const n = 64
	rng := newRand(5)
	x := RandomPatterns(10*n, n, rng)
	m, err := NewModern(x, 1)
	if err != nil {
		t.Fatal(err)
	}
	cue, _ := Corrupt(x, 0.1, rng)
	out, err := m.Update(cue)
	if err != nil {
		t.Fatal(err)
	}
	acc := BitAccuracy(Sign(out), x)
	t.Logf("P = %d, N = %d: %.5f of the bits right after one update (cues %.3f)", x.Rows, n, acc, BitAccuracy(cue, x))
	if acc < 0.99 {
		t.Errorf("bit accuracy %.4f after one update", acc)
	}
	e0, e1 := make([]float64, cue.Rows), make([]float64, cue.Rows)
	m.Energy(cue, e0)
	m.Energy(out, e1)
	for i := range e0 {
		if e1[i] > e0[i]+1e-9 || e1[i] < -1e-9 {
			t.Fatalf("query %d: energy %g → %g", i, e0[i], e1[i])
		}
	}
}

func TestBadInput(t *testing.T) {
	x := RandomPatterns(3, 10, newRand(6))
	x.Set(1, 4, 0.5)
	var pe *PatternError
	if _, err := Store(Hebbian, x); !errors.As(err, &pe) || pe.Row != 1 || pe.Col != 4 {
		t.Errorf("non-binary pattern: %v", err)
	}
	if _, err := ParseRule("oja"); err == nil {
		t.Error("unknown rule accepted")
	}
	if _, err := Store(Rule(9), RandomPatterns(2, 5, newRand(1))); err == nil {
		t.Error("rule 9 accepted")
	}
	if _, err := Store(PseudoInverse, RandomPatterns(12, 10, newRand(1))); err == nil {
		t.Error("pseudo-inverse with P ≥ N accepted")
	}
	dup := RandomPatterns(3, 10, newRand(2))
	copy(dup.Row(2), dup.Row(0))
	if _, err := Store(PseudoInverse, dup); err == nil {
		t.Error("dependent patterns accepted by the pseudo-inverse rule")
	}
	h, _ := Store(Hebbian, RandomPatterns(2, 10, newRand(3)))
	if _, err := h.Recall(make([]float64, 9), 5, nil, nil); err == nil {
		t.Error("state of the wrong size accepted")
	}
	if _, err := h.Recall(make([]float64, 10), 5, nil, nil); err == nil {
		t.Error("state of zeros accepted")
	}
	if err := h.Gibbs(RandomPatterns(1, 10, newRand(1)).Row(0), 0, 1, newRand(1)); err == nil {
		t.Error("T = 0 accepted")
	}
	if _, err := NewModern(x, -1); err == nil {
		t.Error("β < 0 accepted")
	}
	m, _ := NewModern(RandomPatterns(3, 10, newRand(1)), 1)
	if _, err := m.Update(tensor.New[float64](2, 9)); err == nil {
		t.Error("query of the wrong size accepted")
	}
	if _, err := Corrupt(x, 1.5, newRand(1)); err == nil {
		t.Error("corruption 1.5 accepted")
	}
}

func TestSaveLoad(t *testing.T) {
	x := RandomPatterns(4, 16, newRand(7))
	h, _ := Store(Storkey, x)
	dir := filepath.Join(t.TempDir(), "net")
	if err := (&Saved{Binary: h, Patterns: x, Rule: "storkey", Image: [2]int{4, 4}}).Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	s, _, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rule != "storkey" || s.Image != [2]int{4, 4} || !equal(s.Binary.W.Data, h.W.Data) || !equal(s.Patterns.Data, x.Data) {
		t.Errorf("binary round trip differs: %+v", s)
	}
	v, _, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.(energy.GradEnergy); !ok {
		t.Errorf("model.Load gives %T, not an energy.GradEnergy", v)
	}
	m, _ := NewModern(x, 2)
	dir2 := filepath.Join(t.TempDir(), "modern")
	if err := (&Saved{Modern: m, Patterns: m.X}).Save(dir2, nil); err != nil {
		t.Fatal(err)
	}
	s2, _, err := Load(dir2)
	if err != nil || s2.Modern == nil || s2.Modern.Beta != 2 || !equal(s2.Modern.X.Data, x.Data) {
		t.Fatalf("modern round trip: %+v, %v", s2, err)
	}
	// Bad image shape: nothing written.
	dir3 := filepath.Join(t.TempDir(), "bad")
	if err := (&Saved{Binary: h, Image: [2]int{3, 3}}).Save(dir3, nil); err == nil {
		t.Error("image 3×3 for 16 units accepted")
	}
	if _, _, err := Load(dir3); err == nil {
		t.Error("a failed save left a loadable folder")
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRulesByDefinition compares the storage rules with their definitions,
// computed naively: Hebb's sum of outer products, the projection Xᵀ(XXᵀ)⁻¹X
// (through its defining property: W + diag(P) maps every pattern to itself),
// and Storkey's update with hᵢⱼ = Σ_{k≠i,j} Wᵢₖξₖ in a triple loop.
func TestRulesByDefinition(t *testing.T) {
	const n, p = 12, 4
	x := RandomPatterns(p, n, newRand(8))
	heb, _ := Store(Hebbian, x)
	sto, _ := Store(Storkey, x)
	pin, _ := Store(PseudoInverse, x)
	w := make([][]float64, n)
	for i := range w {
		w[i] = make([]float64, n)
	}
	for mu := 0; mu < p; mu++ {
		xi := x.Row(mu)
		h := func(i, j int) float64 {
			s := 0.0
			for k := 0; k < n; k++ {
				if k != i && k != j {
					s += w[i][k] * xi[k]
				}
			}
			return s
		}
		nw := make([][]float64, n)
		for i := range nw {
			nw[i] = make([]float64, n)
			for j := range nw[i] {
				if i != j {
					nw[i][j] = w[i][j] + (xi[i]*xi[j]-xi[i]*h(j, i)-h(i, j)*xi[j])/n
				}
			}
		}
		w = nw
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			hebb := 0.0
			if i != j {
				for mu := 0; mu < p; mu++ {
					hebb += x.At(mu, i) * x.At(mu, j) / n
				}
			}
			if math.Abs(heb.W.At(i, j)-hebb) > 1e-12 {
				t.Errorf("Hebbian W[%d,%d] = %g, definition %g", i, j, heb.W.At(i, j), hebb)
			}
			if math.Abs(sto.W.At(i, j)-w[i][j]) > 1e-12 {
				t.Errorf("Storkey W[%d,%d] = %g, definition %g", i, j, sto.W.At(i, j), w[i][j])
			}
		}
	}
	// Projection: with the diagonal Pᵢᵢ = 1 − (Wξ)ᵢ/ξᵢ restored, W + diag(P)
	// is symmetric, idempotent on the patterns, and the same diagonal for all.
	diag := make([]float64, n)
	for mu := 0; mu < p; mu++ {
		xi := x.Row(mu)
		for i := 0; i < n; i++ {
			f := 0.0
			for j, v := range pin.W.Row(i) {
				f += v * xi[j]
			}
			d := 1 - f/xi[i]
			if mu == 0 {
				diag[i] = d
			} else if math.Abs(diag[i]-d) > 1e-9 {
				t.Errorf("pseudo-inverse: pattern %d unit %d needs diagonal %g, pattern 0 %g", mu, i, d, diag[i])
			}
		}
	}
	tr := 0.0
	for _, d := range diag {
		tr += d
	}
	if math.Abs(tr-p) > 1e-9 { // the trace of a rank-p projection is p
		t.Errorf("pseudo-inverse: trace of the projection %g, want %d", tr, p)
	}
}

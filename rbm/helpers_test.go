package rbm

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/tensor"
)

// randomRBM returns an RBM with N(0, scale²) weights and biases.
func randomRBM(t testing.TB, kind Visible, nv, nh int, scale float64, seed uint64) *RBM {
	t.Helper()
	r, err := New(kind, nv, nh, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	for i := range r.W.Data {
		r.W.Data[i] = float32(scale * rng.NormFloat64())
	}
	for i := range r.B {
		r.B[i] = float32(scale * rng.NormFloat64())
	}
	for i := range r.C {
		r.C[i] = float32(scale * rng.NormFloat64())
	}
	if kind == Gaussian {
		for i := range r.LogVar {
			r.LogVar[i] = float32(0.5 * rng.NormFloat64())
		}
	}
	return r
}

// bits returns the n-bit vector of s as float64s.
func bits(s, n int) []float64 {
	v := make([]float64, n)
	for k := range v {
		v[k] = float64(s >> k & 1)
	}
	return v
}

// bruteEnergy is E(v, h) = −vᵀWh − bᵀv − cᵀh in float64, straight from the
// definition.
func bruteEnergy(r *RBM, v, h []float64) float64 {
	e := 0.0
	for i, vi := range v {
		e -= float64(r.B[i]) * vi
		for j, hj := range h {
			e -= vi * float64(r.W.At(i, j)) * hj
		}
	}
	for j, hj := range h {
		e -= float64(r.C[j]) * hj
	}
	return e
}

// bruteLogZ sums exp(−E) over both layers.
func bruteLogZ(r *RBM) float64 {
	nv, nh := r.NumVisible(), r.NumHidden()
	var terms []float64
	for s := 0; s < 1<<nv; s++ {
		for u := 0; u < 1<<nh; u++ {
			terms = append(terms, -bruteEnergy(r, bits(s, nv), bits(u, nh)))
		}
	}
	return tensor.LogSumExp(terms)
}

var (
	digitsOnce         sync.Once
	digitsTr, digitsTe *tensor.Dense[float32]
	digitsErr          error
)

// digits returns the binarized digits protocol data (first 1500 rows train, last
// 297 test, pixel ≥ 8 → 1) as float32.
func digits(t testing.TB) (train, test *tensor.Dense[float32]) {
	t.Helper()
	digitsOnce.Do(func() {
		tr, te, err := data.DigitsBinary()
		if err != nil {
			digitsErr = err
			return
		}
		digitsTr = tensor.Convert[float32](nil, tr)
		digitsTe = tensor.Convert[float32](nil, te)
	})
	if digitsErr != nil {
		t.Fatal(digitsErr)
	}
	return digitsTr, digitsTe
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1234)) }

// update runs one training step as train.Loop does, without the loop: Grads,
// then every group's optimizer at rate lr times the group's share of the base
// rate (VarLR/LR for the log-variances) and its AfterStep.
func (t *trainer) update(idx []int, lr float64) {
	if _, err := t.Grads(idx, nil); err != nil {
		panic(err)
	}
	for _, g := range t.groups {
		g.Optimizer.SetLR(lr * g.LR / t.cfg.LR)
		g.Optimizer.Step(g.Params)
		if g.AfterStep != nil {
			g.AfterStep()
		}
	}
}

package train

import (
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// quadCount is E(x) = ½‖x‖², counting its gradient evaluations.
type quadCount struct{ d, calls int }

func (q *quadCount) Dim() int { return q.d }

func (q *quadCount) Energy(x *tensor.Dense[float64], e []float64) {
	for i := 0; i < x.Rows; i++ {
		var s float64
		for _, v := range x.Row(i) {
			s += v * v / 2
		}
		e[i] = s
	}
}

func (q *quadCount) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	q.calls++
	q.Energy(x, e)
	copy(g.Data, x.Data)
}

// TestNegSamplerSkipsFinalEvaluation: with an unadjusted kernel the K steps
// of a negative draw take K gradient evaluations (the initial one and one
// after each move but the last), and the chains end where K Steps take them.
func TestNegSamplerSkipsFinalEvaluation(t *testing.T) {
	for _, kind := range []string{"ula", "sgld"} {
		const n, d, steps = 6, 3, 5
		e := &quadCount{d: d}
		ns := &NegSampler{Kind: kind, Step: 0.01, Steps: steps, Noise: 0.01, Clamp: sample.ScalarBox(-2, 2)}
		x := tensor.New[float64](n, d)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range x.Data {
			x.Data[i] = rng.Float64()*2 - 1
		}
		var cr chainRNGs
		got, acc, err := ns.run(e, x.Clone(), &cr, rand.New(rand.NewPCG(3, 4)))
		if err != nil {
			t.Fatal(err)
		}
		if e.calls != steps {
			t.Errorf("%s: %d evaluations for %d steps", kind, e.calls, steps)
		}
		if acc != 1 {
			t.Errorf("%s: acceptance %v, want 1", kind, acc)
		}
		// The same draw with Step only.
		k, err := ns.kernel(e)
		if err != nil {
			t.Fatal(err)
		}
		s, err := k.Init(x.Clone(), ns.Clamp)
		if err != nil {
			t.Fatal(err)
		}
		var cr2 chainRNGs
		rngs := cr2.reseed(rand.New(rand.NewPCG(3, 4)).Uint64(), n)
		info := cr2.info[:n]
		for i := 0; i < steps; i++ {
			if err := k.Step(s, rngs, info); err != nil {
				t.Fatal(err)
			}
		}
		for i, v := range s.X.Data {
			if got.Data[i] != v {
				t.Fatalf("%s: element %d = %v, Step only %v", kind, i, got.Data[i], v)
			}
		}
	}
}

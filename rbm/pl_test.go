package rbm

import (
	"math"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

func TestPseudoLogLikBruteForce(t *testing.T) {
	// PL(v) = Σᵢ log p(vᵢ | v₋ᵢ) from the joint p(v) ∝ Σₕ exp(−E(v, h)) by brute force.
	for _, scale := range []float64{0.5, 3} {
		r := randomRBM(t, Bernoulli, 5, 3, scale, 4)
		x := allStates(5)
		pl, err := r.PseudoLogLik(x)
		if err != nil {
			t.Fatal(err)
		}
		logp := func(s int) float64 { // unnormalized log p(v)
			var terms []float64
			for u := 0; u < 8; u++ {
				terms = append(terms, -bruteEnergy(r, bits(s, 5), bits(u, 3)))
			}
			return tensor.LogSumExp(terms)
		}
		for s := 0; s < 32; s++ {
			want := 0.0
			for i := 0; i < 5; i++ {
				a, b := logp(s), logp(s^(1<<i))
				want += a - math.Log(math.Exp(a)+math.Exp(b))
			}
			if !near(pl[s], want, 1e-9) {
				t.Errorf("scale %g, v=%05b: PL = %.12f, brute force %.12f", scale, s, pl[s], want)
			}
		}
		// The one-flip estimate averages to the exact PL: over all flips of one
		// example, V·mean log p(vᵢ|v₋ᵢ) = PL(v); check its mean over many
		// repeated rows against PL within 5 standard errors.
		rep := tensor.New[float32](20000, 5)
		for n := 0; n < rep.Rows; n++ {
			copy(rep.Row(n), x.Row(13))
		}
		one, err := r.PseudoLogLikOneFlip(rep, 3)
		if err != nil {
			t.Fatal(err)
		}
		m, sd := 0.0, 0.0
		for _, v := range one {
			m += v
		}
		m /= float64(len(one))
		for _, v := range one {
			sd += (v - m) * (v - m)
		}
		se := math.Sqrt(sd/float64(len(one)-1)) / math.Sqrt(float64(len(one)))
		if math.Abs(m-pl[13]) > 5*se+1e-12 {
			t.Errorf("scale %g: one-flip mean %.4f ± %.4f, exact %.4f", scale, m, se, pl[13])
		}
	}
}

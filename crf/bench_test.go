package crf

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkNLLGrad is one sequence's negative log-likelihood and gradient
// (forward-backward, marginals, pair sums) on one core: 25 tokens, L labels
// (46 as the Penn Treebank sample, 133 as the Brown corpus), 30 attributes
// paired with every label, weights of scale 0.3. tokens/s counts tokens.
func BenchmarkNLLGrad(b *testing.B) {
	for _, l := range []int{46, 133} {
		b.Run(fmt.Sprintf("L=%d", l), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			m := randomModel(rng, l, 30, 0.3)
			q := randomSequence(rng, m, 25)
			ws := NewWorkspace(l)
			p := m.view(m.W)
			ws.setTrans(&p)
			g := make([]float64, m.NumWeights())
			m.nllGrad(ws, &p, &q, g)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.nllGrad(ws, &p, &q, g)
			}
			b.ReportMetric(float64(25*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

package rbm

import (
	"fmt"

	"github.com/ebm-go/ebm/diag"
	"github.com/ebm-go/ebm/tensor"
)

// MaxTraceDraws is the largest number of free-energy draws per chain that
// SampleDiagnosed records.
const MaxTraceDraws = 200

// ChainDiagnostics are convergence diagnostics of block-Gibbs chains computed
// by package diag from the trace of each chain's free energy F(v) (a scalar
// summary of the whole visible state) over the second half of the sweeps.
type ChainDiagnostics struct {
	// Chains is the number of chains; Draws the recorded draws per chain,
	// one every Thin sweeps.
	Chains int `json:"chains"`
	Draws  int `json:"draws"`
	Thin   int `json:"thin"`
	// Rhat is the rank-normalized split R̂ (diag.RhatBulk): near 1 when the
	// chains agree with each other and with themselves over time; above 1.01
	// they have not mixed. NaN when undefined (fewer than 4 draws).
	Rhat float64 `json:"rhat"`
	// ESSBulk is the bulk effective sample size of the recorded draws
	// (diag.ESSBulk), at most about Chains·Draws.
	ESSBulk float64 `json:"ess_bulk"`
}

// SampleDiagnosed runs n chains from random states for steps sweeps, like
// Sample, and returns E[v | h] of the last sweep together with the
// diagnostics of the chains: the first half of the sweeps is warm-up, and over
// the second half F(v) of every chain is recorded every thin sweeps, thin
// chosen so that at most MaxTraceDraws draws are kept per chain. The same seed
// gives the same samples as Sample.
func (r *RBM) SampleDiagnosed(n, steps int, seed uint64) (*tensor.Dense[float32], ChainDiagnostics, error) {
	var cd ChainDiagnostics
	g, err := r.NewGibbsRandom(n, seed)
	if err != nil {
		return nil, cd, err
	}
	steps = max(steps, 1)
	warm := steps / 2
	thin := max(1, (steps-warm+MaxTraceDraws-1)/MaxTraceDraws)
	traces := make([][]float64, n)
	p := r.params64()
	f := make([]float64, n)
	g.Step(warm)
	for s := warm; s < steps; s++ {
		g.Step(1)
		if (steps-1-s)%thin != 0 {
			continue
		}
		f = p.freeEnergy64(g.V, f)
		for c := range traces {
			traces[c] = append(traces[c], f[c])
		}
	}
	cd = ChainDiagnostics{Chains: n, Draws: len(traces[0]), Thin: thin,
		Rhat: diag.RhatBulk(traces), ESSBulk: diag.ESSBulk(traces)}
	return g.MV, cd, nil
}

// String formats the diagnostics for people.
func (c ChainDiagnostics) String() string {
	return fmt.Sprintf("%d chains × %d draws (every %d sweeps): split R̂ %.3f, bulk ESS %.0f", c.Chains, c.Draws, c.Thin, c.Rhat, c.ESSBulk)
}

package rbm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
)

// engine holds what the float32 hot path needs besides the parameters: a snapshot
// of Wᵀ, 1/σ² and σ for Gaussian units, the random source and the kernel jobs.
// It allocates only while its buffers grow.
type engine struct {
	r      *RBM
	wt     *tensor.Dense[float32] // NumHidden×NumVisible
	invVar []float32
	sigma  []float32
	scaled *tensor.Dense[float32]
	rng    *rand.Rand
	bits   bitSource
	up     mulJob
	down   mulJob
	sig    sigmoidJob
	tr     transposeJob
}

func newEngine(r *RBM, seed uint64) *engine {
	pcg := rand.NewPCG(seed, 0x9b5)
	e := &engine{r: r, rng: rand.New(pcg)}
	e.bits.pcg = pcg
	e.sync()
	return e
}

// sync re-reads the parameters: Wᵀ and, for Gaussian units, σ.
func (e *engine) sync() {
	r := e.r
	e.wt = tensor.Reuse(e.wt, r.NumHidden(), r.NumVisible())
	e.tr.transpose(e.wt, r.W)
	if r.Visible == Gaussian {
		if len(e.invVar) != r.NumVisible() {
			e.invVar = make([]float32, r.NumVisible())
			e.sigma = make([]float32, r.NumVisible())
		}
		for i, z := range r.LogVar {
			e.invVar[i] = float32(math.Exp(-float64(z)))
			e.sigma[i] = float32(math.Exp(0.5 * float64(z)))
		}
	}
}

// hiddenProbs sets ph = σ(c + ṽW); von lists the ones of v when v is binary.
func (e *engine) hiddenProbs(ph, v *tensor.Dense[float32], von *ones) {
	in := v
	if e.r.Visible == Gaussian {
		e.scaled = scaleColsInto(e.scaled, v, e.invVar)
		in, von = e.scaled, nil
	}
	e.up.mul(ph, e.r.C, in, von, e.r.W)
	e.sig.apply(ph.Data)
}

// visibleMeans sets mv = E[v | h]; hon lists the ones of h when h is binary.
func (e *engine) visibleMeans(mv, h *tensor.Dense[float32], hon *ones) {
	e.down.mul(mv, e.r.B, h, hon, e.wt)
	if e.r.Visible == Bernoulli {
		e.sig.apply(mv.Data)
	}
}

// sampleHidden draws h ~ Bernoulli(ph) and lists its ones in hon.
func (e *engine) sampleHidden(h, ph *tensor.Dense[float32], hon *ones) {
	sampleBernoulli(&e.bits, h.Data, ph.Data, h.Cols, hon)
}

// sampleVisible draws v from p(v | h) given its means mv; for Bernoulli units it
// lists the ones of v in von.
func (e *engine) sampleVisible(v, mv *tensor.Dense[float32], von *ones) {
	if e.r.Visible == Bernoulli {
		sampleBernoulli(&e.bits, v.Data, mv.Data, v.Cols, von)
		return
	}
	nv := v.Cols
	for i := range v.Data {
		v.Data[i] = mv.Data[i] + e.sigma[i%nv]*float32(e.rng.NormFloat64())
	}
}

// scaleColsInto is scaleCols without the allocation once dst is large enough.
func scaleColsInto(dst, x *tensor.Dense[float32], s []float32) *tensor.Dense[float32] {
	return scaleCols(dst, x, s)
}

// Gibbs runs block Gibbs sampling of an RBM over many chains at once:
// h ~ p(h | v), then v ~ p(v | h), for every chain (row) in one pass. The products
// go through the float32 kernels (sums of weight rows for binary layers, SIMD
// matrix products otherwise), split over the cores; after the first step a
// step allocates nothing. The same seed gives the same chains.
//
// Gibbs keeps a snapshot of Wᵀ: call Sync after changing the model's parameters.
type Gibbs struct {
	// V holds the current visible states, one chain per row.
	V *tensor.Dense[float32]
	// H holds the current hidden states (0/1), from the last step.
	H *tensor.Dense[float32]
	// PH holds p(hⱼ = 1 | v) from the last up pass.
	PH *tensor.Dense[float32]
	// MV holds E[v | h] from the last down pass: the noise-free image of each
	// chain, the usual thing to display.
	MV *tensor.Dense[float32]

	e        *engine
	vOn, hOn ones
}

// NewGibbs starts one chain at each row of v0 (copied). Bernoulli units need
// binary rows.
func (r *RBM) NewGibbs(v0 *tensor.Dense[float32], seed uint64) (*Gibbs, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := checkData(v0, r.NumVisible(), r.Visible == Bernoulli, false, "initial states"); err != nil {
		return nil, err
	}
	g := &Gibbs{V: v0.Clone(), e: newEngine(r, seed)}
	g.init()
	return g, nil
}

// NewGibbsRandom starts n chains at random visible states: uniform bits for
// Bernoulli units, draws from N(bᵢ, σᵢ²) for Gaussian ones.
func (r *RBM) NewGibbsRandom(n int, seed uint64) (*Gibbs, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("rbm: need at least one chain, got %d", n)
	}
	g := &Gibbs{V: tensor.New[float32](n, r.NumVisible()), e: newEngine(r, seed)}
	if r.Visible == Bernoulli {
		for i := range g.V.Data {
			g.V.Data[i] = float32(g.e.bits.next() >> 31)
		}
	} else {
		nv := r.NumVisible()
		for i := range g.V.Data {
			g.V.Data[i] = r.B[i%nv] + g.e.sigma[i%nv]*float32(g.e.rng.NormFloat64())
		}
	}
	g.init()
	return g, nil
}

func (g *Gibbs) init() {
	n, r := g.V.Rows, g.e.r
	g.H = tensor.New[float32](n, r.NumHidden())
	g.PH = tensor.New[float32](n, r.NumHidden())
	g.MV = g.V.Clone()
	if r.Visible == Bernoulli {
		g.vOn.FromDense(g.V)
	}
}

// Chains returns the number of chains.
func (g *Gibbs) Chains() int { return g.V.Rows }

// Sync re-reads the model's parameters (after training steps, for example).
func (g *Gibbs) Sync() { g.e.sync() }

// Step runs k sweeps h ~ p(h | v), v ~ p(v | h) over every chain.
func (g *Gibbs) Step(k int) {
	var von *ones
	if g.e.r.Visible == Bernoulli {
		von = &g.vOn
	}
	for s := 0; s < k; s++ {
		g.e.hiddenProbs(g.PH, g.V, von)
		g.e.sampleHidden(g.H, g.PH, &g.hOn)
		g.e.visibleMeans(g.MV, g.H, &g.hOn)
		g.e.sampleVisible(g.V, g.MV, von)
	}
}

// Sample runs n chains from random states for steps sweeps and returns E[v | h]
// of the last sweep (n×NumVisible): a convenience over NewGibbsRandom and Step.
func (r *RBM) Sample(n, steps int, seed uint64) (*tensor.Dense[float32], error) {
	g, err := r.NewGibbsRandom(n, seed)
	if err != nil {
		return nil, err
	}
	g.Step(max(steps, 1))
	return g.MV, nil
}

package rbm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/ebm-go/ebm/tensor"
)

// MaxEnumerate is the largest layer that exact computations enumerate: 2²⁵ ≈ 33.5
// million configurations.
const MaxEnumerate = 25

// LimitError reports a layer too large to enumerate.
type LimitError struct {
	What  string // what was being computed
	Units int    // the size of the smallest enumerable layer
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("rbm: %s enumerates a layer of %d units (2^%d states), above the limit of %d units; use AIS instead",
		e.What, e.Units, e.Units, e.Limit)
}

// enumerator sums exp(ℓ(s)) over the 2^K states s ∈ {0,1}^K of one layer with
//
//	ℓ(s) = aᵀs + Σₘ f(dₘ + (sᵀA)ₘ) + const,
//
// where A is K×M (row k = the couplings of unit k), f is softplus (the other
// layer is Bernoulli and summed out) or, for a Gaussian other layer,
// f(x) = (x² − dₘ²)·invVarₘ/2 (its integral, up to the constant). States are
// split into 2^(K−L) blocks of 2^L: the low L bits vary fastest within a block.
type enumerator struct {
	k, m, l  int
	a        []float64
	d        []float64
	rowsA    [][]float64 // K rows of length M
	invVar   []float64   // nil: softplus
	constant float64
	low      []float64 // 2^L × M partial sums of the low-bit rows
	lowA     []float64 // 2^L partial sums of a
	blockLSE []float64 // log Σ exp(ℓ) per block, after logZ
	logZ     float64
}

func newEnumerator(a, d []float64, rowsA [][]float64, invVar []float64, constant float64) *enumerator {
	k, m := len(a), len(d)
	l := min(k, 10)
	e := &enumerator{k: k, m: m, l: l, a: a, d: d, rowsA: rowsA, invVar: invVar, constant: constant}
	n := 1 << l
	e.low = make([]float64, n*m)
	e.lowA = make([]float64, n)
	for s := 1; s < n; s++ {
		// s = prev | bit, with bit the lowest set bit.
		bit := s & -s
		b := trailingZeros(bit)
		prev := s ^ bit
		copy(e.low[s*m:(s+1)*m], e.low[prev*m:(prev+1)*m])
		row := e.low[s*m : (s+1)*m]
		for j, w := range rowsA[b] {
			row[j] += w
		}
		e.lowA[s] = e.lowA[prev] + a[b]
	}
	return e
}

func trailingZeros(x int) int {
	n := 0
	for x&1 == 0 {
		x >>= 1
		n++
	}
	return n
}

// blockWeights writes ℓ(s) for the 2^L states of block o into out, using base
// (length M) as scratch.
func (e *enumerator) blockWeights(o int, out, base []float64) {
	m := e.m
	copy(base, e.d)
	baseA := e.constant
	for b := e.l; b < e.k; b++ {
		if o>>(b-e.l)&1 == 1 {
			for j, w := range e.rowsA[b] {
				base[j] += w
			}
			baseA += e.a[b]
		}
	}
	n := 1 << e.l
	for s := 0; s < n; s++ {
		low := e.low[s*m : (s+1)*m]
		v := baseA + e.lowA[s]
		if e.invVar == nil {
			// Σ softplus(x) = Σ max(x, 0) + log Π (1 + e^{−|x|}); each factor is in
			// (1, 2], so a product of 512 of them stays below 2^512.
			lin, prod := 0.0, 1.0
			for j, x0 := range low {
				x := base[j] + x0
				if x > 0 {
					lin += x
					prod *= 1 + math.Exp(-x)
				} else {
					prod *= 1 + math.Exp(x)
				}
				if j&511 == 511 {
					lin += math.Log(prod)
					prod = 1
				}
			}
			v += lin + math.Log(prod)
		} else {
			q := 0.0
			for j, x0 := range low {
				x := base[j] + x0
				dj := e.d[j]
				q += (x*x - dj*dj) * e.invVar[j]
			}
			v += 0.5 * q
		}
		out[s] = v
	}
}

// computeLogZ fills blockLSE and returns log Σ exp(ℓ), in parallel over blocks.
func (e *enumerator) computeLogZ() float64 { return e.computeLogZOn(true) }

// computeLogZOn is computeLogZ, on the calling goroutine only when par is false
// (for callers that are themselves parallel jobs: jobs must not nest).
func (e *enumerator) computeLogZOn(par bool) float64 {
	nb := 1 << (e.k - e.l)
	e.blockLSE = make([]float64, nb)
	run := tensor.ParallelFor
	if !par {
		run = func(n, _ int, fn func(lo, hi int)) { fn(0, n) }
	}
	run(nb, 1, func(lo, hi int) {
		out := make([]float64, 1<<e.l)
		base := make([]float64, e.m)
		for o := lo; o < hi; o++ {
			e.blockWeights(o, out, base)
			e.blockLSE[o] = tensor.LogSumExp(out)
		}
	})
	e.logZ = tensor.LogSumExp(e.blockLSE)
	return e.logZ
}

// sample draws n states exactly from p(s) ∝ exp(ℓ(s)) (computeLogZ first). It
// returns the states as bit masks (bit k = unit k).
func (e *enumerator) sample(n int, rng *rand.Rand) []uint64 {
	// Blocks by inverse CDF over the block masses, then states within blocks.
	nb := len(e.blockLSE)
	cum := make([]float64, nb)
	s := 0.0
	for o, l := range e.blockLSE {
		s += math.Exp(l - e.logZ)
		cum[o] = s
	}
	type draw struct {
		u     float64
		block int
		pos   int
	}
	draws := make([]draw, n)
	for i := range draws {
		u := rng.Float64() * s
		o := sort.SearchFloat64s(cum, u)
		if o >= nb {
			o = nb - 1
		}
		draws[i] = draw{u: rng.Float64(), block: o, pos: i}
	}
	slices.SortFunc(draws, func(a, b draw) int { return a.block - b.block })
	out := make([]uint64, n)
	w := make([]float64, 1<<e.l)
	base := make([]float64, e.m)
	for i := 0; i < n; {
		o := draws[i].block
		e.blockWeights(o, w, base)
		lse := tensor.LogSumExp(w)
		c := 0.0
		for s := range w {
			c += math.Exp(w[s] - lse)
			w[s] = c
		}
		for ; i < n && draws[i].block == o; i++ {
			st := sort.SearchFloat64s(w, draws[i].u*c)
			if st >= len(w) {
				st = len(w) - 1
			}
			out[draws[i].pos] = uint64(o)<<e.l | uint64(st)
		}
	}
	return out
}

// enumerator builds the enumerator over the smaller layer (hidden for Gaussian
// units), or returns a *LimitError.
func (p *params64) enumerator(what string) (e *enumerator, hidden bool, err error) {
	if p.gauss {
		if p.nh > MaxEnumerate {
			return nil, false, &LimitError{What: what + " (Gaussian visible units: the hidden layer)", Units: p.nh, Limit: MaxEnumerate}
		}
		rowsA := make([][]float64, p.nh)
		for j := range rowsA {
			rowsA[j] = p.wt.Row(j)
		}
		c := 0.0
		for _, z := range p.logVar {
			c += 0.5 * (math.Log(2*math.Pi) + z)
		}
		return newEnumerator(p.c, p.b, rowsA, p.invVar, c), true, nil
	}
	if k := min(p.nh, p.nv); k > MaxEnumerate {
		return nil, false, &LimitError{What: what, Units: k, Limit: MaxEnumerate}
	}
	if p.nh <= p.nv {
		rowsA := make([][]float64, p.nh)
		for j := range rowsA {
			rowsA[j] = p.wt.Row(j)
		}
		return newEnumerator(p.c, p.b, rowsA, nil, 0), true, nil
	}
	rowsA := make([][]float64, p.nv)
	for i := range rowsA {
		rowsA[i] = p.w.Row(i)
	}
	return newEnumerator(p.b, p.c, rowsA, nil, 0), false, nil
}

// ExactLogZ returns log Z = log Σ_{v,h} exp(−E(v, h)) (an integral over v for
// Gaussian units), by enumerating the smaller layer, in float64, split over the
// cores. The other layer is summed out in closed form: softplus terms for a
// Bernoulli layer; for Gaussian visible units (only the hidden layer can be
// enumerated) each hidden configuration h contributes
//
//	exp(cᵀh + Σᵢ ((bᵢ + (Wh)ᵢ)² − bᵢ²)/(2σᵢ²)) · Πᵢ (2πσᵢ²)^{1/2}.
//
// Layers of more than MaxEnumerate units give a *LimitError.
func (r *RBM) ExactLogZ() (float64, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	e, _, err := r.params64().enumerator("exact log Z")
	if err != nil {
		return 0, err
	}
	return e.computeLogZ(), nil
}

// LogProb returns log p(v) = −F(v) − logZ for every row of x, given log Z (from
// ExactLogZ or AIS).
func (r *RBM) LogProb(x *tensor.Dense[float32], logZ float64) ([]float64, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := r.CheckData(x, false); err != nil {
		return nil, err
	}
	f := r.params64().freeEnergy64(x, nil)
	for i := range f {
		f[i] = -f[i] - logZ
	}
	return f, nil
}

// ExactLogLik returns the mean exact log-likelihood (1/n)Σ log p(vᵢ) of the rows
// of x, and log Z. For Gaussian units it is a density (nats per example).
func (r *RBM) ExactLogLik(x *tensor.Dense[float32]) (mean, logZ float64, err error) {
	if err := r.CheckData(x, false); err != nil {
		return 0, 0, err
	}
	logZ, err = r.ExactLogZ()
	if err != nil {
		return 0, 0, err
	}
	lp, err := r.LogProb(x, logZ)
	if err != nil {
		return 0, 0, err
	}
	return meanOf(lp), logZ, nil
}

func meanOf(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// ExactSample draws n independent exact samples of v from the model by
// enumerating the smaller layer: when that is the hidden layer, h is drawn from
// its marginal p(h) and then v ~ p(v | h); otherwise v is drawn from p(v)
// directly. Layers above MaxEnumerate units give a *LimitError.
func (r *RBM) ExactSample(n int, seed uint64) (*tensor.Dense[float32], error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("rbm: need at least one sample, got %d", n)
	}
	p := r.params64()
	e, hidden, err := p.enumerator("exact sampling")
	if err != nil {
		return nil, err
	}
	e.computeLogZ()
	rng := rand.New(rand.NewPCG(seed, 0xe8ac7))
	states := e.sample(n, rng)
	nv, nh := p.nv, p.nh
	v := tensor.New[float32](n, nv)
	if !hidden {
		for i, s := range states {
			for k := 0; k < nv; k++ {
				v.Data[i*nv+k] = float32(s >> k & 1)
			}
		}
		return v, nil
	}
	for i, s := range states {
		for k := 0; k < nv; k++ {
			x := p.b[k]
			for j := 0; j < nh; j++ {
				if s>>j&1 == 1 {
					x += p.w.At(k, j)
				}
			}
			if p.gauss {
				v.Data[i*nv+k] = float32(x + math.Exp(0.5*p.logVar[k])*rng.NormFloat64())
			} else if rng.Float64() < 1/(1+math.Exp(-x)) {
				v.Data[i*nv+k] = 1
			}
		}
	}
	return v, nil
}

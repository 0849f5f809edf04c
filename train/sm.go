package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

type vars[T tensor.Float] = []*autodiff.Var[T]

// gradX records g = ∇ₓΣᵢE(xᵢ) with its graph (so it can be differentiated
// again) and returns the energies (n×1) and g (n×d).
func gradX[T tensor.Float](t *autodiff.Tape[T], m energy.Model[T], xv *autodiff.Var[T]) (e, g *autodiff.Var[T]) {
	e = m.Build(t, xv)
	g = autodiff.Grad(autodiff.Sum(e), vars[T]{xv}, true)[0]
	return e, g
}

// ExactSM is Hyvärinen's score matching: minimize
// E_data[½‖∇ₓE(x)‖² − tr ∇²ₓE(x)], which equals the Fisher divergence between
// data and model up to a constant. The trace takes D Hessian-vector products
// (one backward pass per dimension); with Hutchinson > 0 it is estimated
// instead by that many Rademacher probes v, tr H ≈ mean vᵀHv.
type ExactSM[T tensor.Float] struct {
	Hutchinson int
}

// Name returns "sm".
func (s *ExactSM[T]) Name() string { return "sm" }

// Loss records the score matching loss of the batch.
func (s *ExactSM[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	n, d := x.Rows, x.Cols
	xv := t.Input(x, true)
	e, g := gradX(t, m, xv)
	loss := autodiff.Scale(autodiff.Sum(autodiff.Square(g)), 0.5)
	var tr *autodiff.Var[T]
	if s.Hutchinson <= 0 {
		for k := 0; k < d; k++ {
			gk := autodiff.Sum(autodiff.SliceCols(g, k, k+1))
			hk := autodiff.Grad(gk, vars[T]{xv}, true)[0]
			tr = sumOrAdd(tr, autodiff.Sum(autodiff.SliceCols(hk, k, k+1)))
		}
	} else {
		for p := 0; p < s.Hutchinson; p++ {
			v := t.Const(projections[T](n, d, "rademacher", rng))
			hv := autodiff.Grad(autodiff.Sum(autodiff.Mul(g, v)), vars[T]{xv}, true)[0]
			tr = sumOrAdd(tr, autodiff.Sum(autodiff.Mul(hv, v)))
		}
		tr = autodiff.Scale(tr, 1/float64(s.Hutchinson))
	}
	loss = autodiff.Scale(autodiff.Sub(loss, tr), 1/float64(n))
	return loss, Stats{EPos: meanOf(e), ENeg: math.NaN()}, nil
}

func sumOrAdd[T tensor.Float](acc, v *autodiff.Var[T]) *autodiff.Var[T] {
	if acc == nil {
		return v
	}
	return autodiff.Add(acc, v)
}

// Projection kinds for SlicedSM.
const (
	ProjGaussian   = "gaussian"
	ProjRademacher = "rademacher"
	ProjSphere     = "sphere"
)

// projections returns an n×d matrix of random directions: standard normal,
// Rademacher (±1), or uniform on the sphere of radius √d. All three have
// E[vvᵀ] = I.
func projections[T tensor.Float](n, d int, kind string, rng *rand.Rand) *tensor.Dense[T] {
	v := tensor.New[T](n, d)
	for i := 0; i < n; i++ {
		row := v.Data[i*d : (i+1)*d]
		switch kind {
		case ProjRademacher:
			for j := range row {
				if rng.Uint64()&1 == 0 {
					row[j] = 1
				} else {
					row[j] = -1
				}
			}
		default:
			ss := 0.0
			for j := range row {
				z := rng.NormFloat64()
				row[j] = T(z)
				ss += z * z
			}
			if kind == ProjSphere {
				sc := math.Sqrt(float64(d) / ss)
				for j := range row {
					row[j] = T(float64(row[j]) * sc)
				}
			}
		}
	}
	return v
}

// SlicedSM is sliced score matching (Song et al. 2019): with the score
// s = −∇ₓE and random projections v (E[vvᵀ] = I), minimize
// E[vᵀ(∂s/∂x)v + ½(vᵀs)²] averaged over M projections per point. The
// variance-reduced form (VR) replaces ½(vᵀs)² by its expectation ½‖s‖².
// The loss differentiates a Hessian-vector product, so its parameter gradient
// is a third derivative of E.
type SlicedSM[T tensor.Float] struct {
	Projections int    // M ≥ 1
	Kind        string // ProjGaussian (default), ProjRademacher or ProjSphere
	VR          bool
}

// Name returns "ssm".
func (s *SlicedSM[T]) Name() string { return "ssm" }

// Loss records the sliced score matching loss of the batch.
func (s *SlicedSM[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	n, d := x.Rows, x.Cols
	mp := max(s.Projections, 1)
	kind := s.Kind
	if kind == "" {
		kind = ProjGaussian
	}
	switch kind {
	case ProjGaussian, ProjRademacher, ProjSphere:
	default:
		return nil, Stats{}, fmt.Errorf("ssm: unknown projection %q (valid: gaussian, rademacher, sphere)", kind)
	}
	xv := t.Input(x, true)
	e, g := gradX(t, m, xv)
	var loss *autodiff.Var[T]
	for p := 0; p < mp; p++ {
		v := t.Const(projections[T](n, d, kind, rng))
		gv := autodiff.Mul(g, v)
		hv := autodiff.Grad(autodiff.Sum(gv), vars[T]{xv}, true)[0]
		// vᵀ(∂s/∂x)v = −vᵀ(∇²E)v
		l := autodiff.Neg(autodiff.Sum(autodiff.Mul(hv, v)))
		if !s.VR {
			l = autodiff.Add(l, autodiff.Scale(autodiff.Sum(autodiff.Square(autodiff.SumCols(gv))), 0.5))
		}
		loss = sumOrAdd(loss, l)
	}
	if s.VR {
		loss = autodiff.Add(loss, autodiff.Scale(autodiff.Sum(autodiff.Square(g)), 0.5*float64(mp)))
	}
	loss = autodiff.Scale(loss, 1/float64(n*mp))
	return loss, Stats{EPos: meanOf(e), ENeg: math.NaN()}, nil
}

// DenoisingSM is denoising score matching (Vincent 2011). At one noise level σ
// (Sigma): with x̃ = x + σε, minimize E‖s(x̃) + (x̃ − x)/σ²‖²/2 =
// E‖ε/σ − ∇E(x̃)‖²/2; the model then fits the data convolved with N(0, σ²I).
//
// With several levels (Sigmas, e.g. GeometricSigmas) the model must be
// noise-conditional (energy.NoiseCondMLP): each point gets a level drawn
// uniformly and the loss is NCSN's σ²-weighted E‖σ∇E(x̃, σ) − ε‖²/2 (Song &
// Ermon 2019), so every level weighs about the same. Sample the result with
// annealed Langevin over the same levels.
type DenoisingSM[T tensor.Float] struct {
	Sigma  float64
	Sigmas []float64
}

// NoiseConditional is a model whose energy also takes the noise level: the
// rows of logSigma (n×1) are log σ for the rows of x.
type NoiseConditional[T tensor.Float] interface {
	BuildSigma(t *autodiff.Tape[T], x, logSigma *autodiff.Var[T]) *autodiff.Var[T]
}

// GeometricSigmas returns n levels from hi down to lo on a geometric schedule.
func GeometricSigmas(hi, lo float64, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		if n == 1 {
			s[i] = lo
			continue
		}
		s[i] = hi * math.Pow(lo/hi, float64(i)/float64(n-1))
	}
	return s
}

// Name returns "dsm".
func (s *DenoisingSM[T]) Name() string { return "dsm" }

// Loss records the denoising score matching loss of the batch.
func (s *DenoisingSM[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	if len(s.Sigmas) > 0 {
		return s.multi(t, m, x, rng)
	}
	if !(s.Sigma > 0) {
		return nil, Stats{}, fmt.Errorf("dsm: sigma must be > 0, got %v", s.Sigma)
	}
	n := x.Rows
	// x̃ and ε straight into the tape's buffers (as T: what Input would
	// convert x̃ to).
	xv := t.Scratch(x.Rows, x.Cols, true)
	ev := t.Scratch(x.Rows, x.Cols, false)
	xt, eps := xv.Value.Data, ev.Value.Data
	xd, sig := x.Data[:len(xt)], s.Sigma // no bounds checks, σ in a register
	eps = eps[:len(xt)]
	for i := range xt {
		z := rng.NormFloat64()
		xt[i] = T(xd[i] + sig*z)
		eps[i] = T(z / sig)
	}
	e, g := gradX(t, m, xv)
	r := autodiff.Sub(ev, g)
	loss := autodiff.Scale(autodiff.Sum(autodiff.Square(r)), 0.5/float64(n))
	return loss, Stats{EPos: meanOf(e), ENeg: math.NaN()}, nil
}

func (s *DenoisingSM[T]) multi(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	nc, ok := m.(NoiseConditional[T])
	if !ok {
		return nil, Stats{}, fmt.Errorf("dsm: several noise levels need a noise-conditional model")
	}
	for _, v := range s.Sigmas {
		if !(v > 0) {
			return nil, Stats{}, fmt.Errorf("dsm: noise level %v must be > 0", v)
		}
	}
	n, d := x.Rows, x.Cols
	xt := tensor.New[float64](n, d)
	eps := tensor.New[T](n, d)
	sig := tensor.New[T](n, 1)
	logSig := tensor.New[T](n, 1)
	for i := 0; i < n; i++ {
		sg := s.Sigmas[rng.IntN(len(s.Sigmas))]
		sig.Data[i], logSig.Data[i] = T(sg), T(math.Log(sg))
		for j := 0; j < d; j++ {
			z := rng.NormFloat64()
			xt.Data[i*d+j] = x.Data[i*d+j] + sg*z
			eps.Data[i*d+j] = T(z)
		}
	}
	xv := t.Input(xt, true)
	e := nc.BuildSigma(t, xv, t.Const(logSig))
	g := autodiff.Grad(autodiff.Sum(e), vars[T]{xv}, true)[0]
	// σ∇E(x̃, σ) − ε
	r := autodiff.Sub(autodiff.Mul(g, t.Const(sig)), t.Const(eps))
	loss := autodiff.Scale(autodiff.Sum(autodiff.Square(r)), 0.5/float64(n))
	return loss, Stats{EPos: meanOf(e), ENeg: math.NaN()}, nil
}

// KDESM is explicit score matching against a kernel density estimate: the
// target is the score of the Gaussian KDE p̂(x) = (1/N)Σⱼ N(x; xⱼ, h²I) of a
// reference sample,
//
//	∇ log p̂(x) = Σⱼ wⱼ(x)(xⱼ − x)/h²,  w = softmax(−‖x − xⱼ‖²/(2h²)),
//
// evaluated at points drawn from p̂ (a data point plus h·ε); the loss is
// E‖s(x) − ∇ log p̂(x)‖²/2. The model fits the KDE, i.e. the data smoothed by
// the bandwidth h.
type KDESM[T tensor.Float] struct {
	Ref       *tensor.Dense[float64] // the reference sample (N×d)
	Bandwidth float64                // h > 0

	sorted, sortedFrom *tensor.Dense[float64] // Ref sorted by its first coordinate
	key                []float64
}

// ScottBandwidth returns Scott's rule h = N^(−1/(d+4))·σ̄, with σ̄ the mean of
// the per-coordinate standard deviations of ref.
func ScottBandwidth(ref *tensor.Dense[float64]) float64 {
	n, d := ref.Rows, ref.Cols
	sd := 0.0
	for j := 0; j < d; j++ {
		var s, ss float64
		for i := 0; i < n; i++ {
			v := ref.Data[i*d+j]
			s += v
			ss += v * v
		}
		mu := s / float64(n)
		sd += math.Sqrt(math.Max(ss/float64(n)-mu*mu, 0))
	}
	sd /= float64(d)
	return math.Pow(float64(n), -1/float64(d+4)) * sd
}

// Name returns "kde".
func (s *KDESM[T]) Name() string { return "kde" }

// Loss records the KDE score-regression loss of the batch.
func (s *KDESM[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	if !(s.Bandwidth > 0) || s.Ref == nil || s.Ref.Rows == 0 {
		return nil, Stats{}, fmt.Errorf("kde: needs a reference sample and a bandwidth > 0")
	}
	if s.Ref.Cols != x.Cols {
		return nil, Stats{}, fmt.Errorf("kde: reference sample has %d columns, data %d", s.Ref.Cols, x.Cols)
	}
	n, d := x.Rows, x.Cols
	h := s.Bandwidth
	pts := tensor.New[float64](n, d)
	for i, v := range x.Data {
		pts.Data[i] = v + h*rng.NormFloat64()
	}
	tgt := tensor.New[T](n, d)
	s.kdeScores(pts, tgt)
	xv := t.Input(pts, true)
	e, g := gradX(t, m, xv)
	// s(x) − target = −g − target
	r := autodiff.Add(g, t.Const(tgt))
	loss := autodiff.Scale(autodiff.Sum(autodiff.Square(r)), 0.5/float64(n))
	return loss, Stats{EPos: meanOf(e), ENeg: math.NaN()}, nil
}

// kdeScores writes ∇ log p̂ at each row of pts into dst, split across cores.
//
// Reference points farther than r = √120·h in the first coordinate have
// log-weight below −60; when some point within the window has log-weight
// above −20, the excluded points weigh less than e⁻⁴⁰ each relative to it, so
// only the window is summed (the reference is kept sorted by its first
// coordinate to find it). Otherwise every point is summed.
func (s *KDESM[T]) kdeScores(pts *tensor.Dense[float64], dst *tensor.Dense[T]) {
	if s.sorted == nil || s.sortedFrom != s.Ref {
		s.sortRef()
	}
	N, d := s.sorted.Rows, s.sorted.Cols
	h2 := s.Bandwidth * s.Bandwidth
	r := math.Sqrt(120) * s.Bandwidth
	tensor.ParallelFor(pts.Rows, 16, func(lo, hi int) {
		lw := make([]float64, N)
		acc := make([]float64, d)
		for i := lo; i < hi; i++ {
			x := pts.Row(i)
			a := sort.SearchFloat64s(s.key, x[0]-r)
			b := sort.SearchFloat64s(s.key, x[0]+r)
			if !s.sum(x, a, b, h2, lw, acc) {
				s.sum(x, 0, N, h2, lw, acc)
			}
			for k := range acc {
				dst.Data[i*d+k] = T(acc[k] / h2)
			}
		}
	})
}

// sum accumulates Σ w_j (x_j − x) over reference rows [a, b) into acc and
// reports whether the largest log-weight exceeded −20 (the window suffices).
func (s *KDESM[T]) sum(x []float64, a, b int, h2 float64, lw, acc []float64) bool {
	d := s.sorted.Cols
	clear(acc)
	if a >= b {
		return false
	}
	w := lw[a:b]
	for j := a; j < b; j++ {
		r := s.sorted.Data[j*d : (j+1)*d]
		dd := 0.0
		for k, v := range r {
			dd += (x[k] - v) * (x[k] - v)
		}
		w[j-a] = -dd / (2 * h2)
	}
	lse := tensor.LogSumExp(w)
	if tensor.RowMaxOf(w) < -20 && (a > 0 || b < s.sorted.Rows) {
		return false
	}
	for j := a; j < b; j++ {
		e := w[j-a] - lse
		if e < -40 { // weight below 4e-18: no contribution in float64
			continue
		}
		wt := math.Exp(e)
		r := s.sorted.Data[j*d : (j+1)*d]
		for k, v := range r {
			acc[k] += wt * (v - x[k])
		}
	}
	return true
}

func (s *KDESM[T]) sortRef() {
	N, d := s.Ref.Rows, s.Ref.Cols
	idx := make([]int, N)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return s.Ref.Data[idx[a]*d] < s.Ref.Data[idx[b]*d] })
	s.sorted = tensor.GatherRows(nil, s.Ref, idx)
	s.key = make([]float64, N)
	for i := range s.key {
		s.key[i] = s.sorted.Data[i*d]
	}
	s.sortedFrom = s.Ref
}

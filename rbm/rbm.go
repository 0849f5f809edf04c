package rbm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/ebm-go/ebm/tensor"
)

// Visible names the type of the visible units.
type Visible int

const (
	// Bernoulli visible units take values in {0, 1}.
	Bernoulli Visible = iota
	// Gaussian visible units are real, with the parametrization of Cho, Ilin and
	// Raiko (2011), stated in the package documentation.
	Gaussian
)

// String returns "bernoulli" or "gaussian".
func (v Visible) String() string {
	switch v {
	case Bernoulli:
		return "bernoulli"
	case Gaussian:
		return "gaussian"
	}
	return fmt.Sprintf("Visible(%d)", int(v))
}

// ParseVisible parses "bernoulli" or "gaussian".
func ParseVisible(s string) (Visible, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "bernoulli", "binary":
		return Bernoulli, nil
	case "gaussian":
		return Gaussian, nil
	}
	return 0, fmt.Errorf("rbm: unknown visible unit type %q (want bernoulli or gaussian)", s)
}

// RBM is a restricted Boltzmann machine with binary hidden units and Bernoulli or
// Gaussian visible units; p(v, h) ∝ exp(−E(v, h)).
//
// Bernoulli: E(v, h) = −vᵀWh − bᵀv − cᵀh.
//
// Gaussian (Cho et al. 2011): E(v, h) = Σᵢ (vᵢ − bᵢ)²/(2σᵢ²) − Σᵢⱼ (vᵢ/σᵢ²)Wᵢⱼhⱼ − cᵀh
// with σᵢ² = exp(LogVar[i]).
//
// The parameters are float32 (the fast path); likelihoods, partition functions and
// free energies are computed and accumulated in float64. The fields may be set
// directly; Validate checks them. A Gibbs sampler built from an RBM snapshots Wᵀ,
// so call its Sync method after changing W.
type RBM struct {
	// Visible is the type of the visible units.
	Visible Visible
	// W holds the weights, NumVisible×NumHidden.
	W *tensor.Dense[float32]
	// B holds the visible biases (for Gaussian units, the means at h = 0).
	B []float32
	// C holds the hidden biases.
	C []float32
	// LogVar holds zᵢ = log σᵢ² for Gaussian visible units; nil for Bernoulli.
	LogVar []float32
	// Data describes the training data (image shape, standardization, base
	// rates for AIS); it is saved and loaded with the model. nil when unknown.
	Data *DataInfo
}

// InitStd is the standard deviation of the initial weights, as in scikit-learn's
// BernoulliRBM: W ~ N(0, 0.01²), biases 0.
const InitStd = 0.01

// New returns an RBM with nv visible and nh hidden units, weights drawn from
// N(0, InitStd²) with the given seed, biases 0 and, for Gaussian units, σᵢ = 1.
//
// nv·nh may not exceed MaxWeights (a *SizeError otherwise, before anything is
// allocated).
func New(visible Visible, nv, nh int, seed uint64) (*RBM, error) {
	if nv < 1 || nh < 1 {
		return nil, fmt.Errorf("rbm: need at least one visible and one hidden unit, got %d visible and %d hidden", nv, nh)
	}
	if err := checkSize("RBM", nv, nh); err != nil {
		return nil, err
	}
	if visible != Bernoulli && visible != Gaussian {
		return nil, fmt.Errorf("rbm: unknown visible unit type %d", int(visible))
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed1))
	r := &RBM{Visible: visible, W: tensor.New[float32](nv, nh), B: make([]float32, nv), C: make([]float32, nh)}
	for i := range r.W.Data {
		r.W.Data[i] = float32(InitStd * rng.NormFloat64())
	}
	if visible == Gaussian {
		r.LogVar = make([]float32, nv)
	}
	return r, nil
}

// NumVisible returns the number of visible units.
func (r *RBM) NumVisible() int { return r.W.Rows }

// NumHidden returns the number of hidden units.
func (r *RBM) NumHidden() int { return r.W.Cols }

// Clone returns a deep copy.
func (r *RBM) Clone() *RBM {
	c := &RBM{Visible: r.Visible, W: r.W.Clone(), B: append([]float32(nil), r.B...), C: append([]float32(nil), r.C...)}
	if r.LogVar != nil {
		c.LogVar = append([]float32(nil), r.LogVar...)
	}
	if r.Data != nil {
		d := *r.Data
		d.Mean = append([]float64(nil), d.Mean...)
		d.Std = append([]float64(nil), d.Std...)
		d.BaseBias = append([]float32(nil), d.BaseBias...)
		if r.Data.Mean == nil {
			d.Mean, d.Std = nil, nil
		}
		if r.Data.BaseBias == nil {
			d.BaseBias = nil
		}
		c.Data = &d
	}
	return c
}

// Validate checks the shapes of the parameters and that every one is finite.
func (r *RBM) Validate() error {
	if r == nil || r.W == nil {
		return errors.New("rbm: model has no weights")
	}
	nv, nh := r.W.Rows, r.W.Cols
	if nv < 1 || nh < 1 || len(r.W.Data) != nv*nh {
		return fmt.Errorf("rbm: weights have shape %s with %d values", r.W.Shape(), len(r.W.Data))
	}
	if len(r.B) != nv {
		return fmt.Errorf("rbm: %d visible biases for %d visible units", len(r.B), nv)
	}
	if len(r.C) != nh {
		return fmt.Errorf("rbm: %d hidden biases for %d hidden units", len(r.C), nh)
	}
	switch r.Visible {
	case Bernoulli:
		if r.LogVar != nil {
			return errors.New("rbm: Bernoulli visible units have no variances (LogVar must be nil)")
		}
	case Gaussian:
		if len(r.LogVar) != nv {
			return fmt.Errorf("rbm: %d log-variances for %d Gaussian visible units", len(r.LogVar), nv)
		}
	default:
		return fmt.Errorf("rbm: unknown visible unit type %d", int(r.Visible))
	}
	if err := r.Data.validate(nv); err != nil {
		return err
	}
	for name, s := range map[string][]float32{"W": r.W.Data, "B": r.B, "C": r.C, "LogVar": r.LogVar} {
		for i, v := range s {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("rbm: parameter %s[%d] is %v", name, i, v)
			}
		}
	}
	return nil
}

// DataError reports data that a model cannot use: wrong shape, NaN or infinite
// values, or non-binary values for Bernoulli units. Row and Col locate the first
// offending value (−1 when not applicable).
type DataError struct {
	Row, Col int
	Msg      string
}

func (e *DataError) Error() string { return "rbm: " + e.Msg }

// CheckData returns a *DataError when x cannot be fed to r's visible layer: a
// column count other than NumVisible, no rows, a NaN or infinite value, or (for
// Bernoulli units) a value other than 0 and 1. With fractional true, Bernoulli
// units also accept values in [0, 1], read as probabilities (mean-field inputs,
// as the upper layers of a deep belief net receive).
func (r *RBM) CheckData(x *tensor.Dense[float32], fractional bool) error {
	return checkData(x, r.NumVisible(), r.Visible == Bernoulli, fractional, "data")
}

func checkData(x *tensor.Dense[float32], nv int, binary, fractional bool, what string) error {
	if x == nil {
		return &DataError{-1, -1, what + " is nil"}
	}
	if x.Cols != nv {
		return &DataError{-1, -1, fmt.Sprintf("%s has %d columns but the model has %d visible units", what, x.Cols, nv)}
	}
	if x.Rows == 0 {
		return &DataError{-1, -1, what + " has no rows"}
	}
	if len(x.Data) != x.Rows*x.Cols {
		return &DataError{-1, -1, fmt.Sprintf("%s: %s matrix holds %d values", what, x.Shape(), len(x.Data))}
	}
	for i, v := range x.Data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return &DataError{i / x.Cols, i % x.Cols, fmt.Sprintf("%s contains %v at row %d, column %d", what, v, i/x.Cols, i%x.Cols)}
		}
		if !binary || v == 0 || v == 1 {
			continue
		}
		if fractional && v >= 0 && v <= 1 {
			continue
		}
		want := "binary data (0 or 1)"
		if fractional {
			want = "values in [0, 1]"
		}
		return &DataError{i / x.Cols, i % x.Cols, fmt.Sprintf("Bernoulli visible units need %s, but %s has %g at row %d, column %d (binarize it first, e.g. with a threshold of 0.5)",
			want, what, v, i/x.Cols, i%x.Cols)}
	}
	return nil
}

// Binarize returns a copy of x with every value ≥ threshold set to 1 and every
// other value set to 0.
func Binarize(x *tensor.Dense[float32], threshold float32) *tensor.Dense[float32] {
	y := tensor.New[float32](x.Rows, x.Cols)
	for i, v := range x.Data {
		if v >= threshold {
			y.Data[i] = 1
		}
	}
	return y
}

// IsBinary reports whether every value of x is 0 or 1.
func IsBinary(x *tensor.Dense[float32]) bool {
	for _, v := range x.Data {
		if v != 0 && v != 1 {
			return false
		}
	}
	return true
}

// params64 is a float64 copy of the parameters for exact computations.
type params64 struct {
	nv, nh int
	gauss  bool
	w      *tensor.Dense[float64] // nv×nh
	wt     *tensor.Dense[float64] // nh×nv
	b, c   []float64
	invVar []float64 // 1/σ² (Gaussian only)
	logVar []float64
}

func (r *RBM) params64() *params64 {
	p := &params64{nv: r.NumVisible(), nh: r.NumHidden(), gauss: r.Visible == Gaussian}
	p.w = tensor.Convert[float64](nil, r.W)
	p.wt = p.w.T()
	p.b = f64s(r.B)
	p.c = f64s(r.C)
	if p.gauss {
		p.logVar = f64s(r.LogVar)
		p.invVar = make([]float64, p.nv)
		for i, z := range p.logVar {
			p.invVar[i] = math.Exp(-z)
		}
	}
	return p
}

func f64s(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// softplus returns log(1 + eˣ) computed stably.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// logSigmoid returns log σ(x) = −softplus(−x).
func logSigmoid(x float64) float64 { return -softplus(-x) }

// hiddenInput64 returns the n×nh matrix c + ṽW in float64, where ṽ = v for
// Bernoulli units and v/σ² for Gaussian units.
func (p *params64) hiddenInput64(x *tensor.Dense[float32]) *tensor.Dense[float64] {
	x64 := tensor.Convert[float64](nil, x)
	if p.gauss {
		for i := 0; i < x64.Rows; i++ {
			row := x64.Row(i)
			for k := range row {
				row[k] *= p.invVar[k]
			}
		}
	}
	pre := tensor.New[float64](x.Rows, p.nh)
	for i := 0; i < x.Rows; i++ {
		copy(pre.Row(i), p.c)
	}
	tensor.Gemm(false, false, 1, x64, p.w, 1, pre)
	return pre
}

// freeEnergy64 returns F(v) for every row of x (already checked).
func (p *params64) freeEnergy64(x *tensor.Dense[float32], dst []float64) []float64 {
	if cap(dst) < x.Rows {
		dst = make([]float64, x.Rows)
	}
	dst = dst[:x.Rows]
	pre := p.hiddenInput64(x)
	tensor.ParallelFor(x.Rows, max(1, 4096/(p.nh+p.nv)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			f := 0.0
			for _, a := range pre.Row(i) {
				f -= softplus(a)
			}
			v := x.Row(i)
			if p.gauss {
				for k, vk := range v {
					d := float64(vk) - p.b[k]
					f += 0.5 * d * d * p.invVar[k]
				}
			} else {
				for k, vk := range v {
					f -= float64(vk) * p.b[k]
				}
			}
			dst[i] = f
		}
	})
	return dst
}

// FreeEnergy returns F(v) for every row v of x in dst (allocated when too short),
// computed in float64:
//
//	Bernoulli: F(v) = −bᵀv − Σⱼ softplus(cⱼ + vᵀW₋ⱼ)
//	Gaussian:  F(v) = Σᵢ (vᵢ − bᵢ)²/(2σᵢ²) − Σⱼ softplus(cⱼ + Σᵢ Wᵢⱼvᵢ/σᵢ²)
//
// so that p(v) = exp(−F(v))/Z, with softplus(a) = log(1 + eᵃ) evaluated stably.
// Bernoulli units accept values in [0, 1] here (F is then the usual
// mean-field extension); binary data is not required.
func (r *RBM) FreeEnergy(x *tensor.Dense[float32], dst []float64) ([]float64, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := r.CheckData(x, true); err != nil {
		return nil, err
	}
	return r.params64().freeEnergy64(x, dst), nil
}

// Energy returns E(v, h) for every pair of rows of v (n×NumVisible) and h
// (n×NumHidden), in float64.
func (r *RBM) Energy(v, h *tensor.Dense[float32]) ([]float64, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := r.CheckData(v, true); err != nil {
		return nil, err
	}
	if err := checkData(h, r.NumHidden(), true, true, "hidden states"); err != nil {
		return nil, err
	}
	if h.Rows != v.Rows {
		return nil, fmt.Errorf("rbm: %d visible rows but %d hidden rows", v.Rows, h.Rows)
	}
	p := r.params64()
	pre := p.hiddenInput64(v) // c + ṽW
	e := make([]float64, v.Rows)
	for i := range e {
		s := 0.0
		for j, hj := range h.Row(i) {
			s -= float64(hj) * pre.At(i, j)
		}
		for k, vk := range v.Row(i) {
			if p.gauss {
				d := float64(vk) - p.b[k]
				s += 0.5 * d * d * p.invVar[k]
			} else {
				s -= float64(vk) * p.b[k]
			}
		}
		e[i] = s
	}
	return e, nil
}

// Transform returns the hidden probabilities p(hⱼ = 1 | v) for every row of x: the
// features scikit-learn's BernoulliRBM.transform gives. Bernoulli units accept
// values in [0, 1].
func (r *RBM) Transform(x *tensor.Dense[float32]) (*tensor.Dense[float32], error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := r.CheckData(x, true); err != nil {
		return nil, err
	}
	return r.hiddenProbs(nil, x), nil
}

// hiddenProbs sets dst = σ(c + ṽW) (no checks).
func (r *RBM) hiddenProbs(dst, x *tensor.Dense[float32]) *tensor.Dense[float32] {
	in := x
	if r.Visible == Gaussian {
		in = scaleCols(nil, x, invVar32(r.LogVar))
	}
	dst = tensor.Reuse(dst, x.Rows, r.NumHidden())
	var mj mulJob
	mj.mul(dst, r.C, in, nil, r.W)
	var sj sigmoidJob
	sj.apply(dst.Data)
	return dst
}

// visibleMeans sets dst = E[v | h]: σ(b + hWᵀ) for Bernoulli units, b + hWᵀ for
// Gaussian ones (no checks); wt is Wᵀ.
func (r *RBM) visibleMeans(dst, h, wt *tensor.Dense[float32]) *tensor.Dense[float32] {
	dst = tensor.Reuse(dst, h.Rows, r.NumVisible())
	var mj mulJob
	mj.mul(dst, r.B, h, nil, wt)
	if r.Visible == Bernoulli {
		var sj sigmoidJob
		sj.apply(dst.Data)
	}
	return dst
}

// Reconstruct returns the mean-field reconstruction E[v | h = p(h | x)] of every
// row of x: σ(b + p(h|x)Wᵀ) for Bernoulli units, b + p(h|x)Wᵀ for Gaussian ones.
func (r *RBM) Reconstruct(x *tensor.Dense[float32]) (*tensor.Dense[float32], error) {
	h, err := r.Transform(x)
	if err != nil {
		return nil, err
	}
	return r.visibleMeans(nil, h, r.W.T()), nil
}

// ReconError returns the mean squared error per value between x and its
// mean-field reconstruction (the peer's recon_mse_test), accumulated in float64.
func (r *RBM) ReconError(x *tensor.Dense[float32]) (float64, error) {
	rec, err := r.Reconstruct(x)
	if err != nil {
		return 0, err
	}
	s := 0.0
	for i, v := range rec.Data {
		d := float64(v) - float64(x.Data[i])
		s += d * d
	}
	return s / float64(len(x.Data)), nil
}

// invVar32 returns 1/σᵢ² = exp(−zᵢ).
func invVar32(logVar []float32) []float32 {
	d := make([]float32, len(logVar))
	for i, z := range logVar {
		d[i] = float32(math.Exp(-float64(z)))
	}
	return d
}

// scaleCols sets dst[i, k] = x[i, k]·s[k].
func scaleCols(dst, x *tensor.Dense[float32], s []float32) *tensor.Dense[float32] {
	dst = tensor.Reuse(dst, x.Rows, x.Cols)
	for i := 0; i < x.Rows; i++ {
		d, xr := dst.Row(i), x.Row(i)
		for k, v := range xr {
			d[k] = v * s[k]
		}
	}
	return dst
}

// VisibleMeans returns E[v | h] for every row of h (n×NumHidden, values in
// [0, 1]): σ(b + hWᵀ) for Bernoulli units, b + hWᵀ for Gaussian ones.
func (r *RBM) VisibleMeans(h *tensor.Dense[float32]) (*tensor.Dense[float32], error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := checkData(h, r.NumHidden(), true, true, "hidden states"); err != nil {
		return nil, err
	}
	return r.visibleMeans(nil, h, r.W.T()), nil
}

// FreeEnergyModel adapts an RBM to energy.Energy: its energy is the free energy
// F(v), so that p(v) ∝ exp(−F(v)) is the RBM's visible marginal. Parameters are
// read at every call.
type FreeEnergyModel struct{ R *RBM }

// Dim returns the number of visible units.
func (f FreeEnergyModel) Dim() int { return f.R.NumVisible() }

// Energy writes F(xₙ) into e[n]; it panics on a batch of the wrong shape or an
// invalid model (programming errors), as energy.Energy implementations do.
func (f FreeEnergyModel) Energy(x *tensor.Dense[float64], e []float64) {
	if x.Cols != f.R.NumVisible() || len(e) != x.Rows {
		panic(fmt.Sprintf("rbm: FreeEnergyModel.Energy of %s into %d values for %d visible units", x.Shape(), len(e), f.R.NumVisible()))
	}
	f.energy32(tensor.Convert[float32](nil, x), e)
}

// energy32 writes F(xₙ) into e[n] for a float32 batch of the right shape.
func (f FreeEnergyModel) energy32(x *tensor.Dense[float32], e []float64) {
	if err := f.R.Validate(); err != nil {
		panic(err)
	}
	copy(e, f.R.params64().freeEnergy64(x, nil))
}

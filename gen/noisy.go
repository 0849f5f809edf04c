package gen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// DefaultK is the default number of latent importance samples per draw. With
// 50, the density estimate of LogDensity was too noisy for importance-weighted
// adversarial training on 8gaussians (grid NLL 3.16–3.27 against 2.85–2.95
// with 200; BENCHMARKS.md).
const DefaultK = 200

// ProposalInflation scales the proposal of Noisy's importance sampler
// relative to the linearized posterior (see Noisy).
const ProposalInflation = 1.5

// Noisy is the noisy generator x = g(z) + σε, z ~ N(0, I_l), ε ~ N(0, I_d),
// with g an MLP and σ = exp(log σ) learned (or fixed).
//
// Entropy gradient. With x = g(z) + σε reparameterized, the score-function
// identity E_q[∇_φ log q(x)] = 0 leaves
//
//	∇_φ H(q) = −E[ s(x)ᵀ ∂x/∂φ ],  s(x) = ∇ₓ log q(x),
//
// and, since q(x|z) is Gaussian, s(x) = E_{z~q(z|x)}[(g(z) − x)/σ²]. The
// posterior expectation is estimated per draw by self-normalized importance
// sampling with K draws z_k from a Gaussian proposal centred on the
// linearized posterior at the z₀ that produced x: with J = ∂g/∂z at z₀,
// precision P = I + JᵀJ/σ², mean m = z₀ + P⁻¹(Jᵀ(x − g(z₀))/σ² − z₀) (the
// mode of the posterior with g linearized at z₀), covariance
// ProposalInflation²·P⁻¹, weights w_k ∝ N(z_k; 0, I)·N(x; g(z_k), σ²I) /
// proposal(z_k). (VERA, Grathwohl et al. 2021, uses the same posterior
// identity with a learned isotropic proposal around z₀.) The estimate is
// consistent (its bias vanishes as K grows, like every self-normalized
// importance sampler) but not unbiased; for a linear g the linearized
// posterior is the exact posterior's shape, so only the inflation's weights
// vary. DrawNegEntropy returns the surrogate mean_i sᵢᵀxᵢ with s held
// constant: its gradient is the estimate of −∇_φ H(q).
type Noisy[T tensor.Float] struct {
	G        *nn.MLP[T]
	LogSigma *autodiff.Param[T] // 1×1
	// LearnSigma makes log σ a parameter (in Params).
	LearnSigma bool
	// K is the number of importance samples per draw (0: DefaultK).
	K int

	scratch *autodiff.Tape[T]
}

// NoisyConfig configures NewNoisy.
type NoisyConfig struct {
	Dim, Latent int
	Hidden      []int  // hidden widths of g (none: g is affine)
	Act         string // activation of g (default "silu")
	Sigma       float64
	LearnSigma  bool
	K           int
}

// NewNoisy builds a noisy generator with weights drawn from seed.
func NewNoisy[T tensor.Float](c NoisyConfig, seed uint64) (*Noisy[T], error) {
	if c.Dim < 1 || c.Latent < 1 {
		return nil, fmt.Errorf("gen: noisy sampler needs dimension and latent ≥ 1, got %d and %d", c.Dim, c.Latent)
	}
	if !(c.Sigma > 0) || math.IsInf(c.Sigma, 0) {
		return nil, fmt.Errorf("gen: noisy sampler sigma must be > 0, got %v", c.Sigma)
	}
	if c.Act == "" {
		c.Act = "silu"
	}
	act, err := nn.ActivationByName(c.Act)
	if err != nil {
		return nil, err
	}
	sizes := append(append([]int{c.Latent}, c.Hidden...), c.Dim)
	g, err := nn.NewMLP[T](sizes, act, nn.MLPOptions{Init: nn.InitTorch}, rand.New(rand.NewPCG(seed, 0x67656e)))
	if err != nil {
		return nil, err
	}
	ls := autodiff.NewParam("noisy.logsigma", tensor.Scalar(T(math.Log(c.Sigma))))
	return &Noisy[T]{G: g, LogSigma: ls, LearnSigma: c.LearnSigma, K: c.K}, nil
}

// Dim returns d.
func (q *Noisy[T]) Dim() int { return q.G.Out() }

// Latent returns l.
func (q *Noisy[T]) Latent() int { return q.G.In() }

// Sigma returns σ.
func (q *Noisy[T]) Sigma() float64 { return math.Exp(float64(q.LogSigma.Value.Data[0])) }

// Params returns g's parameters and, with LearnSigma, log σ.
func (q *Noisy[T]) Params() []*autodiff.Param[T] {
	ps := q.G.Params()
	if q.LearnSigma {
		ps = append(ps, q.LogSigma)
	}
	return ps
}

// DrawPoints returns n draws as float64 rows (no tape kept).
func (q *Noisy[T]) DrawPoints(n int, rng *rand.Rand) (*tensor.Dense[float64], error) {
	if n < 1 {
		return nil, fmt.Errorf("gen: cannot draw %d points", n)
	}
	if q.scratch == nil {
		q.scratch = autodiff.NewTape[T]()
	}
	q.scratch.Reset()
	x, _, _ := q.draw(q.scratch, n, rng)
	return tensor.Convert(tensor.New[float64](n, q.Dim()), x.Value), nil
}

// draw records x = g(z) + σε on t and returns it with z and ε.
func (q *Noisy[T]) draw(t *autodiff.Tape[T], n int, rng *rand.Rand) (x *autodiff.Var[T], z, eps *tensor.Dense[T]) {
	l, d := q.Latent(), q.Dim()
	z, eps = tensor.New[T](n, l), tensor.New[T](n, d)
	for i := range z.Data {
		z.Data[i] = T(rng.NormFloat64())
	}
	for i := range eps.Data {
		eps.Data[i] = T(rng.NormFloat64())
	}
	sigma := autodiff.Exp(t.Param(q.LogSigma))
	x = autodiff.Add(q.G.Forward(t, t.Const(z)), autodiff.Mul(t.Const(eps), sigma))
	return x, z, eps
}

// DrawNegEntropy records n draws x on t and the surrogate whose gradient
// estimates −∇H(q) (see Noisy); exact is false.
func (q *Noisy[T]) DrawNegEntropy(t *autodiff.Tape[T], n int, rng *rand.Rand) (x, negH *autodiff.Var[T], exact bool, err error) {
	if n < 1 {
		return nil, nil, false, fmt.Errorf("gen: cannot draw %d points", n)
	}
	x, z, _ := q.draw(t, n, rng)
	s, err := q.Score(x.Value, z, rng)
	if err != nil {
		return nil, nil, false, err
	}
	negH = autodiff.Scale(autodiff.Sum(autodiff.Mul(t.Const(s), x)), 1/float64(n))
	return x, negH, false, nil
}

// Score estimates s(x) = ∇ₓ log q(x) for the rows of x, each drawn from the
// latent row z₀ of z, by the importance sampler described at Noisy. Weights
// that make the posterior degenerate (non-finite values) give NaN scores, so
// that a loss built on them is NaN and a trainer's divergence check rolls
// back.
func (q *Noisy[T]) Score(x, z *tensor.Dense[T], rng *rand.Rand) (*tensor.Dense[T], error) {
	s, _, err := q.posterior(x, z, rng, nil)
	return s, err
}

// LogDensity estimates log q(x) for the rows of x, each drawn from the latent
// row z₀ of z, with the importance sampler described at Noisy:
//
//	q̂(x) = (1/K) Σₖ N(z_k; 0, I)·N(x; g(z_k), σ²I) / proposal(z_k),
//
// an unbiased estimate of q(x) (its logarithm is consistent, biased low by
// Jensen's inequality for finite K). Rows whose proposal degenerates get NaN.
func (q *Noisy[T]) LogDensity(x, z *tensor.Dense[T], rng *rand.Rand) ([]float64, error) {
	logq := make([]float64, x.Rows)
	_, _, err := q.posterior(x, z, rng, logq)
	return logq, err
}

// DrawPointsLogQ returns n draws as float64 rows with LogDensity's estimates
// of their log densities.
func (q *Noisy[T]) DrawPointsLogQ(n int, rng *rand.Rand) (*tensor.Dense[float64], []float64, error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("gen: cannot draw %d points", n)
	}
	if q.scratch == nil {
		q.scratch = autodiff.NewTape[T]()
	}
	q.scratch.Reset()
	xv, z, _ := q.draw(q.scratch, n, rng)
	x := xv.Value.Clone()
	logq, err := q.LogDensity(x, z, rng)
	if err != nil {
		return nil, nil, err
	}
	return tensor.Convert(tensor.New[float64](n, q.Dim()), x), logq, nil
}

// posterior runs the importance sampler of Noisy for every row of x and
// returns the score estimates; with logq non-nil it also fills logq[i] with
// the log of the unbiased density estimate of LogDensity.
func (q *Noisy[T]) posterior(x, z *tensor.Dense[T], rng *rand.Rand, logq []float64) (*tensor.Dense[T], []float64, error) {
	n, l, d := x.Rows, q.Latent(), q.Dim()
	if z.Rows != n || z.Cols != l || x.Cols != d {
		return nil, nil, fmt.Errorf("gen: Score needs x n×%d and z n×%d, got %s and %s", d, l, x.Shape(), z.Shape())
	}
	nanAll := func() (*tensor.Dense[T], []float64, error) {
		for i := range logq {
			logq[i] = math.NaN()
		}
		return nanDense[T](n, d), logq, nil
	}
	k := q.K
	if k <= 0 {
		k = DefaultK
	}
	sig2 := q.Sigma() * q.Sigma()
	if q.scratch == nil {
		q.scratch = autodiff.NewTape[T]()
	}
	t := q.scratch
	// g(z₀) and its Jacobian rows J[j, :] = ∂g_j/∂z at every z₀.
	t.Reset()
	zv := t.Input(tensor.Convert(tensor.New[float64](n, l), z), true)
	gz := q.G.Forward(t, zv)
	g0 := gz.Value.Clone()
	jac := make([]*tensor.Dense[T], d)
	for j := 0; j < d; j++ {
		jac[j] = autodiff.Grad(autodiff.Sum(autodiff.SliceCols(gz, j, j+1)), []*autodiff.Var[T]{zv}, false)[0].Value.Clone()
	}
	// Proposal per point: mean m_i, Cholesky factor C_i of τ²P_i⁻¹.
	means := make([]float64, n*l)
	chol := make([]*mat.TriDense, n)
	logDetC := make([]float64, n)
	zk := tensor.New[float64](n*k, l)
	u := make([]float64, n*k*l)
	for i := 0; i < n; i++ {
		p := mat.NewSymDense(l, nil)
		for a := 0; a < l; a++ {
			for b := a; b < l; b++ {
				v := 0.0
				for j := 0; j < d; j++ {
					v += float64(jac[j].At(i, a)) * float64(jac[j].At(i, b))
				}
				v /= sig2
				if a == b {
					v++
				}
				p.SetSym(a, b, v)
			}
		}
		var pc mat.Cholesky
		if !pc.Factorize(p) {
			return nanAll() // non-finite weights: a divergence
		}
		var cov mat.SymDense
		if err := pc.InverseTo(&cov); err != nil {
			return nanAll()
		}
		cov.ScaleSym(ProposalInflation*ProposalInflation, &cov)
		var cc mat.Cholesky
		if !cc.Factorize(&cov) {
			return nanAll()
		}
		chol[i] = mat.NewTriDense(l, mat.Lower, nil)
		cc.LTo(chol[i])
		for a := 0; a < l; a++ {
			logDetC[i] += math.Log(chol[i].At(a, a))
		}
		// m = z₀ + P⁻¹(Jᵀ(x − g(z₀))/σ² − z₀)
		jr := make([]float64, l)
		for a := 0; a < l; a++ {
			jr[a] = -float64(z.At(i, a))
			for j := 0; j < d; j++ {
				jr[a] += float64(jac[j].At(i, a)) * (float64(x.At(i, j)) - float64(g0.At(i, j))) / sig2
			}
		}
		for a := 0; a < l; a++ {
			m := float64(z.At(i, a))
			for b := 0; b < l; b++ {
				m += cov.At(a, b) / (ProposalInflation * ProposalInflation) * jr[b]
			}
			means[i*l+a] = m
		}
		for r := 0; r < k; r++ {
			row := zk.Row(i*k + r)
			uu := u[(i*k+r)*l : (i*k+r+1)*l]
			for a := range uu {
				uu[a] = rng.NormFloat64()
			}
			for a := 0; a < l; a++ {
				v := means[i*l+a]
				for b := 0; b <= a; b++ {
					v += chol[i].At(a, b) * uu[b]
				}
				row[a] = v
			}
		}
	}
	t.Reset()
	gk := q.G.Forward(t, t.Input(zk, false)).Value
	s := tensor.New[T](n, d)
	lw := make([]float64, k)
	for i := 0; i < n; i++ {
		mx := math.Inf(-1)
		for r := 0; r < k; r++ {
			row, uu := zk.Row(i*k+r), u[(i*k+r)*l:(i*k+r+1)*l]
			v := 0.0
			for a := 0; a < l; a++ {
				v += -0.5*row[a]*row[a] + 0.5*uu[a]*uu[a]
			}
			for j := 0; j < d; j++ {
				e := float64(x.At(i, j)) - float64(gk.At(i*k+r, j))
				v -= 0.5 * e * e / sig2
			}
			lw[r] = v + logDetC[i]
			mx = math.Max(mx, lw[r])
		}
		tot := 0.0
		for r := range lw {
			lw[r] = math.Exp(lw[r] - mx)
			tot += lw[r]
		}
		for j := 0; j < d; j++ {
			v := 0.0
			for r := 0; r < k; r++ {
				v += lw[r] * (float64(gk.At(i*k+r, j)) - float64(x.At(i, j)))
			}
			s.Set(i, j, T(v/tot/sig2))
		}
		if logq != nil {
			logq[i] = mx + math.Log(tot/float64(k)) - 0.5*float64(d)*math.Log(2*math.Pi*sig2)
		}
	}
	return s, logq, nil
}

// nanDense is the score of a diverged generator: NaN everywhere, so that the
// loss it enters is NaN and a trainer rolls back.
func nanDense[T tensor.Float](n, d int) *tensor.Dense[T] {
	return tensor.Full[T](n, d, T(math.NaN()))
}

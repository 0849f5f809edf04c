package restore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/ising"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/tensor"
)

// BinaryPosterior is the posterior over binary images v ∈ {0,1}^V under a
// Bernoulli RBM prior, E(v, h) = −vᵀWh − bᵀv − cᵀh, given observations y with
// independent bit flips of rate ρ. Since log p(yᵢ | vᵢ) = vᵢ(2yᵢ − 1)λ + const
// with λ = log((1−ρ)/ρ), the posterior is the same RBM with visible biases
//
//	b'ᵢ = bᵢ + λ(2yᵢ − 1)
//
// for each observation (one row of Bias per observation). Clamped units
// (inpainting, conditioning) keep their observed values. Chain c belongs to
// observation c mod m. Parameters are float64 copies of the RBM's.
type BinaryPosterior struct {
	W      *tensor.Dense[float64] // V×H
	C      []float64              // hidden biases
	Bias   *tensor.Dense[float64] // m×V: b + λ(2y − 1)
	Y      *tensor.Dense[float64] // m×V observations in {0, 1}
	Clamp  []bool                 // nil or V flags: unit fixed at its observed value
	Lambda float64
}

// RBMPosterior returns the posterior of the binary observations y (m×V, every
// entry 0 or 1) under the Bernoulli RBM r with flip rate rate ∈ (0, 0.5]
// (0.5: the observation says nothing, for pure inpainting). clamp, if not
// nil, marks visible units held at their observed values. Errors: a Gaussian
// or invalid RBM, a rate outside (0, 0.5], observations of the wrong width or
// not binary (naming the row and column), a clamp mask of the wrong length.
func RBMPosterior(r *rbm.RBM, y *tensor.Dense[float64], rate float64, clamp []bool) (*BinaryPosterior, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Visible != rbm.Bernoulli {
		return nil, errors.New("restore: the RBM has Gaussian visible units; bit-flip restoration needs Bernoulli units")
	}
	if !(rate > 0 && rate <= 0.5) {
		return nil, fmt.Errorf("restore: flip rate %v, want 0 < rate ≤ 0.5", rate)
	}
	nv, nh := r.NumVisible(), r.NumHidden()
	if err := checkObs(y); err != nil {
		return nil, err
	}
	if y.Cols != nv {
		return nil, fmt.Errorf("restore: the observations have %d values per row, the RBM has %d visible units", y.Cols, nv)
	}
	for i, v := range y.Data {
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("restore: observation %d, unit %d is %v, want 0 or 1", i/nv, i%nv, v)
		}
	}
	if clamp != nil && len(clamp) != nv {
		return nil, fmt.Errorf("restore: the clamp mask has %d entries, the RBM has %d visible units", len(clamp), nv)
	}
	p := &BinaryPosterior{W: tensor.New[float64](nv, nh), C: make([]float64, nh), Bias: tensor.New[float64](y.Rows, nv),
		Y: y.Clone(), Lambda: math.Log((1 - rate) / rate)}
	if clamp != nil {
		p.Clamp = append([]bool(nil), clamp...)
	}
	for i, v := range r.W.Data {
		p.W.Data[i] = float64(v)
	}
	for j, v := range r.C {
		p.C[j] = float64(v)
	}
	for i := 0; i < y.Rows; i++ {
		for k, v := range y.Row(i) {
			p.Bias.Row(i)[k] = float64(r.B[k]) + p.Lambda*(2*v-1)
		}
	}
	return p, nil
}

// FreeEnergy returns the posterior free energy of the rows of x (n×V, n a
// multiple of m): F(v) = −b'ᵀv − Σⱼ softplus(cⱼ + vᵀW₋ⱼ), up to a constant the
// negative log posterior.
func (p *BinaryPosterior) FreeEnergy(x *tensor.Dense[float64]) []float64 {
	a := p.hiddenInput(nil, x, 1)
	out := make([]float64, x.Rows)
	m := p.Bias.Rows
	for r := range out {
		s := -tensor.Dot(p.Bias.Row(r%m), x.Row(r))
		for _, v := range a.Row(r) {
			s -= softplus(v)
		}
		out[r] = s
	}
	return out
}

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// hiddenInput returns (c + vW)/T in dst (n×H).
func (p *BinaryPosterior) hiddenInput(dst, v *tensor.Dense[float64], T float64) *tensor.Dense[float64] {
	dst = tensor.MatMul(dst, v, false, p.W, false)
	for r := 0; r < dst.Rows; r++ {
		row := dst.Row(r)
		for j := range row {
			row[j] = (row[j] + p.C[j]) / T
		}
	}
	return dst
}

// visibleInput returns (b' + Wh)/T in dst (n×V).
func (p *BinaryPosterior) visibleInput(dst, h *tensor.Dense[float64], T float64) *tensor.Dense[float64] {
	dst = tensor.MatMul(dst, h, false, p.W, true)
	m := p.Bias.Rows
	for r := 0; r < dst.Rows; r++ {
		row, b := dst.Row(r), p.Bias.Row(r%m)
		for k := range row {
			row[k] = (row[k] + b[k]) / T
		}
	}
	return dst
}

// GibbsConfig configures Gibbs sampling of a BinaryPosterior. Zero fields
// take the defaults given.
type GibbsConfig struct {
	Chains int    // chains per observation (default 4)
	Burn   int    // sweeps discarded (default 200)
	Sweeps int    // sweeps averaged (default 500)
	Seed   uint64 // chain c draws from rand.NewPCG(Seed, c)
	// Progress, if not nil, is called after every sweep.
	Progress func(done, total int)
}

// BinaryEstimate summarizes a posterior over binary images: the marginals
// p(vᵢ = 1 | y), their mode (1 where the marginal exceeds ½, which minimizes
// the expected number of wrong bits) and the per-unit standard deviation
// √(p(1−p)).
type BinaryEstimate struct {
	Marginals, Mode, SD *tensor.Dense[float64]
}

// Gibbs runs block Gibbs sampling (h ~ p(h | v), then v ~ p(v | h)) of the
// posterior with cfg.Chains chains per observation started at the
// observations, discards cfg.Burn sweeps and averages the Rao-Blackwellized
// marginals p(vᵢ = 1 | h) over cfg.Sweeps sweeps and all chains of an
// observation. Clamped units stay at their observed values (marginal 0 or 1).
func (p *BinaryPosterior) Gibbs(ctx context.Context, cfg GibbsConfig) (*BinaryEstimate, error) {
	if cfg.Chains == 0 {
		cfg.Chains = 4
	}
	if cfg.Burn == 0 {
		cfg.Burn = 200
	}
	if cfg.Sweeps == 0 {
		cfg.Sweeps = 500
	}
	if cfg.Chains < 1 || cfg.Burn < 0 || cfg.Sweeps < 1 {
		return nil, fmt.Errorf("restore: Gibbs: chains %d, burn %d, sweeps %d: want chains, sweeps ≥ 1, burn ≥ 0", cfg.Chains, cfg.Burn, cfg.Sweeps)
	}
	m := p.Bias.Rows
	s := p.newChains(cfg.Chains, cfg.Seed)
	acc := tensor.New[float64](m, p.W.Rows)
	total := cfg.Burn + cfg.Sweeps
	for it := 0; it < total; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.sweep(p, 1)
		if it >= cfg.Burn {
			for r := 0; r < s.v.Rows; r++ {
				a, pv := acc.Row(r%m), s.pv.Row(r)
				for k, q := range pv {
					a[k] += q
				}
			}
		}
		if cfg.Progress != nil {
			cfg.Progress(it+1, total)
		}
	}
	scale := 1 / float64(cfg.Chains*cfg.Sweeps)
	for i := range acc.Data {
		acc.Data[i] *= scale
	}
	p.clampMarginals(acc)
	return newBinaryEstimate(acc), nil
}

func newBinaryEstimate(marg *tensor.Dense[float64]) *BinaryEstimate {
	mode := tensor.New[float64](marg.Rows, marg.Cols)
	sd := tensor.New[float64](marg.Rows, marg.Cols)
	for i, q := range marg.Data {
		if q > 0.5 {
			mode.Data[i] = 1
		}
		sd.Data[i] = math.Sqrt(math.Max(0, q*(1-q)))
	}
	return &BinaryEstimate{Marginals: marg, Mode: mode, SD: sd}
}

func (p *BinaryPosterior) clampMarginals(marg *tensor.Dense[float64]) {
	if p.Clamp == nil {
		return
	}
	for r := 0; r < marg.Rows; r++ {
		for k, c := range p.Clamp {
			if c {
				marg.Row(r)[k] = p.Y.Row(r % p.Y.Rows)[k]
			}
		}
	}
}

// chains holds the state of block Gibbs chains.
type chains struct {
	v, h, a, pv *tensor.Dense[float64]
	rngs        []*rand.Rand
}

func (p *BinaryPosterior) newChains(k int, seed uint64) *chains {
	m, nv := p.Bias.Rows, p.W.Rows
	n := k * m
	s := &chains{v: tensor.New[float64](n, nv), rngs: make([]*rand.Rand, n)}
	for c := 0; c < n; c++ {
		copy(s.v.Row(c), p.Y.Row(c%m))
		s.rngs[c] = rand.New(rand.NewPCG(seed, uint64(c)))
	}
	s.h = tensor.New[float64](n, p.W.Cols)
	return s
}

// sweep runs one block Gibbs sweep at temperature T; pv keeps p(v = 1 | h).
func (s *chains) sweep(p *BinaryPosterior, T float64) {
	s.a = p.hiddenInput(s.a, s.v, T)
	for c := 0; c < s.v.Rows; c++ {
		r, a, h := s.rngs[c], s.a.Row(c), s.h.Row(c)
		for j, x := range a {
			h[j] = bit(r.Float64() < sigmoid(x))
		}
	}
	s.pv = p.visibleInput(s.pv, s.h, T)
	m := p.Y.Rows
	for c := 0; c < s.v.Rows; c++ {
		r, pv, v := s.rngs[c], s.pv.Row(c), s.v.Row(c)
		for k, x := range pv {
			q := sigmoid(x)
			pv[k] = q
			v[k] = bit(r.Float64() < q)
		}
		if p.Clamp != nil {
			y := p.Y.Row(c % m)
			for k, cl := range p.Clamp {
				if cl {
					v[k] = y[k]
				}
			}
		}
	}
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// ICM runs iterated conditional modes on the posterior free energy from the
// rows of x0 (n×V, n a multiple of m; nil: the observations): raster sweeps
// flip unit i whenever that lowers F (clamped units never move), with
// ΔF = −δ b'ᵢ − Σⱼ [softplus(aⱼ + δWᵢⱼ) − softplus(aⱼ)], δ = 1 − 2vᵢ, until a
// sweep changes nothing or maxSweeps (default 50) sweeps. It returns the
// result and the number of sweeps; each flip lowers F, so it terminates.
func (p *BinaryPosterior) ICM(ctx context.Context, x0 *tensor.Dense[float64], maxSweeps int) (*tensor.Dense[float64], int, error) {
	if x0 == nil {
		x0 = p.Y
	}
	if x0.Cols != p.W.Rows || x0.Rows%p.Y.Rows != 0 {
		return nil, 0, fmt.Errorf("restore: ICM: starting points are %d×%d, want a multiple of %d rows of %d units", x0.Rows, x0.Cols, p.Y.Rows, p.W.Rows)
	}
	if maxSweeps <= 0 {
		maxSweeps = 50
	}
	x := x0.Clone()
	a := p.hiddenInput(nil, x, 1)
	m, nh := p.Y.Rows, p.W.Cols
	sweeps := 0
	for sweeps < maxSweeps {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		sweeps++
		changed := false
		for r := 0; r < x.Rows; r++ {
			v, ar, b := x.Row(r), a.Row(r), p.Bias.Row(r%m)
			for k := range v {
				if p.Clamp != nil && p.Clamp[k] {
					continue
				}
				d := 1 - 2*v[k]
				w := p.W.Data[k*nh : (k+1)*nh]
				dF := -d * b[k]
				for j, aj := range ar {
					dF -= softplus(aj+d*w[j]) - softplus(aj)
				}
				if dF < 0 {
					v[k] += d
					for j := range ar {
						ar[j] += d * w[j]
					}
					changed = true
				}
			}
		}
		if !changed {
			break
		}
	}
	return x, sweeps, nil
}

// AnnealConfig configures Anneal. Zero fields take the defaults given.
type AnnealConfig struct {
	Sweeps   int     // annealing sweeps (default 200)
	T0, TEnd float64 // temperatures, falling geometrically (defaults 4 and 0.05)
	Seed     uint64
	// Progress, if not nil, is called after every sweep.
	Progress func(done, total int)
}

// Anneal runs simulated annealing towards the posterior mode: block Gibbs
// sweeps of one chain per observation at temperatures
// T_k = T0·(TEnd/T0)^(k/(Sweeps−1)), then ICM to a fixed point (the T → 0
// limit).
func (p *BinaryPosterior) Anneal(ctx context.Context, cfg AnnealConfig) (*tensor.Dense[float64], error) {
	if cfg.Sweeps == 0 {
		cfg.Sweeps = 200
	}
	if cfg.T0 == 0 {
		cfg.T0 = 4
	}
	if cfg.TEnd == 0 {
		cfg.TEnd = 0.05
	}
	if cfg.Sweeps < 1 || !(cfg.T0 > 0) || !(cfg.TEnd > 0) || cfg.TEnd > cfg.T0 || math.IsInf(cfg.T0, 0) {
		return nil, fmt.Errorf("restore: Anneal: sweeps %d, T0 %v, TEnd %v: want sweeps ≥ 1 and T0 ≥ TEnd > 0", cfg.Sweeps, cfg.T0, cfg.TEnd)
	}
	s := p.newChains(1, cfg.Seed)
	for k := 0; k < cfg.Sweeps; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		T := cfg.T0
		if cfg.Sweeps > 1 {
			T = cfg.T0 * math.Pow(cfg.TEnd/cfg.T0, float64(k)/float64(cfg.Sweeps-1))
		}
		s.sweep(p, T)
		if cfg.Progress != nil {
			cfg.Progress(k+1, cfg.Sweeps)
		}
	}
	x, _, err := p.ICM(ctx, s.v, 0)
	return x, err
}

// IsingRestore restores binary images (rows of y, values 0/1, each h×w) with
// the Ising prior of package ising: pixels map to spins 2v − 1, the data
// weight is η = ½ log((1−ρ)/ρ) (the exact log-likelihood of flips of rate ρ
// in spin units), β the coupling, and method one of ising.Methods. It
// returns the restorations as 0/1 rows.
func IsingRestore(ctx context.Context, y *tensor.Dense[float64], h, w int, rate, beta float64, method ising.Method, seed uint64) (*tensor.Dense[float64], error) {
	if !(rate > 0 && rate < 0.5) {
		return nil, fmt.Errorf("restore: flip rate %v, want 0 < rate < 0.5", rate)
	}
	if y == nil || y.Cols != h*w {
		return nil, fmt.Errorf("restore: images of %d×%d = %d pixels, rows have %d", h, w, h*w, y.Cols)
	}
	out := tensor.New[float64](y.Rows, y.Cols)
	cfg := ising.DefaultRestoreConfig(method)
	cfg.Beta, cfg.Eta, cfg.Seed = beta, 0.5*math.Log((1-rate)/rate), seed
	for i := 0; i < y.Rows; i++ {
		im, err := ising.NewImage(w, h)
		if err != nil {
			return nil, err
		}
		for k, v := range y.Row(i) {
			switch v {
			case 0:
				im.Pix[k] = -1
			case 1:
				im.Pix[k] = 1
			default:
				return nil, fmt.Errorf("restore: image %d, pixel %d is %v, want 0 or 1", i, k, v)
			}
		}
		x, _, err := ising.RestoreContext(ctx, im, cfg)
		if err != nil {
			return nil, err
		}
		for k, s := range x.Pix {
			out.Row(i)[k] = float64((s + 1) / 2)
		}
	}
	return out, nil
}

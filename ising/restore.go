package ising

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Method names a restoration method.
type Method string

// The restoration methods; see RestoreConfig.
const (
	ICM       Method = "icm"       // iterated conditional modes
	Posterior Method = "gibbs"     // posterior marginal mode from Gibbs sampling at T = 1
	Anneal    Method = "anneal"    // simulated annealing towards the MAP
	MeanField Method = "meanfield" // naive mean field
)

// Methods lists the valid restoration method names.
func Methods() []string {
	return []string{string(ICM), string(Posterior), string(Anneal), string(MeanField)}
}

// ParseMethod returns the method named s, or an error listing the valid names.
func ParseMethod(s string) (Method, error) {
	for _, m := range Methods() {
		if s == m {
			return Method(m), nil
		}
	}
	return "", fmt.Errorf("ising: unknown restoration method %q (valid: %s)", s, strings.Join(Methods(), ", "))
}

// Default restoration parameters, from Bishop's ICM example (PRML §8.3.3):
// β = 1.0, η = 2.1, h = 0.
const (
	DefaultBeta = 1.0
	DefaultEta  = 2.1
)

// RestoreConfig configures Restore. Integer and tolerance fields left zero take
// the defaults given with each; negative values are errors.
//
// The posterior is E(x) = −β Σ_<ij> x_i x_j − η Σ_i x_i y_i − h Σ_i x_i on the open
// 4-neighbour grid; every method works with the local field
// a_i = β Σ_{j~i} x_j + η y_i + h, the conditional at temperature T being
// P(x_i = +1 | rest) = 1/(1 + exp(−2a_i/T)).
//
//   - ICM: from x = y, raster sweeps set x_i = sign(a_i) (a tie keeps x_i) until a
//     sweep changes nothing (each change lowers E, so it terminates) or MaxIter
//     sweeps (default 100).
//   - Anneal: from x = y, Sweeps (default 500) heat-bath sweeps at temperatures
//     falling geometrically T_k = T0·(TEnd/T0)^{k/(Sweeps−1)} (defaults T0 = 4,
//     TEnd = 0.05), then ICM to convergence (the T → 0 limit), an approximate MAP.
//   - Posterior ("gibbs"): heat-bath Gibbs sampling at T = 1 from x = y, Burn sweeps
//     (default 200) discarded, then Sweeps (default 1000) sweeps averaging the
//     Rao-Blackwellized E[x_i | rest] = tanh(a_i) at each visit; the result is the
//     sign of the posterior mean, i.e. the marginal posterior mode of each pixel
//     (a zero mean keeps y_i).
//   - MeanField: m_i = tanh(β Σ_{j~i} m_j + η y_i + h) iterated from m = y, in place
//     (sequential, Gauss-Seidel: each update lowers the mean-field free energy, so
//     it converges) when Damping is 0, or in parallel with
//     m ← (1−Damping)·m + Damping·tanh(…) when 0 < Damping ≤ 1; stops when
//     max|Δm| < Tol (default 1e-6) or after MaxIter sweeps (default 1000); x = sign(m).
type RestoreConfig struct {
	Method    Method
	Beta, Eta float64 // coupling β and data weight η
	H         float64 // field h (positive favours +1)
	Seed      uint64  // for Anneal and Posterior
	MaxIter   int     // ICM and MeanField sweep limit
	Sweeps    int     // Anneal schedule length; Posterior measured sweeps
	Burn      int     // Posterior burn-in
	T0, TEnd  float64 // Anneal temperatures
	Damping   float64 // MeanField: 0 sequential, else damped parallel step
	Tol       float64 // MeanField tolerance
	Progress  func(done, total int)
}

// DefaultRestoreConfig returns Bishop's parameters (β = 1.0, η = 2.1, h = 0) with
// method m and every other field at its default.
func DefaultRestoreConfig(m Method) RestoreConfig {
	return RestoreConfig{Method: m, Beta: DefaultBeta, Eta: DefaultEta}
}

// withDefaults fills zero fields and validates.
func (c RestoreConfig) withDefaults() (RestoreConfig, error) {
	if _, err := ParseMethod(string(c.Method)); err != nil {
		return c, err
	}
	for name, v := range map[string]float64{"beta": c.Beta, "eta": c.Eta, "h": c.H, "t0": c.T0, "tend": c.TEnd, "damping": c.Damping, "tol": c.Tol} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return c, fmt.Errorf("ising: restore %s=%v must be finite", name, v)
		}
	}
	if c.MaxIter < 0 || c.Sweeps < 0 || c.Burn < 0 || c.T0 < 0 || c.TEnd < 0 || c.Tol < 0 {
		return c, errors.New("ising: restore MaxIter, Sweeps, Burn, T0, TEnd and Tol must not be negative")
	}
	if c.Damping < 0 || c.Damping > 1 {
		return c, fmt.Errorf("ising: restore damping %v not in [0, 1]", c.Damping)
	}
	if c.MaxIter == 0 {
		c.MaxIter = 100
		if c.Method == MeanField {
			c.MaxIter = 1000
		}
	}
	if c.Sweeps == 0 {
		c.Sweeps = 1000
		if c.Method == Anneal {
			c.Sweeps = 500
		}
	}
	if c.Burn == 0 {
		c.Burn = 200
	}
	if c.T0 == 0 {
		c.T0 = 4
	}
	if c.TEnd == 0 {
		c.TEnd = 0.05
	}
	if c.TEnd > c.T0 {
		return c, fmt.Errorf("ising: anneal TEnd=%v above T0=%v", c.TEnd, c.T0)
	}
	if c.Tol == 0 {
		c.Tol = 1e-6
	}
	return c, nil
}

// RestoreInfo reports how a restoration ended.
type RestoreInfo struct {
	Method     Method  `json:"method"`
	Iterations int     `json:"iterations"` // sweeps done (ICM, MeanField, Anneal's final ICM included)
	Converged  bool    `json:"converged"`  // ICM, MeanField, Anneal's final ICM: fixed point reached; Posterior: always true
	Energy     float64 `json:"energy"`     // posterior energy E(x) of the result
	Changed    int     `json:"changed"`    // pixels where the result differs from y
}

// Restore restores the noisy binary image y with cfg (see RestoreConfig) and
// returns the restored image.
func Restore(y *Image, cfg RestoreConfig) (*Image, error) {
	x, _, err := RestoreContext(context.Background(), y, cfg)
	return x, err
}

// RestoreContext is Restore with cancellation and a report of the run.
func RestoreContext(ctx context.Context, y *Image, cfg RestoreConfig) (*Image, *RestoreInfo, error) {
	if err := y.Validate(); err != nil {
		return nil, nil, err
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	r := &restorer{c: c, y: y, x: y.Clone(), ctx: ctx}
	info := &RestoreInfo{Method: c.Method}
	switch c.Method {
	case ICM:
		info.Iterations, info.Converged, err = r.icm(c.MaxIter)
	case Anneal:
		err = r.anneal()
		if err == nil {
			info.Iterations, info.Converged, err = r.icm(c.MaxIter)
			info.Iterations += c.Sweeps
		}
	case Posterior:
		err = r.posterior()
		info.Iterations = c.Burn + c.Sweeps
		info.Converged = true
	case MeanField:
		info.Iterations, info.Converged, err = r.meanField()
	}
	if err != nil {
		return nil, nil, err
	}
	info.Energy, _ = PosteriorEnergy(r.x, y, c.Beta, c.Eta, c.H)
	for i := range y.Pix {
		if r.x.Pix[i] != y.Pix[i] {
			info.Changed++
		}
	}
	return r.x, info, nil
}

// PosteriorEnergy returns E(x) = −β Σ_<ij> x_i x_j − η Σ_i x_i y_i − h Σ_i x_i on
// the open 4-neighbour grid.
func PosteriorEnergy(x, y *Image, beta, eta, h float64) (float64, error) {
	if err := x.Validate(); err != nil {
		return 0, err
	}
	if err := y.Validate(); err != nil {
		return 0, err
	}
	if x.W != y.W || x.H != y.H {
		return 0, errors.New("ising: PosteriorEnergy needs images of the same size")
	}
	var pair, data, field int
	W, H := x.W, x.H
	for yy := 0; yy < H; yy++ {
		for xx := 0; xx < W; xx++ {
			i := yy*W + xx
			v := int(x.Pix[i])
			if xx+1 < W {
				pair += v * int(x.Pix[i+1])
			}
			if yy+1 < H {
				pair += v * int(x.Pix[i+W])
			}
			data += v * int(y.Pix[i])
			field += v
		}
	}
	return -beta*float64(pair) - eta*float64(data) - h*float64(field), nil
}

type restorer struct {
	c   RestoreConfig
	y   *Image
	x   *Image
	ctx context.Context
}

// nsum returns the sum of the (up to four) neighbours of pixel i = (xx, yy) in v.
func nsum[T int8 | float64](v []T, W, H, xx, yy int) T {
	i := yy*W + xx
	var s T
	if xx > 0 {
		s += v[i-1]
	}
	if xx+1 < W {
		s += v[i+1]
	}
	if yy > 0 {
		s += v[i-W]
	}
	if yy+1 < H {
		s += v[i+W]
	}
	return s
}

// field returns a_i for neighbour sum ns and observation yi.
func (r *restorer) field(ns float64, yi int8) float64 {
	return r.c.Beta*ns + r.c.Eta*float64(yi) + r.c.H
}

func (r *restorer) progress(done, total int) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	if r.c.Progress != nil {
		r.c.Progress(done, total)
	}
	return nil
}

// icm runs ICM sweeps until nothing changes or maxIter sweeps.
func (r *restorer) icm(maxIter int) (iters int, converged bool, err error) {
	W, H := r.x.W, r.x.H
	x, y := r.x.Pix, r.y.Pix
	for it := 1; it <= maxIter; it++ {
		changed := 0
		for yy := 0; yy < H; yy++ {
			for xx := 0; xx < W; xx++ {
				i := yy*W + xx
				a := r.field(float64(nsum(x, W, H, xx, yy)), y[i])
				var v int8
				switch {
				case a > 0:
					v = 1
				case a < 0:
					v = -1
				default:
					continue
				}
				if v != x[i] {
					x[i] = v
					changed++
				}
			}
		}
		if err := r.progress(it, maxIter); err != nil {
			return it, false, err
		}
		if changed == 0 {
			return it, true, nil
		}
	}
	return maxIter, false, nil
}

// heatTable fills thr[ns+4][(y+1)/2] with the uint64 threshold of
// P(x_i = +1 | neighbour sum ns, y) at temperature T, and, if th is non-nil,
// th[...] with tanh(a/T).
func (r *restorer) heatTable(T float64, thr *[9][2]uint64, th *[9][2]float64) {
	for ns := -4; ns <= 4; ns++ {
		for yi := 0; yi < 2; yi++ {
			a := r.field(float64(ns), int8(2*yi-1)) / T
			thr[ns+4][yi] = threshold(1 / (1 + math.Exp(-2*a)))
			if th != nil {
				th[ns+4][yi] = math.Tanh(a)
			}
		}
	}
}

// anneal runs the annealing schedule (heat-bath sweeps at falling temperature).
func (r *restorer) anneal() error {
	src := rand.NewPCG(r.c.Seed, 0xa22ea1)
	W, H := r.x.W, r.x.H
	x, y := r.x.Pix, r.y.Pix
	K := r.c.Sweeps
	var thr [9][2]uint64
	for k := 0; k < K; k++ {
		T := r.c.T0
		if K > 1 {
			T = r.c.T0 * math.Pow(r.c.TEnd/r.c.T0, float64(k)/float64(K-1))
		}
		r.heatTable(T, &thr, nil)
		for yy := 0; yy < H; yy++ {
			for xx := 0; xx < W; xx++ {
				i := yy*W + xx
				ns := nsum(x, W, H, xx, yy)
				if src.Uint64() < thr[ns+4][(y[i]+1)>>1] {
					x[i] = 1
				} else {
					x[i] = -1
				}
			}
		}
		if err := r.progress(k+1, K); err != nil {
			return err
		}
	}
	return nil
}

// posterior runs Gibbs sampling at T = 1 and sets x to the sign of the
// Rao-Blackwellized posterior mean.
func (r *restorer) posterior() error {
	src := rand.NewPCG(r.c.Seed, 0x90575)
	W, H := r.x.W, r.x.H
	x, y := r.x.Pix, r.y.Pix
	var thr [9][2]uint64
	var th [9][2]float64
	r.heatTable(1, &thr, &th)
	mean := make([]float64, len(x))
	total := r.c.Burn + r.c.Sweeps
	for k := 0; k < total; k++ {
		measure := k >= r.c.Burn
		for yy := 0; yy < H; yy++ {
			for xx := 0; xx < W; xx++ {
				i := yy*W + xx
				ns := nsum(x, W, H, xx, yy)
				yi := (y[i] + 1) >> 1
				if measure {
					mean[i] += th[ns+4][yi]
				}
				if src.Uint64() < thr[ns+4][yi] {
					x[i] = 1
				} else {
					x[i] = -1
				}
			}
		}
		if err := r.progress(k+1, total); err != nil {
			return err
		}
	}
	for i, m := range mean {
		switch {
		case m > 0:
			x[i] = 1
		case m < 0:
			x[i] = -1
		default:
			x[i] = y[i]
		}
	}
	return nil
}

// meanField iterates the naive mean-field equations.
func (r *restorer) meanField() (iters int, converged bool, err error) {
	W, H := r.x.W, r.x.H
	y := r.y.Pix
	m := make([]float64, len(y))
	for i, v := range y {
		m[i] = float64(v)
	}
	var next []float64
	lam := r.c.Damping
	if lam > 0 {
		next = make([]float64, len(m))
	}
	for it := 1; it <= r.c.MaxIter; it++ {
		maxd := 0.0
		for yy := 0; yy < H; yy++ {
			for xx := 0; xx < W; xx++ {
				i := yy*W + xx
				t := math.Tanh(r.field(nsum(m, W, H, xx, yy), y[i]))
				if lam > 0 {
					nv := (1-lam)*m[i] + lam*t
					maxd = math.Max(maxd, math.Abs(nv-m[i]))
					next[i] = nv
				} else {
					maxd = math.Max(maxd, math.Abs(t-m[i]))
					m[i] = t
				}
			}
		}
		if lam > 0 {
			m, next = next, m
		}
		iters = it
		if err := r.progress(it, r.c.MaxIter); err != nil {
			return it, false, err
		}
		if maxd < r.c.Tol {
			converged = true
			break
		}
	}
	for i, v := range m {
		switch {
		case v > 0:
			r.x.Pix[i] = 1
		case v < 0:
			r.x.Pix[i] = -1
		default:
			r.x.Pix[i] = y[i]
		}
	}
	return iters, converged, nil
}

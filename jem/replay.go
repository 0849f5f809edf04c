package jem

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// Sampler is the MCMC that moves negatives: Steps transitions per draw of
//
//	"ula":  x ← x − η∇E(x) + √(2η)·ξ   (unadjusted Langevin, samples exp(−E) as η → 0)
//	"sgld": x ← x − a∇E(x) + b·ξ       (the SGLD-style update of IGEBM and JEM; it
//	                                     samples the colder exp(−E/T), T = b²/2a)
//
// with Step = η or a, Noise = b (SGLD-style only) and the gradient clipped
// elementwise to [−Clip, Clip] when Clip > 0 (SGLD-style only). Chains are
// clamped into the replay buffer's box after every step.
type Sampler struct {
	Kind  string
	Step  float64
	Noise float64
	Steps int
	Clip  float64
}

// DefaultSampler is JEM's: 20 SGLD-style steps with a = 1, b = 0.01.
func DefaultSampler() Sampler { return Sampler{Kind: "sgld", Step: 1, Noise: 0.01, Steps: 20} }

// Validate checks the settings.
func (s Sampler) Validate() error {
	switch s.Kind {
	case "ula", "sgld":
	default:
		return fmt.Errorf("sampler %q unknown (valid: ula, sgld)", s.Kind)
	}
	if s.Steps < 1 {
		return fmt.Errorf("sampler steps must be ≥ 1, got %d", s.Steps)
	}
	if !(s.Step > 0) || math.IsInf(s.Step, 0) {
		return fmt.Errorf("sampler step must be > 0 and finite, got %v", s.Step)
	}
	if s.Kind == "sgld" && (!(s.Noise >= 0) || math.IsInf(s.Noise, 0)) {
		return fmt.Errorf("sgld noise must be ≥ 0 and finite, got %v", s.Noise)
	}
	if !(s.Clip >= 0) {
		return fmt.Errorf("sampler clip must be ≥ 0, got %v", s.Clip)
	}
	return nil
}

// Kernel returns the sample.Kernel of the settings on e.
func (s Sampler) Kernel(e energy.GradEnergy) (sample.Kernel, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Kind == "ula" {
		return sample.NewULA(e, sample.ULAOptions{Step: s.Step})
	}
	return sample.NewSGLDStyle(e, sample.SGLDStyleOptions{Step: s.Step, Noise: s.Noise, Clip: s.Clip})
}

// Chains runs s.Steps transitions of the kernel on e from the rows of x0
// (clamped into box when it is not nil), chain i drawing from a PCG generator
// seeded by (seed, i); it returns the final positions (a new matrix).
func (s Sampler) Chains(e energy.GradEnergy, x0 *tensor.Dense[float64], box *sample.Box, seed uint64) (*tensor.Dense[float64], error) {
	k, err := s.Kernel(e)
	if err != nil {
		return nil, err
	}
	st, err := k.Init(x0, box)
	if err != nil {
		return nil, err
	}
	n := x0.Rows
	rngs := make([]*rand.Rand, n)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(seed, uint64(i)))
	}
	info := make([]sample.Info, n)
	for i := 0; i < s.Steps; i++ {
		if err := k.Step(st, rngs, info); err != nil {
			return nil, fmt.Errorf("jem: sampling step %d: %w", i, err)
		}
	}
	return st.X, nil
}

// Init kinds of the replay buffer.
const (
	// InitUniform draws fresh starts uniformly in the buffer's box, with a
	// label drawn uniformly from the classes.
	InitUniform = "uniform"
	// InitClassGaussian draws a label from the classes' frequencies in the
	// training data, then x ~ N(μ_y, Σ_y + εI) with the mean and full
	// covariance of that class fitted to the data (clamped into the box).
	InitClassGaussian = "class-gaussian"
)

// ClassGaussians are per-class Gaussians fitted to labelled data: N(μ_k,
// Σ_k + εI) with the maximum-likelihood mean and covariance of class k and a
// jitter ε that keeps Σ_k positive definite (constant pixels have zero
// variance).
type ClassGaussians struct {
	Mu    *tensor.Dense[float64] // K×d means
	Chol  []*mat.TriDense        // lower Cholesky factors of Σ_k + εI
	Freq  []float64              // class frequencies
	Dim   int
	Jit   float64
	empty []bool
}

// FitClassGaussians fits the Gaussians of k classes to the rows of x with
// labels y. A class with no example keeps a standard normal around the
// overall mean and frequency 0.
func FitClassGaussians(x *tensor.Dense[float64], y []int, k int, jitter float64) (*ClassGaussians, error) {
	if x == nil || x.Rows == 0 || len(y) != x.Rows {
		return nil, errors.New("jem: class Gaussians need labelled data")
	}
	if !(jitter > 0) {
		return nil, fmt.Errorf("jem: covariance jitter must be > 0, got %v", jitter)
	}
	d := x.Cols
	cg := &ClassGaussians{Mu: tensor.New[float64](k, d), Freq: make([]float64, k), Dim: d, Jit: jitter, empty: make([]bool, k)}
	rows := make([][]int, k)
	for i, c := range y {
		if c < 0 || c >= k {
			return nil, fmt.Errorf("jem: label %d of row %d outside [0, %d)", c, i, k)
		}
		rows[c] = append(rows[c], i)
	}
	for c := range k {
		n := len(rows[c])
		cg.Freq[c] = float64(n) / float64(x.Rows)
		xc := tensor.New[float64](max(n, 1), d)
		for r, i := range rows[c] {
			copy(xc.Row(r), x.Row(i))
		}
		mu := cg.Mu.Row(c)
		for r := 0; r < n; r++ {
			for j, v := range xc.Row(r) {
				mu[j] += v
			}
		}
		for j := range mu {
			mu[j] /= float64(max(n, 1))
		}
		cov := mat.NewSymDense(d, nil)
		if n > 0 {
			for r := 0; r < n; r++ {
				row := xc.Row(r)
				for j := range row {
					row[j] -= mu[j]
				}
			}
			s := tensor.New[float64](d, d)
			tensor.Gemm(true, false, 1/float64(n), xc, xc, 0, s)
			for i := range d {
				for j := i; j < d; j++ {
					cov.SetSym(i, j, s.Data[i*d+j])
				}
			}
		} else {
			cg.empty[c] = true
			for i := range d {
				cov.SetSym(i, i, 1)
			}
		}
		for i := range d {
			cov.SetSym(i, i, cov.At(i, i)+jitter)
		}
		var ch mat.Cholesky
		if !ch.Factorize(cov) {
			return nil, fmt.Errorf("jem: the covariance of class %d is not positive definite even with jitter %g", c, jitter)
		}
		var l mat.TriDense
		ch.LTo(&l)
		cg.Chol = append(cg.Chol, &l)
	}
	return cg, nil
}

// Draw writes a draw of class c into row, using z (len d) as scratch.
func (cg *ClassGaussians) Draw(row []float64, c int, rng *rand.Rand, z []float64) {
	d := cg.Dim
	for j := range z[:d] {
		z[j] = rng.NormFloat64()
	}
	mu := cg.Mu.Row(c)
	l := cg.Chol[c].RawTriangular()
	for i := range d {
		s := mu[i]
		li := l.Data[i*l.Stride : i*l.Stride+i+1]
		for j, v := range li {
			s += v * z[j]
		}
		row[i] = s
	}
}

// Label draws a class from the frequencies.
func (cg *ClassGaussians) Label(rng *rand.Rand) int {
	u := rng.Float64()
	for c, f := range cg.Freq {
		if u < f {
			return c
		}
		u -= f
	}
	for c := len(cg.Freq) - 1; c >= 0; c-- {
		if cg.Freq[c] > 0 {
			return c
		}
	}
	return 0
}

// Replay is a replay buffer of labelled negatives (the JEM recipe: Du &
// Mordatch 2019, Grathwohl et al. 2020). It holds Size points with a label
// each; a draw takes n entries uniformly with replacement, re-initializes
// each with probability Reinit (uniform noise in Box, or a draw of the
// per-class Gaussians), moves them by Sampler on E(x) (or, with
// Conditional, on E(x, y) with each entry's label) and writes them back.
// Fit must be called first (with the training data) when Init is
// InitClassGaussian, or to set the class count for InitUniform.
type Replay struct {
	Size        int
	Reinit      float64
	Init        string
	Sampler     Sampler
	Box         *sample.Box // clamp box and uniform-init range (required)
	Conditional bool
	Jitter      float64 // covariance jitter of InitClassGaussian (0: 1e-2·mean variance)

	k     int
	gauss *ClassGaussians
	x     *tensor.Dense[float64]
	y     []int
	x0    *tensor.Dense[float64]
	idx   []int
	ys    []int
	z     []float64
	last  *tensor.Dense[float64]
}

// Fit prepares the initial distribution from the training data (x, y) of k
// classes.
func (r *Replay) Fit(x *tensor.Dense[float64], y []int, k int) error {
	if k < 2 {
		return fmt.Errorf("jem: need at least 2 classes, got %d", k)
	}
	if r.Box == nil {
		return errors.New("jem: the replay buffer needs a box")
	}
	if !(r.Reinit >= 0 && r.Reinit <= 1) {
		return fmt.Errorf("jem: reinit must be in [0, 1], got %v", r.Reinit)
	}
	if err := r.Sampler.Validate(); err != nil {
		return err
	}
	r.k = k
	switch r.Init {
	case "", InitUniform:
		r.Init = InitUniform
	case InitClassGaussian:
		jit := r.Jitter
		if jit <= 0 {
			v := 0.0
			for j := 0; j < x.Cols; j++ {
				var s, ss float64
				for i := 0; i < x.Rows; i++ {
					s += x.Data[i*x.Cols+j]
					ss += x.Data[i*x.Cols+j] * x.Data[i*x.Cols+j]
				}
				m := s / float64(x.Rows)
				v += ss/float64(x.Rows) - m*m
			}
			jit = 1e-2 * math.Max(v/float64(x.Cols), 1e-12)
		}
		g, err := FitClassGaussians(x, y, k, jit)
		if err != nil {
			return err
		}
		r.gauss = g
	default:
		return fmt.Errorf("init %q unknown (valid: %s, %s)", r.Init, InitUniform, InitClassGaussian)
	}
	r.z = make([]float64, x.Cols)
	return nil
}

// fresh writes a fresh start into row and returns its label.
func (r *Replay) fresh(row []float64, rng *rand.Rand) int {
	var c int
	if r.gauss != nil {
		c = r.gauss.Label(rng)
		r.gauss.Draw(row, c, rng, r.z)
	} else {
		c = rng.IntN(r.k)
		for j := range row {
			lo, hi := boxAt(r.Box, j)
			row[j] = lo + (hi-lo)*rng.Float64()
		}
	}
	for j := range row {
		lo, hi := boxAt(r.Box, j)
		row[j] = math.Min(math.Max(row[j], lo), hi)
	}
	return c
}

func boxAt(b *sample.Box, j int) (lo, hi float64) {
	lo, hi = b.Lo[0], b.Hi[0]
	if len(b.Lo) > 1 {
		lo = b.Lo[j]
	}
	if len(b.Hi) > 1 {
		hi = b.Hi[j]
	}
	return lo, hi
}

// Draw returns n negatives for the model (a matrix valid until the next
// draw) and their labels.
func (r *Replay) Draw(c interface {
	energy.GradEnergy
	Conditional(y []int) energy.GradEnergy
}, n int, rng *rand.Rand) (*tensor.Dense[float64], []int, error) {
	if r.k == 0 {
		return nil, nil, errors.New("jem: replay buffer used before Fit")
	}
	d := c.Dim()
	if r.x == nil {
		size := r.Size
		if size <= 0 {
			size = 10000
		}
		r.x, r.y = tensor.New[float64](size, d), make([]int, size)
		for i := range size {
			r.y[i] = r.fresh(r.x.Row(i), rng)
		}
	}
	if r.x.Cols != d {
		return nil, nil, fmt.Errorf("jem: replay buffer has dimension %d, the model %d", r.x.Cols, d)
	}
	if cap(r.idx) < n {
		r.idx, r.ys = make([]int, n), make([]int, n)
	}
	idx, ys := r.idx[:n], r.ys[:n]
	r.x0 = tensor.Reuse(r.x0, n, d)
	for i := range idx {
		idx[i] = rng.IntN(r.x.Rows)
		copy(r.x0.Row(i), r.x.Row(idx[i]))
		ys[i] = r.y[idx[i]]
	}
	for i := range idx {
		if rng.Float64() < r.Reinit {
			ys[i] = r.fresh(r.x0.Row(i), rng)
		}
	}
	var e energy.GradEnergy = c
	if r.Conditional {
		e = c.Conditional(ys)
	}
	neg, err := r.Sampler.Chains(e, r.x0, r.Box, rng.Uint64())
	if err != nil {
		return nil, nil, err
	}
	for i, j := range idx {
		copy(r.x.Row(j), neg.Row(i))
		r.y[j] = ys[i]
	}
	r.last = neg
	return neg, ys, nil
}

// Buffer returns the buffer's points and labels (nil before the first draw).
func (r *Replay) Buffer() (*tensor.Dense[float64], []int) { return r.x, r.y }

// StateTensors returns the buffer and its labels.
func (r *Replay) StateTensors() map[string]*tensor.Dense[float64] {
	if r.x == nil {
		return nil
	}
	lab := tensor.New[float64](len(r.y), 1)
	for i, v := range r.y {
		lab.Data[i] = float64(v)
	}
	return map[string]*tensor.Dense[float64]{"jem.buffer": r.x.Clone(), "jem.labels": lab}
}

// LoadStateTensors restores what StateTensors returned.
func (r *Replay) LoadStateTensors(s map[string]*tensor.Dense[float64]) error {
	b, ok1 := s["jem.buffer"]
	l, ok2 := s["jem.labels"]
	if !ok1 && !ok2 {
		return nil
	}
	if !ok1 || !ok2 || l.Len() != b.Rows {
		return errors.New("jem: incomplete replay buffer in the state")
	}
	y := make([]int, b.Rows)
	for i, v := range l.Data {
		if v != math.Trunc(v) || v < 0 || (r.k > 0 && int(v) >= r.k) {
			return fmt.Errorf("jem: replay buffer label %v of entry %d is not a class", v, i)
		}
		y[i] = int(v)
	}
	r.x, r.y = b.Clone(), y
	return nil
}

// Reseed re-initializes the whole buffer (after a divergence rollback).
func (r *Replay) Reseed(rng *rand.Rand) {
	if r.x == nil {
		return
	}
	for i := 0; i < r.x.Rows; i++ {
		r.y[i] = r.fresh(r.x.Row(i), rng)
	}
}

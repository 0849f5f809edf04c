package rbm

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/tensor"
	"github.com/viterin/vek/vek32"
)

// AISConfig configures annealed importance sampling (Salakhutdinov & Murray 2008)
// and its reverse (Burda, Grosse & Salakhutdinov 2015). The zero value gives the
// defaults.
type AISConfig struct {
	// Runs is the number of independent annealing runs (default 100).
	Runs int
	// Betas is an explicit schedule β₀ = 0 < … < β_K = 1 (nondecreasing). When nil,
	// the Salakhutdinov-Murray schedule is used with NumBetas values.
	Betas []float64
	// NumBetas is the length of the default schedule (default 14500): 500/14500
	// of the values spaced uniformly in [0, 0.5), 4000/14500 in [0.5, 0.9) and
	// 10000/14500 in [0.9, 1].
	NumBetas int
	// BaseData sets the base-rate model's visible biases from the column means of
	// its rows (usually the training data): b_A,i = logit((nᵢ + α)/(n + 2α)) with
	// nᵢ the number of ones in column i and α = Smoothing. Without it b_A = 0
	// (uniform base).
	BaseData *tensor.Dense[float32]
	// Smoothing is the pseudo-count α of the base rates (default 1).
	Smoothing float64
	// BaseBias, when not nil, gives the base-rate model's visible biases
	// directly (for example BaseRateBias of the training data, stored with a
	// model); it overrides BaseData.
	BaseBias []float32
	// Seed seeds the runs.
	Seed uint64
	// Start (reverse AIS only) holds the states the reverse runs start from when
	// the model is too large for exact samples; its rows are used in turn.
	Start *tensor.Dense[float32]
	// StartSweeps (reverse AIS only) is the number of Gibbs sweeps at β = 1 run
	// from Start before annealing down (default 1000).
	StartSweeps int
}

// DefaultBetas returns the Salakhutdinov-Murray schedule scaled to n values
// (n ≥ 3): round(n·500/14500) uniformly spaced in [0, 0.5), round(n·4000/14500)
// in [0.5, 0.9) and the rest in [0.9, 1], ending at exactly 1. DefaultBetas(14500)
// is the paper's 500 + 4000 + 10000.
func DefaultBetas(n int) []float64 {
	n = max(n, 3)
	n1 := max(1, int(math.Round(float64(n)*500/14500)))
	n2 := max(1, int(math.Round(float64(n)*4000/14500)))
	n3 := max(1, n-n1-n2)
	b := make([]float64, 0, n1+n2+n3)
	for i := 0; i < n1; i++ {
		b = append(b, 0.5*float64(i)/float64(n1))
	}
	for i := 0; i < n2; i++ {
		b = append(b, 0.5+0.4*float64(i)/float64(n2))
	}
	for i := 0; i < n3; i++ {
		if n3 == 1 {
			b = append(b, 1)
			break
		}
		b = append(b, 0.9+0.1*float64(i)/float64(n3-1))
	}
	return b
}

// AISResult is an annealed importance sampling estimate of log Z.
type AISResult struct {
	// LogZ is the estimate: log Z_A + log mean(w) for forward AIS, and
	// log Z_A − log mean(w) for reverse AIS.
	LogZ float64 `json:"logz"`
	// SE is the delta-method standard error of LogZ: sd(w)/(√Runs·mean(w)),
	// computed from the spread of the importance weights w.
	SE float64 `json:"logz_se"`
	// LogZBase is log Z_A of the base-rate model.
	LogZBase float64 `json:"logz_base"`
	// LogWeights holds log w of every run.
	LogWeights []float64 `json:"-"`
	// ESS is the effective sample size (Σw)²/Σw² of the weights.
	ESS float64 `json:"ess"`
	// Runs and Betas are the numbers of runs and of intermediate distributions.
	Runs  int `json:"runs"`
	Betas int `json:"betas"`
	// Start describes where reverse AIS started ("exact samples" or
	// "data + N Gibbs sweeps"); empty for forward AIS.
	Start string `json:"start,omitempty"`
}

func (c AISConfig) schedule() ([]float64, error) {
	if c.Betas == nil {
		n := c.NumBetas
		if n == 0 {
			n = 14500
		}
		if n < 3 {
			return nil, fmt.Errorf("rbm: AIS needs at least 3 βs, got %d", n)
		}
		return DefaultBetas(n), nil
	}
	b := c.Betas
	if len(b) < 2 || b[0] != 0 || b[len(b)-1] != 1 {
		return nil, errors.New("rbm: an AIS schedule must start at β = 0 and end at β = 1")
	}
	for i := 1; i < len(b); i++ {
		if !(b[i] >= b[i-1]) {
			return nil, fmt.Errorf("rbm: AIS schedule decreases at index %d (%g after %g)", i, b[i], b[i-1])
		}
	}
	return b, nil
}

// annealer runs AIS chains between the base-rate model A (W = 0, c = 0, visible
// biases bA) and the target RBM B through
//
//	log f_β(v) = (1−β)·b_Aᵀv + β·bᵀv + Σⱼ softplus(β(cⱼ + vᵀW₋ⱼ)),
//
// with the transition at β: h ~ σ(β(c + vW)), v ~ σ((1−β)b_A + β(b + Wh)).
type annealer struct {
	r      *RBM
	e      *engine
	bA     []float32
	v, h   *tensor.Dense[float32]
	pre    *tensor.Dense[float32] // c + vW
	ph, mv *tensor.Dense[float32]
	vOn    ones
	hOn    ones
	diffB  []float32 // b − bA
	logw   []float64
	job    weightJob
}

// weightJob adds log f_{β1}(v) − log f_{β0}(v) to logw for chains [lo, hi).
type weightJob struct {
	a      *annealer
	b0, b1 float64
}

// Run is the parallel body (tensor.RowJob).
func (j *weightJob) Run(lo, hi int) {
	a := j.a
	nh, nv := a.pre.Cols, a.v.Cols
	db := j.b1 - j.b0
	for n := lo; n < hi; n++ {
		s := 0.0
		for _, k := range a.vOn.Row(n) {
			s += float64(a.diffB[k])
		}
		s *= db
		for _, x := range a.pre.Data[n*nh : (n+1)*nh] {
			s += softplus(j.b1*float64(x)) - softplus(j.b0*float64(x))
		}
		a.logw[n] += s
	}
	_ = nv
}

func newAnnealer(r *RBM, runs int, bA []float32, seed uint64) *annealer {
	nv, nh := r.NumVisible(), r.NumHidden()
	a := &annealer{r: r, e: newEngine(r, seed), bA: bA,
		v: tensor.New[float32](runs, nv), h: tensor.New[float32](runs, nh),
		pre: tensor.New[float32](runs, nh), ph: tensor.New[float32](runs, nh),
		mv: tensor.New[float32](runs, nv), diffB: make([]float32, nv), logw: make([]float64, runs)}
	for i := range a.diffB {
		a.diffB[i] = r.B[i] - bA[i]
	}
	a.job.a = a
	return a
}

// up computes pre = c + vW for the current states.
func (a *annealer) up() { a.e.up.mul(a.pre, a.r.C, a.v, &a.vOn, a.r.W) }

// transition applies the Gibbs transition at β (pre must be current) and then
// recomputes pre.
func (a *annealer) transition(beta float64) {
	b := float32(beta)
	copy(a.ph.Data, a.pre.Data)
	vek32.MulNumber_Inplace(a.ph.Data, b)
	a.e.sig.apply(a.ph.Data)
	a.e.sampleHidden(a.h, a.ph, &a.hOn)
	a.e.down.mul(a.mv, a.r.B, a.h, &a.hOn, a.e.wt)
	nv := a.mv.Cols
	for n := 0; n < a.mv.Rows; n++ {
		row := a.mv.Data[n*nv : (n+1)*nv]
		for i := range row {
			row[i] = b*row[i] + (1-b)*a.bA[i]
		}
	}
	a.e.sig.apply(a.mv.Data)
	a.e.sampleVisible(a.v, a.mv, &a.vOn)
	a.up()
}

// weights adds log f_{b1}(v) − log f_{b0}(v) to every run's log-weight.
func (a *annealer) weights(b0, b1 float64) {
	a.job.b0, a.job.b1 = b0, b1
	tensor.ParallelRows(&a.job, a.v.Rows, max(1, 512/(a.r.NumHidden()+1)))
}

// baseRates returns the base-rate model's visible biases.
func (c AISConfig) baseRates(nv int) ([]float32, error) {
	if c.BaseBias != nil {
		if len(c.BaseBias) != nv {
			return nil, fmt.Errorf("rbm: %d base-rate biases for %d visible units", len(c.BaseBias), nv)
		}
		for i, b := range c.BaseBias {
			if math.IsNaN(float64(b)) || math.IsInf(float64(b), 0) {
				return nil, fmt.Errorf("rbm: base-rate bias %d is %v", i, b)
			}
		}
		return c.BaseBias, nil
	}
	if c.BaseData == nil {
		return make([]float32, nv), nil
	}
	if c.BaseData.Cols != nv {
		return nil, fmt.Errorf("rbm: AIS base-rate data has %d columns for %d visible units", c.BaseData.Cols, nv)
	}
	return BaseRateBias(c.BaseData, c.Smoothing)
}

// BaseRateBias returns the visible biases of the base-rate model of binary data
// x: b_A,i = logit((nᵢ + α)/(n + 2α)), with nᵢ the number of ones in column i,
// n the number of rows and α the pseudo-count smoothing (1 when 0).
func BaseRateBias(x *tensor.Dense[float32], smoothing float64) ([]float32, error) {
	if err := checkData(x, x.Cols, true, false, "AIS base-rate data"); err != nil {
		return nil, err
	}
	alpha := smoothing
	if alpha == 0 {
		alpha = 1
	}
	if !(alpha > 0) {
		return nil, fmt.Errorf("rbm: base-rate smoothing %g; need > 0", alpha)
	}
	cnt := make([]float64, x.Cols)
	for i := 0; i < x.Rows; i++ {
		for k, v := range x.Row(i) {
			cnt[k] += float64(v)
		}
	}
	n := float64(x.Rows)
	bA := make([]float32, x.Cols)
	for k := range bA {
		p := (cnt[k] + alpha) / (n + 2*alpha)
		bA[k] = float32(math.Log(p / (1 - p)))
	}
	return bA, nil
}

func (r *RBM) aisSetup(cfg AISConfig) (betas []float64, bA []float32, logZA float64, runs int, err error) {
	if err = r.Validate(); err != nil {
		return
	}
	if r.Visible != Bernoulli {
		err = errors.New("rbm: AIS is implemented for Bernoulli visible units only (Gaussian RBMs with up to 25 hidden units have an exact log Z)")
		return
	}
	if betas, err = cfg.schedule(); err != nil {
		return
	}
	if bA, err = cfg.baseRates(r.NumVisible()); err != nil {
		return
	}
	runs = cfg.Runs
	if runs == 0 {
		runs = 100
	}
	if runs < 2 {
		err = fmt.Errorf("rbm: AIS needs at least 2 runs for a standard error, got %d", runs)
		return
	}
	// f₀(v) = b_Aᵀv + H·log 2: the hidden units of r are free at β = 0.
	logZA = float64(r.NumHidden()) * math.Ln2
	for _, b := range bA {
		logZA += softplus(float64(b))
	}
	return
}

// summarize turns log-weights into log mean(w), its delta-method standard error
// and the effective sample size.
func summarize(logw []float64) (logMean, se, ess float64) {
	m := math.Inf(-1)
	for _, l := range logw {
		m = math.Max(m, l)
	}
	var s, s2 float64
	for _, l := range logw {
		w := math.Exp(l - m)
		s += w
		s2 += w * w
	}
	n := float64(len(logw))
	mean := s / n
	variance := (s2 - n*mean*mean) / (n - 1)
	if variance < 0 {
		variance = 0
	}
	return m + math.Log(mean), math.Sqrt(variance/n) / mean, s * s / s2
}

// AIS estimates log Z by annealed importance sampling (Salakhutdinov & Murray
// 2008) from the base-rate RBM A (W = 0, hidden biases 0, visible biases from
// cfg.BaseData, with r's NumHidden hidden units, so
// log Z_A = Σᵢ softplus(b_A,i) + NumHidden·log 2) to r, with cfg.Runs independent
// runs over the schedule β₀ = 0 < … < β_K = 1:
//
//	v₀ ~ p_A;  log w = Σ_{k=1..K} log f_{βₖ}(v_{k−1}) − log f_{βₖ₋₁}(v_{k−1}),
//	v_k ~ T_{βₖ}(v_{k−1}) (one Gibbs sweep leaving p_{βₖ} invariant),
//
// and log Ẑ = log Z_A + log mean(w), an unbiased estimate of Z (so a stochastic
// lower bound on log Z in expectation). The standard error is the delta-method
// sd(w)/(√runs·mean(w)), which is reliable only when the weights are not
// heavy-tailed (check ESS). Bernoulli visible units only. Sampling runs in
// float32; the weights accumulate in float64.
func (r *RBM) AIS(ctx context.Context, cfg AISConfig) (AISResult, error) {
	betas, bA, logZA, runs, err := r.aisSetup(cfg)
	if err != nil {
		return AISResult{}, err
	}
	a := newAnnealer(r, runs, bA, cfg.Seed)
	// v₀ ~ p_A: independent bits with P(vᵢ = 1) = σ(b_A,i).
	for n := 0; n < runs; n++ {
		copy(a.mv.Row(n), bA)
	}
	a.e.sig.apply(a.mv.Data)
	a.e.sampleVisible(a.v, a.mv, &a.vOn)
	a.up()
	for k := 1; k < len(betas); k++ {
		if k%256 == 0 {
			if err := ctx.Err(); err != nil {
				return AISResult{}, err
			}
		}
		a.weights(betas[k-1], betas[k])
		if k < len(betas)-1 {
			a.transition(betas[k])
		}
	}
	lm, se, ess := summarize(a.logw)
	return AISResult{LogZ: logZA + lm, SE: se, LogZBase: logZA, LogWeights: a.logw, ESS: ess,
		Runs: runs, Betas: len(betas)}, nil
}

// ReverseAIS estimates log Z by reverse annealing (Burda, Grosse &
// Salakhutdinov 2015): runs start from states v_K of the target r and anneal
// down to the base-rate model A through the same distributions,
//
//	log w = Σ_{k=K..1} log f_{βₖ₋₁}(vₖ) − log f_{βₖ}(vₖ),  v_{k−1} ~ T_{βₖ₋₁}(vₖ),
//
// so that mean(w) estimates Z_A/Z and log Ẑ = log Z_A − log mean(w). When the
// start states are exact samples of r, E[log Ẑ] ≥ log Z: a stochastic upper bound
// that complements forward AIS.
//
// Start states: when r's smaller layer has at most MaxEnumerate units they are
// exact independent samples (ExactSample). Otherwise they are the rows of
// cfg.Start (typically held-out data) taken in turn, each advanced by
// cfg.StartSweeps Gibbs sweeps at β = 1; these are only approximate samples of
// r, so the upper-bound property then holds only as far as the chains have
// mixed. AISResult.Start records which was used.
func (r *RBM) ReverseAIS(ctx context.Context, cfg AISConfig) (AISResult, error) {
	betas, bA, logZA, runs, err := r.aisSetup(cfg)
	if err != nil {
		return AISResult{}, err
	}
	a := newAnnealer(r, runs, bA, cfg.Seed)
	var start string
	if min(r.NumVisible(), r.NumHidden()) <= MaxEnumerate {
		v, err := r.ExactSample(runs, cfg.Seed^0x7e5)
		if err != nil {
			return AISResult{}, err
		}
		a.v.CopyFrom(v)
		start = "exact samples"
	} else {
		if cfg.Start == nil {
			return AISResult{}, fmt.Errorf("rbm: reverse AIS needs start states (AISConfig.Start): the model's smaller layer has %d units, above the %d that exact sampling enumerates",
				min(r.NumVisible(), r.NumHidden()), MaxEnumerate)
		}
		if err := checkData(cfg.Start, r.NumVisible(), true, false, "reverse AIS start states"); err != nil {
			return AISResult{}, err
		}
		for n := 0; n < runs; n++ {
			copy(a.v.Row(n), cfg.Start.Row(n%cfg.Start.Rows))
		}
		sweeps := cfg.StartSweeps
		if sweeps == 0 {
			sweeps = 1000
		}
		g := &Gibbs{V: a.v, e: a.e}
		g.init()
		g.Step(sweeps)
		start = fmt.Sprintf("data + %d Gibbs sweeps", sweeps)
	}
	a.vOn.FromDense(a.v)
	a.up()
	K := len(betas) - 1
	for k := K; k >= 1; k-- {
		if k%256 == 0 {
			if err := ctx.Err(); err != nil {
				return AISResult{}, err
			}
		}
		a.weights(betas[k], betas[k-1])
		if k-1 > 0 {
			a.transition(betas[k-1])
		}
	}
	lm, se, ess := summarize(a.logw)
	return AISResult{LogZ: logZA - lm, SE: se, LogZBase: logZA, LogWeights: a.logw, ESS: ess,
		Runs: runs, Betas: len(betas), Start: start}, nil
}

package sample

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ebm-go/ebm/diag"
	"github.com/ebm-go/ebm/tensor"
)

// Adapt selects what Run tunes during warm-up.
type Adapt int

const (
	// AdaptAuto, the default, adapts the step size and the diagonal inverse
	// metric of Tunable kernels (RWMH, MALA, HMC); other kernels just run
	// their warm-up as burn-in.
	AdaptAuto Adapt = iota
	// AdaptStepSize adapts the step size only, keeping the inverse metric.
	AdaptStepSize
	// AdaptOff runs the warm-up as plain burn-in with the kernel's own step
	// size and inverse metric.
	AdaptOff
)

// Calibrate selects whether warm-up ends with the calibration phase that
// scales the adapted step sizes so that the acceptance hits the target (see
// the package documentation, "Calibration").
type Calibrate int

const (
	// CalibrateAuto, the default, reserves the last part of warm-up (see
	// Windows.Calibration) for calibrating a common factor of the step sizes.
	CalibrateAuto Calibrate = iota
	// CalibrateOff keeps Stan's behaviour: the whole warm-up follows Stan's
	// windows and each chain keeps its dual-averaging step size exp(x̄).
	CalibrateOff
)

// Config configures Run. The zero value of each field other than Steps is a
// usable default.
type Config struct {
	// Warmup is the number of warm-up (adaptation, burn-in) steps, ≥ 0; they
	// are not kept.
	Warmup int
	// Steps is the number of sampling steps, ≥ 1.
	Steps int
	// Thin keeps every Thin-th sampling step (the Thin-th, 2·Thin-th, …);
	// 0 means 1.
	Thin int
	// Seed seeds chain c's generator rand.New(rand.NewPCG(Seed, uint64(c))).
	Seed uint64
	// Clamp, if not nil, confines the chains to a box (see Box).
	Clamp *Box
	// Adapt selects what warm-up tunes; see Adapt.
	Adapt Adapt
	// TargetAccept is the mean acceptance probability the step-size
	// adaptation aims at, in (0, 1); 0 means the kernel's DefaultTarget
	// (RWMH 0.234, MALA 0.574, HMC 0.8).
	TargetAccept float64
	// Windows sets the metric adaptation's windows and the calibration
	// budget; zero fields take the defaults.
	Windows Windows
	// Calibrate selects whether warm-up ends with step-size calibration;
	// the default is on. It applies only when the step size adapts.
	Calibrate Calibrate
	// Progress, if not nil, is called after every step with the number of
	// steps done and the total Warmup + Steps.
	Progress func(done, total int)
}

// Windows lays out the warm-up of a Tunable kernel. With calibration on (the
// default, see Config.Calibrate) the warm-up of W steps is split into
//
//	W − C steps of Stan's adaptation, then C steps of calibration,
//
// with C = Calibration, or when Calibration is 0 ⌊0.15·W⌋ (⌊0.3·W⌋ for a
// single chain, ⌊0.2·W⌋ for two, whose pooled acceptance is noisier), and at
// most ⌊W/2⌋.
// With calibration off, C = 0 and Stan's adaptation takes all W steps.
//
// Stan's adaptation (its adapt init_buffer, window and term_buffer) is laid
// out over its W − C steps exactly as Stan lays out a warm-up of that length:
// InitBuffer steps of step-size adaptation alone, then slow windows of
// BaseWindow, 2·BaseWindow, … steps whose draws estimate the inverse metric
// (the last one stretched to the terminal buffer), then TermBuffer steps of
// step-size adaptation alone. A zero field means Stan's default: 75, 25 and
// 50. When the three exceed the W − C steps they become 15%, 75% and 10% of
// them, as in Stan. For W = 1000 the slow windows end at steps 99, 149, 249
// and 799, the terminal buffer is 800–849 and calibration 850–999.
//
// The dual averaging of the terminal buffer gives each chain its step size
// exp(x̄). Its iterates fluctuate around the target (their spread shrinks
// only like t^(−1/4)) and the mean acceptance over them matches the target;
// the acceptance being concave in log ε, the acceptance at their average x̄ is
// higher (Jensen's inequality). With Stan's 50 steps the acceptance after
// warm-up is typically 0.05–0.1 above the target (measured on a 50-D Gaussian:
// HMC 0.91 for 0.8, MALA 0.64 for 0.574; HMC on a correlated 2-D Gaussian
// 0.89–0.95), and a longer terminal buffer shrinks this only slowly. The
// calibration phase removes it: see the package documentation.
type Windows struct {
	InitBuffer, BaseWindow, TermBuffer int
	// Calibration is the number of final warm-up steps spent calibrating the
	// step size (ignored with calibration off); 0 means 15% of warm-up
	// (30% for one chain, 20% for two).
	Calibration int
}

// Result holds the kept draws of a run and what the run learned.
type Result struct {
	// Chains, Kept and Dim are the shape of the draws: chains × kept draws × d.
	Chains, Kept, Dim int
	// Data holds the draws contiguously, chain-major: coordinate j of draw t
	// of chain c is Data[(c*Kept+t)*Dim+j]. See Draw and Draws.
	Data []float64
	// Energy holds E at each kept draw, Energy[c*Kept+t].
	Energy []float64
	// Last holds the chains' final positions (n×d), to continue from.
	Last *tensor.Dense[float64]
	// AcceptRate is each chain's fraction of accepted proposals, and
	// MeanAcceptProb its mean Metropolis–Hastings acceptance probability,
	// over the sampling steps (after warm-up). Both are 1 for unadjusted
	// kernels.
	AcceptRate, MeanAcceptProb []float64
	// StepSize is each chain's step size during sampling (adapted or not).
	StepSize []float64
	// InvMetric is each chain's diagonal inverse metric during sampling; nil
	// for kernels without one.
	InvMetric [][]float64
	// Divergences counts each chain's divergent transitions while sampling,
	// WarmupDivergences during warm-up.
	Divergences, WarmupDivergences []int
	// NGrad counts each chain's gradient evaluations, warm-up and step-size
	// heuristics included.
	NGrad []int
	// Target is the acceptance target adaptation used; 0 if none adapted.
	Target float64
	// StepScale is the common factor calibration applied to every chain's
	// dual-averaging step size exp(x̄); 1 without calibration.
	StepScale float64
	// Warmup, Steps and Thin repeat the run's configuration.
	Warmup, Steps, Thin int
	// Elapsed is the wall-clock time of the run.
	Elapsed time.Duration
}

// Run draws from k's target with x0.Rows chains started at the rows of x0: it
// runs cfg.Warmup warm-up steps (adapting Tunable kernels, see the package
// documentation), then cfg.Steps sampling steps, keeping every cfg.Thin-th.
// It returns an error, never panics, for invalid arguments, for a NaN or
// infinite energy as described in the package documentation
// (*NonFiniteError), and ctx.Err() when ctx is cancelled (checked before every
// step).
func Run(ctx context.Context, k Kernel, x0 *tensor.Dense[float64], cfg Config) (*Result, error) {
	start := time.Now()
	if k == nil {
		return nil, errors.New("sample: nil kernel")
	}
	if x0 == nil {
		return nil, errors.New("sample: nil initial points")
	}
	d := k.Dim()
	if x0.Cols != d {
		return nil, fmt.Errorf("sample: energy dimension %d ≠ %d columns of the initial points", d, x0.Cols)
	}
	if x0.Rows < 1 {
		return nil, fmt.Errorf("sample: need at least one chain, got %d", x0.Rows)
	}
	if cfg.Steps < 1 {
		return nil, fmt.Errorf("sample: %d sampling steps, need at least 1", cfg.Steps)
	}
	if cfg.Warmup < 0 {
		return nil, fmt.Errorf("sample: %d warm-up steps, must be ≥ 0", cfg.Warmup)
	}
	thin := cfg.Thin
	if thin == 0 {
		thin = 1
	}
	if thin < 0 {
		return nil, fmt.Errorf("sample: thin %d must be ≥ 0", cfg.Thin)
	}
	kept := cfg.Steps / thin
	if kept < 1 {
		return nil, fmt.Errorf("sample: thin %d > %d steps keeps no draws", thin, cfg.Steps)
	}
	if cfg.Adapt < AdaptAuto || cfg.Adapt > AdaptOff {
		return nil, fmt.Errorf("sample: unknown adaptation mode %d", cfg.Adapt)
	}
	if w := cfg.Windows; w.InitBuffer < 0 || w.BaseWindow < 0 || w.TermBuffer < 0 || w.Calibration < 0 {
		return nil, fmt.Errorf("sample: negative adaptation window %+v", w)
	}
	if cfg.Calibrate < CalibrateAuto || cfg.Calibrate > CalibrateOff {
		return nil, fmt.Errorf("sample: unknown calibration mode %d", cfg.Calibrate)
	}
	if t := cfg.TargetAccept; t != 0 && !(t > 0 && t < 1) {
		return nil, fmt.Errorf("sample: target acceptance %g must lie in (0, 1)", t)
	}
	n := x0.Rows
	if float64(n)*float64(kept)*float64(d) > 1<<32 {
		return nil, fmt.Errorf("sample: %d chains × %d draws × %d coordinates is too many to keep; thin more", n, kept, d)
	}
	if err := tensor.CheckAlloc("sample: kept draws", n, kept, d); err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, err := k.Init(x0, cfg.Clamp)
	if err != nil {
		return nil, err
	}

	res := &Result{
		Chains: n, Kept: kept, Dim: d,
		Data:              make([]float64, n*kept*d),
		Energy:            make([]float64, n*kept),
		AcceptRate:        make([]float64, n),
		MeanAcceptProb:    make([]float64, n),
		StepSize:          make([]float64, n),
		Divergences:       make([]int, n),
		WarmupDivergences: make([]int, n),
		NGrad:             make([]int, n),
		StepScale:         1,
		Warmup:            cfg.Warmup, Steps: cfg.Steps, Thin: thin,
	}
	rngs := make([]*rand.Rand, n)
	for c := range rngs {
		rngs[c] = rand.New(rand.NewPCG(cfg.Seed, uint64(c)))
	}
	info := make([]Info, n)
	total := cfg.Warmup + cfg.Steps

	// Warm-up.
	tun, ok := k.(Tunable)
	adapt := ok && cfg.Adapt != AdaptOff && cfg.Warmup > 0
	var ad *adapter
	if adapt {
		res.Target = cfg.TargetAccept
		if res.Target == 0 {
			res.Target = tun.DefaultTarget()
		}
		ad = newAdapter(tun, s, cfg.Warmup, cfg.Windows, cfg.Adapt == AdaptAuto && s.InvMetric != nil, cfg.Calibrate == CalibrateAuto, res.Target)
		if err := ad.initStep(rngs, info, res.NGrad); err != nil {
			return nil, phaseErr(err, PhaseWarmup, 0)
		}
	}
	for it := 0; it < cfg.Warmup; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := k.Step(s, rngs, info); err != nil {
			return nil, phaseErr(err, PhaseWarmup, it)
		}
		for c := range info {
			res.NGrad[c] += info[c].NGrad
			if info[c].Divergent {
				res.WarmupDivergences[c]++
			}
		}
		if adapt {
			if err := ad.learn(rngs, info, res.NGrad); err != nil {
				return nil, phaseErr(err, PhaseWarmup, it)
			}
		}
		if cfg.Progress != nil {
			cfg.Progress(it+1, total)
		}
	}
	if adapt {
		res.StepScale = ad.finish()
	}

	// Sampling.
	copy(res.StepSize, s.Step)
	if s.InvMetric != nil {
		res.InvMetric = make([][]float64, n)
		for c := range res.InvMetric {
			res.InvMetric[c] = append([]float64(nil), s.InvMetric.Row(c)...)
		}
	}
	t := 0
	for it := 0; it < cfg.Steps; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := k.Step(s, rngs, info); err != nil {
			return nil, phaseErr(err, PhaseSampling, it)
		}
		for c := range info {
			in := &info[c]
			res.NGrad[c] += in.NGrad
			res.MeanAcceptProb[c] += in.AcceptProb
			if in.Accepted {
				res.AcceptRate[c]++
			}
			if in.Divergent {
				res.Divergences[c]++
			}
		}
		if (it+1)%thin == 0 && t < kept {
			for c := 0; c < n; c++ {
				copy(res.Data[(c*kept+t)*d:(c*kept+t+1)*d], s.X.Row(c))
				res.Energy[c*kept+t] = s.E[c]
			}
			t++
		}
		if cfg.Progress != nil {
			cfg.Progress(cfg.Warmup+it+1, total)
		}
	}
	for c := 0; c < n; c++ {
		res.AcceptRate[c] /= float64(cfg.Steps)
		res.MeanAcceptProb[c] /= float64(cfg.Steps)
	}
	res.Last = s.X.Clone()
	res.Elapsed = time.Since(start)
	return res, nil
}

// phaseErr labels err with the phase and step index.
func phaseErr(err error, phase string, step int) error {
	var nf *NonFiniteError
	if errors.As(err, &nf) {
		e := *nf
		e.Phase, e.Step = phase, step
		return &e
	}
	return fmt.Errorf("sample: %s step %d: %w", phase, step, err)
}

// adapter runs the warm-up adaptation for every chain of a state: Stan's
// over the first stan steps, then calibration (when cal is set) over the
// rest.
type adapter struct {
	k      Tunable
	s      *State
	target float64
	da     []dualAvg
	win    windows
	wf     []welford
	active []*rand.Rand
	dir    []int
	stan   int         // warm-up steps of Stan's adaptation
	done   int         // warm-up steps learnt from
	cal    *calibrator // nil without calibration
}

func newAdapter(k Tunable, s *State, warmup int, ws Windows, metric, calibrate bool, target float64) *adapter {
	n, d := s.X.Rows, s.X.Cols
	a := &adapter{
		k: k, s: s, target: target,
		da:     make([]dualAvg, n),
		active: make([]*rand.Rand, n),
		dir:    make([]int, n),
		stan:   warmup,
	}
	if calibrate {
		if steps := calibrationSteps(warmup, ws.Calibration, n); steps > 0 {
			a.stan = warmup - steps
			a.cal = newCalibrator(n, steps, target)
		}
	}
	if metric {
		a.win = newWindows(a.stan, ws)
	}
	if a.win.enabled {
		a.wf = make([]welford, n)
		for c := range a.wf {
			a.wf[c] = welford{mean: make([]float64, d), m: make([]float64, d)}
		}
	}
	return a
}

// initStep runs the step-size heuristic and restarts dual averaging at
// μ = log(10ε) with ε the heuristic's result (as BlackJAX does).
func (a *adapter) initStep(rngs []*rand.Rand, info []Info, ngrad []int) error {
	if err := findStep(a.k, a.s, rngs, a.active, info, a.dir, ngrad); err != nil {
		return err
	}
	for c := range a.da {
		a.da[c].restart(a.s.Step[c])
	}
	return nil
}

// learn updates the step sizes with the last transition's acceptance
// probabilities and feeds the metric windows; in the calibration phase it
// feeds the calibrator instead.
func (a *adapter) learn(rngs []*rand.Rand, info []Info, ngrad []int) error {
	a.done++
	if a.done > a.stan {
		a.cal.learn(a.s.Step, info)
		return nil
	}
	err := a.learnStan(rngs, info, ngrad)
	if a.done == a.stan && a.cal != nil {
		for c := range a.da {
			a.cal.base[c] = a.da[c].final()
		}
		a.cal.apply(a.s.Step)
	}
	return err
}

func (a *adapter) learnStan(rngs []*rand.Rand, info []Info, ngrad []int) error {
	s := a.s
	for c := range a.da {
		s.Step[c] = a.da[c].learn(info[c].AcceptProb, a.target)
	}
	w := &a.win
	if !w.enabled {
		return nil
	}
	if w.inWindow() {
		for c := range a.wf {
			a.wf[c].add(s.X.Row(c))
		}
	}
	if w.endOfWindow() {
		for c := range a.wf {
			a.wf[c].regularized(s.InvMetric.Row(c))
			a.wf[c].reset()
		}
		w.advance()
		return a.initStep(rngs, info, ngrad)
	}
	w.advance()
	return nil
}

// finish fixes each chain's step size for sampling: exp(x̄), times the
// calibrated common factor when calibration ran, which it returns (1
// otherwise).
func (a *adapter) finish() float64 {
	if a.cal != nil {
		a.cal.finish()
		a.cal.apply(a.s.Step)
		return a.cal.scale()
	}
	for c := range a.da {
		a.s.Step[c] = a.da[c].final()
	}
	return 1
}

// Draw returns draw t of chain c (aliasing Data).
func (r *Result) Draw(c, t int) []float64 {
	i := (c*r.Kept + t) * r.Dim
	return r.Data[i : i+r.Dim : i+r.Dim]
}

// Draws returns coordinate j of every draw as draws[chain][iteration], the
// layout of package diag.
func (r *Result) Draws(j int) [][]float64 {
	out := make([][]float64, r.Chains)
	for c := range out {
		row := make([]float64, r.Kept)
		for t := range row {
			row[t] = r.Data[(c*r.Kept+t)*r.Dim+j]
		}
		out[c] = row
	}
	return out
}

// Mean returns the mean of every coordinate over all chains and draws.
func (r *Result) Mean() []float64 {
	m := make([]float64, r.Dim)
	for i := 0; i < r.Chains*r.Kept; i++ {
		x := r.Data[i*r.Dim : (i+1)*r.Dim]
		for j, v := range x {
			m[j] += v
		}
	}
	for j := range m {
		m[j] /= float64(r.Chains * r.Kept)
	}
	return m
}

// MaxCovDim is the largest dimension for which Result.Cov builds the d×d
// covariance (4096: 128 MiB of float64); above it Cov returns nil and Var
// gives the per-coordinate variances.
const MaxCovDim = 4096

// Var returns the sample variance (divisor N−1) of every coordinate over all
// draws pooled: O(d) memory, whatever d. With a single draw it is NaN.
func (r *Result) Var() []float64 {
	mu := r.Mean()
	d, N := r.Dim, r.Chains*r.Kept
	v := make([]float64, d)
	for i := 0; i < N; i++ {
		x := r.Data[i*d : (i+1)*d]
		for j, xj := range x {
			t := xj - mu[j]
			v[j] += t * t
		}
	}
	for j := range v {
		v[j] /= float64(N - 1)
	}
	return v
}

// Cov returns the d×d sample covariance (divisor N−1) of all draws pooled, or
// nil when d > MaxCovDim (use Var for the diagonal).
func (r *Result) Cov() [][]float64 {
	if r.Dim > MaxCovDim {
		return nil
	}
	mu := r.Mean()
	d, N := r.Dim, r.Chains*r.Kept
	cov := make([][]float64, d)
	for j := range cov {
		cov[j] = make([]float64, d)
	}
	dev := make([]float64, d)
	for i := 0; i < N; i++ {
		x := r.Data[i*d : (i+1)*d]
		for j, v := range x {
			dev[j] = v - mu[j]
		}
		for j := 0; j < d; j++ {
			row := cov[j]
			for l := 0; l <= j; l++ {
				row[l] += dev[j] * dev[l]
			}
		}
	}
	for j := 0; j < d; j++ {
		for l := 0; l <= j; l++ {
			cov[j][l] /= float64(N - 1)
			cov[l][j] = cov[j][l]
		}
	}
	return cov
}

// Diagnostics holds per-coordinate convergence diagnostics of a Result.
type Diagnostics struct {
	// Rhat is the rank-normalized split-R̂ (diag.SplitRhat), ESSBulk and
	// ESSTail the bulk and tail effective sample sizes, per coordinate.
	Rhat, ESSBulk, ESSTail []float64
	// MaxRhat, MinESSBulk and MinESSTail are the worst values over the
	// coordinates (NaN values, e.g. from fewer than 4 draws, are skipped; all
	// NaN gives NaN).
	MaxRhat, MinESSBulk, MinESSTail float64
	// Chains and Kept are the run's chains and kept draws per chain, and
	// Divergences its divergent transitions after warm-up (all chains), for
	// Warnings.
	Chains, Kept, Divergences int
}

// Diagnostics computes R̂ and ESS for every coordinate with package diag.
func (r *Result) Diagnostics() Diagnostics {
	dg := Diagnostics{
		Rhat:    make([]float64, r.Dim),
		ESSBulk: make([]float64, r.Dim),
		ESSTail: make([]float64, r.Dim),
		Chains:  r.Chains,
		Kept:    r.Kept,
	}
	for _, n := range r.Divergences {
		dg.Divergences += n
	}
	for j := 0; j < r.Dim; j++ {
		dr := r.Draws(j)
		dg.Rhat[j] = diag.SplitRhat(dr)
		dg.ESSBulk[j] = diag.ESSBulk(dr)
		dg.ESSTail[j] = diag.ESSTail(dr)
	}
	dg.MaxRhat = worst(dg.Rhat, math.Max)
	dg.MinESSBulk = worst(dg.ESSBulk, math.Min)
	dg.MinESSTail = worst(dg.ESSTail, math.Min)
	return dg
}

func worst(v []float64, pick func(a, b float64) float64) float64 {
	w := math.NaN()
	for _, x := range v {
		if math.IsNaN(x) {
			continue
		}
		if math.IsNaN(w) {
			w = x
		} else {
			w = pick(w, x)
		}
	}
	return w
}

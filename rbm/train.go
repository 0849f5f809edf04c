package rbm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
	"github.com/viterin/vek/vek32"
)

// Method is the training estimator: the estimate of the model term of the
// likelihood gradient (PCD, CD), or an objective free of the partition
// function (MPF, PL).
type Method int

const (
	// PCD is persistent contrastive divergence (Tieleman 2008): the negative
	// chains continue from one update to the next. As in scikit-learn, there is
	// one persistent chain per batch row and the chains start at h = 0.
	PCD Method = iota
	// CD is contrastive divergence CD-k (Hinton 2002): the negative chains start
	// at the batch's own hidden samples.
	CD
	// MPF minimizes the minimum-probability-flow objective of the free energy
	// with single-bit-flip connectivity (Sohl-Dickstein et al. 2011; see
	// FlipObjective): exact gradients, no sampling. Bernoulli units only.
	MPF
	// PL maximizes the exact pseudo-log-likelihood Σᵢ log p(vᵢ | v₋ᵢ) of the
	// free energy (see PseudoLogLik and FlipObjective). Bernoulli units only.
	PL
)

// String returns "pcd", "cd", "mpf" or "pl".
func (m Method) String() string {
	switch m {
	case MPF:
		return "mpf"
	case PL:
		return "pl"
	case PCD:
		return "pcd"
	case CD:
		return "cd"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod parses "cd", "pcd", "mpf" or "pl".
func ParseMethod(s string) (Method, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mpf":
		return MPF, nil
	case "pl":
		return PL, nil
	case "pcd":
		return PCD, nil
	case "cd":
		return CD, nil
	}
	return 0, fmt.Errorf("rbm: unknown training method %q (want cd, pcd, mpf or pl)", s)
}

// Config is a training configuration. Zero values of Method, K, Epochs,
// BatchSize and LR mean scikit-learn's BernoulliRBM defaults (PCD, k = 1,
// 10 epochs, batches of 10, learning rate 0.1); zero Momentum and WeightDecay
// mean none. DefaultConfig returns the same values explicitly.
type Config struct {
	// Method is PCD (default) or CD.
	Method Method
	// K is the number of Gibbs sweeps per update (default 1).
	K int
	// Epochs is the number of passes over the data (default 10).
	Epochs int
	// BatchSize is the number of examples per update (default 10). The batches
	// are scikit-learn's even slices: ⌈n/BatchSize⌉ batches whose sizes differ by
	// at most one.
	BatchSize int
	// LR is the base learning rate (default 0.1). The gradient is the batch
	// mean, as in scikit-learn.
	LR float64
	// Schedule, when not nil, gives the learning rate of every update (its
	// step counts updates from 0 across epochs; Batches gives the updates per
	// epoch, ParseSchedule and LinearDecay build the usual ones); nil keeps LR.
	Schedule optim.Schedule
	// Momentum is the momentum μ of optim.SGD: with g the gradient of the
	// negative log-likelihood, b ← μb + g + λW, θ ← θ − lr·b.
	Momentum float64
	// WeightDecay is the L2 coefficient λ, applied to W only (not to biases).
	WeightDecay float64
	// Shuffle reorders the examples every epoch with a permutation drawn from
	// Seed. scikit-learn does not shuffle.
	Shuffle bool
	// Seed seeds the Gibbs sampling and the shuffles. (The initial weights come
	// from the seed given to New.)
	Seed uint64
	// Chains is the number of persistent chains for PCD (default BatchSize).
	Chains int
	// Binarize thresholds the data at Threshold (values ≥ Threshold become 1)
	// before training a Bernoulli RBM; without it non-binary data is an error.
	Binarize bool
	// Threshold is the binarization threshold (default 0.5).
	Threshold float32
	// Fractional lets Bernoulli units train on values in [0, 1], read as
	// probabilities (as the upper layers of a deep belief net do).
	Fractional bool
	// LearnVar also learns the log-variances zᵢ = log σᵢ² of Gaussian units;
	// otherwise they stay fixed (σᵢ = 1 from New: standardize the data).
	LearnVar bool
	// VarLR is the learning rate of the log-variances (default LR/10). They are
	// kept in [MinLogVar, 10].
	VarLR float64
	// TrackRecon computes the mean squared mean-field reconstruction error of
	// the training batches for each epoch's statistics (an extra product per
	// batch).
	TrackRecon bool
	// OnBatch, when set, is called after every update with the number of updates
	// done and the total (for progress bars).
	OnBatch func(done, total int)
}

// MinLogVar is the lower bound on the learned log-variances of Gaussian units
// (σ ≥ e⁻⁴ ≈ 0.018), which keeps a Gaussian RBM from collapsing onto single
// training points.
const MinLogVar = -8

// DefaultConfig returns scikit-learn's BernoulliRBM defaults: PCD-1, learning rate
// 0.1, batches of 10, 10 epochs, no momentum, no weight decay, no shuffling.
func DefaultConfig() Config {
	return Config{Method: PCD, K: 1, Epochs: 10, BatchSize: 10, LR: 0.1}
}

func (c Config) withDefaults() Config {
	if c.K == 0 {
		c.K = 1
	}
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.BatchSize == 0 {
		c.BatchSize = 10
	}
	if c.LR == 0 {
		c.LR = 0.1
	}
	if c.Threshold == 0 {
		c.Threshold = 0.5
	}
	if c.VarLR == 0 {
		c.VarLR = c.LR / 10
	}
	return c
}

// Validate reports configuration errors (negative or nonsensical values).
func (c Config) Validate() error {
	switch {
	case c.Method < PCD || c.Method > PL:
		return fmt.Errorf("rbm: unknown method %d", int(c.Method))
	case c.K < 0:
		return fmt.Errorf("rbm: k = %d Gibbs steps; need k ≥ 1", c.K)
	case c.Epochs < 0:
		return fmt.Errorf("rbm: %d epochs; need at least 1", c.Epochs)
	case c.BatchSize < 0:
		return fmt.Errorf("rbm: batch size %d; need at least 1", c.BatchSize)
	case c.LR < 0 || math.IsNaN(c.LR) || math.IsInf(c.LR, 0):
		return fmt.Errorf("rbm: learning rate %g; need a positive number", c.LR)
	case c.Momentum < 0 || c.Momentum >= 1 || math.IsNaN(c.Momentum):
		return fmt.Errorf("rbm: momentum %g; need 0 ≤ momentum < 1", c.Momentum)
	case c.WeightDecay < 0 || math.IsNaN(c.WeightDecay) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("rbm: weight decay %g; need ≥ 0", c.WeightDecay)
	case c.Chains < 0:
		return fmt.Errorf("rbm: %d chains; need ≥ 1", c.Chains)
	case c.VarLR < 0 || math.IsNaN(c.VarLR) || math.IsInf(c.VarLR, 0):
		return fmt.Errorf("rbm: variance learning rate %g; need a finite number ≥ 0", c.VarLR)
	case c.Threshold < 0 || c.Threshold != c.Threshold:
		return fmt.Errorf("rbm: binarization threshold %g; need ≥ 0", c.Threshold)
	}
	return checkSchedule(c.Schedule)
}

// EpochStats are the statistics of one training epoch, passed to Fit's callback.
type EpochStats struct {
	// Epoch counts from 1.
	Epoch int `json:"epoch"`
	// LR is the learning rate of the epoch's last update.
	LR float64 `json:"lr"`
	// Seconds is the wall time of the epoch's updates and the loop's checks
	// (the per-epoch callback excluded).
	Seconds float64 `json:"seconds"`
	// ReconError is the mean squared mean-field reconstruction error of the
	// epoch's training batches (only with Config.TrackRecon).
	ReconError float64 `json:"recon_error,omitempty"`
}

// FitResult summarizes a training run.
type FitResult struct {
	// Epochs is the number of epochs run.
	Epochs int `json:"epochs"`
	// Seconds is the total training time, callbacks excluded.
	Seconds float64 `json:"seconds"`
	// SecPerEpoch is Seconds/Epochs.
	SecPerEpoch float64 `json:"sec_per_epoch"`
	// History holds every epoch's statistics.
	History []EpochStats `json:"history"`
	// Retries counts the divergences the run recovered from by rolling back
	// to the start of the epoch with the learning rate halved.
	Retries int `json:"divergence_rollbacks,omitempty"`
}

// ErrStop may be returned by Fit's callback to end training early without an
// error.
var ErrStop = errors.New("rbm: stop training")

// Fit trains r on the rows of x by stochastic gradient ascent on the
// log-likelihood, estimating the model term by CD-k or PCD (cfg.Method). After
// every epoch it calls onEpoch (when not nil); returning ErrStop ends training
// early, any other error aborts Fit with it. Fit returns ctx's error when ctx is
// cancelled (the model then holds the last update).
//
// For each batch of Bₚ examples and Bₙ negative chains the update is
//
//	ΔW = lr·(vₚᵀ p(h|vₚ)/Bₚ − vₙᵀ p(h|vₙ)/Bₙ),  Δb = lr·(mean vₚ − mean vₙ),
//	Δc = lr·(mean p(h|vₚ) − mean p(h|vₙ)),
//
// where vₙ are the visible samples after k Gibbs sweeps (scikit-learn's
// estimator), plus momentum and weight decay as configured. For Gaussian units
// vᵢ/σᵢ² replaces vᵢ in ΔW, Δb is scaled by 1/σᵢ², and with LearnVar
// Δzᵢ = VarLR·(g(vₚ) − g(vₙ)) with g(v)ᵢ = e^{−zᵢ}((vᵢ−bᵢ)²/2 − vᵢ(W p(h|v))ᵢ).
//
// The run is a train.Loop with one iteration per batch (epochs × Batches
// updates) and the parameter groups "weights" (W, with weight decay),
// "biases" (b, c) and, with LearnVar, "log_var" (at VarLR/LR times the
// scheduled rate). A divergence (a non-finite parameter, gradient or
// reconstruction error) rolls the model back to the start of its epoch with
// the learning rates halved, up to five times (FitResult.Retries counts them);
// after that Fit returns a *train.DivergenceError.
func (r *RBM) Fit(ctx context.Context, x *tensor.Dense[float32], cfg Config, onEpoch func(EpochStats) error) (FitResult, error) {
	var res FitResult
	if err := r.Validate(); err != nil {
		return res, err
	}
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	cfg = cfg.withDefaults()
	if r.Visible == Bernoulli && cfg.Binarize {
		if err := checkData(x, r.NumVisible(), false, false, "training data"); err != nil {
			return res, err
		}
		x = Binarize(x, cfg.Threshold)
	}
	if cfg.Method == MPF || cfg.Method == PL {
		return r.fitFlip(ctx, x, cfg, onEpoch)
	}
	if err := checkData(x, r.NumVisible(), r.Visible == Bernoulli, cfg.Fractional, "training data"); err != nil {
		return res, err
	}
	t, err := newTrainer(r, x, cfg)
	if err != nil {
		return res, err
	}
	run := &fitRun[float32]{groups: t.groups, obj: t, epochs: cfg.Epochs, seed: cfg.Seed, onBatch: cfg.OnBatch,
		src:      &evenSlices{N: x.Rows, Size: cfg.BatchSize, Shuffle: cfg.Shuffle, Seed: cfg.Seed ^ 0x5a0ff1e},
		endEpoch: onEpoch,
		reset:    func() { t.recon, t.reconN = 0, 0 },
		fill: func(st *EpochStats) {
			if cfg.TrackRecon && t.reconN > 0 {
				st.ReconError = t.recon / float64(t.reconN)
			}
		}}
	return run.run(ctx)
}

// Params returns the parameters of r as autodiff parameters whose values are
// r's own matrices (no copy): W (V×H), b (1×V), c (1×H) and, for Gaussian
// units, log_var (1×V), each with a zero gradient of its shape. The training
// code fills the gradients of the negative log-likelihood (CD-k or PCD
// estimates), so any optimizer of package optim can apply them.
func (r *RBM) Params() []*autodiff.Param[float32] {
	ps := []*autodiff.Param[float32]{autodiff.NewParam("W", r.W), vecParam("b", r.B), vecParam("c", r.C)}
	if r.LogVar != nil {
		ps = append(ps, vecParam("log_var", r.LogVar))
	}
	return ps
}

// trainer holds the buffers of one training run; a step allocates nothing once
// the buffers have grown.
type trainer struct {
	r      *RBM
	cfg    Config
	e      *engine
	x      *tensor.Dense[float32]
	data   *ones // ones of every row of x, when x is binary
	binary bool  // data binary and units Bernoulli: use the sparse kernels

	bp, bn     int
	vv         *tensor.Dense[float32] // (bp+bn)×V: positive rows, then negative rows
	hh         *tensor.Dense[float32] // (bp+bn)×H: p(h|v) for the same rows
	vvOn       ones                   // ones of vv (binary case)
	negOn      ones
	hs         *tensor.Dense[float32] // bn×H hidden states of the negative chains
	hsOn       ones
	mv         *tensor.Dense[float32] // bn×V visible means
	params     []*autodiff.Param[float32]
	pW, pB, pC *autodiff.Param[float32]
	pZ         *autodiff.Param[float32] // log-variances (Gaussian with LearnVar), else nil
	groups     []train.Group[float32]
	names      []string
	scaled     *tensor.Dense[float32] // vv/σ² (Gaussian)
	hw         *tensor.Dense[float32] // hh·Wᵀ (Gaussian with LearnVar)
	rec        *tensor.Dense[float32]
	views      [6]tensor.Dense[float32] // row views, kept here so a step allocates nothing
	outer      outerJob
	recMul     mulJob
	sig        sigmoidJob

	recon  float64
	reconN int
}

func newTrainer(r *RBM, x *tensor.Dense[float32], cfg Config) (*trainer, error) {
	t := &trainer{r: r, cfg: cfg, x: x, e: newEngine(r, cfg.Seed)}
	if r.Visible == Bernoulli {
		t.data = &ones{}
		t.binary = t.data.FromDense(x)
		if !t.binary {
			t.data = nil
		}
	}
	nv, nh := r.NumVisible(), r.NumHidden()
	bmax := min(cfg.BatchSize, x.Rows)
	t.bn = bmax
	if cfg.Method == PCD && cfg.Chains > 0 {
		t.bn = cfg.Chains
	}
	t.vv = tensor.New[float32](bmax+t.bn, nv)
	t.hh = tensor.New[float32](bmax+t.bn, nh)
	t.hs = tensor.New[float32](t.bn, nh) // PCD chains start at h = 0, as in scikit-learn
	t.hsOn.Reset()
	t.hsOn.AppendEmpty(t.bn)
	t.mv = tensor.New[float32](t.bn, nv)
	t.params = r.Params()
	t.pW, t.pB, t.pC = t.params[0], t.params[1], t.params[2]
	var err error
	if t.groups, err = sgdGroups(t.params[:1], t.params[1:3], cfg.LR, cfg.Schedule, cfg.Momentum, cfg.WeightDecay); err != nil {
		return nil, err
	}
	if r.Visible == Gaussian && cfg.LearnVar {
		t.pZ = t.params[3]
		opt, err := optim.NewSGD[float32](optim.SGDConfig{LR: cfg.VarLR, Momentum: cfg.Momentum})
		if err != nil {
			return nil, err
		}
		g := train.Group[float32]{Name: "log_var", Params: t.params[3:4], Optimizer: opt, LR: cfg.VarLR,
			AfterStep: func() {
				for i, z := range r.LogVar {
					r.LogVar[i] = min(max(z, MinLogVar), 10)
				}
			}}
		if cfg.Schedule != nil {
			g.Schedule = scaledSchedule{cfg.Schedule, cfg.VarLR / cfg.LR}
		}
		t.groups = append(t.groups, g)
	}
	t.names = groupNames(t.groups)
	return t, nil
}

// Groups returns the names of the parameter groups the trainer updates
// (train.GradObjective).
func (t *trainer) Groups() []string { return t.names }

// view sets v to rows [lo, hi) of m and returns it.
func view(v, m *tensor.Dense[float32], lo, hi int) *tensor.Dense[float32] {
	*v = tensor.Dense[float32]{Rows: hi - lo, Cols: m.Cols, Data: m.Data[lo*m.Cols : hi*m.Cols]}
	return v
}

// Grads fills the gradients of the negative log-likelihood for the examples
// idx (train.GradObjective): the CD-k or PCD estimate of grads. Its Stats.Loss
// is the batch's mean squared reconstruction error with TrackRecon, else 0.
func (t *trainer) Grads(idx []int, _ *rand.Rand) (train.Stats, error) {
	r, cfg, e := t.r, t.cfg, t.e
	e.sync() // the parameters changed since the last batch
	nv, nh := r.NumVisible(), r.NumHidden()
	bp := len(idx)
	bn := t.bn
	if cfg.Method == CD {
		bn = bp
	}
	t.vv.Rows, t.hh.Rows = bp+bn, bp+bn
	t.vv.Data, t.hh.Data = t.vv.Data[:cap(t.vv.Data)][:(bp+bn)*nv], t.hh.Data[:cap(t.hh.Data)][:(bp+bn)*nh]
	vpos, vneg := view(&t.views[0], t.vv, 0, bp), view(&t.views[1], t.vv, bp, bp+bn)
	hpos, hneg := view(&t.views[2], t.hh, 0, bp), view(&t.views[3], t.hh, bp, bp+bn)

	// Positive phase.
	t.vvOn.Reset()
	for k, i := range idx {
		copy(vpos.Row(k), t.x.Row(i))
		if t.binary {
			t.vvOn.AppendRow(t.data, i)
		}
	}
	var posOn *ones
	if t.binary {
		posOn = &t.vvOn
	}
	e.hiddenProbs(hpos, vpos, posOn)

	// Negative phase.
	hs := view(&t.views[4], t.hs, 0, bn)
	if cfg.Method == CD {
		e.sampleHidden(hs, hpos, &t.hsOn)
	}
	mv := view(&t.views[5], t.mv, 0, bn)
	var negOn *ones
	if r.Visible == Bernoulli {
		negOn = &t.negOn
	}
	for s := 0; s < cfg.K; s++ {
		e.visibleMeans(mv, hs, &t.hsOn)
		e.sampleVisible(vneg, mv, negOn)
		e.hiddenProbs(hneg, vneg, negOn)
		if s < cfg.K-1 || cfg.Method == PCD {
			e.sampleHidden(hs, hneg, &t.hsOn)
		}
	}

	var st train.Stats
	if cfg.TrackRecon {
		t.rec = tensor.Reuse(t.rec, bp, nv)
		e.visibleMeans(t.rec, hpos, nil)
		s := 0.0
		for i, v := range t.rec.Data {
			d := float64(v - vpos.Data[i])
			s += d * d
		}
		t.recon += s
		t.reconN += len(t.rec.Data)
		st.Loss = s / float64(len(t.rec.Data))
	}

	t.grads(vpos, vneg, hpos, hneg, bp, bn)
	return st, nil
}

// StateTensors returns the hidden states of the persistent chains, "chains"
// (train.Stateful; none for CD).
func (t *trainer) StateTensors() map[string]*tensor.Dense[float64] {
	if t.cfg.Method != PCD {
		return nil
	}
	return map[string]*tensor.Dense[float64]{"chains": tensor.Convert[float64](nil, t.hs)}
}

// LoadStateTensors restores the chains StateTensors returned.
func (t *trainer) LoadStateTensors(st map[string]*tensor.Dense[float64]) error {
	h, ok := st["chains"]
	if t.cfg.Method != PCD || !ok {
		return nil
	}
	if h.Rows != t.hs.Rows || h.Cols != t.hs.Cols {
		return fmt.Errorf("rbm: chains of shape %s for %s", h.Shape(), t.hs.Shape())
	}
	tensor.Convert(t.hs, h)
	t.hsOn.FromDense(t.hs)
	return nil
}

// Reseed restarts the persistent chains at h = 0, as at the start of
// training (after a divergence rollback); the engine re-reads the restored
// parameters at the next batch.
func (t *trainer) Reseed(*rand.Rand) {
	t.hs.Zero()
	t.hsOn.Reset()
	t.hsOn.AppendEmpty(t.bn)
}

// grads fills the parameters' gradients of the negative log-likelihood from
// the batch statistics of one step: with Bₚ positive rows (data) and Bₙ
// negative rows (Gibbs samples),
//
//	∇W = vₙᵀp(h|vₙ)/Bₙ − vₚᵀp(h|vₚ)/Bₚ,  ∇b = mean vₙ − mean vₚ,
//	∇c = mean p(h|vₙ) − mean p(h|vₚ),
//
// with vᵢ/σᵢ² for vᵢ (and ∇b scaled by 1/σᵢ²) for Gaussian units. It scales
// the hidden probabilities in place.
func (t *trainer) grads(vpos, vneg, hpos, hneg *tensor.Dense[float32], bp, bn int) {
	r, e := t.r, t.e
	ip, in := 1/float32(bp), 1/float32(bn)
	gb, gc := t.pB.Grad.Data, t.pC.Grad.Data
	colMeanDiff(gb, vneg, vpos, in, ip)
	colMeanDiff(gc, hneg, hpos, in, ip)
	if r.Visible == Gaussian {
		vek32.Mul_Inplace(gb, e.invVar)
		if t.pZ != nil {
			t.varGrad(vpos, vneg, hpos, hneg, ip, in)
		}
	}
	// Weight gradient: gW = vvᵀ·hh with the rows of hh scaled by −1/Bₚ and 1/Bₙ.
	vek32.MulNumber_Inplace(hpos.Data, -ip)
	vek32.MulNumber_Inplace(hneg.Data, in)
	acc := t.pW.Grad
	if t.binary {
		t.vvOn.AppendRows(&t.negOn)
		t.outer.set(acc, t.vv, &t.vvOn, t.hh)
	} else {
		src := t.vv
		if r.Visible == Gaussian {
			t.scaled = scaleCols(t.scaled, t.vv, e.invVar)
			src = t.scaled
		}
		t.outer.set(acc, src, nil, t.hh)
	}
}

// varGrad sets the log-variance gradient of the negative log-likelihood,
// mean g(vneg) − mean g(vpos) with g(v)ᵢ = e^{−zᵢ}((vᵢ−bᵢ)²/2 − vᵢ(W p(h|v))ᵢ).
func (t *trainer) varGrad(vpos, vneg, hpos, hneg *tensor.Dense[float32], ip, in float32) {
	r, e := t.r, t.e
	gz := t.pZ.Grad.Data
	clear(gz)
	t.hw = tensor.Reuse(t.hw, t.hh.Rows, r.NumVisible())
	var mj mulJob
	mj.mul(t.hw, nil, t.hh, nil, e.wt)
	for i := 0; i < t.vv.Rows; i++ {
		s := -ip
		if i >= vpos.Rows {
			s = in
		}
		v, hw := t.vv.Row(i), t.hw.Row(i)
		for k, vk := range v {
			d := vk - r.B[k]
			gz[k] += s * (0.5*d*d - vk*hw[k])
		}
	}
	vek32.Mul_Inplace(gz, e.invVar)
}

// colMeanDiff sets g = ip·Σ rows(a) − in·Σ rows(b).
func colMeanDiff(g []float32, a, b *tensor.Dense[float32], ip, in float32) {
	clear(g)
	for i := 0; i < a.Rows; i++ {
		vek32.Add_Inplace(g, a.Row(i))
	}
	vek32.MulNumber_Inplace(g, ip/in)
	for i := 0; i < b.Rows; i++ {
		vek32.Sub_Inplace(g, b.Row(i))
	}
	vek32.MulNumber_Inplace(g, in)
}

// axpy32 sets y += a·x.
func axpy32(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += a * v
	}
}

package rbm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ebm-go/ebm/tensor"
	"github.com/viterin/vek/vek32"
)

// Method is the gradient estimator used for the model term of the likelihood
// gradient.
type Method int

const (
	// PCD is persistent contrastive divergence (Tieleman 2008): the negative
	// chains continue from one update to the next. As in scikit-learn, there is
	// one persistent chain per batch row and the chains start at h = 0.
	PCD Method = iota
	// CD is contrastive divergence CD-k (Hinton 2002): the negative chains start
	// at the batch's own hidden samples.
	CD
)

// String returns "pcd" or "cd".
func (m Method) String() string {
	switch m {
	case PCD:
		return "pcd"
	case CD:
		return "cd"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod parses "cd" or "pcd".
func ParseMethod(s string) (Method, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "pcd":
		return PCD, nil
	case "cd":
		return CD, nil
	}
	return 0, fmt.Errorf("rbm: unknown training method %q (want cd or pcd)", s)
}

// ScheduleKind names a learning-rate schedule.
type ScheduleKind int

const (
	// Constant keeps the learning rate fixed.
	Constant ScheduleKind = iota
	// StepDecay multiplies the rate by Factor every Every epochs.
	StepDecay
	// LinearDecay lowers the rate linearly, update by update, from the base rate
	// at the first update to Final·base at the last.
	LinearDecay
)

// Schedule is a learning-rate schedule. The zero value is Constant.
type Schedule struct {
	Kind ScheduleKind
	// Every is the number of epochs between drops (StepDecay; default 10).
	Every int
	// Factor multiplies the rate at each drop (StepDecay; default 0.5).
	Factor float64
	// Final is the last rate as a fraction of the base rate (LinearDecay;
	// default 0).
	Final float64
}

// Rate returns the learning rate for update t (0-based) of T updates, in epoch
// (0-based), given the base rate.
func (s Schedule) Rate(base float64, t, T, epoch int) float64 {
	switch s.Kind {
	case StepDecay:
		every, f := s.Every, s.Factor
		if every <= 0 {
			every = 10
		}
		if f == 0 {
			f = 0.5
		}
		return base * math.Pow(f, float64(epoch/every))
	case LinearDecay:
		if T <= 1 {
			return base
		}
		frac := float64(t) / float64(T-1)
		return base * (1 - (1-s.Final)*frac)
	}
	return base
}

// String describes the schedule ("constant", "step:every=10,factor=0.5",
// "linear:final=0").
func (s Schedule) String() string {
	switch s.Kind {
	case StepDecay:
		every, f := s.Every, s.Factor
		if every <= 0 {
			every = 10
		}
		if f == 0 {
			f = 0.5
		}
		return fmt.Sprintf("step:every=%d,factor=%g", every, f)
	case LinearDecay:
		return fmt.Sprintf("linear:final=%g", s.Final)
	}
	return "constant"
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
	// Schedule changes the learning rate during training (default constant).
	Schedule Schedule
	// Momentum is the classical momentum μ: Δ ← μΔ + lr·(g − λW); θ ← θ + Δ.
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
	case c.Method != PCD && c.Method != CD:
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
	case c.WeightDecay < 0 || math.IsNaN(c.WeightDecay):
		return fmt.Errorf("rbm: weight decay %g; need ≥ 0", c.WeightDecay)
	case c.Chains < 0:
		return fmt.Errorf("rbm: %d chains; need ≥ 1", c.Chains)
	case c.Schedule.Kind < Constant || c.Schedule.Kind > LinearDecay:
		return fmt.Errorf("rbm: unknown schedule kind %d", int(c.Schedule.Kind))
	case c.Schedule.Kind == StepDecay && (c.Schedule.Factor < 0 || c.Schedule.Factor > 1):
		return fmt.Errorf("rbm: step decay factor %g; need 0 < factor ≤ 1", c.Schedule.Factor)
	case c.Schedule.Kind == LinearDecay && (c.Schedule.Final < 0 || c.Schedule.Final > 1):
		return fmt.Errorf("rbm: linear decay final fraction %g; need 0 ≤ final ≤ 1", c.Schedule.Final)
	case c.VarLR < 0:
		return fmt.Errorf("rbm: variance learning rate %g; need ≥ 0", c.VarLR)
	}
	return nil
}

// EpochStats are the statistics of one training epoch, passed to Fit's callback.
type EpochStats struct {
	// Epoch counts from 1.
	Epoch int `json:"epoch"`
	// LR is the learning rate of the epoch's last update.
	LR float64 `json:"lr"`
	// Seconds is the wall time of the epoch's updates (callbacks excluded).
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
	if err := checkData(x, r.NumVisible(), r.Visible == Bernoulli, cfg.Fractional, "training data"); err != nil {
		return res, err
	}
	t := newTrainer(r, x, cfg)
	nb := (x.Rows + cfg.BatchSize - 1) / cfg.BatchSize
	total := nb * cfg.Epochs
	order := make([]int, x.Rows)
	for i := range order {
		order[i] = i
	}
	shuf := rand.New(rand.NewPCG(cfg.Seed, 0x5a0ff1e))
	update := 0
	for ep := 0; ep < cfg.Epochs; ep++ {
		if cfg.Shuffle {
			shuf.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		start := time.Now()
		t.recon, t.reconN = 0, 0
		lr := cfg.LR
		for b := 0; b < nb; b++ {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			// scikit-learn's gen_even_slices.
			lo := b*(x.Rows/nb) + min(b, x.Rows%nb)
			hi := lo + x.Rows/nb
			if b < x.Rows%nb {
				hi++
			}
			lr = cfg.Schedule.Rate(cfg.LR, update, total, ep)
			t.step(order[lo:hi], lr)
			update++
			if cfg.OnBatch != nil {
				cfg.OnBatch(update, total)
			}
		}
		sec := time.Since(start).Seconds()
		if err := r.Validate(); err != nil {
			return res, fmt.Errorf("rbm: training diverged in epoch %d (%v); lower the learning rate", ep+1, err)
		}
		st := EpochStats{Epoch: ep + 1, LR: lr, Seconds: sec}
		if cfg.TrackRecon && t.reconN > 0 {
			st.ReconError = t.recon / float64(t.reconN)
		}
		res.Epochs = ep + 1
		res.Seconds += sec
		res.History = append(res.History, st)
		if onEpoch != nil {
			if err := onEpoch(st); err != nil {
				if errors.Is(err, ErrStop) {
					break
				}
				return res, err
			}
		}
	}
	if res.Epochs > 0 {
		res.SecPerEpoch = res.Seconds / float64(res.Epochs)
	}
	return res, nil
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
	velW       *tensor.Dense[float32]
	velB, velC []float32
	velZ       []float32
	gb, gc, gz []float32
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

func newTrainer(r *RBM, x *tensor.Dense[float32], cfg Config) *trainer {
	t := &trainer{r: r, cfg: cfg, x: x, e: newEngine(r, cfg.Seed)}
	if r.Visible == Bernoulli {
		t.data = &ones{}
		t.binary = t.data.fromBinary(x)
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
	t.hsOn.reset()
	for i := 0; i < t.bn; i++ {
		t.hsOn.ptr = append(t.hsOn.ptr, 0)
	}
	t.mv = tensor.New[float32](t.bn, nv)
	if cfg.Momentum > 0 || cfg.WeightDecay > 0 {
		t.velW = tensor.New[float32](nv, nh)
	}
	t.velB, t.velC = make([]float32, nv), make([]float32, nh)
	t.gb, t.gc = make([]float32, nv), make([]float32, nh)
	if r.Visible == Gaussian && cfg.LearnVar {
		t.velZ, t.gz = make([]float32, nv), make([]float32, nv)
	}
	return t
}

// view sets v to rows [lo, hi) of m and returns it.
func view(v, m *tensor.Dense[float32], lo, hi int) *tensor.Dense[float32] {
	*v = tensor.Dense[float32]{Rows: hi - lo, Cols: m.Cols, Data: m.Data[lo*m.Cols : hi*m.Cols]}
	return v
}

// step performs one update on the examples idx with learning rate lr.
func (t *trainer) step(idx []int, lr float64) {
	r, cfg, e := t.r, t.cfg, t.e
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
	t.vvOn.reset()
	for k, i := range idx {
		copy(vpos.Row(k), t.x.Row(i))
		if t.binary {
			t.vvOn.appendRow(t.data, i)
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
	}

	// Bias gradients (batch means).
	ip, in := 1/float32(bp), 1/float32(bn)
	colMeanDiff(t.gb, vpos, vneg, ip, in)
	colMeanDiff(t.gc, hpos, hneg, ip, in)
	if r.Visible == Gaussian {
		vek32.Mul_Inplace(t.gb, e.invVar)
		if cfg.LearnVar {
			t.varGrad(vpos, vneg, hpos, hneg, ip, in)
		}
	}

	// Weight gradient: acc += vvᵀ·hh with the rows of hh scaled by ±lr/B.
	vek32.MulNumber_Inplace(hpos.Data, float32(lr)*ip)
	vek32.MulNumber_Inplace(hneg.Data, -float32(lr)*in)
	acc := r.W
	if t.velW != nil {
		acc = t.velW
		vek32.MulNumber_Inplace(acc.Data, float32(cfg.Momentum))
		if cfg.WeightDecay > 0 {
			axpy32(acc.Data, -float32(lr*cfg.WeightDecay), r.W.Data)
		}
	}
	if t.binary {
		t.vvOn.idx = append(t.vvOn.idx, t.negOn.idx...)
		base := t.vvOn.ptr[len(t.vvOn.ptr)-1]
		for _, p := range t.negOn.ptr[1:] {
			t.vvOn.ptr = append(t.vvOn.ptr, base+p)
		}
		t.outer.accumulate(acc, t.vv, &t.vvOn, t.hh)
	} else {
		src := t.vv
		if r.Visible == Gaussian {
			t.scaled = scaleCols(t.scaled, t.vv, e.invVar)
			src = t.scaled
		}
		t.outer.accumulate(acc, src, nil, t.hh)
	}
	if t.velW != nil {
		vek32.Add_Inplace(r.W.Data, t.velW.Data)
	}
	mom := float32(cfg.Momentum)
	flr := float32(lr)
	for i, g := range t.gb {
		t.velB[i] = mom*t.velB[i] + flr*g
		r.B[i] += t.velB[i]
	}
	for j, g := range t.gc {
		t.velC[j] = mom*t.velC[j] + flr*g
		r.C[j] += t.velC[j]
	}
	if t.gz != nil {
		vlr := float32(cfg.VarLR * lr / cfg.LR)
		for i, g := range t.gz {
			t.velZ[i] = mom*t.velZ[i] + vlr*g
			r.LogVar[i] = min(max(r.LogVar[i]+t.velZ[i], MinLogVar), 10)
		}
	}
	e.sync()
}

// varGrad sets gz = mean g(vpos) − mean g(vneg) with
// g(v)ᵢ = e^{−zᵢ}((vᵢ−bᵢ)²/2 − vᵢ(W p(h|v))ᵢ).
func (t *trainer) varGrad(vpos, vneg, hpos, hneg *tensor.Dense[float32], ip, in float32) {
	r, e := t.r, t.e
	clear(t.gz)
	t.hw = tensor.Reuse(t.hw, t.hh.Rows, r.NumVisible())
	var mj mulJob
	mj.mul(t.hw, nil, t.hh, nil, e.wt)
	for i := 0; i < t.vv.Rows; i++ {
		s := ip
		if i >= vpos.Rows {
			s = -in
		}
		v, hw := t.vv.Row(i), t.hw.Row(i)
		for k, vk := range v {
			d := vk - r.B[k]
			t.gz[k] += s * (0.5*d*d - vk*hw[k])
		}
	}
	vek32.Mul_Inplace(t.gz, e.invVar)
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

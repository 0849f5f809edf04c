package jem

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// Config is a JEM training run: the network, the objective, the negatives
// and the budget. Zero fields take the defaults of DefaultConfig.
type Config struct {
	Hidden     []int   // hidden layer widths (default 256, 256)
	Activation string  // default "silu"
	Weight     float64 // generative weight w (0: discriminative baseline)
	Alpha      float64 // E² regularizer α
	Sampler    Sampler
	Init       string  // InitUniform or InitClassGaussian
	Buffer     int     // replay buffer size
	Reinit     float64 // re-initialization probability per draw
	// Box confines the negatives and is the range of uniform starts; nil:
	// each coordinate's range in the training data.
	Box         *sample.Box
	Conditional bool // sample negatives from E(x, y) with the entries' labels
	Batch       int
	Iters       int
	LR          float64
	ClipNorm    float64
	Seed        uint64
	// EnergyBound: with a generative weight, mean energies of data or
	// negatives beyond ±EnergyBound count as a divergence (rolled back by the
	// loop); 0: 100. The discriminative baseline uses the loop's default.
	EnergyBound float64
	// Standardize feeds the network (x − mean)/sd of the training data.
	Standardize bool
	// Metrics, Progress: the train.Loop callbacks.
	Metrics  func(train.Metrics)
	Progress func(done, total int)

	sampleHook *samplingTimer
}

// DefaultConfig returns JEM's settings (Grathwohl et al. 2020, scaled to
// MLPs): a 256-256 SiLU network, weight 1, 20 SGLD-style steps of a = 1,
// b = 0.01 from a replay buffer of 10000 re-initialized at 5% from uniform
// noise, batch 64, Adam at 1e-3, gradients clipped at norm 10, and the E²
// regularizer at α = 0.1 (without it, measured on digits, the negatives'
// energy runs away within a few hundred updates at this learning rate),
// with mean energies beyond ±100 counted as a divergence.
func DefaultConfig() Config {
	return Config{Hidden: []int{256, 256}, Activation: "silu", Weight: 1, Alpha: 0.1, Sampler: DefaultSampler(),
		Init: InitUniform, Buffer: 10000, Reinit: 0.05, Batch: 64, Iters: 1000, LR: 1e-3, ClipNorm: 10, EnergyBound: 100}
}

// DataError reports a problem with the training data (a label outside the
// classes, a shape mismatch).
type DataError struct{ Msg string }

func (e *DataError) Error() string { return "jem: " + e.Msg }

// CheckLabels returns a *DataError when y does not hold one label in [0, k)
// per row of x.
func CheckLabels(x *tensor.Dense[float64], y []int, k int, what string) error {
	if x == nil || x.Rows == 0 {
		return &DataError{what + ": no examples"}
	}
	if len(y) != x.Rows {
		return &DataError{fmt.Sprintf("%s: %d rows but %d labels", what, x.Rows, len(y))}
	}
	for i, v := range y {
		if v < 0 || v >= k {
			return &DataError{fmt.Sprintf("%s: row %d has label %d, outside the %d classes 0..%d", what, i+1, v, k, k-1)}
		}
	}
	if i := x.HasNaNInf(); i >= 0 {
		return &DataError{fmt.Sprintf("%s: row %d holds NaN or Inf", what, i/x.Cols+1)}
	}
	return nil
}

// Result is a finished training run.
type Result struct {
	Model *Classifier[float32]
	Loop  *train.Result
}

// Train fits a JEM (or, with Weight 0, the discriminative baseline with the
// same network and budget) to the rows of x with labels y in [0, k), on
// train.Loop in float32: divergences (a non-finite loss, gradient or
// parameter, a sampler's non-finite energy, or a mean energy beyond the
// loop's bound) roll back to the last snapshot with the learning rate halved
// and the replay buffer re-initialized. A cancelled ctx stops the run and
// returns ctx.Err().
func Train(ctx context.Context, x *tensor.Dense[float64], y []int, k int, cfg Config) (*Result, error) {
	def := DefaultConfig()
	if cfg.Hidden == nil {
		cfg.Hidden = def.Hidden
	}
	if cfg.Activation == "" {
		cfg.Activation = def.Activation
	}
	if cfg.Batch == 0 {
		cfg.Batch = def.Batch
	}
	if cfg.Iters == 0 {
		cfg.Iters = def.Iters
	}
	if cfg.LR == 0 {
		cfg.LR = def.LR
	}
	if k < 2 {
		return nil, fmt.Errorf("jem: need at least 2 classes, got %d", k)
	}
	if err := CheckLabels(x, y, k, "training data"); err != nil {
		return nil, err
	}
	if !(cfg.Weight >= 0) || math.IsInf(cfg.Weight, 0) || !(cfg.Alpha >= 0) || math.IsInf(cfg.Alpha, 0) {
		return nil, fmt.Errorf("jem: weight %v and alpha %v must be finite and ≥ 0", cfg.Weight, cfg.Alpha)
	}
	act, err := nn.ActivationByName(cfg.Activation)
	if err != nil {
		return nil, err
	}
	sizes := append(append([]int{x.Cols}, cfg.Hidden...), k)
	net, err := nn.NewMLP[float32](sizes, act, nn.MLPOptions{}, rand.New(rand.NewPCG(cfg.Seed, 0x6a656d)))
	if err != nil {
		return nil, err
	}
	var shift, scale []float64
	if cfg.Standardize {
		shift, scale = columnStats(x)
	}
	c, err := New(net, shift, scale)
	if err != nil {
		return nil, err
	}
	obj := &Hybrid[float32]{Model: c, Weight: cfg.Weight, Alpha: cfg.Alpha, timer: cfg.sampleHook}
	if cfg.Weight > 0 {
		if cfg.Sampler == (Sampler{}) {
			cfg.Sampler = def.Sampler
		}
		box := cfg.Box
		if box == nil {
			box = DataBox(x)
		}
		r := &Replay{Size: cfg.Buffer, Reinit: cfg.Reinit, Init: cfg.Init, Sampler: cfg.Sampler, Box: box, Conditional: cfg.Conditional}
		if err := r.Fit(x, y, k); err != nil {
			return nil, err
		}
		obj.Negatives = r
	}
	loop := &train.Loop[float32, train.Labelled]{
		Groups:     []train.Group[float32]{{Name: "model", Params: c.Params(), LR: cfg.LR, ClipNorm: cfg.ClipNorm}},
		Objectives: []train.Grouped{obj},
		Data:       &train.LabelledDataset{X: x, Y: y, Seed: cfg.Seed},
		Batch:      cfg.Batch, Iters: cfg.Iters, Seed: cfg.Seed,
		Metrics: cfg.Metrics, Progress: cfg.Progress,
	}
	if cfg.Weight > 0 {
		loop.EnergyBound = cfg.EnergyBound
		if loop.EnergyBound == 0 {
			loop.EnergyBound = def.EnergyBound
		}
	}
	res, err := loop.Run(ctx)
	if err != nil {
		return nil, err
	}
	if res.Interrupted {
		// A cancelled run is not a trained model.
		return nil, ctx.Err()
	}
	return &Result{Model: c, Loop: res}, nil
}

// DataBox returns the box of each column's range in x.
func DataBox(x *tensor.Dense[float64]) *sample.Box {
	lo, hi := make([]float64, x.Cols), make([]float64, x.Cols)
	for j := range lo {
		lo[j], hi[j] = math.Inf(1), math.Inf(-1)
	}
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			lo[j], hi[j] = math.Min(lo[j], v), math.Max(hi[j], v)
		}
	}
	return &sample.Box{Lo: lo, Hi: hi}
}

// columnStats returns each column's mean and standard deviation (1 for a
// constant column).
func columnStats(x *tensor.Dense[float64]) (mean, sd []float64) {
	d := x.Cols
	mean, sd = make([]float64, d), make([]float64, d)
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(x.Rows)
	}
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			sd[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j] / float64(x.Rows))
		if !(sd[j] > 1e-8) {
			sd[j] = 1
		}
	}
	return mean, sd
}

package rbm

import (
	"context"
	"errors"
	"fmt"

	"github.com/ebm-go/ebm/tensor"
)

// DBN is a deep belief net (Hinton, Osindero & Teh 2006): a stack of RBMs in
// which Layers[0] models the data and Layers[l] models the hidden activity of
// Layers[l−1]. The top RBM is an undirected model of the top two layers; the
// layers below are directed, top-down generative connections p(h_{l} | h_{l+1})
// given by Layers[l]'s visible conditional.
type DBN struct {
	Layers []*RBM
	// Data describes the training data (image shape, preprocessing); saved
	// and loaded with the net. nil when unknown.
	Data *DataInfo
}

// NewDBN returns a DBN with layer sizes sizes[0] (visible) … sizes[L] (top);
// only the first layer may have Gaussian visible units. seed initializes every
// layer (layer l with seed+l).
func NewDBN(visible Visible, sizes []int, seed uint64) (*DBN, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("rbm: a deep belief net needs at least 2 layer sizes, got %v", sizes)
	}
	if err := checkSize("DBN", sizes...); err != nil {
		return nil, err
	}
	d := &DBN{}
	for l := 0; l+1 < len(sizes); l++ {
		kind := Bernoulli
		if l == 0 {
			kind = visible
		}
		r, err := New(kind, sizes[l], sizes[l+1], seed+uint64(l))
		if err != nil {
			return nil, fmt.Errorf("rbm: DBN layer %d: %w", l, err)
		}
		d.Layers = append(d.Layers, r)
	}
	return d, nil
}

// Validate checks every layer and that consecutive layers fit together.
func (d *DBN) Validate() error {
	if d == nil || len(d.Layers) == 0 {
		return errors.New("rbm: deep belief net has no layers")
	}
	for l, r := range d.Layers {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("DBN layer %d: %w", l, err)
		}
		if l > 0 {
			if r.Visible != Bernoulli {
				return fmt.Errorf("rbm: DBN layer %d has %v visible units; only the first layer may be Gaussian", l, r.Visible)
			}
			if r.NumVisible() != d.Layers[l-1].NumHidden() {
				return fmt.Errorf("rbm: DBN layer %d has %d visible units but layer %d has %d hidden units",
					l, r.NumVisible(), l-1, d.Layers[l-1].NumHidden())
			}
		}
	}
	return nil
}

// Sizes returns the layer sizes, visible first.
func (d *DBN) Sizes() []int {
	s := []int{d.Layers[0].NumVisible()}
	for _, r := range d.Layers {
		s = append(s, r.NumHidden())
	}
	return s
}

// Fit trains the layers greedily, bottom up: layer 0 on x, then each layer on the
// hidden probabilities p(h | input) of the layer below (mean-field inputs in
// [0, 1], so the upper layers train with Config.Fractional). cfgs holds one
// configuration per layer, or one for all. onEpoch (when not nil) receives the
// layer index with every epoch's statistics.
func (d *DBN) Fit(ctx context.Context, x *tensor.Dense[float32], cfgs []Config, onEpoch func(layer int, s EpochStats) error) ([]FitResult, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if len(cfgs) != 1 && len(cfgs) != len(d.Layers) {
		return nil, fmt.Errorf("rbm: %d configurations for %d DBN layers (give 1 or %d)", len(cfgs), len(d.Layers), len(d.Layers))
	}
	var results []FitResult
	in := x
	for l, r := range d.Layers {
		cfg := cfgs[min(l, len(cfgs)-1)]
		if l > 0 {
			cfg.Fractional, cfg.Binarize = true, false
		}
		var cb func(EpochStats) error
		if onEpoch != nil {
			cb = func(s EpochStats) error { return onEpoch(l, s) }
		}
		res, err := r.Fit(ctx, in, cfg, cb)
		results = append(results, res)
		if err != nil {
			return results, fmt.Errorf("DBN layer %d: %w", l, err)
		}
		if l+1 < len(d.Layers) {
			if l == 0 && r.Visible == Bernoulli && cfg.Binarize {
				in = Binarize(in, cfg.withDefaults().Threshold)
			}
			in = r.hiddenProbs(nil, in)
		}
	}
	return results, nil
}

// Transform returns the top-layer hidden probabilities of the mean-field up pass.
func (d *DBN) Transform(x *tensor.Dense[float32]) (*tensor.Dense[float32], error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := d.Layers[0].CheckData(x, true); err != nil {
		return nil, err
	}
	h := x
	for _, r := range d.Layers {
		h = r.hiddenProbs(nil, h)
	}
	return h, nil
}

// Sample draws n samples: steps sweeps of block Gibbs sampling in the top RBM
// from random states, then one top-down pass, sampling each layer from
// p(h_l | h_{l+1}) and returning E[v | h₁] for the visible layer (n×sizes[0]).
func (d *DBN) Sample(n, steps int, seed uint64) (*tensor.Dense[float32], error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	top := d.Layers[len(d.Layers)-1]
	g, err := top.NewGibbsRandom(n, seed)
	if err != nil {
		return nil, err
	}
	g.Step(max(steps, 1))
	h := g.V // a sample of the top RBM's visible layer
	e := newEngine(d.Layers[0], seed^0xd0)
	for l := len(d.Layers) - 2; l >= 0; l-- {
		r := d.Layers[l]
		e.r = r
		e.sync()
		mv := tensor.New[float32](n, r.NumVisible())
		e.visibleMeans(mv, h, nil)
		if l == 0 {
			return mv, nil
		}
		s := tensor.New[float32](n, r.NumVisible())
		e.sampleVisible(s, mv, nil)
		h = s
	}
	return g.MV, nil
}

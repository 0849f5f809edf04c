package anomaly

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// Kind is the model.Meta.Kind of a saved detector.
const Kind = "anomaly"

func init() {
	model.Register(Kind, func(dir string, meta *model.Meta, ts map[string]model.Tensor) (any, error) {
		return fromFolder(dir, meta, ts)
	})
}

// Arch is the architecture of a saved detector (model.Meta.Architecture).
type Arch struct {
	Dim        int      `json:"dim"`
	Hidden     []int    `json:"hidden"`
	Activation string   `json:"activation"`
	Members    int      `json:"members"`
	Bound      float64  `json:"bound"`
	Threshold  float64  `json:"threshold"`
	Shrinkage  float64  `json:"shrinkage"`
	Rules      []string `json:"scale_rules"`
}

// Training is the training document of a saved detector
// (model.Meta.Training): the options of the fit.
type Training struct {
	Estimator     string  `json:"estimator"`
	Sigma         float64 `json:"sigma"`
	Iters         int     `json:"iters"`
	Batch         int     `json:"batch"`
	LR            float64 `json:"lr"`
	Trim          float64 `json:"trim"`
	Reweight      float64 `json:"reweight"`
	Novelty       bool    `json:"novelty,omitempty"`
	Elemental     int     `json:"elemental"`
	Contamination float64 `json:"contamination,omitempty"`
	HoldOut       float64 `json:"holdout,omitempty"`
	Quantile      float64 `json:"quantile"`
}

// Save writes the detector into the model folder dir (package model): the
// standardization, the whitening, the networks and the threshold, so that
// Load scores new rows exactly as det does. meta may be nil; its Kind,
// Architecture and Training are set here (meta itself is not modified).
func (det *Detector) Save(dir string, meta *model.Meta) error {
	m := model.Meta{}
	if meta != nil {
		m = *meta
	}
	m.Kind = Kind
	m.Seed = det.opts.Seed
	hidden := []int{}
	if len(det.nets) > 0 {
		s := det.nets[0].Sizes()
		hidden = s[1 : len(s)-1]
	}
	arch := Arch{Dim: det.Dim(), Hidden: hidden, Activation: nn.SiLU.Name, Members: len(det.nets),
		Bound: det.bound, Threshold: det.threshold, Shrinkage: det.shrink, Rules: det.Rules}
	js, err := json.Marshal(arch)
	if err != nil {
		return err
	}
	m.Architecture = js
	o := det.opts
	tj, err := json.Marshal(Training{Estimator: "dsm", Sigma: o.Sigma, Iters: o.Iters, Batch: o.Batch, LR: o.LR,
		Trim: o.Trim, Reweight: o.Reweight, Novelty: o.Novelty, Elemental: o.Elemental, Contamination: o.Contamination, HoldOut: o.HoldOut, Quantile: o.Quantile})
	if err != nil {
		return err
	}
	m.Training = tj
	d := det.Dim()
	ts := []model.Tensor{
		model.FromDense("scaler.center", tensor.FromSlice(1, d, det.Scaler.Center)),
		model.FromDense("scaler.scale", tensor.FromSlice(1, d, det.Scaler.Scale)),
		model.FromDense("gauss.mean", tensor.FromSlice(1, d, det.mean)),
		model.FromDense("gauss.w", det.w),
	}
	for k, net := range det.nets {
		for _, p := range net.Params() {
			ts = append(ts, model.FromDense(fmt.Sprintf("members.%d.%s", k, p.Name), p.Value))
		}
	}
	return model.Save(dir, &m, ts)
}

// Load reads a detector saved by Save. A folder holding another kind of
// model is an error that names the kind.
func Load(dir string) (*Detector, *model.Meta, error) {
	meta, ts, err := model.Read(dir)
	if err != nil {
		return nil, nil, err
	}
	det, err := fromFolder(dir, meta, ts)
	if err != nil {
		return nil, nil, err
	}
	return det, meta, nil
}

// fromFolder checks the architecture against every tensor's name, dtype and
// shape before allocating the networks, and refuses non-finite values.
func fromFolder(dir string, meta *model.Meta, ts map[string]model.Tensor) (*Detector, error) {
	if meta.Kind != Kind {
		return nil, fmt.Errorf("anomaly: %s holds a %q model, not an anomaly detector (fit one with ebm anomaly fit)", dir, meta.Kind)
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("anomaly: %s: %s", dir, fmt.Sprintf(format, a...))
	}
	var a Arch
	if err := json.Unmarshal(meta.Architecture, &a); err != nil {
		return nil, fail("architecture: %v", err)
	}
	if a.Dim < 1 {
		return nil, fail("dimension %d", a.Dim)
	}
	if a.Members < 0 || a.Members > 64 {
		return nil, fail("%d networks (want 0..64)", a.Members)
	}
	if !(a.Bound > 0) || math.IsInf(a.Bound, 0) {
		return nil, fail("bound %v must be positive and finite", a.Bound)
	}
	if math.IsNaN(a.Threshold) || math.IsInf(a.Threshold, 0) {
		return nil, fail("threshold %v is not finite", a.Threshold)
	}
	if a.Activation != "" && a.Activation != nn.SiLU.Name {
		return nil, fail("activation %q (want %q)", a.Activation, nn.SiLU.Name)
	}
	d := a.Dim
	vec := func(name string) ([]float64, error) {
		t, err := model.Expect(ts, name, "F64", 1, d)
		if err != nil {
			return nil, fail("%v", err)
		}
		for _, v := range t.F64 {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fail("tensor %q holds NaN or Inf", name)
			}
		}
		return t.F64, nil
	}
	center, err := vec("scaler.center")
	if err != nil {
		return nil, err
	}
	scale, err := vec("scaler.scale")
	if err != nil {
		return nil, err
	}
	for j, s := range scale {
		if !(s > 0) {
			return nil, fail("column %d has scale %v (want > 0)", j+1, s)
		}
	}
	mean, err := vec("gauss.mean")
	if err != nil {
		return nil, err
	}
	wt, err := model.Expect(ts, "gauss.w", "F64", d, d)
	if err != nil {
		return nil, fail("%v", err)
	}
	w, err := model.ToDense[float64](wt)
	if err != nil || w.HasNaNInf() >= 0 {
		return nil, fail("tensor \"gauss.w\" is unreadable or holds NaN or Inf")
	}
	rules := a.Rules
	if len(rules) != d {
		rules = make([]string, d)
	}
	det := &Detector{Scaler: &Scaler{Center: center, Scale: scale}, Rules: rules, mean: mean, w: w,
		bound: a.Bound, threshold: a.Threshold, shrink: a.Shrinkage}
	if a.Members == 0 {
		return det, nil
	}
	sizes := append(append([]int{d}, a.Hidden...), 1)
	for i, s := range sizes {
		if s < 1 {
			return nil, fail("layer %d has width %d", i, s)
		}
	}
	// Every tensor must be present with its declared shape before anything is
	// allocated: their sizes are then bounded by the file's.
	for k := 0; k < a.Members; k++ {
		for i := 0; i+1 < len(sizes); i++ {
			for _, t := range []struct {
				name       string
				rows, cols int
			}{{fmt.Sprintf("members.%d.layers.%d.weight", k, i), sizes[i], sizes[i+1]},
				{fmt.Sprintf("members.%d.layers.%d.bias", k, i), 1, sizes[i+1]}} {
				if _, err := model.Expect(ts, t.name, "F32", t.rows, t.cols); err != nil {
					return nil, fail("%v", err)
				}
			}
		}
	}
	for k := 0; k < a.Members; k++ {
		net, err := nn.NewMLP[float32](sizes, nn.SiLU, nn.MLPOptions{}, rand.New(rand.NewPCG(0, 0)))
		if err != nil {
			return nil, fail("%v", err)
		}
		for _, p := range net.Params() {
			name := fmt.Sprintf("members.%d.%s", k, p.Name)
			v, err := model.ToDense[float32](ts[name])
			if err != nil {
				return nil, fail("%v", err)
			}
			if v.HasNaNInf() >= 0 {
				return nil, fail("tensor %q holds NaN or Inf", name)
			}
			p.Value.CopyFrom(v)
		}
		det.nets = append(det.nets, net)
	}
	return det, nil
}

package jem

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// Kind is the model.Meta.Kind of a saved JEM classifier.
const Kind = "jem"

func init() {
	model.Register(Kind, func(dir string, meta *model.Meta, ts map[string]model.Tensor) (any, error) {
		return fromFolder(dir, meta, ts)
	})
}

// Arch is a classifier's architecture as stored in model.json.
type Arch struct {
	Sizes       []int    `json:"sizes"`
	Activation  string   `json:"activation"`
	DType       string   `json:"dtype"`
	Standardize bool     `json:"standardize"`
	ClassNames  []string `json:"class_names,omitempty"`
	Image       [2]int   `json:"image,omitempty"`
}

// Save writes c into the model folder dir (package model): the weights, and
// the input shift and scale when set, in model.safetensors; Arch in
// model.json. meta.Kind and meta.Architecture are set here; meta itself is
// not modified.
func (c *Classifier[T]) Save(dir string, meta *model.Meta) error {
	cf, ok := any(c).(*Classifier[float32])
	if !ok {
		return fmt.Errorf("jem: saving a %T: only float32 networks are saved", c)
	}
	if meta == nil {
		meta = &model.Meta{}
	}
	m := *meta
	m.Kind = Kind
	arch := Arch{Sizes: cf.Net.Sizes(), Activation: cf.Net.Act.Name, DType: "F32", Standardize: cf.Shift != nil,
		ClassNames: cf.ClassNames, Image: cf.Image}
	js, err := json.Marshal(arch)
	if err != nil {
		return err
	}
	m.Architecture = js
	var ts []model.Tensor
	for _, p := range cf.Net.Params() {
		ts = append(ts, model.FromDense(p.Name, p.Value))
	}
	if cf.Shift != nil {
		ts = append(ts, model.FromDense("input.shift", tensor.FromSlice(1, len(cf.Shift), cf.Shift)),
			model.FromDense("input.scale", tensor.FromSlice(1, len(cf.Scale), cf.Scale)))
	}
	return model.Save(dir, &m, ts)
}

// Load reads a classifier saved by Save. It checks the kind, the architecture
// and every tensor's dtype and shape before allocating, and refuses weights
// holding NaN or Inf.
func Load(dir string) (*Classifier[float32], *model.Meta, error) {
	meta, ts, err := model.Read(dir)
	if err != nil {
		return nil, nil, err
	}
	c, err := fromFolder(dir, meta, ts)
	if err != nil {
		return nil, nil, err
	}
	return c, meta, nil
}

// KindError reports a model folder of another kind.
type KindError struct{ Dir, Kind string }

func (e *KindError) Error() string {
	return fmt.Sprintf("jem: %s holds a %q model, not a %q classifier", e.Dir, e.Kind, Kind)
}

func fromFolder(dir string, meta *model.Meta, ts map[string]model.Tensor) (*Classifier[float32], error) {
	if meta.Kind != Kind {
		return nil, &KindError{dir, meta.Kind}
	}
	var a Arch
	if err := json.Unmarshal(meta.Architecture, &a); err != nil {
		return nil, fmt.Errorf("jem: %s: architecture: %w", dir, err)
	}
	n := len(a.Sizes)
	if n < 2 || a.Sizes[n-1] < 2 {
		return nil, fmt.Errorf("jem: %s: architecture sizes %v must have an input and at least 2 outputs", dir, a.Sizes)
	}
	if a.DType != "F32" {
		return nil, fmt.Errorf("jem: %s: dtype %q is not supported (F32 only)", dir, a.DType)
	}
	for i, s := range a.Sizes {
		if s < 1 {
			return nil, fmt.Errorf("jem: %s: architecture sizes %v: layer %d has width %d", dir, a.Sizes, i, s)
		}
	}
	if a.ClassNames != nil && len(a.ClassNames) != a.Sizes[n-1] {
		return nil, fmt.Errorf("jem: %s: %d class names for %d classes", dir, len(a.ClassNames), a.Sizes[n-1])
	}
	if a.Image != [2]int{} && a.Image[0]*a.Image[1] != a.Sizes[0] {
		return nil, fmt.Errorf("jem: %s: image %d×%d does not have the %d inputs", dir, a.Image[0], a.Image[1], a.Sizes[0])
	}
	act, err := nn.ActivationByName(a.Activation)
	if err != nil {
		return nil, fmt.Errorf("jem: %s: %w", dir, err)
	}
	for i := 0; i+1 < n; i++ {
		if _, err := model.Expect(ts, fmt.Sprintf("layers.%d.weight", i), "F32", a.Sizes[i], a.Sizes[i+1]); err != nil {
			return nil, fmt.Errorf("jem: %s: %w", dir, err)
		}
		if _, err := model.Expect(ts, fmt.Sprintf("layers.%d.bias", i), "F32", 1, a.Sizes[i+1]); err != nil {
			return nil, fmt.Errorf("jem: %s: %w", dir, err)
		}
	}
	var shift, scale []float64
	if a.Standardize {
		for _, name := range []string{"input.shift", "input.scale"} {
			t, err := model.Expect(ts, name, "F64", 1, a.Sizes[0])
			if err != nil {
				return nil, fmt.Errorf("jem: %s: %w", dir, err)
			}
			if name == "input.shift" {
				shift = append([]float64(nil), t.F64...)
			} else {
				scale = append([]float64(nil), t.F64...)
			}
		}
	}
	net, err := nn.NewMLP[float32](a.Sizes, act, nn.MLPOptions{}, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	for _, p := range net.Params() {
		d, err := model.ToDense[float32](ts[p.Name])
		if err != nil {
			return nil, err
		}
		if d.HasNaNInf() >= 0 {
			return nil, fmt.Errorf("jem: %s: tensor %q holds NaN or Inf", dir, p.Name)
		}
		p.Value.CopyFrom(d)
	}
	for _, v := range shift {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("jem: %s: input.shift holds NaN or Inf", dir)
		}
	}
	c, err := New(net, shift, scale)
	if err != nil {
		return nil, fmt.Errorf("jem: %s: %w", dir, err)
	}
	c.ClassNames, c.Image = a.ClassNames, a.Image
	return c, nil
}

package flow

import (
	"encoding/json"
	"fmt"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/tensor"
)

// KindFlow is the model.Meta.Kind of a saved flow.
const KindFlow = "flow"

func init() { model.Register(KindFlow, loadRegistered) }

// Arch is a flow's architecture as stored in model.json: the spec it was
// built from, its dimension and its weights' dtype ("F32" or "F64").
type Arch struct {
	Spec  string `json:"spec"`
	Dim   int    `json:"dim"`
	DType string `json:"dtype"`
}

func dtypeOf[T tensor.Float]() string {
	var z T
	if _, ok := any(z).(float32); ok {
		return "F32"
	}
	return "F64"
}

// Save writes f into the model folder dir (package model: model.json with
// Arch, model.safetensors with every parameter under its name). meta may be
// nil; its Kind and Architecture are set here and meta itself is not
// modified. The folder is written atomically.
func Save[T tensor.Float](dir string, f *Flow[T], meta *model.Meta) error {
	if f.Spec == "" {
		return fmt.Errorf("flow: Save: the flow has no spec (build it with Parse or Build)")
	}
	if err := f.Validate(); err != nil {
		return err
	}
	var m model.Meta
	if meta != nil {
		m = *meta
	}
	m.Kind = KindFlow
	js, err := json.Marshal(Arch{Spec: f.Spec, Dim: f.D, DType: dtypeOf[T]()})
	if err != nil {
		return err
	}
	m.Architecture = js
	var ts []model.Tensor
	for _, p := range f.Params() {
		ts = append(ts, model.FromDense(p.Name, p.Value))
	}
	return model.Save(dir, &m, ts)
}

// loadRegistered is the model.Loader of kind "flow": model.Load returns a
// *Flow[float32] or a *Flow[float64], as saved.
func loadRegistered(dir string, meta *model.Meta, ts map[string]model.Tensor) (any, error) {
	var a Arch
	if err := json.Unmarshal(meta.Architecture, &a); err != nil {
		return nil, fmt.Errorf("flow: %s: architecture: %w", dir, err)
	}
	switch a.DType {
	case "F32":
		return fromTensors[float32](dir, a, ts)
	case "F64":
		return fromTensors[float64](dir, a, ts)
	}
	return nil, fmt.Errorf("flow: %s: dtype %q is not supported (F32 or F64)", dir, a.DType)
}

// Load reads a flow saved by Save with weights of type T.
func Load[T tensor.Float](dir string) (*Flow[T], *model.Meta, error) {
	meta, ts, err := model.Read(dir)
	if err != nil {
		return nil, nil, err
	}
	if meta.Kind != KindFlow {
		return nil, nil, fmt.Errorf("flow: %s holds a %q model, not a flow", dir, meta.Kind)
	}
	var a Arch
	if err := json.Unmarshal(meta.Architecture, &a); err != nil {
		return nil, nil, fmt.Errorf("flow: %s: architecture: %w", dir, err)
	}
	if a.DType != dtypeOf[T]() {
		return nil, nil, fmt.Errorf("flow: %s holds %s weights, asked for %s", dir, a.DType, dtypeOf[T]())
	}
	f, err := fromTensors[T](dir, a, ts)
	return f, meta, err
}

// maxDim bounds the dimension read from a file before anything is allocated.
const maxDim = 1 << 20

// fromTensors builds the flow of a, checks every tensor's name, dtype and
// shape against it, copies the weights in and validates the result.
func fromTensors[T tensor.Float](dir string, a Arch, ts map[string]model.Tensor) (*Flow[T], error) {
	if a.Dim < 1 || a.Dim > maxDim {
		return nil, fmt.Errorf("flow: %s: dimension %d out of range", dir, a.Dim)
	}
	c, err := ParseConfig(a.Spec)
	if err != nil {
		return nil, fmt.Errorf("flow: %s: architecture spec: %w", dir, err)
	}
	// The parameter count the spec implies must fit the weights on file
	// before the flow is built (a small file cannot declare a huge flow).
	have := 0
	for _, t := range ts {
		have += len(t.F32) + len(t.F64)
	}
	if need := paramCount(c, a.Dim); need > have {
		return nil, fmt.Errorf("flow: %s: the spec %q in %d dimensions needs %d weights, the file holds %d", dir, a.Spec, a.Dim, need, have)
	}
	f, err := Build[T](c, a.Dim, 0)
	if err != nil {
		return nil, fmt.Errorf("flow: %s: %w", dir, err)
	}
	ps := f.Params()
	if len(ps) != len(ts) {
		return nil, fmt.Errorf("flow: %s: %d tensors on file, the spec %q has %d parameters", dir, len(ts), a.Spec, len(ps))
	}
	for _, p := range ps {
		if _, err := model.Expect(ts, p.Name, a.DType, p.Value.Rows, p.Value.Cols); err != nil {
			return nil, fmt.Errorf("flow: %s: %w", dir, err)
		}
		d, err := model.ToDense[T](ts[p.Name])
		if err != nil {
			return nil, fmt.Errorf("flow: %s: %w", dir, err)
		}
		p.Value.CopyFrom(d)
	}
	for _, l := range f.Layers {
		if an, ok := l.(*ActNorm[T]); ok {
			an.Inited = true
		}
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("flow: %s: %w", dir, err)
	}
	return f, nil
}

// paramCount is the number of weights of the flow c in d dimensions.
func paramCount(c *Config, d int) int {
	mlp := func(in, out int) int {
		n, prev := 0, in
		for _, h := range append(append([]int{}, c.Net.Hidden...), out) {
			n += prev*h + h
			prev = h
		}
		return n
	}
	per := 0
	switch c.Kind {
	case "realnvp", "maf":
		per = mlp(d, 2*d)
	case "nice":
		per = mlp(d, d)
	case "planar":
		per = 2*d + 1
	case "radial":
		per = d + 2
	}
	if c.ActNorm {
		per += 2 * d
	}
	n := c.Layers * per
	if c.Kind == "nice" {
		n += d
	}
	return n
}

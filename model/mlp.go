package model

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// KindMLPEnergy is the Meta.Kind of a neural energy E(x) = MLP(x).
const KindMLPEnergy = "mlp-energy"

// KindNoiseCondMLP is the Meta.Kind of a noise-conditional energy
// E(x, σ) = MLP([x, log σ]).
const KindNoiseCondMLP = "noise-conditional-mlp-energy"

// MLPArch is the architecture of an MLP energy as stored in model.json.
type MLPArch struct {
	Sizes      []int     `json:"sizes"`
	Activation string    `json:"activation"`
	SpecNorm   bool      `json:"spectral_norm"`
	DType      string    `json:"dtype"`
	Sigmas     []float64 `json:"sigmas,omitempty"` // noise-conditional models: training levels
	Sigma      float64   `json:"sigma,omitempty"`  // noise-conditional models: working level
}

// SaveEnergy writes a trained float32 neural energy (an *energy.MLPEnergy or
// an *energy.NoiseCondMLP) into dir.
func SaveEnergy(dir string, e energy.Model[float32], meta *Meta) error {
	switch v := e.(type) {
	case *energy.MLPEnergy[float32]:
		return SaveMLPEnergy(dir, v, meta)
	case *energy.NoiseCondMLP[float32]:
		inner, _ := energy.NewMLPEnergy(v.Net)
		return saveMLP(dir, inner, meta, KindNoiseCondMLP, v.Sigmas, v.Sigma)
	}
	return fmt.Errorf("model: cannot save a %T", e)
}

// LoadEnergy reads a model folder written by SaveEnergy, whatever its kind.
func LoadEnergy(dir string) (energy.GradEnergy, *Meta, error) {
	e, meta, err := LoadMLPEnergy(dir)
	if err != nil {
		return nil, nil, err
	}
	if meta.Kind == KindNoiseCondMLP {
		var arch MLPArch
		if err := json.Unmarshal(meta.Architecture, &arch); err != nil {
			return nil, nil, err
		}
		nc, err := energy.NewNoiseCondMLP(e.Net, arch.Sigmas)
		if err != nil {
			return nil, nil, fmt.Errorf("model: %s: %w", dir, err)
		}
		if arch.Sigma > 0 {
			nc.Sigma = arch.Sigma
		}
		return nc, meta, nil
	}
	return e, meta, nil
}

// SaveMLPEnergy writes a float32 MLP energy into dir: its weights (and the
// power-iteration vectors of spectrally normalized layers) in
// model.safetensors and the architecture in meta. meta.Kind and
// meta.Architecture are set here.
func SaveMLPEnergy(dir string, e *energy.MLPEnergy[float32], meta *Meta) error {
	return saveMLP(dir, e, meta, KindMLPEnergy, nil, 0)
}

func saveMLP(dir string, e *energy.MLPEnergy[float32], meta *Meta, kind string, sigmas []float64, sigma float64) error {
	m := *meta
	m.Kind = kind
	arch := MLPArch{Sizes: e.Net.Sizes(), Activation: e.Net.Act.Name, SpecNorm: e.Net.Layers[0].SN != nil, DType: "F32",
		Sigmas: sigmas, Sigma: sigma}
	js, err := json.Marshal(arch)
	if err != nil {
		return err
	}
	m.Architecture = js
	var ts []Tensor
	for _, p := range e.Params() {
		ts = append(ts, FromDense(p.Name, p.Value))
	}
	for i, l := range e.Net.Layers {
		if l.SN != nil {
			ts = append(ts, FromDense(fmt.Sprintf("layers.%d.sn_u", i), tensor.FromSlice(1, len(l.SN.U), l.SN.U)))
			ts = append(ts, FromDense(fmt.Sprintf("layers.%d.sn_v", i), tensor.FromSlice(1, len(l.SN.V), l.SN.V)))
		}
	}
	return Save(dir, &m, ts)
}

// LoadMLPEnergy reads a model folder written by SaveMLPEnergy, checking the
// kind, the architecture and every tensor's name, dtype and shape.
//
// dir may also be a training output folder that holds the model in model/.
func LoadMLPEnergy(dir string) (*energy.MLPEnergy[float32], *Meta, error) {
	if _, err := os.Stat(filepath.Join(dir, MetaFile)); err != nil {
		if _, err2 := os.Stat(filepath.Join(dir, "model", MetaFile)); err2 == nil {
			dir = filepath.Join(dir, "model")
		}
	}
	meta, ts, err := Read(dir)
	if err != nil {
		return nil, nil, err
	}
	if meta.Kind != KindMLPEnergy && meta.Kind != KindNoiseCondMLP {
		return nil, nil, fmt.Errorf("model: %s holds a %q model, not an MLP energy", dir, meta.Kind)
	}
	var arch MLPArch
	if err := json.Unmarshal(meta.Architecture, &arch); err != nil {
		return nil, nil, fmt.Errorf("model: %s: architecture: %w", dir, err)
	}
	if len(arch.Sizes) < 2 || arch.Sizes[len(arch.Sizes)-1] != 1 {
		return nil, nil, fmt.Errorf("model: %s: architecture sizes %v must end in one output", dir, arch.Sizes)
	}
	if arch.DType != "F32" {
		return nil, nil, fmt.Errorf("model: %s: dtype %q is not supported (F32 only)", dir, arch.DType)
	}
	act, err := nn.ActivationByName(arch.Activation)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %s: %w", dir, err)
	}
	net, err := nn.NewMLP[float32](arch.Sizes, act, nn.MLPOptions{SpecNorm: arch.SpecNorm}, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("model: %s: %w", dir, err)
	}
	for _, p := range net.Params() {
		t, err := Expect(ts, p.Name, "F32", p.Value.Rows, p.Value.Cols)
		if err != nil {
			return nil, nil, fmt.Errorf("model: %s: %w", dir, err)
		}
		d, err := ToDense[float32](t)
		if err != nil {
			return nil, nil, err
		}
		if d.HasNaNInf() >= 0 {
			return nil, nil, fmt.Errorf("model: %s: tensor %q holds NaN or Inf", dir, p.Name)
		}
		p.Value.CopyFrom(d)
	}
	for i, l := range net.Layers {
		if l.SN == nil {
			continue
		}
		for _, v := range []struct {
			name string
			dst  []float64
		}{{fmt.Sprintf("layers.%d.sn_u", i), l.SN.U}, {fmt.Sprintf("layers.%d.sn_v", i), l.SN.V}} {
			t, err := Expect(ts, v.name, "F64", 1, len(v.dst))
			if err != nil {
				return nil, nil, fmt.Errorf("model: %s: %w", dir, err)
			}
			copy(v.dst, t.F64)
		}
	}
	e, err := energy.NewMLPEnergy(net)
	if err != nil {
		return nil, nil, err
	}
	return e, meta, nil
}

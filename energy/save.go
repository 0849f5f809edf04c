package energy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// KindMLPEnergy is the model.Meta.Kind of a neural energy E(x) = MLP(x).
const KindMLPEnergy = "mlp-energy"

// KindNoiseCondMLP is the model.Meta.Kind of a noise-conditional energy
// E(x, σ) = MLP([x, log σ]).
const KindNoiseCondMLP = "noise-conditional-mlp-energy"

func init() {
	model.Register(KindMLPEnergy, loadRegistered)
	model.Register(KindNoiseCondMLP, loadRegistered)
}

// loadRegistered is the model.Loader of both MLP kinds: model.Load(dir)
// returns an *MLPEnergy[float32] or a *NoiseCondMLP[float32].
func loadRegistered(dir string, meta *model.Meta, ts map[string]model.Tensor) (any, error) {
	return fromFolder(dir, meta, ts)
}

// MLPArch is the architecture of an MLP energy as stored in model.json
// (model.Meta.Architecture).
type MLPArch struct {
	Sizes      []int     `json:"sizes"`
	Activation string    `json:"activation"`
	SpecNorm   bool      `json:"spectral_norm"`
	DType      string    `json:"dtype"`
	Sigmas     []float64 `json:"sigmas,omitempty"` // noise-conditional models: training levels
	Sigma      float64   `json:"sigma,omitempty"`  // noise-conditional models: working level
}

// SaveModel writes a trained float32 neural energy (an *MLPEnergy or a
// *NoiseCondMLP) into the model folder dir (see package model): the weights,
// and the power-iteration vectors of spectrally normalized layers, in
// model.safetensors, the architecture (MLPArch) in model.json. meta.Kind and
// meta.Architecture are set here; meta itself is not modified.
func SaveModel(dir string, e Model[float32], meta *model.Meta) error {
	switch v := e.(type) {
	case *MLPEnergy[float32]:
		return saveMLP(dir, v.Net, meta, KindMLPEnergy, nil, 0)
	case *NoiseCondMLP[float32]:
		return saveMLP(dir, v.Net, meta, KindNoiseCondMLP, v.Sigmas, v.Sigma)
	}
	return fmt.Errorf("energy: cannot save a %T (MLP energies only)", e)
}

// Save writes m into the model folder dir; see SaveModel.
func (m *MLPEnergy[T]) Save(dir string, meta *model.Meta) error {
	e, ok := any(m).(*MLPEnergy[float32])
	if !ok {
		return fmt.Errorf("energy: saving a %T: only float32 networks are saved", m)
	}
	return SaveModel(dir, e, meta)
}

// Save writes m into the model folder dir; see SaveModel.
func (m *NoiseCondMLP[T]) Save(dir string, meta *model.Meta) error {
	e, ok := any(m).(*NoiseCondMLP[float32])
	if !ok {
		return fmt.Errorf("energy: saving a %T: only float32 networks are saved", m)
	}
	return SaveModel(dir, e, meta)
}

func saveMLP(dir string, net *nn.MLP[float32], meta *model.Meta, kind string, sigmas []float64, sigma float64) error {
	if meta == nil {
		meta = &model.Meta{}
	}
	m := *meta
	m.Kind = kind
	arch := MLPArch{Sizes: net.Sizes(), Activation: net.Act.Name, SpecNorm: net.Layers[0].SN != nil, DType: "F32",
		Sigmas: sigmas, Sigma: sigma}
	js, err := json.Marshal(arch)
	if err != nil {
		return err
	}
	m.Architecture = js
	var ts []model.Tensor
	for _, p := range net.Params() {
		ts = append(ts, model.FromDense(p.Name, p.Value))
	}
	for i, l := range net.Layers {
		if l.SN != nil {
			ts = append(ts, model.FromDense(fmt.Sprintf("layers.%d.sn_u", i), tensor.FromSlice(1, len(l.SN.U), l.SN.U)))
			ts = append(ts, model.FromDense(fmt.Sprintf("layers.%d.sn_v", i), tensor.FromSlice(1, len(l.SN.V), l.SN.V)))
		}
	}
	return model.Save(dir, &m, ts)
}

// LoadModel reads a model folder written by SaveModel (either kind) and
// returns the float32 energy: an *MLPEnergy[float32] or a
// *NoiseCondMLP[float32]. dir may also be a training output folder that holds
// the model in model/.
//
// It checks the kind, the architecture, and every tensor's name, dtype and
// shape against the architecture before it allocates the network, so a
// model.json that declares huge layers gives an error, never an
// out-of-memory; weights holding NaN or Inf are refused.
func LoadModel(dir string) (Model[float32], *model.Meta, error) {
	dir = modelDir(dir)
	meta, ts, err := model.Read(dir)
	if err != nil {
		return nil, nil, err
	}
	e, err := fromFolder(dir, meta, ts)
	if err != nil {
		return nil, nil, err
	}
	return e, meta, nil
}

// fromFolder builds the energy that meta and ts describe.
func fromFolder(dir string, meta *model.Meta, ts map[string]model.Tensor) (Model[float32], error) {
	if meta.Kind != KindMLPEnergy && meta.Kind != KindNoiseCondMLP {
		return nil, fmt.Errorf("energy: %s holds a %q model, not an MLP energy", dir, meta.Kind)
	}
	var arch MLPArch
	if err := json.Unmarshal(meta.Architecture, &arch); err != nil {
		return nil, fmt.Errorf("energy: %s: architecture: %w", dir, err)
	}
	net, err := loadMLP(arch, ts)
	if err != nil {
		return nil, fmt.Errorf("energy: %s: %w", dir, err)
	}
	if meta.Kind == KindMLPEnergy {
		return NewMLPEnergy(net)
	}
	nc, err := NewNoiseCondMLP(net, arch.Sigmas)
	if err != nil {
		return nil, fmt.Errorf("energy: %s: %w", dir, err)
	}
	if arch.Sigma != 0 {
		if !(arch.Sigma > 0) || !finite(arch.Sigma) {
			return nil, fmt.Errorf("energy: %s: working noise level %v must be positive and finite", dir, arch.Sigma)
		}
		nc.Sigma = arch.Sigma
	}
	return nc, nil
}

// loadMLP checks arch against the tensors, then builds the network and copies
// the weights in.
func loadMLP(arch MLPArch, ts map[string]model.Tensor) (*nn.MLP[float32], error) {
	n := len(arch.Sizes)
	if n < 2 || arch.Sizes[n-1] != 1 {
		return nil, fmt.Errorf("architecture sizes %v must have an input and end in one output", arch.Sizes)
	}
	if arch.DType != "F32" {
		return nil, fmt.Errorf("dtype %q is not supported (F32 only)", arch.DType)
	}
	for i, s := range arch.Sizes {
		if s < 1 {
			return nil, fmt.Errorf("architecture sizes %v: layer %d has width %d", arch.Sizes, i, s)
		}
	}
	act, err := nn.ActivationByName(arch.Activation)
	if err != nil {
		return nil, err
	}
	// Every tensor must be present with the declared shape before anything is
	// allocated: the tensors were read from the file, so their sizes are
	// bounded by it, and sizes that match them are too.
	type want struct {
		name, dtype string
		rows, cols  int
	}
	var wants []want
	for i := 0; i+1 < n; i++ {
		in, out := arch.Sizes[i], arch.Sizes[i+1]
		wants = append(wants, want{fmt.Sprintf("layers.%d.weight", i), "F32", in, out},
			want{fmt.Sprintf("layers.%d.bias", i), "F32", 1, out})
		if arch.SpecNorm {
			wants = append(wants, want{fmt.Sprintf("layers.%d.sn_u", i), "F64", 1, in},
				want{fmt.Sprintf("layers.%d.sn_v", i), "F64", 1, out})
		}
	}
	for _, w := range wants {
		if _, err := model.Expect(ts, w.name, w.dtype, w.rows, w.cols); err != nil {
			return nil, fmt.Errorf("architecture sizes %v: %w", arch.Sizes, err)
		}
	}
	net, err := nn.NewMLP[float32](arch.Sizes, act, nn.MLPOptions{SpecNorm: arch.SpecNorm}, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	for _, p := range net.Params() {
		d, err := model.ToDense[float32](ts[p.Name])
		if err != nil {
			return nil, err
		}
		if d.HasNaNInf() >= 0 {
			return nil, fmt.Errorf("tensor %q holds NaN or Inf", p.Name)
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
			src := ts[v.name].F64
			for _, x := range src {
				if !finite(x) {
					return nil, fmt.Errorf("tensor %q holds NaN or Inf", v.name)
				}
			}
			copy(v.dst, src)
		}
	}
	return net, nil
}

package energy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// ModelSpec is a parsed neural-energy spec (see ParseModelSpec): an MLP's
// hidden widths, activation, spectral normalization and initialization.
type ModelSpec struct {
	Hidden   []int
	Act      nn.Activation
	SpecNorm bool
	Init     nn.Init
}

// ModelSpecHelp describes the model spec's settings and defaults.
const ModelSpecHelp = `mlp: an MLP energy E(x) = MLP(x) with one output.
  hidden=128x128  hidden widths, separated by x
  act=silu        activation (silu, softplus, tanh, sigmoid, relu, leakyrelu, elu)
  specnorm        spectral normalization of every layer
  init=torch      weight initialization (torch, xavier_uniform, xavier_normal, kaiming_normal)`

// ParseModelSpec parses "mlp[:hidden=128x128,act=silu,specnorm,init=torch]"
// (the defaults shown). Every setting is checked, and the hidden layers'
// weight sizes with tensor.CheckAlloc, before anything is built; every error
// is a *spec.Error.
func ParseModelSpec(s string) (*ModelSpec, error) {
	sp, err := spec.Parse("model", s)
	if err != nil {
		return nil, err
	}
	if sp.Name != "mlp" {
		return nil, spec.Errorf("model", "unknown model %q (valid: mlp)", sp.Name)
	}
	where := "model mlp"
	m := &ModelSpec{}
	hidden := sp.String("hidden", "128x128")
	for _, h := range strings.Split(hidden, "x") {
		v, err := strconv.Atoi(strings.TrimSpace(h))
		if err != nil || v < 1 {
			return nil, spec.Errorf(where, "hidden=%q: want positive widths like 128x128", hidden)
		}
		m.Hidden = append(m.Hidden, v)
	}
	for i := 0; i+1 < len(m.Hidden); i++ {
		if err := tensor.CheckAllocOf[float32](fmt.Sprintf("hidden layer %d weights", i+1), m.Hidden[i], m.Hidden[i+1]); err != nil {
			return nil, &spec.Error{Where: where, Msg: "hidden=" + hidden + ": " + err.Error()}
		}
	}
	if m.Act, err = nn.ActivationByName(sp.String("act", "silu")); err != nil {
		return nil, &spec.Error{Where: where, Msg: strings.TrimPrefix(err.Error(), "nn: ")}
	}
	if m.SpecNorm, err = sp.Bool("specnorm", false); err != nil {
		return nil, err
	}
	if m.Init, err = nn.InitByName(sp.String("init", "torch")); err != nil {
		return nil, &spec.Error{Where: where, Msg: strings.TrimPrefix(err.Error(), "nn: ")}
	}
	if err := sp.CheckUnused(); err != nil {
		return nil, err
	}
	return m, nil
}

// Build makes the float32 model for d-dimensional data; see BuildModel.
func (m *ModelSpec) Build(d int, seed uint64, sigmas []float64) (Model[float32], error) {
	return BuildModel[float32](m, d, seed, sigmas)
}

// BuildModel makes the model m describes for d-dimensional data: an MLP
// energy with layer sizes d, Hidden…, 1, or, when sigmas is not empty, a
// noise-conditional MLP energy (d+1 inputs, the last log σ) with training
// levels sigmas. The weights are drawn from the stream
// rand.NewPCG(seed, 0x6d6f64656c), so the same seed gives the same network.
// Sizes too large to allocate give a *spec.Error naming the size and the limit.
func BuildModel[T tensor.Float](m *ModelSpec, d int, seed uint64, sigmas []float64) (Model[T], error) {
	if d < 1 {
		return nil, fmt.Errorf("energy: BuildModel: data dimension %d", d)
	}
	in := d
	if len(sigmas) > 0 {
		in = d + 1
	}
	sizes := append(append([]int{in}, m.Hidden...), 1)
	net, err := nn.NewMLP[T](sizes, m.Act, nn.MLPOptions{Init: m.Init, SpecNorm: m.SpecNorm}, rand.New(rand.NewPCG(seed, 0x6d6f64656c)))
	if err != nil {
		var ae *tensor.AllocError
		if errors.As(err, &ae) {
			return nil, &spec.Error{Where: "model mlp", Msg: err.Error()}
		}
		return nil, err
	}
	if len(sigmas) > 0 {
		return NewNoiseCondMLP(net, sigmas)
	}
	return NewMLPEnergy(net)
}

package energy

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// KindQuadMLP is the model.Meta.Kind of a QuadMLP energy.
const KindQuadMLP = "quad-mlp-energy"

func init() { model.Register(KindQuadMLP, loadQuadMLP) }

// QuadMLP is a neural energy with a fixed quadratic part,
//
//	E(x) = ‖x − c‖²/(2s²) + f(x),   ∇E(x) = (x − c)/s² + ∇f(x),
//
// for an MLP f with one output. It suits energies of noisy data: the density
// of x + σξ has Gaussian tails of width σ, so with s = σ the network only
// supplies a bounded correction, and Tweedie's estimate becomes
// x̂ = y − σ²∇E(y) = c − σ²∇f(y) (a denoiser whose network need not learn the
// identity). Energy and EnergyGrad use the MLP's fused pass; Build records it
// on a tape (for training). Safe for concurrent use as MLPEnergy is.
type QuadMLP[T tensor.Float] struct {
	Net    *nn.MLP[T]
	Center []float64
	Scale  float64

	in *MLPEnergy[T]
}

// NewQuadMLP wraps net (d inputs, one output) with the quadratic part of
// centre center (len d, copied) and scale > 0.
func NewQuadMLP[T tensor.Float](net *nn.MLP[T], center []float64, scale float64) (*QuadMLP[T], error) {
	in, err := NewMLPEnergy(net)
	if err != nil {
		return nil, err
	}
	if len(center) != net.In() {
		return nil, fmt.Errorf("energy: QuadMLP: centre of length %d for a network of %d inputs", len(center), net.In())
	}
	for i, v := range center {
		if !finite(v) {
			return nil, fmt.Errorf("energy: QuadMLP: centre[%d] = %v", i, v)
		}
	}
	if !(scale > 0) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("energy: QuadMLP: scale %v, want finite and > 0", scale)
	}
	return &QuadMLP[T]{Net: net, Center: append([]float64(nil), center...), Scale: scale, in: in}, nil
}

// Dim returns d.
func (m *QuadMLP[T]) Dim() int { return m.Net.In() }

// Params returns the network's parameters (the quadratic part is fixed).
func (m *QuadMLP[T]) Params() []*autodiff.Param[T] { return m.Net.Params() }

// Build records E of the rows of x on t (n×1).
func (m *QuadMLP[T]) Build(t *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	c := tensor.New[T](1, len(m.Center))
	for i, v := range m.Center {
		c.Data[i] = T(v)
	}
	q := autodiff.Scale(autodiff.SumCols(autodiff.Square(autodiff.Sub(x, t.Const(c)))), 0.5/(m.Scale*m.Scale))
	return autodiff.Add(q, m.Net.Forward(t, x))
}

// Energy writes E(x_i) into e[i].
func (m *QuadMLP[T]) Energy(x *tensor.Dense[float64], e []float64) {
	m.in.Energy(x, e)
	m.addQuad(x, e, nil)
}

// EnergyGrad writes E(x_i) into e[i] and ∇E(x_i) into row i of g.
func (m *QuadMLP[T]) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	m.in.EnergyGrad(x, e, g)
	m.addQuad(x, e, g)
}

func (m *QuadMLP[T]) addQuad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	inv := 1 / (m.Scale * m.Scale)
	for i := range e {
		r := x.Row(i)
		s := 0.0
		for j, v := range r {
			d := v - m.Center[j]
			s += d * d
			if g != nil {
				g.Row(i)[j] += d * inv
			}
		}
		e[i] += 0.5 * s * inv
	}
}

// quadArch is the architecture of a QuadMLP in model.json.
type quadArch struct {
	MLPArch
	Scale float64 `json:"scale"`
}

// Save writes a float32 QuadMLP into the model folder dir: the network's
// weights and the centre ("center", F64) in model.safetensors, the sizes,
// activation and scale in model.json.
func (m *QuadMLP[T]) Save(dir string, meta *model.Meta) error {
	q, ok := any(m).(*QuadMLP[float32])
	if !ok {
		return fmt.Errorf("energy: saving a %T: only float32 networks are saved", m)
	}
	if q.Net.Layers[0].SN != nil {
		return errors.New("energy: saving a QuadMLP with spectral normalization is not supported")
	}
	if meta == nil {
		meta = &model.Meta{}
	}
	mt := *meta
	mt.Kind = KindQuadMLP
	js, err := json.Marshal(quadArch{MLPArch: MLPArch{Sizes: q.Net.Sizes(), Activation: q.Net.Act.Name, DType: "F32"}, Scale: q.Scale})
	if err != nil {
		return err
	}
	mt.Architecture = js
	var ts []model.Tensor
	for _, p := range q.Net.Params() {
		ts = append(ts, model.FromDense(p.Name, p.Value))
	}
	ts = append(ts, model.FromDense("center", tensor.FromSlice(1, len(q.Center), q.Center)))
	return model.Save(dir, &mt, ts)
}

func loadQuadMLP(dir string, meta *model.Meta, ts map[string]model.Tensor) (any, error) {
	var arch quadArch
	if err := json.Unmarshal(meta.Architecture, &arch); err != nil {
		return nil, fmt.Errorf("energy: %s: architecture: %w", dir, err)
	}
	if arch.SpecNorm {
		return nil, fmt.Errorf("energy: %s: spectral normalization is not supported for %s", dir, KindQuadMLP)
	}
	net, err := loadMLP(arch.MLPArch, ts)
	if err != nil {
		return nil, fmt.Errorf("energy: %s: %w", dir, err)
	}
	ct, err := model.Expect(ts, "center", "F64", 1, net.In())
	if err != nil {
		return nil, fmt.Errorf("energy: %s: %w", dir, err)
	}
	q, err := NewQuadMLP(net, ct.F64, arch.Scale)
	if err != nil {
		return nil, fmt.Errorf("energy: %s: %w", dir, err)
	}
	return q, nil
}

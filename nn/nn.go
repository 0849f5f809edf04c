// Package nn holds neural-network layers for energies: Linear layers with the
// standard initializations, an MLP builder, the activations of package tensor
// (smooth ones such as SiLU and softplus for score matching), and spectral
// normalization by power iteration.
//
// Layers build their forward pass on an autodiff tape (for parameter gradients
// and higher-order derivatives). An MLP also has a fused forward-and-backward
// pass for ∇ₓ of a scalar output that uses no tape and, after its first call,
// allocates nothing: the hot loop of Langevin sampling.
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// Activation is an elementwise nonlinearity: one of the tensor activation
// functions and its parameter (the negative slope of LeakyReLU, α of ELU).
type Activation struct {
	Fn    tensor.Func
	Param float64
	Name  string
}

// The activations, as values (ActivationByName finds them by name).
var (
	// SiLU (swish) is x·σ(x), smooth: the default for score matching.
	SiLU = Activation{tensor.FnSiLU, 0, "silu"}
	// Tanh is tanh(x).
	Tanh = Activation{tensor.FnTanh, 0, "tanh"}
	// Sigmoid is σ(x) = 1/(1 + e^(−x)).
	Sigmoid = Activation{tensor.FnSigmoid, 0, "sigmoid"}
	// Softplus is log(1 + eˣ), smooth.
	Softplus = Activation{tensor.FnSoftplus, 0, "softplus"}
	// ReLU is max(0, x); its second derivative is zero, so it does not suit
	// score matching.
	ReLU = Activation{tensor.FnReLU, 0, "relu"}
	// LeakyReLU is x for x > 0 and 0.2·x otherwise.
	LeakyReLU = Activation{tensor.FnLeakyReLU, 0.2, "leakyrelu"}
	// ELU is x for x > 0 and α(eˣ − 1) otherwise, with α = 1.
	ELU = Activation{tensor.FnELU, 1, "elu"}
)

var activations = map[string]Activation{
	"silu":      SiLU,
	"swish":     SiLU,
	"tanh":      Tanh,
	"sigmoid":   Sigmoid,
	"softplus":  Softplus,
	"relu":      ReLU,
	"leakyrelu": LeakyReLU,
	"elu":       ELU,
}

// ActivationByName returns the activation called name: silu (or swish), tanh,
// sigmoid, softplus, relu, leakyrelu (slope 0.2), elu (α = 1).
func ActivationByName(name string) (Activation, error) {
	a, ok := activations[strings.ToLower(name)]
	if !ok {
		return Activation{}, fmt.Errorf("nn: unknown activation %q (valid: %s)", name, strings.Join(ActivationNames(), ", "))
	}
	return a, nil
}

// ActivationNames lists the activation names.
func ActivationNames() []string {
	var n []string
	for k := range activations {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Apply records the activation a of x on x's tape.
func Apply[T tensor.Float](a Activation, x *autodiff.Var[T]) *autodiff.Var[T] {
	return autodiff.Act(a.Fn, a.Param, x)
}

// Init names a weight initialization.
type Init int

const (
	// InitTorch is PyTorch's nn.Linear default: W and b ~ U(−1/√in, 1/√in)
	// (Kaiming uniform with a = √5).
	InitTorch Init = iota
	// InitXavierUniform: W ~ U(−√(6/(in+out)), √(6/(in+out))), b = 0.
	InitXavierUniform
	// InitXavierNormal: W ~ N(0, 2/(in+out)), b = 0.
	InitXavierNormal
	// InitKaimingNormal: W ~ N(0, 2/in) (He, for ReLU), b = 0.
	InitKaimingNormal
)

// InitByName maps torch, xavier_uniform, xavier_normal, kaiming_normal to an Init.
func InitByName(name string) (Init, error) {
	switch strings.ToLower(name) {
	case "torch", "default":
		return InitTorch, nil
	case "xavier_uniform", "xavier", "glorot":
		return InitXavierUniform, nil
	case "xavier_normal":
		return InitXavierNormal, nil
	case "kaiming_normal", "he":
		return InitKaimingNormal, nil
	}
	return 0, fmt.Errorf("nn: unknown initialization %q (valid: torch, xavier_uniform, xavier_normal, kaiming_normal)", name)
}

// Linear is an affine layer y = x·W + b with W of shape In×Out and b of 1×Out.
// With spectral normalization on, W is replaced by W/σ(W) in the forward pass.
type Linear[T tensor.Float] struct {
	In, Out int
	W, B    *autodiff.Param[T]
	SN      *SpectralNorm[T] // nil unless spectral normalization is on
}

// NewLinear returns an In×Out layer initialized by init from rng.
func NewLinear[T tensor.Float](name string, in, out int, init Init, rng *rand.Rand) *Linear[T] {
	w := tensor.New[T](in, out)
	b := tensor.New[T](1, out)
	switch init {
	case InitTorch:
		bound := 1 / math.Sqrt(float64(in))
		for i := range w.Data {
			w.Data[i] = T((2*rng.Float64() - 1) * bound)
		}
		for i := range b.Data {
			b.Data[i] = T((2*rng.Float64() - 1) * bound)
		}
	case InitXavierUniform:
		bound := math.Sqrt(6 / float64(in+out))
		for i := range w.Data {
			w.Data[i] = T((2*rng.Float64() - 1) * bound)
		}
	case InitXavierNormal:
		sd := math.Sqrt(2 / float64(in+out))
		for i := range w.Data {
			w.Data[i] = T(rng.NormFloat64() * sd)
		}
	case InitKaimingNormal:
		sd := math.Sqrt(2 / float64(in))
		for i := range w.Data {
			w.Data[i] = T(rng.NormFloat64() * sd)
		}
	}
	return &Linear[T]{In: in, Out: out,
		W: autodiff.NewParam(name+".weight", w),
		B: autodiff.NewParam(name+".bias", b)}
}

// Weight returns the weight as used in the forward pass on tape t: W, or W/σ(W)
// under spectral normalization (σ from the current power-iteration vectors,
// treated as constants as in PyTorch's spectral_norm).
func (l *Linear[T]) Weight(t *autodiff.Tape[T]) *autodiff.Var[T] {
	w := t.Param(l.W)
	if l.SN == nil {
		return w
	}
	return l.SN.normalize(t, w)
}

// Forward records x·W + b on tape t.
func (l *Linear[T]) Forward(t *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	return autodiff.Add(autodiff.MatMul(x, false, l.Weight(t), false), t.Param(l.B))
}

// Params returns W and b.
func (l *Linear[T]) Params() []*autodiff.Param[T] { return []*autodiff.Param[T]{l.W, l.B} }

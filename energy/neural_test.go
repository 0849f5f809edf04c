package energy

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

func TestMLPEnergyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	act, _ := nn.ActivationByName("silu")
	net, err := nn.NewMLP[float64]([]int{3, 16, 16, 1}, act, nn.MLPOptions{}, rng)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewMLPEnergy(net)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New[float64](9, 3)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	if rel, err := CheckGrad(e, x, 0); err != nil || rel > 1e-6 {
		t.Fatalf("CheckGrad: %v, relative error %.2e", err, rel)
	}
	// Build on a tape agrees with the fused pass.
	tp := autodiff.NewTape[float64]()
	out := e.Build(tp, tp.Const(x))
	ev := make([]float64, 9)
	e.Energy(x, ev)
	for i, v := range ev {
		if math.Abs(v-out.Value.Data[i]) > 1e-12 {
			t.Fatalf("Build %v, Energy %v", out.Value.Data[i], v)
		}
	}
	// A float32 network through the float64 interface.
	net32, _ := nn.NewMLP[float32]([]int{3, 16, 1}, act, nn.MLPOptions{}, rng)
	e32, _ := NewMLPEnergy(net32)
	if rel, err := CheckGrad(e32, x, 1e-2); err != nil || rel > 1e-3 {
		t.Fatalf("float32 CheckGrad: %v, relative error %.2e", err, rel)
	}
	if _, err := NewMLPEnergy(&nn.MLP[float64]{Layers: []*nn.Linear[float64]{nn.NewLinear[float64]("l", 3, 2, nn.InitTorch, rng)}}); err == nil {
		t.Fatal("two-output MLP accepted as an energy")
	}
}

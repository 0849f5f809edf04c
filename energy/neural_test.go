package energy

import (
	"math"
	"math/rand/v2"
	"runtime"
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

// TestMLPEnergySplitSameNumbers: on a batch large enough for the float64 ↔
// float32 conversions (and the network's elementwise steps) to be split
// across cores, EnergyGrad gives the numbers of one core.
func TestMLPEnergySplitSameNumbers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(11, 12))
	act, _ := nn.ActivationByName("silu")
	net, err := nn.NewMLP[float32]([]int{400, 64, 64, 1}, act, nn.MLPOptions{}, rng)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMLPEnergy(net)
	if err != nil {
		t.Fatal(err)
	}
	const n = 130 // 52,000 coordinates
	x := tensor.New[float64](n, 400)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	eval := func(procs int) ([]float64, []float64) {
		runtime.GOMAXPROCS(procs)
		e, g := make([]float64, n), tensor.New[float64](n, 400)
		m.EnergyGrad(x, e, g)
		return e, g.Data
	}
	e1, g1 := eval(1)
	e4, g4 := eval(4)
	for i := range e1 {
		if e1[i] != e4[i] {
			t.Fatalf("energy %d: %v on 4 procs, %v on 1", i, e4[i], e1[i])
		}
	}
	for i := range g1 {
		if g1[i] != g4[i] {
			t.Fatalf("gradient %d: %v on 4 procs, %v on 1", i, g4[i], g1[i])
		}
	}
}

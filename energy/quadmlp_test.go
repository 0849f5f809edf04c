package energy

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// A QuadMLP's hand-written gradient matches finite differences, its tape
// recording matches Energy, and it survives a save and load.
func TestQuadMLP(t *testing.T) {
	act, _ := nn.ActivationByName("silu")
	net, _ := nn.NewMLP[float64]([]int{3, 8, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 2)))
	q, err := NewQuadMLP(net, []float64{0.5, -1, 2}, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.FromSlice(2, 3, []float64{0.1, 0.2, 0.3, -1, 0.5, 2.5})
	if r, err := CheckGrad(q, x, 0); err != nil || r > 1e-6 {
		t.Errorf("CheckGrad %v %v", r, err)
	}
	e := make([]float64, 2)
	q.Energy(x, e)
	tp := autodiff.NewTape[float64]()
	y := q.Build(tp, tp.Input(x, false))
	for i := range e {
		if math.Abs(y.Value.Data[i]-e[i]) > 1e-10 {
			t.Errorf("Build %v, Energy %v", y.Value.Data[i], e[i])
		}
	}
	if _, err := NewQuadMLP(net, []float64{0}, 1); err == nil {
		t.Error("short centre accepted")
	}
	if _, err := NewQuadMLP(net, []float64{0, 0, 0}, 0); err == nil {
		t.Error("scale 0 accepted")
	}
	net32, _ := nn.NewMLP[float32]([]int{3, 8, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 2)))
	q32, _ := NewQuadMLP(net32, []float64{0.5, -1, 2}, 0.3)
	dir := filepath.Join(t.TempDir(), "q")
	if err := q32.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	back, meta, err := LoadGrad(dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Kind != KindQuadMLP {
		t.Errorf("kind %q", meta.Kind)
	}
	e1, e2 := make([]float64, 2), make([]float64, 2)
	q32.Energy(x, e1)
	back.Energy(x, e2)
	for i := range e1 {
		if e1[i] != e2[i] {
			t.Errorf("loaded energy %v, saved %v", e2[i], e1[i])
		}
	}
	_ = model.MetaFile
}

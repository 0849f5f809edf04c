package model

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

func TestSaveLoadEnergies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	act, _ := nn.ActivationByName("silu")
	x := tensor.FromSlice(3, 2, []float64{0.1, -0.2, 1, 2, -3, 0.5})
	for _, nc := range []bool{false, true} {
		for _, sn := range []bool{false, true} {
			in := 2
			if nc {
				in = 3
			}
			net, _ := nn.NewMLP[float32]([]int{in, 8, 1}, act, nn.MLPOptions{SpecNorm: sn}, rng)
			var e energy.Model[float32]
			if nc {
				e, _ = energy.NewNoiseCondMLP(net, []float64{1, 0.5, 0.1})
			} else {
				e, _ = energy.NewMLPEnergy(net)
			}
			dir := filepath.Join(t.TempDir(), "m")
			if err := SaveEnergy(dir, e, &Meta{Seed: 7}); err != nil {
				t.Fatal(err)
			}
			back, meta, err := LoadEnergy(dir)
			if err != nil {
				t.Fatal(err)
			}
			if meta.Seed != 7 || back.Dim() != 2 {
				t.Fatalf("meta %+v dim %d", meta, back.Dim())
			}
			want, got := make([]float64, 3), make([]float64, 3)
			e.Energy(x, want)
			back.Energy(x, got)
			for i := range want {
				if want[i] != got[i] {
					t.Fatalf("nc=%v sn=%v: energy %v after loading, %v before", nc, sn, got[i], want[i])
				}
			}
		}
	}
}

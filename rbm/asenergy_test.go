package rbm

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// TestAsEnergyStandardized: a saved Gaussian RBM with a standardization loads
// through energy.LoadEnergy as E(x) = F((x − m)/s) + Σ log s.
func TestAsEnergyStandardized(t *testing.T) {
	r, err := New(Gaussian, 3, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range r.W.Data {
		r.W.Data[i] = float32(rng.NormFloat64() * 0.3)
	}
	r.Data = &DataInfo{Mean: []float64{1, -2, 0.5}, Std: []float64{2, 0.5, 3}}
	dir := filepath.Join(t.TempDir(), "m")
	if err := r.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	e, _, err := energy.LoadEnergy(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e.Dim() != 3 {
		t.Fatalf("Dim %d", e.Dim())
	}
	x := tensor.FromSlice(2, 3, []float64{1, -2, 0.5, 3, 0, -1})
	got := make([]float64, 2)
	e.Energy(x, got)
	xs := tensor.New[float32](2, 3)
	logS := 0.0
	for j := range 3 {
		logS += math.Log(r.Data.Std[j])
		for i := range 2 {
			xs.Set(i, j, float32((x.At(i, j)-r.Data.Mean[j])/r.Data.Std[j]))
		}
	}
	f, err := r.FreeEnergy(xs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if math.Abs(got[i]-(f[i]+logS)) > 1e-9 {
			t.Fatalf("row %d: E = %v, F + Σ log s = %v", i, got[i], f[i]+logS)
		}
	}
	// E − F is the same constant for every row.
	if d := (got[0] - f[0]) - (got[1] - f[1]); math.Abs(d) > 1e-12 {
		t.Fatalf("offset differs between rows by %v", d)
	}
}

// TestAsEnergyBernoulli: without standardization the energy is F itself.
func TestAsEnergyBernoulli(t *testing.T) {
	r, _ := New(Bernoulli, 4, 2, 3)
	var p energy.Provider = r
	e := p.AsEnergy()
	x := tensor.FromSlice(2, 4, []float64{1, 0, 1, 1, 0, 0, 0, 1})
	got := make([]float64, 2)
	e.Energy(x, got)
	f, _ := r.FreeEnergy(tensor.Convert[float32](nil, x), nil)
	for i := range got {
		if got[i] != f[i] {
			t.Fatalf("row %d: %v vs F %v", i, got[i], f[i])
		}
	}
}

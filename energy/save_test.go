package energy

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

func TestSaveLoadEnergies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := tensor.FromSlice(3, 2, []float64{0.1, -0.2, 1, 2, -3, 0.5})
	for _, nc := range []bool{false, true} {
		for _, sn := range []bool{false, true} {
			in := 2
			if nc {
				in = 3
			}
			net, _ := nn.NewMLP[float32]([]int{in, 8, 1}, nn.SiLU, nn.MLPOptions{SpecNorm: sn}, rng)
			var e Model[float32]
			if nc {
				e, _ = NewNoiseCondMLP(net, []float64{1, 0.5, 0.1})
			} else {
				e, _ = NewMLPEnergy(net)
			}
			dir := filepath.Join(t.TempDir(), "m")
			if err := SaveModel(dir, e, &model.Meta{Seed: 7}); err != nil {
				t.Fatal(err)
			}
			back, meta, err := LoadModel(dir)
			if err != nil {
				t.Fatal(err)
			}
			if meta.Seed != 7 || back.Dim() != 2 {
				t.Fatalf("meta %+v dim %d", meta, back.Dim())
			}
			// The registry gives the same model.
			anyM, meta2, err := model.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if meta2.Kind != meta.Kind {
				t.Fatalf("model.Load kind %q, LoadModel %q", meta2.Kind, meta.Kind)
			}
			reg, ok := anyM.(Model[float32])
			if !ok {
				t.Fatalf("model.Load gave a %T", anyM)
			}
			want, got, got2 := make([]float64, 3), make([]float64, 3), make([]float64, 3)
			e.Energy(x, want)
			back.Energy(x, got)
			reg.Energy(x, got2)
			for i := range want {
				if want[i] != got[i] || want[i] != got2[i] {
					t.Fatalf("nc=%v sn=%v: energy %v / %v after loading, %v before", nc, sn, got[i], got2[i], want[i])
				}
			}
		}
	}
}

// rewriteArch saves a small MLP energy, then replaces the architecture in
// model.json by arch.
func rewriteArch(t *testing.T, arch map[string]any) string {
	t.Helper()
	net, _ := nn.NewMLP[float32]([]int{2, 4, 1}, nn.SiLU, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 2)))
	e, _ := NewMLPEnergy(net)
	dir := filepath.Join(t.TempDir(), "m")
	if err := SaveModel(dir, e, &model.Meta{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, model.MetaFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	doc["architecture"] = arch
	b, _ = json.Marshal(doc)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A model.json that declares enormous layers must be refused by comparing
// with the tensors, before anything of that size is allocated.
func TestLoadHugeSizes(t *testing.T) {
	old := tensor.MaxAllocBytes
	tensor.MaxAllocBytes = 1 << 40 // even a generous limit must not be reached
	defer func() { tensor.MaxAllocBytes = old }()
	for _, sizes := range [][]int{
		{2, 1000000000, 1000000000, 1},
		{2, 1 << 62, 1 << 62, 1},
		{2, -4, 1},
		{2, 0, 1},
		{2, 4},
		{2},
	} {
		dir := rewriteArch(t, map[string]any{"sizes": sizes, "activation": "silu", "dtype": "F32"})
		_, _, err := LoadModel(dir)
		if err == nil {
			t.Fatalf("sizes %v: loaded", sizes)
		}
		if !strings.Contains(err.Error(), "sizes") {
			t.Errorf("sizes %v: error %q does not name the sizes", sizes, err)
		}
		if _, _, err := model.Load(dir); err == nil {
			t.Fatalf("sizes %v: model.Load loaded", sizes)
		}
	}
	// The true architecture still loads.
	dir := rewriteArch(t, map[string]any{"sizes": []int{2, 4, 1}, "activation": "silu", "dtype": "F32"})
	if _, _, err := LoadModel(dir); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []map[string]any{
		{"sizes": []int{2, 4, 1}, "activation": "nope", "dtype": "F32"},
		{"sizes": []int{2, 4, 1}, "activation": "silu", "dtype": "F64"},
		{"sizes": []int{2, 4, 1}, "activation": "silu", "dtype": "F32", "spectral_norm": true},
	} {
		if _, _, err := LoadModel(rewriteArch(t, bad)); err == nil {
			t.Errorf("architecture %v: loaded", bad)
		}
	}
}

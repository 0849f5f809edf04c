package energy

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
)

// FuzzLoadArchitecture saves a small MLP energy, replaces model.json by
// arbitrary bytes and loads it: no panic, no huge allocation, and whatever
// loads evaluates.
func FuzzLoadArchitecture(f *testing.F) {
	net, _ := nn.NewMLP[float32]([]int{2, 4, 1}, nn.SiLU, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 1)))
	e, _ := NewMLPEnergy(net)
	src := filepath.Join(f.TempDir(), "m")
	if err := SaveModel(src, e, &model.Meta{}); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(src, model.MetaFile))
	if err != nil {
		f.Fatal(err)
	}
	weights, err := os.ReadFile(filepath.Join(src, model.WeightsFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(strings.Replace(string(good), `"sizes":[2,4,1]`, `"sizes":[2,1000000000,1000000000,1]`, 1)))
	f.Add([]byte(strings.Replace(string(good), `"sizes":[2,4,1]`, `"sizes":[2,4,-1]`, 1)))
	f.Add([]byte(strings.Replace(string(good), `"mlp-energy"`, `"noise-conditional-mlp-energy"`, 1)))
	f.Fuzz(func(t *testing.T, doc []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, model.MetaFile), doc, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, model.WeightsFile), weights, 0o644); err != nil {
			t.Fatal(err)
		}
		m, _, err := LoadModel(dir)
		if err != nil {
			return
		}
		x := randBatch(newRNG(1), 3, m.Dim(), 1)
		energies(m, x)
	})
}

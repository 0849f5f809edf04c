package energy_test

import (
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/model"
)

func TestLoadGradAnyKind(t *testing.T) {
	dir := t.TempDir() + "/m"
	spec, err := energy.ParseModelSpec("mlp:hidden=8")
	if err != nil {
		t.Fatal(err)
	}
	m, err := energy.BuildModel[float32](spec, 2, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := energy.SaveModel(dir, m, &model.Meta{}); err != nil {
		t.Fatal(err)
	}
	g, meta, err := energy.LoadGrad(dir)
	if err != nil {
		t.Fatal(err)
	}
	if g.Dim() != 2 || meta.Kind != energy.KindMLPEnergy {
		t.Fatalf("dim %d kind %q", g.Dim(), meta.Kind)
	}
	if _, _, err := energy.LoadEnergy(t.TempDir()); err == nil {
		t.Fatal("an empty folder loaded")
	}
}

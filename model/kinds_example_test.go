package model_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/rbm"
)

// saver is what every saved model kind implements.
type saver interface {
	Save(dir string, meta *model.Meta) error
}

// Save one model of every kind ebm has, then load each back through the one
// registry: model.Load dispatches on the kind recorded in the folder.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "ebm-kinds-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	spec, _ := energy.ParseModelSpec("mlp:hidden=16x16,act=silu")
	mlp, _ := spec.Build(2, 1, nil)                        // E(x) = MLP(x)
	ncsn, _ := spec.Build(2, 1, []float64{1, 0.3, 0.1})    // E(x, σ)
	bern, _ := rbm.New(rbm.Bernoulli, 6, 3, 1)             // Bernoulli RBM
	gauss, _ := rbm.New(rbm.Gaussian, 4, 3, 1)             // Gaussian-Bernoulli RBM
	dbn, _ := rbm.NewDBN(rbm.Bernoulli, []int{6, 4, 2}, 1) // deep belief net
	dbm, _ := rbm.NewDBM(6, 4, 2, 1)                       // deep Boltzmann machine
	fvbm, _ := rbm.NewFVBM(5)                              // fully visible BM
	models := []saver{mlp.(saver), ncsn.(saver), bern, gauss, dbn, dbm, fvbm}
	for i, m := range models {
		path := filepath.Join(dir, fmt.Sprint(i))
		if err := m.Save(path, &model.Meta{Seed: 1}); err != nil {
			log.Fatal(err)
		}
		loaded, meta, err := model.Load(path)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-29s %T\n", meta.Kind, loaded)
	}
	// Output:
	// mlp-energy                    *energy.MLPEnergy[float32]
	// noise-conditional-mlp-energy  *energy.NoiseCondMLP[float32]
	// rbm                           *rbm.RBM
	// rbm                           *rbm.RBM
	// dbn                           *rbm.DBN
	// dbm                           *rbm.DBM
	// fvbm                          *rbm.FVBM
}

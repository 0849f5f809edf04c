package energy

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ebm-go/ebm/model"
)

// modelDir returns dir, or dir/model when dir is a training output folder
// that holds its model there.
func modelDir(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, model.MetaFile)); err != nil {
		if _, err2 := os.Stat(filepath.Join(dir, "model", model.MetaFile)); err2 == nil {
			return filepath.Join(dir, "model")
		}
	}
	return dir
}

// KindError reports a saved model whose kind cannot do what was asked of it
// (for example a binary RBM where a gradient-based sampler needs ∇ₓE).
type KindError struct {
	Dir, Kind, Need string
}

func (e *KindError) Error() string {
	return fmt.Sprintf("%s holds a %q model, which is not %s", e.Dir, e.Kind, e.Need)
}

// LoadEnergy reads any saved model through the model registry (model.Load)
// and returns it as an Energy: every kind whose loaded value implements
// Energy (neural energies, flows, free energies of Boltzmann machines, ...),
// or that provides one (see [Provider]).
// dir may also be a training output folder that holds the model in model/.
// The families' packages must be linked in (imported) for their kinds to be
// known.
func LoadEnergy(dir string) (Energy, *model.Meta, error) {
	dir = modelDir(dir)
	m, meta, err := model.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	e, ok := asEnergy(m)
	if !ok {
		return nil, nil, &KindError{Dir: dir, Kind: meta.Kind, Need: "an energy over points"}
	}
	return e, meta, nil
}

// LoadGrad is LoadEnergy for the kinds that also give ∇ₓE (what gradient
// based samplers and the 2-D evaluation need).
func LoadGrad(dir string) (GradEnergy, *model.Meta, error) {
	dir = modelDir(dir)
	m, meta, err := model.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	ee, _ := asEnergy(m)
	e, ok := ee.(GradEnergy)
	if !ok {
		return nil, nil, &KindError{Dir: dir, Kind: meta.Kind, Need: "an energy with a gradient in x"}
	}
	return e, meta, nil
}

package main

import (
	"github.com/ebm-go/ebm/energy"
)

// loadModelEnergy loads a trained energy from a model folder.
func loadModelEnergy(dir string) (energy.GradEnergy, error) {
	e, _, err := energy.LoadModel(dir)
	if err != nil {
		return nil, err
	}
	return e, nil
}

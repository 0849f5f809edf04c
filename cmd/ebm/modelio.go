package main

import (
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/model"
)

// loadModelEnergy loads a trained energy from a model folder.
func loadModelEnergy(dir string) (energy.GradEnergy, error) {
	e, _, err := model.LoadEnergy(dir)
	if err != nil {
		return nil, err
	}
	return e, nil
}

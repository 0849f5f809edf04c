package main

import (
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/cli"
)

// targetEnergy returns the energy of --energy or --model (exactly one).
func targetEnergy(energyFlag, modelFlag, what string) (energy.GradEnergy, string, error) {
	if (energyFlag == "") == (modelFlag == "") {
		return nil, "", cli.Usagef("%s: give exactly one of --energy or --model", what)
	}
	if modelFlag != "" {
		e, _, err := energy.LoadGrad(modelFlag)
		return e, modelFlag, cli.Input(err)
	}
	c, err := parseEnergy(energyFlag)
	if err != nil {
		return nil, "", err
	}
	return c.Energy, energyFlag, nil
}

package train

import (
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Players is implemented by estimators that train a network of their own
// against the energy (the learned Stein discrepancy's critic): the Trainer
// adds the returned parameter groups and objectives to its loop after the
// energy's group and objective, so each iteration runs the energy's update
// and then the players' updates in order, all on the same batch. seed is the
// run's seed (for the players' initial weights).
type Players[T tensor.Float] interface {
	Players(m energy.Model[T], seed uint64) ([]Group[T], []Grouped, error)
}

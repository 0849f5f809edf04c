package plot

import (
	"errors"

	"github.com/ebm-go/ebm/tensor"
)

// Energy is what the figures need of an energy: e[i] = E(x_i) for a batch of
// points x, one per row. Every energy of package energy satisfies it.
type Energy interface {
	Energy(x *tensor.Dense[float64], e []float64)
}

// EnergyAt returns (x, y) ↦ E((x, y)) for a 2-D energy, evaluated one point
// at a time in buffers of its own: the Contour of ScatterOptions, or with
// its sign flipped the logDensity of Density2D. The function is not safe for
// concurrent use.
func EnergyAt(e Energy) func(x, y float64) float64 {
	p := tensor.New[float64](1, 2)
	v := make([]float64, 1)
	return func(x, y float64) float64 {
		p.Data[0], p.Data[1] = x, y
		e.Energy(p, v)
		return v[0]
	}
}

// Samples writes the figure of MCMC draws pts (one per row) of energy e: for
// 2-D draws, a Scatter2D over the contours of e (shaded; e may be nil for
// plain points), otherwise a PairGrid of the first four coordinates.
func Samples(path, title string, pts *tensor.Dense[float64], e Energy) error {
	switch {
	case pts == nil:
		return errors.New("plot: Samples: no points")
	case pts.Cols != 2:
		return PairGrid(path, title, pts, 4)
	case e == nil:
		return Scatter2D(path, title, pts, ScatterOptions{})
	}
	return Scatter2D(path, title, pts, ScatterOptions{Contour: EnergyAt(e), Shade: true})
}

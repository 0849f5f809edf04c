package plot

import (
	"errors"
	"path/filepath"

	"github.com/ebm-go/ebm/tensor"
)

// TrainingFigures writes the pictures of a training run into dir: loss.png,
// the loss curve (iteration, loss), when there are losses; and for a 2-D
// energy e (nil for others) density.png, the learned density exp(−E)/Z on
// the 200×200 cells of [lo, hi]² under up to 1000 data points, and
// samples.png, the model samples on [lo, hi]².
func TrainingFigures(dir string, iters, losses []float64, e Energy, data, samples *tensor.Dense[float64], lo, hi float64) error {
	if len(losses) > 0 {
		if err := Lines(filepath.Join(dir, "loss.png"), "training loss", "iteration", "loss",
			[]Series{{Name: "loss", X: iters, Y: losses}}, LineOptions{}); err != nil {
			return err
		}
	}
	if e == nil {
		return nil
	}
	if data == nil || samples == nil || data.Cols != 2 || samples.Cols != 2 {
		return errors.New("plot: TrainingFigures: need 2-D data and samples")
	}
	if data.Rows > 1000 {
		data = tensor.FromSlice(1000, 2, data.Data[:2000])
	}
	energyAt := EnergyAt(e)
	if err := Density2D(filepath.Join(dir, "density.png"), "learned density exp(-E)/Z",
		func(x, y float64) float64 { return -energyAt(x, y) }, lo, hi, 200, data); err != nil {
		return err
	}
	box := [2]float64{lo, hi}
	return Scatter2D(filepath.Join(dir, "samples.png"), "model samples (MALA)", samples, ScatterOptions{XRange: box, YRange: box})
}

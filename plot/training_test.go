package plot_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/tensor"
)

// sumSquares is E(x) = |x|²/2.
type sumSquares struct{}

func (sumSquares) Energy(x *tensor.Dense[float64], e []float64) {
	for i := range e {
		a, b := x.At(i, 0), x.At(i, 1)
		e[i] = (a*a + b*b) / 2
	}
}

func TestEnergyAt(t *testing.T) {
	f := plot.EnergyAt(sumSquares{})
	if got := f(3, 4); got != 12.5 {
		t.Errorf("E(3, 4) = %v, want 12.5", got)
	}
}

// TrainingFigures writes loss.png, and density.png and samples.png for a 2-D
// energy; Samples writes a scatter for 2-D and a pair grid otherwise.
func TestTrainingFiguresAndSamples(t *testing.T) {
	dir := t.TempDir()
	pts := tensor.New[float64](1500, 2)
	for i := range pts.Data {
		pts.Data[i] = float64(i%17)/8 - 1
	}
	err := plot.TrainingFigures(dir, []float64{100, 200}, []float64{1, 0.5}, sumSquares{}, pts, pts, -4, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := plot.Samples(filepath.Join(dir, "s2.png"), "2-D", pts, sumSquares{}); err != nil {
		t.Fatal(err)
	}
	if err := plot.Samples(filepath.Join(dir, "s3.png"), "3-D", tensor.New[float64](50, 3), nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"loss.png", "density.png", "samples.png", "s2.png", "s3.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := plot.TrainingFigures(dir, nil, nil, sumSquares{}, nil, pts, -4, 4); err == nil {
		t.Error("no data: no error")
	}
}

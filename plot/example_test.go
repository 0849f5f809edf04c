package plot_test

import (
	"fmt"
	"image/png"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/tensor"
)

// Draw samples over the contours of their energy E(x) = |x|²/2 (a standard
// Gaussian), the figure a sampler or a trained model is checked with.
func ExampleScatter2D() {
	dir, err := os.MkdirTemp("", "ebm-plot-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	rng := rand.New(rand.NewPCG(1, 2))
	samples := tensor.New[float64](1000, 2)
	for i := range samples.Data {
		samples.Data[i] = rng.NormFloat64()
	}
	energy := func(x, y float64) float64 { return (x*x + y*y) / 2 }

	path := filepath.Join(dir, "samples.png")
	err = plot.Scatter2D(path, "Gaussian samples", samples, plot.ScatterOptions{
		Contour: energy,
		XRange:  [2]float64{-4, 4},
		YRange:  [2]float64{-4, 4},
	})
	if err != nil {
		log.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d×%d pixels\n", cfg.Width, cfg.Height)
	// Output: 600×600 pixels
}

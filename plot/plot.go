// Package plot writes the PNG figures of ebm: samples over an energy's
// contours, pairwise scatter grids for higher-dimensional samples, 2-D density
// heatmaps, loss curves and image grids (RBM samples, digits).
//
// Every function takes an output path and writes it atomically: the PNG is
// rendered into a temporary file in the same folder (created if missing),
// which is renamed over path only when complete, so a failed call leaves
// nothing behind; files get mode 0666 and folders 0777, minus the umask. Figures have fixed sizes (5in × 5in for a single plot at
// DPI dots per inch), titles and axis labels.
//
// The drawing uses gonum.org/v1/plot. The *Plot functions (Scatter2DPlot,
// Density2DPlot, LinesPlot) return the figure instead of writing it, so it can
// be adjusted or combined with others by Panels.
//
// Points are n×2 (or n×d) tensor.Dense[float64] batches, one point per row. A
// row with a NaN or infinite coordinate cannot be drawn; it is left out and
// the number left out is added to the title, so a diverged sampler is visible
// rather than hidden.
package plot

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/ebm-go/ebm/internal/atomicfile"
	"github.com/ebm-go/ebm/tensor"
)

// DPI is the resolution of the PNG files: a 5in figure is 600 pixels wide.
const DPI = 120

// Size is the side of a single square figure.
const Size = 5 * vg.Inch

// Save renders p as a width × height PNG at path, atomically. Use it for
// figures built from the *Plot functions or by hand.
func Save(path string, p *plot.Plot, width, height vg.Length) error {
	if p == nil {
		return errors.New("plot: Save: nil plot")
	}
	return render(path, width, height, func(dc draw.Canvas) { p.Draw(dc) })
}

// render draws a width × height PNG with draw and writes it to path atomically.
func render(path string, width, height vg.Length, drawFn func(draw.Canvas)) error {
	if width <= 0 || height <= 0 {
		return fmt.Errorf("plot: figure size %v × %v is not positive", width, height)
	}
	c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
	if err := safeDraw(func() { drawFn(draw.New(c)) }); err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	})
}

// safeDraw turns a panic inside gonum/plot's drawing code (which panics on some
// degenerate inputs, such as a log axis over non-positive values) into an error.
func safeDraw(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plot: drawing failed: %v", r)
		}
	}()
	f()
	return nil
}

// writeAtomic writes path with internal/atomicfile (a temporary file in the
// same folder, synced and renamed into place; removed on failure), creating
// missing folders. Folders get mode 0777 and the file 0666, minus the umask.
func writeAtomic(path string, write func(io.Writer) error) error {
	if path == "" {
		return errors.New("plot: empty output path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := atomicfile.WriteFile(path, write); err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	return nil
}

// newPlot returns a plot with ebm's defaults: title, axis labels, a light grid.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 13
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	return p
}

// grid adds faint grid lines behind everything else in p.
func grid(p *plot.Plot) {
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 225}
	g.Horizontal.Color = color.Gray{Y: 225}
	p.Add(g)
}

// finiteXY returns the rows of pts with finite coordinates i and j as XYs, and
// how many rows were left out.
func finiteXY(pts *tensor.Dense[float64], i, j int) (plotter.XYs, int) {
	xys := make(plotter.XYs, 0, pts.Rows)
	for r := 0; r < pts.Rows; r++ {
		x, y := pts.At(r, i), pts.At(r, j)
		if isFinite(x) && isFinite(y) {
			xys = append(xys, plotter.XY{X: x, Y: y})
		}
	}
	return xys, pts.Rows - len(xys)
}

// finiteRows returns the indices of the rows of pts whose first d coordinates
// are all finite.
func finiteRows(pts *tensor.Dense[float64], d int) []int {
	rows := make([]int, 0, pts.Rows)
	for r := 0; r < pts.Rows; r++ {
		ok := true
		for _, v := range pts.Row(r)[:d] {
			ok = ok && isFinite(v)
		}
		if ok {
			rows = append(rows, r)
		}
	}
	return rows
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// droppedNote is appended to a title when points were left out.
func droppedNote(title string, dropped int) string {
	if dropped == 0 {
		return title
	}
	return fmt.Sprintf("%s (%d non-finite not shown)", title, dropped)
}

// bounds returns the range of the values, padded by frac of its width (or ±1
// around a single value).
func bounds(vals []float64, frac float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi-lo < 1e-12*math.Max(1, math.Abs(lo)) {
		return lo - 1, hi + 1
	}
	pad := (hi - lo) * frac
	return lo - pad, hi + pad
}

// checkRange validates an optional [lo, hi] axis range; the zero value means
// automatic.
func checkRange(name string, r [2]float64) (set bool, err error) {
	if r == [2]float64{} {
		return false, nil
	}
	if !isFinite(r[0]) || !isFinite(r[1]) || r[1] <= r[0] {
		return false, fmt.Errorf("plot: %s %v is not an increasing finite range", name, r)
	}
	return true, nil
}

// pointColor is the default colour of sample points.
var pointColor = color.NRGBA{R: 31, G: 78, B: 160, A: 255}

// seriesColors are the line colours, in order (colour-blind-friendly Tableau 10).
var seriesColors = []color.Color{
	color.NRGBA{R: 31, G: 119, B: 180, A: 255},
	color.NRGBA{R: 255, G: 127, B: 14, A: 255},
	color.NRGBA{R: 44, G: 160, B: 44, A: 255},
	color.NRGBA{R: 214, G: 39, B: 40, A: 255},
	color.NRGBA{R: 148, G: 103, B: 189, A: 255},
	color.NRGBA{R: 140, G: 86, B: 75, A: 255},
	color.NRGBA{R: 227, G: 119, B: 194, A: 255},
	color.NRGBA{R: 127, G: 127, B: 127, A: 255},
	color.NRGBA{R: 188, G: 189, B: 34, A: 255},
	color.NRGBA{R: 23, G: 190, B: 207, A: 255},
}

// withAlpha returns c with opacity alpha in [0, 1].
func withAlpha(c color.Color, alpha float64) color.Color {
	r, g, b, _ := c.RGBA()
	a := math.Max(0, math.Min(1, alpha))
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(a*255 + 0.5)}
}

// titleStyle returns the text style used for the title of a panel figure.
func titleStyle(size font.Length) draw.TextStyle {
	sty := plot.New().Title.TextStyle
	sty.Font.Size = size
	return sty
}

package plot

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ebm-go/ebm/tensor"
)

// ScatterOptions adjusts Scatter2D. The zero value gives plain points with
// automatic axes.
type ScatterOptions struct {
	// Contour, if not nil, is an energy E(x, y) drawn under the points as
	// contour lines; low energy is likely (p ∝ exp(−E)). Levels are spaced
	// evenly from the lowest energy on the grid to its 60th percentile, so
	// they circle the likely regions.
	Contour func(x, y float64) float64
	// Shade adds a faint heatmap of exp(−E), normalized on the grid, under the
	// contour lines.
	Shade bool
	// Levels is the number of contour levels (default 10).
	Levels int
	// GridN is the number of grid nodes per axis for the contours (default 120).
	GridN int
	// XRange and YRange fix the axes to [lo, hi]; the zero value fits the data
	// (with 5% padding).
	XRange, YRange [2]float64
	// PointRadius is the radius of a point (default 1.5 points).
	PointRadius vg.Length
	// Alpha is the opacity of a point in (0, 1] (default 0.5).
	Alpha float64
	// Color is the colour of the points (default dark blue).
	Color color.Color
	// XLabel and YLabel name the axes (default "x₁" and "x₂").
	XLabel, YLabel string
}

// Scatter2D writes a 5in × 5in PNG of the n×2 points pts, optionally over
// the contours of an energy (see ScatterOptions): the "samples over the
// energy's contours" figure.
func Scatter2D(path, title string, pts *tensor.Dense[float64], opts ScatterOptions) error {
	p, err := Scatter2DPlot(title, pts, opts)
	if err != nil {
		return err
	}
	return Save(path, p, Size, Size)
}

// Scatter2DPlot builds the figure of Scatter2D without writing it.
func Scatter2DPlot(title string, pts *tensor.Dense[float64], opts ScatterOptions) (*plot.Plot, error) {
	if pts == nil || pts.Rows == 0 {
		return nil, errors.New("plot: Scatter2D: no points")
	}
	if pts.Cols != 2 {
		return nil, fmt.Errorf("plot: Scatter2D: points are %s, want n×2", pts.Shape())
	}
	xset, err := checkRange("XRange", opts.XRange)
	if err != nil {
		return nil, err
	}
	yset, err := checkRange("YRange", opts.YRange)
	if err != nil {
		return nil, err
	}
	if opts.Levels < 0 || opts.GridN < 0 || opts.Alpha < 0 || opts.Alpha > 1 || opts.PointRadius < 0 {
		return nil, fmt.Errorf("plot: Scatter2D: negative Levels, GridN or PointRadius, or Alpha outside [0, 1]")
	}
	xys, dropped := finiteXY(pts, 0, 1)
	if len(xys) == 0 {
		return nil, fmt.Errorf("plot: Scatter2D: all %d points are non-finite", pts.Rows)
	}

	xr, yr := opts.XRange, opts.YRange
	if !xset {
		xr[0], xr[1] = bounds(column(xys, 0), 0.05)
	}
	if !yset {
		yr[0], yr[1] = bounds(column(xys, 1), 0.05)
	}
	p := newPlot(droppedNote(title, dropped), or(opts.XLabel, "x₁"), or(opts.YLabel, "x₂"))
	if opts.Contour != nil {
		n := opts.GridN
		if n == 0 {
			n = 120
		}
		if n < 2 {
			return nil, errors.New("plot: Scatter2D: GridN must be at least 2")
		}
		g := newGrid(n, n, xr, yr, false)
		if err := g.fill(opts.Contour); err != nil {
			return nil, fmt.Errorf("plot: Scatter2D: contour: %w", err)
		}
		if opts.Shade {
			p.Add(shadeHeatMap(g))
		}
		levels := opts.Levels
		if levels == 0 {
			levels = 10
		}
		if c := energyContour(g, levels); c != nil {
			p.Add(c)
		}
		xset, yset = true, true // the grid spans exactly the axes
	} else {
		grid(p)
	}

	var outside int
	xys, outside = inside(xys, xr, yr)
	p.Title.Text = outsideNote(p.Title.Text, outside)
	if len(xys) > 0 {
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("plot: Scatter2D: %w", err)
		}
		s.GlyphStyle = draw.GlyphStyle{
			Color:  withAlpha(orColor(opts.Color, pointColor), orFloat(opts.Alpha, 0.5)),
			Radius: orLength(opts.PointRadius, vg.Points(1.5)),
			Shape:  draw.CircleGlyph{},
		}
		p.Add(s)
	}
	p.X.Min, p.X.Max = xr[0], xr[1]
	p.Y.Min, p.Y.Max = yr[0], yr[1]
	if xset {
		p.X.Padding = 0
	}
	if yset {
		p.Y.Padding = 0
	}
	return p, nil
}

// inside returns the points of xys within the ranges (inclusive) and how many
// fell outside. Points outside fixed axes are left out rather than drawn:
// gonum/plot would shrink the data area to make room for their glyphs.
func inside(xys plotter.XYs, xr, yr [2]float64) (plotter.XYs, int) {
	out := make(plotter.XYs, 0, len(xys))
	for _, p := range xys {
		if p.X >= xr[0] && p.X <= xr[1] && p.Y >= yr[0] && p.Y <= yr[1] {
			out = append(out, p)
		}
	}
	return out, len(xys) - len(out)
}

// outsideNote is appended to a title when points fell outside fixed axes.
func outsideNote(title string, n int) string {
	if n == 0 {
		return title
	}
	return fmt.Sprintf("%s (%d outside the axes)", title, n)
}

// column returns coordinate k (0 for X, 1 for Y) of xys.
func column(xys plotter.XYs, k int) []float64 {
	out := make([]float64, len(xys))
	for i, p := range xys {
		if k == 0 {
			out[i] = p.X
		} else {
			out[i] = p.Y
		}
	}
	return out
}

// valueGrid is a regular grid of values implementing plotter.GridXYZ. With
// cells set, X and Y are cell midpoints (for heatmaps); otherwise they are
// nodes from lo to hi inclusive (for contours).
type valueGrid struct {
	nx, ny int
	xr, yr [2]float64
	cells  bool
	z      []float64 // row-major: z[r*nx+c]
}

func newGrid(nx, ny int, xr, yr [2]float64, cells bool) *valueGrid {
	return &valueGrid{nx: nx, ny: ny, xr: xr, yr: yr, cells: cells, z: make([]float64, nx*ny)}
}

// Dims implements plotter.GridXYZ.
func (g *valueGrid) Dims() (c, r int) { return g.nx, g.ny }

// Z implements plotter.GridXYZ.
func (g *valueGrid) Z(c, r int) float64 { return g.z[r*g.nx+c] }

// X implements plotter.GridXYZ.
func (g *valueGrid) X(c int) float64 { return g.coord(g.xr, g.nx, c) }

// Y implements plotter.GridXYZ.
func (g *valueGrid) Y(r int) float64 { return g.coord(g.yr, g.ny, r) }

func (g *valueGrid) coord(rng [2]float64, n, i int) float64 {
	if g.cells {
		return rng[0] + (float64(i)+0.5)*(rng[1]-rng[0])/float64(n)
	}
	return rng[0] + float64(i)*(rng[1]-rng[0])/float64(n-1)
}

// fill evaluates f at every grid point. It fails only if no value is finite.
func (g *valueGrid) fill(f func(x, y float64) float64) error {
	finite := 0
	for r := 0; r < g.ny; r++ {
		y := g.Y(r)
		for c := 0; c < g.nx; c++ {
			v := f(g.X(c), y)
			g.z[r*g.nx+c] = v
			if isFinite(v) {
				finite++
			}
		}
	}
	if finite == 0 {
		return errors.New("no finite value on the grid")
	}
	return nil
}

// finiteSorted returns the finite values of the grid in increasing order.
func (g *valueGrid) finiteSorted() []float64 {
	vals := make([]float64, 0, len(g.z))
	for _, v := range g.z {
		if isFinite(v) {
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	return vals
}

// energyContour returns contour lines of the energy grid g at n levels spaced
// evenly between its minimum and its 60th percentile, or nil if g is flat.
func energyContour(g *valueGrid, n int) *plotter.Contour {
	vals := g.finiteSorted()
	lo, hi := vals[0], vals[int(0.6*float64(len(vals)-1))]
	if !(hi > lo) {
		hi = vals[len(vals)-1]
	}
	if !(hi > lo) {
		return nil
	}
	// Non-finite energies would bend the interpolated lines; clamp them just
	// above the highest level so the lines close around them.
	cg := *g
	cg.z = slices.Clone(g.z)
	top := vals[len(vals)-1] + (hi - lo)
	for i, v := range cg.z {
		if !isFinite(v) {
			if v < 0 {
				cg.z[i] = lo
			} else {
				cg.z[i] = top
			}
		}
	}
	levels := make([]float64, n)
	for k := range levels {
		levels[k] = lo + (hi-lo)*(float64(k)+0.5)/float64(n)
	}
	pal := moreland.SmoothBlueRed().Palette(max(n, 2))
	c := plotter.NewContour(&cg, levels, pal)
	c.Min, c.Max = levels[0], levels[n-1]
	c.LineStyles = []draw.LineStyle{{Width: vg.Points(0.8)}}
	return c
}

// shadeHeatMap returns a faint heatmap of exp(−E) normalized to its maximum,
// sampled on the nodes of the energy grid g.
func shadeHeatMap(g *valueGrid) *plotter.HeatMap {
	vals := g.finiteSorted()
	minE := vals[0]
	d := newGrid(g.nx, g.ny, g.xr, g.yr, true)
	for i, v := range g.z {
		if math.IsNaN(v) {
			d.z[i] = 0
		} else {
			d.z[i] = math.Exp(-(v - minE)) // −Inf energy cannot occur after minE subtraction unless v = −Inf
			if math.IsInf(d.z[i], 1) {
				d.z[i] = 1
			}
		}
	}
	h := plotter.NewHeatMap(d, faintPalette{})
	h.Min, h.Max = 0, 1
	h.Rasterized = true
	return h
}

// faintPalette runs from white to a pale blue, for shading under contours.
type faintPalette struct{}

// Colors implements palette.Palette.
func (faintPalette) Colors() []color.Color {
	const n = 64
	cs := make([]color.Color, n)
	for i := range cs {
		t := float64(i) / (n - 1)
		cs[i] = color.NRGBA{
			R: uint8(255 - t*(255-170)),
			G: uint8(255 - t*(255-200)),
			B: uint8(255 - t*(255-235)),
			A: 255,
		}
	}
	return cs
}

var _ palette.Palette = faintPalette{}

// Density2D writes a 5in × 5in heatmap of the density exp(logDensity(x, y)),
// normalized so that it integrates to 1 over the n×n cell midpoints of
// [lo, hi]², with the n×2 points overlay (may be nil) drawn on top. logDensity
// may be unnormalized (for an energy, pass −E). Cells where it is NaN are
// drawn grey.
func Density2D(path, title string, logDensity func(x, y float64) float64, lo, hi float64, n int, overlay *tensor.Dense[float64]) error {
	p, err := Density2DPlot(title, logDensity, lo, hi, n, overlay)
	if err != nil {
		return err
	}
	return Save(path, p, Size, Size)
}

// Density2DPlot builds the figure of Density2D without writing it.
func Density2DPlot(title string, logDensity func(x, y float64) float64, lo, hi float64, n int, overlay *tensor.Dense[float64]) (*plot.Plot, error) {
	if logDensity == nil {
		return nil, errors.New("plot: Density2D: nil logDensity")
	}
	if !isFinite(lo) || !isFinite(hi) || hi <= lo {
		return nil, fmt.Errorf("plot: Density2D: range [%v, %v] is not an increasing finite range", lo, hi)
	}
	if n < 2 || n > 4096 {
		return nil, fmt.Errorf("plot: Density2D: grid size %d outside [2, 4096]", n)
	}
	if overlay != nil && overlay.Cols != 2 {
		return nil, fmt.Errorf("plot: Density2D: overlay points are %s, want n×2", overlay.Shape())
	}
	rng := [2]float64{lo, hi}
	g := newGrid(n, n, rng, rng, true)
	if err := g.fill(logDensity); err != nil {
		return nil, fmt.Errorf("plot: Density2D: %w", err)
	}
	// Normalize with the largest value subtracted, as in log-sum-exp.
	maxLP := math.Inf(-1)
	for _, v := range g.z {
		if !math.IsNaN(v) {
			maxLP = math.Max(maxLP, v)
		}
	}
	if math.IsInf(maxLP, 1) {
		return nil, errors.New("plot: Density2D: logDensity is +Inf on the grid")
	}
	cell := (hi - lo) / float64(n)
	var sum float64
	for i, v := range g.z {
		if !math.IsNaN(v) {
			g.z[i] = math.Exp(v - maxLP)
			sum += g.z[i]
		}
	}
	norm := 1 / (sum * cell * cell)
	peak := 0.0
	for i := range g.z {
		g.z[i] *= norm // NaN stays NaN
		if !math.IsNaN(g.z[i]) {
			peak = math.Max(peak, g.z[i])
		}
	}

	p := newPlot(title, "x₁", "x₂")
	h := plotter.NewHeatMap(g, moreland.ExtendedBlackBody().Palette(255))
	h.Min, h.Max = 0, peak
	h.NaN = color.Gray{Y: 160}
	h.Rasterized = true
	p.Add(h)
	if overlay != nil && overlay.Rows > 0 {
		xys, dropped := finiteXY(overlay, 0, 1)
		xys, outside := inside(xys, rng, rng)
		p.Title.Text = outsideNote(droppedNote(title, dropped), outside)
		if len(xys) > 0 {
			s, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, fmt.Errorf("plot: Density2D: %w", err)
			}
			s.GlyphStyle = draw.GlyphStyle{
				Color:  color.NRGBA{R: 80, G: 220, B: 255, A: 150},
				Radius: vg.Points(1.2),
				Shape:  draw.CircleGlyph{},
			}
			p.Add(s)
		}
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	p.X.Padding, p.Y.Padding = 0, 0
	return p, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orFloat(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

func orLength(v, def vg.Length) vg.Length {
	if v == 0 {
		return def
	}
	return v
}

func orColor(c, def color.Color) color.Color {
	if c == nil {
		return def
	}
	return c
}

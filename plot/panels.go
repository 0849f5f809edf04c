package plot

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ebm-go/ebm/tensor"
)

// PairGridMaxPoints is the number of points PairGrid draws at most; larger
// batches are thinned by an even stride, so the figure stays fast and legible.
const PairGridMaxPoints = 5000

// subscript writes n with Unicode subscript digits (x₁₂).
func subscript(n int) string {
	const digits = "₀₁₂₃₄₅₆₇₈₉"
	var out []rune
	for _, r := range fmt.Sprint(n) {
		out = append(out, []rune(digits)[r-'0'])
	}
	return string(out)
}

// coordName is the label of coordinate i (0-based) of a point: x₁, x₂, …
func coordName(i int) string { return "x" + subscript(i+1) }

// PairGrid writes a grid of pairwise scatter plots of the first
// min(maxDims, d) coordinates of the n×d points pts, with a histogram of each
// coordinate on the diagonal: panel (i, j) plots coordinate j against
// coordinate i. At most PairGridMaxPoints points are drawn. The figure is
// about 2in per panel, between 5in and 12in wide.
func PairGrid(path, title string, pts *tensor.Dense[float64], maxDims int) error {
	if pts == nil || pts.Rows == 0 || pts.Cols == 0 {
		return errors.New("plot: PairGrid: no points")
	}
	if maxDims < 1 {
		return fmt.Errorf("plot: PairGrid: maxDims is %d, want at least 1", maxDims)
	}
	d := min(maxDims, pts.Cols)
	rows := finiteRows(pts, d)
	dropped := pts.Rows - len(rows)
	if len(rows) == 0 {
		return fmt.Errorf("plot: PairGrid: all %d points are non-finite", pts.Rows)
	}
	if len(rows) > PairGridMaxPoints {
		stride := float64(len(rows)) / PairGridMaxPoints
		thin := make([]int, PairGridMaxPoints)
		for k := range thin {
			thin[k] = rows[int(float64(k)*stride)]
		}
		rows = thin
	}
	cols := make([][]float64, d)
	ranges := make([][2]float64, d)
	for j := range d {
		cols[j] = make([]float64, len(rows))
		for k, r := range rows {
			cols[j][k] = pts.At(r, j)
		}
		ranges[j][0], ranges[j][1] = bounds(cols[j], 0.05)
	}

	bins := int(math.Min(40, math.Max(10, math.Sqrt(float64(len(rows))))))
	plots := make([][]*plot.Plot, d)
	for i := range d {
		plots[i] = make([]*plot.Plot, d)
		for j := range d {
			p := plot.New()
			smallTicks(p)
			if i == j {
				h, err := plotter.NewHist(plotter.Values(cols[i]), bins)
				if err != nil {
					return fmt.Errorf("plot: PairGrid: %w", err)
				}
				h.FillColor = withAlpha(pointColor, 0.6)
				h.LineStyle.Width = 0
				p.Add(h)
				p.Title.Text = coordName(i)
				p.Title.TextStyle.Font.Size = 9
				p.Title.Padding = vg.Points(2)
				p.Y.Min = 0
			} else {
				xys := make(plotter.XYs, len(rows))
				for k := range rows {
					xys[k] = plotter.XY{X: cols[j][k], Y: cols[i][k]}
				}
				s, err := plotter.NewScatter(xys)
				if err != nil {
					return fmt.Errorf("plot: PairGrid: %w", err)
				}
				s.GlyphStyle = draw.GlyphStyle{Color: withAlpha(pointColor, 0.35), Radius: vg.Points(0.8), Shape: draw.CircleGlyph{}}
				p.Add(s)
				p.Y.Min, p.Y.Max = ranges[i][0], ranges[i][1]
				if j == 0 {
					p.Y.Label.Text = coordName(i)
				}
			}
			p.X.Min, p.X.Max = ranges[j][0], ranges[j][1]
			if i == d-1 {
				p.X.Label.Text = coordName(j)
			}
			plots[i][j] = p
		}
	}
	side := vg.Length(math.Min(12, math.Max(5, 2*float64(d)))) * vg.Inch
	if dropped > 0 {
		title = droppedNote(title, dropped)
	}
	return composite(path, title, plots, side, side)
}

// smallTicks shrinks the tick labels and axis labels of a panel.
func smallTicks(p *plot.Plot) {
	p.X.Tick.Label.Font.Size = 7
	p.Y.Tick.Label.Font.Size = 7
	p.X.Label.TextStyle.Font.Size = 9
	p.Y.Label.TextStyle.Font.Size = 9
}

// Panels writes the plots as one PNG, cols per row (4in × 4in each), with the
// axes of each row and column aligned and an overall title (may be empty).
// A nil plot leaves its tile blank. Use the *Plot functions to build panels:
//
//	a, _ := plot.Scatter2DPlot("data", data, plot.ScatterOptions{})
//	b, _ := plot.Scatter2DPlot("samples", samples, plot.ScatterOptions{Contour: energy})
//	err := plot.Panels("compare.png", "8gaussians", 2, a, b)
func Panels(path, title string, cols int, panels ...*plot.Plot) error {
	if len(panels) == 0 {
		return errors.New("plot: Panels: no panels")
	}
	if cols < 1 {
		return fmt.Errorf("plot: Panels: cols is %d, want at least 1", cols)
	}
	cols = min(cols, len(panels))
	rows := (len(panels) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range cols {
			if k := r*cols + c; k < len(panels) {
				grid[r][c] = panels[k]
			}
		}
	}
	const tile = 4 * vg.Inch
	return composite(path, title, grid, vg.Length(cols)*tile, vg.Length(rows)*tile)
}

// composite draws a grid of plots (nil entries blank) under a title into a
// width × height (plus title) PNG at path.
func composite(path, title string, plots [][]*plot.Plot, width, height vg.Length) error {
	sty := titleStyle(14)
	titleH := vg.Length(0)
	if title != "" {
		titleH = sty.Rectangle(title).Size().Y + vg.Points(12)
	}
	return render(path, width, height+titleH, func(dc draw.Canvas) {
		if title != "" {
			top := vg.Point{X: dc.Center().X, Y: dc.Max.Y - vg.Points(6)}
			dc.FillText(sty, top, title)
		}
		body := draw.Crop(dc, 0, 0, 0, -titleH)
		t := draw.Tiles{
			Rows: len(plots), Cols: len(plots[0]),
			PadX: vg.Points(6), PadY: vg.Points(6),
			PadTop: vg.Points(4), PadBottom: vg.Points(4),
			PadLeft: vg.Points(4), PadRight: vg.Points(8),
		}
		canvases := plot.Align(plots, t, body)
		for i := range plots {
			for j, p := range plots[i] {
				if p != nil {
					p.Draw(canvases[i][j])
				}
			}
		}
	})
}

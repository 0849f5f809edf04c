package plot

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Series is one curve of Lines: Y against X, or against the index 0, 1, … when
// X is nil. Name labels it in the legend.
type Series struct {
	Name string
	X, Y []float64
}

// LineOptions adjusts Lines.
type LineOptions struct {
	// LogY draws the y axis on a log scale; every drawn Y must then be positive.
	LogY bool
}

// LineWidth and LineHeight are the size of a Lines figure.
const (
	LineWidth  = 7 * vg.Inch
	LineHeight = 4.5 * vg.Inch
)

// Lines writes a LineWidth × LineHeight PNG of the series (loss curves,
// acceptance rates, …), each in its own colour, with a legend when any series
// is named. Points with a NaN or infinite coordinate are left out (the count is
// added to the title).
func Lines(path, title, xlabel, ylabel string, series []Series, opts LineOptions) error {
	p, err := LinesPlot(title, xlabel, ylabel, series, opts)
	if err != nil {
		return err
	}
	return Save(path, p, LineWidth, LineHeight)
}

// LinesPlot builds the figure of Lines without writing it.
func LinesPlot(title, xlabel, ylabel string, series []Series, opts LineOptions) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, errors.New("plot: Lines: no series")
	}
	p := newPlot(title, xlabel, ylabel)
	grid(p)
	dropped, drawn := 0, 0
	named := false
	for k, s := range series {
		label := s.Name
		if label == "" {
			label = "series " + strconv.Itoa(k)
		} else {
			named = true
		}
		if s.X != nil && len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("plot: Lines: %s has %d X values and %d Y values", label, len(s.X), len(s.Y))
		}
		xys := make(plotter.XYs, 0, len(s.Y))
		for i, y := range s.Y {
			x := float64(i)
			if s.X != nil {
				x = s.X[i]
			}
			if !isFinite(x) || !isFinite(y) {
				dropped++
				continue
			}
			if opts.LogY && y <= 0 {
				return nil, fmt.Errorf("plot: Lines: %s has Y[%d] = %v, which a log axis cannot show", label, i, y)
			}
			xys = append(xys, plotter.XY{X: x, Y: y})
		}
		if len(xys) == 0 {
			continue
		}
		drawn++
		l, s2, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("plot: Lines: %s: %w", label, err)
		}
		col := seriesColors[k%len(seriesColors)]
		l.Color = col
		l.Width = vg.Points(1.5)
		p.Add(l)
		if len(xys) == 1 { // a single point has no line; mark it
			s2.Color = col
			p.Add(s2)
		}
		if s.Name != "" {
			p.Legend.Add(s.Name, l)
		}
	}
	if drawn == 0 {
		return nil, errors.New("plot: Lines: no finite points to draw")
	}
	if !named {
		p.Legend = plot.NewLegend()
	}
	p.Legend.Top = true
	if opts.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	p.Title.Text = droppedNote(title, dropped)
	return p, nil
}

// logTicks marks a log axis at 1…9 × 10^k and labels 1, 2 and 5 × 10^k when
// the axis spans at most two decades (only 10^k otherwise), so short ranges,
// typical of loss curves, still get several labels.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi >= lo) {
		return nil
	}
	k0, k1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	dense := k1-k0 <= 2
	var ticks []plot.Tick
	for k := k0; k <= k1; k++ {
		base := math.Pow(10, float64(k))
		for m := 1; m <= 9; m++ {
			v := float64(m) * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (dense && (m == 2 || m == 5)) {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

package restore

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/png" // PNG decoding for ReadPNG
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// maxImagePixels bounds the images ReadPNG accepts.
const maxImagePixels = 1 << 24

// ReadPNG reads a PNG image as grey levels in [0, 1] (luminance of each
// pixel, row-major) with its height and width.
func ReadPNG(path string) (pix []float64, h, w int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: not a PNG image: %w", path, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxImagePixels/cfg.Height {
		return nil, 0, 0, fmt.Errorf("%s: image size %d×%d out of range", path, cfg.Width, cfg.Height)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, 0, 0, err
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	b := img.Bounds()
	h, w = b.Dy(), b.Dx()
	pix = make([]float64, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g := color.Gray16Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray16)
			pix[y*w+x] = float64(g.Y) / 65535
		}
	}
	return pix, h, w, nil
}

// RectMask returns the mask of an h×w image whose pixels in the rectangle of
// width rw and height rh at column x, row y are free (true), the rest clamped.
func RectMask(h, w, x, y, rw, rh int) ([]bool, error) {
	if x < 0 || y < 0 || rw < 1 || rh < 1 || x+rw > w || y+rh > h {
		return nil, fmt.Errorf("restore: rectangle x=%d,y=%d,w=%d,h=%d does not fit in the %d×%d image (width×height)", x, y, rw, rh, w, h)
	}
	m := make([]bool, h*w)
	for r := y; r < y+rh; r++ {
		for c := x; c < x+rw; c++ {
			m[r*w+c] = true
		}
	}
	return m, nil
}

// ParseMask builds the mask of free coordinates from a spec, for points of
// dimension d read as h×w images (h = 1, w = d for vectors):
//
//	rect:x=X,y=Y,w=W,h=H   a rectangle of free pixels (images)
//	png:FILE               a PNG of the image's size; pixels brighter than ½ are free
//	coords:I;J;...         free coordinates by 0-based index
//	half:top|bottom|left|right   half of the image free
//
// Errors are *spec.Error naming the problem (sizes that do not match included).
func ParseMask(where, s string, h, w int) ([]bool, error) {
	sp, err := spec.Parse(where, s)
	if err != nil {
		return nil, err
	}
	d := h * w
	var m []bool
	switch sp.Name {
	case "rect":
		var v [4]int
		for i, k := range []string{"x", "y", "w", "h"} {
			if !sp.Has(k) {
				return nil, spec.Errorf(where, "rect needs x, y, w and h (missing %s)", k)
			}
			if v[i], err = sp.Int(k, 0); err != nil {
				return nil, err
			}
		}
		if m, err = RectMask(h, w, v[0], v[1], v[2], v[3]); err != nil {
			return nil, spec.Errorf(where, "%s", strings.TrimPrefix(err.Error(), "restore: "))
		}
	case "half":
		side := ""
		for k := range sp.Args {
			side = k
		}
		if len(sp.Args) != 1 {
			return nil, spec.Errorf(where, "half takes one of top, bottom, left, right")
		}
		sp.Has(side)
		var x, y, rw, rh int
		switch side {
		case "top":
			rw, rh = w, h/2
		case "bottom":
			y, rw, rh = h-h/2, w, h/2
		case "left":
			rw, rh = w/2, h
		case "right":
			x, rw, rh = w-w/2, w/2, h
		default:
			return nil, spec.Errorf(where, "half:%s: want top, bottom, left or right", side)
		}
		if m, err = RectMask(h, w, x, y, rw, rh); err != nil {
			return nil, spec.Errorf(where, "%s", strings.TrimPrefix(err.Error(), "restore: "))
		}
	case "png":
		var path string
		for k := range sp.Args {
			path = k
		}
		if len(sp.Args) != 1 {
			return nil, spec.Errorf(where, "png needs one file, as in png:mask.png")
		}
		sp.Has(path)
		pix, ph, pw, err := ReadPNG(path)
		if err != nil {
			return nil, spec.Errorf(where, "%v", err)
		}
		if ph != h || pw != w {
			return nil, spec.Errorf(where, "mask %s is %d×%d (height×width), the images are %d×%d", path, ph, pw, h, w)
		}
		m = make([]bool, d)
		for i, v := range pix {
			m[i] = v > 0.5
		}
	case "coords":
		var list string
		for k := range sp.Args {
			list = k
		}
		if len(sp.Args) != 1 {
			return nil, spec.Errorf(where, "coords takes indices separated by ';', as in coords:0;3")
		}
		sp.Has(list)
		m = make([]bool, d)
		for _, f := range strings.Split(list, ";") {
			j, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || j < 0 || j >= d {
				return nil, spec.Errorf(where, "coordinate %q: want an index in [0, %d)", f, d)
			}
			m[j] = true
		}
	default:
		return nil, spec.Errorf(where, "unknown mask %q (valid: rect, half, png, coords)", sp.Name)
	}
	if err := sp.CheckUnused(); err != nil {
		return nil, err
	}
	n := 0
	for _, f := range m {
		if f {
			n++
		}
	}
	if n == 0 {
		return nil, spec.Errorf(where, "the mask leaves no coordinate free")
	}
	return m, nil
}

// Panels writes a PNG of image rows side by side: row k of the figure shows
// image k of every panel (for example clean, noisy, restored and posterior
// standard deviation), each panel's values in [0, 1] (scale it first; see
// ScaleTo01). At most maxRows images are drawn.
func Panels(path string, h, w, maxRows int, panels ...*tensor.Dense[float64]) error {
	if len(panels) == 0 {
		return errors.New("restore: Panels: nothing to draw")
	}
	n := panels[0].Rows
	for _, p := range panels {
		if p.Rows != n || p.Cols != h*w {
			return fmt.Errorf("restore: Panels: panel of %d×%d, want %d×%d", p.Rows, p.Cols, n, h*w)
		}
	}
	n = min(n, maxRows)
	k := len(panels)
	grid := tensor.New[float64](n*k, h*w)
	for i := 0; i < n; i++ {
		for j, p := range panels {
			copy(grid.Row(i*k+j), p.Row(i))
		}
	}
	scale := 1
	if h*w <= 64*64 {
		scale = 3
	}
	return plot.ImageGrid(path, grid, h, w, k, scale)
}

// ScaleTo01 returns x divided by its largest entry (for pictures of standard
// deviations); all zeros stay zero.
func ScaleTo01(x *tensor.Dense[float64]) *tensor.Dense[float64] {
	out := x.Clone()
	mx := 0.0
	for _, v := range x.Data {
		mx = math.Max(mx, v)
	}
	if mx > 0 {
		for i := range out.Data {
			out.Data[i] /= mx
		}
	}
	return out
}

package plot

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"github.com/ebm-go/ebm/tensor"
)

// maxImagePixels caps the size of an ImageGrid PNG (about 64 megapixels).
const maxImagePixels = 1 << 26

// gapColor separates the tiles of ImageGrid; it is not a grey level, so it
// cannot be mistaken for a pixel value.
var gapColor = color.RGBA{R: 70, G: 90, B: 130, A: 255}

// ImageGrid writes the rows of images as h×w grayscale tiles (row-major
// pixels, 0 black to 1 white; values outside [0, 1] are clamped and NaN is
// drawn red), cols tiles per row, each pixel drawn as a scale×scale block,
// with a one-block border between tiles. For RBM samples, digits and filters.
func ImageGrid(path string, images *tensor.Dense[float64], h, w, cols int, scale int) error {
	if images == nil || images.Rows == 0 {
		return errors.New("plot: ImageGrid: no images")
	}
	if h < 1 || w < 1 || cols < 1 || scale < 1 {
		return fmt.Errorf("plot: ImageGrid: h=%d, w=%d, cols=%d, scale=%d must all be at least 1", h, w, cols, scale)
	}
	if images.Cols != h*w {
		return fmt.Errorf("plot: ImageGrid: images are %s, want n×%d for %d×%d tiles", images.Shape(), h*w, h, w)
	}
	n := images.Rows
	cols = min(cols, n)
	rows := (n + cols - 1) / cols
	gap := scale
	tw, th := w*scale, h*scale
	W := cols*tw + (cols+1)*gap
	H := rows*th + (rows+1)*gap
	if float64(W)*float64(H) > maxImagePixels {
		return fmt.Errorf("plot: ImageGrid: %d×%d pixels is too large (limit %d)", W, H, maxImagePixels)
	}
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = gapColor.R, gapColor.G, gapColor.B, 255
	}
	for k := range n {
		x0 := gap + (k%cols)*(tw+gap)
		y0 := gap + (k/cols)*(th+gap)
		px := images.Row(k)
		for r := range h {
			for c := range w {
				v := px[r*w+c]
				var col color.RGBA
				if math.IsNaN(v) {
					col = color.RGBA{R: 255, A: 255}
				} else {
					g := uint8(math.Round(255 * math.Max(0, math.Min(1, v))))
					col = color.RGBA{R: g, G: g, B: g, A: 255}
				}
				for dy := range scale {
					for dx := range scale {
						img.SetRGBA(x0+c*scale+dx, y0+r*scale+dy, col)
					}
				}
			}
		}
	}
	return writeAtomic(path, func(wr io.Writer) error { return png.Encode(wr, img) })
}

package ising

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
)

// MaxPixels bounds the size of an Image (64 Mpixel), checked before a PNG is
// decoded.
const MaxPixels = 1 << 26

// Image is a binary image with pixels in {−1, +1}, stored row-major: pixel (x, y)
// is Pix[y*W + x].
type Image struct {
	W, H int
	Pix  []int8
}

// NewImage returns a W×H image with every pixel −1.
func NewImage(w, h int) (*Image, error) {
	if w < 1 || h < 1 || w > MaxPixels/h {
		return nil, fmt.Errorf("ising: image size %d×%d out of range (1 to %d pixels)", w, h, MaxPixels)
	}
	im := &Image{W: w, H: h, Pix: make([]int8, w*h)}
	for i := range im.Pix {
		im.Pix[i] = -1
	}
	return im, nil
}

// ImageFromRows builds an image from rows of ±1 values (all rows the same length).
func ImageFromRows(rows [][]int8) (*Image, error) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, errors.New("ising: empty image")
	}
	im, err := NewImage(len(rows[0]), len(rows))
	if err != nil {
		return nil, err
	}
	for y, r := range rows {
		if len(r) != im.W {
			return nil, fmt.Errorf("ising: row %d has %d pixels, want %d", y, len(r), im.W)
		}
		copy(im.Pix[y*im.W:], r)
	}
	return im, im.Validate()
}

// Rows returns the image as rows of ±1 values (a copy).
func (im *Image) Rows() [][]int8 {
	rows := make([][]int8, im.H)
	for y := range rows {
		rows[y] = append([]int8(nil), im.Pix[y*im.W:(y+1)*im.W]...)
	}
	return rows
}

// At returns pixel (x, y).
func (im *Image) At(x, y int) int8 { return im.Pix[y*im.W+x] }

// Set sets pixel (x, y) to v.
func (im *Image) Set(x, y int, v int8) { im.Pix[y*im.W+x] = v }

// Clone returns a deep copy.
func (im *Image) Clone() *Image {
	return &Image{W: im.W, H: im.H, Pix: append([]int8(nil), im.Pix...)}
}

// Validate checks the dimensions and that every pixel is −1 or +1.
func (im *Image) Validate() error {
	if im == nil {
		return errors.New("ising: nil image")
	}
	if im.W < 1 || im.H < 1 || im.W > MaxPixels/im.H || len(im.Pix) != im.W*im.H {
		return fmt.Errorf("ising: bad image: %d×%d with %d pixels", im.W, im.H, len(im.Pix))
	}
	for i, v := range im.Pix {
		if v != 1 && v != -1 {
			return fmt.Errorf("ising: pixel %d is %d, not ±1", i, v)
		}
	}
	return nil
}

// Corrupt returns a copy of img with each pixel flipped independently with
// probability p (binary symmetric channel), drawing from rng.
func Corrupt(img *Image, p float64, rng *rand.Rand) (*Image, error) {
	if err := img.Validate(); err != nil {
		return nil, err
	}
	if !(p >= 0 && p <= 1) {
		return nil, fmt.Errorf("ising: flip probability %v not in [0, 1]", p)
	}
	if rng == nil {
		return nil, errors.New("ising: Corrupt needs a random source")
	}
	out := img.Clone()
	for i := range out.Pix {
		if rng.Float64() < p {
			out.Pix[i] = -out.Pix[i]
		}
	}
	return out, nil
}

// ErrorRate returns the fraction of pixels where a and b differ.
func ErrorRate(a, b *Image) (float64, error) {
	if a == nil || b == nil || a.W != b.W || a.H != b.H || len(a.Pix) != len(b.Pix) || len(a.Pix) == 0 {
		return 0, errors.New("ising: ErrorRate needs two images of the same size")
	}
	n := 0
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			n++
		}
	}
	return float64(n) / float64(len(a.Pix)), nil
}

// Binarize converts any image to ±1 by luminance: a pixel, composited over white,
// with luminance Y = 0.299R + 0.587G + 0.114B below 128 (of 255) is dark and
// becomes −1; a light pixel becomes +1. EncodePNG writes −1 as black and +1 as
// white, so Binarize∘EncodePNG round-trips.
func Binarize(src image.Image) (*Image, error) {
	b := src.Bounds()
	im, err := NewImage(b.Dx(), b.Dy())
	if err != nil {
		return nil, err
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := src.At(x, y).RGBA() // alpha-premultiplied, 16 bit
			r += 0xffff - a
			g += 0xffff - a
			bl += 0xffff - a
			lum := (19595*r + 38470*g + 7471*bl + 1<<15) >> 24 // 8-bit luminance
			v := int8(1)
			if lum < 128 {
				v = -1
			}
			im.Pix[(y-b.Min.Y)*im.W+(x-b.Min.X)] = v
		}
	}
	return im, nil
}

// DecodePNG reads a PNG of any colour model and binarizes it (see Binarize). The
// dimensions are checked against MaxPixels before the pixels are decoded.
func DecodePNG(r io.ReadSeeker) (*Image, error) {
	cfg, err := png.DecodeConfig(r)
	if err != nil {
		return nil, fmt.Errorf("ising: not a PNG image: %w", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxPixels/cfg.Height {
		return nil, fmt.Errorf("ising: PNG is %d×%d, out of range (1 to %d pixels)", cfg.Width, cfg.Height, MaxPixels)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	src, err := png.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("ising: decoding PNG: %w", err)
	}
	return Binarize(src)
}

// EncodePNG writes img as an 8-bit grey PNG: −1 black, +1 white.
func EncodePNG(w io.Writer, img *Image) error {
	if err := img.Validate(); err != nil {
		return err
	}
	g := image.NewGray(image.Rect(0, 0, img.W, img.H))
	for i, v := range img.Pix {
		c := uint8(0)
		if v > 0 {
			c = 255
		}
		g.Pix[(i/img.W)*g.Stride+i%img.W] = c
	}
	return png.Encode(w, g)
}

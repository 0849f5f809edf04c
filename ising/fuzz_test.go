package ising

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// FuzzDecodePNG feeds arbitrary bytes to the PNG reader: no panic, and an
// accepted image is a valid ±1 image within MaxPixels.
func FuzzDecodePNG(f *testing.F) {
	for _, img := range []image.Image{
		image.NewGray(image.Rect(0, 0, 3, 2)),
		image.NewRGBA(image.Rect(0, 0, 1, 1)),
		image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black, color.White}),
		image.NewGray16(image.Rect(0, 0, 2, 5)),
	} {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := DecodePNG(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := im.Validate(); err != nil {
			t.Fatalf("accepted image is invalid: %v", err)
		}
		if im.W*im.H > MaxPixels {
			t.Fatalf("accepted %d×%d > MaxPixels", im.W, im.H)
		}
	})
}

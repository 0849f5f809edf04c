package anomaly

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
)

// PNGBits returns the length in bits of the row x, a w×h grey image with
// values in [lo, hi] (row-major; clamped, then quantized to 0..255), as a PNG
// at the best compression level: a complexity estimate L(x) for the
// complexity-corrected out-of-distribution score of Serrà et al. (2020),
//
//	S(x) = E(x) − ln 2 · L(x),
//
// the energy in nats minus the compressed length in nats. Simple inputs
// (mostly blank images) get high likelihood under most models; subtracting
// their short code length removes part of that bias.
func PNGBits(x []float64, w, h int, lo, hi float64) (float64, error) {
	if w < 1 || h < 1 || len(x) != w*h {
		return 0, fmt.Errorf("anomaly: PNGBits: %d values for a %d×%d image", len(x), w, h)
	}
	if !(hi > lo) {
		return 0, fmt.Errorf("anomaly: PNGBits: value range [%v, %v] is empty", lo, hi)
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range x {
		q := math.Round(255 * (v - lo) / (hi - lo))
		img.Pix[i] = uint8(math.Max(0, math.Min(255, q)))
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return 0, err
	}
	return 8 * float64(b.Len()), nil
}

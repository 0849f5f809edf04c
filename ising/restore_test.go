package ising

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"
)

// shapes draws a W×H test image: white (+1) background with black (−1) disks and
// rectangles.
func shapes(W, H int) *Image {
	im, _ := NewImage(W, H)
	for i := range im.Pix {
		im.Pix[i] = 1
	}
	disk := func(cx, cy, r float64) {
		for y := 0; y < H; y++ {
			for x := 0; x < W; x++ {
				if math.Hypot(float64(x)-cx, float64(y)-cy) <= r {
					im.Set(x, y, -1)
				}
			}
		}
	}
	rect := func(x0, y0, x1, y1 int) {
		for y := y0; y < min(y1, H); y++ {
			for x := x0; x < min(x1, W); x++ {
				im.Set(x, y, -1)
			}
		}
	}
	disk(18, 18, 11)
	disk(46, 42, 13)
	rect(4, 38, 26, 60)
	rect(34, 4, 60, 16)
	rect(8, 33, 56, 35) // a thin bar, two pixels high
	return im
}

// Bishop's setting: 10% of the pixels flipped, β = 1, η = 2.1, h = 0. Every method
// brings the error rate well below the 10% noise level.
func TestRestoreMethods(t *testing.T) {
	t.Parallel()
	clean := shapes(64, 64)
	noisy, err := Corrupt(clean, 0.1, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	noisyRate, _ := ErrorRate(noisy, clean)
	// The realised noise is Binomial(4096, 0.1)/4096: 0.1 ± 0.0047.
	if math.Abs(noisyRate-0.1) > 4*math.Sqrt(0.1*0.9/4096) {
		t.Fatalf("noisy error rate %v, want 0.1 ± 4 SE", noisyRate)
	}
	eNoisy, _ := PosteriorEnergy(noisy, noisy, DefaultBeta, DefaultEta, 0)
	t.Logf("noisy: error rate %.4f, posterior energy of y %.1f", noisyRate, eNoisy)
	for _, m := range []Method{ICM, Anneal, Posterior, MeanField} {
		cfg := DefaultRestoreConfig(m)
		cfg.Seed = 3
		x, info, err := RestoreContext(context.Background(), noisy, cfg)
		if err != nil {
			t.Fatal(err)
		}
		rate, _ := ErrorRate(x, clean)
		t.Logf("%-9s error rate %.4f, energy %.1f, %d sweeps, converged %v, %d pixels changed",
			m, rate, info.Energy, info.Iterations, info.Converged, info.Changed)
		if rate >= 0.05 {
			t.Errorf("%s: error rate %.4f, want < 0.05", m, rate)
		}
		if m != Posterior && !info.Converged {
			t.Errorf("%s did not converge", m)
		}
		if info.Energy >= eNoisy {
			t.Errorf("%s: energy %.1f not below that of the observation %.1f", m, info.Energy, eNoisy)
		}
	}
	// Damped parallel mean field reaches the same fixed point as sequential here.
	cfg := DefaultRestoreConfig(MeanField)
	cfg.Damping = 0.5
	x, info, err := RestoreContext(context.Background(), noisy, cfg)
	if err != nil || !info.Converged {
		t.Fatalf("damped mean field: %v, converged %v", err, info != nil && info.Converged)
	}
	rate, _ := ErrorRate(x, clean)
	t.Logf("meanfield damped parallel: error rate %.4f, %d sweeps", rate, info.Iterations)
	if rate >= 0.05 {
		t.Errorf("damped mean field: error rate %.4f, want < 0.05", rate)
	}
}

// ICM reaches a fixed point: no single pixel change lowers the energy, and every
// sweep lowers it.
func TestICMIsLocalMinimum(t *testing.T) {
	clean := shapes(40, 30)
	noisy, _ := Corrupt(clean, 0.15, rand.New(rand.NewPCG(5, 6)))
	x, err := Restore(noisy, DefaultRestoreConfig(ICM))
	if err != nil {
		t.Fatal(err)
	}
	e0, _ := PosteriorEnergy(x, noisy, DefaultBeta, DefaultEta, 0)
	for i := range x.Pix {
		x.Pix[i] = -x.Pix[i]
		e1, _ := PosteriorEnergy(x, noisy, DefaultBeta, DefaultEta, 0)
		x.Pix[i] = -x.Pix[i]
		if e1 < e0-1e-9 {
			t.Fatalf("flipping pixel %d lowers the energy from %v to %v", i, e0, e1)
		}
	}
}

// With η = 0 and β = 0, the posterior at h is independent pixels: the Gibbs
// posterior mode is sign(h) everywhere and mean field gives the same.
func TestRestoreFieldOnly(t *testing.T) {
	noisy := shapes(16, 16)
	for _, m := range []Method{Posterior, MeanField, ICM, Anneal} {
		cfg := RestoreConfig{Method: m, Beta: 0, Eta: 0, H: 0.7, Seed: 1, Sweeps: 50, Burn: 10}
		x, err := Restore(noisy, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range x.Pix {
			if v != 1 {
				t.Fatalf("%s: pixel %d = %d, want +1", m, i, v)
			}
		}
	}
}

func TestRestoreValidation(t *testing.T) {
	good, _ := NewImage(4, 4)
	bad := &Image{W: 2, H: 2, Pix: []int8{1, 0, 1, 1}}
	if _, err := Restore(bad, DefaultRestoreConfig(ICM)); err == nil {
		t.Error("pixel 0: no error")
	}
	if _, err := Restore(nil, DefaultRestoreConfig(ICM)); err == nil {
		t.Error("nil image: no error")
	}
	for i, cfg := range []RestoreConfig{
		{Method: "median", Beta: 1},
		{Method: MeanField, Beta: 1, Damping: 1.5},
		{Method: Anneal, Beta: 1, T0: 0.1, TEnd: 1},
		{Method: ICM, Beta: math.NaN()},
		{Method: Posterior, Beta: 1, Sweeps: -1},
	} {
		if _, err := Restore(good, cfg); err == nil {
			t.Errorf("config %d: no error", i)
		}
	}
	if _, err := ParseMethod("x"); err == nil {
		t.Error("ParseMethod: no error")
	}
	if _, err := Corrupt(good, 1.5, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("Corrupt p=1.5: no error")
	}
	if _, err := Corrupt(good, 0.1, nil); err == nil {
		t.Error("Corrupt nil rng: no error")
	}
	if _, err := ErrorRate(good, shapes(3, 3)); err == nil {
		t.Error("ErrorRate size mismatch: no error")
	}
	if _, err := ImageFromRows([][]int8{{1, 1}, {1}}); err == nil {
		t.Error("ragged rows: no error")
	}
	if _, err := NewImage(0, 5); err == nil {
		t.Error("0×5 image: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := RestoreContext(ctx, shapes(20, 20), DefaultRestoreConfig(Posterior)); err == nil {
		t.Error("cancelled: no error")
	}
}

// Corrupt flips a fraction p of the pixels, within 4 binomial standard errors.
func TestCorruptRate(t *testing.T) {
	im, _ := NewImage(200, 100)
	for _, p := range []float64{0, 0.05, 0.3, 1} {
		c, err := Corrupt(im, p, rand.New(rand.NewPCG(9, uint64(100*p))))
		if err != nil {
			t.Fatal(err)
		}
		r, _ := ErrorRate(c, im)
		if se := math.Sqrt(p * (1 - p) / 20000); math.Abs(r-p) > 4*se {
			t.Errorf("p=%v: flipped fraction %v", p, r)
		}
	}
}

func TestPNGRoundTripAndColourModels(t *testing.T) {
	im := shapes(23, 17)
	var buf bytes.Buffer
	if err := EncodePNG(&buf, im); err != nil {
		t.Fatal(err)
	}
	back, err := DecodePNG(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := ErrorRate(back, im); r != 0 {
		t.Errorf("round trip changed %.3f of the pixels", r)
	}
	rows := im.Rows()
	if im2, err := ImageFromRows(rows); err != nil || !bytes.Equal(int8Bytes(im2.Pix), int8Bytes(im.Pix)) {
		t.Errorf("Rows/ImageFromRows round trip failed: %v", err)
	}

	// Colour models: dark red (lum 38) → −1, yellow (lum 226) → +1, mid grey
	// 127 → −1 and 128 → +1, transparent black over white → +1, 16-bit grey.
	src := image.NewNRGBA(image.Rect(0, 0, 6, 1))
	src.Set(0, 0, color.NRGBA{130, 0, 0, 255})
	src.Set(1, 0, color.NRGBA{255, 255, 0, 255})
	src.Set(2, 0, color.NRGBA{127, 127, 127, 255})
	src.Set(3, 0, color.NRGBA{128, 128, 128, 255})
	src.Set(4, 0, color.NRGBA{0, 0, 0, 0})
	src.Set(5, 0, color.NRGBA{0, 0, 0, 255})
	want := []int8{-1, 1, -1, 1, 1, -1}
	buf.Reset()
	_ = png.Encode(&buf, src)
	got, err := DecodePNG(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if got.Pix[i] != w {
			t.Errorf("NRGBA pixel %d: got %d, want %d", i, got.Pix[i], w)
		}
	}
	g16 := image.NewGray16(image.Rect(0, 0, 2, 1))
	g16.Set(0, 0, color.Gray16{0x7000})
	g16.Set(1, 0, color.Gray16{0x9000})
	buf.Reset()
	_ = png.Encode(&buf, g16)
	got, err = DecodePNG(bytes.NewReader(buf.Bytes()))
	if err != nil || got.Pix[0] != -1 || got.Pix[1] != 1 {
		t.Errorf("Gray16: %v %v", got, err)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.White, color.Black})
	pal.SetColorIndex(1, 0, 1)
	buf.Reset()
	_ = png.Encode(&buf, pal)
	got, err = DecodePNG(bytes.NewReader(buf.Bytes()))
	if err != nil || got.Pix[0] != 1 || got.Pix[1] != -1 {
		t.Errorf("Paletted: %v %v", got, err)
	}
	if _, err := DecodePNG(bytes.NewReader([]byte("not a png"))); err == nil {
		t.Error("garbage: no error")
	}
}

func int8Bytes(v []int8) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}

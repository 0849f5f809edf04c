package ising_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/ising"
)

// blocks returns a w×h image of two dark rectangles on white.
func blocks(w, h int) *ising.Image {
	img, _ := ising.NewImage(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, 1)
			if (x > w/8 && x < w/2 && y > h/8 && y < h/2) || (x > 5*w/8 && y > h/2) {
				img.Set(x, y, -1)
			}
		}
	}
	return img
}

// The report's error rates and changed fraction are those of the images the
// job returns; the noisy rate lies within 4 binomial standard errors of flip.
func TestDenoiseReport(t *testing.T) {
	clean := blocks(64, 48)
	cfg := ising.DefaultRestoreConfig(ising.ICM)
	cfg.Seed = 5
	d, err := ising.Denoise(context.Background(), clean, cfg, true, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	r := d.Report
	n := float64(64 * 48)
	en, _ := ising.ErrorRate(d.Noisy, clean)
	er, _ := ising.ErrorRate(d.Restored, clean)
	ch, _ := ising.ErrorRate(d.Restored, d.Noisy)
	if *r.ErrorRateNoisy != en || *r.ErrorRateRestored != er || r.ChangedFraction != ch || r.Pixels != 64*48 || *r.Flip != 0.1 {
		t.Errorf("report %+v; rates %v %v, changed %v", r, en, er, ch)
	}
	if math.Abs(en-0.1) > 4*math.Sqrt(0.1*0.9/n) || !(er < en/2) {
		t.Errorf("error rate noisy %v, restored %v", en, er)
	}
	e, _ := ising.PosteriorEnergy(d.Restored, d.Noisy, cfg.Beta, cfg.Eta, cfg.H)
	if math.Abs(e-r.Energy) > 1e-9 {
		t.Errorf("energy %v, posterior energy of the result %v", r.Energy, e)
	}
	dir := t.TempDir()
	out, noisy := filepath.Join(dir, "r.png"), ising.NoisyPath(filepath.Join(dir, "r.png"))
	if err := d.Save(out, noisy); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]*ising.Image{out: d.Restored, noisy: d.Noisy} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ising.DecodePNG(f)
		f.Close()
		if rate, _ := ising.ErrorRate(got, want); err != nil || rate != 0 {
			t.Errorf("%s: %v, differs in %v of the pixels", p, err, rate)
		}
	}
	var buf bytes.Buffer
	if err := d.Report.WriteText(&buf); err != nil || !strings.Contains(buf.String(), "wrote "+out+" and "+noisy) {
		t.Errorf("WriteText: %v\n%s", err, buf.String())
	}
	// A failed write of the restored image leaves no noisy image behind.
	if err := d.Save(filepath.Join(dir, "no", "x.png"), filepath.Join(dir, "n.png")); err == nil {
		t.Error("write into a missing folder succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "n.png")); !os.IsNotExist(err) {
		t.Error("noisy image left behind")
	}
	// Without corruption the observation is the input.
	d, err = ising.Denoise(context.Background(), clean, cfg, false, 0)
	if err != nil || d.Noisy != clean || d.Report.Flip != nil {
		t.Errorf("without corruption: %v %+v", err, d.Report)
	}
}

func TestNoisyPath(t *testing.T) {
	for in, want := range map[string]string{"a/b.png": "a/b-noisy.png", "out": "out-noisy.png", "x.y.PNG": "x.y-noisy.PNG"} {
		if got := ising.NoisyPath(in); got != want {
			t.Errorf("NoisyPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// The text report names every estimate and, for a small lattice, the exact
// values by enumeration, which agree with the line's numbers.
func TestWriteText(t *testing.T) {
	res, err := ising.Run(context.Background(), ising.Config{L: 3, J: 1, T: 2, Algo: ising.Gibbs, Sweeps: 200, Burn: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := res.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	ex, _ := ising.ExactIsing(3, 1, 0, 2)
	s := buf.String()
	for _, want := range []string{"energy per site", "|magnetization|", "susceptibility", "split R̂",
		fmt.Sprintf("exact (enumeration): energy per site %.6f", ex.EnergyPerSite), "200 sweeps after 10 burn-in"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	p, err := ising.RunPotts(context.Background(), ising.PottsConfig{L: 4, Q: 3, J: 1, T: 1, Algo: ising.SW, Sweeps: 100, Burn: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := p.WriteText(&buf); err != nil || !strings.Contains(buf.String(), "Potts q=3 4×4") || !strings.Contains(buf.String(), "order parameter") {
		t.Errorf("Potts: %v\n%s", err, buf.String())
	}
}

// Corrupt a clean image with 10% flipped pixels and restore it by ICM.
func ExampleDenoise() {
	cfg := ising.DefaultRestoreConfig(ising.ICM)
	d, err := ising.Denoise(context.Background(), blocks(64, 64), cfg, true, 0.1)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := d.Report
	fmt.Println(r.Width, r.Height, r.Converged)
	fmt.Println("error rate more than halved:", *r.ErrorRateRestored < *r.ErrorRateNoisy/2)
	// Output:
	// 64 64 true
	// error rate more than halved: true
}

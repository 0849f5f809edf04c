package main

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/rbm"
)

// TestDenoiseCommands trains a small DSM model, denoises with each method,
// inpaints, and checks that bad input exits 2 with nothing written.
func TestDenoiseCommands(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "a")
	if _, err := run(t, "train", "--data", "8gaussians", "--method", "dsm:sigma=0.3", "--model", "mlp:hidden=16x16", "--iters", "150", "--out", dir, "--quiet", "--json"); err != nil {
		t.Fatal(err)
	}
	pts := writeCSV(t, "1.5,1.5\n-2,0.1\n0,2.8\n2.8,0\n-1.9,-2\n")
	for _, m := range []string{"tweedie", "map", "posterior"} {
		out, err := run(t, "denoise", "--model", dir, "--data", pts, "--clean", "--noise", "gauss:sigma=0.3", "--method", m,
			"--warmup", "100", "--steps", "100", "--quiet", "--json")
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%s: %v\n%s", m, err, out)
		}
		if _, ok := rep["mse_restored"].(float64); !ok || rep["method"] != m {
			t.Errorf("%s: report %v", m, rep)
		}
	}
	outDir := filepath.Join(tmp, "out")
	if _, err := run(t, "inpaint", "--model", dir, "--data", pts, "--mask", "coords:1", "--method", "map", "--out", outDir, "--quiet"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"restored.csv", "report.json"} {
		if _, err := os.Stat(filepath.Join(outDir, f)); err != nil {
			t.Errorf("inpaint wrote no %s", f)
		}
	}
	// A 3×3 PNG for a 2-D model.
	img := image.NewGray(image.Rect(0, 0, 3, 3))
	img.Set(1, 1, color.Gray{Y: 255})
	pngPath := filepath.Join(tmp, "x.png")
	f, _ := os.Create(pngPath)
	png.Encode(f, img)
	f.Close()
	bad := filepath.Join(tmp, "bad")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"denoise", "--model", dir, "--data", pts, "--noise", "gauss:sigma=0"}, "sigma"},
		{[]string{"denoise", "--model", dir, "--data", pts, "--noise", "gauss:sigma=-1"}, "sigma"},
		{[]string{"denoise", "--model", dir, "--data", pts, "--noise", "gauss:sigma=0.9", "--method", "tweedie"}, "its levels: 0.3"},
		{[]string{"denoise", "--model", dir, "--data", pts, "--noise", "flip:rate=0.1", "--method", "gibbs"}, "Bernoulli RBM"},
		{[]string{"denoise", "--model", dir, "--image", pngPath, "--noise", "gauss:sigma=0.3"}, "3×3 = 9 pixels, the model has dimension 2"},
		{[]string{"denoise", "--model", dir, "--data", writeCSV(t, "1,2,3\n4,5,6\n"), "--noise", "gauss:sigma=0.3"}, "dimension 2"},
		{[]string{"inpaint", "--model", dir, "--data", pts, "--mask", "coords:5"}, "coordinate"},
		{[]string{"inpaint", "--model", dir, "--image", pngPath, "--mask", "rect:x=0,y=0,w=2,h=2"}, "pixels"},
		{[]string{"denoise", "--model", filepath.Join(tmp, "nothing"), "--data", pts, "--noise", "gauss:sigma=0.3"}, "nothing"},
		{[]string{"sample", "--energy", "model:" + dir + " + gauss:dim=3"}, "term 2 (gauss:dim=3): dimension 3"},
	} {
		args := append(tc.args, "--out", bad, "--quiet")
		_, err := run(t, args...)
		wantUsage(t, err, tc.want)
		if _, err := os.Stat(bad); !os.IsNotExist(err) {
			t.Errorf("%v left %s behind", tc.args, bad)
		}
	}
}

// TestDenoiseRBM restores bit flips and inpaints with a saved RBM.
func TestDenoiseRBM(t *testing.T) {
	r, err := rbm.New(rbm.Bernoulli, 4, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.W.Data {
		r.W.Data[i] = float32(i%3) - 1
	}
	dir := filepath.Join(t.TempDir(), "rbm")
	if err := r.Save(dir, &model.Meta{}); err != nil {
		t.Fatal(err)
	}
	pts := writeCSV(t, "1,0,1,1\n0,0,1,0\n1,1,1,1\n")
	for _, m := range []string{"gibbs", "icm", "anneal"} {
		if _, err := run(t, "denoise", "--model", dir, "--data", pts, "--clean", "--noise", "flip:rate=0.1", "--method", m, "--quiet", "--json"); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	if _, err := run(t, "inpaint", "--model", dir, "--data", pts, "--mask", "coords:0;2", "--quiet"); err != nil {
		t.Error(err)
	}
	_, err = run(t, "denoise", "--model", dir, "--data", pts, "--noise", "gauss:sigma=0.3", "--method", "map")
	wantUsage(t, err, "RBM")
}

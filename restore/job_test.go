package restore

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

func TestParseNoiseAndMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"gauss:sigma=0", "sigma=0"},
		{"gauss", "sigma=0"},
		{"flip:rate=0.5", "rate=0.5"},
		{"gauss:sigma=0.3,rate=1", "unknown setting rate"},
		{"salt", "unknown noise"},
	} {
		if _, err := ParseNoise("--noise", tc.in); err == nil || !strings.Contains(err.Error(), tc.want) || !spec.IsInvalid(err) {
			t.Errorf("ParseNoise(%q) = %v, want a spec error with %q", tc.in, err, tc.want)
		}
	}
	if n, err := ParseNoise("--noise", "gauss:sigma=0.3"); err != nil || n.Sigma != 0.3 || n.String() != "gauss:sigma=0.3" {
		t.Errorf("%v %v", n, err)
	}
	m, err := ParseMask("--mask", "rect:x=1,y=2,w=2,h=1", 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range m {
		if f != (i == 2*5+1 || i == 2*5+2) {
			t.Fatalf("rect mask wrong at %d: %v", i, m)
		}
	}
	if m, _ := ParseMask("--mask", "half:bottom", 4, 2); !m[4] || m[3] {
		t.Errorf("half:bottom %v", m)
	}
	for _, tc := range []struct{ in, want string }{
		{"rect:x=4,y=0,w=2,h=1", "does not fit"},
		{"rect:x=0,y=0,w=2", "missing h"},
		{"coords:25", "coordinate"},
		{"png:/nonexistent.png", "nonexistent"},
		{"star", "unknown mask"},
	} {
		if _, err := ParseMask("--mask", tc.in, 4, 5); err == nil || !strings.Contains(err.Error(), tc.want) || !spec.IsInvalid(err) {
			t.Errorf("ParseMask(%q) = %v, want a spec error with %q", tc.in, err, tc.want)
		}
	}
}

// Noise levels come from a noise-conditional energy or from the DSM sigma in
// model.json; AtNoiseLevel picks the nearest or says which levels exist.
func TestNoiseLevels(t *testing.T) {
	act, _ := nn.ActivationByName("silu")
	net, _ := nn.NewMLP[float32]([]int{3, 4, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 1)))
	nc, _ := energy.NewNoiseCondMLP(net, []float64{1, 0.5, 0.25})
	lv := NoiseLevels(nc, nil)
	if len(lv) != 3 || lv[0] != 0.25 {
		t.Fatalf("levels %v", lv)
	}
	if _, s, err := AtNoiseLevel(nc, lv, 0.55, 0); err != nil || s != 0.5 {
		t.Errorf("nearest to 0.55: %v %v", s, err)
	}
	_, _, err := AtNoiseLevel(nc, lv, 0.1, 0)
	var le *LevelError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "0.25, 0.5, 1") {
		t.Errorf("σ = 0.1: %v", err)
	}
	tr, _ := json.Marshal(map[string]any{"method": map[string]any{"name": "dsm", "sigma": 0.3, "levels": 0}})
	g := energy.NCSNGMM()
	if lv := NoiseLevels(g, &model.Meta{Training: tr}); len(lv) != 1 || lv[0] != 0.3 {
		t.Errorf("DSM levels %v", lv)
	}
	tr, _ = json.Marshal(map[string]any{"method": map[string]any{"name": "ssm"}})
	if lv := NoiseLevels(g, &model.Meta{Training: tr}); lv != nil {
		t.Errorf("SSM levels %v", lv)
	}
	if _, _, err := AtNoiseLevel(g, nil, 0.3, 0); err == nil || !strings.Contains(err.Error(), "not trained at a noise level") {
		t.Errorf("no levels: %v", err)
	}
}

// A Job checks its model, noise, method and sizes before any work.
func TestJobCheck(t *testing.T) {
	g := energy.NCSNGMM()
	y := tensor.FromSlice(2, 2, []float64{5, 5, -5, -4})
	for _, tc := range []struct {
		job  Job
		want string
	}{
		{Job{Model: g, Y: y, Noise: Noise{Kind: "gauss", Sigma: 1}, Method: "gibbs"}, "Bernoulli RBM"},
		{Job{Model: g, Y: y, Noise: Noise{Kind: "gauss", Sigma: 1}, Method: "tweedie"}, "noise level"},
		{Job{Model: g, Y: y, Noise: Noise{Kind: "flip", Rate: 0.1}, Method: "map"}, "gauss:sigma"},
		{Job{Model: g, Y: y, Noise: Noise{Kind: "none"}, Method: "map"}, "noise model"},
		{Job{Model: g, Y: y, Noise: Noise{Kind: "none"}, Method: "map", Mask: []bool{true}}, "mask has 1"},
		{Job{Model: g, Y: tensor.New[float64](1, 3), Noise: Noise{Kind: "gauss", Sigma: 1}, Method: "map"}, "dimension 2"},
		{Job{Model: g, Y: y, Noise: Noise{Kind: "gauss", Sigma: 1}, Method: "magic"}, "unknown method"},
		{Job{Model: 3, Y: y, Noise: Noise{Kind: "gauss", Sigma: 1}, Method: "map"}, "neither"},
	} {
		if err := tc.job.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.job.Method, err, tc.want)
		}
	}
	// MAP on the mixture from its noisy points: closer than the input.
	clean := tensor.FromSlice(2, 2, []float64{5, 5, -5, -5})
	j := Job{Model: g, Clean: clean, Noise: Noise{Kind: "gauss", Sigma: 1}, Method: "map", Seed: 1}
	out, err := j.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !(*out.Report.MSERestored < *out.Report.MSENoisy) {
		t.Errorf("MAP MSE %v not below the input's %v", *out.Report.MSERestored, *out.Report.MSENoisy)
	}
}

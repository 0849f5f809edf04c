package jem

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/train"
)

func envF(k string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(k), 64); err == nil {
		return v
	}
	return def
}

func TestExplore(t *testing.T) {
	if os.Getenv("JEM_EXPLORE") == "" {
		t.Skip()
	}
	xtr, ytr, xte, yte := digits(t)
	for _, w := range []float64{0, 1} {
		cfg := DefaultConfig()
		cfg.Hidden = []int{128, 128}
		cfg.Weight = w
		cfg.Iters = 1500
		cfg.LR = envF("JEM_LR", 1e-3)
		cfg.Alpha = envF("JEM_ALPHA", 0)
		cfg.Sampler.Step = envF("JEM_STEP", 1)
		cfg.Sampler.Noise = envF("JEM_NOISE", 0.01)
		if os.Getenv("JEM_ULA") != "" {
			cfg.Sampler.Kind = "ula"
		}
		if w == 0 && os.Getenv("JEM_SKIP0") != "" {
			continue
		}
		cfg.Box = sample.ScalarBox(0, 1)
		cfg.Init = os.Getenv("JEM_INIT")
		cfg.Metrics = func(m train.Metrics) {
			if m.Iter%500 == 0 || m.Event != "" {
				t.Logf("%d %.3g %.3g %.3g %v %s", m.Iter, m.Loss, m.EPos, m.ENeg, m.Extra, m.Event)
			}
		}
		t0 := time.Now()
		res, err := Train(context.Background(), xtr, ytr, 10, cfg)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := Score(res.Model, xte)
		cl, _ := Classify(s, yte, 10)
		t.Logf("w=%v %.1fs acc %.4f nll %.4f ece %.4f retries %d", w, time.Since(t0).Seconds(), cl.Accuracy, cl.NLL, cl.ECE, res.Loop.Retries)
	}
}

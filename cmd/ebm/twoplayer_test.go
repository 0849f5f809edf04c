package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/flow"
)

// TestTrainTwoPlayerMethods runs fce and both adversarial samplers briefly
// through the command: each writes a model and reports its figures; fce
// reports its learned log Z; fce's noise flow and adv's flow sampler (with
// its box) are saved as flow models; the flow sampler's importance weights
// log their effective sample size.
func TestTrainTwoPlayerMethods(t *testing.T) {
	for _, m := range []string{"fce:layers=2,hidden=16", "adv:layers=2,hidden=16", "adv:sampler=noisy,gen_hidden=16,is=4"} {
		dir := filepath.Join(t.TempDir(), "run")
		out, err := run(t, "train", "--data", "8gaussians", "--method", m, "--iters", "20", "--out", dir, "--json",
			"--test", "200")
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		var tr map[string]any
		if err := json.Unmarshal([]byte(out), &tr); err != nil {
			t.Fatalf("%s: train JSON: %v\n%s", m, err, out)
		}
		if _, ok := tr["nll_grid"].(float64); !ok {
			t.Errorf("%s: no nll_grid in %s", m, out)
		}
		if m == "adv:layers=2,hidden=16" {
			// The flow sampler weighs its negatives by default and logs
			// the weights' effective sample size.
			metrics, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
			if err != nil || !strings.Contains(string(metrics), `"ess"`) {
				t.Errorf("adv (flow): no ess in metrics.jsonl (%v)", err)
			}
		}
		if m[:3] == "fce" {
			ex, _ := tr["extra"].(map[string]any)
			if _, ok := ex["fce_logz"].(float64); !ok {
				t.Errorf("fce: no learned log Z in %s", out)
			}
		}
		if strings.Contains(m, "noisy") {
			if _, err := os.Stat(filepath.Join(dir, "sampler")); err == nil {
				t.Errorf("%s: saved a sampler folder; the noisy sampler is not a saved kind", m)
			}
		} else {
			// fce's noise flow and adv's flow sampler are saved beside the
			// energy as flow models that the flow commands take.
			sdir := filepath.Join(t.TempDir(), "draws")
			if _, err := run(t, "flow", "sample", "--model", filepath.Join(dir, "sampler"), "--n", "50", "--out", sdir); err != nil {
				t.Errorf("%s: flow sample of the saved sampler: %v", m, err)
			}
			f, _, err := flow.Load[float32](filepath.Join(dir, "sampler"))
			if err != nil {
				t.Fatalf("%s: %v", m, err)
			}
			if m[:3] == "adv" {
				// The adversarial sampler is saved with its box: every
				// draw of the saved flow lies inside (−4, 4)².
				if !strings.Contains(f.Spec, "box=4") {
					t.Errorf("adv: saved sampler spec %q has no box=4", f.Spec)
				}
				for _, v := range f.Sample(2000, rand.New(rand.NewPCG(1, 1))).Data {
					if !(math.Abs(v) < 4) {
						t.Fatalf("adv: saved sampler draws %v outside the box", v)
					}
				}
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "model", "model.safetensors")); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
}

func TestTrainTwoPlayerBadInput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m")
	cases := []struct{ method, want string }{
		{"fce:flow=nope", "nope"},
		{"fce:acc_lo=0.9,acc_hi=0.5", "acc_lo"},
		{"fce:flow_lr=0", "flow_lr"},
		{"adv:sampler=gan", "valid"},
		{"adv:sampler=noisy,gen_hidden=12xq", "hidden"},
		{"adv:sampler=noisy,sigma=-1", "sigma"},
		{"adv:layers=0", "layers"},
	}
	for _, c := range cases {
		_, err := run(t, "train", "--method", c.method, "--out", out)
		wantUsage(t, err, c.want)
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%s left a model folder", c.method)
		}
	}
}

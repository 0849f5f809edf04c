package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/internal/cli"
)

// run executes the ebm root command with args and returns stdout and the error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func wantUsage(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a usage error containing %q, got success", substr)
	}
	if cli.ExitCode(err) != 2 {
		t.Fatalf("want exit code 2 for %q, got %d: %v", substr, cli.ExitCode(err), err)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not mention %q", err, substr)
	}
}

// TestSampleAcceptanceCommand runs the command and checks the moments
// of gauss:dim=2,rho=0.8 against the truth within 4 Monte Carlo standard
// errors (MCSE of the mean from the reported ESS; of a variance, sd·√2/√ESS as
// for Gaussian draws).
func TestSampleAcceptanceCommand(t *testing.T) {
	out, err := run(t, "sample", "--energy", "gauss:dim=2,rho=0.8", "--sampler", "mala", "--chains", "8",
		"--steps", "4000", "--warmup", "1000", "--seed", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		NSamples   int         `json:"n_samples"`
		Mean       []float64   `json:"mean"`
		Cov        [][]float64 `json:"cov"`
		AcceptRate float64     `json:"accept_rate"`
		RhatMax    float64     `json:"rhat_max"`
		ESSBulkMin float64     `json:"ess_bulk_min"`
		ESSTailMin float64     `json:"ess_tail_min"`
		KSD        float64     `json:"ksd"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if r.NSamples != 32000 {
		t.Fatalf("n_samples %d", r.NSamples)
	}
	se := 1 / math.Sqrt(r.ESSBulkMin)
	for j, m := range r.Mean {
		if math.Abs(m) > 4*se {
			t.Errorf("mean[%d] = %.4f, beyond 4 MCSE (%.4f)", j, m, 4*se)
		}
	}
	want := [][]float64{{1, 0.8}, {0.8, 1}}
	for i := range want {
		for j := range want[i] {
			if math.Abs(r.Cov[i][j]-want[i][j]) > 4*math.Sqrt2*se {
				t.Errorf("cov[%d][%d] = %.4f, want %.1f ± %.4f", i, j, r.Cov[i][j], want[i][j], 4*math.Sqrt2*se)
			}
		}
	}
	if r.RhatMax >= 1.01 || math.Abs(r.AcceptRate-0.574) > 0.05 {
		t.Errorf("R-hat %.4f, acceptance %.3f", r.RhatMax, r.AcceptRate)
	}
}

func TestSampleWritesOutputsAtomically(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := run(t, "sample", "--energy", "banana", "--sampler", "hmc", "--chains", "4", "--steps", "200",
		"--warmup", "200", "--out", dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"samples.csv", "diagnostics.json", "samples.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s missing or empty: %v", f, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "samples.csv"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "chain,x0,x1" || len(lines) != 1+4*200 {
		t.Fatalf("samples.csv header %q, %d lines", lines[0], len(lines))
	}
	// A run that fails leaves no folder behind.
	bad := filepath.Join(t.TempDir(), "bad")
	_, err := run(t, "sample", "--energy", "gauss", "--sampler", "mala:step=0", "--out", bad)
	wantUsage(t, err, "step")
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatalf("failed run left %s", bad)
	}
	ents, _ := os.ReadDir(filepath.Dir(bad))
	if len(ents) != 0 {
		t.Fatalf("failed run left %v", ents)
	}
}

func TestSampleBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sample", "--energy", "nope"}, `unknown energy "nope"`},
		{[]string{"sample", "--energy", "gauss", "--sampler", "nope"}, `unknown sampler "nope"`},
		{[]string{"sample", "--energy", "gauss", "--sampler", "hmc:step=-1"}, "step"},
		{[]string{"sample", "--energy", "gauss", "--sampler", "hmc:L=0"}, "L"},
		{[]string{"sample", "--energy", "gauss", "--sampler", "mala:bogus=1"}, "unknown setting bogus"},
		{[]string{"sample", "--energy", "gauss", "--chains", "0"}, "--chains"},
		{[]string{"sample", "--energy", "gauss", "--steps", "0"}, "--steps"},
		{[]string{"sample", "--energy", "gauss:rho=1"}, "rho"},
		{[]string{"sample", "--energy", "gauss:dim=x"}, "dim"},
		{[]string{"sample"}, "--energy or --model"},
		{[]string{"sample", "--energy", "gauss", "--bogus"}, "unknown flag"},
		{[]string{"nosuchcommand"}, "unknown command"},
	}
	for _, c := range cases {
		_, err := run(t, c.args...)
		wantUsage(t, err, c.want)
	}
	// Initial points of the wrong dimension.
	f := filepath.Join(t.TempDir(), "init.csv")
	os.WriteFile(f, []byte("1,2,3\n4,5,6\n"), 0o644)
	_, err := run(t, "sample", "--energy", "gauss:dim=2", "--chains", "2", "--init", f)
	wantUsage(t, err, "dimension 2")
}

func writeCSV(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestTrainBadInput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", writeCSV(t, "x,y\n1,2\n3,NaN\n"), "--out", out}, "d.csv:3"},
		{[]string{"train", "--data", writeCSV(t, "1,2\n3,4,5\n"), "--out", out}, "d.csv:2"},
		{[]string{"train", "--data", writeCSV(t, "1,2\n3,abc\n"), "--out", out}, `"abc" is not a number`},
		{[]string{"train", "--data", writeCSV(t, "1,2\n3,Inf\n"), "--out", out}, "d.csv:2"},
		{[]string{"train", "--method", "ssm:bogus=1", "--out", out}, "valid:"},
		{[]string{"train", "--method", "nope", "--out", out}, "unknown estimator"},
		{[]string{"train", "--model", "mlp:act=nope", "--out", out}, "unknown activation"},
		{[]string{"train", "--data", "nope", "--out", out}, "neither a toy"},
		{[]string{"train", "--lr", "0", "--out", out}, "--lr"},
		{[]string{"train"}, "--out is required"},
		{[]string{"train", "--method", "replay:step=0", "--out", out}, "step"},
	}
	for _, c := range cases {
		_, err := run(t, c.args...)
		wantUsage(t, err, c.want)
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%v left a model folder", c.args)
		}
	}
}

func TestTrainEvalSampleRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	out, err := run(t, "train", "--data", "8gaussians", "--method", "nce", "--iters", "300", "--out", dir,
		"--checkpoint-every", "100", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var tr map[string]any
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("train JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"iters", "seconds", "iters_per_sec", "final_loss", "nll_grid"} {
		if _, ok := tr[k].(float64); !ok {
			t.Errorf("train JSON lacks %s", k)
		}
	}
	for _, f := range []string{"model/model.json", "model/model.safetensors", "metrics.jsonl", "loss.png", "density.png", "samples.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	out, err = run(t, "eval", "--model", dir, "--data", "8gaussians", "--n", "500", "--steps", "200", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("eval JSON: %v", err)
	}
	if ev["nll_grid"].(float64) != tr["nll_grid"].(float64) {
		t.Errorf("eval NLL %v differs from train's %v", ev["nll_grid"], tr["nll_grid"])
	}
	for _, k := range []string{"logz_grid", "mmd2", "ksd", "mean_energy_data"} {
		if _, ok := ev[k].(float64); !ok {
			t.Errorf("eval JSON lacks %s", k)
		}
	}
	if _, err := run(t, "sample", "--model", dir, "--chains", "2", "--steps", "50", "--warmup", "50"); err != nil {
		t.Fatal(err)
	}
	// Resume from the checkpoint continues to the requested length.
	dir2 := filepath.Join(t.TempDir(), "run2")
	if _, err := run(t, "train", "--data", "8gaussians", "--method", "nce", "--iters", "350", "--out", dir2,
		"--resume", dir+".ckpt", "--json"); err != nil {
		t.Fatalf("resume: %v", err)
	}
	// Data of another dimension than the model.
	_, err = run(t, "eval", "--model", dir, "--data", writeCSV(t, "1,2,3\n4,5,6\n7,8,9\n"))
	wantUsage(t, err, "dimension")
	// Corrupt and truncated model files.
	b, _ := os.ReadFile(filepath.Join(dir, "model", "model.safetensors"))
	os.WriteFile(filepath.Join(dir, "model", "model.safetensors"), b[:len(b)/2], 0o644)
	if _, err := run(t, "eval", "--model", dir); err == nil || !strings.Contains(err.Error(), "model.safetensors") {
		t.Fatalf("truncated weights: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "model", "model.json"), []byte("{not json"), 0o644)
	if _, err := run(t, "eval", "--model", dir); err == nil || !strings.Contains(err.Error(), "model.json") {
		t.Fatalf("corrupt model.json: %v", err)
	}
}

// TestAnnealedNCSNGMM: annealed Langevin with the CLI's default schedule puts
// 0.80 ± 0.05 of its samples in the (5,5) mode of ncsn-gmm; with 2000 chains
// the binomial standard error is 0.009, so the band is more than 5 SE wide.
func TestAnnealedNCSNGMM(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a")
	if _, err := run(t, "sample", "--energy", "ncsn-gmm", "--sampler", "annealed", "--chains", "2000",
		"--init", "uniform:lo=-8,hi=8", "--seed", "1", "--out", dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "samples.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")[1:]
	in := 0
	for _, l := range lines {
		f := strings.Split(l, ",")
		var x, y float64
		fmt.Sscan(f[1], &x)
		fmt.Sscan(f[2], &y)
		if x+y > 0 {
			in++
		}
	}
	frac := float64(in) / float64(len(lines))
	t.Logf("fraction in the (5,5) mode: %.3f of %d", frac, len(lines))
	if len(lines) != 2000 || math.Abs(frac-0.8) > 0.05 {
		t.Fatalf("fraction %.3f of %d samples, want 0.80 ± 0.05", frac, len(lines))
	}
}

package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/internal/cli"
)

// rbmJSON runs a command that must succeed and decodes its JSON output.
func rbmJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("ebm %s: %v", strings.Join(args, " "), err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("ebm %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
	return m
}

func rbmWantCode(t *testing.T, err error, code int, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error mentioning %q, got success", substr)
	}
	if got := cli.ExitCode(err); got != code {
		t.Fatalf("exit code %d, want %d: %v", got, code, err)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not mention %q", err, substr)
	}
}

func rbmNum(t *testing.T, m map[string]any, key string) float64 {
	t.Helper()
	v, ok := m[key].(float64)
	if !ok || math.IsNaN(v) {
		t.Fatalf("JSON has no number %q: %v", key, m)
	}
	return v
}

// TestRBMTrainEvalSample trains on the digits for a few epochs, checks the
// folder and the JSON, reads the model back with eval --exact (same numbers),
// evaluates it with a short AIS and draws a sample grid.
func TestRBMTrainEvalSample(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rbm")
	rep := rbmJSON(t, "rbm", "train", "--data", "digits", "--hidden", "16", "--method", "pcd", "--k", "1",
		"--epochs", "3", "--lr", "0.05", "--batch", "10", "--seed", "1", "--samples", "16", "--sample-steps", "50",
		"--out", dir, "--json")
	if rbmNum(t, rep, "epochs") != 3 || rbmNum(t, rep, "sec_per_epoch") <= 0 {
		t.Errorf("report: %v", rep)
	}
	ll := rbmNum(t, rep, "loglik_test")
	pl := rbmNum(t, rep, "pl_test")
	if ll > pl || ll < -40 {
		t.Errorf("loglik_test %.3f, pl_test %.3f", ll, pl)
	}
	for _, f := range []string{"model.json", "model.safetensors", "samples.png", "metrics.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	lines, _ := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if n := strings.Count(string(lines), "\n"); n != 3 {
		t.Errorf("metrics.jsonl has %d lines, want 3", n)
	}
	ev := rbmJSON(t, "rbm", "eval", "--model", dir, "--data", "digits", "--exact", "--json")
	if got := rbmNum(t, ev, "loglik_test"); math.Abs(got-ll) > 1e-9 || rbmNum(t, ev, "n_test") != 297 {
		t.Errorf("eval --exact loglik_test %.10f, train reported %.10f", got, ll)
	}
	if got := rbmNum(t, ev, "pl_test"); math.Abs(got-pl) > 1e-9 {
		t.Errorf("eval pl_test %.10f, train reported %.10f", got, pl)
	}
	ais := rbmJSON(t, "rbm", "eval", "--model", dir, "--data", "digits", "--ais", "runs=20,betas=3000", "--json")
	lz, lzAIS, se := rbmNum(t, ev, "logz"), rbmNum(t, ais, "logz"), rbmNum(t, ais, "logz_se")
	if math.Abs(lzAIS-lz) > 0.2 || se <= 0 || ais["logz_upper_start"] != "exact samples" {
		t.Errorf("AIS log Z %.4f ± %.4f vs exact %.4f (%v)", lzAIS, se, lz, ais)
	}
	png := filepath.Join(t.TempDir(), "grid.png")
	if _, err := run(t, "rbm", "sample", "--model", dir, "--out", png, "--n", "9", "--steps", "20"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() == 0 {
		t.Errorf("sample grid: %v", err)
	}
}

func TestRBMBadInput(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "o")
	_, err := run(t, "rbm", "train", "--method", "cd-3", "--out", out)
	rbmWantCode(t, err, 2, "--method")
	_, err = run(t, "rbm", "train", "--hidden", "0", "--out", out)
	rbmWantCode(t, err, 2, "--hidden")
	_, err = run(t, "rbm", "train", "--visible", "poisson", "--out", out)
	rbmWantCode(t, err, 2, "--visible")
	_, err = run(t, "rbm", "train", "--schedule", "exp", "--out", out)
	rbmWantCode(t, err, 2, "--schedule")
	_, err = run(t, "rbm", "train", "--data", "mnist", "--out", out)
	rbmWantCode(t, err, 2, "--data")
	// Non-binary CSV data with Bernoulli units.
	csv := filepath.Join(tmp, "x.csv")
	os.WriteFile(csv, []byte("0,1,0.5\n1,0,1\n0,0,1\n"), 0o644)
	_, err = run(t, "rbm", "train", "--data", "csv:"+csv, "--hidden", "2", "--epochs", "1", "--out", out)
	rbmWantCode(t, err, 2, "binary")
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed run left the output folder behind")
	}
	// ... which --binarize fixes.
	if _, err := run(t, "rbm", "train", "--data", "csv:"+csv, "--binarize", "0.5", "--hidden", "2",
		"--epochs", "1", "--samples", "4", "--sample-steps", "2", "--out", out); err != nil {
		t.Fatalf("with --binarize: %v", err)
	}
	_, err = run(t, "rbm", "eval", "--model", out, "--data", "csv:"+csv, "--exact", "--ais", "runs=3")
	rbmWantCode(t, err, 2, "exclude")
	_, err = run(t, "rbm", "eval", "--model", out, "--data", "csv:"+csv, "--ais", "runs=10,steps=3")
	rbmWantCode(t, err, 2, "steps")
	// A truncated weights file is an unreadable input (exit 2).
	w := filepath.Join(out, "model.safetensors")
	b, _ := os.ReadFile(w)
	os.WriteFile(w, b[:len(b)/2], 0o644)
	_, err = run(t, "rbm", "eval", "--model", out, "--data", "csv:"+csv, "--binarize", "0.5")
	rbmWantCode(t, err, 2, "model.safetensors")
	_, err = run(t, "rbm", "eval", "--model", filepath.Join(tmp, "nothing"))
	if err == nil {
		t.Error("eval of a missing folder: no error")
	}
}

func TestDBNAndBMCommands(t *testing.T) {
	tmp := t.TempDir()
	dbn := filepath.Join(tmp, "dbn")
	rep := rbmJSON(t, "dbn", "train", "--data", "digits", "--hidden", "16,8", "--epochs", "2", "--lr", "0.05",
		"--samples", "4", "--sample-steps", "10", "--out", dbn, "--json")
	if rbmNum(t, rep, "epochs") != 2 || rbmNum(t, rep, "pl_test_layer0") >= 0 {
		t.Errorf("dbn report %v", rep)
	}
	png := filepath.Join(tmp, "dbn.png")
	if _, err := run(t, "dbn", "sample", "--model", dbn, "--out", png, "--n", "4", "--steps", "10"); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, "rbm", "eval", "--model", dbn)
	rbmWantCode(t, err, 2, "not an rbm")

	// A 4-unit binary data set for the fully visible machine.
	var sb strings.Builder
	for i := 0; i < 400; i++ {
		a := i % 2
		b := (i / 2) % 2
		c := a
		if i%7 == 0 {
			c = 1 - a
		}
		sb.WriteString(strings.Join([]string{rbmItoa(a), rbmItoa(b), rbmItoa(c), rbmItoa((i / 3) % 2)}, ",") + "\n")
	}
	csv := filepath.Join(tmp, "bits.csv")
	os.WriteFile(csv, []byte(sb.String()), 0o644)
	bm := filepath.Join(tmp, "bm")
	tr := rbmJSON(t, "bm", "train", "--data", "csv:"+csv, "--method", "exact", "--epochs", "200", "--lr", "0.5", "--out", bm, "--json")
	ev := rbmJSON(t, "bm", "eval", "--model", bm, "--data", "csv:"+csv, "--json")
	if math.Abs(rbmNum(t, tr, "loglik_train")-rbmNum(t, ev, "loglik_test")) > 1e-9 || rbmNum(t, ev, "loglik_test") < -4*math.Ln2 {
		t.Errorf("bm train %v, eval %v", tr, ev)
	}
	_, err = run(t, "bm", "train", "--data", "csv:"+csv, "--method", "gibbs", "--out", filepath.Join(tmp, "x"))
	rbmWantCode(t, err, 2, "--method")
	_, err = run(t, "bm", "train", "--data", "digits", "--method", "exact", "--out", filepath.Join(tmp, "x"))
	rbmWantCode(t, err, 2, "limit")
}

func rbmItoa(i int) string { return string(rune('0' + i)) }

// Sizes and settings are checked before any work: a huge hidden layer names
// its size and the limit, NaN and out-of-range settings are usage errors.
func TestRBMRejectsBeforeWork(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	_, err := run(t, "rbm", "train", "--hidden", "100000000", "--out", out)
	rbmWantCode(t, err, 2, "limit")
	for _, args := range [][]string{{"--var-lr", "nan"}, {"--lr", "nan"}, {"--lr", "0"}, {"--lr", "-1"},
		{"--weight-decay", "nan"}, {"--momentum", "nan"}, {"--binarize", "nan"}, {"--var-lr", "-1"}} {
		_, err := run(t, append([]string{"rbm", "train", "--out", out}, args...)...)
		rbmWantCode(t, err, 2, args[0])
	}
	_, err = run(t, "dbn", "train", "--hidden", "100000,100000", "--out", out)
	rbmWantCode(t, err, 2, "limit")
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused run left the output folder behind")
	}
}

// An output folder that holds the input data is refused, even with --force,
// before any work.
func TestRBMOutHoldsInput(t *testing.T) {
	tmp := t.TempDir()
	csv := filepath.Join(tmp, "in", "x.csv")
	os.MkdirAll(filepath.Dir(csv), 0o755)
	os.WriteFile(csv, []byte("0,1\n1,0\n"), 0o644)
	for _, cmd := range [][]string{{"rbm", "train", "--hidden", "2"}, {"dbn", "train", "--hidden", "2,2"}, {"bm", "train"}} {
		_, err := run(t, append(cmd, "--data", "csv:"+csv, "--epochs", "1", "--out", filepath.Dir(csv), "--force")...)
		rbmWantCode(t, err, 2, "holds the input")
	}
	if _, err := os.Stat(csv); err != nil {
		t.Errorf("input gone: %v", err)
	}
}

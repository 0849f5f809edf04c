package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
)

// anomalyCSV writes n rows of a 3-column Gaussian cloud with a label column
// (0), followed by k far rows labelled 1.
func anomalyCSV(t *testing.T, n, k int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("a,b,c,label\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%g,%g,%g,0\n", rng.NormFloat64(), 2*rng.NormFloat64(), 10+rng.NormFloat64())
	}
	for i := 0; i < k; i++ {
		fmt.Fprintf(&b, "%g,%g,%g,1\n", 8+rng.NormFloat64(), -9+rng.NormFloat64(), 10+rng.NormFloat64())
	}
	p := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o666); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAnomalyFitScore(t *testing.T) {
	csv := anomalyCSV(t, 300, 10)
	out := filepath.Join(t.TempDir(), "det")
	if _, err := run(t, "anomaly", "fit", "--data", csv, "--label-column", "last", "--out", out,
		"--iters", "60", "--members", "1", "--contamination", "0.05"); err != nil {
		t.Fatal(err)
	}
	scores := filepath.Join(t.TempDir(), "scores.csv")
	if _, err := run(t, "anomaly", "score", "--model", out, "--data", csv, "--labels", "last", "--out", scores, "--norm"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(scores)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 311 || lines[0] != "row,score,flag,score_norm,label" {
		t.Fatalf("%d lines, header %q", len(lines), lines[0])
	}
	// The 10 far rows are flagged.
	for _, l := range lines[301:] {
		if f := strings.Split(l, ","); f[2] != "1" {
			t.Errorf("far row not flagged: %s", l)
		}
	}
	// JSON lines on stdout.
	o, err := run(t, "anomaly", "score", "--model", out, "--data", csv, "--labels", "3", "--format", "jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(o, "\n"); n != 310 || !strings.HasPrefix(o, `{"row":1,"score":`) {
		t.Fatalf("%d JSON lines, starting %.40q", n, o)
	}
	// --novelty (the rows are declared inliers) is recorded with the model.
	clean := anomalyCSV(t, 200, 0)
	nov := filepath.Join(t.TempDir(), "nov")
	if _, err := run(t, "anomaly", "fit", "--data", clean, "--label-column", "last", "--out", nov,
		"--iters", "30", "--members", "1", "--novelty"); err != nil {
		t.Fatal(err)
	}
	mj, err := os.ReadFile(filepath.Join(nov, "model", "model.json"))
	if compact := strings.Join(strings.Fields(string(mj)), ""); err != nil || !strings.Contains(compact, `"novelty":true`) || !strings.Contains(compact, `"trim":0,`) {
		t.Fatalf("model.json %s (%v): novelty not recorded", mj, err)
	}
}

func TestAnomalyBadInput(t *testing.T) {
	dir := t.TempDir()
	csv := anomalyCSV(t, 100, 0)
	det := filepath.Join(dir, "det")
	if _, err := run(t, "anomaly", "fit", "--data", csv, "--label-column", "last", "--out", det, "--members", "0"); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o666); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wide := write("wide.csv", "1,2,3,4,0\n1,2,3,4,0\n")
	nan := write("nan.csv", "1,2,3,0\n1,NaN,3,0\n")
	inf := write("inf.csv", "1,2,3,0\n1,2,+Inf,0\n")
	empty := write("empty.csv", "")
	labels := write("labels.csv", "x,y,z,l\n1,2,3,0\n1,2,3,1\n1,2,3,2\n")
	other := filepath.Join(dir, "other")
	net, err := nn.NewMLP[float32]([]int{3, 4, 1}, nn.SiLU, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	mlp, _ := energy.NewMLPEnergy(net)
	if err := energy.SaveModel(other, mlp, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		substr string
		args   []string
	}{
		{"wide.csv:1: 4 feature columns, the detector was fitted on 3", []string{"--data", wide, "--labels", "last"}},
		{"nan.csv:2: column 2", []string{"--data", nan, "--labels", "last"}},
		{"inf.csv:2: column 3", []string{"--data", inf, "--labels", "last"}},
		{"empty.csv: empty file", []string{"--data", empty}},
		{"labels.csv:4: label 2 is not 0 (normal) or 1 (anomaly)", []string{"--data", labels, "--labels", "last"}},
		{"--format", []string{"--data", csv, "--format", "xml"}},
	} {
		out := filepath.Join(dir, "scores.csv")
		_, err := run(t, append([]string{"anomaly", "score", "--model", det, "--out", out}, c.args...)...)
		wantUsage(t, err, c.substr)
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output written despite the error", c.substr)
		}
	}
	_, err = run(t, "anomaly", "score", "--model", other, "--data", csv, "--labels", "last")
	wantUsage(t, err, `holds a "mlp-energy" model, not an anomaly detector`)
	// Fitting bad files: usage errors, and no output folder.
	for _, f := range []string{nan, empty} {
		out := filepath.Join(dir, "fitout")
		_, err := run(t, "anomaly", "fit", "--data", f, "--out", out)
		wantUsage(t, err, filepath.Base(f))
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output folder left behind", f)
		}
	}
}

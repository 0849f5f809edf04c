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
	"github.com/ebm-go/ebm/train"
)

// TestFlowRoundTrip trains a small flow, evaluates it (ebm flow eval and the
// generic ebm eval), samples it exactly and with a target, and fits one to an
// energy.
func TestFlowRoundTrip(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r")
	js, err := run(t, "flow", "train", "--data", "8gaussians", "--flow", "realnvp:layers=2,hidden=16", "--iters", "100",
		"--test", "2000", "--out", out, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		TestNLL  float64 `json:"test_nll"`
		NLLGrid  float64 `json:"nll_grid"`
		LogZGrid float64 `json:"logz_grid"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	// A flow is normalized: the grid NLL differs from the exact test NLL
	// only by the grid log Z (the mass outside the box, and the midpoint
	// rule's error).
	if math.Abs(rep.NLLGrid-rep.TestNLL-rep.LogZGrid) > 1e-6 || rep.LogZGrid > 0.01 {
		t.Errorf("report %+v", rep)
	}
	for _, f := range []string{"model/model.json", "density.png", "samples.png", "loss.png", "report.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	m := filepath.Join(out, "model")
	if _, err := run(t, "flow", "eval", "--model", m, "--test", "2000", "--json"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "eval", "--model", m, "--n", "100", "--steps", "20", "--quiet", "--json"); err != nil {
		t.Fatal(err)
	}
	// The training folder itself is accepted as --model.
	if _, err := run(t, "flow", "sample", "--model", out, "--n", "50", "--out", filepath.Join(dir, "s"), "--quiet"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "flow", "sample", "--model", m, "--energy", "8gaussians", "--chains", "2", "--steps", "50",
		"--out", filepath.Join(dir, "imh"), "--quiet"); err != nil {
		t.Fatal(err)
	}
	js, err = run(t, "flow", "fit", "--energy", "gauss:dim=2,rho=0.5", "--flow", "realnvp:layers=2,hidden=8", "--iters", "200",
		"--is-draws", "2000", "--out", filepath.Join(dir, "fit"), "--json")
	if err != nil {
		t.Fatal(err)
	}
	var fr struct {
		IS struct {
			LogZ float64 `json:"log_z"`
			ESS  float64 `json:"ess"`
		} `json:"importance"`
		TrueLogZ float64 `json:"true_log_z"`
	}
	if err := json.Unmarshal([]byte(js), &fr); err != nil {
		t.Fatal(err)
	}
	if !(fr.IS.ESS > 0) || math.Abs(fr.IS.LogZ-fr.TrueLogZ) > 0.1 {
		t.Errorf("fit report %s", js)
	}
}

func TestFlowBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "o")
	_, err := run(t, "flow", "train", "--flow", "glow", "--out", out)
	wantUsage(t, err, "unknown flow")
	_, err = run(t, "flow", "train", "--flow", "realnvp:layers=0", "--out", out)
	wantUsage(t, err, "layers")
	_, err = run(t, "flow", "fit", "--out", out)
	wantUsage(t, err, "exactly one of --energy or --model")
	_, err = run(t, "flow", "sample", "--out", out)
	wantUsage(t, err, "--model")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a failed command left %s behind", out)
	}
	// A 2-D flow against 3-D data or a 3-D target.
	m := filepath.Join(dir, "m")
	if _, err := run(t, "flow", "train", "--flow", "realnvp:layers=1,hidden=4", "--iters", "5", "--test", "100",
		"--out", m, "--quiet"); err != nil {
		t.Fatal(err)
	}
	csv := writeCSV(t, "1,2,3\n4,5,6\n7,8,9\n")
	_, err = run(t, "flow", "eval", "--model", filepath.Join(m, "model"), "--data", csv)
	wantUsage(t, err, "dimension 3")
	_, err = run(t, "flow", "sample", "--model", filepath.Join(m, "model"), "--energy", "gauss:dim=3", "--out", out)
	wantUsage(t, err, "dimension 3")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a failed command left %s behind", out)
	}
}

// ebm flow train keeps checkpoints as ebm train does: a run resumed from a
// shorter run's checkpoint ends where an uninterrupted run ends, other
// settings are refused by name, and Ctrl-C keeps a checkpoint and says how
// to continue.
func TestFlowCheckpointResume(t *testing.T) {
	root := t.TempDir()
	flowArgs := func(iters, out string, extra ...string) []string {
		return append([]string{"flow", "train", "--flow", "realnvp:layers=2,hidden=8", "--iters", iters, "--batch", "32",
			"--schedule", "constant", "--seed", "5", "--test", "200", "--checkpoint-every", "10", "--json", "--out", out}, extra...)
	}
	finalLoss := func(js string) float64 {
		t.Helper()
		var r struct {
			FinalLoss float64 `json:"final_loss"`
			Iters     int     `json:"iters"`
		}
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			t.Fatalf("%v: %q", err, js)
		}
		if r.Iters != 40 {
			t.Fatalf("report of %d iterations, want 40", r.Iters)
		}
		return r.FinalLoss
	}
	whole, err := run(t, flowArgs("40", filepath.Join(root, "whole"))...)
	if err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(root, "short")
	if _, err := run(t, flowArgs("20", short)...); err != nil {
		t.Fatal(err)
	}
	ckpt := short + ".ckpt"
	if _, err := os.Stat(filepath.Join(ckpt, train.CheckpointFile)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, cli.ExitUsage, `--flow "realnvp:layers=3,hidden=8"`, "flow", "train", "--flow", "realnvp:layers=3,hidden=8",
		"--iters", "40", "--resume", ckpt, "--out", filepath.Join(root, "bad"))
	resumed, err := run(t, "flow", "train", "--iters", "40", "--resume", ckpt, "--out", filepath.Join(root, "resumed"),
		"--test", "200", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := finalLoss(whole), finalLoss(resumed); a != b {
		t.Fatalf("resumed run ends at loss %v, the uninterrupted one at %v", b, a)
	}
	mb, _ := os.ReadFile(filepath.Join(root, "resumed", "metrics.jsonl"))
	if n := strings.Count(string(mb), "\n"); n < 2 {
		t.Fatalf("resumed metrics log has %d lines", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(root, "cut")
	var eb bytes.Buffer
	stderr := captureStderr(t, func() {
		eb.WriteString(fmt.Sprint(execute(ctx, []string{"flow", "fit", "--energy", "banana", "--flow", "realnvp:layers=1,hidden=4",
			"--iters", "50", "--out", out, "--quiet"}, &eb)))
	})
	if !strings.HasSuffix(eb.String(), "130") || !strings.Contains(stderr, "checkpoint in "+out+".ckpt") ||
		!strings.Contains(stderr, "ebm flow fit --resume") {
		t.Fatalf("exit %s, message %q", eb.String(), stderr)
	}
	if _, err := os.Stat(filepath.Join(out+".ckpt", train.CheckpointFile)); err != nil {
		t.Fatal("the named checkpoint does not exist")
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("an interrupted run wrote its output")
	}
	if _, err := run(t, "flow", "fit", "--iters", "50", "--resume", out+".ckpt", "--out", out, "--quiet", "--is-draws", "200"); err != nil {
		t.Fatal(err)
	}
}

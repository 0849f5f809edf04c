package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jemModelDir trains a small digits model once per test binary run.
func jemModelDir(t *testing.T, weight string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "m"+weight)
	if _, err := run(t, "jem", "train", "--data", "digits", "--test", "digits", "--iters", "60", "--hidden", "16",
		"--weight", weight, "--samples-per-class", "2", "--sample-sampler", "sgld:step=0.1,noise=0.01,steps=5",
		"--sampler", "sgld:step=1,noise=0.01,steps=5", "--buffer", "200", "--out", dir, "--quiet"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestJEMCommands runs train, eval and sample on digits and checks the
// files and the JSON.
func TestJEMCommands(t *testing.T) {
	jm := jemModelDir(t, "1")
	base := jemModelDir(t, "0")
	for _, f := range []string{"model.json", "model.safetensors", "metrics.jsonl", "report.json", "reliability.png", "samples.png"} {
		if _, err := os.Stat(filepath.Join(jm, f)); err != nil {
			t.Errorf("train wrote no %s", f)
		}
	}
	plot := filepath.Join(t.TempDir(), "rel.png")
	out, err := run(t, "jem", "eval", "--model", jm, "--data", "digits", "--ood-uniform", "200", "--plot", plot, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ev jemEvalOutput
	if err := json.Unmarshal([]byte(out), &ev); err != nil || ev.Eval == nil || ev.Eval.N != 297 || len(ev.OOD) != 1 {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := os.Stat(plot); err != nil {
		t.Error("no reliability plot")
	}
	png := filepath.Join(t.TempDir(), "s.png")
	out, err = run(t, "jem", "sample", "--model", jm, "--baseline", base, "--per-class", "2", "--sampler", "sgld:step=0.1,noise=0.01,steps=5",
		"--out", png, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "baseline_agreement") {
		t.Errorf("sample output: %s", out)
	}
	if _, err := os.Stat(png); err != nil {
		t.Error("no samples PNG")
	}
}

// TestJEMBadInput: labels out of range or missing, a class count that does
// not match the model, inputs of the wrong size, bad settings: exit 2 with
// the reason, and nothing written.
func TestJEMBadInput(t *testing.T) {
	jm := jemModelDir(t, "0")
	tmp := t.TempDir()
	csv := func(name, body string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return "csv:" + p
	}
	row64 := strings.Repeat("0,", 64)
	tooMany := csv("k12.csv", row64+"3\n"+row64+"12\n")
	missing := csv("missing.csv", row64+"3\n"+row64+"\n")
	negative := csv("neg.csv", "1,2,0\n3,4,-1\n")
	small := csv("small.csv", "1,2,0\n3,4,1\n")
	out := filepath.Join(tmp, "out")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--model", jm, "--data", tooMany}, "label 12"},
		{[]string{"eval", "--model", jm, "--data", missing}, "missing.csv"},
		{[]string{"eval", "--model", jm, "--data", small}, "the model takes 8×8 images"},
		{[]string{"eval", "--model", jm, "--data", "digits", "--ood", small}, "--ood"},
		{[]string{"eval", "--model", tmp, "--data", "digits"}, "--model"},
		{[]string{"eval", "--model", jm, "--data", "nope"}, "--data"},
		{[]string{"sample", "--model", jm, "--data", small, "--out", filepath.Join(tmp, "x.png")}, "the model takes"},
		{[]string{"train", "--data", negative, "--iters", "5", "--out", out}, "label"},
		{[]string{"train", "--data", "digits", "--test", small, "--iters", "5", "--out", out}, "test"},
		{[]string{"train", "--data", "digits", "--iters", "5", "--sampler", "mala", "--out", out}, "--sampler"},
		{[]string{"train", "--data", "digits", "--iters", "5", "--init", "gauss", "--out", out}, "--init"},
		{[]string{"train", "--data", "digits", "--out", out}, "--iters"},
		{[]string{"train", "--data", "digits", "--iters", "5", "--reinit", "2", "--out", out}, "--reinit"},
		{[]string{"train", "--data", "digits", "--iters", "5", "--act", "wobble", "--out", out}, "--act"},
	}
	for _, c := range cases {
		_, err := run(t, append([]string{"jem"}, c.args...)...)
		wantUsage(t, err, c.want)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed train left %s behind", out)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 4 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files left in the folder: %v", names)
	}
}

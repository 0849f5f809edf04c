package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/rbm"
)

// scoreFixture saves a small MLP energy over 2-D points and returns its folder.
func scoreFixture(t *testing.T, dir string) string {
	t.Helper()
	ms, err := energy.ParseModelSpec("mlp:hidden=8")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ms.Build(2, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "model")
	if err := energy.SaveModel(p, m, &model.Meta{}); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScoreCommand(t *testing.T) {
	dir := t.TempDir()
	m := scoreFixture(t, dir)
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte("a,b,y\n0,0,0\n0.5,0.1,0\n3,-3,1\n-4,2,1\n"), 0o644)
	for _, ext := range []string{"csv", "jsonl", "parquet", "npy"} {
		out := filepath.Join(dir, "scores."+ext)
		stdout, err := run(t, "score", "--model", m, "--data", in, "--labels", "y", "--grad", "--out", out, "--json")
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Rows    int      `json:"rows"`
			Columns []string `json:"columns"`
			AUROC   *float64 `json:"auroc"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Rows != 4 || strings.Join(rep.Columns, ",") != "energy,score_norm" || rep.AUROC == nil {
			t.Fatalf("report %s", stdout)
		}
		if ext == "jsonl" {
			b, _ := os.ReadFile(out)
			if n := strings.Count(string(b), "\n"); n != 4 || !strings.HasPrefix(string(b), `{"energy":`) {
				t.Fatalf("jsonl output:\n%s", b)
			}
			continue
		}
		r, err := data.OpenRows(out, data.RowOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := r.Next(10)
		r.Close()
		if err != nil || b.X.Rows != 4 || b.X.Cols != 2 {
			t.Fatalf("%s: %v %v", out, err, b)
		}
	}
	// The output rule: an existing file needs --force.
	_, err := run(t, "score", "--model", m, "--data", in, "--labels", "y", "--out", filepath.Join(dir, "scores.csv"))
	wantUsage(t, err, "file exists")
}

// TestScoreBadInput: every bad input is a usage error (exit 2) naming the
// problem, and no output file appears.
func TestScoreBadInput(t *testing.T) {
	dir := t.TempDir()
	m := scoreFixture(t, dir)
	dbn, _ := rbm.NewDBN(rbm.Bernoulli, []int{2, 2}, 1)
	dbnDir := filepath.Join(dir, "dbn")
	if err := dbn.Save(dbnDir, nil); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	good := write("good.csv", "1,2\n3,4\n")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"width", []string{"--data", write("w.csv", "1,2,3\n")}, "has 3 feature columns, the model"},
		{"nan", []string{"--data", write("n.csv", "1,2\n3,nan\n")}, `n.csv:2: column 2: "nan" is not finite`},
		{"ragged", []string{"--data", write("r.csv", "1,2\n3,4\n5\n")}, "r.csv:3: 1 fields, want 2"},
		{"empty", []string{"--data", write("e.csv", "")}, "e.csv: empty file"},
		{"labels", []string{"--data", write("l.csv", "1,2,0\n3,4,7\n"), "--labels", "last"}, `l.csv:2: column 3: label "7" is not 0 or 1`},
		{"label file", []string{"--data", good, "--labels", write("y.csv", "0\n2\n")}, "y.csv: row 2: label 2 is not 0 or 1"},
		{"kind", []string{"--data", good, "--model", dbnDir}, `holds a "dbn" model, which is not an energy over points`},
		{"no grad", []string{"--data", write("b.csv", "1,0\n"), "--model", func() string {
			r, _ := rbm.New(rbm.Bernoulli, 2, 2, 1)
			p := filepath.Join(dir, "rbm")
			r.Save(p, nil)
			return p
		}(), "--grad"}, "not an energy with a gradient"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(c.name, " ", "-")+".csv")
			args := append([]string{"score", "--model", m, "--out", out}, c.args...)
			_, err := run(t, args...)
			wantUsage(t, err, c.want)
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("%s written despite the error", out)
			}
		})
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}

func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	_, err := run(t, "serve")
	wantUsage(t, err, "at least one --model")
	_, err = run(t, "serve", "--model", "nodir")
	wantUsage(t, err, "want NAME=DIR")
	_, err = run(t, "serve", "--model", "a="+filepath.Join(dir, "missing"))
	wantUsage(t, err, "serve: model a:")
	m := scoreFixture(t, dir)
	_, err = run(t, "serve", "--model", "a="+m, "--model", "a="+m)
	wantUsage(t, err, `name "a" given twice`)
	_, err = run(t, "serve", "--model", "a="+m, "--addr", "256.0.0.1:1")
	wantUsage(t, err, "--addr")
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/model"
)

const crfTrain = "../../crf/testdata/ner-train.conll"
const crfTest = "../../crf/testdata/ner-test.conll"

func writeText(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCRFTrainTagEval(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	out, err := run(t, "crf", "train", "--data", crfTrain, "--test", crfTest, "--out", dir, "--json", "--algo", "lbfgs:c2=1")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Labels int
		Test   struct {
			Accuracy   float64
			Chunks     struct{ F1 float64 }
			Confidence struct{ Mean, ECE float64 }
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if c := r.Test.Confidence; r.Labels != 7 || r.Test.Accuracy < 0.9 || r.Test.Chunks.F1 < 0.7 || c.Mean < 0.8 || c.Mean > 1 || c.ECE <= 0 || c.ECE > 0.1 {
		t.Fatalf("report %+v", r)
	}
	// eval on the same file gives the numbers train reported.
	checkEvalAccuracy(t, dir, r.Test.Accuracy)
	// tag: an unlabelled file, written atomically to --out.
	in := writeText(t, "in.conll", strings.ReplaceAll("Anna visited Paris .", " ", "\n")+"\n")
	tagged := filepath.Join(t.TempDir(), "tagged.conll")
	if _, err := run(t, "crf", "tag", "--model", dir, "--data", in, "--out", tagged); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(tagged)
	if err != nil || !strings.HasPrefix(string(b), "Anna\tB-PER\nvisited\tO\nParis\tB-LOC\n") {
		t.Fatalf("tagged %q (%v)", b, err)
	}
	// --data -: the same labels from standard input; a bad line is named
	// there.
	root := newRoot()
	var stdout bytes.Buffer
	root.SetIn(strings.NewReader("Anna\nvisited\nParis\n.\n\n"))
	root.SetOut(&stdout)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"crf", "tag", "--model", dir, "--data", "-"})
	if err := root.ExecuteContext(context.Background()); err != nil || stdout.String() != string(b) {
		t.Fatalf("tag --data -: %q (%v), want %q", stdout.String(), err, b)
	}
	root = newRoot()
	root.SetIn(strings.NewReader("Anna x y\n"))
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"crf", "eval", "--model", dir, "--data", "-"})
	err = root.ExecuteContext(context.Background())
	wantUsage(t, err, "standard input:1")
	// --marginals: the same labels, each with its probability.
	out, err = run(t, "crf", "tag", "--model", dir, "--data", in, "--marginals")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("tag --marginals printed %q", out)
	}
	for i, l := range lines {
		f := strings.Split(l, "\t")
		p, err := strconv.ParseFloat(f[len(f)-1], 64)
		if len(f) != 3 || err != nil || !(p > 0 && p <= 1) || f[1] != strings.Split(strings.Split(string(b), "\n")[i], "\t")[1] {
			t.Fatalf("tag --marginals line %d: %q", i+1, l)
		}
	}
	// The output rule: the model folder is replaced only with --force,
	// and the refusal comes before any training.
	wantCode(t, cli.ExitUsage, "pass --force", "crf", "train", "--data", crfTrain, "--out", dir, "--algo", "perceptron:epochs=1")
	if _, err := run(t, "crf", "train", "--data", crfTrain, "--out", dir, "--algo", "perceptron:epochs=1", "--force"); err != nil {
		t.Fatal(err)
	}
}

func TestCRFBadInput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	ragged := writeText(t, "ragged.conll", "a X\nb Y\n\nc Z extra\n")
	_, err := run(t, "crf", "train", "--data", ragged, "--out", dir)
	wantUsage(t, err, "ragged.conll:4:")
	if _, serr := os.Stat(dir); !os.IsNotExist(serr) {
		t.Fatal("output folder created after a failure")
	}
	_, err = run(t, "crf", "train", "--data", writeText(t, "e.conll", "\n\n"), "--out", dir)
	wantUsage(t, err, "no tokens")
	_, err = run(t, "crf", "train", "--data", crfTrain, "--out", dir, "--algo", "lbfgs:c9=1")
	wantUsage(t, err, "c9")
	_, err = run(t, "crf", "train", "--data", crfTrain, "--out", dir, "--window", "9")
	wantUsage(t, err, "window")
	_, err = run(t, "crf", "train", "--data", crfTrain, "--out", dir, "--edge", "l,zz")
	wantUsage(t, err, "edge template")

	// A model folder of another kind.
	other := filepath.Join(t.TempDir(), "other")
	if err := model.Save(other, &model.Meta{Kind: "crf-cli-test-other"}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, "crf", "eval", "--model", other, "--data", crfTest)
	wantUsage(t, err, "crf-cli-test-other")

	// Wrong column count for the model at tag time.
	if _, err := run(t, "crf", "train", "--data", crfTrain, "--out", dir, "--algo", "perceptron:epochs=1", "--quiet"); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, "crf", "tag", "--model", dir, "--data", writeText(t, "w.conll", "a b c\n"))
	wantUsage(t, err, "w.conll:1: 3 column(s)")
	_, err = run(t, "crf", "eval", "--model", dir, "--data", writeText(t, "u.conll", "a\n"))
	wantUsage(t, err, "u.conll:1: 1 column(s)")
}

// TestCRFTrainBigrams: --bigrams adds word-bigram attributes, which the saved
// model keeps (eval on the saved model reproduces the reported accuracy).
func TestCRFTrainBigrams(t *testing.T) {
	var feats [2]int
	for i, extra := range [][]string{nil, {"--bigrams"}} {
		dir := filepath.Join(t.TempDir(), "m")
		args := append([]string{"crf", "train", "--data", crfTrain, "--test", crfTest, "--out", dir, "--json", "--algo", "perceptron:epochs=2"}, extra...)
		out, err := run(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Features int
			Test     struct{ Accuracy float64 }
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		feats[i] = r.Features
		out, err = run(t, "crf", "eval", "--model", dir, "--data", crfTest, "--json")
		var ev struct{ Accuracy float64 }
		if err != nil || json.Unmarshal([]byte(out), &ev) != nil || ev.Accuracy != r.Test.Accuracy {
			t.Fatalf("%v: eval accuracy %v (%v), train reported %v", extra, ev.Accuracy, err, r.Test.Accuracy)
		}
	}
	if feats[1] <= feats[0] {
		t.Fatalf("features without bigrams %d, with %d", feats[0], feats[1])
	}
}

// TestCRFEdgeFeatures trains with edge features (--edge l): the report
// counts them, the saved model tags as the trained one scored, and eval
// of the reloaded model gives the same accuracy.
func TestCRFEdgeFeatures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	out, err := run(t, "crf", "train", "--data", crfTrain, "--test", crfTest, "--out", dir, "--json", "--edge", "l", "--edge-min-count", "1")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		EdgeFeatures int `json:"edge_features"`
		Test         struct{ Accuracy float64 }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if r.EdgeFeatures == 0 || r.Test.Accuracy < 0.9 {
		t.Fatalf("report %+v", r)
	}
	checkEvalAccuracy(t, dir, r.Test.Accuracy)
}

// TestCRFAllPairs: --all-pairs pairs every attribute with every label, and
// the saved model scores as the trained one.
func TestCRFAllPairs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	out, err := run(t, "crf", "train", "--data", crfTrain, "--test", crfTest, "--out", dir, "--json", "--all-pairs")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Labels, Attributes, Features int
		Test                         struct{ Accuracy float64 }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if r.Features != r.Labels*r.Attributes || r.Labels < 2 || r.Test.Accuracy < 0.9 {
		t.Fatalf("report %+v", r)
	}
	checkEvalAccuracy(t, dir, r.Test.Accuracy)
}

// checkEvalAccuracy runs ebm crf eval of the model in dir on the test file
// and checks that it reports the accuracy that train reported.
func checkEvalAccuracy(t *testing.T, dir string, want float64) {
	t.Helper()
	out, err := run(t, "crf", "eval", "--model", dir, "--data", crfTest, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct{ Accuracy float64 }
	if err := json.Unmarshal([]byte(out), &ev); err != nil || ev.Accuracy != want {
		t.Fatalf("eval accuracy %v (%v), train reported %v", ev.Accuracy, err, want)
	}
}

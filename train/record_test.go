package train_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/train"
)

// readIters returns the iterations of the lines of a metrics log.
func readIters(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var its []int
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m train.Metrics
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		its = append(its, m.Iter)
	}
	return its
}

// The log holds one JSON line per record, written as it arrives; events go
// to OnEvent and stay out of the curve; a resume keeps the complete lines up
// to the checkpoint's iteration, drops later ones and a torn last line, and
// continues the curve.
func TestRecorderContinuesHistory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, train.MetricsFile)
	r, err := train.OpenRecorder(path, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	r.OnEvent = func(m train.Metrics) { events = append(events, m.Event) }
	for it := 2; it <= 10; it += 2 {
		r.Record(train.Metrics{Iter: it, Loss: float64(-it)})
		if got := readIters(t, path); len(got) != it/2 {
			t.Fatalf("after iteration %d the file holds %v: lines are not written as they arrive", it, got)
		}
	}
	r.Record(train.Metrics{Iter: 10, Event: "rolled back"})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(events) != "[rolled back]" {
		t.Fatalf("events %v", events)
	}
	its, losses := r.Curve()
	if fmt.Sprint(its, losses) != "[2 4 6 8 10] [-2 -4 -6 -8 -10]" {
		t.Fatalf("curve %v %v", its, losses)
	}
	// A kill tore the last line.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"iter":12,"lo`)
	f.Close()
	// Resume at iteration 6, in place.
	r2, err := train.OpenRecorder(path, path, 6)
	if err != nil {
		t.Fatal(err)
	}
	if its, _ := r2.Curve(); fmt.Sprint(its) != "[2 4 6]" {
		t.Fatalf("resumed curve %v, want [2 4 6]", its)
	}
	r2.Record(train.Metrics{Iter: 8, Loss: -80})
	if err := r2.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readIters(t, path); fmt.Sprint(got) != "[2 4 6 8]" {
		t.Fatalf("resumed log %v, want [2 4 6 8]", got)
	}
	// A missing history is an empty one; the log is new.
	other := filepath.Join(dir, "b.jsonl")
	r3, err := train.OpenRecorder(other, filepath.Join(dir, "none.jsonl"), 100)
	if err != nil {
		t.Fatal(err)
	}
	r3.Close()
	if b, err := os.ReadFile(other); err != nil || len(b) != 0 {
		t.Fatalf("new log %q, %v", b, err)
	}
}

// A log that cannot be created is an error at once.
func TestRecorderBadPath(t *testing.T) {
	if _, err := train.OpenRecorder(filepath.Join(t.TempDir(), "no", "such", "m.jsonl"), "", 0); err == nil {
		t.Fatal("want an error")
	}
}

// Record a run's metrics in metrics.jsonl while it trains, and read the loss
// curve back for a plot.
func ExampleRecorder() {
	dir, _ := os.MkdirTemp("", "ebm-example-")
	defer os.RemoveAll(dir)
	rec, err := train.OpenRecorder(filepath.Join(dir, train.MetricsFile), "", 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	act, _ := nn.ActivationByName("silu")
	net, _ := nn.NewMLP[float32]([]int{2, 16, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 2)))
	model, _ := energy.NewMLPEnergy(net)
	tr := &train.Trainer{
		Model:     model,
		Estimator: &train.SlicedSM[float32]{Projections: 1},
		Data:      &train.Generator{D: 2, Gen: data.EightGaussians, Seed: 1},
		Config:    train.Config{Iters: 20, Batch: 64, LR: 1e-3, Seed: 1, LogEvery: 5, Metrics: rec.Record},
	}
	if _, err := tr.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	if err := rec.Close(); err != nil {
		fmt.Println(err)
		return
	}
	iters, _ := rec.Curve()
	fmt.Println("loss recorded at iterations", iters)
	// Output: loss recorded at iterations [5 10 15 20]
}

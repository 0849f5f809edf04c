package fit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/flow/fit"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// Draw exact samples from a flow into a folder: samples.csv and samples.png.
func ExampleSampleJob() {
	f, err := flow.Parse[float32]("realnvp:layers=2,hidden=8", 2, 1)
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "flow-samples")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	job := &fit.SampleJob{Flow: f, Model: "out/flow/model", N: 500, Chains: 1, Steps: 1, Seed: 1, Out: "out/samples"}
	r, err := job.Run(context.Background(), dir)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Method, r.N, len(r.Mean))
	// Output: exact 500 2
}

// Write points as CSV, one row per line, every value exact (%.17g).
func ExampleWriteCSV() {
	x := tensor.FromSlice(2, 2, []float64{0.1, -2, 1.0 / 3, 4e-9})
	if err := fit.WriteCSV(os.Stdout, x); err != nil {
		panic(err)
	}
	// Output:
	// 0.10000000000000001,-2
	// 0.33333333333333331,4.0000000000000002e-09
}

// Fit a flow to an energy with checkpoints, then continue the run from its
// checkpoint for more iterations; the metrics log covers the whole history.
func ExampleCheckpoints() {
	root, err := os.MkdirTemp("", "flow-fit")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	e, err := energy.NewIsoGaussian([]float64{1, -1}, 0.5)
	if err != nil {
		panic(err)
	}
	live := filepath.Join(root, "live")
	fitFor := func(iters int, resume *train.Snapshot, dir string) *fit.Report {
		f, err := flow.Parse[float32]("realnvp:layers=2,hidden=8", 2, 1)
		if err != nil {
			panic(err)
		}
		job := &fit.FitJob{Flow: f, Energy: e, EnergyName: "gauss", ISDraws: 1000,
			Options:     fit.Options{Iters: iters, Batch: 64, LR: 3e-3, Seed: 1},
			Checkpoints: fit.Checkpoints{Live: live, Every: 50, Resume: resume, From: live}}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			panic(err)
		}
		rep, err := job.Run(context.Background(), dir)
		if err != nil {
			panic(err)
		}
		return rep
	}
	fitFor(100, nil, filepath.Join(root, "first"))
	snap, err := train.LoadCheckpoint(live)
	if err != nil {
		panic(err)
	}
	rep := fitFor(200, snap, filepath.Join(root, "longer"))
	log, _ := os.ReadFile(filepath.Join(root, "longer", train.MetricsFile))
	fmt.Println(snap.Iter, rep.Iters, strings.Count(string(log), "\n"))
	// Output: 100 200 2
}

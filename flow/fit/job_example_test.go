package fit_test

import (
	"context"
	"fmt"
	"os"

	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/flow/fit"
	"github.com/ebm-go/ebm/tensor"
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

package metric_test

import (
	"context"
	"fmt"
	"os"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/sample"
)

// Summarize a comparison of two estimators over three seeds: one row per run,
// then the grid NLL and MMD² of each method as mean ± sample sd.
func ExampleWriteCompareTable() {
	rows := []metric.CompareRow{
		{Method: "ssm", Seed: 0, NLLGrid: 2.90, MMD2: 0.001, ItersPerSec: 500},
		{Method: "ssm", Seed: 1, NLLGrid: 2.92, MMD2: 0.002, ItersPerSec: 500},
		{Method: "ssm", Seed: 2, NLLGrid: 2.94, MMD2: 0.003, ItersPerSec: 500},
	}
	metric.WriteCompareTable(os.Stdout, rows)
	// Output:
	// | method | seed | grid NLL | MMD² | it/s | rollbacks |
	// |---|---|---|---|---|---|
	// | `ssm` | 0 | 2.9000 | 0.0010 | 500 | 0 |
	// | `ssm` | 1 | 2.9200 | 0.0020 | 500 | 0 |
	// | `ssm` | 2 | 2.9400 | 0.0030 | 500 | 0 |
	//
	// | method | seeds | grid NLL (mean ± sd) | MMD² (mean ± sd) |
	// |---|---|---|---|
	// | `ssm` | 0–2 | 2.9200 ± 0.0200 | 0.0020 ± 0.0010 |
}

// Sample a correlated Gaussian with MALA and summarize the run the way
// Stan does: moments, acceptance, R-hat, ESS and the KSD of the draws.
func ExampleNewSampleReport() {
	e, _ := energy.NewEquiGaussian([]float64{0, 0}, 1, 0.8)
	k, _ := sample.NewMALA(e, sample.MALAOptions{Step: 0.3})
	res, err := sample.Run(context.Background(), k, metric.UniformStarts(8, 2, -2, 2, 1),
		sample.Config{Warmup: 1000, Steps: 2000, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := metric.NewSampleReport(res, e, "gauss:rho=0.8", "mala", 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d draws, covariance %.1f, R-hat below 1.01: %v, %d warnings\n",
		r.NSamples, r.Cov[0][1], float64(r.RhatMax) < 1.01, len(r.Warnings))
	// Output: 16000 draws, covariance 0.8, R-hat below 1.01: true, 0 warnings
}

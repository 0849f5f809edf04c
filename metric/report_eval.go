package metric

import (
	"fmt"
	"io"
)

// EvalReport is the record of an evaluation by the protocol of EvalConfig:
// the model and data evaluated, the figures of an EvalResult (non-finite ones
// encode as JSON null) and the model samples' number and sampler.
type EvalReport struct {
	Model     string    `json:"model"`
	Data      string    `json:"data"`
	NLLGrid   *float64  `json:"nll_grid,omitempty"`
	LogZGrid  *float64  `json:"logz_grid,omitempty"`
	MMD2      JSONFloat `json:"mmd2"`
	KSD       JSONFloat `json:"ksd"`
	MeanEData float64   `json:"mean_energy_data"`
	NSamples  int       `json:"n_samples"`
	Sampler   string    `json:"sampler"`
}

// Report returns the EvalReport of r for data named data and n model samples
// drawn by the sampler named sampler (Model is left for the caller).
func (r *EvalResult) Report(data, sampler string, n int) *EvalReport {
	return &EvalReport{Data: data, NLLGrid: r.NLLGrid, LogZGrid: r.LogZGrid, MMD2: JSONFloat(r.MMD2),
		KSD: JSONFloat(r.KSD), MeanEData: r.MeanEData, NSamples: n, Sampler: sampler}
}

// WriteText writes the report for a reader: the grid NLL and log Z when set,
// then MMD², KSD and the mean data energy ("n/a" for undefined figures).
func (r *EvalReport) WriteText(w io.Writer) error {
	if r.NLLGrid != nil {
		fmt.Fprintf(w, "grid NLL %.4f nats, log Z %.4f\n", *r.NLLGrid, *r.LogZGrid)
	}
	_, err := fmt.Fprintf(w, "MMD² %s (%d samples, %s), KSD %s, mean data energy %.4g\n",
		r.MMD2.Text("%.4g"), r.NSamples, r.Sampler, r.KSD.Text("%.4g"), r.MeanEData)
	return err
}

package metric

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// TrainReport summarizes a training run: what was trained, how fast, the
// final loss, and the trained energy's figures on held-out data (see
// Evaluate). Grid figures are nil for energies that are not 2-D.
type TrainReport struct {
	Data        string   `json:"data"`
	Method      string   `json:"method"`
	Iters       int      `json:"iters"`
	Seconds     float64  `json:"seconds"`
	ItersPerSec float64  `json:"iters_per_sec"`
	FinalLoss   float64  `json:"final_loss"`
	NLLGrid     *float64 `json:"nll_grid,omitempty"`
	LogZGrid    *float64 `json:"logz_grid,omitempty"`
	// MeanEData is the mean energy of the held-out points.
	MeanEData   float64 `json:"mean_energy_test"`
	Retries     int     `json:"divergence_rollbacks"`
	Interrupted bool    `json:"interrupted,omitempty"`
	Out         string  `json:"out"`
	// Extra holds method-specific figures, such as NCE's learned log Z.
	Extra map[string]float64 `json:"extra,omitempty"`
}

// Evaluate is the end-of-training check of energy e on held-out points test:
// it sets MeanEData = mean E(test) (energies evaluated in chunks of at most
// evalChunk numbers, so that 10,000 images need no more memory than a few
// hundred) and, for a 2-D energy, NLLGrid and
// LogZGrid from GridNLL(e, test, GridLo, GridHi, GridN). It returns GridNLL's
// error, or CheckGridNLL's *UnusableError for a model whose grid NLL says its
// training diverged or produced garbage (the figures are still set).
func (r *TrainReport) Evaluate(e energy.Energy, test *tensor.Dense[float64]) error {
	if e == nil || test == nil || test.Rows < 1 || test.Cols != e.Dim() {
		return errors.New("metric: TrainReport.Evaluate: need held-out points of the energy's dimension")
	}
	en := make([]float64, test.Rows)
	rows := max(1, evalChunk/test.Cols)
	for start := 0; start < test.Rows; start += rows {
		cnt := min(rows, test.Rows-start)
		e.Energy(tensor.FromSlice(cnt, test.Cols, test.Data[start*test.Cols:(start+cnt)*test.Cols]), en[start:start+cnt])
	}
	r.MeanEData = mean(en)
	if e.Dim() != 2 {
		return nil
	}
	nll, lz, err := GridNLL(e, test, GridLo, GridHi, GridN)
	if err != nil {
		return err
	}
	r.NLLGrid, r.LogZGrid = &nll, &lz
	return CheckGridNLL(nll)
}

// evalChunk is the number of coordinates (rows × columns) TrainReport.Evaluate
// hands the energy at a time.
const evalChunk = 1 << 18

// Metrics returns the report's finite figures by name, for a model's saved
// metadata: iters_per_sec, final_loss, nll_grid and logz_grid (when set) and
// every Extra figure.
func (r *TrainReport) Metrics() map[string]float64 {
	m := map[string]float64{"iters_per_sec": r.ItersPerSec, "final_loss": r.FinalLoss}
	if r.NLLGrid != nil {
		m["nll_grid"], m["logz_grid"] = *r.NLLGrid, *r.LogZGrid
	}
	for k, v := range r.Extra {
		m[k] = v
	}
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m, k)
		}
	}
	return m
}

// WriteText writes the report for a reader: speed and final loss, then the
// grid NLL and log Z when set.
func (r *TrainReport) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "trained %s on %s: %d iterations in %.1fs (%.1f it/s), final loss %.4g\n",
		r.Method, r.Data, r.Iters, r.Seconds, r.ItersPerSec, r.FinalLoss)
	if err == nil && r.NLLGrid != nil {
		_, err = fmt.Fprintf(w, "grid NLL %.4f nats (log Z %.4f)\n", *r.NLLGrid, *r.LogZGrid)
	}
	return err
}

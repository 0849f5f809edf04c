package fit

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/tensor"
)

// Report summarizes a flow's fit: training figures, the exact test NLL
// (−mean log q over held-out points; a flow's log q needs no log Z), the
// grid NLL of the 2-D protocol (metric.GridNLL over [−4, 4]², which
// renormalizes the flow inside the box) and, for fits to an energy, the
// importance-sampling log Z.
type Report struct {
	Job         string         `json:"job"` // "train", "fit" or "eval"
	Flow        string         `json:"flow"`
	Data        string         `json:"data,omitempty"`
	Energy      string         `json:"energy,omitempty"`
	Iters       int            `json:"iters,omitempty"`
	Seconds     float64        `json:"seconds,omitempty"`
	ItersPerSec float64        `json:"iters_per_sec,omitempty"`
	FinalLoss   *float64       `json:"final_loss,omitempty"`
	Retries     int            `json:"retries,omitempty"`
	TestNLL     *float64       `json:"test_nll,omitempty"`
	TestNLLSE   *float64       `json:"test_nll_se,omitempty"`
	NLLGrid     *float64       `json:"nll_grid,omitempty"`
	LogZGrid    *float64       `json:"logz_grid,omitempty"`
	IS          *flow.ISResult `json:"importance,omitempty"`
	TrueLogZ    *float64       `json:"true_log_z,omitempty"`
	Out         string         `json:"out,omitempty"`
	Extra       map[string]any `json:"extra,omitempty"`
}

// EvaluateData fills the test NLL (exact, with its standard error) and, for
// 2-D flows, the grid NLL on the held-out points test.
func (r *Report) EvaluateData(f energy.Energy, test *tensor.Dense[float64]) error {
	if test == nil || test.Rows < 2 || test.Cols != f.Dim() {
		return errors.New("fit: evaluation needs at least 2 held-out points of the flow's dimension")
	}
	e := make([]float64, test.Rows)
	f.Energy(test, e)
	var s, s2 float64
	for i, v := range e {
		if math.IsInf(v, 1) {
			return fmt.Errorf("fit: held-out point %d %v has density 0 under the flow (outside its support, such as the box of a flow with box=c): the test NLL is infinite", i, test.Row(i))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("fit: −log q of held-out point %d is %v", i, v)
		}
		s += v
		s2 += v * v
	}
	n := float64(len(e))
	m := s / n
	se := math.Sqrt(math.Max(s2/n-m*m, 0) / n)
	r.TestNLL, r.TestNLLSE = &m, &se
	if f.Dim() == 2 {
		nll, lz, err := metric.GridNLL(f, test, metric.GridLo, metric.GridHi, metric.GridN)
		if err != nil {
			return err
		}
		r.NLLGrid, r.LogZGrid = &nll, &lz
	}
	return nil
}

// Metrics returns the report's figures by name for a model's metadata.
func (r *Report) Metrics() map[string]float64 {
	m := map[string]float64{}
	put := func(k string, v *float64) {
		if v != nil && !math.IsNaN(*v) && !math.IsInf(*v, 0) {
			m[k] = *v
		}
	}
	if r.ItersPerSec > 0 {
		m["iters_per_sec"] = r.ItersPerSec
	}
	put("final_loss", r.FinalLoss)
	put("test_nll", r.TestNLL)
	put("nll_grid", r.NLLGrid)
	put("logz_grid", r.LogZGrid)
	if r.IS != nil {
		put("is_log_z", &r.IS.LogZ)
		put("is_log_z_se", &r.IS.SE)
		put("is_ess", &r.IS.ESS)
	}
	return m
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("flow %s: %s\n", r.Job, r.Flow)
	if r.Data != "" {
		p("  data            %s\n", r.Data)
	}
	if r.Energy != "" {
		p("  energy          %s\n", r.Energy)
	}
	if r.Iters > 0 {
		p("  iterations      %d in %.1f s (%.1f it/s)", r.Iters, r.Seconds, r.ItersPerSec)
		if r.Retries > 0 {
			p(", %d divergence rollbacks", r.Retries)
		}
		p("\n")
	}
	if r.FinalLoss != nil {
		p("  final loss      %.4f\n", *r.FinalLoss)
	}
	if r.TestNLL != nil {
		p("  test NLL        %.4f ± %.4f (exact −log q, held-out points)\n", *r.TestNLL, *r.TestNLLSE)
	}
	if r.NLLGrid != nil {
		p("  grid NLL        %.4f (grid log Z %.4f over [-4,4]², 300×300)\n", *r.NLLGrid, *r.LogZGrid)
	}
	if r.IS != nil {
		p("  IS log Z        %.4f ± %.4f (ESS %.0f of %d, %.1f%%)", r.IS.LogZ, r.IS.SE, r.IS.ESS, r.IS.N, 100*r.IS.ESSFrac)
		if r.TrueLogZ != nil {
			p("; true log Z %.4f", *r.TrueLogZ)
		}
		p("\n")
	}
	for k, v := range r.Extra {
		p("  %-15s %v\n", k, v)
	}
	if r.Out != "" {
		p("wrote %s\n", r.Out)
	}
	return nil
}

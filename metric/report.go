package metric

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/ebm-go/ebm/diag"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// JSONFloat is a float64 that JSON encodes NaN and ±Inf as null (JSON has no
// NaN) and decodes null as NaN.
type JSONFloat float64

// MarshalJSON writes v as a JSON number, or null when v is not finite.
func (v JSONFloat) MarshalJSON() ([]byte, error) {
	if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
		return json.Marshal(f)
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads a JSON number, or null as NaN.
func (v *JSONFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*v = JSONFloat(math.NaN())
		return nil
	}
	return json.Unmarshal(b, (*float64)(v))
}

// Text formats v with the fmt verb format, or returns "n/a" for NaN.
func (v JSONFloat) Text(format string) string {
	if math.IsNaN(float64(v)) {
		return "n/a"
	}
	return fmt.Sprintf(format, float64(v))
}

// KSDDraws is the number of draws, spread evenly over all chains and
// iterations (see EvenDraws), on which NewSampleReport computes the KSD.
const KSDDraws = 2000

// SampleReport summarizes an MCMC run the way Stan's summary does: the
// moments of the pooled draws, the sampler's acceptance, step size and
// divergences, the worst rank-normalized split-R̂ and bulk and tail ESS over
// the coordinates, one diag.Summary row per coordinate, and the kernel Stein
// discrepancy KSD² (IMQ kernel, see KSDEnergy) of KSDDraws thinned draws
// against the energy's score. Non-finite figures encode as JSON null.
type SampleReport struct {
	Energy   string `json:"energy"`
	Sampler  string `json:"sampler"`
	Chains   int    `json:"chains"`
	NSamples int    `json:"n_samples"`
	Dim      int    `json:"dim"`
	// Mean and Cov are the mean and covariance (divisor N−1) of all draws.
	Mean []float64   `json:"mean"`
	Cov  [][]float64 `json:"cov"`
	// AcceptRate and AcceptProb are the chains' mean accepted fraction and
	// mean acceptance probability; StepSize is the median of the chains' step
	// sizes; Divergences counts divergent transitions after warm-up.
	AcceptRate  float64 `json:"accept_rate"`
	AcceptProb  float64 `json:"mean_accept_prob"`
	StepSize    float64 `json:"step_size_median"`
	Divergences int     `json:"divergences"`
	// RhatMax, ESSBulkMin and ESSTailMin are the worst over the coordinates
	// (sample.Diagnostics).
	RhatMax    JSONFloat `json:"rhat_max"`
	ESSBulkMin JSONFloat `json:"ess_bulk_min"`
	ESSTailMin JSONFloat `json:"ess_tail_min"`
	// KSD is KSD² of KSDPoints draws; NaN if it cannot be computed.
	KSD       JSONFloat `json:"ksd"`
	KSDPoints int       `json:"ksd_points"`
	// Seconds is the wall-clock time of the run (sample.Result.Elapsed:
	// warm-up and sampling, not this report).
	Seconds float64 `json:"seconds"`
	Seed    uint64  `json:"seed"`
	// Summary has one row per coordinate x0, x1, …; empty with fewer than 4
	// draws per chain.
	Summary diag.Table `json:"summary,omitempty"`
	// Warnings are Stan-style convergence warnings (sample.Diagnostics
	// Warnings); none for runs that keep one draw per chain.
	Warnings []string `json:"warnings,omitempty"`
}

// NewSampleReport builds the SampleReport of run res of energy e; name and
// sampler name the energy and the sampler, and seed is the run's seed. It
// returns an error for a nil or empty run or a dimension mismatch.
func NewSampleReport(res *sample.Result, e energy.GradEnergy, name, sampler string, seed uint64) (*SampleReport, error) {
	if res == nil || res.Chains < 1 || res.Kept < 1 || e == nil {
		return nil, errors.New("metric: NewSampleReport: no draws or no energy")
	}
	if e.Dim() != res.Dim {
		return nil, fmt.Errorf("metric: NewSampleReport: energy dimension %d, draws %d", e.Dim(), res.Dim)
	}
	r := &SampleReport{Energy: name, Sampler: sampler, Chains: res.Chains, NSamples: res.Chains * res.Kept,
		Dim: res.Dim, Mean: res.Mean(), Cov: res.Cov(), Seconds: res.Elapsed.Seconds(), Seed: seed,
		AcceptRate: mean(res.AcceptRate), AcceptProb: mean(res.MeanAcceptProb), StepSize: median(res.StepSize)}
	dg := res.Diagnostics()
	r.Divergences = dg.Divergences
	r.RhatMax, r.ESSBulkMin, r.ESSTailMin = JSONFloat(dg.MaxRhat), JSONFloat(dg.MinESSBulk), JSONFloat(dg.MinESSTail)
	if res.Kept > 1 { // annealed runs keep one draw per chain: no chains to compare
		r.Warnings = dg.Warnings()
	}
	if res.Kept >= 4 {
		names := make([]string, res.Dim)
		draws := make([][][]float64, res.Dim)
		for j := range names {
			names[j], draws[j] = fmt.Sprintf("x%d", j), res.Draws(j)
		}
		r.Summary, _ = diag.Summary(names, draws)
	}
	pts := EvenDraws(res, KSDDraws)
	r.KSDPoints, r.KSD = pts.Rows, JSONFloat(math.NaN())
	if k, err := KSDEnergy(e, pts); err == nil {
		r.KSD = JSONFloat(k)
	}
	return r, nil
}

// WriteText writes the report for a reader: a title line, the summary table,
// then acceptance and diagnostics ("n/a" for figures that are undefined).
func (r *SampleReport) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%s with %s: %d chains, %d draws, %s\n", r.Energy, r.Sampler, r.Chains, r.NSamples, FormatSeconds(r.Seconds))
	if len(r.Summary) > 0 {
		r.Summary.WriteTable(w)
	}
	fmt.Fprintf(w, "accept rate %.3f (mean accept prob %.3f), median step %.4g, divergences %d\n",
		r.AcceptRate, r.AcceptProb, r.StepSize, r.Divergences)
	_, err := fmt.Fprintf(w, "R-hat max %s, ESS bulk min %s, ESS tail min %s, KSD %s (%d draws)\n",
		r.RhatMax.Text("%.4f"), r.ESSBulkMin.Text("%.0f"), r.ESSTailMin.Text("%.0f"), r.KSD.Text("%.3g"), r.KSDPoints)
	return err
}

// FormatSeconds formats a duration in seconds for a reader with three
// significant digits below 10 s ("0.00512s", "2.12s") and whole seconds above.
func FormatSeconds(s float64) string {
	if s >= 10 {
		return fmt.Sprintf("%.0fs", s)
	}
	return fmt.Sprintf("%.3gs", s)
}

// EvenDraws returns min(max, N) of the N = Chains·Kept draws of res as a
// matrix, one per row: draw ⌊i·N/k⌋ in chain-major order for row i of k, so
// the rows spread evenly over all chains and iterations.
func EvenDraws(res *sample.Result, max int) *tensor.Dense[float64] {
	n := res.Chains * res.Kept
	k := min(n, max)
	x := tensor.New[float64](k, res.Dim)
	for i := range k {
		src := i * n / k
		copy(x.Row(i), res.Data[src*res.Dim:(src+1)*res.Dim])
	}
	return x
}

// mean returns the mean of v (0 for an empty slice).
func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(max(len(v), 1))
}

// median returns the median of v (the mean of the middle two for an even
// length; NaN for an empty slice).
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

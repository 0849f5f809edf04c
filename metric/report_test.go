package metric_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// runMALA samples the standard 2-D Gaussian with MALA: 8 chains.
func runMALA(t testing.TB, steps int) (*sample.Result, energy.GradEnergy) {
	t.Helper()
	e, err := energy.NewEquiGaussian([]float64{0, 0}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	k, err := sample.NewMALA(e, sample.MALAOptions{Step: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sample.Run(context.Background(), k, metric.UniformStarts(8, 2, -2, 2, 1),
		sample.Config{Warmup: 500, Steps: steps, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return res, e
}

// The report's moments match the target N(0, I) within 4 Monte Carlo
// standard errors (sd/√ESS), its figures are those of the run, and its KSD is
// computed on KSDDraws evenly spread draws.
func TestSampleReport(t *testing.T) {
	res, e := runMALA(t, 2000)
	r, err := metric.NewSampleReport(res, e, "gauss", "mala", 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.NSamples != 16000 || r.Chains != 8 || r.Dim != 2 || r.KSDPoints != metric.KSDDraws || r.Seed != 1 {
		t.Fatalf("shape: %+v", r)
	}
	for j := range 2 {
		se := 1 / math.Sqrt(float64(r.ESSBulkMin))
		if math.Abs(r.Mean[j]) > 4*se || math.Abs(r.Cov[j][j]-1) > 4*math.Sqrt(2)*se {
			t.Errorf("x%d: mean %.4f, var %.4f (SE %.4f)", j, r.Mean[j], r.Cov[j][j], se)
		}
	}
	if len(r.Summary) != 2 || r.Summary[1].Name != "x1" || r.Summary[0].Mean != r.Mean[0] {
		t.Errorf("summary %+v", r.Summary)
	}
	if r.Seconds != res.Elapsed.Seconds() || r.Seconds <= 0 {
		t.Errorf("seconds %v, run %v", r.Seconds, res.Elapsed)
	}
	if !(r.AcceptRate > 0 && r.AcceptRate <= 1) || math.IsNaN(float64(r.KSD)) || float64(r.RhatMax) > 1.01 {
		t.Errorf("accept %v, KSD %v, R-hat %v", r.AcceptRate, r.KSD, r.RhatMax)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "gauss with mala: 8 chains, 16000 draws, ") || !strings.Contains(b.String(), "R-hat max") {
		t.Errorf("text:\n%s", b.String())
	}
	if _, err := metric.NewSampleReport(nil, e, "", "", 0); err == nil {
		t.Error("nil run: no error")
	}
}

// Non-finite figures encode as null and decode as NaN.
func TestJSONFloat(t *testing.T) {
	in := struct{ A, B, C metric.JSONFloat }{metric.JSONFloat(math.NaN()), metric.JSONFloat(math.Inf(1)), 1.5}
	js, err := json.Marshal(in)
	if err != nil || string(js) != `{"A":null,"B":null,"C":1.5}` {
		t.Fatalf("%s, %v", js, err)
	}
	in.C = 0
	if err := json.Unmarshal(js, &in); err != nil || !math.IsNaN(float64(in.A)) || in.C != 1.5 {
		t.Fatalf("%+v, %v", in, err)
	}
	if in.A.Text("%.2f") != "n/a" || in.C.Text("%.2f") != "1.50" {
		t.Errorf("text %q %q", in.A.Text("%.2f"), in.C.Text("%.2f"))
	}
}

func TestFormatSeconds(t *testing.T) {
	for _, c := range []struct {
		s    float64
		want string
	}{{0.004123, "0.00412s"}, {0.0516, "0.0516s"}, {2.125, "2.12s"}, {123.4, "123s"}} {
		if got := metric.FormatSeconds(c.s); got != c.want {
			t.Errorf("FormatSeconds(%v) = %q, want %q", c.s, got, c.want)
		}
	}
}

// EvenDraws picks draw ⌊i·N/k⌋ in chain-major order.
func TestEvenDraws(t *testing.T) {
	res := &sample.Result{Chains: 2, Kept: 5, Dim: 1, Data: []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
	x := metric.EvenDraws(res, 4)
	want := []float64{0, 2, 5, 7}
	if x.Rows != 4 || !equal(x.Data, want) {
		t.Errorf("got %v, want %v", x.Data, want)
	}
	if all := metric.EvenDraws(res, 100); all.Rows != 10 || !equal(all.Data, res.Data) {
		t.Errorf("all: %v", all.Data)
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Mean and sample standard deviation per method, against hand-computed
// values; one run gives sd NaN.
func TestSummarizeCompare(t *testing.T) {
	rows := []metric.CompareRow{
		{Method: "a", Seed: 0, NLLGrid: 3, MMD2: 0.01},
		{Method: "b", Seed: 0, NLLGrid: 5, MMD2: 0.5},
		{Method: "a", Seed: 1, NLLGrid: 4, MMD2: 0.02},
		{Method: "a", Seed: 2, NLLGrid: 8, MMD2: 0.03},
	}
	s := metric.SummarizeCompare(rows)
	if len(s) != 2 || s[0].Method != "a" || s[1].Method != "b" || len(s[0].Seeds) != 3 {
		t.Fatalf("%+v", s)
	}
	// a: NLL 3, 4, 8: mean 5, sd √((4+1+9)/2) = √7; MMD² mean 0.02, sd 0.01.
	if s[0].NLLMean != 5 || math.Abs(float64(s[0].NLLSD)-math.Sqrt(7)) > 1e-12 ||
		math.Abs(float64(s[0].MMD2Mean)-0.02) > 1e-15 || math.Abs(float64(s[0].MMD2SD)-0.01) > 1e-15 {
		t.Errorf("a: %+v", s[0])
	}
	if s[1].NLLMean != 5 || !math.IsNaN(float64(s[1].NLLSD)) {
		t.Errorf("b: %+v", s[1])
	}
	var b bytes.Buffer
	if err := metric.WriteCompareTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| `a` | 0–2 | 5.0000 ± 2.6458 | 0.0200 ± 0.0100 |") ||
		!strings.Contains(b.String(), "| `b` | 0 | 5.0000 ± n/a |") {
		t.Errorf("table:\n%s", b.String())
	}
	b.Reset()
	metric.WriteCompareTable(&b, rows[:2])
	if strings.Contains(b.String(), "mean ± sd") {
		t.Errorf("one seed per method: no summary expected:\n%s", b.String())
	}
}

// quadratic is E(x) = |x|²/2 in d dimensions (N(0, I), log Z = (d/2)·log 2π).
type quadratic struct{ d int }

func (q quadratic) Dim() int { return q.d }
func (q quadratic) Energy(x *tensor.Dense[float64], e []float64) {
	for i := range e {
		s := 0.0
		for _, v := range x.Row(i) {
			s += v * v
		}
		e[i] = s / 2
	}
}

// TrainReport.Evaluate agrees with GridNLL and the mean energy; a 3-D energy
// gets no grid figures; Metrics keeps only finite figures.
func TestTrainReportEvaluate(t *testing.T) {
	test := tensor.FromSlice(2, 2, []float64{0, 0, 1, 1})
	r := &metric.TrainReport{ItersPerSec: 10, FinalLoss: math.NaN(), Extra: map[string]float64{"nce_logz": 1.5}}
	if err := r.Evaluate(quadratic{2}, test); err != nil {
		t.Fatal(err)
	}
	nll, lz, _ := metric.GridNLL(quadratic{2}, test, metric.GridLo, metric.GridHi, metric.GridN)
	if r.MeanEData != 0.5 || *r.NLLGrid != nll || *r.LogZGrid != lz || math.Abs(lz-math.Log(2*math.Pi)) > 1e-3 {
		t.Errorf("mean E %v, NLL %v (want %v), log Z %v", r.MeanEData, *r.NLLGrid, nll, lz)
	}
	m := r.Metrics()
	if _, ok := m["final_loss"]; ok || m["nce_logz"] != 1.5 || m["nll_grid"] != nll || len(m) != 4 {
		t.Errorf("metrics %v", m)
	}
	r3 := &metric.TrainReport{}
	if err := r3.Evaluate(quadratic{3}, tensor.New[float64](2, 3)); err != nil || r3.NLLGrid != nil || r3.MeanEData != 0 {
		t.Errorf("3-D: %v, %+v", err, r3)
	}
	if err := r.Evaluate(quadratic{3}, test); err == nil {
		t.Error("dimension mismatch: no error")
	}
}

// maxBatch is the quadratic energy, recording the largest batch it was given.
type maxBatch struct {
	quadratic
	rows *int
}

func (m maxBatch) Energy(x *tensor.Dense[float64], e []float64) {
	*m.rows = max(*m.rows, x.Rows)
	m.quadratic.Energy(x, e)
}

// TrainReport.Evaluate hands a large test set to the energy in chunks (of at
// most 2^18 numbers) and gets the mean of every row's energy.
func TestTrainReportEvaluateChunks(t *testing.T) {
	const n, d = 1000, 700
	test := tensor.New[float64](n, d)
	want := 0.0
	for i := 0; i < n; i++ {
		row := test.Row(i)
		row[i%d] = float64(i)
		want += float64(i) * float64(i) / 2
	}
	rows := 0
	r := &metric.TrainReport{}
	if err := r.Evaluate(maxBatch{quadratic{d}, &rows}, test); err != nil {
		t.Fatal(err)
	}
	if rows*d > 1<<18 || rows < 1 {
		t.Errorf("largest batch %d rows of %d", rows, d)
	}
	if math.Abs(r.MeanEData-want/n) > 1e-9*want/n {
		t.Errorf("mean E %v, want %v", r.MeanEData, want/n)
	}
}

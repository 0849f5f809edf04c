package metric

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/stein"
	"github.com/ebm-go/ebm/tensor"
)

// KSDTestOptions configures KSDTest.
type KSDTestOptions struct {
	// Kernel is "imq" (the default: k = (c² + ‖a−b‖²)^β) or "rbf"
	// (k = exp(−‖a−b‖²/(2h²))).
	Kernel string
	// C and Beta are the IMQ parameters (0: IMQC = 1 and IMQBeta = −1/2).
	C, Beta float64
	// Bandwidth is the RBF h (0: the median heuristic, the median distance
	// between sample points).
	Bandwidth float64
	// Bootstrap is the number of wild-bootstrap draws (0: 1000).
	Bootstrap int
	// Correlation, if positive, is the correlation length l (in draws) of the
	// multipliers for serially dependent samples such as an MCMC chain in
	// order (Chwialkowski, Strathmann & Gretton 2016): W_t = a W_{t−1} +
	// √(1−a²) ε_t, a = exp(−1/l), ε_t ~ N(0, 1). 0: independent Rademacher
	// multipliers, valid for independent draws (thinned chains).
	Correlation float64
	// Seed seeds the multipliers (PCG).
	Seed uint64
}

// KSDTestResult is the outcome of a KSD goodness-of-fit test.
type KSDTestResult struct {
	N int `json:"n"`
	// KSD2 is the U-statistic estimate of KSD² (unbiased; may be negative).
	KSD2 float64 `json:"ksd2"`
	// PValue is the wild-bootstrap p-value (1 + #{B* ≥ B})/(1 + draws).
	PValue    float64 `json:"p_value"`
	Bootstrap int     `json:"bootstrap"`
	Kernel    string  `json:"kernel"`
	// Bandwidth is the RBF h used, or the IMQ c.
	Bandwidth float64 `json:"bandwidth"`
}

// KSDTest tests whether the rows of x (n×d) are draws from p, given the
// scores s(xᵢ) = ∇ log p(xᵢ) = −∇E(xᵢ) as the rows of score. The statistic is
// the U-statistic
//
//	KSD²_u = 1/(n(n−1)) Σ_{i≠j} u(xᵢ, xⱼ)
//
// of the Langevin–Stein kernel u (see KSD), which is degenerate under the
// null, so its null law is approximated by the wild bootstrap (Liu, Lee &
// Jordan 2016; Chwialkowski, Strathmann & Gretton 2016):
//
//	B* = 1/(n(n−1)) Σ_{i≠j} Wᵢ Wⱼ u(xᵢ, xⱼ)
//
// with Rademacher multipliers W (or, with Correlation, a Gaussian AR(1)
// sequence for dependent draws); the p-value is the fraction of draws with
// B* ≥ KSD²_u. Under the null the test rejects at level α with probability α
// (asymptotically, for independent draws). MCMC output should be thinned to
// roughly independent draws (keep every ⌈n/ESS⌉-th point) or tested with
// Correlation set: with correlated draws and independent multipliers the test
// rejects too often. Cost O(n²d + Bootstrap·n²).
func KSDTest(x, score *tensor.Dense[float64], o KSDTestOptions) (*KSDTestResult, error) {
	if x == nil || score == nil {
		return nil, errors.New("metric: KSDTest: nil input")
	}
	if err := checkMatrix("x", x, 2); err != nil {
		return nil, fmt.Errorf("metric: KSDTest: %w", err)
	}
	if err := checkMatrix("score", score, 2); err != nil {
		return nil, fmt.Errorf("metric: KSDTest: %w", err)
	}
	if !x.SameShape(score) {
		return nil, fmt.Errorf("metric: KSDTest: x is %s but score is %s", x.Shape(), score.Shape())
	}
	k, err := o.kernel(x)
	if err != nil {
		return nil, err
	}
	B := o.Bootstrap
	if B == 0 {
		B = 1000
	}
	if B < 1 {
		return nil, fmt.Errorf("metric: KSDTest: bootstrap draws must be ≥ 1, got %d", B)
	}
	if !(o.Correlation >= 0) || math.IsInf(o.Correlation, 0) {
		return nil, fmt.Errorf("metric: KSDTest: correlation length must be ≥ 0 and finite, got %v", o.Correlation)
	}
	n := x.Rows
	h := stein.Matrix(x, score, k, nil)
	stat := 0.0
	for i := 0; i < n; i++ {
		h.Data[i*n+i] = 0
		for _, v := range h.Data[i*n : (i+1)*n] {
			stat += v
		}
	}
	norm := float64(n) * float64(n-1)
	stat /= norm
	rng := rand.New(rand.NewPCG(o.Seed, 0x6b73647465737421))
	w := make([]float64, n)
	a := 0.0
	if o.Correlation > 0 {
		a = math.Exp(-1 / o.Correlation)
	}
	exceed := 0
	for b := 0; b < B; b++ {
		if a > 0 {
			w[0] = rng.NormFloat64()
			for t := 1; t < n; t++ {
				w[t] = a*w[t-1] + math.Sqrt(1-a*a)*rng.NormFloat64()
			}
		} else {
			for t := range w {
				w[t] = 1
				if rng.Uint64()&1 == 0 {
					w[t] = -1
				}
			}
		}
		s := 0.0
		for i := 0; i < n; i++ {
			row := h.Data[i*n : (i+1)*n]
			r := 0.0
			for j, v := range row {
				r += v * w[j]
			}
			s += w[i] * r
		}
		if s/norm >= stat {
			exceed++
		}
	}
	bw := k.H
	if k.Kind == stein.IMQ {
		bw = k.C
	}
	return &KSDTestResult{N: n, KSD2: stat, PValue: float64(1+exceed) / float64(1+B), Bootstrap: B, Kernel: k.Kind, Bandwidth: bw}, nil
}

func (o KSDTestOptions) kernel(x *tensor.Dense[float64]) (stein.Kernel, error) {
	k := stein.Kernel{Kind: o.Kernel, C: o.C, Beta: o.Beta, H: o.Bandwidth}
	switch k.Kind {
	case "", stein.IMQ:
		k.Kind = stein.IMQ
		if k.C == 0 {
			k.C = IMQC
		}
		if k.Beta == 0 {
			k.Beta = IMQBeta
		}
	case stein.RBF:
		if k.H == 0 {
			k.H = stein.MedianBandwidth(x)
		}
	}
	if err := k.Validate(); err != nil {
		return k, fmt.Errorf("metric: KSDTest: %w", err)
	}
	return k, nil
}

// KSDTestEnergy runs KSDTest on the sample x (n×d, d = e.Dim()) against
// p ∝ exp(−E), the scores −∇E computed by e.EnergyGrad. It works with any
// energy that has a gradient, a saved model loaded by energy.LoadGrad included.
func KSDTestEnergy(e energy.GradEnergy, x *tensor.Dense[float64], o KSDTestOptions) (*KSDTestResult, error) {
	if e == nil {
		return nil, errors.New("metric: KSDTestEnergy: nil energy")
	}
	if err := checkMatrix("x", x, 2); err != nil {
		return nil, fmt.Errorf("metric: KSDTestEnergy: %w", err)
	}
	if x.Cols != e.Dim() {
		return nil, fmt.Errorf("metric: KSDTestEnergy: the sample has %d columns but the model has dimension %d", x.Cols, e.Dim())
	}
	g := tensor.New[float64](x.Rows, x.Cols)
	en := make([]float64, x.Rows)
	e.EnergyGrad(x, en, g)
	for i, v := range g.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("metric: KSDTestEnergy: non-finite energy gradient %v at sample row %d", v, i/x.Cols)
		}
		g.Data[i] = -v
	}
	return KSDTest(x, g, o)
}

// KSDSamples is a sample read for a KSD test.
type KSDSamples struct {
	X *tensor.Dense[float64]
	// Chains is the number of chains found (1 without a chain column).
	Chains int
	// Rows is the number of rows in the file, before thinning.
	Rows int
}

// LoadKSDSamples reads the sample of a KSD test from a CSV file: one point per
// row, an optional header, and, when the first header name is "chain" (the
// samples.csv of ebm sample), a chain column that is dropped. With thin > 1
// every thin-th row of each chain is kept (the first row of a chain first),
// which turns correlated MCMC draws into nearly independent ones when thin is
// about n/ESS. Errors name the file, line and column.
func LoadKSDSamples(path string, thin int) (*KSDSamples, error) {
	if thin < 1 {
		return nil, fmt.Errorf("metric: thinning must be ≥ 1, got %d", thin)
	}
	ds, err := data.LoadCSV(path, data.CSVOptions{LabelColumn: data.NoLabel})
	if err != nil {
		return nil, err
	}
	x := ds.X
	var chain []float64
	if len(ds.Names) > 1 && ds.Names[0] == "chain" {
		d := x.Cols - 1
		chain = make([]float64, x.Rows)
		y := tensor.New[float64](x.Rows, d)
		for i := 0; i < x.Rows; i++ {
			chain[i] = x.Data[i*x.Cols]
			copy(y.Data[i*d:(i+1)*d], x.Data[i*x.Cols+1:(i+1)*x.Cols])
		}
		x = y
	}
	s := &KSDSamples{Rows: x.Rows, Chains: 1}
	keep := make([]int, 0, x.Rows)
	pos := 0
	for i := 0; i < x.Rows; i++ {
		if i > 0 && chain != nil && chain[i] != chain[i-1] {
			pos = 0
			s.Chains++
		}
		if pos%thin == 0 {
			keep = append(keep, i)
		}
		pos++
	}
	s.X = tensor.GatherRows(nil, x, keep)
	return s, nil
}

// KSDTestReport is what ebm ksd-test prints.
type KSDTestReport struct {
	KSDTestResult
	Samples     string  `json:"samples"`
	Rows        int     `json:"rows"`
	Chains      int     `json:"chains"`
	Thin        int     `json:"thin"`
	Correlation float64 `json:"correlation"`
	Alpha       float64 `json:"alpha"`
	Reject      bool    `json:"reject"`
}

// Text renders the report for a terminal.
func (r *KSDTestReport) Text() string {
	verdict := "not rejected"
	if r.Reject {
		verdict = "REJECTED"
	}
	bw := "c"
	if r.Kernel == "rbf" {
		bw = "h"
	}
	return fmt.Sprintf("KSD goodness-of-fit test of %s (%d of %d rows, %d chain(s), thin %d)\n"+
		"  kernel %s (%s = %.4g), %d wild-bootstrap draws\n"+
		"  KSD^2 (U-statistic) = %.6g\n  p-value = %.4f\n  at alpha = %g: the model is %s\n",
		r.Samples, r.N, r.Rows, r.Chains, r.Thin, r.Kernel, bw, r.Bandwidth, r.Bootstrap, r.KSD2, r.PValue, r.Alpha, verdict)
}

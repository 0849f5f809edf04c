package metric

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// CompareRow is one training run in a comparison of estimators: the method
// and seed, the trained model's grid NLL and MMD² (see Evaluate), its speed
// and its divergence rollbacks.
type CompareRow struct {
	Method      string    `json:"method"`
	Seed        uint64    `json:"seed"`
	NLLGrid     float64   `json:"nll_grid"`
	MMD2        JSONFloat `json:"mmd2"`
	ItersPerSec float64   `json:"iters_per_sec"`
	Seconds     float64   `json:"seconds"`
	Rollbacks   int       `json:"divergence_rollbacks"`
}

// CompareSummary is one method's figures over its runs: for x the grid NLL
// or MMD² of the n runs, the mean x̄ = Σx/n and the sample standard deviation
// s = √(Σ(x − x̄)²/(n − 1)) (NaN for one run; a NaN figure makes both NaN).
type CompareSummary struct {
	Method   string    `json:"method"`
	Seeds    []uint64  `json:"seeds"`
	NLLMean  JSONFloat `json:"nll_grid_mean"`
	NLLSD    JSONFloat `json:"nll_grid_sd"`
	MMD2Mean JSONFloat `json:"mmd2_mean"`
	MMD2SD   JSONFloat `json:"mmd2_sd"`
}

// SummarizeCompare groups rows by method, in the order the methods first
// appear, and returns each method's CompareSummary.
func SummarizeCompare(rows []CompareRow) []CompareSummary {
	var out []CompareSummary
	for i, r := range rows {
		if slices.ContainsFunc(rows[:i], func(q CompareRow) bool { return q.Method == r.Method }) {
			continue
		}
		s := CompareSummary{Method: r.Method}
		var nll, mmd []float64
		for _, q := range rows[i:] {
			if q.Method == r.Method {
				s.Seeds = append(s.Seeds, q.Seed)
				nll, mmd = append(nll, q.NLLGrid), append(mmd, float64(q.MMD2))
			}
		}
		s.NLLMean, s.NLLSD = meanStd(nll)
		s.MMD2Mean, s.MMD2SD = meanStd(mmd)
		out = append(out, s)
	}
	return out
}

// meanStd returns the mean and the sample standard deviation (divisor n − 1)
// of v.
func meanStd(v []float64) (JSONFloat, JSONFloat) {
	m := mean(v)
	if len(v) < 2 {
		return JSONFloat(m), JSONFloat(math.NaN())
	}
	ss := 0.0
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return JSONFloat(m), JSONFloat(math.Sqrt(ss / float64(len(v)-1)))
}

// WriteCompareTable writes rows as a Markdown table (method, seed, grid NLL,
// MMD², it/s, rollbacks) and, when some method ran with more than one seed, a
// second table with one row per method: grid NLL and MMD² as mean ± sd over
// its seeds (SummarizeCompare).
func WriteCompareTable(w io.Writer, rows []CompareRow) error {
	fmt.Fprintln(w, "| method | seed | grid NLL | MMD² | it/s | rollbacks |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| `%s` | %d | %.4f | %s | %.0f | %d |\n", r.Method, r.Seed, r.NLLGrid, r.MMD2.Text("%.4f"), r.ItersPerSec, r.Rollbacks)
	}
	sum := SummarizeCompare(rows)
	if len(sum) == len(rows) {
		return nil
	}
	fmt.Fprintln(w, "\n| method | seeds | grid NLL (mean ± sd) | MMD² (mean ± sd) |")
	_, err := fmt.Fprintln(w, "|---|---|---|---|")
	for _, s := range sum {
		_, err = fmt.Fprintf(w, "| `%s` | %s | %s ± %s | %s ± %s |\n", s.Method, seedRange(s.Seeds),
			s.NLLMean.Text("%.4f"), s.NLLSD.Text("%.4f"), s.MMD2Mean.Text("%.4f"), s.MMD2SD.Text("%.4f"))
	}
	return err
}

// seedRange writes seeds as "a–b" when they are the consecutive integers a
// to b (more than one), else as a comma-separated list.
func seedRange(seeds []uint64) string {
	consecutive := len(seeds) > 1
	parts := make([]string, len(seeds))
	for i, s := range seeds {
		parts[i] = strconv.FormatUint(s, 10)
		consecutive = consecutive && (i == 0 || s == seeds[i-1]+1)
	}
	if consecutive {
		return parts[0] + "–" + parts[len(parts)-1]
	}
	return strings.Join(parts, ",")
}

package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Row is one line of a Summary: the posterior summary of one scalar quantity
// over all chains, with the convergence diagnostics Stan reports.
//
// Non-finite values (NaN for an undefined diagnostic, ±Inf for R̂ of stuck
// chains) are written as JSON null, since JSON has no NaN; null reads back as NaN.
type Row struct {
	Name    string  `json:"name"`
	Mean    float64 `json:"mean"`     // mean of all draws pooled
	SD      float64 `json:"sd"`       // standard deviation of all draws (divisor S−1)
	Q5      float64 `json:"q5"`       // 5% quantile (type 7) of all draws
	Q50     float64 `json:"q50"`      // median (type 7) of all draws
	Q95     float64 `json:"q95"`      // 95% quantile (type 7) of all draws
	MCSE    float64 `json:"mcse"`     // Monte Carlo standard error of Mean, see MCSEMean
	ESSBulk float64 `json:"ess_bulk"` // see ESSBulk
	ESSTail float64 `json:"ess_tail"` // see ESSTail
	Rhat    float64 `json:"rhat"`     // rank-normalized split-R̂, see SplitRhat
}

// Table is a Summary: one Row per quantity, in the order given.
type Table []Row

// Summary computes one Row per quantity. draws[q][chain][iteration] holds the
// draws of quantity q and names[q] its name; len(names) must equal len(draws),
// otherwise an error is returned. Each quantity is summarized on its own under
// the package conventions: chains are truncated to the shortest, and the
// diagnostics (MCSE, ESSBulk, ESSTail, Rhat) are NaN with fewer than 4 draws per
// chain or constant draws. A quantity with a non-finite draw, or with no draws at
// all, gets NaN in every column.
func Summary(names []string, draws [][][]float64) (Table, error) {
	if len(names) != len(draws) {
		return nil, fmt.Errorf("diag: Summary: %d names for %d quantities", len(names), len(draws))
	}
	t := make(Table, len(draws))
	for q := range draws {
		t[q] = summarize(names[q], draws[q])
	}
	return t, nil
}

func summarize(name string, draws [][]float64) Row {
	nan := math.NaN()
	r := Row{Name: name, Mean: nan, SD: nan, Q5: nan, Q50: nan, Q95: nan,
		MCSE: nan, ESSBulk: nan, ESSTail: nan, Rhat: nan}
	if len(draws) == 0 {
		return r
	}
	n := len(draws[0])
	for _, c := range draws[1:] {
		n = min(n, len(c))
	}
	if n == 0 {
		return r
	}
	chains := make([][]float64, len(draws))
	for i, c := range draws {
		chains[i] = c[:n]
		if !allFinite(chains[i]) {
			return r
		}
	}
	all := pooled(chains)
	r.Mean = mean(all)
	r.SD = math.Sqrt(variance(all))
	slices.Sort(all)
	r.Q5 = quantileSorted(all, 0.05)
	r.Q50 = quantileSorted(all, 0.5)
	r.Q95 = quantileSorted(all, 0.95)
	if n < minDraws || isConstant(chains) {
		return r
	}
	r.MCSE = mcseMean(chains)
	r.ESSBulk = essCore(zScale(splitChains(chains)))
	r.ESSTail = essTail(chains)
	r.Rhat = splitRhat(chains)
	return r
}

// WriteTable prints the table aligned in columns, one quantity per line, like
// Stan's stansummary:
//
//	name  Mean  SD  5%  50%  95%  MCSE  ESS_bulk  ESS_tail  R_hat
//
// Location and scale columns have 4 significant digits, ESS is rounded to an
// integer and R̂ has 3 decimals; undefined values print as NaN.
func (t Table) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\tMean\tSD\t5%\t50%\t95%\tMCSE\tESS_bulk\tESS_tail\tR_hat\t\n")
	for _, r := range t {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Name, sig4(r.Mean), sig4(r.SD), sig4(r.Q5), sig4(r.Q50), sig4(r.Q95),
			sig4(r.MCSE), integer(r.ESSBulk), integer(r.ESSTail), fixed3(r.Rhat))
	}
	return tw.Flush()
}

// String returns the table as WriteTable prints it.
func (t Table) String() string {
	var b strings.Builder
	_ = t.WriteTable(&b)
	return b.String()
}

func sig4(v float64) string {
	if s, ok := nonFinite(v); ok {
		return s
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func integer(v float64) string {
	if s, ok := nonFinite(v); ok {
		return s
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func fixed3(v float64) string {
	if s, ok := nonFinite(v); ok {
		return s
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func nonFinite(v float64) (string, bool) {
	switch {
	case math.IsNaN(v):
		return "NaN", true
	case math.IsInf(v, 1):
		return "Inf", true
	case math.IsInf(v, -1):
		return "-Inf", true
	}
	return "", false
}

// jsonFloat is a float64 whose non-finite values travel as JSON null.
type jsonFloat float64

// MarshalJSON writes null for NaN and ±Inf.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads null as NaN.
func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jsonFloat(math.NaN())
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = jsonFloat(v)
	return nil
}

// rowJSON mirrors Row (same snake_case keys) with null-safe floats.
type rowJSON struct {
	Name    string    `json:"name"`
	Mean    jsonFloat `json:"mean"`
	SD      jsonFloat `json:"sd"`
	Q5      jsonFloat `json:"q5"`
	Q50     jsonFloat `json:"q50"`
	Q95     jsonFloat `json:"q95"`
	MCSE    jsonFloat `json:"mcse"`
	ESSBulk jsonFloat `json:"ess_bulk"`
	ESSTail jsonFloat `json:"ess_tail"`
	Rhat    jsonFloat `json:"rhat"`
}

// MarshalJSON encodes the row with its snake_case keys, writing NaN and ±Inf
// as null.
func (r Row) MarshalJSON() ([]byte, error) {
	return json.Marshal(rowJSON{r.Name, jsonFloat(r.Mean), jsonFloat(r.SD),
		jsonFloat(r.Q5), jsonFloat(r.Q50), jsonFloat(r.Q95), jsonFloat(r.MCSE),
		jsonFloat(r.ESSBulk), jsonFloat(r.ESSTail), jsonFloat(r.Rhat)})
}

// UnmarshalJSON decodes a row written by MarshalJSON; null becomes NaN and a
// missing key becomes NaN as well.
func (r *Row) UnmarshalJSON(b []byte) error {
	nan := jsonFloat(math.NaN())
	j := rowJSON{Mean: nan, SD: nan, Q5: nan, Q50: nan, Q95: nan,
		MCSE: nan, ESSBulk: nan, ESSTail: nan, Rhat: nan}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Row{j.Name, float64(j.Mean), float64(j.SD), float64(j.Q5), float64(j.Q50),
		float64(j.Q95), float64(j.MCSE), float64(j.ESSBulk), float64(j.ESSTail),
		float64(j.Rhat)}
	return nil
}

package metric

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// The shared 2-D grid protocol: log Z over the GridN×GridN cell midpoints of
// [GridLo, GridHi]², i.e. 300×300 cells of side 8/300.
const (
	GridLo = -4.0
	GridHi = 4.0
	GridN  = 300
)

// gridChunk is the most points passed to one Energy call.
const gridChunk = 10000

// GridLogZ returns log Z for a 2-D energy by the midpoint rule on an n×n grid:
//
//	log Z ≈ log Σ_{i,j} exp(−E(g_ij)) + log ΔA,
//	g_ij = (lo + (i+½)Δ, lo + (j+½)Δ),  Δ = (hi−lo)/n,  ΔA = Δ²,
//
// the log-sum-exp taken stably in float64 (running maximum, one rescale per
// chunk). The energy is evaluated in chunks of at most 10,000 points. The mass
// outside [lo, hi]² is ignored, so the square must hold essentially all of it;
// the shared protocol is GridLogZ(e, GridLo, GridHi, GridN).
//
// Errors: a nil energy, e.Dim() ≠ 2, n < 1, lo ≥ hi or non-finite bounds, a
// NaN or −Inf energy at a grid point, or E = +Inf at every grid point (no mass).
// E = +Inf at some points is allowed (zero density there).
func GridLogZ(e energy.Energy, lo, hi float64, n int) (float64, error) {
	if e == nil {
		return math.NaN(), errors.New("metric: GridLogZ: nil energy")
	}
	if d := e.Dim(); d != 2 {
		return math.NaN(), fmt.Errorf("metric: GridLogZ: energy has dimension %d, want 2", d)
	}
	if n < 1 || !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return math.NaN(), fmt.Errorf("metric: GridLogZ: need n ≥ 1 and finite lo < hi, got n=%d [%v, %v]", n, lo, hi)
	}
	delta := (hi - lo) / float64(n)
	total := n * n
	pts := tensor.New[float64](min(total, gridChunk), 2)
	en := make([]float64, pts.Rows)
	runMax, runSum := math.Inf(-1), 0.0
	for start := 0; start < total; start += gridChunk {
		cnt := min(gridChunk, total-start)
		batch := tensor.FromSlice(cnt, 2, pts.Data[:2*cnt])
		for k := 0; k < cnt; k++ {
			i, j := (start+k)/n, (start+k)%n
			batch.Data[2*k] = lo + (float64(i)+0.5)*delta
			batch.Data[2*k+1] = lo + (float64(j)+0.5)*delta
		}
		e.Energy(batch, en[:cnt])
		chunkMax := math.Inf(-1)
		for k, v := range en[:cnt] {
			if math.IsNaN(v) || math.IsInf(v, -1) {
				return math.NaN(), fmt.Errorf("metric: GridLogZ: energy %v at (%v, %v)", v, batch.Data[2*k], batch.Data[2*k+1])
			}
			chunkMax = math.Max(chunkMax, -v)
		}
		if math.IsInf(chunkMax, -1) {
			continue // E = +Inf everywhere in this chunk
		}
		if chunkMax > runMax {
			runSum *= math.Exp(runMax - chunkMax)
			runMax = chunkMax
		}
		for _, v := range en[:cnt] {
			runSum += math.Exp(-v - runMax)
		}
	}
	if math.IsInf(runMax, -1) {
		return math.NaN(), errors.New("metric: GridLogZ: E = +Inf at every grid point")
	}
	return runMax + math.Log(runSum) + 2*math.Log(delta), nil
}

// GridNLL returns the average negative log-likelihood of the 2-D test points
// (one per row) under p = exp(−E)/Z, with log Z from GridLogZ(e, lo, hi, n):
//
//	NLL = (1/N) Σ_i E(test_i) + log Z,
//
// and that log Z. The shared protocol uses GridLo, GridHi, GridN and 10,000
// held-out points. Energies are evaluated in chunks of at most 10,000 points.
// Errors: those of GridLogZ, a nil or empty test set, test.Cols ≠ 2, NaN or
// ±Inf in test, or a non-finite energy at a test point (E = +Inf means the
// model gives the point zero density, an infinite NLL).
func GridNLL(e energy.Energy, test *tensor.Dense[float64], lo, hi float64, n int) (nll, logZ float64, err error) {
	nan := math.NaN()
	if err := checkMatrix("test", test, 1); err != nil {
		return nan, nan, fmt.Errorf("metric: GridNLL: %w", err)
	}
	if test.Cols != 2 {
		return nan, nan, fmt.Errorf("metric: GridNLL: test is %s, want 2 columns", test.Shape())
	}
	logZ, err = GridLogZ(e, lo, hi, n)
	if err != nil {
		return nan, nan, fmt.Errorf("metric: GridNLL: %w", err)
	}
	en := make([]float64, min(test.Rows, gridChunk))
	sum := 0.0
	for start := 0; start < test.Rows; start += gridChunk {
		cnt := min(gridChunk, test.Rows-start)
		batch := tensor.FromSlice(cnt, 2, test.Data[2*start:2*(start+cnt)])
		e.Energy(batch, en[:cnt])
		for k, v := range en[:cnt] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nan, nan, fmt.Errorf("metric: GridNLL: energy %v at test point %d", v, start+k)
			}
			sum += v
		}
	}
	return sum/float64(test.Rows) + logZ, logZ, nil
}

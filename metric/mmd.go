package metric

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/ebm-go/ebm/tensor"
)

// medianMaxPoints caps the pooled sample used by the median heuristic: larger
// samples are thinned to this many evenly strided points (about 5·10⁵ pairs).
const medianMaxPoints = 1000

// MMD2 returns the unbiased U-statistic estimate of the squared maximum mean
// discrepancy between the samples x (m×d) and y (n×d) (Gretton et al. 2012,
// "A kernel two-sample test", eq. 3):
//
//	MMD²_u = 1/(m(m−1)) Σ_{i≠j} k(x_i,x_j) + 1/(n(n−1)) Σ_{i≠j} k(y_i,y_j)
//	         − 2/(mn) Σ_{i,j} k(x_i,y_j),
//
// with the RBF kernel k(a,b) = exp(−|a−b|²/(2h²)). The bandwidth h is bandwidth
// when it is > 0 (the shared protocol uses 0.5), otherwise the median heuristic
// of MedianBandwidth. Being unbiased, the estimate has mean 0 when x and y come
// from one distribution and can then be slightly negative; its spread under
// that null is O(1/n).
//
// Cost O((m+n)²·d) kernel evaluations, without allocation per pair, split over
// up to GOMAXPROCS goroutines for large samples (same result for any count).
// Errors: nil inputs, different column counts, fewer than 2 rows in either
// sample, NaN or ±Inf in x or y, a NaN or infinite bandwidth, or a degenerate
// median heuristic.
func MMD2(x, y *tensor.Dense[float64], bandwidth float64) (float64, error) {
	if err := checkSamples(x, y); err != nil {
		return math.NaN(), fmt.Errorf("metric: MMD2: %w", err)
	}
	if math.IsNaN(bandwidth) || math.IsInf(bandwidth, 0) {
		return math.NaN(), fmt.Errorf("metric: MMD2: bandwidth %v", bandwidth)
	}
	h := bandwidth
	if h <= 0 {
		var err error
		if h, err = MedianBandwidth(x, y); err != nil {
			return math.NaN(), fmt.Errorf("metric: MMD2: %w", err)
		}
	}
	gamma := 1 / (2 * h * h)
	m, n, d := x.Rows, y.Rows, x.Cols

	within := func(a *tensor.Dense[float64]) float64 {
		r := a.Rows
		return pairSum(r, r/2, func(i int) float64 {
			ai := a.Data[i*d : (i+1)*d]
			s := 0.0
			for j := i + 1; j < r; j++ {
				s += math.Exp(-gamma * sqDist(ai, a.Data[j*d:(j+1)*d]))
			}
			return s
		})
	}
	kxx := within(x)
	kyy := within(y)
	kxy := pairSum(m, n, func(i int) float64 {
		xi := x.Data[i*d : (i+1)*d]
		s := 0.0
		for j := 0; j < n; j++ {
			s += math.Exp(-gamma * sqDist(xi, y.Data[j*d:(j+1)*d]))
		}
		return s
	})
	mf, nf := float64(m), float64(n)
	return 2*kxx/(mf*(mf-1)) + 2*kyy/(nf*(nf-1)) - 2*kxy/(mf*nf), nil
}

// MedianBandwidth returns the median heuristic bandwidth for MMD2: the median
// of the Euclidean distances |z_i − z_j|, i < j, over the pooled sample z = x ∪ y
// (the average of the two middle distances when their number is even). When
// the pooled sample has more than 1000 points, the median is taken over the
// pairs of 1000 evenly strided points z_{⌊k·N/1000⌋}, k = 0..999, a deterministic
// thinning whose median differs from the full one by sampling noise of order
// 10⁻³ relative.
//
// Errors: as for MMD2's inputs, and when the median distance is 0 (more than
// half the pairs coincide), where the heuristic breaks down.
func MedianBandwidth(x, y *tensor.Dense[float64]) (float64, error) {
	if err := checkSamples(x, y); err != nil {
		return math.NaN(), fmt.Errorf("metric: MedianBandwidth: %w", err)
	}
	total := x.Rows + y.Rows
	d := x.Cols
	point := func(k int) []float64 {
		if k < x.Rows {
			return x.Row(k)
		}
		return y.Row(k - x.Rows)
	}
	p := min(total, medianMaxPoints)
	idx := make([]int, p)
	for k := range idx {
		idx[k] = k * total / p
	}
	dist := make([]float64, 0, p*(p-1)/2)
	for a := 0; a < p; a++ {
		za := point(idx[a])
		for b := a + 1; b < p; b++ {
			dist = append(dist, sqDist(za, point(idx[b])[:d]))
		}
	}
	slices.Sort(dist)
	k := len(dist)
	med := math.Sqrt(dist[k/2])
	if k%2 == 0 {
		med = (math.Sqrt(dist[k/2-1]) + med) / 2
	}
	if !(med > 0) {
		return math.NaN(), errors.New("metric: MedianBandwidth: median pairwise distance is 0")
	}
	return med, nil
}

// sqDist returns |a−b|²; b must be at least as long as a.
func sqDist(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	for k, v := range a {
		t := v - b[k]
		s += t * t
	}
	return s
}

// checkSamples validates two samples for a two-sample statistic.
func checkSamples(x, y *tensor.Dense[float64]) error {
	if x == nil || y == nil {
		return errors.New("nil sample")
	}
	if err := checkMatrix("x", x, 2); err != nil {
		return err
	}
	if err := checkMatrix("y", y, 2); err != nil {
		return err
	}
	if x.Cols != y.Cols {
		return fmt.Errorf("x is %s but y is %s: different dimensions", x.Shape(), y.Shape())
	}
	return nil
}

// checkMatrix checks that m is a consistent matrix with at least minRows rows,
// at least one column and only finite values.
func checkMatrix(name string, m *tensor.Dense[float64], minRows int) error {
	if m == nil {
		return fmt.Errorf("%s is nil", name)
	}
	if m.Rows < 0 || m.Cols < 0 || len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("%s: %s with %d elements", name, m.Shape(), len(m.Data))
	}
	if m.Cols < 1 || m.Rows < minRows {
		return fmt.Errorf("%s is %s: need at least %d rows and 1 column", name, m.Shape(), minRows)
	}
	if i := m.HasNaNInf(); i >= 0 {
		return fmt.Errorf("%s has a non-finite value %v at row %d", name, m.Data[i], i/m.Cols)
	}
	return nil
}

package anomaly

import (
	"math"
	"slices"
)

// Scaler is a robust per-column standardization z_j = (x_j − Center_j) / Scale_j.
//
// Center_j is the column median. Scale_j is the first positive figure of:
// MAD·1.4826 (the median absolute deviation, scaled to equal the standard
// deviation for Gaussian data), IQR/1.349 (the interquartile range, likewise
// scaled), the standard deviation, and finally 1 for a constant column
// (Constant reports which). Medians and quartiles have a 50% and 25%
// breakdown point, so a minority of outliers cannot drag them far, unlike
// the mean and standard deviation.
type Scaler struct {
	Center, Scale []float64
}

// Scale rules, in the order tried; ScaleRule[j] records the one used.
const (
	RuleMAD      = "mad"
	RuleIQR      = "iqr"
	RuleStd      = "std"
	RuleConstant = "constant"
)

// FitScaler computes the robust standardization of the n×d rows x (row-major,
// len(x) = n·d) and the rule used for every column.
func FitScaler(x []float64, n, d int) (*Scaler, []string) {
	s := &Scaler{Center: make([]float64, d), Scale: make([]float64, d)}
	rules := make([]string, d)
	col := make([]float64, n)
	dev := make([]float64, n)
	for j := 0; j < d; j++ {
		for i := 0; i < n; i++ {
			col[i] = x[i*d+j]
		}
		slices.Sort(col)
		med := quantileSorted(col, 0.5)
		for i, v := range col {
			dev[i] = math.Abs(v - med)
		}
		slices.Sort(dev)
		s.Center[j] = med
		mad := quantileSorted(dev, 0.5) * 1.4826
		iqr := (quantileSorted(col, 0.75) - quantileSorted(col, 0.25)) / 1.349
		switch {
		case mad > 0:
			s.Scale[j], rules[j] = mad, RuleMAD
		case iqr > 0:
			s.Scale[j], rules[j] = iqr, RuleIQR
		default:
			var sum, ss float64
			for _, v := range col {
				sum += v
			}
			mu := sum / float64(n)
			for _, v := range col {
				ss += (v - mu) * (v - mu)
			}
			if sd := math.Sqrt(ss / float64(n)); sd > 0 {
				s.Scale[j], rules[j] = sd, RuleStd
			} else {
				s.Scale[j], rules[j] = 1, RuleConstant
			}
		}
	}
	return s, rules
}

// Apply writes the standardized rows of x into dst (both n×d row-major; dst
// may be x).
func (s *Scaler) Apply(dst, x []float64) {
	d := len(s.Center)
	for i, v := range x {
		j := i % d
		dst[i] = (v - s.Center[j]) / s.Scale[j]
	}
}

// quantileSorted returns the p-quantile of sorted values by linear
// interpolation between order statistics (NumPy's default, "linear").
func quantileSorted(s []float64, p float64) float64 {
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	h := p * float64(n-1)
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return s[n-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// Quantile returns the p-quantile (0 ≤ p ≤ 1) of v by linear interpolation
// between order statistics (NumPy's default); v is not modified.
func Quantile(v []float64, p float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return quantileSorted(s, p)
}

package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
)

// Binarize returns a new matrix with 1 where x ≥ threshold and 0 elsewhere.
//
// Thresholds for the usual rules: MNIST's "pixel > 127" is threshold 128 on the
// 0..255 scale, or 128/255 on the [0, 1] scale of [LoadMNISTImages] (since
// v/255 ≥ 128/255 exactly when v ≥ 128; pass float32(128)/255 so that the
// comparison uses the same rounding as the data). The digits protocol of
// [DigitsBinary] is threshold 8 on the 0..16 scale.
func Binarize[T tensor.Float](x *tensor.Dense[T], threshold T) *tensor.Dense[T] {
	b := tensor.New[T](x.Rows, x.Cols)
	for i, v := range x.Data {
		if v >= threshold {
			b.Data[i] = 1
		}
	}
	return b
}

// IsBinary reports whether every element of x is exactly 0 or 1.
func IsBinary[T tensor.Float](x *tensor.Dense[T]) bool {
	for _, v := range x.Data {
		if v != 0 && v != 1 {
			return false
		}
	}
	return true
}

// Standardize returns z with each column of x shifted and scaled to mean 0 and
// standard deviation 1, z_ij = (x_ij − mean_j) / std_j, together with the
// column means and standard deviations it used, so that held-out data can be
// transformed the same way by [StandardizeWith]. The standard deviation is the
// population one (divisor n, as scikit-learn's StandardScaler); a constant
// column (std 0) gets std 1, so it becomes all zeros rather than NaN. Sums are
// accumulated in float64. x must have at least one row.
func Standardize[T tensor.Float](x *tensor.Dense[T]) (z *tensor.Dense[T], mean, std []float64) {
	if x.Rows == 0 {
		panic("data: Standardize of a matrix with no rows")
	}
	n, d := x.Rows, x.Cols
	mean = make([]float64, d)
	std = make([]float64, d)
	for i := range n {
		for j, v := range x.Row(i) {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := range n {
		for j, v := range x.Row(i) {
			dv := float64(v) - mean[j]
			std[j] += dv * dv
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / float64(n))
		if std[j] == 0 {
			std[j] = 1
		}
	}
	return StandardizeWith(x, mean, std), mean, std
}

// StandardizeWith returns a new matrix z_ij = (x_ij − mean_j) / std_j, for
// applying the statistics that [Standardize] computed on training data to other
// data. It panics if len(mean) or len(std) differs from x.Cols.
func StandardizeWith[T tensor.Float](x *tensor.Dense[T], mean, std []float64) *tensor.Dense[T] {
	if len(mean) != x.Cols || len(std) != x.Cols {
		panic(fmt.Sprintf("data: StandardizeWith: %d means and %d stds for %d columns", len(mean), len(std), x.Cols))
	}
	z := tensor.New[T](x.Rows, x.Cols)
	for i := range x.Rows {
		zr := z.Row(i)
		for j, v := range x.Row(i) {
			zr[j] = T((float64(v) - mean[j]) / std[j])
		}
	}
	return z
}

// ShuffleRows permutes the rows of x in place, uniformly at random (Fisher-Yates
// with rng), and applies the same permutation to labels if it is not nil. It
// panics if labels is not nil and len(labels) != x.Rows.
func ShuffleRows[T tensor.Float](x *tensor.Dense[T], labels []int, rng *rand.Rand) {
	if labels != nil && len(labels) != x.Rows {
		panic(fmt.Sprintf("data: ShuffleRows: %d labels for %d rows", len(labels), x.Rows))
	}
	for i := x.Rows - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		if j == i {
			continue
		}
		ri, rj := x.Row(i), x.Row(j)
		for k := range ri {
			ri[k], rj[k] = rj[k], ri[k]
		}
		if labels != nil {
			labels[i], labels[j] = labels[j], labels[i]
		}
	}
}

// Split divides ds into a training part with round(frac·n) rows and a test part
// with the rest. With a non-nil rng the rows are assigned by a uniformly random
// permutation; with rng nil the split keeps the file order (the first rows go
// to train). Both parts are copies (ds is not modified) and keep ds's Names,
// LabelName, ClassNames and Source. It panics if frac is outside [0, 1].
func Split(ds *Dataset, frac float64, rng *rand.Rand) (train, test *Dataset) {
	if !(frac >= 0 && frac <= 1) {
		panic(fmt.Sprintf("data: Split fraction %v outside [0, 1]", frac))
	}
	n, d := ds.X.Rows, ds.X.Cols
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	if rng != nil {
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	}
	ntrain := int(math.Round(frac * float64(n)))
	part := func(rows []int) *Dataset {
		p := &Dataset{
			X:          tensor.New[float64](len(rows), d),
			Names:      ds.Names,
			LabelName:  ds.LabelName,
			ClassNames: ds.ClassNames,
			Source:     ds.Source,
		}
		if ds.Labels != nil {
			p.Labels = make([]int, len(rows))
		}
		for i, r := range rows {
			copy(p.X.Row(i), ds.X.Row(r))
			if ds.Labels != nil {
				p.Labels[i] = ds.Labels[r]
			}
		}
		return p
	}
	return part(perm[:ntrain]), part(perm[ntrain:])
}

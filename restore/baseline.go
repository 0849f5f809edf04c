package restore

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// GaussianBlur returns the h×w images (rows of x) convolved with a Gaussian
// of standard deviation s pixels, separably, truncated at 3s and renormalized
// at the borders (so a constant image stays constant). s = 0 returns a copy.
// A baseline denoiser for images.
func GaussianBlur(x *tensor.Dense[float64], h, w int, s float64) (*tensor.Dense[float64], error) {
	if x == nil || x.Cols != h*w || h < 1 || w < 1 {
		return nil, fmt.Errorf("restore: GaussianBlur: rows must hold %d×%d images", h, w)
	}
	if !(s >= 0) || math.IsInf(s, 0) {
		return nil, fmt.Errorf("restore: GaussianBlur: width %v, want finite and ≥ 0", s)
	}
	out := x.Clone()
	if s == 0 {
		return out, nil
	}
	r := int(math.Ceil(3 * s))
	k := make([]float64, 2*r+1)
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * s * s))
	}
	tmp := make([]float64, h*w)
	for n := 0; n < x.Rows; n++ {
		img, dst := x.Row(n), out.Row(n)
		for y := 0; y < h; y++ { // along rows
			for c := 0; c < w; c++ {
				var acc, wt float64
				for i := max(0, c-r); i <= min(w-1, c+r); i++ {
					acc += k[i-c+r] * img[y*w+i]
					wt += k[i-c+r]
				}
				tmp[y*w+c] = acc / wt
			}
		}
		for y := 0; y < h; y++ { // along columns
			for c := 0; c < w; c++ {
				var acc, wt float64
				for i := max(0, y-r); i <= min(h-1, y+r); i++ {
					acc += k[i-y+r] * tmp[i*w+c]
					wt += k[i-y+r]
				}
				dst[y*w+c] = acc / wt
			}
		}
	}
	return out, nil
}

// PCA is a principal component basis of data: the mean and the eigenvectors
// of the sample covariance, by decreasing eigenvalue. Projecting noisy points
// onto the first k components is a baseline denoiser.
type PCA struct {
	Mean       []float64
	Components *mat.Dense // d×d, column i the i-th component
	Variances  []float64  // eigenvalues, decreasing
}

// FitPCA computes the PCA of the rows of x (n ≥ 2).
func FitPCA(x *tensor.Dense[float64]) (*PCA, error) {
	if x == nil || x.Rows < 2 || x.Cols < 1 {
		return nil, errors.New("restore: FitPCA needs at least 2 points")
	}
	n, d := x.Rows, x.Cols
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range x.Row(i) {
			mean[j] += v / float64(n)
		}
	}
	c := tensor.New[float64](n, d)
	for i := 0; i < n; i++ {
		for j, v := range x.Row(i) {
			c.Row(i)[j] = v - mean[j]
		}
	}
	cov := tensor.MatMul(nil, c, true, c, false)
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			sym.SetSym(i, j, cov.Data[i*d+j]/float64(n-1))
		}
	}
	var es mat.EigenSym
	if !es.Factorize(sym, true) {
		return nil, errors.New("restore: FitPCA: eigendecomposition failed")
	}
	vals := es.Values(nil) // ascending
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	p := &PCA{Mean: mean, Components: mat.NewDense(d, d, nil), Variances: make([]float64, d)}
	for i := 0; i < d; i++ {
		src := d - 1 - i
		p.Variances[i] = vals[src]
		for r := 0; r < d; r++ {
			p.Components.Set(r, i, vecs.At(r, src))
		}
	}
	return p, nil
}

// Project returns μ + U_k U_kᵀ(x − μ) for the rows of x, U_k the first k
// components (0 ≤ k ≤ d).
func (p *PCA) Project(x *tensor.Dense[float64], k int) (*tensor.Dense[float64], error) {
	d := len(p.Mean)
	if x == nil || x.Cols != d {
		return nil, fmt.Errorf("restore: PCA.Project: points must have %d coordinates", d)
	}
	if k < 0 || k > d {
		return nil, fmt.Errorf("restore: PCA.Project: rank %d out of [0, %d]", k, d)
	}
	out := tensor.New[float64](x.Rows, d)
	if k == 0 {
		for i := 0; i < x.Rows; i++ {
			copy(out.Row(i), p.Mean)
		}
		return out, nil
	}
	U := tensor.New[float64](d, k)
	for r := 0; r < d; r++ {
		for c := 0; c < k; c++ {
			U.Data[r*k+c] = p.Components.At(r, c)
		}
	}
	c := tensor.New[float64](x.Rows, d)
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			c.Row(i)[j] = v - p.Mean[j]
		}
	}
	z := tensor.MatMul(nil, c, false, U, false) // n×k
	out = tensor.MatMul(out, z, false, U, true) // n×d
	for i := 0; i < x.Rows; i++ {
		for j := range out.Row(i) {
			out.Row(i)[j] += p.Mean[j]
		}
	}
	return out, nil
}

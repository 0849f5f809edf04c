package diag

import (
	"math"
	"math/bits"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Autocorr returns the normalized autocorrelation of the series x at lags
// 0, 1, …, maxLag:
//
//	ρ̂_k = γ̂_k / γ̂_0,  γ̂_k = (1/n) Σ_{t=0}^{n−1−k} (x_t − x̄)(x_{t+k} − x̄),
//
// the biased (divide by n) estimator that Stan and ArviZ use, so ρ̂_0 = 1 and the
// sequence is positive semi-definite. Long series with many lags are computed
// through a zero-padded real FFT (gonum's dsp/fourier) in O(n log n); short lag
// ranges are summed directly. Both give the same numbers to rounding.
//
// maxLag < 0 or maxLag ≥ n is taken as n−1. An empty x gives an empty result. A
// constant series (γ̂_0 = 0) or one holding NaN or ±Inf gives NaN at every lag.
func Autocorr(x []float64, maxLag int) []float64 {
	n := len(x)
	if n == 0 {
		return []float64{}
	}
	if maxLag < 0 || maxLag >= n {
		maxLag = n - 1
	}
	out := make([]float64, maxLag+1)
	if !allFinite(x) {
		fillNaN(out)
		return out
	}
	if directCheaper(n, maxLag) {
		autocovDirect(x, out)
	} else {
		full := newAutocov(n).compute(x, nil)
		copy(out, full[:maxLag+1])
	}
	g0 := out[0]
	if !(g0 > 0) {
		fillNaN(out)
		return out
	}
	for k := range out {
		out[k] /= g0
	}
	out[0] = 1
	return out
}

// directCheaper reports whether summing maxLag+1 lags directly, O(n·maxLag),
// beats the FFT, roughly O(n log n) with a larger constant.
func directCheaper(n, maxLag int) bool {
	return maxLag+1 <= 2*bits.Len(uint(n))
}

// autocovDirect writes the biased autocovariance of x at lags 0..len(dst)−1.
func autocovDirect(x, dst []float64) {
	n := len(x)
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	for k := range dst {
		s := 0.0
		for t := 0; t+k < n; t++ {
			s += (x[t] - mean) * (x[t+k] - mean)
		}
		dst[k] = s / float64(n)
	}
}

// autocov computes biased autocovariances of series of one length n at every
// lag 0..n−1 by FFT, reusing its buffers across calls.
type autocov struct {
	n     int
	fft   *fourier.FFT
	buf   []float64
	coeff []complex128
}

// newAutocov prepares an FFT of the next power of two ≥ 2n, enough zero padding
// that the circular correlation equals the linear one at lags 0..n−1.
func newAutocov(n int) *autocov {
	m := 1
	for m < 2*n {
		m <<= 1
	}
	return &autocov{
		n:     n,
		fft:   fourier.NewFFT(m),
		buf:   make([]float64, m),
		coeff: make([]complex128, m/2+1),
	}
}

// compute writes γ̂_0..γ̂_{n−1} of x (len(x) must be a.n) into dst, allocating
// dst when it is nil, and returns it.
func (a *autocov) compute(x, dst []float64) []float64 {
	n := a.n
	if dst == nil {
		dst = make([]float64, n)
	}
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	for i, v := range x {
		a.buf[i] = v - mean
	}
	clear(a.buf[n:])
	a.fft.Coefficients(a.coeff, a.buf)
	for i, c := range a.coeff {
		re, im := real(c), imag(c)
		a.coeff[i] = complex(re*re+im*im, 0)
	}
	a.fft.Sequence(a.buf, a.coeff)
	// Sequence is unnormalized (multiplies by the FFT length m); the biased
	// estimator divides by n as well.
	scale := 1 / (float64(len(a.buf)) * float64(n))
	for k := 0; k < n; k++ {
		dst[k] = a.buf[k] * scale
	}
	return dst
}

func allFinite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func fillNaN(x []float64) {
	for i := range x {
		x[i] = math.NaN()
	}
}

package ising

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// SokalC is the window constant of Sokal's automatic windowing: the summation
// window W is the smallest lag with W ≥ SokalC·τ_int(W).
const SokalC = 6

// Autocorrelation returns the normalized autocorrelation function ρ(t),
// t = 0…len(x)−1, of the series x, computed with a zero-padded FFT
// (ρ(t) = C(t)/C(0), C(t) = (1/n) Σ_{i<n−t} (x_i−x̄)(x_{i+t}−x̄)). A constant series
// gives ρ(0) = 1 and ρ(t>0) = 0.
func Autocorrelation(x []float64) []float64 {
	n := len(x)
	rho := make([]float64, n)
	if n == 0 {
		return rho
	}
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	m := 1
	for m < 2*n {
		m <<= 1
	}
	buf := make([]float64, m)
	for i, v := range x {
		buf[i] = v - mean
	}
	fft := fourier.NewFFT(m)
	coef := fft.Coefficients(nil, buf)
	for i, c := range coef {
		coef[i] = complex(real(c)*real(c)+imag(c)*imag(c), 0)
	}
	fft.Sequence(buf, coef)
	c0 := buf[0]
	rho[0] = 1
	if !(c0 > 0) {
		return rho
	}
	for t := 1; t < n; t++ {
		rho[t] = buf[t] / c0
	}
	return rho
}

// TauInt estimates the integrated autocorrelation time of x with Sokal's
// automatic windowing, in Sokal's convention
//
//	τ_int = ½ + Σ_{t=1}^{W} ρ(t),
//
// so that independent samples give τ_int = ½ and the variance of the sample mean
// is 2τ_int·σ²/n. W is the smallest lag with W ≥ SokalC·τ_int(W). ok is false when
// no such W below n/2 exists (the run is too short for a reliable estimate); τ_int
// at W = n/2 is returned then. A constant series gives ½. The estimate is never
// below ½: an anticorrelated series is treated as independent, which overstates
// its error bars a little rather than understating them.
func TauInt(x []float64) (tau float64, window int, ok bool) {
	n := len(x)
	if n < 2 {
		return 0.5, 0, n == 1
	}
	if _, v := meanVar(x); !(v > 0) {
		return 0.5, 0, true
	}
	rho := Autocorrelation(x)
	tau = 0.5
	for w := 1; w < n/2; w++ {
		tau += rho[w]
		if float64(w) >= SokalC*tau {
			return math.Max(tau, 0.5), w, true
		}
	}
	return math.Max(tau, 0.5), n / 2, false
}

// meanVar returns the mean and the (1/n) variance of x.
func meanVar(x []float64) (mean, v float64) {
	for _, a := range x {
		mean += a
	}
	mean /= float64(len(x))
	for _, a := range x {
		d := a - mean
		v += d * d
	}
	return mean, v / float64(len(x))
}

// MeanSE returns the mean of x and its standard error σ·√(2τ_int/n), with τ_int from
// TauInt.
func MeanSE(x []float64) (mean, se, tau float64, ok bool) {
	if len(x) == 0 {
		return 0, 0, 0.5, false
	}
	mean, v := meanVar(x)
	tau, _, ok = TauInt(x)
	se = math.Sqrt(2 * tau * v / float64(len(x)))
	return mean, se, tau, ok
}

// fluctuationSE returns f = scale·(⟨x²⟩ − ⟨x⟩²) over the series x and its standard
// error by a blocked jackknife: the series is cut into nb contiguous blocks of
// length b, each block is left out in turn, and
// SE² = (nb−1)/nb Σ_k (f_(k) − f̄)². Blocks longer than the autocorrelation time make
// the blocks nearly independent; the caller chooses b.
func fluctuationSE(x []float64, scale float64, b int) (f, se float64) {
	n := len(x)
	mean, v := meanVar(x)
	f = scale * v
	if b < 1 {
		b = 1
	}
	nb := n / b
	if nb < 2 {
		return f, 0
	}
	s1 := make([]float64, nb)
	s2 := make([]float64, nb)
	var t1, t2 float64
	for k := 0; k < nb; k++ {
		for _, a := range x[k*b : (k+1)*b] {
			d := a - mean // shift for numerical stability
			s1[k] += d
			s2[k] += d * d
		}
		t1 += s1[k]
		t2 += s2[k]
	}
	m := float64((nb - 1) * b)
	jk := make([]float64, nb)
	var jbar float64
	for k := 0; k < nb; k++ {
		a1 := (t1 - s1[k]) / m
		a2 := (t2 - s2[k]) / m
		jk[k] = scale * (a2 - a1*a1)
		jbar += jk[k]
	}
	jbar /= float64(nb)
	var ss float64
	for _, v := range jk {
		ss += (v - jbar) * (v - jbar)
	}
	return f, math.Sqrt(float64(nb-1) / float64(nb) * ss)
}

// blockLength picks the jackknife block length for a series of n samples whose
// longest integrated autocorrelation time is tau: at least 10·τ_int (so blocks are
// nearly independent), and long enough that there are at most 64 blocks.
func blockLength(n int, tau float64) int {
	b := int(math.Ceil(10 * tau))
	if b < 1 {
		b = 1
	}
	if n/b > 64 {
		b = n / 64
	}
	return b
}

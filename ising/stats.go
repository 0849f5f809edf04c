package ising

import (
	"math"

	"github.com/ebm-go/ebm/diag"
)

// SokalC is the window constant of Sokal's automatic windowing: the summation
// window W is the smallest lag with W ≥ SokalC·τ_int(W).
const SokalC = 6

// TauInt estimates the integrated autocorrelation time of x with Sokal's
// automatic windowing over the autocorrelation ρ(t) of diag.Autocorr, in
// Sokal's convention
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
	rho := diag.Autocorr(x, n/2)
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

// chainDiag returns the bulk split R̂ and the bulk ESS of one series (see
// diag.RhatBulk and diag.ESSBulk), each nil when undefined.
func chainDiag(x []float64) (rhat, ess *float64) {
	draws := [][]float64{x}
	return finite(diag.RhatBulk(draws)), finite(diag.ESSBulk(draws))
}

// finite returns &v, or nil when v is NaN or infinite.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

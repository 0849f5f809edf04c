package ising

import (
	"fmt"
	"math"
)

// MaxExactL is the largest lattice side that ExactIsing enumerates (4×4 = 2^16 states).
const MaxExactL = 4

// Exact holds exact thermodynamic quantities of a finite lattice.
type Exact struct {
	LogZ          float64 `json:"log_z"`           // log Σ_s exp(−E(s)/T)
	EnergyPerSite float64 `json:"energy_per_site"` // ⟨E⟩/N
	Magnetization float64 `json:"magnetization"`   // ⟨|M|⟩/N (Ising only)
	// SpecificHeat is (⟨E²⟩ − ⟨E⟩²)/(N T²).
	SpecificHeat float64 `json:"specific_heat"`
	// Susceptibility is N(⟨m²⟩ − ⟨|m|⟩²)/T, m = M/N (Ising only).
	Susceptibility float64 `json:"susceptibility"`
}

// ExactIsing enumerates all 2^N configurations of the L×L periodic Ising model
// (L ≤ MaxExactL) and returns log Z and the exact moments matching Run's estimators.
// Weights are accumulated relative to the ground-state energy, so low temperatures
// do not overflow.
func ExactIsing(L int, J, H, T float64) (*Exact, error) {
	if err := checkLattice(L, J, H, T); err != nil {
		return nil, err
	}
	if L > MaxExactL {
		return nil, fmt.Errorf("ising: exact enumeration is limited to L ≤ %d (2^16 states); got L=%d", MaxExactL, L)
	}
	n := L * L
	nbr := neighbours(L)
	ns := 1 << n
	energies := make([]float64, ns)
	mags := make([]int, ns)
	emin := math.Inf(1)
	for st := 0; st < ns; st++ {
		b, mm := 0, 0
		for i := 0; i < n; i++ {
			si := 2*(st>>i&1) - 1
			mm += si
			r := 2*(st>>nbr[4*i]&1) - 1
			d := 2*(st>>nbr[4*i+1]&1) - 1
			b += si * (r + d)
		}
		e := -J*float64(b) - H*float64(mm)
		energies[st], mags[st] = e, mm
		emin = math.Min(emin, e)
	}
	var z, se, se2, sm, sm2 float64
	for st, e := range energies {
		w := math.Exp(-(e - emin) / T)
		ea := e - emin // shifted for accuracy of the variance
		am := math.Abs(float64(mags[st])) / float64(n)
		z += w
		se += w * ea
		se2 += w * ea * ea
		sm += w * am
		sm2 += w * am * am
	}
	se, se2, sm, sm2 = se/z, se2/z, sm/z, sm2/z
	N := float64(n)
	return &Exact{
		LogZ:           math.Log(z) - emin/T,
		EnergyPerSite:  (se + emin) / N,
		Magnetization:  sm,
		SpecificHeat:   (se2 - se*se) / (N * T * T),
		Susceptibility: N * (sm2 - sm*sm) / T,
	}, nil
}

// ExactLogZ returns log Z of the L×L periodic Ising model by enumeration
// (L ≤ MaxExactL); see ExactIsing.
func ExactLogZ(L int, J, H, T float64) (float64, error) {
	ex, err := ExactIsing(L, J, H, T)
	if err != nil {
		return 0, err
	}
	return ex.LogZ, nil
}

// KaufmanLogZ returns the exact log Z of the zero-field Ising model on an M×N
// periodic lattice (M, N ≥ 2) by Kaufman's (1949) formula, in the form of Beale
// (1996):
//
//	Z = ½ (2 sinh 2K)^{MN/2} [Π_{r=0}^{N−1} 2cosh(Mγ_{2r+1}/2) + Π 2sinh(Mγ_{2r+1}/2)
//	                        + Π 2cosh(Mγ_{2r}/2)   + Π 2sinh(Mγ_{2r}/2)],
//	cosh γ_l = cosh 2K coth 2K − cos(lπ/N),  γ_0 = 2K + ln tanh K,
//
// with K = J/T > 0. The products are summed in log space with their signs (γ_0 < 0
// above T_c), so large lattices do not overflow.
func KaufmanLogZ(M, N int, J, T float64) (float64, error) {
	if M < 2 || N < 2 {
		return 0, fmt.Errorf("ising: Kaufman lattice %d×%d must be at least 2×2", M, N)
	}
	if !(T > 0) || math.IsInf(T, 0) || !(J > 0) || math.IsInf(J, 0) {
		return 0, fmt.Errorf("ising: Kaufman formula needs J > 0 and T > 0 finite (J=%v, T=%v)", J, T)
	}
	K := J / T
	c2 := math.Cosh(2*K) / math.Tanh(2*K)
	gamma := func(l int) float64 {
		if l == 0 {
			return 2*K + math.Log(math.Tanh(K))
		}
		return math.Acosh(c2 - math.Cos(float64(l)*math.Pi/float64(N)))
	}
	fm := float64(M)
	// Four signed log-products.
	var logs [4]float64
	var signs [4]float64
	for i := range signs {
		signs[i] = 1
	}
	for r := 0; r < N; r++ {
		for k, l := range [2]int{2*r + 1, 2 * r} {
			g := gamma(l) * fm / 2
			// log(2cosh g) and log|2sinh g|, stable for large |g|.
			ag := math.Abs(g)
			lc := ag + math.Log1p(math.Exp(-2*ag))
			var ls float64
			if ag == 0 {
				ls = math.Inf(-1)
			} else {
				ls = ag + math.Log(-math.Expm1(-2*ag))
			}
			logs[2*k] += lc
			logs[2*k+1] += ls
			if g < 0 {
				signs[2*k+1] = -signs[2*k+1]
			}
		}
	}
	mx := math.Inf(-1)
	for _, v := range logs {
		mx = math.Max(mx, v)
	}
	var sum float64
	for i, v := range logs {
		sum += signs[i] * math.Exp(v-mx)
	}
	if !(sum > 0) {
		return 0, fmt.Errorf("ising: Kaufman sum lost precision (K=%v)", K)
	}
	return math.Log(0.5) + float64(M*N)/2*math.Log(2*math.Sinh(2*K)) + mx + math.Log(sum), nil
}

// KaufmanEnergy returns the exact energy per site ⟨E⟩/(MN) of the zero-field Ising
// model on an M×N periodic lattice, −(J/MN)·d log Z/dK from KaufmanLogZ by a
// fourth-order central difference in K = J/T (relative accuracy about 1e-9).
func KaufmanEnergy(M, N int, J, T float64) (float64, error) {
	if !(T > 0) || !(J > 0) {
		return 0, fmt.Errorf("ising: Kaufman formula needs J > 0 and T > 0 (J=%v, T=%v)", J, T)
	}
	K := J / T
	h := 1e-4 * K
	f := func(k float64) (float64, error) { return KaufmanLogZ(M, N, 1, 1/k) }
	var v [4]float64
	for i, d := range [4]float64{-2, -1, 1, 2} {
		x, err := f(K + d*h)
		if err != nil {
			return 0, err
		}
		v[i] = x
	}
	dlz := (v[0] - 8*v[1] + 8*v[2] - v[3]) / (12 * h)
	return -J * dlz / float64(M*N), nil
}

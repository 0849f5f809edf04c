package ising

import (
	"math"
	"strings"
	"testing"
)

// bruteIsing is an independent enumeration: spins are read from the bits of a
// counter, neighbours come from explicit (x, y) coordinates in all four
// directions (so every bond is counted twice and halved), and the Boltzmann
// weights are summed directly with no shift.
func bruteIsing(L int, J, h, T float64) (logZ, e, absM float64) {
	n := L * L
	type pt struct{ x, y int }
	var nb [][4]int
	for i := 0; i < n; i++ {
		p := pt{i % L, i / L}
		idx := func(q pt) int { return ((q.y+L)%L)*L + (q.x+L)%L }
		nb = append(nb, [4]int{idx(pt{p.x + 1, p.y}), idx(pt{p.x - 1, p.y}), idx(pt{p.x, p.y + 1}), idx(pt{p.x, p.y - 1})})
	}
	spin := func(state uint32, i int) float64 {
		if state&(1<<uint(i)) != 0 {
			return 1
		}
		return -1
	}
	var z, ze, zm float64
	for state := uint32(0); state < 1<<uint(n); state++ {
		var pairs, mag float64
		for i := 0; i < n; i++ {
			si := spin(state, i)
			mag += si
			for _, j := range nb[i] {
				pairs += si * spin(state, j)
			}
		}
		E := -J*pairs/2 - h*mag
		w := math.Exp(-E / T)
		z += w
		ze += w * E
		zm += w * math.Abs(mag)
	}
	return math.Log(z), ze / z / float64(n), zm / z / float64(n)
}

func TestExactMatchesBruteForce(t *testing.T) {
	params := []struct{ J, h, T float64 }{
		{1, 0, Tc}, {1, 0.5, 1.5}, {-0.7, 0.2, 3}, {0.5, -1, 0.8}, {1, 0, 5},
	}
	for _, L := range []int{2, 3, 4} {
		for _, p := range params {
			ex, err := ExactIsing(L, p.J, p.h, p.T)
			if err != nil {
				t.Fatal(err)
			}
			lz, e, m := bruteIsing(L, p.J, p.h, p.T)
			if math.Abs(ex.LogZ-lz) > 1e-10*math.Abs(lz) || math.Abs(ex.EnergyPerSite-e) > 1e-10 || math.Abs(ex.Magnetization-m) > 1e-10 {
				t.Errorf("L=%d %+v: ExactIsing (logZ %.12g, e %.12g, |m| %.12g), brute force (%.12g, %.12g, %.12g)",
					L, p, ex.LogZ, ex.EnergyPerSite, ex.Magnetization, lz, e, m)
			}
			lz2, err := ExactLogZ(L, p.J, p.h, p.T)
			if err != nil || lz2 != ex.LogZ {
				t.Errorf("ExactLogZ = %v, %v; want %v", lz2, err, ex.LogZ)
			}
		}
	}
}

// The specific heat and susceptibility of ExactIsing are checked against
// derivatives of log Z: C = (K²/N) d²logZ/dK² at h = 0 (β-derivative), and
// ⟨E⟩ = −d logZ/dβ.
func TestExactDerivatives(t *testing.T) {
	const L, J, h, T = 4, 1.0, 0.3, 2.1
	ex, _ := ExactIsing(L, J, h, T)
	lz := func(beta float64) float64 { v, _ := ExactLogZ(L, J, h, 1/beta); return v }
	b, d := 1/T, 1e-4
	e := -(lz(b+d) - lz(b-d)) / (2 * d) / 16
	c := (lz(b+d) - 2*lz(b) + lz(b-d)) / (d * d) * b * b / 16
	if math.Abs(e-ex.EnergyPerSite) > 1e-6 || math.Abs(c-ex.SpecificHeat) > 1e-4 {
		t.Errorf("from log Z: e=%v C=%v; ExactIsing e=%v C=%v", e, c, ex.EnergyPerSite, ex.SpecificHeat)
	}
}

func TestExactLimits(t *testing.T) {
	if _, err := ExactIsing(5, 1, 0, 2); err == nil || !strings.Contains(err.Error(), "L ≤ 4") {
		t.Errorf("L=5: err = %v, want the limit stated", err)
	}
	for _, bad := range []struct {
		L       int
		J, h, T float64
	}{{1, 1, 0, 1}, {4, 1, 0, 0}, {4, 1, 0, -1}, {4, math.NaN(), 0, 1}, {4, 1, math.Inf(1), 1}} {
		if _, err := ExactIsing(bad.L, bad.J, bad.h, bad.T); err == nil {
			t.Errorf("ExactIsing%+v: no error", bad)
		}
	}
	if _, err := ExactPotts(5, 2, 1, 0, 1); err == nil || !strings.Contains(err.Error(), "2^20") {
		t.Errorf("Potts 5×5 q=2: err = %v, want the limit stated", err)
	}
	if _, err := ExactPotts(3, 5, 1, 0, 1); err == nil {
		t.Error("Potts 3×3 q=5 (5^9 > 2^20): no error")
	}
	if _, err := ExactPotts(3, 1, 1, 0, 1); err == nil {
		t.Error("Potts q=1: no error")
	}
}

func TestKaufmanMatchesEnumeration(t *testing.T) {
	for _, L := range []int{2, 3, 4} {
		for _, T := range []float64{0.7, 1.5, Tc, 3.5, 10} {
			ex, _ := ExactIsing(L, 1, 0, T)
			k, err := KaufmanLogZ(L, L, 1, T)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(k-ex.LogZ) > 1e-10*ex.LogZ {
				t.Errorf("L=%d T=%v: Kaufman log Z %.14g, enumeration %.14g", L, T, k, ex.LogZ)
			}
			ke, err := KaufmanEnergy(L, L, 1, T)
			if err != nil || math.Abs(ke-ex.EnergyPerSite) > 1e-7 {
				t.Errorf("L=%d T=%v: Kaufman energy %.10g (%v), enumeration %.10g", L, T, ke, err, ex.EnergyPerSite)
			}
		}
	}
	// A rectangle and its transpose are the same torus.
	a, _ := KaufmanLogZ(3, 6, 0.8, 2)
	b, _ := KaufmanLogZ(6, 3, 0.8, 2)
	if math.Abs(a-b) > 1e-10*a {
		t.Errorf("Kaufman 3×6 %v ≠ 6×3 %v", a, b)
	}
	if _, err := KaufmanLogZ(4, 4, -1, 2); err == nil {
		t.Error("Kaufman with J < 0: no error")
	}
}

// At T_c the exact finite-lattice energy approaches −√2 as 1/L (α = 0, ν = 1): the
// L = 64 lattice lies 0.69% below it (larger in magnitude), and the
// deviation halves as L doubles.
func TestKaufmanFiniteSizeAtTc(t *testing.T) {
	dev := map[int]float64{}
	for _, L := range []int{32, 64, 128, 256} {
		e, err := KaufmanEnergy(L, L, 1, Tc)
		if err != nil {
			t.Fatal(err)
		}
		dev[L] = e + math.Sqrt2
		t.Logf("L=%3d: exact e(T_c) = %.6f, e + √2 = %+.6f (%.3f%%)", L, e, dev[L], 100*dev[L]/math.Sqrt2)
	}
	if r := dev[64] / dev[128]; math.Abs(r-2) > 0.01 {
		t.Errorf("finite-size deviation ratio L=64/L=128 = %v, want ≈ 2 (1/L law)", r)
	}
	if math.Abs(dev[64]) > 0.01*math.Sqrt2 {
		t.Errorf("L=64 deviation %v is not small", dev[64])
	}
}

// Potts q = 2 is the Ising model with J_I = J_P/2, h_I = h_P/2 and
// E_P = E_I − J_P N − h_P N/2.
func TestExactPottsQ2IsIsing(t *testing.T) {
	for _, p := range []struct{ J, h, T float64 }{{2, 0, 2.5}, {1, 0.6, 1.2}, {-1, 0.3, 2}} {
		for _, L := range []int{2, 3, 4} {
			pe, err := ExactPotts(L, 2, p.J, p.h, p.T)
			if err != nil {
				t.Fatal(err)
			}
			ie, _ := ExactIsing(L, p.J/2, p.h/2, p.T)
			N := float64(L * L)
			wantLZ := ie.LogZ + (p.J*N+p.h*N/2)/p.T
			wantE := ie.EnergyPerSite - p.J - p.h/2
			if math.Abs(pe.LogZ-wantLZ) > 1e-10*math.Abs(wantLZ) || math.Abs(pe.EnergyPerSite-wantE) > 1e-10 ||
				math.Abs(pe.SpecificHeat-ie.SpecificHeat) > 1e-9 {
				t.Errorf("L=%d %+v: Potts (%v, %v, C %v), mapped Ising (%v, %v, C %v)", L, p,
					pe.LogZ, pe.EnergyPerSite, pe.SpecificHeat, wantLZ, wantE, ie.SpecificHeat)
			}
		}
	}
}

// ExactPotts agrees with an independent recursive enumeration of a 3×3 q = 3
// lattice with a field.
func TestExactPottsBruteForce(t *testing.T) {
	const L, q, J, h, T = 3, 3, 1.0, 0.4, 1.3
	n := L * L
	s := make([]int, n)
	var z, ze float64
	var rec func(i int)
	rec = func(i int) {
		if i == n {
			E := 0.0
			for y := 0; y < L; y++ {
				for x := 0; x < L; x++ {
					v := s[y*L+x]
					if v == s[y*L+(x+1)%L] {
						E -= J
					}
					if v == s[((y+1)%L)*L+x] {
						E -= J
					}
					if v == 0 {
						E -= h
					}
				}
			}
			w := math.Exp(-E / T)
			z += w
			ze += w * E
			return
		}
		for v := 0; v < q; v++ {
			s[i] = v
			rec(i + 1)
		}
	}
	rec(0)
	ex, err := ExactPotts(L, q, J, h, T)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ex.LogZ-math.Log(z)) > 1e-10 || math.Abs(ex.EnergyPerSite-ze/z/float64(n)) > 1e-10 {
		t.Errorf("ExactPotts (%v, %v), brute force (%v, %v)", ex.LogZ, ex.EnergyPerSite, math.Log(z), ze/z/float64(n))
	}
}

package ising

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
)

// MaxL is the largest lattice side accepted by NewIsing and NewPotts (2048² ≈ 4.2
// million sites, a few hundred MB of working memory).
const MaxL = 2048

// Tc is the critical temperature of the square-lattice Ising model with J = 1,
// 2/ln(1+√2) ≈ 2.269185 (Onsager).
var Tc = 2 / math.Log(1+math.Sqrt2)

// OnsagerMagnetization returns the spontaneous magnetization per site of the
// infinite square-lattice Ising model with coupling J at temperature T,
// (1 − sinh⁻⁴(2J/T))^{1/8} below T_c and 0 above (Onsager, Yang).
func OnsagerMagnetization(J, T float64) float64 {
	s := math.Sinh(2 * J / T)
	v := 1 - 1/(s*s*s*s)
	if v <= 0 {
		return 0
	}
	return math.Pow(v, 0.125)
}

// neighbours builds the periodic L×L neighbour table: for site i = y·L + x,
// nbr[4i..4i+3] = right, down, left, up.
func neighbours(L int) []int32 {
	n := L * L
	nbr := make([]int32, 4*n)
	for y := 0; y < L; y++ {
		for x := 0; x < L; x++ {
			i := y*L + x
			nbr[4*i+0] = int32(y*L + (x+1)%L)
			nbr[4*i+1] = int32(((y+1)%L)*L + x)
			nbr[4*i+2] = int32(y*L + (x+L-1)%L)
			nbr[4*i+3] = int32(((y+L-1)%L)*L + x)
		}
	}
	return nbr
}

// threshold converts a probability into a uint64 threshold t such that a uniform
// 64-bit word u satisfies u < t with probability p (to within 2⁻⁶⁴).
func threshold(p float64) uint64 {
	switch {
	case !(p > 0):
		return 0
	case p >= 1:
		return math.MaxUint64
	}
	t := math.Ldexp(p, 64)
	if t >= math.Ldexp(1, 64) {
		return math.MaxUint64
	}
	return uint64(t)
}

// checkLattice validates the common lattice parameters.
func checkLattice(L int, J, H, T float64) error {
	if L < 2 || L > MaxL {
		return fmt.Errorf("ising: lattice size L=%d out of range [2, %d]", L, MaxL)
	}
	if !(T > 0) || math.IsInf(T, 0) {
		return fmt.Errorf("ising: temperature T=%v must be positive and finite", T)
	}
	if math.IsNaN(J) || math.IsInf(J, 0) {
		return fmt.Errorf("ising: coupling J=%v must be finite", J)
	}
	if math.IsNaN(H) || math.IsInf(H, 0) {
		return fmt.Errorf("ising: field h=%v must be finite", H)
	}
	return nil
}

// Ising is a Markov chain on the L×L periodic Ising model
// E(s) = −J Σ_<ij> s_i s_j − h Σ_i s_i at temperature T, with int8 spins.
//
// The update methods (GibbsSweep, MetropolisSweep, WolffSweep, SWSweep) each leave
// p ∝ exp(−E/T) invariant and allocate nothing: acceptance probabilities are
// tabulated when the chain is made or its temperature changes, and cluster buffers
// are allocated once. One sweep is, for every algorithm, about N = L² elementary
// spin updates, so autocorrelation times in sweeps compare across algorithms.
//
// An Ising value is not safe for concurrent use; run independent chains in
// independent values.
type Ising struct {
	// L is the lattice side and N = L² the number of sites; J, H and T are the
	// coupling, field and temperature. Treat them as read-only: the acceptance
	// tables depend on them (change T with SetTemperature).
	L, N    int
	J, H, T float64

	s   []int8  // spins, row-major
	nbr []int32 // right, down, left, up of each site

	src *rand.PCG
	rng *rand.Rand

	// Heat-bath thresholds: P(s_i = +1 | σ) indexed by (σ+4), σ = Σ neighbours.
	heat [9]uint64
	// Metropolis thresholds indexed by [(s_i+1)/2][σ+4].
	metro [2][9]uint64
	// Bond probability 1 − exp(−2|J|/T) for cluster algorithms.
	padd uint64
	// jsign is +1 for J ≥ 0 (a bond is satisfied when s_i = s_j) and −1 for J < 0.
	jsign int8

	// Cluster work space.
	mark     []uint32
	gen      uint32
	cluster  []int32
	bondR    []bool
	bondD    []bool
	wolffPer int // Wolff: clusters per sweep (0 until tuned)

	// Counters since creation (or the last ResetCounters).
	proposed, accepted int64 // Metropolis
	clusters, flipped  int64 // Wolff
}

// NewIsing returns a chain on an L×L lattice with a random (infinite-temperature)
// start drawn from the PCG generator seeded with (seed, 0x15196).
func NewIsing(L int, J, H, T float64, seed uint64) (*Ising, error) {
	if err := checkLattice(L, J, H, T); err != nil {
		return nil, err
	}
	m := &Ising{L: L, N: L * L, J: J, H: H}
	m.s = make([]int8, m.N)
	m.nbr = neighbours(L)
	m.src = rand.NewPCG(seed, 0x15196)
	m.rng = rand.New(m.src)
	m.mark = make([]uint32, m.N)
	m.cluster = make([]int32, 0, m.N)
	m.bondR = make([]bool, m.N)
	m.bondD = make([]bool, m.N)
	for i := range m.s {
		m.s[i] = int8(2*(m.src.Uint64()>>63)) - 1
	}
	if err := m.SetTemperature(T); err != nil {
		return nil, err
	}
	return m, nil
}

// SetTemperature changes T and recomputes the acceptance tables. The number of
// clusters per WolffSweep is kept; call TuneWolff again after a large change.
func (m *Ising) SetTemperature(T float64) error {
	if !(T > 0) || math.IsInf(T, 0) {
		return fmt.Errorf("ising: temperature T=%v must be positive and finite", T)
	}
	m.T = T
	for k := 0; k < 9; k++ {
		sigma := float64(k - 4)
		// P(+1) = e^{a}/(e^{a}+e^{−a}) with a = (Jσ + h)/T.
		a := (m.J*sigma + m.H) / T
		m.heat[k] = threshold(1 / (1 + math.Exp(-2*a)))
		for si := 0; si < 2; si++ {
			s := float64(2*si - 1)
			dE := 2 * s * (m.J*sigma + m.H)
			m.metro[si][k] = threshold(math.Exp(-dE / T))
		}
	}
	m.padd = threshold(-math.Expm1(-2 * math.Abs(m.J) / T))
	m.jsign = 1
	if m.J < 0 {
		m.jsign = -1
	}
	return nil
}

// Spins returns the spin slice (row-major, length N); the caller may read or set
// it (to ±1 only) between updates.
func (m *Ising) Spins() []int8 { return m.s }

// SetAll sets every spin to v (+1 or −1), a cold start.
func (m *Ising) SetAll(v int8) error {
	if v != 1 && v != -1 {
		return errors.New("ising: spin must be +1 or -1")
	}
	for i := range m.s {
		m.s[i] = v
	}
	return nil
}

// Sums returns the bond sum B = Σ_<ij> s_i s_j and the magnetization M = Σ_i s_i,
// so that E = −J·B − h·M.
func (m *Ising) Sums() (B, M int) {
	s, nbr := m.s, m.nbr
	b, mm := 0, 0
	for i, si := range s {
		mm += int(si)
		b += int(si) * int(s[nbr[4*i]]+s[nbr[4*i+1]])
	}
	return b, mm
}

// Energy returns E(s) for the current spins.
func (m *Ising) Energy() float64 {
	b, mm := m.Sums()
	return -m.J*float64(b) - m.H*float64(mm)
}

// GibbsSweep performs one heat-bath sweep in checkerboard order: first every site
// with x+y even, then every site with x+y odd, each spin drawn from its conditional
// P(s_i = +1 | rest) = 1/(1 + exp(−2(Jσ_i + h)/T)), σ_i the sum of its four
// neighbours. For even L the two sublattices are conditionally independent, so
// this equals a block update of each colour; for odd L it is a valid systematic
// scan all the same.
func (m *Ising) GibbsSweep() {
	L := m.L
	s := m.s
	src := m.src
	heat := &m.heat
	for parity := 0; parity < 2; parity++ {
		for y := 0; y < L; y++ {
			row := y * L
			up := ((y + L - 1) % L) * L
			dn := ((y + 1) % L) * L
			for x := (y + parity) & 1; x < L; x += 2 {
				xl := x - 1
				if xl < 0 {
					xl = L - 1
				}
				xr := x + 1
				if xr == L {
					xr = 0
				}
				sigma := int(s[row+xl]) + int(s[row+xr]) + int(s[up+x]) + int(s[dn+x])
				v := int8(-1)
				if src.Uint64() < heat[sigma+4] {
					v = 1
				}
				s[row+x] = v
			}
		}
	}
}

// MetropolisSweep makes N single-site Metropolis proposals, each at a uniformly
// random site (random scan): flip s_i, accepted with probability min(1, exp(−ΔE/T)),
// ΔE = 2 s_i (Jσ_i + h). The random site order makes the chain irreducible; a
// fixed (typewriter) order can lock into a deterministic cycle in which every
// proposal is accepted, as happens from some starts on a 3×3 lattice.
func (m *Ising) MetropolisSweep() {
	s, nbr, src := m.s, m.nbr, m.src
	metro := &m.metro
	n := uint64(m.N)
	thresh := -n % n // Lemire's unbiased bounded integers
	acc := int64(0)
	for k := 0; k < m.N; k++ {
		hi, lo := bits.Mul64(src.Uint64(), n)
		for lo < thresh {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
		i := int(hi)
		nb := nbr[4*i : 4*i+4 : 4*i+4]
		sigma := int(s[nb[0]]) + int(s[nb[1]]) + int(s[nb[2]]) + int(s[nb[3]])
		si := s[i]
		if src.Uint64() < metro[(si+1)>>1][sigma+4] {
			s[i] = -si
			acc++
		}
	}
	m.proposed += int64(m.N)
	m.accepted += acc
}

// nextGen advances the cluster marker generation, clearing marks on wrap-around.
func (m *Ising) nextGen() uint32 {
	m.gen++
	if m.gen == 0 {
		clear(m.mark)
		m.gen = 1
	}
	return m.gen
}

// WolffCluster grows one Wolff cluster and flips it; it returns the cluster size.
//
// From a uniformly chosen seed site the cluster grows along satisfied bonds
// (J s_i s_j > 0) each added with probability 1 − exp(−2|J|/T). At h = 0 the
// cluster is always flipped. With a field the flip is accepted with the Metropolis
// probability min(1, exp(−ΔE/T)) of the field energy change ΔE = 2h Σ_{i∈C} s_i;
// the bond construction already balances the coupling term, so this is exact (but
// slow when |h| is large). A rejected cluster still counts its size as work.
func (m *Ising) WolffCluster() int {
	if m.J > 0 {
		return m.wolffFerro()
	}
	s, nbr, src := m.s, m.nbr, m.src
	gen := m.nextGen()
	mark := m.mark
	seed := int32(m.rng.IntN(m.N))
	c := append(m.cluster[:0], seed)
	mark[seed] = gen
	padd := m.padd
	js := m.jsign
	var sum int
	for k := 0; k < len(c); k++ {
		i := c[k]
		si := s[i]
		sum += int(si)
		want := si * js // neighbour spin that makes the bond satisfied
		for d := 0; d < 4; d++ {
			j := nbr[4*int(i)+d]
			if mark[j] != gen && s[j] == want && src.Uint64() < padd {
				mark[j] = gen
				c = append(c, j)
			}
		}
	}
	m.cluster = c
	if m.acceptClusterFlip(sum) {
		for _, i := range c {
			s[i] = -s[i]
		}
	}
	m.clusters++
	m.flipped += int64(len(c))
	return len(c)
}

// wolffFerro is WolffCluster for J > 0: every cluster spin equals the seed's, so
// spins are flipped as they join (a flipped spin can never join again) and no
// marks are needed; a rejected flip (h ≠ 0) is undone.
func (m *Ising) wolffFerro() int {
	s, nbr, src := m.s, m.nbr, m.src
	seed := int32(m.rng.IntN(m.N))
	s0 := s[seed]
	c := append(m.cluster[:0], seed)
	s[seed] = -s0
	padd := m.padd
	for k := 0; k < len(c); k++ {
		nb := nbr[4*int(c[k]) : 4*int(c[k])+4 : 4*int(c[k])+4]
		for _, j := range nb {
			if s[j] == s0 && src.Uint64() < padd {
				s[j] = -s0
				c = append(c, j)
			}
		}
	}
	m.cluster = c
	if !m.acceptClusterFlip(len(c) * int(s0)) {
		for _, i := range c {
			s[i] = s0
		}
	}
	m.clusters++
	m.flipped += int64(len(c))
	return len(c)
}

// acceptClusterFlip decides a Wolff flip of a cluster whose spins sum to sum:
// always at h = 0, else with probability min(1, exp(−2h·sum/T)).
func (m *Ising) acceptClusterFlip(sum int) bool {
	if m.H == 0 {
		return true
	}
	dE := 2 * m.H * float64(sum)
	return dE <= 0 || m.rng.Float64() < math.Exp(-dE/m.T)
}

// WolffSweep grows a fixed number n_c of Wolff clusters (see WolffCluster), with
// n_c = max(1, round(N/⟨|C|⟩)) so that a sweep flips about N spins on average, the
// same work unit as a single-site sweep: autocorrelation times in sweeps then
// compare across algorithms. n_c is set by SetWolffClusters or TuneWolff; if
// neither was called, the first WolffSweep calls TuneWolff(20). The count must stay
// fixed while measuring: ending a sweep when the flipped sizes add up to N would be
// a stopping rule that depends on the configuration, and biases the measurements
// (markedly so on small lattices).
func (m *Ising) WolffSweep() {
	if m.wolffPer == 0 {
		m.TuneWolff(20)
	}
	for k := 0; k < m.wolffPer; k++ {
		m.WolffCluster()
	}
}

// SetWolffClusters sets the number of clusters per WolffSweep (n ≥ 1).
func (m *Ising) SetWolffClusters(n int) error {
	if n < 1 {
		return fmt.Errorf("ising: clusters per sweep %d must be ≥ 1", n)
	}
	m.wolffPer = n
	return nil
}

// WolffClusters returns the number of clusters per WolffSweep (0 before tuning).
func (m *Ising) WolffClusters() int { return m.wolffPer }

// TuneWolff estimates the mean Wolff cluster size ⟨|C|⟩ from pilot sweeps' worth of
// clusters (at least pilot·N cluster sites) grown on a copy of the current
// configuration, with its own random stream, so the chain itself is not touched;
// it sets the clusters per WolffSweep to max(1, round(N/⟨|C|⟩)) and returns it.
// Call it once the chain has equilibrated (Run does so after burn-in).
func (m *Ising) TuneWolff(pilot int) int {
	pilot = max(pilot, 1)
	c := *m
	c.s = append([]int8(nil), m.s...)
	c.mark = make([]uint32, m.N)
	c.gen = 0
	c.cluster = make([]int32, 0, m.N)
	c.src = rand.NewPCG(m.src.Uint64(), 0x7e5e)
	c.rng = rand.New(c.src)
	sites, count := 0, 0
	for sites < pilot*m.N {
		sites += c.WolffCluster()
		count++
	}
	mean := float64(sites) / float64(count)
	m.wolffPer = max(1, int(math.Round(float64(m.N)/mean)))
	return m.wolffPer
}

// SWSweep performs one Swendsen-Wang update: every satisfied bond (J s_i s_j > 0) is
// occupied with probability 1 − exp(−2|J|/T), the connected clusters of occupied
// bonds are found by breadth-first search, and each cluster is flipped
// independently: with probability ½ at h = 0, otherwise by heat bath between the
// cluster and its flip, P(flip) = 1/(1 + exp(ΔE/T)) with ΔE = 2h Σ_{i∈C} s_i, which is
// the exact conditional of the Edwards-Sokal joint model with a field.
func (m *Ising) SWSweep() {
	s, nbr, src := m.s, m.nbr, m.src
	n := m.N
	padd := m.padd
	js := m.jsign
	bondR, bondD := m.bondR, m.bondD
	for i := 0; i < n; i++ {
		want := s[i] * js
		bondR[i] = s[nbr[4*i]] == want && src.Uint64() < padd
		bondD[i] = s[nbr[4*i+1]] == want && src.Uint64() < padd
	}
	gen := m.nextGen()
	mark := m.mark
	var bits uint64
	nbits := 0
	for start := 0; start < n; start++ {
		if mark[start] == gen {
			continue
		}
		c := growCluster(m.cluster, start, nbr, bondR, bondD, mark, gen)
		sum := 0
		for _, i := range c {
			sum += int(s[i])
		}
		m.cluster = c
		var flip bool
		if m.H == 0 {
			if nbits == 0 {
				bits, nbits = src.Uint64(), 64
			}
			flip = bits&1 == 1
			bits >>= 1
			nbits--
		} else {
			dE := 2 * m.H * float64(sum)
			flip = m.rng.Float64()*(1+math.Exp(dE/m.T)) < 1
		}
		if flip {
			for _, i := range c {
				s[i] = -s[i]
			}
		}
	}
}

// AcceptanceRate returns the fraction of accepted Metropolis flips so far (0 if
// none were proposed).
func (m *Ising) AcceptanceRate() float64 {
	if m.proposed == 0 {
		return 0
	}
	return float64(m.accepted) / float64(m.proposed)
}

// MeanClusterSize returns the mean size of the Wolff clusters grown so far (0 if
// none).
func (m *Ising) MeanClusterSize() float64 {
	if m.clusters == 0 {
		return 0
	}
	return float64(m.flipped) / float64(m.clusters)
}

// ResetCounters zeroes the acceptance and cluster counters.
func (m *Ising) ResetCounters() {
	m.proposed, m.accepted, m.clusters, m.flipped = 0, 0, 0, 0
}

// wolffBurnSweep grows clusters until about N cluster sites have been flipped.
// Its stopping rule depends on the configuration, so it serves only for burn-in,
// where it gives every sweep comparable work before TuneWolff has a mean size.
func (m *Ising) wolffBurnSweep() {
	for sites := 0; sites < m.N; {
		sites += m.WolffCluster()
	}
}

// growCluster returns the Swendsen–Wang cluster of site start (appended to
// c[:0]): the sites reached through active bonds, bondR[i] to the right
// neighbour and bondD[i] to the one below (nbr as built by neighbours). Every
// site added is marked with gen.
func growCluster(c []int32, start int, nbr []int32, bondR, bondD []bool, mark []uint32, gen uint32) []int32 {
	mark[start] = gen
	c = append(c[:0], int32(start))
	for k := 0; k < len(c); k++ {
		i := int(c[k])
		r, d, l, u := nbr[4*i], nbr[4*i+1], nbr[4*i+2], nbr[4*i+3]
		if bondR[i] && mark[r] != gen {
			mark[r] = gen
			c = append(c, r)
		}
		if bondD[i] && mark[d] != gen {
			mark[d] = gen
			c = append(c, d)
		}
		if bondR[l] && mark[l] != gen {
			mark[l] = gen
			c = append(c, l)
		}
		if bondD[u] && mark[u] != gen {
			mark[u] = gen
			c = append(c, u)
		}
	}
	return c
}

package ising

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// MaxQ is the largest number of Potts states.
const MaxQ = 256

// Potts is a Markov chain on the q-state Potts model on the L×L periodic lattice,
//
//	E(s) = −J Σ_<ij> δ(s_i, s_j) − h Σ_i δ(s_i, 0),   p ∝ exp(−E/T),
//
// with states 0…q−1 stored as uint8. GibbsSweep and SWSweep allocate nothing.
// For q = 2 it maps onto the Ising model with J_ising = J/2, h_ising = h/2 and
// E_potts = E_ising − J·N − h·N/2 (state 0 ↔ spin +1).
type Potts struct {
	// Lattice side, sites, states, coupling, field and temperature; read-only
	// (change T with SetTemperature).
	L, N, Q int
	J, H, T float64

	s   []uint8
	nbr []int32
	src *rand.PCG
	rng *rand.Rand

	bw   [5]float64 // exp(J(n−4)/T) for n equal neighbours
	fw   float64    // exp(h/T), extra weight of state 0
	padd uint64     // 1 − exp(−J/T)

	cnt  []int     // per-state neighbour counts (length q)
	w    []float64 // per-state weights (length q)
	mark []uint32
	gen  uint32
	clu  []int32
	bR   []bool
	bD   []bool
}

// NewPotts returns a Potts chain with a uniformly random start from the PCG
// generator seeded with (seed, 0x9077).
func NewPotts(L, q int, J, H, T float64, seed uint64) (*Potts, error) {
	if err := checkLattice(L, J, H, T); err != nil {
		return nil, err
	}
	if q < 2 || q > MaxQ {
		return nil, fmt.Errorf("ising: Potts q=%d out of range [2, %d]", q, MaxQ)
	}
	p := &Potts{L: L, N: L * L, Q: q, J: J, H: H}
	p.s = make([]uint8, p.N)
	p.nbr = neighbours(L)
	p.src = rand.NewPCG(seed, 0x9077)
	p.rng = rand.New(p.src)
	p.cnt = make([]int, q)
	p.w = make([]float64, q)
	p.mark = make([]uint32, p.N)
	p.clu = make([]int32, 0, p.N)
	p.bR = make([]bool, p.N)
	p.bD = make([]bool, p.N)
	for i := range p.s {
		p.s[i] = uint8(p.rng.IntN(q))
	}
	if err := p.SetTemperature(T); err != nil {
		return nil, err
	}
	return p, nil
}

// SetTemperature changes T and recomputes the weight tables.
func (p *Potts) SetTemperature(T float64) error {
	if !(T > 0) || math.IsInf(T, 0) {
		return fmt.Errorf("ising: temperature T=%v must be positive and finite", T)
	}
	p.T = T
	shift := 4 * math.Max(p.J, 0)
	for n := 0; n <= 4; n++ {
		p.bw[n] = math.Exp((p.J*float64(n) - shift) / T)
	}
	p.fw = math.Exp(p.H / T)
	p.padd = 0
	if p.J > 0 {
		p.padd = threshold(-math.Expm1(-p.J / T))
	}
	return nil
}

// States returns the state slice (row-major, values in 0…q−1).
func (p *Potts) States() []uint8 { return p.s }

// Energy returns E(s) for the current states.
func (p *Potts) Energy() float64 {
	same, zeros := p.sums()
	return -p.J*float64(same) - p.H*float64(zeros)
}

// sums returns the number of satisfied bonds and the number of sites in state 0.
func (p *Potts) sums() (same, zeros int) {
	s, nbr := p.s, p.nbr
	for i, si := range s {
		if si == 0 {
			zeros++
		}
		if s[nbr[4*i]] == si {
			same++
		}
		if s[nbr[4*i+1]] == si {
			same++
		}
	}
	return same, zeros
}

// heatBath draws site i from its conditional P(s_i = k | rest) ∝
// exp((J n_k + h δ_k0)/T), n_k the number of neighbours in state k.
func (p *Potts) heatBath(i int) {
	s, nbr := p.s, p.nbr
	cnt, w := p.cnt, p.w
	clear(cnt)
	for d := 0; d < 4; d++ {
		cnt[s[nbr[4*i+d]]]++
	}
	var tot float64
	for k := range w {
		w[k] = p.bw[cnt[k]]
		tot += w[k]
	}
	w[0] *= p.fw
	tot += w[0] - p.bw[cnt[0]]
	if !(tot > 0) || math.IsInf(tot, 0) {
		// The tabulated weights under- or overflowed (|J|/T or |h|/T huge):
		// recompute this site in log space.
		mx := math.Inf(-1)
		for k := range w {
			l := p.J * float64(cnt[k])
			if k == 0 {
				l += p.H
			}
			w[k] = l / p.T
			mx = math.Max(mx, w[k])
		}
		tot = 0
		for k := range w {
			w[k] = math.Exp(w[k] - mx)
			tot += w[k]
		}
	}
	u := p.rng.Float64() * tot
	k := 0
	for ; k < len(w)-1; k++ {
		u -= w[k]
		if u < 0 {
			break
		}
	}
	s[i] = uint8(k)
}

// GibbsSweep performs one heat-bath sweep in checkerboard order (sites with x+y
// even, then odd), each state drawn from its exact conditional.
func (p *Potts) GibbsSweep() {
	L := p.L
	for parity := 0; parity < 2; parity++ {
		for y := 0; y < L; y++ {
			for x := (y + parity) & 1; x < L; x += 2 {
				p.heatBath(y*L + x)
			}
		}
	}
}

// SWSweep performs one Swendsen-Wang update for J ≥ 0: each bond joining equal
// states is occupied with probability 1 − exp(−J/T), and every connected cluster
// takes a new common state drawn from its conditional, P(k) ∝ exp(h·n_C·δ_k0/T)
// (uniform at h = 0), n_C the cluster size. It returns an error for J < 0, where
// the Fortuin-Kasteleyn construction does not apply.
func (p *Potts) SWSweep() error {
	if p.J < 0 {
		return fmt.Errorf("ising: Potts Swendsen-Wang needs J ≥ 0 (J=%v)", p.J)
	}
	s, nbr, src := p.s, p.nbr, p.src
	n := p.N
	for i := 0; i < n; i++ {
		si := s[i]
		p.bR[i] = s[nbr[4*i]] == si && src.Uint64() < p.padd
		p.bD[i] = s[nbr[4*i+1]] == si && src.Uint64() < p.padd
	}
	p.gen++
	if p.gen == 0 {
		clear(p.mark)
		p.gen = 1
	}
	gen, mark, bR, bD := p.gen, p.mark, p.bR, p.bD
	q := p.Q
	for start := 0; start < n; start++ {
		if mark[start] == gen {
			continue
		}
		c := growCluster(p.clu, start, nbr, bR, bD, mark, gen)
		p.clu = c
		var v uint8
		if p.H == 0 {
			v = uint8(p.rng.IntN(q))
		} else {
			// P(0) = e^{a}/(e^{a} + q − 1), a = h n_C/T; computed stably.
			a := p.H * float64(len(c)) / p.T
			var p0 float64
			if a > 0 {
				p0 = 1 / (1 + float64(q-1)*math.Exp(-a))
			} else {
				e := math.Exp(a)
				p0 = e / (e + float64(q-1))
			}
			if p.rng.Float64() < p0 {
				v = 0
			} else {
				v = uint8(1 + p.rng.IntN(q-1))
			}
		}
		for _, i := range c {
			s[i] = v
		}
	}
	return nil
}

// PottsAlgos lists the valid Potts algorithm names.
func PottsAlgos() []string { return []string{string(Gibbs), string(SW)} }

// PottsConfig configures RunPotts.
type PottsConfig struct {
	L, Q      int
	J, H, T   float64
	Algo      Algo // Gibbs or SW
	Sweeps    int  // measured sweeps, ≥ 1
	Burn      int  // discarded sweeps, ≥ 0
	Seed      uint64
	ColdStart bool // start from all sites in state 0
	Progress  func(done, total int)
}

// PottsResult holds the measurements of RunPotts.
type PottsResult struct {
	L    int     `json:"size"`
	Q    int     `json:"q"`
	J    float64 `json:"coupling"`
	H    float64 `json:"field"`
	T    float64 `json:"temperature"`
	Algo Algo    `json:"algo"`
	Seed uint64  `json:"seed"`

	EnergyPerSite   float64 `json:"energy_per_site"`
	EnergyPerSiteSE float64 `json:"energy_per_site_se"`
	// SpecificHeat is (⟨E²⟩ − ⟨E⟩²)/(N T²), blocked-jackknife error.
	SpecificHeat   float64 `json:"specific_heat"`
	SpecificHeatSE float64 `json:"specific_heat_se"`
	// Order is the order parameter ⟨(q·max_k N_k/N − 1)/(q − 1)⟩, N_k the number
	// of sites in state k.
	Order        float64 `json:"order_parameter"`
	OrderSE      float64 `json:"order_parameter_se"`
	TauIntEnergy float64 `json:"tau_int_energy"`
	// RhatEnergy and ESSBulkEnergy are the split R̂ and bulk ESS of the
	// energy series (see Result); nil when undefined.
	RhatEnergy    *float64 `json:"rhat_energy,omitempty"`
	ESSBulkEnergy *float64 `json:"ess_bulk_energy,omitempty"`
	Sweeps        int      `json:"sweeps"`
	Burn          int      `json:"burn"`
	Seconds       float64  `json:"seconds"`
	Warnings      []string `json:"warnings,omitempty"`

	EnergySeries []float64 `json:"-"`
}

// RunPotts simulates the Potts model of cfg and measures the energy per site (and
// the order parameter) after each sweep, with errors as in Run.
func RunPotts(ctx context.Context, cfg PottsConfig) (*PottsResult, error) {
	if cfg.Sweeps < 1 || cfg.Sweeps > MaxSweeps {
		return nil, fmt.Errorf("ising: sweeps=%d out of range [1, %d]", cfg.Sweeps, MaxSweeps)
	}
	if cfg.Burn < 0 {
		return nil, fmt.Errorf("ising: burn=%d must be ≥ 0", cfg.Burn)
	}
	if cfg.Algo != Gibbs && cfg.Algo != SW {
		return nil, fmt.Errorf("ising: unknown Potts algorithm %q (valid: %s)", cfg.Algo, strings.Join(PottsAlgos(), ", "))
	}
	if cfg.Algo == SW && cfg.J < 0 {
		return nil, fmt.Errorf("ising: Potts Swendsen-Wang needs J ≥ 0 (J=%v)", cfg.J)
	}
	p, err := NewPotts(cfg.L, cfg.Q, cfg.J, cfg.H, cfg.T, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if cfg.ColdStart {
		clear(p.s)
	}
	start := time.Now()
	total := cfg.Burn + cfg.Sweeps
	every := max(total/1000, 1)
	es := make([]float64, cfg.Sweeps)
	ord := make([]float64, cfg.Sweeps)
	hist := make([]int, cfg.Q)
	N := float64(p.N)
	for k := 0; k < total; k++ {
		if cfg.Algo == Gibbs {
			p.GibbsSweep()
		} else if err := p.SWSweep(); err != nil {
			return nil, err
		}
		if k >= cfg.Burn {
			es[k-cfg.Burn] = p.Energy() / N
			clear(hist)
			for _, v := range p.s {
				hist[v]++
			}
			mx := 0
			for _, c := range hist {
				mx = max(mx, c)
			}
			q := float64(cfg.Q)
			ord[k-cfg.Burn] = (q*float64(mx)/N - 1) / (q - 1)
		}
		if (k+1)%every == 0 || k+1 == total {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if cfg.Progress != nil {
				cfg.Progress(k+1, total)
			}
		}
	}
	res := &PottsResult{L: cfg.L, Q: cfg.Q, J: cfg.J, H: cfg.H, T: cfg.T, Algo: cfg.Algo, Seed: cfg.Seed,
		Sweeps: cfg.Sweeps, Burn: cfg.Burn, EnergySeries: es}
	var okE, okO bool
	var tauO float64
	res.EnergyPerSite, res.EnergyPerSiteSE, res.TauIntEnergy, okE = MeanSE(es)
	res.Order, res.OrderSE, tauO, okO = MeanSE(ord)
	if !okE || !okO {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"run too short for the autocorrelation window (sweeps=%d, tau_int energy %.3g): error bars are unreliable; use more sweeps",
			cfg.Sweeps, res.TauIntEnergy))
	}
	res.RhatEnergy, res.ESSBulkEnergy = chainDiag(es)
	b := blockLength(cfg.Sweeps, math.Max(res.TauIntEnergy, tauO))
	res.SpecificHeat, res.SpecificHeatSE = fluctuationSE(es, N/(cfg.T*cfg.T), b)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// ExactPotts enumerates all q^N configurations of the L×L periodic Potts model
// (allowed while q^N ≤ 2^20) and returns log Z, ⟨E⟩/N and the specific heat
// (Magnetization and Susceptibility are left zero).
func ExactPotts(L, q int, J, H, T float64) (*Exact, error) {
	if err := checkLattice(L, J, H, T); err != nil {
		return nil, err
	}
	if q < 2 || q > MaxQ {
		return nil, fmt.Errorf("ising: Potts q=%d out of range [2, %d]", q, MaxQ)
	}
	n := L * L
	if float64(n)*math.Log2(float64(q)) > 20+1e-9 {
		return nil, fmt.Errorf("ising: exact Potts enumeration needs q^N ≤ 2^20; q=%d, N=%d", q, n)
	}
	total := 1
	for i := 0; i < n; i++ {
		total *= q
	}
	nbr := neighbours(L)
	s := make([]int, n)
	energies := make([]float64, total)
	emin := math.Inf(1)
	for st := 0; st < total; st++ {
		same, zeros := 0, 0
		for i := 0; i < n; i++ {
			if s[i] == 0 {
				zeros++
			}
			if s[nbr[4*i]] == s[i] {
				same++
			}
			if s[nbr[4*i+1]] == s[i] {
				same++
			}
		}
		e := -J*float64(same) - H*float64(zeros)
		energies[st] = e
		emin = math.Min(emin, e)
		// Odometer increment in base q.
		for i := 0; i < n; i++ {
			s[i]++
			if s[i] < q {
				break
			}
			s[i] = 0
		}
	}
	var z, se, se2 float64
	for _, e := range energies {
		ea := e - emin
		w := math.Exp(-ea / T)
		z += w
		se += w * ea
		se2 += w * ea * ea
	}
	se, se2 = se/z, se2/z
	N := float64(n)
	return &Exact{
		LogZ:          math.Log(z) - emin/T,
		EnergyPerSite: (se + emin) / N,
		SpecificHeat:  (se2 - se*se) / (N * T * T),
	}, nil
}

package ising

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// Algo names an Ising update algorithm.
type Algo string

// The Ising update algorithms; see the Ising methods of the same names.
const (
	Gibbs      Algo = "gibbs"      // checkerboard heat bath (GibbsSweep)
	Metropolis Algo = "metropolis" // single-site Metropolis (MetropolisSweep)
	Wolff      Algo = "wolff"      // Wolff single cluster (WolffSweep)
	SW         Algo = "sw"         // Swendsen-Wang (SWSweep)
)

// Algos lists the valid algorithm names.
func Algos() []string { return []string{string(Gibbs), string(Metropolis), string(Wolff), string(SW)} }

// ParseAlgo returns the algorithm named s, or an error listing the valid names.
func ParseAlgo(s string) (Algo, error) {
	for _, a := range Algos() {
		if s == a {
			return Algo(a), nil
		}
	}
	return "", fmt.Errorf("ising: unknown algorithm %q (valid: %s)", s, strings.Join(Algos(), ", "))
}

// MaxSweeps bounds Config.Sweeps: the energy and magnetization series are kept in
// memory (16 bytes per sweep) for the autocorrelation analysis.
const MaxSweeps = 1 << 26

// Config configures Run.
type Config struct {
	L    int     // lattice side, 2 ≤ L ≤ MaxL
	J    float64 // coupling; J > 0 ferromagnetic
	H    float64 // external field h
	T    float64 // temperature, > 0
	Algo Algo    // update algorithm
	// Sweeps is the number of measured sweeps (≥ 1); one measurement per sweep.
	Sweeps int
	// Burn is the number of sweeps discarded first (≥ 0).
	Burn int
	Seed uint64
	// ColdStart starts from all spins +1 instead of a random configuration.
	ColdStart bool
	// Progress, if non-nil, is called now and then with the sweeps done so far
	// (burn-in included) and the total.
	Progress func(done, total int)
}

// Result holds the measurements of a Run. All per-site quantities are intensive.
// Standard errors of means use σ√(2τ_int/n); those of the specific heat and the
// susceptibility come from a blocked jackknife with blocks of at least 10 τ_int.
type Result struct {
	L    int     `json:"size"`
	J    float64 `json:"coupling"`
	H    float64 `json:"field"`
	T    float64 `json:"temperature"`
	Algo Algo    `json:"algo"`
	Seed uint64  `json:"seed"`

	EnergyPerSite   float64 `json:"energy_per_site"`    // ⟨E⟩/N
	EnergyPerSiteSE float64 `json:"energy_per_site_se"` // its standard error
	Magnetization   float64 `json:"magnetization"`      // ⟨|M|⟩/N
	MagnetizationSE float64 `json:"magnetization_se"`
	// SpecificHeat is C = (⟨E²⟩ − ⟨E⟩²)/(N T²), per site.
	SpecificHeat   float64 `json:"specific_heat"`
	SpecificHeatSE float64 `json:"specific_heat_se"`
	// Susceptibility is χ = N(⟨m²⟩ − ⟨|m|⟩²)/T with m = M/N.
	Susceptibility   float64 `json:"susceptibility"`
	SusceptibilitySE float64 `json:"susceptibility_se"`
	// Integrated autocorrelation times in sweeps, Sokal's convention (½ for
	// independent samples), by automatic windowing.
	TauIntEnergy        float64 `json:"tau_int_energy"`
	TauIntMagnetization float64 `json:"tau_int_magnetization"`
	// Convergence diagnostics of the energy and |magnetization| series through
	// package diag: the rank-normalized split R̂ (diag.RhatBulk; the run's two
	// halves compared, near 1 when the run has forgotten its start) and the bulk
	// effective sample size (diag.ESSBulk). nil when undefined (a constant
	// series, or fewer than 4 sweeps).
	RhatEnergy           *float64 `json:"rhat_energy,omitempty"`
	RhatMagnetization    *float64 `json:"rhat_magnetization,omitempty"`
	ESSBulkEnergy        *float64 `json:"ess_bulk_energy,omitempty"`
	ESSBulkMagnetization *float64 `json:"ess_bulk_magnetization,omitempty"`

	Sweeps int `json:"sweeps"`
	Burn   int `json:"burn"`
	// AcceptanceRate is the Metropolis acceptance rate (Metropolis only).
	AcceptanceRate float64 `json:"acceptance_rate,omitempty"`
	// MeanClusterSize is the mean Wolff cluster size (Wolff only).
	MeanClusterSize float64 `json:"mean_cluster_size,omitempty"`
	// ClustersPerSweep is the fixed number of Wolff clusters per sweep, chosen
	// after burn-in so that a sweep flips about N spins (Wolff only).
	ClustersPerSweep int     `json:"clusters_per_sweep,omitempty"`
	Seconds          float64 `json:"seconds"`
	// Warnings notes measurements that may be unreliable (for example a run too
	// short for the autocorrelation window).
	Warnings []string `json:"warnings,omitempty"`

	// EnergySeries and MagSeries are the measured E/N and |M|/N, one per sweep.
	EnergySeries []float64 `json:"-"`
	MagSeries    []float64 `json:"-"`
}

// Run simulates the Ising model of cfg: Burn sweeps of cfg.Algo are discarded,
// then the energy and |magnetization| are measured after each of Sweeps sweeps.
// It returns ctx's error if ctx is cancelled. See Result for the estimators.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Sweeps < 1 || cfg.Sweeps > MaxSweeps {
		return nil, fmt.Errorf("ising: sweeps=%d out of range [1, %d]", cfg.Sweeps, MaxSweeps)
	}
	if cfg.Burn < 0 {
		return nil, fmt.Errorf("ising: burn=%d must be ≥ 0", cfg.Burn)
	}
	if _, err := ParseAlgo(string(cfg.Algo)); err != nil {
		return nil, err
	}
	m, err := NewIsing(cfg.L, cfg.J, cfg.H, cfg.T, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if cfg.ColdStart {
		_ = m.SetAll(1)
	}
	var step func()
	switch cfg.Algo {
	case Gibbs:
		step = m.GibbsSweep
	case Metropolis:
		step = m.MetropolisSweep
	case Wolff:
		step = m.WolffSweep
	case SW:
		step = m.SWSweep
	}
	start := time.Now()
	total := cfg.Burn + cfg.Sweeps
	every := total / 1000
	if every < 1 {
		every = 1
	}
	es := make([]float64, cfg.Sweeps)
	ms := make([]float64, cfg.Sweeps)
	N := float64(m.N)
	for k := 0; k < total; k++ {
		if k == cfg.Burn {
			if cfg.Algo == Wolff {
				m.TuneWolff(20)
			}
			m.ResetCounters()
		}
		if cfg.Algo == Wolff && k < cfg.Burn {
			m.wolffBurnSweep()
		} else {
			step()
		}
		if k >= cfg.Burn {
			b, mm := m.Sums()
			es[k-cfg.Burn] = (-cfg.J*float64(b) - cfg.H*float64(mm)) / N
			ms[k-cfg.Burn] = math.Abs(float64(mm)) / N
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
	res := &Result{
		L: cfg.L, J: cfg.J, H: cfg.H, T: cfg.T, Algo: cfg.Algo, Seed: cfg.Seed,
		Sweeps: cfg.Sweeps, Burn: cfg.Burn,
		EnergySeries: es, MagSeries: ms,
	}
	var okE, okM bool
	res.EnergyPerSite, res.EnergyPerSiteSE, res.TauIntEnergy, okE = MeanSE(es)
	res.Magnetization, res.MagnetizationSE, res.TauIntMagnetization, okM = MeanSE(ms)
	if !okE || !okM {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"run too short for the autocorrelation window (sweeps=%d, tau_int energy %.3g, magnetization %.3g): error bars are unreliable; use more sweeps",
			cfg.Sweeps, res.TauIntEnergy, res.TauIntMagnetization))
	}
	res.RhatEnergy, res.ESSBulkEnergy = chainDiag(es)
	res.RhatMagnetization, res.ESSBulkMagnetization = chainDiag(ms)
	tau := math.Max(res.TauIntEnergy, res.TauIntMagnetization)
	b := blockLength(cfg.Sweeps, tau)
	if cfg.Sweeps/b < 8 {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"only %d jackknife blocks of %d sweeps: specific heat and susceptibility error bars are rough", cfg.Sweeps/b, b))
	}
	res.SpecificHeat, res.SpecificHeatSE = fluctuationSE(es, N/(cfg.T*cfg.T), b)
	res.Susceptibility, res.SusceptibilitySE = fluctuationSE(ms, N/cfg.T, b)
	switch cfg.Algo {
	case Metropolis:
		res.AcceptanceRate = m.AcceptanceRate()
	case Wolff:
		res.MeanClusterSize = m.MeanClusterSize()
		res.ClustersPerSweep = m.WolffClusters()
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

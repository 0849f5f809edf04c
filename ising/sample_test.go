package ising

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// within reports whether |got − want| ≤ k·se, and fails the test otherwise.
func within(t *testing.T, name string, got, se, want, k float64) bool {
	t.Helper()
	if !(math.Abs(got-want) <= k*se) {
		t.Errorf("%s = %.5f ± %.5f, want %.5f (z = %.1f, tolerance %g SE)", name, got, se, want, (got-want)/se, k)
		return false
	}
	return true
}

func mustRun(t *testing.T, cfg Config) *Result {
	t.Helper()
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) > 0 {
		t.Errorf("%s L=%d T=%v: warnings %v", cfg.Algo, cfg.L, cfg.T, r.Warnings)
	}
	return r
}

// Every algorithm reproduces the exact 4×4 moments (energy, |m|, specific heat,
// susceptibility) within 4 standard errors, with and without a field and for an
// antiferromagnet. The errors come from τ_int (means) and the blocked jackknife
// (C and χ); with 100 000 sweeps they are 0.05-1% of the values.
func TestSmallLatticeMatchesExact(t *testing.T) {
	t.Parallel()
	params := []struct{ J, h, T float64 }{
		{1, 0, 1.5}, {1, 0, Tc}, {1, 0, 3.5}, {1, 0.3, 2.0}, {-1, 0.4, 2.0},
	}
	for ai, algo := range []Algo{Gibbs, Metropolis, Wolff, SW} {
		for pi, p := range params {
			ex, err := ExactIsing(4, p.J, p.h, p.T)
			if err != nil {
				t.Fatal(err)
			}
			r := mustRun(t, Config{L: 4, J: p.J, H: p.h, T: p.T, Algo: algo,
				Sweeps: 100000, Burn: 1000, Seed: uint64(10*ai + pi)})
			name := fmt.Sprintf("%s J=%g h=%g T=%.3f", algo, p.J, p.h, p.T)
			within(t, name+" e", r.EnergyPerSite, r.EnergyPerSiteSE, ex.EnergyPerSite, 4)
			within(t, name+" |m|", r.Magnetization, r.MagnetizationSE, ex.Magnetization, 4)
			within(t, name+" C", r.SpecificHeat, r.SpecificHeatSE, ex.SpecificHeat, 4)
			within(t, name+" χ", r.Susceptibility, r.SusceptibilitySE, ex.Susceptibility, 4)
			t.Logf("%-34s e %.5f±%.5f (exact %.5f)  |m| %.5f±%.5f (exact %.5f)  τ_E %.2f τ_m %.2f",
				name, r.EnergyPerSite, r.EnergyPerSiteSE, ex.EnergyPerSite,
				r.Magnetization, r.MagnetizationSE, ex.Magnetization, r.TauIntEnergy, r.TauIntMagnetization)
		}
	}
}

// Tiny lattices from many random starts: every algorithm converges to the exact
// energy (a fixed-order Metropolis sweep locked into a deterministic cycle from
// some 3×3 starts; the random scan does not).
func TestTinyLatticesManySeeds(t *testing.T) {
	t.Parallel()
	for _, L := range []int{2, 3} {
		ex, _ := ExactIsing(L, 1, 0, 3.5)
		for _, algo := range []Algo{Gibbs, Metropolis, Wolff, SW} {
			for seed := uint64(0); seed < 12; seed++ {
				r := mustRun(t, Config{L: L, J: 1, T: 3.5, Algo: algo, Sweeps: 20000, Burn: 100, Seed: 600 + seed})
				within(t, fmt.Sprintf("%s L=%d seed %d e", algo, L, seed), r.EnergyPerSite, r.EnergyPerSiteSE, ex.EnergyPerSite, 4)
			}
		}
	}
}

// At T_c on a 64×64 lattice the cluster algorithms give the exact finite-lattice
// energy (Kaufman) within 4 SE, and so lie within 2% of the infinite-lattice −√2;
// the finite-size shift at L = 64 is −0.0097 (0.69%), see TestKaufmanFiniteSizeAtTc.
func TestCriticalEnergy64(t *testing.T) {
	t.Parallel()
	exact, err := KaufmanEnergy(64, 64, 1, Tc)
	if err != nil {
		t.Fatal(err)
	}
	for i, algo := range []Algo{Wolff, SW} {
		r := mustRun(t, Config{L: 64, J: 1, T: Tc, Algo: algo, Sweeps: 6000, Burn: 300, Seed: uint64(100 + i)})
		within(t, string(algo)+" e(T_c) vs Kaufman L=64", r.EnergyPerSite, r.EnergyPerSiteSE, exact, 4)
		rel := (r.EnergyPerSite + math.Sqrt2) / math.Sqrt2
		if math.Abs(rel) > 0.02 {
			t.Errorf("%s: e(T_c) = %.5f is %.2f%% from −√2", algo, r.EnergyPerSite, 100*rel)
		}
		t.Logf("%s L=64 T_c: e = %.5f ± %.5f; Kaufman L=64 %.5f; −√2 = %.5f (%.2f%% off); τ_E %.2f, τ_m %.2f, %.0f sweeps/s",
			algo, r.EnergyPerSite, r.EnergyPerSiteSE, exact, -math.Sqrt2, 100*rel,
			r.TauIntEnergy, r.TauIntMagnetization, float64(r.Sweeps+r.Burn)/r.Seconds)
	}
}

// Below T_c, ⟨|m|⟩ on a 64×64 lattice follows Onsager's spontaneous magnetization
// (1 − sinh⁻⁴(2/T))^{1/8} within 4 SE. Finite-size corrections below T_c fall like
// exp(−L/ξ), with ξ = 1/(2(K − K*)) ≈ 4.4 at T = 2.0 and ≈ 18 at T = 2.2 (K* the
// dual coupling), so at most a few 1e-4 at T = 2.2, under the error bar.
func TestOnsagerMagnetization(t *testing.T) {
	t.Parallel()
	for i, T := range []float64{2.0, 2.2} {
		want := OnsagerMagnetization(1, T)
		r := mustRun(t, Config{L: 64, J: 1, T: T, Algo: Wolff, Sweeps: 8000, Burn: 300, Seed: uint64(200 + i), ColdStart: true})
		within(t, fmt.Sprintf("|m| at T=%v", T), r.Magnetization, r.MagnetizationSE, want, 4)
		t.Logf("L=64 T=%.1f: |m| = %.5f ± %.5f, Onsager %.5f (z = %+.2f), τ_m %.2f",
			T, r.Magnetization, r.MagnetizationSE, want, (r.Magnetization-want)/r.MagnetizationSE, r.TauIntMagnetization)
	}
	if m := OnsagerMagnetization(1, 2.5); m != 0 {
		t.Errorf("Onsager magnetization above T_c = %v, want 0", m)
	}
}

// tauSE is the Madras-Sokal standard error of τ_int from a window W and n samples:
// σ_τ ≈ τ √(2(2W+1)/n).
func tauSE(x []float64) (tau, se float64) {
	tau, w, _ := TauInt(x)
	return tau, tau * math.Sqrt(2*float64(2*w+1)/float64(len(x)))
}

// Near T_c the cluster algorithms decorrelate |m| far faster than single-site
// heat bath: at L = 32, τ_int(|m|) in sweeps (N spin updates each). The assertion
// uses the Madras-Sokal error of τ: the lower 4σ bound of τ_Gibbs must exceed ten
// times the upper 4σ bound of τ_Wolff and five times that of τ_SW.
func TestClusterDecorrelatesFaster(t *testing.T) {
	t.Parallel()
	const L = 32
	g := mustRun(t, Config{L: L, J: 1, T: Tc, Algo: Gibbs, Sweeps: 200000, Burn: 2000, Seed: 300})
	mt := mustRun(t, Config{L: L, J: 1, T: Tc, Algo: Metropolis, Sweeps: 100000, Burn: 2000, Seed: 301})
	w := mustRun(t, Config{L: L, J: 1, T: Tc, Algo: Wolff, Sweeps: 10000, Burn: 200, Seed: 302})
	s := mustRun(t, Config{L: L, J: 1, T: Tc, Algo: SW, Sweeps: 10000, Burn: 200, Seed: 303})
	tg, sg := tauSE(g.MagSeries)
	tm, sm := tauSE(mt.MagSeries)
	tw, sw := tauSE(w.MagSeries)
	ts, ss := tauSE(s.MagSeries)
	t.Logf("L=%d T_c τ_int(|m|) in sweeps: gibbs %.1f±%.1f, metropolis %.1f±%.1f, wolff %.2f±%.2f, sw %.2f±%.2f",
		L, tg, sg, tm, sm, tw, sw, ts, ss)
	t.Logf("τ_int(E): gibbs %.1f, metropolis %.1f, wolff %.2f, sw %.2f", g.TauIntEnergy, mt.TauIntEnergy, w.TauIntEnergy, s.TauIntEnergy)
	if tg-4*sg <= 10*(tw+4*sw) {
		t.Errorf("τ_gibbs = %.1f±%.1f is not ten times τ_wolff = %.2f±%.2f", tg, sg, tw, sw)
	}
	if tg-4*sg <= 5*(ts+4*ss) {
		t.Errorf("τ_gibbs = %.1f±%.1f is not five times τ_sw = %.2f±%.2f", tg, sg, ts, ss)
	}
}

// TauInt recovers the exact integrated autocorrelation time of AR(1) series,
// τ_int = (1+φ)/(2(1−φ)) in Sokal's convention, within 4 Madras-Sokal errors.
func TestTauIntAR1(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, phi := range []float64{0, 0.5, 0.9, 0.98} {
		x := make([]float64, 200000)
		v := 0.0
		for i := range x {
			v = phi*v + rng.NormFloat64()
			x[i] = v
		}
		tau, se := tauSE(x)
		want := (1 + phi) / (2 * (1 - phi))
		within(t, fmt.Sprintf("τ_int AR(1) φ=%v", phi), tau, se, want, 4)
		// And the standard error of the mean matches the exact one,
		// σ_x √(2τ/n) with σ_x² = 1/(1−φ²).
		_, mse, _, ok := MeanSE(x)
		exact := math.Sqrt(2 * want / (1 - phi*phi) / float64(len(x)))
		if !ok || math.Abs(mse/exact-1) > 4*se/want+0.01 {
			t.Errorf("φ=%v: SE of mean %v, exact %v", phi, mse, exact)
		}
	}
	if tau, _, ok := TauInt([]float64{3, 3, 3, 3}); tau != 0.5 || !ok {
		t.Errorf("constant series: τ = %v ok=%v, want 0.5 true", tau, ok)
	}
}

func TestRunValidation(t *testing.T) {
	good := Config{L: 8, J: 1, T: 2, Algo: Gibbs, Sweeps: 10, Seed: 1}
	bad := []func(*Config){
		func(c *Config) { c.L = 1 },
		func(c *Config) { c.L = MaxL + 1 },
		func(c *Config) { c.T = 0 },
		func(c *Config) { c.T = math.Inf(1) },
		func(c *Config) { c.T = math.NaN() },
		func(c *Config) { c.J = math.NaN() },
		func(c *Config) { c.Sweeps = 0 },
		func(c *Config) { c.Burn = -1 },
		func(c *Config) { c.Algo = "heatbath" },
	}
	for i, f := range bad {
		c := good
		f(&c)
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("case %d (%+v): no error", i, c)
		}
	}
	if _, err := ParseAlgo("nope"); err == nil {
		t.Error("ParseAlgo: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := good
	c.Sweeps = 5000
	if _, err := Run(ctx, c); err == nil {
		t.Error("cancelled context: no error")
	}
}

// The same seed gives the same numbers.
func TestRunDeterministic(t *testing.T) {
	for _, algo := range []Algo{Gibbs, Metropolis, Wolff, SW} {
		c := Config{L: 8, J: 1, H: 0.1, T: 2.3, Algo: algo, Sweeps: 300, Burn: 10, Seed: 42}
		a, _ := Run(context.Background(), c)
		b, _ := Run(context.Background(), c)
		if a.EnergyPerSite != b.EnergyPerSite || a.Magnetization != b.Magnetization {
			t.Errorf("%s: runs differ: %v vs %v", algo, a.EnergyPerSite, b.EnergyPerSite)
		}
	}
}

// Potts q=3 on 3×3 (with and without a field) matches exact enumeration for both
// algorithms, within 4 SE.
func TestPottsMatchesExact(t *testing.T) {
	t.Parallel()
	for ai, algo := range []Algo{Gibbs, SW} {
		for pi, p := range []struct{ J, h, T float64 }{{1, 0, 1.0}, {1, 0.5, 0.8}, {1, 0, 2}} {
			ex, err := ExactPotts(3, 3, p.J, p.h, p.T)
			if err != nil {
				t.Fatal(err)
			}
			r, err := RunPotts(context.Background(), PottsConfig{L: 3, Q: 3, J: p.J, H: p.h, T: p.T, Algo: algo,
				Sweeps: 100000, Burn: 1000, Seed: uint64(400 + 10*ai + pi)})
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("potts %s q=3 J=%g h=%g T=%g", algo, p.J, p.h, p.T)
			within(t, name+" e", r.EnergyPerSite, r.EnergyPerSiteSE, ex.EnergyPerSite, 4)
			within(t, name+" C", r.SpecificHeat, r.SpecificHeatSE, ex.SpecificHeat, 4)
			t.Logf("%s: e %.5f±%.5f (exact %.5f), τ_E %.2f", name, r.EnergyPerSite, r.EnergyPerSiteSE, ex.EnergyPerSite, r.TauIntEnergy)
		}
	}
}

// Potts q=2 with J_P = 2 samples the Ising model with J = 1 at the same T:
// e_P = e_I − J_P, compared on a 16×16 lattice (no enumeration possible there)
// within 4 combined standard errors, for Gibbs and SW against Wolff.
func TestPottsQ2MatchesIsing(t *testing.T) {
	t.Parallel()
	const L, T = 16, 2.5
	ising := mustRun(t, Config{L: L, J: 1, T: T, Algo: Wolff, Sweeps: 20000, Burn: 500, Seed: 500})
	for i, algo := range []Algo{Gibbs, SW} {
		p, err := RunPotts(context.Background(), PottsConfig{L: L, Q: 2, J: 2, T: T, Algo: algo, Sweeps: 20000, Burn: 500, Seed: uint64(501 + i)})
		if err != nil {
			t.Fatal(err)
		}
		se := math.Hypot(p.EnergyPerSiteSE, ising.EnergyPerSiteSE)
		within(t, "potts q=2 "+string(algo)+" e + J_P", p.EnergyPerSite+2, se, ising.EnergyPerSite, 4)
		seC := math.Hypot(p.SpecificHeatSE, ising.SpecificHeatSE)
		within(t, "potts q=2 "+string(algo)+" C", p.SpecificHeat, seC, ising.SpecificHeat, 4)
		t.Logf("potts q=2 %s: e+2 = %.5f±%.5f; ising wolff e = %.5f±%.5f", algo, p.EnergyPerSite+2, p.EnergyPerSiteSE, ising.EnergyPerSite, ising.EnergyPerSiteSE)
	}
}

func TestPottsValidation(t *testing.T) {
	good := PottsConfig{L: 4, Q: 3, J: 1, T: 1, Algo: Gibbs, Sweeps: 10}
	for i, f := range []func(*PottsConfig){
		func(c *PottsConfig) { c.Q = 1 },
		func(c *PottsConfig) { c.Q = MaxQ + 1 },
		func(c *PottsConfig) { c.Algo = Wolff },
		func(c *PottsConfig) { c.Algo = SW; c.J = -1 },
		func(c *PottsConfig) { c.T = -1 },
		func(c *PottsConfig) { c.Sweeps = 0 },
	} {
		c := good
		f(&c)
		if _, err := RunPotts(context.Background(), c); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	// Extreme couplings fall back to the log-space conditional without NaNs.
	p, _ := NewPotts(4, 4, 2000, -3000, 1, 1)
	p.GibbsSweep()
	for _, v := range p.States() {
		if int(v) >= 4 {
			t.Fatalf("state %d out of range", v)
		}
	}
}

// The update methods allocate nothing.
func TestSweepsDoNotAllocate(t *testing.T) {
	m, _ := NewIsing(32, 1, 0.1, Tc, 1)
	m.TuneWolff(5)
	mh, _ := NewIsing(32, 1, 0, Tc, 1)
	p, _ := NewPotts(16, 3, 1, 0.2, 1, 1)
	for name, f := range map[string]func(){
		"gibbs": m.GibbsSweep, "metropolis": m.MetropolisSweep, "wolff": m.WolffSweep,
		"sw field": m.SWSweep, "sw": mh.SWSweep, "sums": func() { m.Sums() },
		"potts gibbs": p.GibbsSweep, "potts sw": func() { _ = p.SWSweep() },
	} {
		if a := testing.AllocsPerRun(20, f); a != 0 {
			t.Errorf("%s: %v allocations per sweep", name, a)
		}
	}
}

// Run reports the split R̂ and bulk ESS of its series through package diag:
// in the disordered phase a run of 20,000 Gibbs sweeps has forgotten its start
// (R̂ within 0.05 of 1, about 10 standard errors for its ESS) and its ESS agrees
// with n/(2τ_int) from Sokal's windowing within a factor of 2 (the two
// estimators of the same quantity differ by their truncation rules).
func TestRunDiagnostics(t *testing.T) {
	r, err := Run(context.Background(), Config{L: 16, J: 1, T: 3, Algo: Gibbs, Sweeps: 20000, Burn: 1000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if r.RhatEnergy == nil || r.ESSBulkEnergy == nil || r.RhatMagnetization == nil || r.ESSBulkMagnetization == nil {
		t.Fatal("diagnostics missing")
	}
	for _, c := range []struct {
		name      string
		rhat, ess float64
		tau       float64
	}{{"energy", *r.RhatEnergy, *r.ESSBulkEnergy, r.TauIntEnergy}, {"magnetization", *r.RhatMagnetization, *r.ESSBulkMagnetization, r.TauIntMagnetization}} {
		want := float64(r.Sweeps) / (2 * c.tau)
		t.Logf("%s: R̂ %.4f, bulk ESS %.0f, n/(2τ_int) %.0f", c.name, c.rhat, c.ess, want)
		if math.Abs(c.rhat-1) > 0.05 {
			t.Errorf("%s: R̂ %.4f, want within 0.05 of 1", c.name, c.rhat)
		}
		if c.ess < want/2 || c.ess > 2*want {
			t.Errorf("%s: bulk ESS %.0f, want within a factor 2 of %.0f", c.name, c.ess, want)
		}
	}
}

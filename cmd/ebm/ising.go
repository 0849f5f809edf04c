package main

// The ising commands: lattice simulations and image restoration (package ising).

import (
	"fmt"
	"strings"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/ising"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newIsingCmd) }

func newIsingCmd() *cobra.Command {
	return rbmGroup("ising", "Ising and Potts lattices; binary image restoration",
		`Lattice spin models with p(s) ∝ exp(−E(s)/T) (low energy is likely).

  ebm ising sample   simulate the L×L periodic Ising model E = −J Σ s_i s_j − h Σ s_i
                     (or the q-state Potts model with --potts Q) and report energy,
                     |magnetization|, specific heat and susceptibility with errors
  ebm ising denoise  restore a noisy black-and-white PNG with an Ising prior
                     (Bishop, PRML §8.3.3)`,
		newIsingSampleCmd(), newIsingDenoiseCmd())
}

func newIsingSampleCmd() *cobra.Command {
	var (
		cfg          ising.Config
		q            int
		algo         string
		cold, asJSON bool
	)
	c := &cobra.Command{
		Use:   "sample",
		Short: "Simulate the Ising (or Potts) model and measure it",
		Long: `Simulate the L×L periodic Ising model E(s) = −J Σ_<ij> s_i s_j − h Σ_i s_i at temperature T
and measure, one sample per sweep after burn-in: energy per site, |magnetization| per
site, specific heat C = (⟨E²⟩−⟨E⟩²)/(N T²) and susceptibility χ = N(⟨m²⟩−⟨|m|⟩²)/T, with
standard errors (τ_int by Sokal's automatic windowing; blocked jackknife for C and χ).

Algorithms: gibbs (checkerboard heat bath), metropolis (random-scan single site),
wolff (single cluster; a sweep is a fixed number of clusters flipping about N spins),
sw (Swendsen-Wang). A field h works with all four (cluster flips then get a field
acceptance step). τ_int is in sweeps for every algorithm, so the numbers compare.

With --potts Q the q-state Potts model E = −J Σ δ(s_i,s_j) − h Σ δ(s_i,0) is sampled
instead (algorithms gibbs and sw).

Critical temperature of the Ising model (J = 1): T_c = 2/ln(1+√2) ≈ 2.269185.`,
		Example: `  ebm ising sample --size 64 --temp 2.269185 --algo wolff --sweeps 20000 --seed 1
  ebm ising sample --size 32 --temp 2.0 --algo gibbs --sweeps 50000 --json
  ebm ising sample --potts 3 --size 32 --temp 0.99 --algo sw --sweeps 5000`,
		Args: rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg.ColdStart, cfg.Algo = cold, ising.Algo(algo)
			desc := "ising " + algo
			if q != 0 {
				desc = fmt.Sprintf("potts q=%d %s", q, algo)
			}
			bar := &rbmProgress{desc: desc}
			cfg.Progress = bar.onBatch
			res, err := ising.Simulate(c.Context(), cfg, q)
			bar.done()
			if err != nil {
				return cli.Flag(err)
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), res)
			}
			return res.WriteText(c.OutOrStdout())
		},
	}
	f := c.Flags()
	f.IntVar(&cfg.L, "size", 32, "lattice side L (N = L² sites, periodic)")
	f.Float64Var(&cfg.T, "temp", ising.Tc, "temperature T > 0 (default T_c = 2/ln(1+√2))")
	f.Float64Var(&cfg.H, "field", 0, "external field h")
	f.Float64Var(&cfg.J, "coupling", 1, "coupling J (J > 0 ferromagnetic)")
	f.StringVar(&algo, "algo", "wolff", "update algorithm: "+strings.Join(ising.Algos(), "|"))
	f.IntVar(&cfg.Sweeps, "sweeps", 10000, "measured sweeps (one sample per sweep)")
	f.IntVar(&cfg.Burn, "burn", 1000, "burn-in sweeps discarded first")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	f.BoolVar(&cold, "cold", false, "start from all spins up instead of a random configuration")
	f.IntVar(&q, "potts", 0, "sample the q-state Potts model instead (q ≥ 2; algorithms gibbs|sw)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

func newIsingDenoiseCmd() *cobra.Command {
	var (
		in, out, method string
		flip            float64
		cfg             ising.RestoreConfig
		asJSON, force   bool
	)
	c := &cobra.Command{
		Use:   "denoise",
		Short: "Restore a noisy black-and-white PNG with an Ising prior",
		Long: `Restore a binary image x from a noisy observation y with the posterior energy
E(x) = −β Σ_<ij> x_i x_j − η Σ_i x_i y_i − h Σ_i x_i  (4-neighbour grid, open borders),
as in Bishop, Pattern Recognition and Machine Learning, §8.3.3. Defaults are Bishop's:
β = 1.0, η = 2.1, h = 0.

The input PNG (any colour model) is binarized by luminance: dark (< 128 of 255,
composited over white) is −1 and written back as black, light is +1 (white).

Methods:
  icm        iterated conditional modes from x = y until nothing changes
  anneal     simulated annealing: heat-bath sweeps with T falling geometrically from
             4 to 0.05 (--sweeps, default 500), then ICM — an approximate MAP
  gibbs      posterior marginal mode: Gibbs sampling at T = 1, --burn (default 200)
             then --sweeps (default 1000) averaging E[x_i | rest], thresholded at 0
  meanfield  naive mean field m_i = tanh(β Σ m_j + η y_i + h), sequential updates

With --flip P the input is taken as clean: it is corrupted by flipping each pixel with
probability P (seeded by --seed), the noisy image is saved as OUT-noisy.png beside
OUT, and the error rates of the noisy and restored images against the clean input
are reported. Without --flip the input is the noisy observation.`,
		Example: `  ebm ising denoise --in clean.png --flip 0.1 --method icm --seed 1 --out restored.png
  ebm ising denoise --in noisy.png --method meanfield --beta 1 --eta 2.1 --out restored.png --json`,
		Args: rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			flipSet := c.Flags().Changed("flip")
			cfg.Method = ising.Method(method)
			switch {
			case in == "":
				return cli.Usagef("--in: input PNG required")
			case out == "":
				return cli.Usagef("--out: output PNG required")
			case flipSet && !(flip >= 0 && flip <= 1):
				return cli.Usagef("--flip %v: probability must be in [0, 1]", flip)
			}
			if err := cfg.Validate(); err != nil {
				return cli.Flag(err)
			}
			noisyPath := ising.NoisyPath(out)
			if err := cli.CheckOutFile(out, force, in); err != nil {
				return err
			}
			if flipSet {
				if err := cli.CheckOutFile(noisyPath, force, in, out); err != nil {
					return err
				}
			}
			img, err := ising.ReadPNG(in)
			if err != nil {
				return cli.Input(fmt.Errorf("reading --in %s: %w", in, err))
			}
			bar := &rbmProgress{desc: "denoise " + method}
			cfg.Progress = bar.onBatch
			res, err := ising.Denoise(c.Context(), img, cfg, flipSet, flip)
			bar.done()
			if err != nil {
				return err
			}
			if !flipSet {
				noisyPath = ""
			}
			if err := res.Save(out, noisyPath); err != nil {
				return err
			}
			rep := &res.Report
			rep.In = in
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), rep)
			}
			return rep.WriteText(c.OutOrStdout())
		},
	}
	fl := c.Flags()
	fl.StringVar(&in, "in", "", "input PNG (clean with --flip, else the noisy observation)")
	fl.StringVar(&out, "out", "", "output PNG for the restored image (written atomically)")
	fl.Float64Var(&flip, "flip", 0, "corrupt the input first, flipping each pixel with this probability")
	fl.Float64Var(&cfg.Beta, "beta", ising.DefaultBeta, "pairwise coupling β")
	fl.Float64Var(&cfg.Eta, "eta", ising.DefaultEta, "data weight η")
	fl.Float64Var(&cfg.H, "field", 0, "field h (positive favours white)")
	fl.StringVar(&method, "method", "icm", "restoration method: "+strings.Join(ising.Methods(), "|"))
	fl.Uint64Var(&cfg.Seed, "seed", 1, "random seed (corruption, gibbs, anneal)")
	fl.IntVar(&cfg.Sweeps, "sweeps", 0, "anneal schedule length / gibbs measured sweeps (0: default 500 / 1000)")
	fl.IntVar(&cfg.Burn, "burn", 0, "gibbs burn-in sweeps (0: default 200)")
	fl.IntVar(&cfg.MaxIter, "max-iter", 0, "icm / meanfield sweep limit (0: default 100 / 1000)")
	fl.BoolVar(&force, "force", false, "replace --out (and OUT-noisy.png) if they exist")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

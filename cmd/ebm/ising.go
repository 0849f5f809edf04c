package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/ising"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newIsingCmd) }

// isingNoArgs rejects positional arguments with a usage error.
func isingNoArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cli.Usagef("%s: unexpected argument %q (see %s --help)", c.CommandPath(), args[0], c.CommandPath())
	}
	return nil
}

func newIsingCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "ising",
		Short: "Ising and Potts lattices; binary image restoration",
		Long: `Lattice spin models with p(s) ∝ exp(−E(s)/T) (low energy is likely).

  ebm ising sample   simulate the L×L periodic Ising model E = −J Σ s_i s_j − h Σ s_i
                     (or the q-state Potts model with --potts Q) and report energy,
                     |magnetization|, specific heat and susceptibility with errors
  ebm ising denoise  restore a noisy black-and-white PNG with an Ising prior
                     (Bishop, PRML §8.3.3)`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("ising: unknown subcommand %q (valid: sample, denoise)", args[0])
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	c.AddCommand(newIsingSampleCmd(), newIsingDenoiseCmd())
	return c
}

// isingBar adapts a cli.Progress (terminal only) to the library's progress
// callback; the bar is made on the first call, when the total is known.
type isingBar struct {
	desc string
	bar  *cli.Progress
	last int
}

func (b *isingBar) update(done, total int) {
	if b.bar == nil {
		b.bar = cli.NewProgress(total, b.desc, false)
	}
	if done > b.last {
		b.bar.Add(done - b.last)
		b.last = done
	}
}

func (b *isingBar) done() {
	if b.bar != nil {
		b.bar.Done()
	}
}

func newIsingSampleCmd() *cobra.Command {
	var (
		size, sweeps, burn, q int
		temp, field, coupling float64
		algo                  string
		seed                  uint64
		cold, asJSON          bool
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
		Args: isingNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if size < 2 || size > ising.MaxL {
				return cli.Usagef("--size %d: lattice side must be in [2, %d]", size, ising.MaxL)
			}
			if !(temp > 0) || math.IsInf(temp, 0) {
				return cli.Usagef("--temp %v: temperature must be positive and finite", temp)
			}
			for name, v := range map[string]float64{"field": field, "coupling": coupling} {
				if err := isingFinite(name, v); err != nil {
					return err
				}
			}
			if sweeps < 1 || sweeps > ising.MaxSweeps {
				return cli.Usagef("--sweeps %d: must be in [1, %d]", sweeps, ising.MaxSweeps)
			}
			if burn < 0 {
				return cli.Usagef("--burn %d: must be ≥ 0", burn)
			}
			if q != 0 {
				return isingSamplePotts(c, q, size, coupling, field, temp, algo, sweeps, burn, seed, cold, asJSON)
			}
			a, err := ising.ParseAlgo(algo)
			if err != nil {
				return cli.Usagef("--algo %q: unknown algorithm (valid: %s)", algo, strings.Join(ising.Algos(), ", "))
			}
			bar := &isingBar{desc: "ising " + algo}
			res, err := ising.Run(c.Context(), ising.Config{
				L: size, J: coupling, H: field, T: temp, Algo: a,
				Sweeps: sweeps, Burn: burn, Seed: seed, ColdStart: cold, Progress: bar.update,
			})
			bar.done()
			if err != nil {
				return err
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), res)
			}
			return isingPrintResult(c.OutOrStdout(), res)
		},
	}
	f := c.Flags()
	f.IntVar(&size, "size", 32, "lattice side L (N = L² sites, periodic)")
	f.Float64Var(&temp, "temp", ising.Tc, "temperature T > 0 (default T_c = 2/ln(1+√2))")
	f.Float64Var(&field, "field", 0, "external field h")
	f.Float64Var(&coupling, "coupling", 1, "coupling J (J > 0 ferromagnetic)")
	f.StringVar(&algo, "algo", "wolff", "update algorithm: "+strings.Join(ising.Algos(), "|"))
	f.IntVar(&sweeps, "sweeps", 10000, "measured sweeps (one sample per sweep)")
	f.IntVar(&burn, "burn", 1000, "burn-in sweeps discarded first")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	f.BoolVar(&cold, "cold", false, "start from all spins up instead of a random configuration")
	f.IntVar(&q, "potts", 0, "sample the q-state Potts model instead (q ≥ 2; algorithms gibbs|sw)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

func isingSamplePotts(c *cobra.Command, q, size int, J, h, T float64, algo string, sweeps, burn int, seed uint64, cold, asJSON bool) error {
	if q < 2 || q > ising.MaxQ {
		return cli.Usagef("--potts %d: q must be in [2, %d]", q, ising.MaxQ)
	}
	if algo != string(ising.Gibbs) && algo != string(ising.SW) {
		return cli.Usagef("--algo %q: unknown Potts algorithm (valid: %s)", algo, strings.Join(ising.PottsAlgos(), ", "))
	}
	if algo == string(ising.SW) && J < 0 {
		return cli.Usagef("--coupling %v: Potts Swendsen-Wang needs J ≥ 0", J)
	}
	bar := &isingBar{desc: fmt.Sprintf("potts q=%d %s", q, algo)}
	res, err := ising.RunPotts(c.Context(), ising.PottsConfig{
		L: size, Q: q, J: J, H: h, T: T, Algo: ising.Algo(algo),
		Sweeps: sweeps, Burn: burn, Seed: seed, ColdStart: cold, Progress: bar.update,
	})
	bar.done()
	if err != nil {
		return err
	}
	if asJSON {
		return cli.WriteJSON(c.OutOrStdout(), res)
	}
	w := c.OutOrStdout()
	fmt.Fprintf(w, "Potts q=%d %d×%d  J=%g  h=%g  T=%.6g  algo=%s  seed=%d\n", q, size, size, J, h, T, algo, seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "quantity\tmean\ts.e.\tτ_int\t")
	fmt.Fprintf(tw, "energy per site\t%.6f\t%.6f\t%.2f\t\n", res.EnergyPerSite, res.EnergyPerSiteSE, res.TauIntEnergy)
	fmt.Fprintf(tw, "specific heat\t%.5f\t%.5f\t\t\n", res.SpecificHeat, res.SpecificHeatSE)
	fmt.Fprintf(tw, "order parameter\t%.5f\t%.5f\t\t\n", res.Order, res.OrderSE)
	tw.Flush()
	fmt.Fprintf(w, "%d sweeps after %d burn-in in %.2f s (%.0f sweeps/s)\n", res.Sweeps, res.Burn, res.Seconds,
		float64(res.Sweeps+res.Burn)/math.Max(res.Seconds, 1e-9))
	for _, s := range res.Warnings {
		fmt.Fprintln(w, "warning:", s)
	}
	return nil
}

// isingDenoiseReport is the JSON output of ebm ising denoise.
type isingDenoiseReport struct {
	In       string  `json:"in"`
	Out      string  `json:"out"`
	NoisyOut string  `json:"noisy_out,omitempty"`
	Method   string  `json:"method"`
	Beta     float64 `json:"beta"`
	Eta      float64 `json:"eta"`
	Field    float64 `json:"field"`
	Seed     uint64  `json:"seed"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Pixels   int     `json:"pixels"`
	// Flip, ErrorRateNoisy and ErrorRateRestored are present only with --flip: the
	// error rates count pixels that differ from the clean input.
	Flip              *float64 `json:"flip,omitempty"`
	ErrorRateNoisy    *float64 `json:"error_rate_noisy,omitempty"`
	ErrorRateRestored *float64 `json:"error_rate_restored,omitempty"`
	// ChangedFraction is the fraction of pixels the restoration changed relative to
	// the (noisy) observation.
	ChangedFraction float64 `json:"changed_fraction"`
	Energy          float64 `json:"energy"`
	Iterations      int     `json:"iterations"`
	Converged       bool    `json:"converged"`
	Seconds         float64 `json:"seconds"`
}

// isingNoisyPath returns OUT-noisy.EXT beside out (".png" if out has no extension).
func isingNoisyPath(out string) string {
	ext := filepath.Ext(out)
	base := strings.TrimSuffix(out, ext)
	if ext == "" {
		ext = ".png"
	}
	return base + "-noisy" + ext
}

func isingWritePNG(path string, img *ising.Image) error {
	var buf bytes.Buffer
	if err := ising.EncodePNG(&buf, img); err != nil {
		return err
	}
	if err := cli.WriteFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func newIsingDenoiseCmd() *cobra.Command {
	var (
		in, out, method       string
		flip, beta, eta, fld  float64
		seed                  uint64
		sweeps, burn, maxIter int
		asJSON                bool
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
		Args: isingNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if in == "" {
				return cli.Usagef("--in: input PNG required")
			}
			if out == "" {
				return cli.Usagef("--out: output PNG required")
			}
			m, err := ising.ParseMethod(method)
			if err != nil {
				return cli.Usagef("--method %q: unknown method (valid: %s)", method, strings.Join(ising.Methods(), ", "))
			}
			for name, v := range map[string]float64{"beta": beta, "eta": eta, "field": fld} {
				if err := isingFinite(name, v); err != nil {
					return err
				}
			}
			flipSet := c.Flags().Changed("flip")
			if flipSet && !(flip >= 0 && flip <= 1) {
				return cli.Usagef("--flip %v: probability must be in [0, 1]", flip)
			}
			if sweeps < 0 || burn < 0 || maxIter < 0 {
				return cli.Usagef("--sweeps, --burn and --max-iter must not be negative")
			}
			if isingSameFile(out, in) {
				return cli.Usagef("--out %s: is the input %s; ebm does not overwrite its input", out, in)
			}
			noisyPath := isingNoisyPath(out)
			if flipSet && filepath.Clean(noisyPath) == filepath.Clean(in) {
				return cli.Usagef("--out %s: the noisy image %s would overwrite the input", out, noisyPath)
			}

			f, err := os.Open(in)
			if err != nil {
				return fmt.Errorf("reading --in: %w", err)
			}
			img, err := ising.DecodePNG(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("reading --in %s: %w", in, err)
			}
			start := time.Now()
			clean, y := img, img
			if flipSet {
				y, err = ising.Corrupt(img, flip, rand.New(rand.NewPCG(seed, 0xf11b)))
				if err != nil {
					return err
				}
			}
			bar := &isingBar{desc: "denoise " + method}
			cfg := ising.RestoreConfig{Method: m, Beta: beta, Eta: eta, H: fld, Seed: seed,
				Sweeps: sweeps, Burn: burn, MaxIter: maxIter, Progress: bar.update}
			x, info, err := ising.RestoreContext(c.Context(), y, cfg)
			bar.done()
			if err != nil {
				return err
			}
			// Write the noisy image first and remove it again if the restored one
			// cannot be written, so a failed run leaves no half of the pair.
			if flipSet {
				if err := isingWritePNG(noisyPath, y); err != nil {
					return err
				}
			}
			if err := isingWritePNG(out, x); err != nil {
				if flipSet {
					os.Remove(noisyPath)
				}
				return err
			}
			rep := isingDenoiseReport{
				In: in, Out: out, Method: string(m), Beta: beta, Eta: eta, Field: fld, Seed: seed,
				Width: x.W, Height: x.H, Pixels: x.W * x.H,
				ChangedFraction: float64(info.Changed) / float64(x.W*x.H),
				Energy:          info.Energy, Iterations: info.Iterations, Converged: info.Converged,
			}
			if flipSet {
				en, _ := ising.ErrorRate(y, clean)
				er, _ := ising.ErrorRate(x, clean)
				p := flip
				rep.NoisyOut, rep.Flip, rep.ErrorRateNoisy, rep.ErrorRateRestored = noisyPath, &p, &en, &er
			}
			rep.Seconds = time.Since(start).Seconds()
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), rep)
			}
			w := c.OutOrStdout()
			fmt.Fprintf(w, "%s: %d×%d (%d pixels), method %s, β=%g η=%g h=%g\n", in, x.W, x.H, rep.Pixels, m, beta, eta, fld)
			if flipSet {
				fmt.Fprintf(w, "flipped with p=%g: error rate noisy %.2f%% → restored %.2f%%\n", flip,
					100**rep.ErrorRateNoisy, 100**rep.ErrorRateRestored)
			}
			fmt.Fprintf(w, "changed %.2f%% of the observed pixels; energy %.1f after %d sweeps (converged: %v)\n",
				100*rep.ChangedFraction, info.Energy, info.Iterations, info.Converged)
			if flipSet {
				fmt.Fprintf(w, "wrote %s and %s\n", out, noisyPath)
			} else {
				fmt.Fprintf(w, "wrote %s\n", out)
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&in, "in", "", "input PNG (clean with --flip, else the noisy observation)")
	fl.StringVar(&out, "out", "", "output PNG for the restored image (written atomically)")
	fl.Float64Var(&flip, "flip", 0, "corrupt the input first, flipping each pixel with this probability")
	fl.Float64Var(&beta, "beta", ising.DefaultBeta, "pairwise coupling β")
	fl.Float64Var(&eta, "eta", ising.DefaultEta, "data weight η")
	fl.Float64Var(&fld, "field", 0, "field h (positive favours white)")
	fl.StringVar(&method, "method", "icm", "restoration method: "+strings.Join(ising.Methods(), "|"))
	fl.Uint64Var(&seed, "seed", 1, "random seed (corruption, gibbs, anneal)")
	fl.IntVar(&sweeps, "sweeps", 0, "anneal schedule length / gibbs measured sweeps (0: default 500 / 1000)")
	fl.IntVar(&burn, "burn", 0, "gibbs burn-in sweeps (0: default 200)")
	fl.IntVar(&maxIter, "max-iter", 0, "icm / meanfield sweep limit (0: default 100 / 1000)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

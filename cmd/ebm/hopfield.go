package main

// The hopfield commands: store patterns, recall them from corrupted cues,
// measure retrieval against the load (package hopfield's jobs).

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/hopfield"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/plot"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newHopfieldCmd) }

func newHopfieldCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "hopfield",
		Short: "Hopfield networks: store binary patterns, recall them from corrupted cues",
		Long: `Binary Hopfield networks, E(s) = −½ sᵀWs − bᵀs on s ∈ {−1,+1}^N, storing patterns by the
Hebbian, pseudo-inverse (pinv) or Storkey rule and recalling them by asynchronous energy
descent (or Gibbs sampling at a temperature first); and the modern continuous network
(Ramsauer et al. 2020), E(ξ) = −β⁻¹ log Σᵢ exp(β xᵢᵀξ) + ½ξᵀξ + const, recalling in one
update ξ ← Xᵀ softmax(βXξ). Images are binarized (pixel ≥ half its range → +1, else −1).`,
		Args: rbmNoArgs,
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	c.AddCommand(newHopfieldStoreCmd(), newHopfieldRecallCmd(), newHopfieldCapacityCmd())
	return c
}

func newHopfieldStoreCmd() *cobra.Command {
	var (
		source, out   string
		cfg           hopfield.StoreConfig
		binarize      float64
		asJSON, force bool
	)
	c := &cobra.Command{
		Use:   "store",
		Short: "Store the first --patterns images of --data in a network (a model folder)",
		Long: `Store the first --patterns rows of --data (digits: the embedded 8×8 digits; idx:PATH:
MNIST-style images; csv:PATH: 0/1 or [0,1] columns, --binarize T to threshold) as ±1
patterns by --rule hebbian | pinv | storkey | modern. Writes --out as a model folder
(kind "hopfield": W and b for a binary network, the patterns, the image shape).`,
		Example: `  ebm hopfield store --data digits --patterns 10 --rule storkey --out out/hop
  ebm hopfield store --data idx:/data/mnist/train-images-idx3-ubyte.gz --patterns 100 --rule modern --beta 0.1 --out out/mhn`,
		Args: rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if out == "" {
				return cli.Usagef("--out: an output folder is required")
			}
			if r := strings.ToLower(cfg.Rule); r != "modern" {
				if _, err := hopfield.ParseRule(r); err != nil {
					return cli.Usagef("--rule %q: unknown rule (valid: hebbian, pinv, storkey, modern)", cfg.Rule)
				}
			}
			if cfg.Patterns < 1 {
				return cli.Usagef("--patterns %d: need at least 1", cfg.Patterns)
			}
			if !(cfg.Beta > 0) {
				return cli.Usagef("--beta %v: need a finite number > 0", cfg.Beta)
			}
			if err := cli.CheckOutDir(out, force, data.SourcePaths(source)...); err != nil {
				return err
			}
			d, err := data.LoadUnits(source, true, binarize, 0)
			if err != nil {
				return cli.Input(cli.Flag(err))
			}
			x, err := hopfield.Bipolar(d.Train)
			if err != nil {
				return cli.Usagef("--data %s: %v (pass --binarize T for CSV data)", source, err)
			}
			cfg.Image = d.Image
			s, err := hopfield.StoreRows(x, cfg)
			if err != nil {
				return cli.Usagef("--data %s: %v", source, err)
			}
			rep := map[string]any{"data": source, "n": x.Cols, "p": s.Patterns.Rows, "rule": strings.ToLower(cfg.Rule), "out": out,
				"preprocessing": d.Preprocessing + "; >= 0.5 -> +1, else -1"}
			if s.Modern != nil {
				rep["beta"] = s.Modern.Beta
			}
			training, err := json.Marshal(rep)
			if err != nil {
				return err
			}
			if err := s.Save(out, &model.Meta{Training: training}); err != nil {
				return err
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), rep)
			}
			_, err = fmt.Fprintf(c.OutOrStdout(), "stored %d patterns of %d units (%s) from %s in %s\n", s.Patterns.Rows, x.Cols, rep["rule"], source, out)
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&source, "data", "digits", "digits | idx:PATH | csv:PATH")
	f.IntVar(&cfg.Patterns, "patterns", 10, "number of images stored (the first ones)")
	f.StringVar(&cfg.Rule, "rule", "storkey", "hebbian | pinv | storkey | modern")
	f.Float64Var(&cfg.Beta, "beta", 1, "inverse temperature β of the modern network")
	f.Float64Var(&binarize, "binarize", 0, "threshold CSV data (values ≥ T → 1)")
	f.StringVar(&out, "out", "", "output model folder (required)")
	f.BoolVar(&force, "force", false, "replace --out if it exists")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

func newHopfieldRecallCmd() *cobra.Command {
	var (
		dir, out      string
		cfg           hopfield.RecallConfig
		cols          int
		asJSON, force bool
	)
	c := &cobra.Command{
		Use:   "recall",
		Short: "Recall every stored pattern from a corrupted cue; PNG of patterns, cues and recalls",
		Long: `Flip --corrupt of the bits of every stored pattern, recall it (asynchronous energy
descent, after --sweeps Gibbs sweeps at --temp when --temp > 0; --steps updates of a modern
network) and report the fractions of bits right. --out writes a PNG whose three rows are
the first --cols patterns, their cues and the recalled states.`,
		Example: `  ebm hopfield recall --model out/hop --corrupt 0.1 --out recall.png`,
		Args:    rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dir == "" {
				return cli.Usagef("--model: a model folder is required")
			}
			if !(cfg.Corrupt >= 0 && cfg.Corrupt <= 1) {
				return cli.Usagef("--corrupt %v: need a fraction in [0, 1]", cfg.Corrupt)
			}
			if !(cfg.Temp >= 0) || cfg.Sweeps < 1 || cfg.Steps < 1 || cfg.MaxSweeps < 1 || cols < 1 {
				return cli.Usagef("--temp %v, --sweeps %d, --steps %d, --max-sweeps %d, --cols %d: need T ≥ 0 and counts ≥ 1",
					cfg.Temp, cfg.Sweeps, cfg.Steps, cfg.MaxSweeps, cols)
			}
			if out != "" {
				if err := cli.CheckOutFile(out, force, dir); err != nil {
					return err
				}
			}
			s, _, err := hopfield.Load(dir)
			if err != nil {
				return cli.Input(err)
			}
			if cfg.Corrupt == 0 {
				cfg.Corrupt = -1 // none (0 means the default in the library)
			}
			res, err := s.Recall(cfg)
			if err != nil {
				return cli.Input(err)
			}
			if out != "" {
				h, w := s.Image[0], s.Image[1]
				if h*w == 0 {
					h, w = 1, s.Patterns.Cols
				}
				imgs, k := res.Panel(cols)
				scale := max(1, 96/max(h, w))
				if err := plot.ImageGrid(out, imgs, h, w, k, scale); err != nil {
					return err
				}
			}
			rep := map[string]any{"model": dir, "p": s.Patterns.Rows, "n": s.Patterns.Cols, "corrupt": max(cfg.Corrupt, 0),
				"cue_accuracy": res.CueAccuracy, "bit_accuracy": res.BitAccuracy, "perfect": res.Perfect,
				"energy_cue": res.EnergyCue, "energy_recalled": res.EnergyRecalled, "converged": res.Converged}
			if out != "" {
				rep["png"] = out
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), rep)
			}
			_, err = fmt.Fprintf(c.OutOrStdout(), "%d patterns of %d units, %.0f%% of the bits flipped: cues %.4f right, recalled %.4f right (%.0f%% perfect); mean energy %.4g → %.4g\n",
				s.Patterns.Rows, s.Patterns.Cols, 100*max(cfg.Corrupt, 0), res.CueAccuracy, res.BitAccuracy, 100*res.Perfect, res.EnergyCue, res.EnergyRecalled)
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "model", "", "model folder written by ebm hopfield store (required)")
	f.Float64Var(&cfg.Corrupt, "corrupt", 0.1, "fraction of the bits flipped in every cue")
	f.Float64Var(&cfg.Temp, "temp", 0, "temperature of Gibbs sweeps before the descent (0: none)")
	f.IntVar(&cfg.Sweeps, "sweeps", 10, "Gibbs sweeps at --temp")
	f.IntVar(&cfg.MaxSweeps, "max-sweeps", 100, "bound on the sweeps of asynchronous descent")
	f.IntVar(&cfg.Steps, "steps", 1, "updates of a modern network")
	f.IntVar(&cols, "cols", 10, "patterns shown in the PNG")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed (corruption, update order, Gibbs)")
	f.StringVar(&out, "out", "", "PNG of patterns, cues and recalled states (optional)")
	f.BoolVar(&force, "force", false, "replace --out if it exists")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

func newHopfieldCapacityCmd() *cobra.Command {
	var (
		cfg                  hopfield.CurveConfig
		loads, rules, figure string
		asJSON, force        bool
	)
	c := &cobra.Command{
		Use:   "capacity",
		Short: "Retrieval accuracy against the load P/N for random patterns",
		Long: `For every rule and load α = P/N store P random ±1 patterns of --n units, flip --corrupt of
the bits of each and recall by asynchronous descent; print the mean fraction of bits right
(± its standard error over --trials pattern sets) and the fraction recalled perfectly.
--plot writes the curves as a PNG. The pseudo-inverse rule is skipped where P ≥ N.`,
		Example: `  ebm hopfield capacity --n 100 --loads 0.05,0.1,0.15,0.2 --trials 3`,
		Args:    rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var err error
			if cfg.Loads, err = parseFloats(loads); err != nil {
				return cli.Usagef("--loads %q: %v", loads, err)
			}
			for _, r := range strings.Split(rules, ",") {
				rule, err := hopfield.ParseRule(r)
				if err != nil {
					return cli.Usagef("--rules %q: unknown rule %q (valid: hebbian, pinv, storkey)", rules, r)
				}
				cfg.Rules = append(cfg.Rules, rule)
			}
			if cfg.N < 2 || cfg.N > 4096 || cfg.Trials < 1 || !(cfg.Corrupt > 0 && cfg.Corrupt <= 1) {
				return cli.Usagef("--n %d, --trials %d, --corrupt %v: need 2 ≤ n ≤ 4096, trials ≥ 1, 0 < corrupt ≤ 1", cfg.N, cfg.Trials, cfg.Corrupt)
			}
			for _, a := range cfg.Loads {
				if !(a > 0) || int(a*float64(cfg.N)+0.5) < 1 {
					return cli.Usagef("--loads: load %v stores no pattern with --n %d", a, cfg.N)
				}
			}
			if figure != "" {
				if err := cli.CheckOutFile(figure, force); err != nil {
					return err
				}
			}
			pts, err := hopfield.RetrievalCurve(c.Context(), cfg)
			if err != nil {
				return err
			}
			if figure != "" {
				byRule := map[string]*plot.Series{}
				var series []plot.Series
				for _, p := range pts {
					s, ok := byRule[p.Rule]
					if !ok {
						series = append(series, plot.Series{Name: p.Rule})
						s = &series[len(series)-1]
						byRule[p.Rule] = s
					}
					s.X, s.Y = append(s.X, p.Load), append(s.Y, p.BitAccuracy)
				}
				title := fmt.Sprintf("Hopfield recall, N = %d, %.0f%% of the bits flipped", cfg.N, 100*cfg.Corrupt)
				if err := plot.Lines(figure, title, "load P/N", "fraction of bits right", series, plot.LineOptions{}); err != nil {
					return err
				}
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), map[string]any{"n": cfg.N, "corrupt": cfg.Corrupt, "trials": cfg.Trials, "points": pts})
			}
			w := c.OutOrStdout()
			fmt.Fprintf(w, "N = %d, %.0f%% of the bits flipped, %d trials\n%-8s %6s %5s %16s %8s\n", cfg.N, 100*cfg.Corrupt, cfg.Trials, "rule", "P/N", "P", "bits right", "perfect")
			for _, p := range pts {
				fmt.Fprintf(w, "%-8s %6.3f %5d %8.4f ± %.4f %8.3f\n", p.Rule, p.Load, p.P, p.BitAccuracy, p.StdErr, p.Perfect)
			}
			return nil
		},
	}
	f := c.Flags()
	f.IntVar(&cfg.N, "n", 100, "number of units")
	f.StringVar(&loads, "loads", "0.02,0.04,0.06,0.08,0.1,0.12,0.14,0.16,0.18,0.2,0.25,0.3", "loads P/N, comma-separated")
	f.StringVar(&rules, "rules", "hebbian,pinv,storkey", "storage rules, comma-separated")
	f.Float64Var(&cfg.Corrupt, "corrupt", 0.1, "fraction of the bits flipped in every cue")
	f.IntVar(&cfg.Trials, "trials", 5, "random pattern sets per point")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	f.StringVar(&figure, "plot", "", "PNG of bits right against the load (optional)")
	f.BoolVar(&force, "force", false, "replace --plot if it exists")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

// parseFloats parses a comma-separated list of numbers.
func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/diag"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newSampleCmd) }

const samplerHelp = `Samplers (--sampler NAME[:k=v,...]):
  rwmh      random-walk Metropolis-Hastings. step=1 (proposal scale), adapt=true
            (dual averaging to target=0.234 and a diagonal metric in warm-up)
  ula       unadjusted Langevin x <- x - step*grad E + sqrt(2 step)*xi. step=0.01
            (no accept step: biased by O(step))
  sgld      SGLD-style update of IGEBM/JEM x <- x - a*grad E + b*xi, a=10, b=0.005,
            clip=0; samples the colder exp(-E/T), T = b^2/(2a): NOT Langevin
  mala      Metropolis-adjusted Langevin. step=0.1, adapt=true, metric=true,
            target=0.574
  hmc       Hamiltonian Monte Carlo (leapfrog). step=0.1, L=10, jitter=0,
            adapt=true, metric=true, target=0.8
  annealed  annealed Langevin (NCSN): sigma_max=, sigma_min=, levels=10,
            steps_per_level=100, eps=; follows the exact smoothed energies of
            Gaussian mixtures, tempers others. Runs its own schedule: --steps
            and --warmup are ignored and each chain gives one sample.`

type sampleOpts struct {
	energy, model, sampler, init, clamp string
	chains, steps, warmup, thin         int
	seed                                uint64
	out                                 string
	jsonOut, force, quiet               bool
}

func newSampleCmd() *cobra.Command {
	o := &sampleOpts{}
	c := &cobra.Command{
		Use:   "sample",
		Short: "Sample an energy with MCMC and report diagnostics",
		Long: `Sample a built-in energy (or a trained model) with MCMC, many chains at once,
and report moments and diagnostics: acceptance, rank-normalized split R-hat,
bulk and tail ESS, and the kernel Stein discrepancy of the draws.

Energies (--energy NAME[:k=v,...]):
` + energyHelp() + "\n\n" + samplerHelp,
		Example: `  ebm sample --energy gauss:dim=2,rho=0.8 --sampler mala --chains 8 --steps 4000 --warmup 1000 --seed 1 --json
  ebm sample --energy ncsn-gmm --sampler annealed --chains 2000 --out out/annealed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runSample(cmd, o) },
	}
	f := c.Flags()
	f.StringVar(&o.energy, "energy", "", "energy NAME[:k=v,...] (see above)")
	f.StringVar(&o.model, "model", "", "a trained model folder (from ebm train) instead of --energy")
	f.StringVar(&o.sampler, "sampler", "mala", "sampler NAME[:k=v,...] (see above)")
	f.IntVar(&o.chains, "chains", 8, "number of chains")
	f.IntVar(&o.steps, "steps", 1000, "sampling steps per chain (kept)")
	f.IntVar(&o.warmup, "warmup", 1000, "warm-up steps per chain (adaptation, not kept)")
	f.IntVar(&o.thin, "thin", 1, "keep every n-th sampling step")
	f.Uint64Var(&o.seed, "seed", 1, "random seed")
	f.StringVar(&o.init, "init", "", `initial points: "uniform:lo=-2,hi=2" (default), "normal:sd=1", or a CSV file with one row per chain`)
	f.StringVar(&o.clamp, "clamp", "", `confine chains to a box "LO,HI" (MH kernels reject outside it; unadjusted kernels clamp)`)
	f.StringVar(&o.out, "out", "", "write samples.csv, diagnostics.json and samples.png into this folder")
	f.BoolVar(&o.force, "force", false, "replace --out if it exists")
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object with the results on stdout")
	f.BoolVar(&o.quiet, "quiet", false, "no progress report")
	return c
}

func energyHelp() string {
	var b strings.Builder
	for _, n := range energy.Names() {
		fmt.Fprintf(&b, "  %-10s %s\n", n, energy.Describe(n))
	}
	return strings.TrimRight(b.String(), "\n")
}

// parseEnergy builds an energy from a spec; every failure is a usage error.
func parseEnergy(spec string) (energy.GradEnergy, error) {
	sp, err := cli.ParseSpec("energy", spec)
	if err != nil {
		return nil, err
	}
	e, err := energy.FromSpec(sp.Name, sp.Args)
	if err != nil {
		return nil, &cli.UsageError{Err: fmt.Errorf("--energy: %w", err)}
	}
	return e, nil
}

// samplerSpec is a parsed --sampler: the kernel and the run settings it implies.
type samplerSpec struct {
	name     string
	kernel   sample.Kernel
	adapt    sample.Adapt
	target   float64
	annealed *sample.AnnealedLangevin
}

func parseSampler(spec string, e energy.GradEnergy) (*samplerSpec, error) {
	sp, err := cli.ParseSpec("sampler", spec)
	if err != nil {
		return nil, err
	}
	s := &samplerSpec{name: sp.Name}
	bad := func(err error) error { return &cli.UsageError{Err: fmt.Errorf("--sampler %s: %w", sp.Name, err)} }
	adaptFlags := func(defTarget float64, metric bool) error {
		adapt, err := sp.Bool("adapt", true)
		if err != nil {
			return err
		}
		useMetric := metric
		if metric {
			if useMetric, err = sp.Bool("metric", true); err != nil {
				return err
			}
		}
		if s.target, err = sp.Float("target", defTarget); err != nil {
			return err
		}
		if !(s.target > 0 && s.target < 1) {
			return cli.Usagef("--sampler %s: target=%v must be in (0, 1)", sp.Name, s.target)
		}
		switch {
		case !adapt:
			s.adapt = sample.AdaptOff
		case !useMetric:
			s.adapt = sample.AdaptStepSize
		default:
			s.adapt = sample.AdaptAuto
		}
		return nil
	}
	switch sp.Name {
	case "rwmh":
		step, err := sp.Float("step", 1)
		if err != nil {
			return nil, err
		}
		if err := adaptFlags(0.234, true); err != nil {
			return nil, err
		}
		if s.kernel, err = sample.NewRWMH(e, sample.RWMHOptions{Step: step}); err != nil {
			return nil, bad(err)
		}
	case "ula":
		step, err := sp.Float("step", 0.01)
		if err != nil {
			return nil, err
		}
		if s.kernel, err = sample.NewULA(e, sample.ULAOptions{Step: step}); err != nil {
			return nil, bad(err)
		}
	case "sgld":
		o := sample.DefaultSGLDStyleOptions()
		if o.Step, err = sp.Float("a", o.Step); err != nil {
			return nil, err
		}
		if o.Noise, err = sp.Float("b", o.Noise); err != nil {
			return nil, err
		}
		if o.Clip, err = sp.Float("clip", 0); err != nil {
			return nil, err
		}
		if s.kernel, err = sample.NewSGLDStyle(e, o); err != nil {
			return nil, bad(err)
		}
	case "mala":
		step, err := sp.Float("step", 0.1)
		if err != nil {
			return nil, err
		}
		if err := adaptFlags(0.574, true); err != nil {
			return nil, err
		}
		if s.kernel, err = sample.NewMALA(e, sample.MALAOptions{Step: step}); err != nil {
			return nil, bad(err)
		}
	case "hmc":
		o := sample.DefaultHMCOptions()
		if o.Step, err = sp.Float("step", 0.1); err != nil {
			return nil, err
		}
		if o.L, err = sp.Int("L", o.L); err != nil {
			return nil, err
		}
		if o.Jitter, err = sp.Float("jitter", o.Jitter); err != nil {
			return nil, err
		}
		if err := adaptFlags(0.8, true); err != nil {
			return nil, err
		}
		if s.kernel, err = sample.NewHMC(e, o); err != nil {
			return nil, bad(err)
		}
	case "annealed":
		o := sample.DefaultAnnealedLangevinOptions()
		if o.SigmaMax, err = sp.Float("sigma_max", 10); err != nil {
			return nil, err
		}
		if o.SigmaMin, err = sp.Float("sigma_min", 0.1); err != nil {
			return nil, err
		}
		if o.Levels, err = sp.Int("levels", 10); err != nil {
			return nil, err
		}
		if o.StepsPerLevel, err = sp.Int("steps_per_level", 100); err != nil {
			return nil, err
		}
		if o.Eps, err = sp.Float("eps", 5e-3); err != nil {
			return nil, err
		}
		a, err := sample.NewAnnealedLangevin(e, o)
		if err != nil {
			return nil, bad(err)
		}
		s.kernel, s.annealed = a, a
	default:
		return nil, cli.Usagef("--sampler: unknown sampler %q (valid: rwmh, ula, sgld, mala, hmc, annealed)", sp.Name)
	}
	if err := sp.CheckUnused(); err != nil {
		return nil, err
	}
	return s, nil
}

// initialPoints draws or reads the chains' starting points.
func initialPoints(spec string, chains, d int, seed uint64) (*tensor.Dense[float64], error) {
	if spec != "" && !strings.HasPrefix(spec, "uniform") && !strings.HasPrefix(spec, "normal") {
		ds, err := data.LoadCSV(spec, data.CSVOptions{LabelColumn: data.NoLabel})
		if err != nil {
			return nil, &cli.UsageError{Err: fmt.Errorf("--init: %w", err)}
		}
		if ds.X.Cols != d {
			return nil, cli.Usagef("--init %s: points have %d columns, the energy has dimension %d", spec, ds.X.Cols, d)
		}
		if ds.X.Rows != chains {
			return nil, cli.Usagef("--init %s: %d rows for %d chains (give one row per chain)", spec, ds.X.Rows, chains)
		}
		return ds.X, nil
	}
	if spec == "" {
		spec = "uniform"
	}
	sp, err := cli.ParseSpec("init", spec)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x1a17))
	x := tensor.New[float64](chains, d)
	switch sp.Name {
	case "uniform":
		lo, err := sp.Float("lo", -2)
		if err != nil {
			return nil, err
		}
		hi, err := sp.Float("hi", 2)
		if err != nil {
			return nil, err
		}
		if !(hi > lo) {
			return nil, cli.Usagef("--init uniform: need lo < hi, got lo=%v hi=%v", lo, hi)
		}
		for i := range x.Data {
			x.Data[i] = lo + (hi-lo)*rng.Float64()
		}
	case "normal":
		sd, err := sp.Float("sd", 1)
		if err != nil {
			return nil, err
		}
		if !(sd > 0) {
			return nil, cli.Usagef("--init normal: sd=%v must be > 0", sd)
		}
		for i := range x.Data {
			x.Data[i] = sd * rng.NormFloat64()
		}
	default:
		return nil, cli.Usagef("--init: %q is neither uniform, normal nor a CSV file", spec)
	}
	return x, sp.CheckUnused()
}

func parseClamp(s string) (*sample.Box, error) {
	if s == "" {
		return nil, nil
	}
	lo, hi, ok := strings.Cut(s, ",")
	a, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	b, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
	if !ok || err1 != nil || err2 != nil || !(a < b) {
		return nil, cli.Usagef("--clamp: want LO,HI with LO < HI, got %q", s)
	}
	return sample.ScalarBox(a, b), nil
}

// SampleReport is the JSON written by ebm sample --json (and diagnostics.json).
type SampleReport struct {
	Energy      string      `json:"energy"`
	Sampler     string      `json:"sampler"`
	Chains      int         `json:"chains"`
	NSamples    int         `json:"n_samples"`
	Dim         int         `json:"dim"`
	Mean        []float64   `json:"mean"`
	Cov         [][]float64 `json:"cov"`
	AcceptRate  float64     `json:"accept_rate"`
	AcceptProb  float64     `json:"mean_accept_prob"`
	StepSize    float64     `json:"step_size_median"`
	Divergences int         `json:"divergences"`
	RhatMax     jsonNum     `json:"rhat_max"`
	ESSBulkMin  jsonNum     `json:"ess_bulk_min"`
	ESSTailMin  jsonNum     `json:"ess_tail_min"`
	KSD         jsonNum     `json:"ksd"`
	KSDPoints   int         `json:"ksd_points"`
	Seconds     float64     `json:"seconds"`
	Seed        uint64      `json:"seed"`
	Summary     diag.Table  `json:"summary,omitempty"`
	// Warnings are Stan-style convergence warnings (see convergenceWarnings).
	Warnings []string `json:"warnings,omitempty"`
}

// jsonNum writes NaN and ±Inf as null (JSON has no NaN).
type jsonNum float64

func (v jsonNum) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

func runSample(cmd *cobra.Command, o *sampleOpts) error {
	if (o.energy == "") == (o.model == "") {
		return cli.Usagef("sample: give exactly one of --energy or --model (see ebm sample --help)")
	}
	if o.chains < 1 {
		return cli.Usagef("--chains must be at least 1, got %d", o.chains)
	}
	if o.steps < 1 {
		return cli.Usagef("--steps must be at least 1, got %d", o.steps)
	}
	if o.warmup < 0 {
		return cli.Usagef("--warmup must be at least 0, got %d", o.warmup)
	}
	if o.thin < 1 {
		return cli.Usagef("--thin must be at least 1, got %d", o.thin)
	}
	var e energy.GradEnergy
	var err error
	name := o.energy
	if o.model != "" {
		e, err = loadModelEnergy(o.model)
		err = cli.Input(err)
		name = o.model
	} else {
		e, err = parseEnergy(o.energy)
	}
	if err != nil {
		return err
	}
	ss, err := parseSampler(o.sampler, e)
	if err != nil {
		return err
	}
	clamp, err := parseClamp(o.clamp)
	if err != nil {
		return err
	}
	x0, err := initialPoints(o.init, o.chains, e.Dim(), o.seed)
	if err != nil {
		return err
	}
	var out *cli.OutDir
	if o.out != "" {
		inputs := []string{o.model}
		if o.init != "" && !strings.HasPrefix(o.init, "uniform") && !strings.HasPrefix(o.init, "normal") {
			inputs = append(inputs, o.init)
		}
		if out, err = cli.NewOutDir(o.out, o.force, inputs...); err != nil {
			return err
		}
		defer out.Abort()
	}
	cfg := sample.Config{Warmup: o.warmup, Steps: o.steps, Thin: o.thin, Seed: o.seed,
		Clamp: clamp, Adapt: ss.adapt, TargetAccept: ss.target}
	if ss.annealed != nil {
		n := ss.annealed.Len()
		cfg = sample.Config{Warmup: 0, Steps: n, Thin: n, Seed: o.seed, Clamp: clamp}
	}
	bar := cli.NewProgress(cfg.Warmup+cfg.Steps, "sampling", o.quiet)
	cfg.Progress = func(done, total int) { bar.Add(1) }
	t0 := time.Now()
	res, err := sample.Run(cmd.Context(), ss.kernel, x0, cfg)
	bar.Done()
	if err != nil {
		return err
	}
	rep := buildReport(res, e, name, ss.name, o.seed, time.Since(t0).Seconds())
	if out != nil {
		if err := writeSampleOutputs(out, res, e, rep); err != nil {
			return err
		}
		if err := out.Commit(); err != nil {
			return err
		}
	}
	for _, msg := range rep.Warnings {
		fmt.Fprintln(os.Stderr, "ebm sample: warning:", msg)
	}
	w := cmd.OutOrStdout()
	if o.jsonOut {
		return cli.WriteJSON(w, rep)
	}
	printSampleReport(w, rep)
	if out != nil {
		fmt.Fprintf(w, "wrote %s/{samples.csv,diagnostics.json,samples.png}\n", out.Final)
	}
	return nil
}

func buildReport(res *sample.Result, e energy.GradEnergy, name, sampler string, seed uint64, secs float64) *SampleReport {
	rep := &SampleReport{Energy: name, Sampler: sampler, Chains: res.Chains, NSamples: res.Chains * res.Kept,
		Dim: res.Dim, Mean: res.Mean(), Cov: res.Cov(), Seconds: secs, Seed: seed}
	rep.AcceptRate = meanOf(res.AcceptRate)
	rep.AcceptProb = meanOf(res.MeanAcceptProb)
	rep.StepSize = median(res.StepSize)
	for _, d := range res.Divergences {
		rep.Divergences += d
	}
	dg := res.Diagnostics()
	rep.RhatMax, rep.ESSBulkMin, rep.ESSTailMin = jsonNum(dg.MaxRhat), jsonNum(dg.MinESSBulk), jsonNum(dg.MinESSTail)
	if res.Kept > 1 { // annealed runs keep one draw per chain: no chains to compare
		rep.Warnings = convergenceWarnings(dg, res.Chains, res.Kept, rep.Divergences)
	}
	names := make([]string, res.Dim)
	draws := make([][][]float64, res.Dim)
	for j := range names {
		names[j] = fmt.Sprintf("x%d", j)
		draws[j] = res.Draws(j)
	}
	if res.Kept >= 4 {
		rep.Summary, _ = diag.Summary(names, draws)
	}
	// KSD on at most 2000 draws spread evenly over all chains and iterations.
	pts := thinDraws(res, 2000)
	rep.KSDPoints = pts.Rows
	if k, err := metric.KSDEnergy(e, pts); err == nil {
		rep.KSD = jsonNum(k)
	} else {
		rep.KSD = jsonNum(math.NaN())
	}
	return rep
}

// Thresholds of the convergence warnings, Stan's: split-R̂ above rhatWarn, or
// a bulk ESS below essWarnPerChain draws per chain.
const (
	rhatWarn        = 1.01
	essWarnPerChain = 100
)

// convergenceWarnings returns Stan-style warnings for a sampling run, each
// saying what happened and what to try: split-R̂ > 1.01 (the chains disagree),
// bulk ESS < 100 per chain (means unreliable), too few draws to tell, and
// divergent transitions.
func convergenceWarnings(dg sample.Diagnostics, chains, kept, divergences int) []string {
	var w []string
	if kept < 4 || math.IsNaN(dg.MaxRhat) {
		w = append(w, fmt.Sprintf("%d draws per chain are too few for R-hat and ESS (at least 4 are needed): run more --steps.", kept))
	}
	if dg.MaxRhat > rhatWarn {
		w = append(w, fmt.Sprintf("R-hat is %.3f (above %.2f): the chains have not mixed and disagree; run more --warmup and --steps, or more --chains.", dg.MaxRhat, rhatWarn))
	}
	if min := float64(essWarnPerChain * chains); dg.MinESSBulk < min {
		w = append(w, fmt.Sprintf("bulk ESS is %.0f (below %.0f, %d per chain): means and quantiles are unreliable; run more --steps or --chains, or tune the sampler's step.", dg.MinESSBulk, min, essWarnPerChain))
	}
	if divergences > 0 {
		w = append(w, fmt.Sprintf("%d transitions diverged: the draws may be biased; use a smaller step or a higher target acceptance.", divergences))
	}
	return w
}

// thinDraws returns at most max draws, evenly spaced over all kept draws.
func thinDraws(res *sample.Result, max int) *tensor.Dense[float64] {
	n := res.Chains * res.Kept
	k := min(n, max)
	x := tensor.New[float64](k, res.Dim)
	for i := 0; i < k; i++ {
		src := i * n / k
		copy(x.Row(i), res.Data[src*res.Dim:(src+1)*res.Dim])
	}
	return x
}

func meanOf(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(max(len(v), 1))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func printSampleReport(w io.Writer, r *SampleReport) {
	fmt.Fprintf(w, "%s with %s: %d chains, %d draws, %.2fs\n", r.Energy, r.Sampler, r.Chains, r.NSamples, r.Seconds)
	if len(r.Summary) > 0 {
		r.Summary.WriteTable(w)
	}
	fmt.Fprintf(w, "accept rate %.3f (mean accept prob %.3f), median step %.4g, divergences %d\n",
		r.AcceptRate, r.AcceptProb, r.StepSize, r.Divergences)
	fmt.Fprintf(w, "R-hat max %s, ESS bulk min %s, ESS tail min %s, KSD %s (%d draws)\n",
		fmtNum(r.RhatMax, "%.4f"), fmtNum(r.ESSBulkMin, "%.0f"), fmtNum(r.ESSTailMin, "%.0f"), fmtNum(r.KSD, "%.3g"), r.KSDPoints)
}

func fmtNum(v jsonNum, f string) string {
	if math.IsNaN(float64(v)) {
		return "n/a"
	}
	return fmt.Sprintf(f, float64(v))
}

func writeSampleOutputs(out *cli.OutDir, res *sample.Result, e energy.GradEnergy, rep *SampleReport) error {
	f, err := os.Create(out.Path("samples.csv"))
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	bw.WriteString("chain")
	for j := 0; j < res.Dim; j++ {
		fmt.Fprintf(bw, ",x%d", j)
	}
	bw.WriteString("\n")
	buf := make([]byte, 0, 32)
	for c := 0; c < res.Chains; c++ {
		for t := 0; t < res.Kept; t++ {
			bw.WriteString(strconv.Itoa(c))
			for _, v := range res.Draw(c, t) {
				bw.WriteByte(',')
				bw.Write(strconv.AppendFloat(buf[:0], v, 'g', -1, 64))
			}
			bw.WriteByte('\n')
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(out.Path("diagnostics.json"), append(js, '\n'), 0o666); err != nil {
		return err
	}
	pts := thinDraws(res, 5000)
	title := fmt.Sprintf("%s: %s, %d draws", rep.Energy, rep.Sampler, rep.NSamples)
	if res.Dim == 2 {
		return plot.Scatter2D(out.Path("samples.png"), title, pts, plot.ScatterOptions{Contour: contourOf(e), Shade: true})
	}
	return plot.PairGrid(out.Path("samples.png"), title, pts, 4)
}

// contourOf returns E(x, y) for a 2-D energy, evaluated one point at a time.
func contourOf(e energy.Energy) func(x, y float64) float64 {
	p := tensor.New[float64](1, 2)
	v := make([]float64, 1)
	return func(x, y float64) float64 {
		p.Data[0], p.Data[1] = x, y
		e.Energy(p, v)
		return v[0]
	}
}

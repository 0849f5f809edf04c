package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/atomicfile"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newTrainCmd, newEvalCmd) }

const methodHelp = `Methods (--method NAME[:k=v,...]):
  cd      contrastive divergence: k=1 sampler steps from the data. sampler=ula|mala|sgld,
          step=0.01, noise=0.005 (sgld), alpha=0 (E^2 weight), box=0 (no clamp)
  pcd     persistent chains: k=20, sampler=ula, step=0.005, noise=0.005, alpha=0.1,
          chains=batch, init=uniform|gaussian, box=4 (chains start in and stay in [-box,box]^d)
  replay  replay buffer (IGEBM recipe): k=20, sampler=ula, step=0.005, noise=0.005,
          alpha=0.1, buffer=10000, reinit=0.05, init=uniform|gaussian, box=4, clip=0
  sm      exact score matching (Hyvarinen): hutchinson=0 (0: exact trace)
  ssm     sliced score matching: m=1 projections, proj=gaussian|rademacher|sphere, vr=false
  dsm     denoising score matching: sigma=0.2 (the data smoothed by N(0, sigma^2 I) is fitted);
          levels=L>0 trains a noise-conditional energy E(x, sigma) over L levels from
          sigma_max=1 down to sigma_min=0.05 (sample it with --sampler annealed)
  kde     score regression on a Gaussian KDE of the data: bandwidth=scott (or a number),
          ref=5000 reference points
  nce     noise-contrastive estimation: ratio=1, noise=gaussian (fitted to the data);
          log Z is learned`

type trainOpts struct {
	data, modelSpec, method, out, checkpoint, resume, schedule, labelCol string
	iters, batch, logEvery, ckptEvery, testN                             int
	lr, clip, ema                                                        float64
	seed                                                                 uint64
	jsonOut, force, quiet                                                bool

	// cmdName names the command in messages ("train", "demo", "compare").
	cmdName string
	// liveDir, if set, is the checkpoint folder: it receives checkpoints
	// (every ckptEvery iterations) and the live metrics log, which is copied
	// into the output folder at the end. Without it the log is written into
	// the output folder directly.
	liveDir string
	// snap is the checkpoint a resumed run starts from, and history the
	// metrics log of the run it continues.
	snap    *train.Snapshot
	history string
}

func newTrainCmd() *cobra.Command {
	o := &trainOpts{}
	c := &cobra.Command{
		Use:   "train",
		Short: "Train a neural energy on data",
		Long: `Train an MLP energy E(x) on a data set with one of the estimators below, write
the model (safetensors + JSON), metrics.jsonl and pictures, and report the grid
NLL on held-out data for 2-D data.

Data (--data): a toy name (` + strings.Join(data.ToyNames(), ", ") + `; fresh points every
iteration, 10,000 held-out points with seed 123) or a CSV file (numeric columns,
optional header; --label-column drops a label column). For a CSV file the reported figures are computed on the file
itself; pass held-out data to ebm eval --data for held-out figures.

Model (--model): mlp:hidden=128x128,act=silu[,specnorm][,init=torch]

` + methodHelp,
		Example: `  ebm train --data 8gaussians --method ssm --iters 2000 --out out/ssm --json
  ebm train --data 8gaussians --method replay:sampler=mala,step=0.01 --out out/replay`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { o.cmdName = "train"; return runTrain(cmd, o) },
	}
	f := c.Flags()
	f.StringVar(&o.data, "data", "8gaussians", "toy data name or CSV file")
	f.StringVar(&o.modelSpec, "model", "mlp:hidden=128x128,act=silu", "model spec")
	f.StringVar(&o.method, "method", "ssm", "estimator NAME[:k=v,...]")
	f.IntVar(&o.iters, "iters", 2000, "parameter updates")
	f.IntVar(&o.batch, "batch", 256, "batch size")
	f.Float64Var(&o.lr, "lr", 1e-3, "Adam learning rate")
	f.StringVar(&o.schedule, "schedule", "constant", `learning-rate schedule: constant, cosine (to lr/100), step (×0.5 every iters/4), optionally with ":warmup=N" iterations of linear warm-up`)
	f.Float64Var(&o.clip, "clip-grad", 0, "clip the global gradient norm (0: off)")
	f.Float64Var(&o.ema, "ema", 0.99, "keep an exponential moving average of the weights with this decay and save it (0: off)")
	f.Uint64Var(&o.seed, "seed", 1, "random seed")
	f.StringVar(&o.out, "out", "", "output folder (required)")
	f.BoolVar(&o.force, "force", false, "replace --out if it exists")
	f.IntVar(&o.logEvery, "log-every", 100, "iterations between metrics lines")
	f.IntVar(&o.ckptEvery, "checkpoint-every", 500, "iterations between checkpoints")
	f.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint folder, also holding the live metrics.jsonl (default OUT.ckpt)")
	f.StringVar(&o.resume, "resume", "", "resume from a checkpoint folder (with the settings it records)")
	f.IntVar(&o.testN, "test", 10000, "held-out points for toy data")
	f.StringVar(&o.labelCol, "label-column", "", `CSV data: a label column to drop ("last" or a 0-based index)`)
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object with the results on stdout")
	f.BoolVar(&o.quiet, "quiet", false, "no progress report")
	return c
}

// dataset is training data plus held-out points.
type dataset struct {
	name   string
	source train.PointSource
	test   *tensor.Dense[float64]
	all    *tensor.Dense[float64] // a sample of the training data (plots, fitting)
	toy    bool
}

func loadData(spec string, seed uint64, testN int, labelCol int) (*dataset, error) {
	for _, n := range data.ToyNames() {
		if spec == n {
			gen := func(k int, rng *rand.Rand) *tensor.Dense[float64] {
				x, _ := data.Toy(n, k, rng)
				return x
			}
			test, err := data.Toy(n, testN, rand.New(rand.NewPCG(123, 0)))
			if err != nil {
				return nil, err
			}
			all, _ := data.Toy(n, 10000, rand.New(rand.NewPCG(456, 0)))
			return &dataset{name: n, source: &train.Generator{D: 2, Gen: gen, Seed: seed}, test: test, all: all, toy: true}, nil
		}
	}
	if !strings.HasSuffix(spec, ".csv") && !strings.HasSuffix(spec, ".csv.gz") {
		if _, err := os.Stat(spec); err != nil {
			return nil, cli.Usagef("--data: %q is neither a toy data set (%s) nor a CSV file", spec, strings.Join(data.ToyNames(), ", "))
		}
	}
	ds, err := data.LoadCSV(spec, data.CSVOptions{LabelColumn: labelCol})
	if err != nil {
		// Missing, unreadable or malformed: the input is at fault.
		return nil, cli.Input(err)
	}
	if ds.X.Rows < 2 {
		return nil, cli.Usagef("--data %s: need at least 2 rows, got %d", spec, ds.X.Rows)
	}
	return &dataset{name: spec, source: &train.Dataset{X: ds.X, Seed: seed}, test: ds.X, all: ds.X}, nil
}

// parseLabelColumn maps --label-column to data.CSVOptions.LabelColumn.
func parseLabelColumn(s string) (int, error) {
	switch s {
	case "":
		return data.NoLabel, nil
	case "last":
		return data.LastColumn, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, cli.Usagef(`--label-column: want "last" or a column index ≥ 0, got %q`, s)
	}
	return n, nil
}

// parseSchedule builds the learning-rate schedule named by --schedule.
func parseSchedule(s string, lr float64, iters int) (optim.Schedule, error) {
	if s == "" {
		s = "constant"
	}
	sp, err := cli.ParseSpec("schedule", s)
	if err != nil {
		return nil, err
	}
	warm, err := sp.Int("warmup", 0)
	if err != nil {
		return nil, err
	}
	if warm < 0 || warm >= iters {
		return nil, cli.Usagef("--schedule: warmup=%d must be in [0, iters)", warm)
	}
	var inner optim.Schedule
	switch sp.Name {
	case "constant":
		inner = optim.Constant{Base: lr}
	case "cosine":
		inner = optim.Cosine{Base: lr, Min: lr / 100, Total: iters - warm}
	case "step":
		inner = optim.Step{Base: lr, Every: max((iters-warm)/4, 1), Gamma: 0.5}
	default:
		return nil, cli.Usagef("--schedule: unknown schedule %q (valid: constant, cosine, step)", sp.Name)
	}
	if err := sp.CheckUnused(); err != nil {
		return nil, err
	}
	if warm > 0 {
		return optim.Warmup{Inner: inner, Steps: warm, From: 0.01}, nil
	}
	return inner, nil
}

// mlpSpec is a parsed --model.
type mlpSpec struct {
	hidden   []int
	act      nn.Activation
	specNorm bool
	init     nn.Init
}

func parseModelSpec(s string) (*mlpSpec, error) {
	sp, err := cli.ParseSpec("model", s)
	if err != nil {
		return nil, err
	}
	if sp.Name != "mlp" {
		return nil, cli.Usagef("--model: unknown model %q (valid: mlp)", sp.Name)
	}
	m := &mlpSpec{}
	for _, h := range strings.Split(sp.String("hidden", "128x128"), "x") {
		v, err := strconv.Atoi(h)
		if err != nil || v < 1 {
			return nil, cli.Usagef("--model mlp: hidden=%q: want widths like 128x128", sp.String("hidden", ""))
		}
		m.hidden = append(m.hidden, v)
	}
	if m.act, err = nn.ActivationByName(sp.String("act", "silu")); err != nil {
		return nil, &cli.UsageError{Err: fmt.Errorf("--model mlp: %w", err)}
	}
	if m.specNorm, err = sp.Bool("specnorm", false); err != nil {
		return nil, err
	}
	if m.init, err = nn.InitByName(sp.String("init", "torch")); err != nil {
		return nil, &cli.UsageError{Err: fmt.Errorf("--model mlp: %w", err)}
	}
	return m, sp.CheckUnused()
}

// build makes the model: an MLP energy, or a noise-conditional one (one more
// input, log σ) when sigmas is not empty.
func (m *mlpSpec) build(d int, seed uint64, sigmas []float64) (energy.Model[float32], error) {
	in := d
	if len(sigmas) > 0 {
		in = d + 1
	}
	sizes := append(append([]int{in}, m.hidden...), 1)
	net, err := nn.NewMLP[float32](sizes, m.act, nn.MLPOptions{Init: m.init, SpecNorm: m.specNorm}, rand.New(rand.NewPCG(seed, 0x6d6f64656c)))
	if err != nil {
		return nil, err
	}
	if len(sigmas) > 0 {
		return energy.NewNoiseCondMLP(net, sigmas)
	}
	return energy.NewMLPEnergy(net)
}

// parseMethod builds the estimator; settings are echoed back for the model file.
func parseMethod(s string, ds *dataset, batch int) (train.Estimator[float32], map[string]any, error) {
	sp, err := cli.ParseSpec("method", s)
	if err != nil {
		return nil, nil, err
	}
	set := map[string]any{"name": sp.Name}
	fl := func(k string, def float64) float64 {
		if err != nil {
			return 0
		}
		var v float64
		v, err = sp.Float(k, def)
		if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			err = cli.Usagef("--method %s: %s=%v must be a finite number", sp.Name, k, v)
		}
		set[k] = v
		return v
	}
	in := func(k string, def int) int {
		if err != nil {
			return 0
		}
		var v int
		v, err = sp.Int(k, def)
		set[k] = v
		return v
	}
	str := func(k, def string) string {
		v := sp.String(k, def)
		set[k] = v
		return v
	}
	neg := func(defK int, defStep, defBox float64) train.NegSampler {
		ns := train.NegSampler{Kind: str("sampler", "ula"), Steps: in("k", defK), Step: fl("step", defStep), Noise: fl("noise", 0.005)}
		if box := fl("box", defBox); box > 0 {
			ns.Clamp = sample.ScalarBox(-box, box)
		}
		ns.Clip = fl("clip", 0)
		return ns
	}
	var est train.Estimator[float32]
	switch sp.Name {
	case "cd":
		est = &train.CD[float32]{Sampler: neg(1, 0.01, 0), Alpha: fl("alpha", 0)}
	case "pcd":
		ns := neg(20, 0.005, 4)
		box := 4.0
		if ns.Clamp != nil {
			box = ns.Clamp.Hi[0]
		}
		est = &train.PCD[float32]{Sampler: ns, Alpha: fl("alpha", 0.1), Chains: in("chains", batch),
			Init: train.Init{Kind: str("init", "uniform"), Lo: -box, Hi: box}}
	case "replay":
		ns := neg(20, 0.005, 4)
		box := 4.0
		if ns.Clamp != nil {
			box = ns.Clamp.Hi[0]
		}
		est = &train.Replay[float32]{Sampler: ns, Alpha: fl("alpha", 0.1), BufferSize: in("buffer", 10000),
			Reinit: fl("reinit", 0.05), Init: train.Init{Kind: str("init", "uniform"), Lo: -box, Hi: box}}
	case "sm":
		est = &train.ExactSM[float32]{Hutchinson: in("hutchinson", 0)}
	case "ssm":
		vr, e2 := sp.Bool("vr", false)
		if e2 != nil {
			return nil, nil, e2
		}
		set["vr"] = vr
		est = &train.SlicedSM[float32]{Projections: in("m", 1), Kind: str("proj", "gaussian"), VR: vr}
	case "dsm":
		d := &train.DenoisingSM[float32]{Sigma: fl("sigma", 0.2)}
		levels := in("levels", 0)
		hi, lo := fl("sigma_max", 1), fl("sigma_min", 0.05)
		if err == nil && levels > 0 {
			if !(hi >= lo && lo > 0) {
				return nil, nil, cli.Usagef("--method dsm: need sigma_max ≥ sigma_min > 0, got %v and %v", hi, lo)
			}
			d.Sigmas = train.GeometricSigmas(hi, lo, levels)
		} else if err == nil && levels < 0 {
			return nil, nil, cli.Usagef("--method dsm: levels=%d must be ≥ 0", levels)
		}
		est = d
	case "kde":
		bw := str("bandwidth", "scott")
		nref := in("ref", 5000)
		if err != nil {
			return nil, nil, err
		}
		if nref < 2 {
			return nil, nil, cli.Usagef("--method kde: ref=%d must be at least 2", nref)
		}
		ref := ds.all
		if ref.Rows > nref {
			ref = tensor.FromSlice(nref, ref.Cols, ref.Data[:nref*ref.Cols])
		}
		h := train.ScottBandwidth(ref)
		if bw != "scott" {
			v, e2 := strconv.ParseFloat(bw, 64)
			if e2 != nil || !(v > 0) {
				return nil, nil, cli.Usagef("--method kde: bandwidth=%q must be scott or a number > 0", bw)
			}
			h = v
		}
		set["bandwidth_value"] = h
		est = &train.KDESM[float32]{Ref: ref, Bandwidth: h}
	case "nce":
		ratio := fl("ratio", 1)
		if err == nil && !(ratio > 0) {
			return nil, nil, cli.Usagef("--method nce: ratio=%v must be > 0", ratio)
		}
		n := train.NewNCE[float32](nil, ratio)
		if kind := str("noise", "gaussian"); kind != "gaussian" {
			return nil, nil, cli.Usagef("--method nce: noise=%q unknown (valid: gaussian)", kind)
		}
		if err == nil {
			if e2 := n.FitNoise(ds.all); e2 != nil {
				return nil, nil, e2
			}
		}
		est = n
	default:
		return nil, nil, cli.Usagef("--method: unknown method %q (valid: cd, pcd, replay, sm, ssm, dsm, kde, nce)", sp.Name)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := sp.CheckUnused(); err != nil {
		return nil, nil, err
	}
	if err := checkMethodRanges(sp.Name, est); err != nil {
		return nil, nil, err
	}
	if ns := negSamplerOf(est); ns != nil {
		if e := ns.Validate(); e != nil {
			return nil, nil, cli.Usagef("--method %s: %v", sp.Name, e)
		}
	}
	return est, set, nil
}

// checkMethodRanges refuses estimator settings outside their range (zero or
// negative counts, scales and ratios), which the estimators would otherwise
// take silently.
func checkMethodRanges(name string, e train.Estimator[float32]) error {
	bad := func(format string, a ...any) error {
		return cli.Usagef("--method %s: "+format, append([]any{name}, a...)...)
	}
	switch v := e.(type) {
	case *train.SlicedSM[float32]:
		if v.Projections < 1 {
			return bad("m=%d must be at least 1", v.Projections)
		}
		switch v.Kind {
		case "gaussian", "rademacher", "sphere":
		default:
			return bad("proj=%q unknown (valid: gaussian, rademacher, sphere)", v.Kind)
		}
	case *train.ExactSM[float32]:
		if v.Hutchinson < 0 {
			return bad("hutchinson=%d must be ≥ 0 (0: exact trace)", v.Hutchinson)
		}
	case *train.DenoisingSM[float32]:
		if !(v.Sigma > 0) {
			return bad("sigma=%v must be > 0", v.Sigma)
		}
	case *train.NCE[float32]:
		if !(v.Ratio > 0) {
			return bad("ratio=%v must be > 0", v.Ratio)
		}
	case *train.CD[float32]:
		if !(v.Alpha >= 0) {
			return bad("alpha=%v must be ≥ 0", v.Alpha)
		}
	case *train.PCD[float32]:
		if !(v.Alpha >= 0) || v.Chains < 1 {
			return bad("need alpha ≥ 0 and chains ≥ 1, got alpha=%v chains=%d", v.Alpha, v.Chains)
		}
		if v.Init.Kind != "uniform" && v.Init.Kind != "gaussian" {
			return bad("init=%q unknown (valid: uniform, gaussian)", v.Init.Kind)
		}
	case *train.Replay[float32]:
		if !(v.Alpha >= 0) || v.BufferSize < 1 || !(v.Reinit >= 0 && v.Reinit <= 1) {
			return bad("need alpha ≥ 0, buffer ≥ 1 and 0 ≤ reinit ≤ 1, got alpha=%v buffer=%d reinit=%v", v.Alpha, v.BufferSize, v.Reinit)
		}
		if v.Init.Kind != "uniform" && v.Init.Kind != "gaussian" {
			return bad("init=%q unknown (valid: uniform, gaussian)", v.Init.Kind)
		}
	}
	if ns := negSamplerOf(e); ns != nil {
		if ns.Steps < 1 || !(ns.Clip >= 0) {
			return bad("need k ≥ 1 and clip ≥ 0, got k=%d clip=%v", ns.Steps, ns.Clip)
		}
		if ns.Clamp != nil && !(ns.Clamp.Hi[0] > 0) {
			return bad("box must be > 0 (or 0 for no clamp)")
		}
	}
	return nil
}

func negSamplerOf(e train.Estimator[float32]) *train.NegSampler {
	switch v := e.(type) {
	case *train.CD[float32]:
		return &v.Sampler
	case *train.PCD[float32]:
		return &v.Sampler
	case *train.Replay[float32]:
		return &v.Sampler
	}
	return nil
}

// TrainReport is the JSON printed by ebm train --json.
type TrainReport struct {
	Data        string             `json:"data"`
	Method      string             `json:"method"`
	Iters       int                `json:"iters"`
	Seconds     float64            `json:"seconds"`
	ItersPerSec float64            `json:"iters_per_sec"`
	FinalLoss   float64            `json:"final_loss"`
	NLLGrid     *float64           `json:"nll_grid,omitempty"`
	LogZGrid    *float64           `json:"logz_grid,omitempty"`
	MeanEData   float64            `json:"mean_energy_test"`
	Retries     int                `json:"divergence_rollbacks"`
	Interrupted bool               `json:"interrupted,omitempty"`
	Out         string             `json:"out"`
	Extra       map[string]float64 `json:"extra,omitempty"`
}

func (o *trainOpts) validate() error {
	if o.out == "" {
		return cli.Usagef("train: --out is required")
	}
	if o.iters < 1 || o.batch < 1 {
		return cli.Usagef("train: --iters and --batch must be at least 1")
	}
	if !(o.lr > 0) || math.IsInf(o.lr, 0) {
		return cli.Usagef("train: --lr must be > 0, got %v", o.lr)
	}
	if !(o.ema >= 0 && o.ema < 1) {
		return cli.Usagef("train: --ema must be in [0, 1), got %v", o.ema)
	}
	if !(o.clip >= 0) || math.IsInf(o.clip, 0) {
		return cli.Usagef("train: --clip-grad must be a finite number ≥ 0, got %v", o.clip)
	}
	if o.logEvery < 1 || o.ckptEvery < 0 {
		return cli.Usagef("train: --log-every must be at least 1 and --checkpoint-every at least 0")
	}
	if o.testN < 2 {
		return cli.Usagef("train: --test must be at least 2, got %d", o.testN)
	}
	return nil
}

// check parses and validates everything a run needs before any work starts:
// the flags, the data, the model, the method and the schedule.
func (o *trainOpts) check() error {
	if err := o.validate(); err != nil {
		return err
	}
	lc, err := parseLabelColumn(o.labelCol)
	if err != nil {
		return err
	}
	if _, err := parseModelSpec(o.modelSpec); err != nil {
		return err
	}
	if _, err := parseSchedule(o.schedule, o.lr, o.iters); err != nil {
		return err
	}
	ds, err := loadData(o.data, o.seed, o.testN, lc)
	if err != nil {
		return err
	}
	_, _, err = parseMethod(o.method, ds, o.batch)
	return err
}

// trained is what trainInto leaves for its caller.
type trained struct {
	model  energy.Model[float32]
	ds     *dataset
	report *TrainReport
}

// trainInto trains as o says and writes the model, metrics and plots into the
// unfinished output folder out. It returns cli.ErrInterrupted (after writing a
// checkpoint when o.liveDir and o.ckptEvery allow, and saying so) when ctx is
// cancelled.
func trainInto(cmd *cobra.Command, o *trainOpts, out *cli.OutDir) (*trained, error) {
	lc, err := parseLabelColumn(o.labelCol)
	if err != nil {
		return nil, err
	}
	ds, err := loadData(o.data, o.seed, o.testN, lc)
	if err != nil {
		return nil, err
	}
	ms, err := parseModelSpec(o.modelSpec)
	if err != nil {
		return nil, err
	}
	est, settings, err := parseMethod(o.method, ds, o.batch)
	if err != nil {
		return nil, err
	}
	var sigmas []float64
	if d, ok := est.(*train.DenoisingSM[float32]); ok {
		sigmas = d.Sigmas
	}
	m, err := ms.build(ds.source.Dim(), o.seed, sigmas)
	if err != nil {
		return nil, err
	}
	// The metrics log, written line by line (tail -f works): in the live
	// folder when there is one, else in the output folder.
	metricsPath := out.Path(metricsFile)
	if o.liveDir != "" {
		metricsPath = filepath.Join(o.liveDir, metricsFile)
	}
	var hist []byte
	var iters, losses []float64
	if o.snap != nil && o.history != "" {
		if hist, iters, losses, err = readMetricsHistory(o.history, o.snap.Iter); err != nil {
			return nil, err
		}
	}
	if err := atomicfile.WriteBytes(metricsPath, hist); err != nil {
		return nil, err
	}
	mf, err := os.OpenFile(metricsPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	defer mf.Close()
	var writeErr error
	bar := cli.NewProgress(o.iters, "training", o.quiet)
	sched, err := parseSchedule(o.schedule, o.lr, o.iters)
	if err != nil {
		return nil, err
	}
	tr := &train.Trainer{Model: m, Estimator: est, Data: ds.source, Config: train.Config{Schedule: sched,
		Iters: o.iters, Batch: o.batch, LR: o.lr, ClipNorm: o.clip, EMA: o.ema, Seed: o.seed,
		LogEvery: o.logEvery, SnapshotEvery: o.ckptEvery,
		Metrics: func(mt train.Metrics) {
			js, _ := json.Marshal(mt)
			if _, err := mf.Write(append(js, '\n')); err != nil && writeErr == nil {
				writeErr = err
			}
			if mt.Event == "" {
				losses = append(losses, mt.Loss)
				iters = append(iters, float64(mt.Iter))
			} else {
				fmt.Fprintf(os.Stderr, "ebm %s: %s\n", o.cmdName, mt.Event)
			}
		},
		Progress: func(int) { bar.Add(1) },
	}}
	runSet := resumeSettings(o)
	if o.ckptEvery > 0 && o.liveDir != "" {
		tr.Config.Checkpoint = func(s *train.Snapshot) error { return saveCheckpoint(o.liveDir, s, runSet) }
	}
	if o.snap != nil {
		if err := tr.Resume(o.snap); err != nil {
			return nil, cli.Input(fmt.Errorf("--resume %s: %w", o.resume, err))
		}
		bar.Skip(o.snap.Iter)
	}
	res, err := tr.Run(cmd.Context())
	bar.Done()
	if err != nil {
		return nil, err
	}
	if writeErr != nil {
		return nil, fmt.Errorf("writing %s: %w", metricsPath, writeErr)
	}
	if res.Interrupted {
		ckpt := filepath.Join(o.liveDir, checkpointFile)
		if _, err := os.Stat(ckpt); o.liveDir != "" && o.ckptEvery > 0 && err == nil {
			fmt.Fprintf(os.Stderr, "ebm %s: interrupted at iteration %d; checkpoint in %s (continue with: ebm train --resume %s --out %s)\n",
				o.cmdName, res.Iters, o.liveDir, o.liveDir, out.Final)
		} else {
			fmt.Fprintf(os.Stderr, "ebm %s: interrupted at iteration %d; nothing was saved (this run keeps no checkpoint)\n", o.cmdName, res.Iters)
		}
		return nil, cli.ErrInterrupted
	}
	if o.liveDir != "" {
		b, err := os.ReadFile(metricsPath)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(out.Path(metricsFile), b, 0o666); err != nil {
			return nil, err
		}
	}
	rep := &TrainReport{Data: ds.name, Method: o.method, Iters: res.Iters, Seconds: res.Seconds,
		ItersPerSec: res.ItersPerSec, FinalLoss: res.FinalLoss, Retries: res.Retries, Out: out.Final}
	metrics := map[string]float64{"iters_per_sec": res.ItersPerSec, "final_loss": res.FinalLoss}
	e := make([]float64, ds.test.Rows)
	m.Energy(ds.test, e)
	rep.MeanEData = meanOf(e)
	if ds.source.Dim() == 2 {
		nll, lz, err := metric.GridNLL(m, ds.test, metric.GridLo, metric.GridHi, metric.GridN)
		if err == nil {
			rep.NLLGrid, rep.LogZGrid = &nll, &lz
			metrics["nll_grid"], metrics["logz_grid"] = nll, lz
		}
		if ds.toy {
			if err := checkGridNLL(nll, err); err != nil {
				return nil, err
			}
		}
	}
	if n, ok := est.(*train.NCE[float32]); ok {
		rep.Extra = map[string]float64{"nce_logz": n.LogZValue()}
		metrics["nce_logz"] = n.LogZValue()
	}
	trainJS, _ := json.Marshal(map[string]any{"method": settings, "iters": o.iters, "batch": o.batch, "lr": o.lr,
		"optimizer": "adam", "clip_grad": o.clip, "ema": o.ema, "schedule": o.schedule})
	dataJS, _ := json.Marshal(map[string]any{"name": ds.name, "dim": ds.source.Dim(), "toy": ds.toy})
	meta := &model.Meta{Seed: o.seed, Training: trainJS, Data: dataJS, Metrics: finiteOnly(metrics)}
	if err := energy.SaveModel(out.Path("model"), m, meta); err != nil {
		return nil, err
	}
	if err := trainPlots(cmd.Context(), out, m, ds, iters, losses, o.seed); err != nil {
		return nil, err
	}
	return &trained{model: m, ds: ds, report: rep}, nil
}

// garbageMargin is how many nats worse than the uniform density on the grid
// box a trained toy model may be before its result counts as garbage.
const garbageMargin = 20

// checkGridNLL fails a toy-data run whose grid NLL is not finite or is
// garbageMargin nats worse than the uniform density on the grid box,
// log((hi−lo)²): a freshly initialized network is close to uniform, so such a
// model ended far worse than it started.
func checkGridNLL(nll float64, err error) error {
	uniform := 2 * math.Log(metric.GridHi-metric.GridLo)
	switch {
	case err != nil:
		return fmt.Errorf("training produced an unusable model (grid NLL: %v); nothing was saved", err)
	case math.IsNaN(nll) || math.IsInf(nll, 0) || nll > uniform+garbageMargin:
		return fmt.Errorf("training produced an unusable model: grid NLL %.6g nats, against %.3f for a uniform density on the grid; nothing was saved (try a smaller --lr or --clip-grad)", nll, uniform)
	}
	return nil
}

func runTrain(cmd *cobra.Command, o *trainOpts) error {
	if err := o.validate(); err != nil {
		return err
	}
	var inputs []string
	if o.resume != "" {
		snap, rec, err := loadCheckpoint(o.resume)
		if err != nil {
			return cli.Input(fmt.Errorf("--resume: %w", err))
		}
		if rec == nil {
			fmt.Fprintf(os.Stderr, "ebm train: --resume %s: the checkpoint records no settings; they are not checked\n", o.resume)
		}
		if err := reconcileResume(o, rec, cmd.Flags().Changed, o.resume); err != nil {
			return err
		}
		if snap.Iter >= o.iters {
			return cli.Usagef("--resume %s: the checkpoint is at iteration %d; --iters %d leaves nothing to do", o.resume, snap.Iter, o.iters)
		}
		o.snap, o.history = snap, filepath.Join(o.resume, metricsFile)
		inputs = append(inputs, o.resume)
	}
	if err := o.check(); err != nil {
		return err
	}
	if !isToy(o.data) {
		inputs = append(inputs, o.data)
	}
	out, err := cli.NewOutDir(o.out, o.force, inputs...)
	if err != nil {
		return err
	}
	defer out.Abort()
	o.liveDir = o.checkpoint
	if o.liveDir == "" {
		o.liveDir = out.Final + ".ckpt"
	}
	o.liveDir = filepath.Clean(o.liveDir)
	if cli.Contains(out.Final, o.liveDir) || cli.Contains(o.liveDir, out.Final) {
		return cli.Usagef("--checkpoint %s: must lie outside --out %s (and not hold it)", o.liveDir, out.Final)
	}
	createdLive, err := claimLiveDir(o, inputs)
	if err != nil {
		return err
	}
	t, err := trainInto(cmd, o, out)
	if err == nil {
		err = out.Commit()
	}
	if err != nil {
		// A failed run leaves nothing behind; an interrupted one keeps its
		// checkpoint (trainInto said where), and a resumed one its folder.
		if createdLive && !(errors.Is(err, cli.ErrInterrupted) && hasCheckpoint(o.liveDir)) {
			os.RemoveAll(o.liveDir)
		}
		return err
	}
	rep := t.report
	w := cmd.OutOrStdout()
	if o.jsonOut {
		return cli.WriteJSON(w, rep)
	}
	fmt.Fprintf(w, "trained %s on %s: %d iterations in %.1fs (%.1f it/s), final loss %.4g\n",
		o.method, rep.Data, rep.Iters, rep.Seconds, rep.ItersPerSec, rep.FinalLoss)
	if rep.NLLGrid != nil {
		fmt.Fprintf(w, "grid NLL %.4f nats (log Z %.4f)\n", *rep.NLLGrid, *rep.LogZGrid)
	}
	fmt.Fprintf(w, "wrote %s (model/, metrics.jsonl, loss.png", out.Final)
	defer fmt.Fprintf(w, "checkpoint and live metrics in %s\n", o.liveDir)
	if t.ds.source.Dim() == 2 {
		fmt.Fprint(w, ", density.png, samples.png")
	}
	fmt.Fprintln(w, ")")
	return nil
}

// isToy reports whether spec names built-in toy data rather than a file.
func isToy(spec string) bool {
	for _, n := range data.ToyNames() {
		if spec == n {
			return true
		}
	}
	return false
}

// hasCheckpoint reports whether dir holds a checkpoint file.
func hasCheckpoint(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, checkpointFile))
	return err == nil
}

// claimLiveDir prepares the checkpoint folder o.liveDir under the output
// rule: a resumed run continues in the folder it resumes from; otherwise a new
// or empty folder is used, and an earlier run's checkpoint folder is replaced
// only with --force. It reports whether the folder is this run's own (and so
// may be removed if the run fails).
func claimLiveDir(o *trainOpts, inputs []string) (created bool, err error) {
	if o.resume != "" && cli.Contains(o.resume, o.liveDir) && cli.Contains(o.liveDir, o.resume) {
		return false, cli.EnsureMarker(o.liveDir)
	}
	if hasCheckpoint(o.liveDir) && !o.force {
		return false, cli.Usagef("--checkpoint %s: holds an earlier run's checkpoint; continue that run with --resume %s, or pass --force to start over", o.liveDir, o.liveDir)
	}
	if err := cli.ClaimDir("--checkpoint", o.liveDir, o.force, inputs...); err != nil {
		return false, err
	}
	return true, nil
}

func finiteOnly(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	return out
}

// modelSamples draws n samples of a trained 2-D energy: MALA from uniform
// starts on the grid box, with adaptation, keeping the last state of each chain.
func modelSamples(ctx context.Context, e energy.GradEnergy, n int, seed uint64) (*tensor.Dense[float64], error) {
	rng := rand.New(rand.NewPCG(seed, 2))
	x0 := tensor.New[float64](n, e.Dim())
	for i := range x0.Data {
		x0.Data[i] = metric.GridLo + (metric.GridHi-metric.GridLo)*rng.Float64()
	}
	k, err := sample.NewMALA(e, sample.MALAOptions{Step: 0.01})
	if err != nil {
		return nil, err
	}
	res, err := sample.Run(ctx, k, x0, sample.Config{Warmup: 500, Steps: 1, Seed: seed,
		Clamp: sample.ScalarBox(metric.GridLo, metric.GridHi), Adapt: sample.AdaptStepSize})
	if err != nil {
		return nil, err
	}
	return res.Last, nil
}

func trainPlots(ctx context.Context, out *cli.OutDir, m energy.GradEnergy, ds *dataset, iters, losses []float64, seed uint64) error {
	if len(losses) > 0 {
		if err := plot.Lines(out.Path("loss.png"), "training loss", "iteration", "loss",
			[]plot.Series{{Name: "loss", X: iters, Y: losses}}, plot.LineOptions{}); err != nil {
			return err
		}
	}
	if ds.source.Dim() != 2 {
		return nil
	}
	p := tensor.New[float64](1, 2)
	v := make([]float64, 1)
	logp := func(x, y float64) float64 {
		p.Data[0], p.Data[1] = x, y
		m.Energy(p, v)
		return -v[0]
	}
	overlay := ds.all
	if overlay.Rows > 1000 {
		overlay = tensor.FromSlice(1000, 2, overlay.Data[:2000])
	}
	if err := plot.Density2D(out.Path("density.png"), "learned density exp(-E)/Z", logp,
		metric.GridLo, metric.GridHi, 200, overlay); err != nil {
		return err
	}
	s, err := modelSamples(ctx, m, 2000, seed)
	if err != nil {
		return err
	}
	return plot.Scatter2D(out.Path("samples.png"), "model samples (MALA)", s,
		plot.ScatterOptions{XRange: [2]float64{metric.GridLo, metric.GridHi}, YRange: [2]float64{metric.GridLo, metric.GridHi}})
}

// EvalReport is the JSON printed by ebm eval --json.
type EvalReport struct {
	Model     string   `json:"model"`
	Data      string   `json:"data"`
	NLLGrid   *float64 `json:"nll_grid,omitempty"`
	LogZGrid  *float64 `json:"logz_grid,omitempty"`
	MMD2      jsonNum  `json:"mmd2"`
	KSD       jsonNum  `json:"ksd"`
	MeanEData float64  `json:"mean_energy_data"`
	NSamples  int      `json:"n_samples"`
	Sampler   string   `json:"sampler"`
}

func newEvalCmd() *cobra.Command {
	var modelDir, dataSpec, sampler string
	var seed uint64
	var jsonOut, quiet bool
	var n, steps int
	c := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate a trained energy: grid NLL, MMD and KSD of its samples",
		Long: `Evaluate a model written by ebm train on held-out data: for 2-D data the grid
log Z and NLL over [-4,4]^2 (300x300 cells); the unbiased MMD^2 (RBF, bandwidth
0.5) between model samples and data; the KSD of the data under the model; the
mean data energy. Model samples come from --sampler (default ula:step=0.005:
1000 steps from uniform starts on [-4,4]^d).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if modelDir == "" {
				return cli.Usagef("eval: --model is required")
			}
			if n < 2 || steps < 1 {
				return cli.Usagef("eval: --n must be ≥ 2 and --steps ≥ 1")
			}
			m, _, err := energy.LoadModel(modelDir)
			if err != nil {
				return cli.Input(err)
			}
			if _, err := parseSampler(sampler, m); err != nil {
				return err
			}
			ds, err := loadData(dataSpec, seed, 10000, data.NoLabel)
			if err != nil {
				return err
			}
			if ds.source.Dim() != m.Dim() {
				return cli.Usagef("eval: data %s has dimension %d, the model %d", dataSpec, ds.source.Dim(), m.Dim())
			}
			rep, err := evaluate(cmd.Context(), m, ds, sampler, n, steps, seed, quiet || jsonOut)
			if err != nil {
				return err
			}
			rep.Model = modelDir
			w := cmd.OutOrStdout()
			if jsonOut {
				return cli.WriteJSON(w, rep)
			}
			printEval(w, rep)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&modelDir, "model", "", "model folder written by ebm train")
	f.StringVar(&dataSpec, "data", "8gaussians", "toy data name or CSV file")
	f.StringVar(&sampler, "sampler", "ula:step=0.005", "sampler for model samples (see ebm sample --help)")
	f.IntVar(&n, "n", 2000, "model samples for MMD")
	f.IntVar(&steps, "steps", 1000, "sampler steps per model sample")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	f.BoolVar(&jsonOut, "json", false, "print one JSON object on stdout")
	f.BoolVar(&quiet, "quiet", false, "no progress report")
	return c
}

// evaluate computes the metrics of ebm eval for energy m on ds: grid NLL (2-D),
// MMD² between n model samples (sampler spec, steps steps from uniform starts
// on [-4,4]^d) and n data points, the KSD of the data, the mean data energy.
// Progress goes to stderr unless quiet.
func evaluate(ctx context.Context, m energy.GradEnergy, ds *dataset, sampler string, n, steps int, seed uint64, quiet bool) (*EvalReport, error) {
	rep := &EvalReport{Data: ds.name, NSamples: n, Sampler: sampler}
	e := make([]float64, ds.test.Rows)
	m.Energy(ds.test, e)
	rep.MeanEData = meanOf(e)
	if m.Dim() == 2 {
		nll, lz, err := metric.GridNLL(m, ds.test, metric.GridLo, metric.GridHi, metric.GridN)
		if err != nil {
			return nil, err
		}
		rep.NLLGrid, rep.LogZGrid = &nll, &lz
	}
	ss, err := parseSampler(sampler, m)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	x0 := tensor.New[float64](n, m.Dim())
	for i := range x0.Data {
		x0.Data[i] = metric.GridLo + (metric.GridHi-metric.GridLo)*rng.Float64()
	}
	bar := cli.NewProgress(steps, "sampling the model", quiet)
	res, err := sample.Run(ctx, ss.kernel, x0, sample.Config{Warmup: steps - 1, Steps: 1, Seed: seed,
		Clamp: sample.ScalarBox(metric.GridLo, metric.GridHi), Adapt: ss.adapt,
		Progress: func(done, total int) { bar.Add(1) }})
	bar.Done()
	if err != nil {
		return nil, err
	}
	ref := ds.all
	if ref.Rows > n {
		ref = tensor.FromSlice(n, ref.Cols, ref.Data[:n*ref.Cols])
	}
	if v, err := metric.MMD2(res.Last, ref, 0.5); err == nil {
		rep.MMD2 = jsonNum(v)
	} else {
		rep.MMD2 = jsonNum(math.NaN())
	}
	kpts := ds.test
	if kpts.Rows > 2000 {
		kpts = tensor.FromSlice(2000, kpts.Cols, kpts.Data[:2000*kpts.Cols])
	}
	if v, err := metric.KSDEnergy(m, kpts); err == nil {
		rep.KSD = jsonNum(v)
	} else {
		rep.KSD = jsonNum(math.NaN())
	}
	return rep, nil
}

func printEval(w io.Writer, r *EvalReport) {
	if r.NLLGrid != nil {
		fmt.Fprintf(w, "grid NLL %.4f nats, log Z %.4f\n", *r.NLLGrid, *r.LogZGrid)
	}
	fmt.Fprintf(w, "MMD² %s (%d samples, %s), KSD %s, mean data energy %.4g\n",
		fmtNum(r.MMD2, "%.4g"), r.NSamples, r.Sampler, fmtNum(r.KSD, "%.4g"), r.MeanEData)
}

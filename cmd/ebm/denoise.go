package main

// ebm denoise and ebm inpaint: restoration with a trained model (package restore).

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/atomicfile"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/restore"
	"github.com/ebm-go/ebm/tensor"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newDenoiseCmd, newInpaintCmd) }

type restoreOpts struct {
	modelDir, dataFile, image, idx, noise, method, mask, sampler, out, box string
	limit, chains, warmup, steps                                           int
	seed                                                                   uint64
	clean, jsonOut, force, quiet                                           bool
	inpaint                                                                bool
}

func (o *restoreOpts) flags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.modelDir, "model", "", "a trained model folder (required)")
	f.StringVar(&o.dataFile, "data", "", "vectors: a CSV file (one point per row) or a NumPy .npy array (n×d, float32 or float64)")
	f.StringVar(&o.image, "image", "", "one image: a PNG (grey levels in [0, 1])")
	f.StringVar(&o.idx, "idx", "", "images: an MNIST-style IDX file (pixels/255)")
	f.IntVar(&o.limit, "limit", 0, "keep the first N rows or images (0: all)")
	f.BoolVar(&o.clean, "clean", false, "the input is clean: corrupt it with --noise (seeded) and report the error of the restoration against it")
	f.StringVar(&o.sampler, "sampler", "mala", "sampler for --method posterior (see ebm sample --help)")
	f.IntVar(&o.chains, "chains", 4, "chains per input (posterior, gibbs)")
	f.IntVar(&o.warmup, "warmup", 500, "warm-up steps (posterior) or burn-in sweeps (gibbs)")
	f.IntVar(&o.steps, "steps", 500, "kept steps (posterior) or averaged sweeps (gibbs)")
	f.StringVar(&o.box, "box", "", `confine estimates to "LO,HI" (default "0,1" for images, none for vectors)`)
	f.Uint64Var(&o.seed, "seed", 1, "random seed")
	f.StringVar(&o.out, "out", "", "write restored.csv, report.json and (images) panels.png into this folder")
	f.BoolVar(&o.force, "force", false, "replace --out if it exists")
	f.BoolVar(&o.jsonOut, "json", false, "print the report as one JSON object")
	f.BoolVar(&o.quiet, "quiet", false, "no progress report")
}

func newDenoiseCmd() *cobra.Command {
	o := &restoreOpts{}
	c := &cobra.Command{
		Use:   "denoise",
		Short: "Remove noise with a trained model (Tweedie, MAP, posterior sampling; RBM Gibbs/ICM)",
		Long: `Restore noisy vectors or images with a trained model of clean data.

Noise (--noise): gauss:sigma=S (y = x + S·ξ) or flip:rate=R (binary data, each bit
flipped with probability R).

Methods (--method):
  tweedie    x̂ = y − S²∇E_S(y): needs a model trained by denoising score matching at
             S (ebm train --method dsm:sigma=S) or a noise-conditional one (nearest
             level, within 20%); the posterior mean when the model is right
  map        argmin E(x) + ‖x − y‖²/(2S²) by gradient descent (any energy)
  posterior  sample E(x) + ‖x − y‖²/(2S²) (--sampler, --chains, --warmup, --steps):
             posterior mean and per-coordinate standard deviation
  gibbs      RBM prior, bit flips: Gibbs sampling of the posterior; the marginals'
             mode (fewest expected wrong bits) and their standard deviation
  icm        RBM prior, bit flips: iterated conditional modes on the posterior
  anneal     RBM prior, bit flips: simulated annealing, then ICM

Binary models see images thresholded at ½. With --clean the input is the truth:
it is corrupted with --noise (--seed) and the report gives the MSE and PSNR (and bit
error) of the noisy input and of the restoration.`,
		Example: `  ebm denoise --model runs/mnist-dsm --idx t10k-images-idx3-ubyte.gz --limit 16 --clean --noise gauss:sigma=0.3 --method tweedie --out out/dn
  ebm denoise --model runs/rbm --idx t10k-images-idx3-ubyte.gz --limit 16 --clean --noise flip:rate=0.1 --method gibbs --out out/flip
  ebm denoise --model runs/a --data noisy.csv --noise gauss:sigma=0.5 --method posterior --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRestore(cmd, o) },
	}
	o.flags(c)
	c.Flags().StringVar(&o.noise, "noise", "", "noise model: gauss:sigma=S or flip:rate=R (required)")
	c.Flags().StringVar(&o.method, "method", "", "tweedie | map | posterior | gibbs | icm | anneal (default: tweedie for a model with noise levels, else map; gibbs for flips)")
	return c
}

func newInpaintCmd() *cobra.Command {
	o := &restoreOpts{inpaint: true, noise: "none"}
	c := &cobra.Command{
		Use:   "inpaint",
		Short: "Fill in masked coordinates or pixels with a trained model",
		Long: `Sample or optimize the coordinates a mask frees, with the others clamped to the
input, under a trained model: the conditional p(x_free | x_observed).

Masks (--mask):
  rect:x=X,y=Y,w=W,h=H    a rectangle of pixels (images; x is the column)
  half:top|bottom|left|right
  png:FILE                a PNG of the image's size; pixels brighter than ½ are free
  coords:I;J;...          coordinates by 0-based index (vectors)

Methods (--method): posterior (sample the conditional: mean and standard deviation),
map (the conditional mode), gibbs or icm for RBMs (clamped units). With --clean the
report gives the error on the free coordinates.`,
		Example: `  ebm inpaint --model runs/mnist-dsm --idx t10k-images-idx3-ubyte.gz --limit 8 --clean --mask rect:x=8,y=10,w=12,h=8 --method map --out out/inpaint
  ebm inpaint --model runs/gauss3 --data points.csv --mask coords:0;1 --method posterior --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRestore(cmd, o) },
	}
	o.flags(c)
	c.Flags().StringVar(&o.mask, "mask", "", "the free coordinates (see above; required)")
	c.Flags().StringVar(&o.method, "method", "", "posterior | map | gibbs | icm (default: posterior; gibbs for RBMs)")
	return c
}

// readRestoreInput reads exactly one of --data, --image, --idx; h, w are the
// image size (1 and d for vectors).
func (o *restoreOpts) readInput() (x *tensor.Dense[float64], h, w int, input string, err error) {
	n := 0
	for _, s := range []string{o.dataFile, o.image, o.idx} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return nil, 0, 0, "", cli.Usagef("give exactly one of --data, --image or --idx")
	}
	if o.limit < 0 {
		return nil, 0, 0, "", cli.Usagef("--limit %d: want ≥ 0", o.limit)
	}
	switch {
	case strings.HasSuffix(o.dataFile, ".npy"):
		if x, err = data.LoadNPY(o.dataFile); err != nil {
			return nil, 0, 0, "", cli.Input(err)
		}
		h, w, input = 1, x.Cols, o.dataFile
	case o.dataFile != "":
		ds, err := data.LoadCSV(o.dataFile, data.CSVOptions{LabelColumn: data.NoLabel})
		if err != nil {
			return nil, 0, 0, "", cli.Input(err)
		}
		x = ds.X
		h, w, input = 1, x.Cols, o.dataFile
	case o.image != "":
		pix, ph, pw, err := restore.ReadPNG(o.image)
		if err != nil {
			return nil, 0, 0, "", cli.Input(err)
		}
		x, h, w, input = tensor.FromSlice(1, ph*pw, pix), ph, pw, o.image
	default:
		m, err := data.ReadIDX(o.idx)
		if err != nil {
			return nil, 0, 0, "", cli.Input(err)
		}
		if len(m.Dims) != 3 {
			return nil, 0, 0, "", cli.Usagef("--idx %s: %d dimensions, want images (n × rows × cols)", o.idx, len(m.Dims))
		}
		h, w = m.Dims[1], m.Dims[2]
		rows := m.Dims[0]
		if o.limit > 0 {
			rows = min(rows, o.limit)
		}
		x = tensor.New[float64](rows, h*w)
		for i := range x.Data {
			x.Data[i] = float64(m.Data[i]) / 255
		}
		input = o.idx
	}
	if o.limit > 0 && x.Rows > o.limit {
		x = tensor.FromSlice(o.limit, x.Cols, x.Data[:o.limit*x.Cols])
	}
	return x, h, w, input, nil
}

func runRestore(cmd *cobra.Command, o *restoreOpts) error {
	name := "denoise"
	if o.inpaint {
		name = "inpaint"
	}
	if o.modelDir == "" {
		return cli.Usagef("%s: --model is required", name)
	}
	noise, err := restore.ParseNoise("--noise", o.noise)
	if err != nil {
		return err
	}
	x, h, w, input, err := o.readInput()
	if err != nil {
		return err
	}
	m, meta, err := model.Load(modelFolder(o.modelDir))
	if err != nil {
		return cli.Input(err)
	}
	dim := 0
	switch v := m.(type) {
	case *rbm.RBM:
		dim = v.NumVisible()
	case energy.GradEnergy:
		dim = v.Dim()
	}
	if h > 1 && dim != h*w {
		return cli.Usagef("%s: the images are %d×%d = %d pixels, the model has dimension %d", name, h, w, h*w, dim)
	}
	job := &restore.Job{Model: m, Meta: meta, Noise: noise, Method: o.method, Sampler: o.sampler,
		Chains: o.chains, Warmup: o.warmup, Steps: o.steps, Seed: o.seed}
	if job.Method == "" {
		job.Method = defaultMethod(m, meta, noise, o.inpaint)
	}
	if o.clean {
		job.Clean = x
	} else {
		job.Y = x
	}
	if o.inpaint {
		if o.mask == "" {
			return cli.Usagef("inpaint: --mask is required")
		}
		if job.Mask, err = restore.ParseMask("--mask", o.mask, h, w); err != nil {
			return err
		}
	}
	box := o.box
	if box == "" && h > 1 {
		box = "0,1"
	}
	if box != "" {
		if job.Lo, job.Hi, err = parseLoHi(box); err != nil {
			return err
		}
	}
	if err := job.Check(); err != nil {
		return cli.Usagef("%s: %s", name, strings.TrimPrefix(err.Error(), "restore: "))
	}
	var out *cli.OutDir
	if o.out != "" {
		if out, err = cli.NewOutDir(o.out, o.force, o.modelDir, input); err != nil {
			return err
		}
		defer out.Abort()
	}
	var bar *cli.Progress
	job.Progress = func(done, total int) {
		if bar == nil {
			bar = cli.NewProgress(total, name, o.quiet)
		}
		bar.Add(1)
	}
	res, err := job.Run(cmd.Context())
	if bar != nil {
		bar.Done()
	}
	if err != nil {
		return err
	}
	res.Report.Model = o.modelDir
	if out != nil {
		if err := writeRestoreOutputs(out, res, job, h, w); err != nil {
			return err
		}
		if err := out.Commit(); err != nil {
			return err
		}
	}
	wr := cmd.OutOrStdout()
	if o.jsonOut {
		return cli.WriteJSON(wr, res.Report)
	}
	r := res.Report
	fmt.Fprintf(wr, "%s: %s, noise %s, %d inputs of dimension %d, %.2fs\n", name, r.Method, r.Noise, r.N, r.Dim, r.Seconds)
	if r.Level > 0 {
		fmt.Fprintf(wr, "  score at the model's noise level %g\n", r.Level)
	}
	if r.MSENoisy != nil {
		fmt.Fprintf(wr, "  MSE   input %.5f  restored %.5f\n", *r.MSENoisy, *r.MSERestored)
	}
	if r.PSNRNoisy != nil && r.PSNRRestored != nil {
		fmt.Fprintf(wr, "  PSNR  input %.2f dB  restored %.2f dB\n", *r.PSNRNoisy, *r.PSNRRestored)
	}
	if r.BitErrNoisy != nil {
		fmt.Fprintf(wr, "  bit error  input %.4f  restored %.4f\n", *r.BitErrNoisy, *r.BitErrRest)
	}
	if out != nil {
		fmt.Fprintf(wr, "wrote %s\n", out.Final)
	}
	return nil
}

// modelFolder accepts a training output folder that holds its model in model/.
func modelFolder(dir string) string {
	if _, err := os.Stat(dir + "/" + model.MetaFile); err != nil {
		if _, err := os.Stat(dir + "/model/" + model.MetaFile); err == nil {
			return dir + "/model"
		}
	}
	return dir
}

func defaultMethod(m any, meta *model.Meta, noise restore.Noise, inpaint bool) string {
	if _, ok := m.(*rbm.RBM); ok {
		return "gibbs"
	}
	if inpaint {
		return "posterior"
	}
	if e, ok := m.(energy.GradEnergy); ok && noise.Kind == "gauss" && len(restore.NoiseLevels(e, meta)) > 0 {
		return "tweedie"
	}
	return "map"
}

func parseLoHi(s string) (lo, hi float64, err error) {
	a, b, _ := strings.Cut(s, ",")
	lo, e1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	hi, e2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if e1 != nil || e2 != nil || !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 0, cli.Usagef("--box %q: want LO,HI with LO < HI, both finite", s)
	}
	return lo, hi, nil
}

// writeRestoreOutputs writes restored.csv (and sd.csv), report.json and, for
// images, panels.png: per input a row of [clean,] input, restored[, sd scaled
// to its maximum].
func writeRestoreOutputs(out *cli.OutDir, res *restore.Output, job *restore.Job, h, w int) error {
	err := atomicfile.WriteFile(out.Path("restored.csv"), func(wr io.Writer) error { return writeRows(wr, res.Restored) })
	if err == nil && res.SD != nil {
		err = atomicfile.WriteFile(out.Path("sd.csv"), func(wr io.Writer) error { return writeRows(wr, res.SD) })
	}
	if err == nil {
		err = atomicfile.WriteFile(out.Path("report.json"), func(wr io.Writer) error { return cli.WriteJSON(wr, res.Report) })
	}
	if err != nil || h <= 1 {
		return err
	}
	var panels []*tensor.Dense[float64]
	if job.Clean != nil {
		panels = append(panels, job.Clean)
	}
	panels = append(panels, res.Noisy, res.Restored)
	if res.SD != nil {
		panels = append(panels, restore.ScaleTo01(res.SD))
	}
	return restore.Panels(out.Path("panels.png"), h, w, 16, panels...)
}

func writeRows(wr io.Writer, x *tensor.Dense[float64]) error {
	cw := csv.NewWriter(wr)
	rec := make([]string, x.Cols)
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			rec[j] = strconv.FormatFloat(v, 'g', 8, 64)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

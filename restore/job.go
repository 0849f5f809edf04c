package restore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// Noise is a noise model: Gaussian (y = x + σξ), bit flips of rate ρ, or none
// (inpainting).
type Noise struct {
	Kind  string // "gauss", "flip" or "none"
	Sigma float64
	Rate  float64
}

// ParseNoise parses "gauss:sigma=S" (S > 0), "flip:rate=R" (0 < R < 0.5) or
// "none"; errors are *spec.Error.
func ParseNoise(where, s string) (Noise, error) {
	sp, err := spec.Parse(where, s)
	if err != nil {
		return Noise{}, err
	}
	n := Noise{Kind: sp.Name}
	switch sp.Name {
	case "gauss":
		if n.Sigma, err = sp.Float("sigma", 0); err != nil {
			return Noise{}, err
		}
		if !(n.Sigma > 0) {
			return Noise{}, spec.Errorf(where, "gauss: sigma=%v, want a noise level > 0 (as in gauss:sigma=0.3)", n.Sigma)
		}
	case "flip":
		if n.Rate, err = sp.Float("rate", 0); err != nil {
			return Noise{}, err
		}
		if !(n.Rate > 0 && n.Rate < 0.5) {
			return Noise{}, spec.Errorf(where, "flip: rate=%v, want 0 < rate < 0.5 (as in flip:rate=0.1)", n.Rate)
		}
	case "none":
	default:
		return Noise{}, spec.Errorf(where, "unknown noise %q (valid: gauss:sigma=S, flip:rate=R, none)", sp.Name)
	}
	if err := sp.CheckUnused(); err != nil {
		return Noise{}, err
	}
	return n, nil
}

func (n Noise) String() string {
	switch n.Kind {
	case "gauss":
		return fmt.Sprintf("gauss:sigma=%g", n.Sigma)
	case "flip":
		return fmt.Sprintf("flip:rate=%g", n.Rate)
	}
	return "none"
}

// Apply returns x corrupted by the noise, drawn from rand.NewPCG(seed, 0x6e6f):
// Gaussian noise added, or each entry (0 or 1) flipped with probability ρ.
func (n Noise) Apply(x *tensor.Dense[float64], seed uint64) *tensor.Dense[float64] {
	rng := rand.New(rand.NewPCG(seed, 0x6e6f))
	y := x.Clone()
	for i, v := range y.Data {
		switch n.Kind {
		case "gauss":
			y.Data[i] = v + n.Sigma*rng.NormFloat64()
		case "flip":
			if rng.Float64() < n.Rate {
				y.Data[i] = 1 - v
			}
		}
	}
	return y
}

// Methods lists the restoration methods of a Job.
func Methods() []string {
	return []string{"tweedie", "map", "posterior", "gibbs", "icm", "anneal"}
}

// Job is one denoising or inpainting run: what ebm denoise and ebm inpaint
// do, as a library call. Check validates it (usage errors); Run does it.
type Job struct {
	// Model is a loaded model (model.Load): an energy.GradEnergy for tweedie,
	// map and posterior; a Bernoulli *rbm.RBM for gibbs, icm and anneal.
	Model any
	Meta  *model.Meta
	// Y holds the observations, one per row. When Clean is set and Y is nil,
	// Y is Clean corrupted by Noise (seeded by Seed).
	Y, Clean *tensor.Dense[float64]
	Noise    Noise
	Method   string
	// Mask, when not nil, marks the free coordinates to inpaint (Noise must
	// be none); the others are clamped to Y.
	Mask []bool
	// Sampler, Chains, Warmup and Steps configure posterior sampling (see
	// SampleConfig) and RBM Gibbs sampling (Burn = Warmup, Sweeps = Steps).
	Sampler               string
	Chains, Warmup, Steps int
	Seed                  uint64
	// Lo < Hi confines estimates to [Lo, Hi] (pixels in [0, 1]): projected
	// MAP, clipped Tweedie estimates and posterior means (the chains
	// themselves are not confined).
	Lo, Hi float64
	// LevelTol is AtNoiseLevel's tolerance (0: DefaultLevelTolerance).
	LevelTol float64
	Progress func(done, total int)
}

// Output is what a Job produces.
type Output struct {
	Noisy, Restored *tensor.Dense[float64]
	// SD is the per-coordinate posterior standard deviation (posterior
	// sampling, Gibbs marginals); nil for point estimates.
	SD     *tensor.Dense[float64]
	Report *Report
}

// Report summarizes a Job. Errors are per coordinate, over the free
// coordinates when inpainting; PSNR = 10 log₁₀(1/MSE) for data in [0, 1].
type Report struct {
	Model        string   `json:"model,omitempty"`
	Method       string   `json:"method"`
	Noise        string   `json:"noise"`
	N            int      `json:"n"`
	Dim          int      `json:"dim"`
	Free         int      `json:"free,omitempty"`
	Level        float64  `json:"noise_level_used,omitempty"`
	MSENoisy     *float64 `json:"mse_noisy,omitempty"`
	MSERestored  *float64 `json:"mse_restored,omitempty"`
	PSNRNoisy    *float64 `json:"psnr_noisy,omitempty"`
	PSNRRestored *float64 `json:"psnr_restored,omitempty"`
	BitErrNoisy  *float64 `json:"bit_error_noisy,omitempty"`
	BitErrRest   *float64 `json:"bit_error_restored,omitempty"`
	Seconds      float64  `json:"seconds"`
}

func (j *Job) binary() bool {
	return j.Method == "gibbs" || j.Method == "icm" || j.Method == "anneal"
}

// Check validates the job before any work: the method and the model's kind,
// the noise, the dimensions of model, data and mask, binary data for binary
// models. Its errors are the caller's (usage) errors.
func (j *Job) Check() error {
	ok := false
	for _, m := range Methods() {
		ok = ok || j.Method == m
	}
	if !ok {
		return fmt.Errorf("unknown method %q (valid: %s)", j.Method, strings.Join(Methods(), ", "))
	}
	data := j.Y
	if data == nil {
		data = j.Clean
	}
	if data == nil || data.Rows == 0 {
		return errors.New("no input data")
	}
	if j.Clean != nil && j.Y != nil && (j.Clean.Rows != j.Y.Rows || j.Clean.Cols != j.Y.Cols) {
		return fmt.Errorf("clean data %s and observations %s differ in shape", j.Clean.Shape(), j.Y.Shape())
	}
	var d int
	switch m := j.Model.(type) {
	case *rbm.RBM:
		if !j.binary() {
			return fmt.Errorf("method %s needs an energy with a gradient in x; the model is an RBM (use gibbs, icm or anneal)", j.Method)
		}
		if m.Visible != rbm.Bernoulli {
			return errors.New("the RBM has Gaussian visible units; gibbs, icm and anneal need Bernoulli units")
		}
		d = m.NumVisible()
	case energy.GradEnergy:
		if j.binary() {
			return fmt.Errorf("method %s needs a Bernoulli RBM; the model is a %s", j.Method, kindOf(j.Meta))
		}
		d = m.Dim()
	default:
		return fmt.Errorf("the model (%s) is neither an energy with a gradient in x nor an RBM", kindOf(j.Meta))
	}
	if data.Cols != d {
		return fmt.Errorf("the input has %d values per row, the model has dimension %d", data.Cols, d)
	}
	if j.Mask != nil {
		if len(j.Mask) != d {
			return fmt.Errorf("the mask has %d entries, the model has dimension %d", len(j.Mask), d)
		}
		if j.Noise.Kind != "none" {
			return fmt.Errorf("inpainting takes noise none, not %s", j.Noise)
		}
		if j.Method == "tweedie" {
			return errors.New("tweedie does not inpaint; use map or posterior (or gibbs, icm for RBMs)")
		}
	} else {
		switch {
		case j.Noise.Kind == "none":
			return errors.New("denoising needs a noise model (gauss:sigma=S or flip:rate=R); for inpainting give a mask")
		case j.binary() && j.Noise.Kind != "flip":
			return fmt.Errorf("method %s restores bit flips: give flip:rate=R", j.Method)
		case !j.binary() && j.Noise.Kind != "gauss":
			return fmt.Errorf("method %s removes Gaussian noise: give gauss:sigma=S", j.Method)
		}
	}
	if j.Noise.Kind == "gauss" {
		if err := checkSigma(j.Noise.Sigma); err != nil {
			return err
		}
	}
	if j.Method == "tweedie" {
		e := j.Model.(energy.GradEnergy)
		if _, _, err := AtNoiseLevel(e, NoiseLevels(e, j.Meta), j.Noise.Sigma, j.LevelTol); err != nil {
			return err
		}
	}
	return nil
}

func kindOf(meta *model.Meta) string {
	if meta == nil || meta.Kind == "" {
		return "model of unknown kind"
	}
	return fmt.Sprintf("%q model", meta.Kind)
}

// binarize thresholds at ½.
func binarize(x *tensor.Dense[float64]) *tensor.Dense[float64] {
	out := tensor.New[float64](x.Rows, x.Cols)
	for i, v := range x.Data {
		if v > 0.5 {
			out.Data[i] = 1
		}
	}
	return out
}

// Run checks and runs the job.
func (j *Job) Run(ctx context.Context) (*Output, error) {
	if err := j.Check(); err != nil {
		return nil, err
	}
	start := time.Now()
	clean := j.Clean
	if j.binary() && clean != nil {
		clean = binarize(clean)
	}
	y := j.Y
	if y == nil {
		y = clean
		if j.Mask == nil {
			y = j.Noise.Apply(clean, j.Seed)
		}
	} else if j.binary() {
		y = binarize(y)
	}
	if j.Mask != nil {
		// Free coordinates start at the mean of the row's observed ones.
		y = y.Clone()
		for r := 0; r < y.Rows; r++ {
			row, s, n := y.Row(r), 0.0, 0
			for k, f := range j.Mask {
				if !f {
					s += row[k]
					n++
				}
			}
			for k, f := range j.Mask {
				if f && n > 0 {
					row[k] = s / float64(n)
				}
			}
		}
		if j.binary() {
			y = binarize(y)
		}
	}
	out := &Output{Noisy: y}
	rep := &Report{Method: j.Method, Noise: j.Noise.String(), N: y.Rows, Dim: y.Cols}
	// The box is not the samplers' support: mass on its faces (black pixels)
	// would make Metropolis-adjusted kernels reject almost every move. Means
	// are clipped into it afterwards instead.
	scfg := SampleConfig{Sampler: j.Sampler, Chains: j.Chains, Warmup: j.Warmup, Steps: j.Steps, Seed: j.Seed, Progress: j.Progress}
	mcfg := MinimizeConfig{Lo: j.Lo, Hi: j.Hi, Progress: j.Progress}
	var err error
	switch m := j.Model.(type) {
	case *rbm.RBM:
		rate := j.Noise.Rate
		var clamp []bool
		if j.Mask != nil {
			rate = 0.5
			clamp = make([]bool, len(j.Mask))
			for k, f := range j.Mask {
				clamp[k] = !f
			}
		}
		var p *BinaryPosterior
		if p, err = RBMPosterior(m, y, rate, clamp); err != nil {
			return nil, err
		}
		switch j.Method {
		case "gibbs":
			var est *BinaryEstimate
			est, err = p.Gibbs(ctx, GibbsConfig{Chains: j.Chains, Burn: j.Warmup, Sweeps: j.Steps, Seed: j.Seed, Progress: j.Progress})
			if err == nil {
				out.Restored, out.SD = est.Mode, est.SD
			}
		case "icm":
			out.Restored, _, err = p.ICM(ctx, nil, 0)
		case "anneal":
			out.Restored, err = p.Anneal(ctx, AnnealConfig{Seed: j.Seed, Progress: j.Progress})
		}
	case energy.GradEnergy:
		switch {
		case j.Mask != nil && j.Method == "map":
			out.Restored, _, err = InpaintMAP(ctx, m, y, j.Mask, mcfg)
		case j.Mask != nil:
			var est *Estimate
			if est, err = InpaintSample(ctx, m, y, j.Mask, scfg); err == nil {
				out.Restored, out.SD = est.Mean, est.SD
			}
		case j.Method == "tweedie":
			var lev energy.GradEnergy
			lev, rep.Level, err = AtNoiseLevel(m, NoiseLevels(m, j.Meta), j.Noise.Sigma, j.LevelTol)
			if err == nil {
				out.Restored, err = Tweedie(lev, y, j.Noise.Sigma)
			}
			if err == nil && j.Lo < j.Hi {
				clampAll(out.Restored.Data, j.Lo, j.Hi)
			}
		case j.Method == "map":
			out.Restored, _, err = MAP(ctx, m, y, j.Noise.Sigma, mcfg)
		case j.Method == "posterior":
			var est *Estimate
			if est, err = SamplePosterior(ctx, m, y, j.Noise.Sigma, scfg); err == nil {
				out.Restored, out.SD = est.Mean, est.SD
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if j.Lo < j.Hi && out.SD != nil && !j.binary() {
		clampAll(out.Restored.Data, j.Lo, j.Hi)
	}
	if j.Mask != nil {
		n := 0
		for _, f := range j.Mask {
			if f {
				n++
			}
		}
		rep.Free = n
	}
	if clean != nil {
		mn, mr := j.mse(clean, y), j.mse(clean, out.Restored)
		rep.MSENoisy, rep.MSERestored = &mn, &mr
		rep.PSNRNoisy, rep.PSNRRestored = psnr(mn), psnr(mr)
		if j.binary() {
			bn, br := j.bitErr(clean, y), j.bitErr(clean, out.Restored)
			rep.BitErrNoisy, rep.BitErrRest = &bn, &br
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	out.Report = rep
	return out, nil
}

// psnr returns 10 log₁₀(1/mse), or nil for a perfect restoration (infinite).
func psnr(mse float64) *float64 {
	if !(mse > 0) {
		return nil
	}
	v := -10 * math.Log10(mse)
	return &v
}

// mse is the mean squared error per (free) coordinate.
func (j *Job) mse(a, b *tensor.Dense[float64]) float64 {
	s, n := 0.0, 0
	for i, v := range a.Data {
		if j.Mask != nil && !j.Mask[i%a.Cols] {
			continue
		}
		d := v - b.Data[i]
		s += d * d
		n++
	}
	return s / float64(n)
}

// bitErr is the fraction of (free) coordinates that differ.
func (j *Job) bitErr(a, b *tensor.Dense[float64]) float64 {
	s, n := 0, 0
	for i, v := range a.Data {
		if j.Mask != nil && !j.Mask[i%a.Cols] {
			continue
		}
		if v != b.Data[i] {
			s++
		}
		n++
	}
	return float64(s) / float64(n)
}

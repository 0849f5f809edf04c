package ising

// Reports of the lattice simulations and of image restoration, and their
// rendering for people.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ebm-go/ebm/internal/atomicfile"
)

// WriteText writes r for people: the table of estimates (mean, standard
// error, τ_int), the exact references where they exist (enumeration for
// L ≤ MaxExactL; otherwise Kaufman's finite-L energy and Onsager's spontaneous
// magnetization at h = 0, J > 0), the run's speed and cluster or acceptance
// statistics, the convergence diagnostics and the warnings.
func (r *Result) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Ising %d×%d  J=%g  h=%g  T=%.6g  algo=%s  seed=%d\n", r.L, r.L, r.J, r.H, r.T, r.Algo, r.Seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "quantity\tmean\ts.e.\tτ_int\t")
	fmt.Fprintf(tw, "energy per site\t%.6f\t%.6f\t%.2f\t\n", r.EnergyPerSite, r.EnergyPerSiteSE, r.TauIntEnergy)
	fmt.Fprintf(tw, "|magnetization|\t%.6f\t%.6f\t%.2f\t\n", r.Magnetization, r.MagnetizationSE, r.TauIntMagnetization)
	fmt.Fprintf(tw, "specific heat\t%.5f\t%.5f\t\t\n", r.SpecificHeat, r.SpecificHeatSE)
	fmt.Fprintf(tw, "susceptibility\t%.5f\t%.5f\t\t\n", r.Susceptibility, r.SusceptibilitySE)
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.L <= MaxExactL {
		if ex, err := ExactIsing(r.L, r.J, r.H, r.T); err == nil {
			fmt.Fprintf(w, "exact (enumeration): energy per site %.6f, |magnetization| %.6f, C %.5f, χ %.5f\n",
				ex.EnergyPerSite, ex.Magnetization, ex.SpecificHeat, ex.Susceptibility)
		}
	} else if r.H == 0 && r.J > 0 {
		if e, err := KaufmanEnergy(r.L, r.L, r.J, r.T); err == nil {
			fmt.Fprintf(w, "exact energy per site for this L (Kaufman): %.6f\n", e)
		}
	}
	if r.H == 0 && r.J > 0 {
		if m := OnsagerMagnetization(r.J, r.T); m > 0 {
			fmt.Fprintf(w, "Onsager spontaneous magnetization (L = ∞): %.6f\n", m)
		}
	}
	writeSpeed(w, r.Sweeps, r.Burn, r.Seconds)
	switch {
	case r.AcceptanceRate > 0:
		fmt.Fprintf(w, "; acceptance %.3f", r.AcceptanceRate)
	case r.MeanClusterSize > 0:
		fmt.Fprintf(w, "; %d clusters per sweep, mean size %.1f", r.ClustersPerSweep, r.MeanClusterSize)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "split R̂ / bulk ESS: energy %s / %s, |magnetization| %s / %s\n", optional(r.RhatEnergy, "%.4f"),
		optional(r.ESSBulkEnergy, "%.0f"), optional(r.RhatMagnetization, "%.4f"), optional(r.ESSBulkMagnetization, "%.0f"))
	return writeWarnings(w, r.Warnings)
}

// WriteText writes r for people: the table of estimates (mean, standard
// error, τ_int), the run's speed and the warnings.
func (r *PottsResult) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Potts q=%d %d×%d  J=%g  h=%g  T=%.6g  algo=%s  seed=%d\n", r.Q, r.L, r.L, r.J, r.H, r.T, r.Algo, r.Seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "quantity\tmean\ts.e.\tτ_int\t")
	fmt.Fprintf(tw, "energy per site\t%.6f\t%.6f\t%.2f\t\n", r.EnergyPerSite, r.EnergyPerSiteSE, r.TauIntEnergy)
	fmt.Fprintf(tw, "specific heat\t%.5f\t%.5f\t\t\n", r.SpecificHeat, r.SpecificHeatSE)
	fmt.Fprintf(tw, "order parameter\t%.5f\t%.5f\t\t\n", r.Order, r.OrderSE)
	if err := tw.Flush(); err != nil {
		return err
	}
	writeSpeed(w, r.Sweeps, r.Burn, r.Seconds)
	fmt.Fprintln(w)
	return writeWarnings(w, r.Warnings)
}

// writeSpeed writes "N sweeps after B burn-in in S s (R sweeps/s)" without a newline.
func writeSpeed(w io.Writer, sweeps, burn int, seconds float64) {
	fmt.Fprintf(w, "%d sweeps after %d burn-in in %.2f s (%.0f sweeps/s)", sweeps, burn, seconds,
		float64(sweeps+burn)/math.Max(seconds, 1e-9))
}

func writeWarnings(w io.Writer, ws []string) error {
	for _, s := range ws {
		if _, err := fmt.Fprintln(w, "warning:", s); err != nil {
			return err
		}
	}
	return nil
}

// optional formats *v with format, or "n/a" when v is nil (undefined).
func optional(v *float64, format string) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *v)
}

// DenoiseReport is the report of a Denoise job.
type DenoiseReport struct {
	// In, Out and NoisyOut are the files read and written, filled in by the
	// caller (NoisyOut only when the input was corrupted).
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
	// Flip, ErrorRateNoisy and ErrorRateRestored are present only when the
	// input was corrupted: the error rates count pixels that differ from the
	// clean input.
	Flip              *float64 `json:"flip,omitempty"`
	ErrorRateNoisy    *float64 `json:"error_rate_noisy,omitempty"`
	ErrorRateRestored *float64 `json:"error_rate_restored,omitempty"`
	// ChangedFraction is the fraction of pixels the restoration changed
	// relative to the (noisy) observation.
	ChangedFraction float64 `json:"changed_fraction"`
	Energy          float64 `json:"energy"`
	Iterations      int     `json:"iterations"`
	Converged       bool    `json:"converged"`
	Seconds         float64 `json:"seconds"`
}

// Denoised is the outcome of Denoise: the observation, the restored image and
// the report.
type Denoised struct {
	Noisy, Restored *Image
	Report          DenoiseReport
}

// Denoise restores an image with an Ising prior (RestoreContext with cfg).
// With corrupt set, img is taken as clean: it is first corrupted by flipping
// each pixel with probability flip (Corrupt, seeded by cfg.Seed), and the
// error rates of the noisy and restored images against img are reported;
// otherwise img is the observation.
func Denoise(ctx context.Context, img *Image, cfg RestoreConfig, corrupt bool, flip float64) (*Denoised, error) {
	start := time.Now()
	y := img
	if corrupt {
		var err error
		if y, err = Corrupt(img, flip, rand.New(rand.NewPCG(cfg.Seed, 0xf11b))); err != nil {
			return nil, err
		}
	}
	x, info, err := RestoreContext(ctx, y, cfg)
	if err != nil {
		return nil, err
	}
	rep := DenoiseReport{Method: string(cfg.Method), Beta: cfg.Beta, Eta: cfg.Eta, Field: cfg.H, Seed: cfg.Seed,
		Width: x.W, Height: x.H, Pixels: x.W * x.H, ChangedFraction: float64(info.Changed) / float64(x.W*x.H),
		Energy: info.Energy, Iterations: info.Iterations, Converged: info.Converged}
	if corrupt {
		en, _ := ErrorRate(y, img)
		er, _ := ErrorRate(x, img)
		rep.Flip, rep.ErrorRateNoisy, rep.ErrorRateRestored = &flip, &en, &er
	}
	rep.Seconds = time.Since(start).Seconds()
	return &Denoised{Noisy: y, Restored: x, Report: rep}, nil
}

// Save writes the restored image to out and, when noisyOut is not empty, the
// observation to noisyOut first (PNG files, each written atomically: a
// temporary file renamed into place); if out cannot be written, noisyOut is
// removed again, so a failed call leaves no half of the pair. It records the
// paths in the report.
func (d *Denoised) Save(out, noisyOut string) error {
	if noisyOut != "" {
		if err := writePNG(noisyOut, d.Noisy); err != nil {
			return err
		}
	}
	if err := writePNG(out, d.Restored); err != nil {
		if noisyOut != "" {
			os.Remove(noisyOut)
		}
		return err
	}
	d.Report.Out, d.Report.NoisyOut = out, noisyOut
	return nil
}

func writePNG(path string, img *Image) error {
	var buf bytes.Buffer
	if err := EncodePNG(&buf, img); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, buf.Bytes()); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// WriteText writes r for people: the image and the method, the error rates
// (when the input was corrupted), what the restoration changed, and the files
// written.
func (r *DenoiseReport) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%s: %d×%d (%d pixels), method %s, β=%g η=%g h=%g\n", r.In, r.Width, r.Height, r.Pixels, r.Method, r.Beta, r.Eta, r.Field)
	if r.Flip != nil {
		fmt.Fprintf(w, "flipped with p=%g: error rate noisy %.2f%% → restored %.2f%%\n", *r.Flip,
			100**r.ErrorRateNoisy, 100**r.ErrorRateRestored)
	}
	fmt.Fprintf(w, "changed %.2f%% of the observed pixels; energy %.1f after %d sweeps (converged: %v)\n",
		100*r.ChangedFraction, r.Energy, r.Iterations, r.Converged)
	if r.NoisyOut != "" {
		_, err := fmt.Fprintf(w, "wrote %s and %s\n", r.Out, r.NoisyOut)
		return err
	}
	_, err := fmt.Fprintf(w, "wrote %s\n", r.Out)
	return err
}

// NoisyPath returns OUT-noisy.EXT beside out (".png" when out has no
// extension): where a corrupted input is saved.
func NoisyPath(out string) string {
	ext := filepath.Ext(out)
	base := strings.TrimSuffix(out, ext)
	if ext == "" {
		ext = ".png"
	}
	return base + "-noisy" + ext
}

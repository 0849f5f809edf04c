package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/ising"
)

// isingPrintResult prints an Ising run for people: the table of estimates,
// the exact references where they exist, and the convergence diagnostics.
func isingPrintResult(w io.Writer, r *ising.Result) error {
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
	// Exact references where they exist.
	if r.L <= ising.MaxExactL {
		if ex, err := ising.ExactIsing(r.L, r.J, r.H, r.T); err == nil {
			fmt.Fprintf(w, "exact (enumeration): energy per site %.6f, |magnetization| %.6f, C %.5f, χ %.5f\n",
				ex.EnergyPerSite, ex.Magnetization, ex.SpecificHeat, ex.Susceptibility)
		}
	} else if r.H == 0 && r.J > 0 {
		if e, err := ising.KaufmanEnergy(r.L, r.L, r.J, r.T); err == nil {
			fmt.Fprintf(w, "exact energy per site for this L (Kaufman): %.6f\n", e)
		}
	}
	if r.H == 0 && r.J > 0 {
		if m := ising.OnsagerMagnetization(r.J, r.T); m > 0 {
			fmt.Fprintf(w, "Onsager spontaneous magnetization (L = ∞): %.6f\n", m)
		}
	}
	fmt.Fprintf(w, "%d sweeps after %d burn-in in %.2f s (%.0f sweeps/s)", r.Sweeps, r.Burn, r.Seconds,
		float64(r.Sweeps+r.Burn)/math.Max(r.Seconds, 1e-9))
	switch {
	case r.AcceptanceRate > 0:
		fmt.Fprintf(w, "; acceptance %.3f", r.AcceptanceRate)
	case r.MeanClusterSize > 0:
		fmt.Fprintf(w, "; %d clusters per sweep, mean size %.1f", r.ClustersPerSweep, r.MeanClusterSize)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "split R̂ / bulk ESS: energy %s / %s, |magnetization| %s / %s\n", isingOpt(r.RhatEnergy, "%.4f"),
		isingOpt(r.ESSBulkEnergy, "%.0f"), isingOpt(r.RhatMagnetization, "%.4f"), isingOpt(r.ESSBulkMagnetization, "%.0f"))
	for _, s := range r.Warnings {
		fmt.Fprintln(w, "warning:", s)
	}
	return nil
}

// isingOpt formats *v with format, or "n/a" when v is nil (undefined).
func isingOpt(v *float64, format string) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *v)
}

// isingSameFile reports whether paths a and b name the same file: the same
// cleaned path, or (when both exist) the same file through links.
func isingSameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

func isingFinite(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return cli.Usagef("--%s %v: must be a finite number", name, v)
	}
	return nil
}

package ising

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/ebm-go/ebm/spec"
)

// checkFinite returns a *spec.Error for the first of the (name, value) pairs in vs
// that is NaN or ±Inf.
func checkFinite(vs ...any) error {
	for i := 0; i < len(vs); i += 2 {
		if v := vs[i+1].(float64); math.IsNaN(v) || math.IsInf(v, 0) {
			return spec.Errorf(fmt.Sprintf("%s %v", vs[i], v), "must be a finite number")
		}
	}
	return nil
}

// checkRun checks the settings Config and PottsConfig share: 2 ≤ L ≤ MaxL,
// 0 < T < ∞, 1 ≤ sweeps ≤ MaxSweeps, burn ≥ 0, and finite h and J.
func checkRun(L int, T float64, sweeps, burn int, H, J float64) error {
	switch {
	case L < 2 || L > MaxL:
		return spec.Errorf(fmt.Sprintf("size %d", L), "lattice side must be in [2, %d]", MaxL)
	case !(T > 0) || math.IsInf(T, 0):
		return spec.Errorf(fmt.Sprintf("temp %v", T), "temperature must be positive and finite")
	case sweeps < 1 || sweeps > MaxSweeps:
		return spec.Errorf(fmt.Sprintf("sweeps %d", sweeps), "must be in [1, %d]", MaxSweeps)
	case burn < 0:
		return spec.Errorf(fmt.Sprintf("burn %d", burn), "must be ≥ 0")
	}
	return checkFinite("field", H, "coupling", J)
}

// Validate checks the settings of an Ising run before any work: 2 ≤ L ≤ MaxL,
// 0 < T < ∞, 1 ≤ Sweeps ≤ MaxSweeps, Burn ≥ 0, finite H and J, and a known
// Algo. Every refusal is a *spec.Error whose Where names the setting as
// "size", "temp", "sweeps", "burn", "field", "coupling" or "algo", followed by
// the value.
func (c Config) Validate() error {
	if err := checkRun(c.L, c.T, c.Sweeps, c.Burn, c.H, c.J); err != nil {
		return err
	}
	if _, err := ParseAlgo(string(c.Algo)); err != nil {
		return spec.Errorf(fmt.Sprintf("algo %q", c.Algo), "unknown algorithm (valid: %s)", strings.Join(Algos(), ", "))
	}
	return nil
}

// Validate checks the settings of a Potts run as Config.Validate does, and
// also 2 ≤ Q ≤ MaxQ (Where "potts"), an Algo of PottsAlgos, and J ≥ 0 for
// Swendsen-Wang, whose bond probability 1 − exp(−J/T) needs it.
func (c PottsConfig) Validate() error {
	switch {
	case c.Q < 2 || c.Q > MaxQ:
		return spec.Errorf(fmt.Sprintf("potts %d", c.Q), "q must be in [2, %d]", MaxQ)
	}
	if err := checkRun(c.L, c.T, c.Sweeps, c.Burn, c.H, c.J); err != nil {
		return err
	}
	switch {
	case c.Algo != Gibbs && c.Algo != SW:
		return spec.Errorf(fmt.Sprintf("algo %q", c.Algo), "unknown Potts algorithm (valid: %s)", strings.Join(PottsAlgos(), ", "))
	case c.Algo == SW && c.J < 0:
		return spec.Errorf(fmt.Sprintf("coupling %v", c.J), "Potts Swendsen-Wang needs J ≥ 0")
	}
	return nil
}

// Validate checks the restoration settings a caller chooses: a known Method,
// finite Beta, Eta and H, and Sweeps, Burn and MaxIter not negative (zero
// means the method's default). Refusals are *spec.Error values whose Where is
// "method", "beta", "eta", "field", "sweeps", "burn" or "max-iter" (the
// settings named as the ebm command's flags), followed by the value.
func (c RestoreConfig) Validate() error {
	if _, err := ParseMethod(string(c.Method)); err != nil {
		return spec.Errorf(fmt.Sprintf("method %q", c.Method), "unknown method (valid: %s)", strings.Join(Methods(), ", "))
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"sweeps", c.Sweeps}, {"burn", c.Burn}, {"max-iter", c.MaxIter}} {
		if n.v < 0 {
			return spec.Errorf(fmt.Sprint(n.name, " ", n.v), "must not be negative (0: the method's default)")
		}
	}
	return checkFinite("beta", c.Beta, "eta", c.Eta, "field", c.H)
}

// Measurement is the result of Simulate: a *Result or a *PottsResult, which
// print themselves as text (and marshal as JSON).
type Measurement interface{ WriteText(w io.Writer) error }

// Simulate runs the Ising model of cfg (Run) when q is 0, or else the q-state
// Potts model with the same lattice, couplings, algorithm, sweeps, seed, start
// and progress report (RunPotts). The settings are validated first
// (Config.Validate or PottsConfig.Validate).
func Simulate(ctx context.Context, cfg Config, q int) (Measurement, error) {
	if q == 0 {
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		return Run(ctx, cfg)
	}
	pc := PottsConfig{L: cfg.L, Q: q, J: cfg.J, H: cfg.H, T: cfg.T, Algo: cfg.Algo, Sweeps: cfg.Sweeps, Burn: cfg.Burn,
		Seed: cfg.Seed, ColdStart: cfg.ColdStart, Progress: cfg.Progress}
	if err := pc.Validate(); err != nil {
		return nil, err
	}
	return RunPotts(ctx, pc)
}

// ReadPNG reads the PNG file at path and binarizes it (DecodePNG).
func ReadPNG(path string) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodePNG(f)
}

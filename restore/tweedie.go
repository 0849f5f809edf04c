package restore

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/tensor"
)

// DefaultLevelTolerance is the largest relative distance |σₖ/σ − 1| between the
// noise of the data and the nearest level a model was trained at that
// [AtNoiseLevel] accepts.
const DefaultLevelTolerance = 0.2

// Tweedie returns the one-step empirical Bayes estimates
//
//	x̂ = y − σ²∇E_σ(y)
//
// of the rows of y, where smoothed is the energy of the noisy data at noise
// level σ (see AtNoiseLevel). With the exact smoothed energy it is the
// posterior mean E[x | y] (Tweedie's formula). Errors: σ ≤ 0, a nil energy,
// mismatched dimensions, non-finite observations or gradients.
func Tweedie(smoothed energy.GradEnergy, y *tensor.Dense[float64], sigma float64) (*tensor.Dense[float64], error) {
	if err := checkSigma(sigma); err != nil {
		return nil, err
	}
	if smoothed == nil {
		return nil, fmt.Errorf("restore: Tweedie: nil energy")
	}
	if err := checkObs(y); err != nil {
		return nil, err
	}
	if smoothed.Dim() != y.Cols {
		return nil, fmt.Errorf("restore: Tweedie: the energy has dimension %d, the observations %d", smoothed.Dim(), y.Cols)
	}
	e := make([]float64, y.Rows)
	g := tensor.New[float64](y.Rows, y.Cols)
	smoothed.EnergyGrad(y, e, g)
	out := tensor.New[float64](y.Rows, y.Cols)
	s2 := sigma * sigma
	for i, v := range y.Data {
		gi := g.Data[i]
		if math.IsNaN(gi) || math.IsInf(gi, 0) {
			return nil, fmt.Errorf("restore: Tweedie: gradient of observation %d, coordinate %d is %v", i/y.Cols, i%y.Cols, gi)
		}
		out.Data[i] = v - s2*gi
	}
	return out, nil
}

// LevelError reports a model that was not trained near the noise level asked for.
type LevelError struct {
	Want float64   // the noise level of the data
	Have []float64 // the levels the model was trained at (nil: none)
	Tol  float64
}

func (e *LevelError) Error() string {
	if len(e.Have) == 0 {
		return fmt.Sprintf("restore: the model was not trained at a noise level (it has no noise levels; Tweedie needs an energy trained by denoising score matching at sigma = %g, or a noise-conditional energy); use --method map or posterior", e.Want)
	}
	s := make([]string, len(e.Have))
	for i, v := range e.Have {
		s[i] = fmt.Sprintf("%g", v)
	}
	return fmt.Sprintf("restore: no noise level of the model is within %g%% of sigma = %g (its levels: %s)", 100*e.Tol, e.Want, strings.Join(s, ", "))
}

// NoiseLevels returns the noise levels a model was trained at: the levels of
// a noise-conditional energy (energy.NoiseCondMLP), or the sigma of a model
// trained by denoising score matching as recorded in its model.json (the
// "method" entry of Training that ebm train writes); nil otherwise. meta may
// be nil.
func NoiseLevels(e energy.GradEnergy, meta *model.Meta) []float64 {
	switch m := e.(type) {
	case *energy.NoiseCondMLP[float32]:
		return sortedCopy(m.Sigmas)
	case *energy.NoiseCondMLP[float64]:
		return sortedCopy(m.Sigmas)
	}
	if meta == nil || len(meta.Training) == 0 {
		return nil
	}
	var tr struct {
		Method struct {
			Name   string   `json:"name"`
			Sigma  *float64 `json:"sigma"`
			Levels int      `json:"levels"`
		} `json:"method"`
	}
	if json.Unmarshal(meta.Training, &tr) != nil || tr.Method.Name != "dsm" || tr.Method.Levels > 0 || tr.Method.Sigma == nil {
		return nil
	}
	if s := *tr.Method.Sigma; s > 0 && !math.IsInf(s, 0) {
		return []float64{s}
	}
	return nil
}

func sortedCopy(v []float64) []float64 {
	out := append([]float64(nil), v...)
	sort.Float64s(out)
	return out
}

// AtNoiseLevel returns the energy of e at the trained noise level nearest to
// sigma (in log σ), and that level, for Tweedie's formula: a noise-conditional
// energy's Smoothed(σₖ), or e itself for a model trained at one level. levels
// are the model's levels (NoiseLevels); the nearest must be within a relative
// distance tol of sigma (tol ≤ 0 means DefaultLevelTolerance), else a
// *LevelError lists the levels there are. An analytic energy.Smoother needs no
// levels: pass its Smoothed(σ) to Tweedie directly.
func AtNoiseLevel(e energy.GradEnergy, levels []float64, sigma, tol float64) (energy.GradEnergy, float64, error) {
	if err := checkSigma(sigma); err != nil {
		return nil, 0, err
	}
	if tol <= 0 {
		tol = DefaultLevelTolerance
	}
	best, bd := 0.0, math.Inf(1)
	for _, s := range levels {
		if d := math.Abs(math.Log(s / sigma)); d < bd {
			best, bd = s, d
		}
	}
	if len(levels) == 0 || math.Abs(best/sigma-1) > tol {
		return nil, 0, &LevelError{Want: sigma, Have: sortedCopy(levels), Tol: tol}
	}
	switch m := e.(type) {
	case *energy.NoiseCondMLP[float32]:
		return m.Smoothed(best), best, nil
	case *energy.NoiseCondMLP[float64]:
		return m.Smoothed(best), best, nil
	}
	return e, best, nil
}

package restore

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// MinimizeConfig configures Minimize. Zero fields take the defaults given.
type MinimizeConfig struct {
	// MaxIter bounds the iterations (default 1000).
	MaxIter int
	// Step is the initial step size of every row (default 0.01); MAP sets σ².
	Step float64
	// GradTol stops a row when its gradient's largest entry is at most
	// GradTol (default 1e-6).
	GradTol float64
	// RelTol stops a row when an accepted step lowers its energy by less than
	// RelTol·(1 + |E|) (default 1e-13).
	RelTol float64
	// Lo and Hi, when Lo < Hi, project every coordinate onto [Lo, Hi] after
	// each step (projected gradient descent; pixels in [0, 1], say).
	Lo, Hi float64
	// Progress, if not nil, is called after every iteration.
	Progress func(done, total int)
}

// MinimizeInfo reports a minimization.
type MinimizeInfo struct {
	Iterations int       `json:"iterations"`
	Converged  int       `json:"converged"` // rows that met GradTol or RelTol
	Energy     []float64 `json:"-"`         // final energy of each row
}

// Minimize runs batched gradient descent on e from the rows of x0, each row
// with its own step size η: a trial x' = x − η∇E(x) (projected onto [Lo, Hi]
// when set) is accepted when it satisfies Armijo's condition
// E(x') ≤ E(x) − 10⁻⁴·∇E(x)·(x − x'), and then η grows by 1.5; otherwise the
// row stays and η halves. A row stops when its gradient is below GradTol, an
// accepted step gains less than RelTol·(1 + |E|), or η underflows. Rows do not interact, so e may be a batch
// energy (Posterior, Conditional) evaluated on all rows at once. It returns
// the final points, an error for bad arguments, non-finite energies at the
// start, or ctx.Err().
func Minimize(ctx context.Context, e energy.GradEnergy, x0 *tensor.Dense[float64], cfg MinimizeConfig) (*tensor.Dense[float64], *MinimizeInfo, error) {
	if e == nil {
		return nil, nil, errors.New("restore: Minimize: nil energy")
	}
	if x0 == nil || x0.Rows == 0 || x0.Cols != e.Dim() {
		return nil, nil, fmt.Errorf("restore: Minimize: starting points must be n×%d", e.Dim())
	}
	if cfg.MaxIter < 0 || cfg.Step < 0 || cfg.RelTol < 0 || cfg.GradTol < 0 {
		return nil, nil, errors.New("restore: Minimize: MaxIter, Step, GradTol and RelTol must not be negative")
	}
	if cfg.GradTol == 0 {
		cfg.GradTol = 1e-6
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 1000
	}
	if cfg.Step == 0 {
		cfg.Step = 0.01
	}
	if cfg.RelTol == 0 {
		cfg.RelTol = 1e-13
	}
	project := cfg.Lo < cfg.Hi
	n, d := x0.Rows, x0.Cols
	x := x0.Clone()
	if project {
		clampAll(x.Data, cfg.Lo, cfg.Hi)
	}
	xp := tensor.New[float64](n, d)
	ev, ep := make([]float64, n), make([]float64, n)
	g, gp := tensor.New[float64](n, d), tensor.New[float64](n, d)
	eta := make([]float64, n)
	done := make([]bool, n)
	for i := range eta {
		eta[i] = cfg.Step
	}
	e.EnergyGrad(x, ev, g)
	for i, v := range ev {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("restore: Minimize: the energy of starting point %d is %v", i, v)
		}
	}
	info := &MinimizeInfo{}
	for it := 0; it < cfg.MaxIter; it++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		active := 0
		for i := 0; i < n; i++ {
			r, rp, gr := x.Row(i), xp.Row(i), g.Row(i)
			if done[i] {
				copy(rp, r)
				continue
			}
			active++
			for j, v := range r {
				rp[j] = v - eta[i]*gr[j]
			}
			if project {
				clampAll(rp, cfg.Lo, cfg.Hi)
			}
		}
		info.Iterations = it + 1
		if active == 0 {
			break
		}
		e.EnergyGrad(xp, ep, gp)
		for i := 0; i < n; i++ {
			if done[i] {
				continue
			}
			r, rp, gr := x.Row(i), xp.Row(i), g.Row(i)
			dec := 0.0
			for j, v := range r {
				dec += gr[j] * (v - rp[j])
			}
			if !(ep[i] <= ev[i]-1e-4*dec) || math.IsNaN(ep[i]) {
				eta[i] *= 0.5
				if dec == 0 { // a stationary point
					done[i] = true
					info.Converged++
				} else if eta[i] < 1e-300 {
					done[i] = true
				}
				continue
			}
			gain := ev[i] - ep[i]
			copy(r, rp)
			copy(gr, gp.Row(i))
			ev[i] = ep[i]
			eta[i] *= 1.5
			if gain <= cfg.RelTol*(1+math.Abs(ev[i])) || maxAbs(gr) <= cfg.GradTol {
				done[i] = true
				info.Converged++
			}
		}
		if cfg.Progress != nil {
			cfg.Progress(it+1, cfg.MaxIter)
		}
	}
	info.Energy = ev
	return x, info, nil
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

func clampAll(v []float64, lo, hi float64) {
	for j, x := range v {
		v[j] = math.Max(lo, math.Min(hi, x))
	}
}

// MAP returns the maximum a posteriori estimates of the clean points of the
// Gaussian observations y at noise level sigma under prior,
//
//	x̂ = argminₓ E(x) + ‖x − y‖²/(2σ²),
//
// by Minimize from x = y with initial step σ² (unless cfg.Step is set).
func MAP(ctx context.Context, prior energy.GradEnergy, y *tensor.Dense[float64], sigma float64, cfg MinimizeConfig) (*tensor.Dense[float64], *MinimizeInfo, error) {
	post, err := Posterior(prior, y, sigma)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Step == 0 {
		cfg.Step = sigma * sigma
	}
	return Minimize(ctx, post, y, cfg)
}

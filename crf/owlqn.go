package crf

import (
	"context"
	"math"
)

// trainOWLQN minimizes f(w) + c1·‖w‖₁ (f the L2-penalized negative
// log-likelihood) by OWL-QN (Andrew and Gao, 2007): L-BFGS directions from
// the smooth part's gradients, applied to the pseudo-gradient
//
//	◇_i = ∂_i f + c1·sign(w_i)           if w_i ≠ 0,
//	◇_i = ∂_i f ± c1 (towards descent)    if w_i = 0 and |∂_i f| > c1, else 0,
//
// the direction zeroed where it disagrees in sign with −◇, and a backtracking
// line search whose points are projected onto the orthant of the current
// point (coordinates that would change sign are set to zero).
func trainOWLQN(ctx context.Context, m *Model, qs []Sequence, opt TrainOptions) (*TrainResult, error) {
	o := newObjective(m, qs, opt.C2, opt.Workers)
	n := len(m.W)
	c1 := opt.C1
	w := m.W
	g := make([]float64, n)
	pg := make([]float64, n)
	d := make([]float64, n)
	wn := make([]float64, n)
	gn := make([]float64, n)
	mem := opt.Store
	S := make([][]float64, mem)
	Y := make([][]float64, mem)
	rho := make([]float64, mem)
	alpha := make([]float64, mem)
	for i := range S {
		S[i], Y[i] = make([]float64, n), make([]float64, n)
	}
	l1 := func(x []float64) float64 {
		var s float64
		for _, v := range x {
			s += math.Abs(v)
		}
		return c1 * s
	}
	f := o.eval(w, g) + l1(w)
	hist := []float64{f}
	res := &TrainResult{Status: "IterationLimit"}
	stored, head := 0, 0
	for it := 1; it <= opt.MaxIter; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Pseudo-gradient.
		var pgn float64
		for i, v := range w {
			gi := g[i]
			switch {
			case v > 0:
				pg[i] = gi + c1
			case v < 0:
				pg[i] = gi - c1
			case gi+c1 < 0:
				pg[i] = gi + c1
			case gi-c1 > 0:
				pg[i] = gi - c1
			default:
				pg[i] = 0
			}
			pgn += pg[i] * pg[i]
		}
		if math.Sqrt(pgn) < 1e-10 {
			res.Status = "GradientThreshold"
			break
		}
		// Two-loop recursion: d = −H·pg.
		for i := range d {
			d[i] = -pg[i]
		}
		for k := 0; k < stored; k++ {
			j := (head - 1 - k + mem) % mem
			alpha[j] = rho[j] * dot(S[j], d)
			axpy(-alpha[j], Y[j], d)
		}
		if stored > 0 {
			j := (head - 1 + mem) % mem
			gamma := dot(S[j], Y[j]) / dot(Y[j], Y[j])
			for i := range d {
				d[i] *= gamma
			}
		}
		for k := stored - 1; k >= 0; k-- {
			j := (head - 1 - k + mem) % mem
			beta := rho[j] * dot(Y[j], d)
			axpy(alpha[j]-beta, S[j], d)
		}
		for i := range d {
			if d[i]*pg[i] >= 0 {
				d[i] = 0
			}
		}
		// Backtracking line search in the orthant of w.
		step := 1.0
		if stored == 0 {
			step = 1 / math.Sqrt(pgn)
		}
		accepted := false
		var fn float64
		for try := 0; try < 40; try++ {
			var dec float64
			for i, v := range w {
				x := v + step*d[i]
				orth := math.Copysign(1, v)
				if v == 0 {
					orth = -math.Copysign(1, pg[i])
				}
				if x*orth <= 0 {
					x = 0
				}
				wn[i] = x
				dec += pg[i] * (x - v)
			}
			fn = o.eval(wn, gn) + l1(wn)
			if fn <= f+1e-4*dec {
				accepted = true
				break
			}
			step /= 2
		}
		if !accepted {
			res.Status = "LineSearchFailed"
			break
		}
		// Update the correction pairs with the smooth gradients.
		s, y := S[head], Y[head]
		for i := range s {
			s[i] = wn[i] - w[i]
			y[i] = gn[i] - g[i]
		}
		if sy := dot(s, y); sy > 0 {
			rho[head] = 1 / sy
			head = (head + 1) % mem
			stored = min(stored+1, mem)
		}
		copy(w, wn)
		copy(g, gn)
		f = fn
		res.Iterations = it
		hist = append(hist, f)
		if opt.Progress != nil {
			opt.Progress(it, opt.MaxIter, f)
		}
		if k := len(hist) - 1 - opt.Period; k >= 0 && (hist[k]-f) <= opt.Epsilon*math.Abs(f) {
			res.Status = "FunctionConvergence"
			break
		}
	}
	res.Objective = f
	res.Evaluations = o.evals
	return res, nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Stan's dual-averaging constants (Hoffman & Gelman 2014, section 3.2).
const (
	daGamma = 0.05
	daT0    = 10
	daKappa = 0.75
)

// dualAvg is Stan's stepsize_adaptation for one chain: dual averaging of
// log ε towards a target mean acceptance probability δ,
//
//	H̄_t = (1 − 1/(t+t₀)) H̄_{t−1} + (δ − α_t)/(t+t₀),
//	log ε_t = μ − √t/γ · H̄_t,
//	log ε̄_t = t^(−κ) log ε_t + (1 − t^(−κ)) log ε̄_{t−1}.
type dualAvg struct {
	mu, sBar, xBar float64
	t              int
}

func (a *dualAvg) restart(eps float64) {
	*a = dualAvg{mu: math.Log(10 * eps)}
}

// learn updates with acceptance statistic stat and returns the next ε.
func (a *dualAvg) learn(stat, delta float64) float64 {
	a.t++
	stat = min(stat, 1)
	t := float64(a.t)
	eta := 1 / (t + daT0)
	a.sBar = (1-eta)*a.sBar + eta*(delta-stat)
	x := a.mu - a.sBar*math.Sqrt(t)/daGamma
	w := math.Pow(t, -daKappa)
	a.xBar = (1-w)*a.xBar + w*x
	return math.Exp(x)
}

// final returns exp(x̄), the step size kept after warm-up.
func (a *dualAvg) final() float64 { return math.Exp(a.xBar) }

// windows is Stan's windowed_adaptation schedule for the metric: an initial
// buffer, slow windows doubling in size, a terminal buffer.
type windows struct {
	warmup, initBuf, termBuf, baseWin int
	counter, size, next               int
	enabled                           bool
}

func newWindows(warmup int, ws Windows) windows {
	w := windows{warmup: warmup, initBuf: 75, termBuf: 50, baseWin: 25}
	if ws.InitBuffer > 0 {
		w.initBuf = ws.InitBuffer
	}
	if ws.BaseWindow > 0 {
		w.baseWin = ws.BaseWindow
	}
	if ws.TermBuffer > 0 {
		w.termBuf = ws.TermBuffer
	}
	if warmup < 20 {
		return w // Stan: no metric estimation for fewer than 20 warm-up steps
	}
	w.enabled = true
	if w.initBuf+w.baseWin+w.termBuf > warmup {
		w.initBuf = int(0.15 * float64(warmup))
		w.termBuf = int(0.1 * float64(warmup))
		w.baseWin = warmup - (w.initBuf + w.termBuf)
	}
	w.size = w.baseWin
	w.next = w.initBuf + w.size - 1
	return w
}

// inWindow reports whether the current warm-up step's draw enters the estimate.
func (w *windows) inWindow() bool {
	return w.enabled && w.counter >= w.initBuf && w.counter < w.warmup-w.termBuf && w.counter != w.warmup
}

// endOfWindow reports whether the current step closes a window.
func (w *windows) endOfWindow() bool {
	return w.enabled && w.counter == w.next && w.counter != w.warmup
}

// advance closes the step; at the end of a window it computes the next one.
func (w *windows) advance() {
	if w.endOfWindow() {
		last := w.warmup - w.termBuf - 1
		if w.next != last {
			w.size *= 2
			w.next = w.counter + w.size
			if w.next != last && w.next+2*w.size >= w.warmup-w.termBuf {
				w.next = last
			}
		}
	}
	w.counter++
}

// welford accumulates per-coordinate means and variances of one chain.
type welford struct {
	n       int
	mean, m []float64
}

func (w *welford) reset() {
	w.n = 0
	clear(w.mean)
	clear(w.m)
}

func (w *welford) add(x []float64) {
	w.n++
	f := 1 / float64(w.n)
	mean, m := w.mean[:len(x)], w.m[:len(x)]
	for j, v := range x {
		d := v - mean[j]
		mean[j] += d * f
		m[j] += d * (v - mean[j])
	}
}

// regularized writes Stan's regularized variance into dst:
// (n/(n+5))·var + 10⁻³·5/(n+5), var with divisor n−1.
func (w *welford) regularized(dst []float64) {
	n := float64(w.n)
	for j, m := range w.m {
		v := m / (n - 1)
		dst[j] = n/(n+5)*v + 1e-3*5/(n+5)
	}
}

// findStep is Stan's init_stepsize heuristic, per chain: from the current step
// size, double (or halve) ε until the acceptance probability of a one-step
// trial crosses 0.8, leaving ε at the first size on the other side. Chains
// that have finished stop drawing random numbers, so each chain's stream does
// not depend on the others.
func findStep(k Tunable, s *State, rngs, active []*rand.Rand, info []Info, dir []int, ngrad []int) error {
	const thresh = 0.8
	n := s.X.Rows
	copy(active, rngs)
	if err := k.Probe(s, active, info); err != nil {
		return err
	}
	for c := 0; c < n; c++ {
		ngrad[c] += info[c].NGrad
		dir[c] = -1
		if info[c].AcceptProb > thresh {
			dir[c] = 1
		}
	}
	for iter := 0; ; iter++ {
		if err := k.Probe(s, active, info); err != nil {
			return err
		}
		left := 0
		for c := 0; c < n; c++ {
			if active[c] == nil {
				continue
			}
			ngrad[c] += info[c].NGrad
			a := info[c].AcceptProb
			if (dir[c] == 1 && !(a > thresh)) || (dir[c] == -1 && !(a < thresh)) {
				active[c] = nil
				continue
			}
			if dir[c] == 1 {
				s.Step[c] *= 2
			} else {
				s.Step[c] /= 2
			}
			if s.Step[c] > 1e7 {
				return fmt.Errorf("sample: chain %d: step size heuristic diverged (step > 1e7); is the energy improper (not integrable)?", c)
			}
			if s.Step[c] < 1e-300 {
				return fmt.Errorf("sample: chain %d: step size heuristic collapsed to 0; check the energy and its gradient", c)
			}
			left++
		}
		if left == 0 {
			return nil
		}
	}
}

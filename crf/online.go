package crf

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/optim"
)

// averaged holds the weights of an online learner as w = α·v, so that the
// L2 shrinkage w ← (1 − ηλ)·w costs O(1), together with the running sum of
// the iterates Σ_s w_s = β·v + u, so that averaging costs O(1) per changed
// weight (the bookkeeping of Bottou's averaged SGD):
//
//	shrink by f:      α ← f·α
//	add δ to w_k:     v_k ← v_k + δ/α,  u_k ← u_k − β·δ/α
//	end of a step:    β ← β + α
type averaged struct {
	v, u        []float64
	alpha, beta float64
	steps       int
}

func newAveraged(w []float64) *averaged {
	return &averaged{v: append([]float64(nil), w...), u: make([]float64, len(w)), alpha: 1}
}

func (a *averaged) shrink(f float64) {
	a.alpha *= f
	if a.alpha < 1e-9 {
		for i := range a.v {
			a.v[i] *= a.alpha
		}
		a.beta /= a.alpha
		a.alpha = 1
	}
}

func (a *averaged) add(k int, delta float64) {
	d := delta / a.alpha
	a.v[k] += d
	a.u[k] -= a.beta * d
}

func (a *averaged) endStep() { a.beta += a.alpha; a.steps++ }

// final writes the averaged (or last) weights into w.
func (a *averaged) final(w []float64, average bool) {
	for i := range w {
		if average && a.steps > 0 {
			w[i] = (a.beta*a.v[i] + a.u[i]) / float64(a.steps)
		} else {
			w[i] = a.alpha * a.v[i]
		}
	}
}

// trainOnline runs the margin-based online learners, one sequence per step, in an order
// shuffled each epoch by the seed:
//
//   - perceptron: ŷ = Viterbi(x); w ← w + f(x, y) − f(x, ŷ), averaged;
//   - ssvm: ŷ = argmax_y' score(x, y') + Δ(y', y) (Hamming Δ, by cost-augmented
//     Viterbi); w ← (1 − η_t·c2/N)·w + η_t·(f(x, y) − f(x, ŷ)), the stochastic
//     subgradient of (c2/2)‖w‖² + Σ_n max_y' [score(x_n, y') + Δ(y', y_n)] − score(x_n, y_n).
//
// The loop is sequential (each step needs the previous weights). It is its
// own loop rather than train.Loop: its updates touch only the features of one
// sequence, and the lazy shrinking and averaging above keep them sparse,
// where an optimizer step over the whole weight vector per sequence would
// dominate the cost.
func trainOnline(ctx context.Context, m *Model, qs []Sequence, opt TrainOptions) (*TrainResult, error) {
	nq := len(qs)
	total := opt.Epochs * nq
	sched := opt.Schedule
	if sched == nil {
		sched = optim.Linear{Base: opt.LR, End: opt.LR / 10, Total: total}
	}
	av := newAveraged(m.W)
	l := len(m.Labels)
	f := len(m.FeatLabel)
	eb := m.edgeBase()
	ws := NewWorkspace(l)
	tb := make([]float64, l*l+2*l) // current transitions, start, end (α·v)
	rng := rand.New(rand.NewPCG(opt.Seed, 0x63726621))
	order := make([]int, nq)
	for i := range order {
		order[i] = i
	}
	res := &TrainResult{Status: "EpochLimit"}
	step := 0
	for ep := 1; ep <= opt.Epochs; ep++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rng.Shuffle(nq, func(i, j int) { order[i], order[j] = order[j], order[i] })
		var loss float64
		for _, qi := range order {
			q := &qs[qi]
			n := q.Len()
			eta := sched.LR(step)
			step++
			if opt.Algorithm != "perceptron" && opt.C2 > 0 {
				av.shrink(1 - math.Min(eta*opt.C2/float64(nq), 0.5))
			}
			for i := range tb {
				tb[i] = av.alpha * av.v[f+i]
			}
			p := params{state: av.v[:f], scale: av.alpha, trans: tb[:l*l], start: tb[l*l : l*l+l], end: tb[l*l+l:], edge: av.v[eb:]}
			switch opt.Algorithm {
			case "perceptron", "ssvm":
				ws.unary(m, &p, q)
				if opt.Algorithm == "ssvm" {
					for t := 0; t < n; t++ {
						for j := 0; j < l; j++ {
							if int32(j) != q.Y[t] {
								ws.u[t*l+j]++
							}
						}
					}
				}
				best := ws.viterbi(&p, n)
				gold := 0.0
				wrong := false
				for t := 0; t < n; t++ {
					gold += ws.u[t*l+int(q.Y[t])]
					if t > 0 {
						gp := q.Y[t-1]*int32(l) + q.Y[t]
						gold += p.trans[gp] + ws.delta(t, gp)
					}
					if ws.path[t] != q.Y[t] {
						wrong = true
					}
				}
				if !wrong {
					break
				}
				rate := 1.0
				if opt.Algorithm == "ssvm" {
					rate = eta
					loss += best - gold // includes the Hamming cost
				} else {
					loss++
				}
				m.addDiff(av, q, q.Y, ws.path, rate)
			}
			av.endStep()
		}
		res.Iterations = ep
		res.Objective = loss
		if opt.Progress != nil {
			opt.Progress(ep, opt.Epochs, loss)
		}
	}
	av.final(m.W, opt.Average || opt.Algorithm == "perceptron")
	return res, nil
}

// addDiff adds rate·(f(x, y) − f(x, ŷ)) to the weights, touching only the
// positions where the two paths differ (state features where the labels
// differ, transition and edge features where the label pairs differ).
func (m *Model) addDiff(av *averaged, q *Sequence, y, yh []int32, rate float64) {
	l := len(m.Labels)
	f := len(m.FeatLabel)
	eb := m.edgeBase()
	n := q.Len()
	for t := 0; t < n; t++ {
		if y[t] != yh[t] {
			for _, a := range q.Attr[q.Off[t]:q.Off[t+1]] {
				if k := m.feature(a, y[t]); k >= 0 {
					av.add(k, rate)
				}
				if k := m.feature(a, yh[t]); k >= 0 {
					av.add(k, -rate)
				}
			}
		}
		if t > 0 && (y[t-1] != yh[t-1] || y[t] != yh[t]) {
			gp, hp := y[t-1]*int32(l)+y[t], yh[t-1]*int32(l)+yh[t]
			av.add(f+int(gp), rate)
			av.add(f+int(hp), -rate)
			if q.EOff != nil {
				for _, a := range q.EAttr[q.EOff[t]:q.EOff[t+1]] {
					if k := m.edgeFeature(a, gp); k >= 0 {
						av.add(eb+k, rate)
					}
					if k := m.edgeFeature(a, hp); k >= 0 {
						av.add(eb+k, -rate)
					}
				}
			}
		}
	}
	if y[0] != yh[0] {
		av.add(f+l*l+int(y[0]), rate)
		av.add(f+l*l+int(yh[0]), -rate)
	}
	if y[n-1] != yh[n-1] {
		av.add(f+l*l+l+int(y[n-1]), rate)
		av.add(f+l*l+l+int(yh[n-1]), -rate)
	}
}

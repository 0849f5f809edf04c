package crf

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// numShards is the fixed number of shards the likelihood gradient is split
// into: shards are summed in order, so results do not depend on the number
// of cores.
const numShards = 8

// nllGrad adds the gradient of the negative log-likelihood of q,
// log Z(x) − score(x, y), to g and returns it. The gradient is
// E_p(y|x)[f] − f(x, y): marginals minus gold counts for the state,
// transition, start and end weights, and pair marginals minus gold pair counts
// for the edge weights: ∂/∂v[a,i,j] = Σ_{t: a ∈ Edge(t)} ξ_t(i, j) − [y_{t−1} = i, y_t = j].
// ws.setTrans(p) must have been called.
func (m *Model) nllGrad(ws *Workspace, p *params, q *Sequence, g []float64) float64 {
	l := len(m.Labels)
	n := q.Len()
	ws.unary(m, p, q)
	lz := ws.infer(p, n)
	f := len(m.FeatLabel)
	gs, gt := g[:f], g[f:f+l*l]
	gstart, gend := g[f+l*l:f+l*l+l], g[f+l*l+l:f+l*l+2*l]

	gold := 0.0
	gam := ws.g
	for t := 0; t < n; t++ {
		yt := q.Y[t]
		gold += ws.u[t*l+int(yt)]
		if t > 0 {
			gp := q.Y[t-1]*int32(l) + yt
			gold += p.trans[gp] + ws.delta(t, gp)
		}
		ws.gamma(t, gam)
		gam[yt]--
		for _, a := range q.Attr[q.Off[t]:q.Off[t+1]] {
			lo, hi := m.AttrOff[a], m.AttrOff[a+1]
			gk := gs[lo:hi]
			for k, y := range m.FeatLabel[lo:hi] {
				gk[k] += gam[y]
			}
		}
		if t == 0 {
			for j := range gam {
				gstart[j] += gam[j]
			}
		}
		if t == n-1 {
			for j := range gam {
				gend[j] += gam[j]
			}
		}
	}
	ge := g[m.edgeBase():]
	for t := 1; t < n; t++ {
		gp := q.Y[t-1]*int32(l) + q.Y[t]
		gt[gp]--
		ws.addPairs(p, t, gt, 1)
		if !ws.edgeAt(t) {
			continue
		}
		xi := ws.xi
		for _, a := range q.EAttr[q.EOff[t]:q.EOff[t+1]] {
			lo, hi := m.EdgeOff[a], m.EdgeOff[a+1]
			gk := ge[lo:hi]
			for k, pk := range m.EdgePair[lo:hi] {
				gk[k] += xi[pk]
				if pk == gp {
					gk[k]--
				}
			}
		}
	}
	ws.flushPairs(gt)
	return lz - gold
}

// addPairLog adds scale·ξ_t(i, j) to gt[i·L+j] for position t ≥ 1 from the
// log-space messages.
func (ws *Workspace) addPairLog(p *params, t int, gt []float64, scale float64) {
	l := ws.l
	lz := ws.logZ
	c, ok := ws.pairScale(t, lz)
	if ok {
		c *= scale
		for i, ei := range ws.e {
			if ei == 0 {
				continue
			}
			f := ei * c
			row := ws.expT[i*l : i*l+l]
			gr := gt[i*l : i*l+l]
			for j, r := range row {
				gr[j] += f * r * ws.s[j]
			}
		}
		return
	}
	prev := ws.alpha[(t-1)*l : t*l]
	for i := 0; i < l; i++ {
		for j := 0; j < l; j++ {
			gt[i*l+j] += scale * math.Exp(prev[i]+p.trans[i*l+j]+ws.u[t*l+j]+ws.beta[t*l+j]-lz)
		}
	}
}

// objective is the penalized negative log-likelihood
//
//	f(w) = Σ_n [log Z(x_n) − score(x_n, y_n)] + (c2/2)·‖w‖²
//
// with its gradient, evaluated over fixed shards of sequences on several
// goroutines.
type objective struct {
	m       *Model
	qs      []Sequence
	c2      float64
	workers int
	ws      []*Workspace
	grads   [][]float64
	losses  []float64
	evals   int
}

func newObjective(m *Model, qs []Sequence, c2 float64, workers int) *objective {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	s := min(numShards, len(qs))
	o := &objective{m: m, qs: qs, c2: c2, workers: min(workers, s)}
	for i := 0; i < s; i++ {
		o.ws = append(o.ws, NewWorkspace(len(m.Labels)))
		o.grads = append(o.grads, make([]float64, m.NumWeights()))
	}
	o.losses = make([]float64, s)
	return o
}

// eval writes ∇f(w) into grad and returns f(w).
func (o *objective) eval(w, grad []float64) float64 {
	o.evals++
	s := len(o.ws)
	var next atomic.Int64
	var wg sync.WaitGroup
	for k := 0; k < o.workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				sh := int(next.Add(1)) - 1
				if sh >= s {
					return
				}
				lo, hi := sh*len(o.qs)/s, (sh+1)*len(o.qs)/s
				g := o.grads[sh]
				clear(g)
				p := o.m.view(w)
				ws := o.ws[sh]
				ws.setTrans(&p)
				var loss float64
				for i := lo; i < hi; i++ {
					loss += o.m.nllGrad(ws, &p, &o.qs[i], g)
				}
				o.losses[sh] = loss
			}
		}()
	}
	wg.Wait()
	copy(grad, o.grads[0])
	f := o.losses[0]
	for sh := 1; sh < s; sh++ {
		f += o.losses[sh]
		for i, v := range o.grads[sh] {
			grad[i] += v
		}
	}
	if o.c2 != 0 {
		var nrm float64
		for i, v := range w {
			nrm += v * v
			grad[i] += o.c2 * v
		}
		f += 0.5 * o.c2 * nrm
	}
	return f
}

package crf

import "math"

// params is a view of a weight vector: state and edge weights (multiplied by
// scale, which lets online learners shrink every weight in O(1)), transitions
// trans[i*L+j] from label i to label j, and start and end weights.
type params struct {
	state             []float64
	scale             float64
	trans, start, end []float64
	edge              []float64
}

// Workspace holds the buffers of inference on one sequence at a time: reused
// across calls, so inference allocates nothing once the buffers have grown to
// the longest sequence. A Workspace is not safe for concurrent use.
type Workspace struct {
	l           int
	u           []float64 // unary scores, T×L
	alpha, beta []float64 // log forward and backward messages, T×L
	bp          []int32   // Viterbi back-pointers, T×L
	expT        []float64 // exp(trans − maxT)
	expTT       []float64 // its transpose, for the forward pass
	maxT        float64
	e, s, g     []float64 // scratch, L each
	path        []int32

	// Scaled forward-backward (see scaledForward).
	eu, ah, bh, c []float64
	pacc          []float64 // pair sums, L×L (see flushPairs)
	sb            []float64 // the rows s_t of the pair sums, n×L (see addPairs)
	pairsTo       int       // the last position given to addPairs
	scaled        bool
	pending       bool
	logZ          float64

	// Edge features of the current sequence (see edges): the label pairs
	// k = i·L + j with an edge feature at position t are epair[eoff[t]:eoff[t+1]],
	// with the summed edge weights Δ_t(k) in edelta. hasEdge is false when the
	// sequence has none.
	hasEdge bool
	eoff    []int32
	epair   []int32
	edelta  []float64
	eexp    []float64 // exp(trans + Δ_t − max trans) per edelta entry (see edgeFactors)
	esave   []float64 // expT entries saved by applyEdges
	dd      []float64 // dense Δ_t of one position, L×L (see setDense)
	dmark   []bool    // L×L scratch of edges
	xi      []float64 // L×L pair marginals of one position
}

// NewWorkspace returns a workspace for models with l labels.
func NewWorkspace(l int) *Workspace {
	return &Workspace{l: l, expT: make([]float64, l*l), expTT: make([]float64, l*l), e: make([]float64, l), s: make([]float64, l), g: make([]float64, l)}
}

func (ws *Workspace) grow(n int) {
	need := n * ws.l
	if cap(ws.u) < need {
		ws.u = make([]float64, need)
		ws.alpha = make([]float64, need)
		ws.beta = make([]float64, need)
		ws.bp = make([]int32, need)
		ws.path = make([]int32, n)
	}
	ws.u = ws.u[:need]
	ws.alpha = ws.alpha[:need]
	ws.beta = ws.beta[:need]
	ws.bp = ws.bp[:need]
	ws.path = ws.path[:n]
}

// setTrans caches exp(trans − max trans) for the forward and backward passes.
func (ws *Workspace) setTrans(p *params) {
	m := math.Inf(-1)
	for _, v := range p.trans {
		m = max(m, v)
	}
	ws.maxT = m
	l := ws.l
	for i, v := range p.trans {
		e := math.Exp(v - m)
		ws.expT[i] = e
		ws.expTT[i%l*l+i/l] = e
	}
}

// unary fills ws.u[t*L+y] = Σ_{a ∈ A(t)} w[a, y] (+ start at t = 0, + end at
// t = T−1) for sequence q.
func (ws *Workspace) unary(m *Model, p *params, q *Sequence) {
	l := ws.l
	n := q.Len()
	ws.grow(n)
	u := ws.u
	clear(u)
	for t := 0; t < n; t++ {
		ut := u[t*l : t*l+l]
		for _, a := range q.Attr[q.Off[t]:q.Off[t+1]] {
			lo, hi := m.AttrOff[a], m.AttrOff[a+1]
			fl := m.FeatLabel[lo:hi]
			st := p.state[lo:hi]
			for k, y := range fl {
				ut[y] += st[k]
			}
		}
		if p.scale != 1 {
			for y := range ut {
				ut[y] *= p.scale
			}
		}
	}
	for y := 0; y < l; y++ {
		u[y] += p.start[y]
		u[(n-1)*l+y] += p.end[y]
	}
	ws.edges(m, p, q)
}

// edges collects the edge features of q: for each position t ≥ 1 the label
// pairs k = i·L + j of the edge features of its edge attributes, each once,
// with Δ_t(k) = scale · Σ_{a ∈ Edge(t)} v[a, k].
func (ws *Workspace) edges(m *Model, p *params, q *Sequence) {
	ws.hasEdge = false
	if q.EOff == nil || len(m.EdgePair) == 0 {
		return
	}
	l := ws.l
	if len(ws.dd) != l*l {
		ws.dd = make([]float64, l*l)
		ws.dmark = make([]bool, l*l)
		ws.xi = make([]float64, l*l)
	}
	n := q.Len()
	ws.eoff = append(ws.eoff[:0], 0, 0)
	ws.epair, ws.edelta = ws.epair[:0], ws.edelta[:0]
	dacc, mark := ws.dd, ws.dmark
	for t := 1; t < n; t++ {
		start := len(ws.epair)
		for _, a := range q.EAttr[q.EOff[t]:q.EOff[t+1]] {
			lo, hi := m.EdgeOff[a], m.EdgeOff[a+1]
			for k := lo; k < hi; k++ {
				pk := m.EdgePair[k]
				if !mark[pk] {
					mark[pk] = true
					dacc[pk] = 0
					ws.epair = append(ws.epair, pk)
				}
				dacc[pk] += p.edge[k]
			}
		}
		for _, pk := range ws.epair[start:] {
			ws.edelta = append(ws.edelta, dacc[pk]*p.scale)
			mark[pk] = false
			dacc[pk] = 0
		}
		ws.eoff = append(ws.eoff, int32(len(ws.epair)))
	}
	ws.hasEdge = len(ws.epair) > 0
	if cap(ws.esave) < len(ws.epair) {
		ws.esave = make([]float64, len(ws.epair))
		ws.eexp = make([]float64, len(ws.epair))
	}
}

// edgeFactors computes the factors exp(trans(k) + Δ_t(k) − max trans) of
// every edge entry once per sequence, for applyEdges (after setTrans and
// unary).
func (ws *Workspace) edgeFactors(p *params) {
	if !ws.hasEdge {
		return
	}
	for i, k := range ws.epair {
		ws.eexp[i] = math.Exp(p.trans[k] + ws.edelta[i] - ws.maxT)
	}
}

// edgeAt reports whether position t has edge features.
func (ws *Workspace) edgeAt(t int) bool {
	return ws.hasEdge && t >= 1 && ws.eoff[t+1] > ws.eoff[t]
}

// applyEdges replaces expT(k) by exp(trans(k) + Δ_t(k) − max trans) for the
// pairs with edge features at position t (computed by edgeFactors), saving
// the old entries;
// restoreEdges undoes it. Between the two calls expT holds the transition
// factors of position t exactly (no cancellation), and may overflow to +Inf
// (the scaled recursions then fall back to log space).
func (ws *Workspace) applyEdges(t int) {
	lo, hi := ws.eoff[t], ws.eoff[t+1]
	for i := lo; i < hi; i++ {
		k := ws.epair[i]
		ws.esave[i] = ws.expT[k]
		ws.expT[k] = ws.eexp[i]
	}
}

func (ws *Workspace) restoreEdges(t int) {
	lo, hi := ws.eoff[t], ws.eoff[t+1]
	for i := lo; i < hi; i++ {
		ws.expT[ws.epair[i]] = ws.esave[i]
	}
}

// setDense writes Δ_t into the dense L×L buffer ws.dd (zero elsewhere);
// clearDense zeroes it again.
func (ws *Workspace) setDense(t int) {
	lo, hi := ws.eoff[t], ws.eoff[t+1]
	for i := lo; i < hi; i++ {
		ws.dd[ws.epair[i]] = ws.edelta[i]
	}
}

func (ws *Workspace) clearDense(t int) {
	lo, hi := ws.eoff[t], ws.eoff[t+1]
	for i := lo; i < hi; i++ {
		ws.dd[ws.epair[i]] = 0
	}
}

// delta returns Δ_t(pair) (0 when the pair has no edge feature at t).
func (ws *Workspace) delta(t int, pair int32) float64 {
	if !ws.edgeAt(t) {
		return 0
	}
	lo, hi := ws.eoff[t], ws.eoff[t+1]
	for i := lo; i < hi; i++ {
		if ws.epair[i] == pair {
			return ws.edelta[i]
		}
	}
	return 0
}

// tiny is the smallest scaled sum trusted by the fast forward and backward
// recursions; below it they recompute by an exact log-sum-exp.
const tiny = 1e-280

// forward computes the log forward messages
//
//	α_1(j) = u_1(j),  α_t(j) = u_t(j) + log Σ_i exp(α_{t−1}(i) + trans(i, j)),
//
// (start and end are folded into u) and returns log Z = log Σ_j exp(α_T(j)).
// The sum is evaluated as exp(max α + max trans) · Σ_i exp(α_i − max α)·exp(trans_ij − max trans),
// which cannot overflow; a sum that comes out tiny is recomputed exactly.
func (ws *Workspace) forward(p *params, n int) float64 {
	l := ws.l
	a, u, e, s := ws.alpha, ws.u, ws.e, ws.s
	copy(a[:l], u[:l])
	for t := 1; t < n; t++ {
		prev := a[(t-1)*l : t*l]
		if ws.edgeAt(t) {
			// Exact log-sum-exp over trans + Δ_t.
			ws.setDense(t)
			cur, ut, dd := a[t*l:t*l+l], u[t*l:t*l+l], ws.dd
			for j := range cur {
				m := math.Inf(-1)
				for i, v := range prev {
					m = max(m, v+p.trans[i*l+j]+dd[i*l+j])
				}
				var z float64
				for i, v := range prev {
					z += math.Exp(v + p.trans[i*l+j] + dd[i*l+j] - m)
				}
				cur[j] = ut[j] + m + math.Log(z)
			}
			ws.clearDense(t)
			continue
		}
		ma := maxOf(prev)
		for i, v := range prev {
			e[i] = math.Exp(v - ma)
		}
		clear(s)
		for i, ei := range e {
			if ei == 0 {
				continue
			}
			row := ws.expT[i*l : i*l+l]
			for j, r := range row {
				s[j] += ei * r
			}
		}
		cur := a[t*l : t*l+l]
		ut := u[t*l : t*l+l]
		for j := range cur {
			if s[j] > tiny {
				cur[j] = ut[j] + ma + ws.maxT + math.Log(s[j])
			} else {
				m := math.Inf(-1)
				for i, v := range prev {
					m = max(m, v+p.trans[i*l+j])
				}
				var z float64
				for i, v := range prev {
					z += math.Exp(v + p.trans[i*l+j] - m)
				}
				cur[j] = ut[j] + m + math.Log(z)
			}
		}
	}
	return logSumExp(a[(n-1)*l : n*l])
}

// backward computes the log backward messages
//
//	β_T(i) = 0,  β_t(i) = log Σ_j exp(trans(i, j) + u_{t+1}(j) + β_{t+1}(j)),
//
// with the same scaling as forward.
func (ws *Workspace) backward(p *params, n int) {
	l := ws.l
	b, u, e := ws.beta, ws.u, ws.e
	clear(b[(n-1)*l : n*l])
	for t := n - 2; t >= 0; t-- {
		nb := b[(t+1)*l : (t+2)*l]
		nu := u[(t+1)*l : (t+2)*l]
		if ws.edgeAt(t + 1) {
			// Exact log-sum-exp over trans + Δ_{t+1}.
			ws.setDense(t + 1)
			cur, dd := b[t*l:t*l+l], ws.dd
			for i := range cur {
				m := math.Inf(-1)
				for j := range nb {
					m = max(m, p.trans[i*l+j]+dd[i*l+j]+nu[j]+nb[j])
				}
				var z float64
				for j := range nb {
					z += math.Exp(p.trans[i*l+j] + dd[i*l+j] + nu[j] + nb[j] - m)
				}
				cur[i] = m + math.Log(z)
			}
			ws.clearDense(t + 1)
			continue
		}
		mb := math.Inf(-1)
		for j := range nb {
			mb = max(mb, nb[j]+nu[j])
		}
		for j := range e {
			e[j] = math.Exp(nb[j] + nu[j] - mb)
		}
		cur := b[t*l : t*l+l]
		for i := range cur {
			row := ws.expT[i*l : i*l+l]
			var s float64
			for j, r := range row {
				s += r * e[j]
			}
			if s > tiny {
				cur[i] = mb + ws.maxT + math.Log(s)
			} else {
				m := math.Inf(-1)
				for j := range nb {
					m = max(m, p.trans[i*l+j]+nu[j]+nb[j])
				}
				var z float64
				for j := range nb {
					z += math.Exp(p.trans[i*l+j] + nu[j] + nb[j] - m)
				}
				cur[i] = m + math.Log(z)
			}
		}
	}
}

// viterbi writes the highest-scoring label sequence into ws.path[:n] and
// returns its score: δ_t(j) = u_t(j) + max_i (δ_{t−1}(i) + trans(i, j) + Δ_t(i, j)).
// Ties go to the smaller label index.
func (ws *Workspace) viterbi(p *params, n int) float64 {
	l := ws.l
	d, u, bp := ws.alpha, ws.u, ws.bp
	copy(d[:l], u[:l])
	for t := 1; t < n; t++ {
		prev := d[(t-1)*l : t*l]
		if ws.edgeAt(t) {
			ws.setDense(t)
			dd := ws.dd
			for j := 0; j < l; j++ {
				best, arg := math.Inf(-1), int32(0)
				for i, v := range prev {
					if s := v + p.trans[i*l+j] + dd[i*l+j]; s > best {
						best, arg = s, int32(i)
					}
				}
				d[t*l+j] = u[t*l+j] + best
				bp[t*l+j] = arg
			}
			ws.clearDense(t)
			continue
		}
		for j := 0; j < l; j++ {
			best, arg := math.Inf(-1), int32(0)
			for i, v := range prev {
				if s := v + p.trans[i*l+j]; s > best {
					best, arg = s, int32(i)
				}
			}
			d[t*l+j] = u[t*l+j] + best
			bp[t*l+j] = arg
		}
	}
	last := d[(n-1)*l : n*l]
	best, arg := math.Inf(-1), int32(0)
	for j, v := range last {
		if v > best {
			best, arg = v, int32(j)
		}
	}
	ws.path[n-1] = arg
	for t := n - 1; t > 0; t-- {
		arg = bp[t*l+int(arg)]
		ws.path[t-1] = arg
	}
	return best
}

// pairScale returns the factors of the pairwise marginals at position t ≥ 1:
//
//	ξ_t(i, j) = exp(α_{t−1}(i) + trans(i,j) + u_t(j) + β_t(j) − log Z)
//	          = e_i · expT_ij · s_j · c,
//
// with e and s written into ws.e and ws.s; ok is false when c would overflow
// (then the caller computes ξ exactly).
func (ws *Workspace) pairScale(t int, logZ float64) (c float64, ok bool) {
	l := ws.l
	prev := ws.alpha[(t-1)*l : t*l]
	ma := maxOf(prev)
	for i, v := range prev {
		ws.e[i] = math.Exp(v - ma)
	}
	nb := ws.beta[t*l : t*l+l]
	nu := ws.u[t*l : t*l+l]
	mb := math.Inf(-1)
	for j := range nb {
		mb = max(mb, nb[j]+nu[j])
	}
	for j := range nb {
		ws.s[j] = math.Exp(nb[j] + nu[j] - mb)
	}
	lc := ma + mb + ws.maxT - logZ
	if lc > 600 {
		return 0, false
	}
	return math.Exp(lc), true
}

func maxOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

func logSumExp(x []float64) float64 {
	m := maxOf(x)
	if math.IsInf(m, -1) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

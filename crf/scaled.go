package crf

import (
	"math"

	"github.com/ebm-go/ebm/internal/gemm"
)

// The fast path of forward-backward works with scaled probabilities instead
// of logarithms (Rabiner's scaling): with ũ_t(j) = exp(u_t(j) − μ_t),
// μ_t = max_j u_t(j), and Ẽ_ij = exp(trans_ij − max trans),
//
//	α̂_1(j) ∝ ũ_1(j),  α̂_t(j) ∝ ũ_t(j) Σ_i α̂_{t−1}(i) Ẽ_ij,  each row normalized by its sum c_t,
//	β̂_T(i) = 1,  β̂_t(i) = Σ_j Ẽ_ij ũ_{t+1}(j) β̂_{t+1}(j) / c_{t+1},
//	log Z = Σ_t (log c_t + μ_t) + (T−1)·max trans,
//	p(y_t = j) = α̂_t(j) β̂_t(j),  p(y_{t−1} = i, y_t = j) = α̂_{t−1}(i) Ẽ_ij ũ_t(j) β̂_t(j) / c_t.
//
// Normalizing every position keeps the recursion from underflowing on long
// sequences, and it needs L exponentials and one logarithm per token instead
// of several per label. When a normalizer or a message is not a normal
// positive finite number (transitions spread over hundreds of nats), the
// sequence is recomputed by the log-space recursions (forward, backward).
//
// At a position t with edge features the factor Ẽ_ij becomes
// exp(trans_ij + Δ_t(i, j) − max trans) for the pairs (i, j) with an edge
// feature: those entries of Ẽ are replaced for the position and restored
// afterwards (applyEdges), so the fixed matrix serves every other pair and
// the extra cost is one exponential per active edge feature, without the
// cancellation of adding a correction Ẽ_ij·(exp(Δ) − 1) to the unmodified sum.

// scaledForward runs the scaled forward pass; ok is false when the caller
// must use the log-space recursion.
func (ws *Workspace) scaledForward(p *params, n int) (logZ float64, ok bool) {
	l := ws.l
	need := n * l
	if cap(ws.eu) < need {
		ws.eu = make([]float64, need)
		ws.ah = make([]float64, need)
		ws.bh = make([]float64, need)
		ws.sb = make([]float64, need)
	}
	if cap(ws.c) < n {
		ws.c = make([]float64, n)
	}
	ws.eu, ws.ah, ws.bh, ws.sb, ws.c = ws.eu[:need], ws.ah[:need], ws.bh[:need], ws.sb[:need], ws.c[:n]
	u, eu, ah := ws.u, ws.eu, ws.ah
	ws.edgeFactors(p)
	for t := 0; t < n; t++ {
		ut := u[t*l : t*l+l]
		mu := maxOf(ut)
		logZ += mu
		et := eu[t*l : t*l+l]
		for j, v := range ut {
			et[j] = math.Exp(v - mu)
		}
	}
	copy(ah[:l], eu[:l])
	for t := 0; t < n; t++ {
		cur := ah[t*l : t*l+l]
		if t > 0 {
			prev := ah[(t-1)*l : t*l]
			et := eu[t*l : t*l+l]
			if ws.edgeAt(t) {
				// Σ_i α̂_{t−1}(i) Ẽ_ij with the position's factors.
				ws.applyEdges(t)
				gemm.Serial64(true, false, l, 1, l, 1, ws.expT, l, prev, 1, 0, cur, 1)
				ws.restoreEdges(t)
			} else {
				// The same as dot products with the rows of Ẽᵀ.
				gemm.Serial64(false, false, l, 1, l, 1, ws.expTT, l, prev, 1, 0, cur, 1)
			}
			for j := range cur {
				cur[j] *= et[j]
			}
		}
		var c float64
		for _, v := range cur {
			c += v
		}
		if !(c > tiny) || math.IsInf(c, 0) {
			return 0, false
		}
		inv := 1 / c
		for j := range cur {
			cur[j] *= inv
		}
		ws.c[t] = c
		logZ += math.Log(c)
	}
	return logZ + float64(n-1)*ws.maxT, true
}

// scaledBackward runs the scaled backward pass after scaledForward; ok is
// false when a message overflows.
func (ws *Workspace) scaledBackward(p *params, n int) bool {
	l := ws.l
	bh, eu, e := ws.bh, ws.eu, ws.e
	last := bh[(n-1)*l : n*l]
	for j := range last {
		last[j] = 1
	}
	for t := n - 2; t >= 0; t-- {
		nb := bh[(t+1)*l : (t+2)*l]
		ne := eu[(t+1)*l : (t+2)*l]
		inv := 1 / ws.c[t+1]
		for j := range e {
			e[j] = ne[j] * nb[j] * inv
		}
		cur := bh[t*l : t*l+l]
		edge := ws.edgeAt(t + 1)
		if edge {
			ws.applyEdges(t + 1)
		}
		gemm.Serial64(false, false, l, 1, l, 1, ws.expT, l, e, 1, 0, cur, 1)
		ok := true
		for _, s := range cur {
			if math.IsInf(s, 0) || math.IsNaN(s) {
				ok = false
				break
			}
		}
		if edge {
			ws.restoreEdges(t + 1)
		}
		if !ok {
			return false
		}
	}
	return true
}

// infer runs forward-backward on the unary scores in ws.u, by the scaled
// recursions when they are safe and in log space otherwise, and returns
// log Z. Afterwards gamma and addPairs give the marginals.
func (ws *Workspace) infer(p *params, n int) float64 {
	if lz, ok := ws.scaledForward(p, n); ok && ws.scaledBackward(p, n) {
		ws.scaled = true
		ws.logZ = lz
		return lz
	}
	ws.scaled = false
	ws.logZ = ws.forward(p, n)
	ws.backward(p, n)
	return ws.logZ
}

// gamma writes p(y_t = j | x) into dst (length L) after infer.
func (ws *Workspace) gamma(t int, dst []float64) {
	l := ws.l
	if ws.scaled {
		a, b := ws.ah[t*l:t*l+l], ws.bh[t*l:t*l+l]
		for j := range dst {
			dst[j] = a[j] * b[j]
		}
		return
	}
	for j := range dst {
		dst[j] = math.Exp(ws.alpha[t*l+j] + ws.beta[t*l+j] - ws.logZ)
	}
}

// addPairs adds scale·p(y_{t−1} = i, y_t = j | x) to gt[i·L+j] for t ≥ 1
// after infer. On the scaled path the sums Σ_t α̂_{t−1}(i)·ũ_t(j)β̂_t(j)/c_t
// are left to flushPairs, which forms them as one matrix product
// Âᵀ S (Â the rows α̂_{t−1}, S the rows s_t = scale·ũ_t β̂_t / c_t that addPairs
// stores) and adds them times Ẽ_ij to gt: call it after the last position,
// with the positions 1, 2, … given in order.
//
// At a position with edge features, the pair marginals ξ_t(k) of its edge
// pairs k are also written into ws.xi[k] (unscaled; other entries of ws.xi are
// left as they are). On the scaled path with every Δ_t(k) ≥ minSafeDelta the
// rank-one update is made as usual and the edge pairs get the correction
// α̂_{t−1}(i)·ũ_t(j)β̂_t(j)/c_t·(exp(trans_k + Δ_t(k) − max trans) − Ẽ_k):
// the subtracted term is at most ξ_t(k)·exp(−Δ_t(k)) ≤ e^5·ξ_t(k), so the
// cancellation costs at most a few ulps of 1. Otherwise every pair marginal of
// the position is computed directly (edgePairs).
func (ws *Workspace) addPairs(p *params, t int, gt []float64, scale float64) {
	l := ws.l
	edge := ws.edgeAt(t)
	if edge && !(ws.scaled && ws.edgeSafe(t)) {
		if ws.scaled {
			clear(ws.sb[t*l : t*l+l]) // not in the product
			ws.pairsTo = t
		}
		ws.edgePairs(p, t)
		for k, v := range ws.xi {
			gt[k] += scale * v
		}
		return
	}
	if !ws.scaled {
		ws.addPairLog(p, t, gt, scale)
		return
	}
	s := ws.sb[t*l : t*l+l]
	et, bt := ws.eu[t*l:t*l+l], ws.bh[t*l:t*l+l]
	inv := scale / ws.c[t]
	for j := range s {
		s[j] = et[j] * bt[j] * inv
	}
	ah := ws.ah[(t-1)*l : t*l]
	ws.pairsTo = t
	ws.pending = true
	if edge {
		invc := 1 / ws.c[t]
		for e := ws.eoff[t]; e < ws.eoff[t+1]; e++ {
			k := ws.epair[e]
			i, j := int(k)/l, int(k)%l
			x := ah[i] * (et[j] * bt[j] * invc) * ws.eexp[e]
			ws.xi[k] = x
			gt[k] += scale*x - ah[i]*s[j]*ws.expT[k]
		}
	}
}

// minSafeDelta is the smallest edge score Δ_t(k) for which addPairs corrects
// the rank-one update of the scaled path instead of computing the position's
// pair marginals directly.
const minSafeDelta = -5

// edgeSafe reports whether every Δ_t(k) of position t is ≥ minSafeDelta.
func (ws *Workspace) edgeSafe(t int) bool {
	for _, d := range ws.edelta[ws.eoff[t]:ws.eoff[t+1]] {
		if d < minSafeDelta {
			return false
		}
	}
	return true
}

// flushPairs adds the pair sums of the positions given to addPairs, times Ẽ,
// to gt.
func (ws *Workspace) flushPairs(gt []float64) {
	if !ws.pending {
		return
	}
	l, k := ws.l, ws.pairsTo
	if len(ws.pacc) != l*l {
		ws.pacc = make([]float64, l*l)
	}
	gemm.Serial64(true, false, l, l, k, 1, ws.ah[:k*l], l, ws.sb[l:(k+1)*l], l, 0, ws.pacc, l)
	for i, v := range ws.pacc {
		gt[i] += v * ws.expT[i]
	}
	ws.pending, ws.pairsTo = false, 0
}

// edgePairs writes the pair marginals ξ_t(i, j) = p(y_{t−1} = i, y_t = j | x)
// of a position t ≥ 1 with edge features into ws.xi (L×L), after infer:
// α̂_{t−1}(i)·Ẽ_ij·ũ_t(j)β̂_t(j)/c_t with Ẽ of the position (applyEdges) on the
// scaled path, exp(α_{t−1}(i) + trans_ij + Δ_t(i, j) + u_t(j) + β_t(j) − log Z)
// in log space.
func (ws *Workspace) edgePairs(p *params, t int) {
	l := ws.l
	xi := ws.xi
	if ws.scaled {
		s := ws.s
		et, bt := ws.eu[t*l:t*l+l], ws.bh[t*l:t*l+l]
		inv := 1 / ws.c[t]
		for j := range s {
			s[j] = et[j] * bt[j] * inv
		}
		ws.applyEdges(t)
		for i, a := range ws.ah[(t-1)*l : t*l] {
			row, xr := ws.expT[i*l:i*l+l], xi[i*l:i*l+l]
			for j, r := range row {
				xr[j] = a * r * s[j]
			}
		}
		ws.restoreEdges(t)
		return
	}
	ws.setDense(t)
	prev, nu, nb := ws.alpha[(t-1)*l:t*l], ws.u[t*l:t*l+l], ws.beta[t*l:t*l+l]
	for i, a := range prev {
		for j := range nu {
			k := i*l + j
			xi[k] = math.Exp(a + p.trans[k] + ws.dd[k] + nu[j] + nb[j] - ws.logZ)
		}
	}
	ws.clearDense(t)
}

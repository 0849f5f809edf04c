package crf

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomModel returns a model with l labels and na attributes, every
// attribute paired with every label, and weights drawn from N(0, scale²).
func randomModel(rng *rand.Rand, l, na int, scale float64) *Model {
	m := &Model{Columns: 1, Templates: DefaultTemplates()}
	for y := 0; y < l; y++ {
		m.Labels = append(m.Labels, string(rune('A'+y)))
	}
	m.AttrOff = make([]int32, na+1)
	for a := 0; a < na; a++ {
		m.Attrs = append(m.Attrs, "a"+string(rune('0'+a)))
		for y := 0; y < l; y++ {
			m.FeatLabel = append(m.FeatLabel, int32(y))
		}
		m.AttrOff[a+1] = int32(len(m.FeatLabel))
	}
	m.labelIndex, m.attrIndex = indexOf(m.Labels), indexOf(m.Attrs)
	m.W = make([]float64, m.NumWeights())
	for i := range m.W {
		m.W[i] = scale * rng.NormFloat64()
	}
	return m
}

// randomSequence draws n tokens with 1-3 distinct attributes each and random gold labels.
func randomSequence(rng *rand.Rand, m *Model, n int) Sequence {
	q := Sequence{Off: []int32{0}}
	for t := 0; t < n; t++ {
		k := 1 + rng.IntN(3)
		perm := rng.Perm(len(m.Attrs))[:min(k, len(m.Attrs))]
		for _, a := range perm {
			q.Attr = append(q.Attr, int32(a))
		}
		q.Off = append(q.Off, int32(len(q.Attr)))
		q.Y = append(q.Y, int32(rng.IntN(len(m.Labels))))
	}
	return q
}

// enumerate calls fn for every label sequence of length n over l labels.
func enumerate(n, l int, fn func(y []int32)) {
	y := make([]int32, n)
	for {
		fn(y)
		i := n - 1
		for i >= 0 && int(y[i]) == l-1 {
			y[i] = 0
			i--
		}
		if i < 0 {
			return
		}
		y[i]++
	}
}

type bruteResult struct {
	logZ     float64
	marg     []float64 // n×l
	pair     []float64 // l×l, summed over t ≥ 1
	best     []int32
	bestScor float64
}

func brute(m *Model, q *Sequence) bruteResult {
	n, l := q.Len(), len(m.Labels)
	var scores []float64
	var ys [][]int32
	r := bruteResult{bestScor: math.Inf(-1)}
	enumerate(n, l, func(y []int32) {
		s := m.Score(q, y)
		scores = append(scores, s)
		ys = append(ys, append([]int32(nil), y...))
		if s > r.bestScor {
			r.bestScor, r.best = s, append([]int32(nil), y...)
		}
	})
	r.logZ = logSumExp(scores)
	r.marg = make([]float64, n*l)
	r.pair = make([]float64, l*l)
	for k, y := range ys {
		p := math.Exp(scores[k] - r.logZ)
		for t := range y {
			r.marg[t*l+int(y[t])] += p
			if t > 0 {
				r.pair[int(y[t-1])*l+int(y[t])] += p
			}
		}
	}
	return r
}

func TestInferenceMatchesEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ws := NewWorkspace(4)
	for trial := 0; trial < 60; trial++ {
		l := 1 + trial%4
		n := 1 + (trial/4)%6
		m := randomModel(rng, l, 5, 1.5)
		if ws.l != l {
			ws = NewWorkspace(l)
		}
		q := randomSequence(rng, m, n)
		want := brute(m, &q)
		if got := m.LogZ(ws, &q); math.Abs(got-want.logZ) > 1e-10 {
			t.Fatalf("L=%d T=%d: log Z %.15g, enumeration %.15g", l, n, got, want.logZ)
		}
		marg, lz := m.Marginals(ws, &q, nil)
		if math.Abs(lz-want.logZ) > 1e-10 {
			t.Fatalf("Marginals log Z %.15g, want %.15g", lz, want.logZ)
		}
		for i := range marg {
			if math.Abs(marg[i]-want.marg[i]) > 1e-10 {
				t.Fatalf("L=%d T=%d: marginal[%d] = %.15g, enumeration %.15g", l, n, i, marg[i], want.marg[i])
			}
		}
		// Pairwise marginals, as the gradient uses them.
		p := m.view(m.W)
		ws.setTrans(&p)
		ws.unary(m, &p, &q)
		ws.infer(&p, n)
		pair := make([]float64, l*l)
		for tt := 1; tt < n; tt++ {
			ws.addPairs(&p, tt, pair, 1)
		}
		ws.flushPairs(pair)
		for i := range pair {
			if math.Abs(pair[i]-want.pair[i]) > 1e-10 {
				t.Fatalf("L=%d T=%d: pair marginal[%d] = %.15g, enumeration %.15g", l, n, i, pair[i], want.pair[i])
			}
		}
		// The log-space recursions (the fallback of the scaled ones).
		ws.logZ = ws.forward(&p, n)
		ws.backward(&p, n)
		ws.scaled = false
		if math.Abs(ws.logZ-want.logZ) > 1e-10 {
			t.Fatalf("log-space log Z %.15g, enumeration %.15g", ws.logZ, want.logZ)
		}
		clear(pair)
		gam := make([]float64, l)
		for tt := 0; tt < n; tt++ {
			ws.gamma(tt, gam)
			for j := range gam {
				if math.Abs(gam[j]-want.marg[tt*l+j]) > 1e-10 {
					t.Fatalf("log-space marginal %.15g, enumeration %.15g", gam[j], want.marg[tt*l+j])
				}
			}
			if tt > 0 {
				ws.addPairs(&p, tt, pair, 1)
			}
		}
		for i := range pair {
			if math.Abs(pair[i]-want.pair[i]) > 1e-10 {
				t.Fatalf("log-space pair marginal[%d] = %.15g, enumeration %.15g", i, pair[i], want.pair[i])
			}
		}
		path, s := m.Viterbi(ws, &q, nil)
		if math.Abs(s-want.bestScor) > 1e-10 {
			t.Fatalf("Viterbi score %.15g, enumeration %.15g", s, want.bestScor)
		}
		for i := range path {
			if path[i] != want.best[i] {
				t.Fatalf("Viterbi path %v, enumeration %v", path, want.best)
			}
		}
	}
}

// TestLongSequenceNoUnderflow checks log Z on a chain so long that
// probabilities underflow: with identical tokens and zero transitions,
// log Z = T·log Σ_j exp(u_j) exactly.
func TestLongSequenceNoUnderflow(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := randomModel(rng, 4, 1, 30)
	f := m.NumFeatures()
	clear(m.W[f:])
	n := 5000
	q := Sequence{Off: make([]int32, n+1), Attr: make([]int32, n), Y: make([]int32, n)}
	for i := range q.Off {
		q.Off[i] = int32(i)
	}
	want := float64(n) * logSumExp(m.W[:4])
	got := m.LogZ(nil, &q)
	if math.IsNaN(got) || math.Abs(got-want) > 1e-9*math.Abs(want) {
		t.Fatalf("log Z = %v, want %v", got, want)
	}
	marg, _ := m.Marginals(nil, &q, nil)
	for i, v := range marg {
		if math.IsNaN(v) || v < 0 || v > 1+1e-12 {
			t.Fatalf("marginal %d = %v", i, v)
		}
	}
}

// TestExtremeTransitions exercises the exact fallbacks of the scaled recursions:
// transitions spread over thousands of nats.
func TestExtremeTransitions(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	fallbacks := 0
	defer func() {
		if fallbacks == 0 {
			t.Error("no trial used the log-space fallback")
		}
	}()
	for trial := 0; trial < 20; trial++ {
		m := randomModel(rng, 3, 4, 1)
		f := m.NumFeatures()
		for i := f; i < f+9; i++ {
			m.W[i] = 1000 * rng.NormFloat64()
		}
		q := randomSequence(rng, m, 5)
		want := brute(m, &q)
		got := m.LogZ(nil, &q)
		if math.Abs(got-want.logZ) > 1e-10*math.Max(1, math.Abs(want.logZ)) {
			t.Fatalf("log Z %.15g, enumeration %.15g", got, want.logZ)
		}
		ws := NewWorkspace(3)
		marg, _ := m.Marginals(ws, &q, nil)
		if !ws.scaled {
			fallbacks++
		}
		for i := range marg {
			if math.Abs(marg[i]-want.marg[i]) > 1e-10 {
				t.Fatalf("marginal[%d] = %.15g, enumeration %.15g", i, marg[i], want.marg[i])
			}
		}
	}
}

// TestGradientFiniteDifference checks ∇f of the penalized negative
// log-likelihood against central differences.
func TestGradientFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m := randomModel(rng, 3, 6, 0.7)
	qs := make([]Sequence, 11)
	for i := range qs {
		qs[i] = randomSequence(rng, m, 1+rng.IntN(6))
	}
	checkGradientFD(t, m, qs)
}

// checkGradientFD compares the gradient of the penalized negative
// log-likelihood (c2 = 0.3) of m on qs with central differences, for every
// weight.
func checkGradientFD(t *testing.T, m *Model, qs []Sequence) {
	t.Helper()
	o := newObjective(m, qs, 0.3, 2)
	w := append([]float64(nil), m.W...)
	g := make([]float64, len(w))
	o.eval(w, g)
	scratch := make([]float64, len(w))
	const h = 1e-5
	for i := range w {
		w0 := w[i]
		w[i] = w0 + h
		fp := o.eval(w, scratch)
		w[i] = w0 - h
		fm := o.eval(w, scratch)
		w[i] = w0
		fd := (fp - fm) / (2 * h)
		if math.Abs(fd-g[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
			t.Fatalf("weight %d of %d (edge weights from %d): gradient %.10g, finite difference %.10g", i, len(w), m.edgeBase(), g[i], fd)
		}
	}
}

// TestInnerLoopsDoNotAllocate checks the per-sequence work of training and
// decoding once the workspace has grown.
func TestInnerLoopsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	m := randomModel(rng, 4, 6, 1)
	q := randomSequence(rng, m, 12)
	ws := NewWorkspace(4)
	p := m.view(m.W)
	ws.setTrans(&p)
	g := make([]float64, m.NumWeights())
	path := make([]int32, 0, 12)
	m.nllGrad(ws, &p, &q, g)
	if a := testing.AllocsPerRun(50, func() { m.nllGrad(ws, &p, &q, g) }); a != 0 {
		t.Errorf("gradient of one sequence: %v allocations", a)
	}
	if a := testing.AllocsPerRun(50, func() { path, _ = m.Viterbi(ws, &q, path) }); a != 0 {
		t.Errorf("Viterbi: %v allocations", a)
	}
	// With edge features.
	addRandomEdges(rng, m, 3, 1)
	addRandomEdgeAttrs(rng, m, &q)
	p = m.view(m.W)
	ws.setTrans(&p)
	g = make([]float64, m.NumWeights())
	m.nllGrad(ws, &p, &q, g)
	if a := testing.AllocsPerRun(50, func() { m.nllGrad(ws, &p, &q, g) }); a != 0 {
		t.Errorf("gradient of one sequence with edge features: %v allocations", a)
	}
	if a := testing.AllocsPerRun(50, func() { path, _ = m.Viterbi(ws, &q, path) }); a != 0 {
		t.Errorf("Viterbi with edge features: %v allocations", a)
	}
}

// addRandomEdges gives m ne edge attributes, each with a random nonempty
// subset of the L² label pairs as edge features, with weights drawn from
// N(0, scale²), and returns m.
func addRandomEdges(rng *rand.Rand, m *Model, ne int, scale float64) *Model {
	l := len(m.Labels)
	m.EdgeAttrs, m.EdgeOff, m.EdgePair = nil, []int32{0}, nil
	for a := 0; a < ne; a++ {
		m.EdgeAttrs = append(m.EdgeAttrs, "e"+string(rune('0'+a)))
		for k := 0; k < l*l; k++ {
			if rng.IntN(2) == 0 || k == a%(l*l) {
				m.EdgePair = append(m.EdgePair, int32(k))
			}
		}
		m.EdgeOff = append(m.EdgeOff, int32(len(m.EdgePair)))
	}
	m.edgeIndex = indexOf(m.EdgeAttrs)
	for range m.EdgePair {
		m.W = append(m.W, scale*rng.NormFloat64())
	}
	return m
}

// addRandomEdgeAttrs gives every token t ≥ 1 of q 0–2 distinct edge
// attributes of m.
func addRandomEdgeAttrs(rng *rand.Rand, m *Model, q *Sequence) {
	n := q.Len()
	q.EOff, q.EAttr = make([]int32, n+1), nil
	for t := 1; t < n; t++ {
		for _, a := range rng.Perm(len(m.EdgeAttrs))[:rng.IntN(min(3, len(m.EdgeAttrs)+1))] {
			q.EAttr = append(q.EAttr, int32(a))
		}
		q.EOff[t+1] = int32(len(q.EAttr))
	}
}

// bruteEdge returns, for each edge feature k, E_p[f_k] by enumeration.
func bruteEdge(m *Model, q *Sequence, logZ float64) []float64 {
	n, l := q.Len(), len(m.Labels)
	out := make([]float64, len(m.EdgePair))
	enumerate(n, l, func(y []int32) {
		p := math.Exp(m.Score(q, y) - logZ)
		for t := 1; t < n; t++ {
			for _, a := range q.EAttr[q.EOff[t]:q.EOff[t+1]] {
				if k := m.edgeFeature(a, y[t-1]*int32(l)+y[t]); k >= 0 {
					out[k] += p
				}
			}
		}
	})
	return out
}

// TestEdgeInferenceMatchesEnumeration checks log Z, the marginals, the pair
// marginals, the expected edge feature counts (as the gradient uses them)
// and Viterbi of models with edge features against enumeration, on the
// scaled recursions and the log-space ones, with weights from moderate to
// large enough (scale 300) that the scaled recursions fall back to log space.
func TestEdgeInferenceMatchesEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	fallbacks, scaled, safe, dense := 0, 0, 0, 0
	for trial := 0; trial < 120; trial++ {
		l := 1 + trial%4
		n := 1 + (trial/4)%6
		es := []float64{0.5, 2, 300}[trial%3]
		m := addRandomEdges(rng, randomModel(rng, l, 5, 1.5), 4, es)
		ws := NewWorkspace(l)
		q := randomSequence(rng, m, n)
		addRandomEdgeAttrs(rng, m, &q)
		want := brute(m, &q)
		tol := 1e-10 * math.Max(1, math.Abs(want.logZ))
		if got := m.LogZ(ws, &q); math.Abs(got-want.logZ) > tol {
			t.Fatalf("trial %d L=%d T=%d: log Z %.15g, enumeration %.15g", trial, l, n, got, want.logZ)
		}
		marg, lz := m.Marginals(ws, &q, nil)
		if math.Abs(lz-want.logZ) > tol {
			t.Fatalf("trial %d: Marginals log Z %.15g, want %.15g", trial, lz, want.logZ)
		}
		for i := range marg {
			if math.Abs(marg[i]-want.marg[i]) > 1e-10 {
				t.Fatalf("trial %d L=%d T=%d: marginal[%d] = %.15g, enumeration %.15g", trial, l, n, i, marg[i], want.marg[i])
			}
		}
		if ws.scaled {
			scaled++
		} else {
			fallbacks++
		}
		wantEdge := bruteEdge(m, &q, want.logZ)
		p := m.view(m.W)
		ws.setTrans(&p)
		ws.unary(m, &p, &q)
		for pass := 0; pass < 2; pass++ {
			if pass == 0 {
				ws.infer(&p, n)
			} else {
				// The log-space recursions (the fallback of the scaled ones).
				ws.logZ = ws.forward(&p, n)
				ws.backward(&p, n)
				ws.scaled = false
				if math.Abs(ws.logZ-want.logZ) > tol {
					t.Fatalf("trial %d: log-space log Z %.15g, enumeration %.15g", trial, ws.logZ, want.logZ)
				}
				gam := make([]float64, l)
				for tt := 0; tt < n; tt++ {
					ws.gamma(tt, gam)
					for j := range gam {
						if math.Abs(gam[j]-want.marg[tt*l+j]) > 1e-10 {
							t.Fatalf("trial %d: log-space marginal %.15g, enumeration %.15g", trial, gam[j], want.marg[tt*l+j])
						}
					}
				}
			}
			pair := make([]float64, l*l)
			edge := make([]float64, len(m.EdgePair))
			for tt := 1; tt < n; tt++ {
				ws.addPairs(&p, tt, pair, 1)
				if ws.edgeAt(tt) {
					if pass == 0 && ws.scaled && ws.edgeSafe(tt) {
						safe++
					} else if pass == 0 && ws.scaled {
						dense++
					}
					for _, a := range q.EAttr[q.EOff[tt]:q.EOff[tt+1]] {
						for k := m.EdgeOff[a]; k < m.EdgeOff[a+1]; k++ {
							edge[k] += ws.xi[m.EdgePair[k]]
						}
					}
				}
			}
			ws.flushPairs(pair)
			for i := range pair {
				if math.Abs(pair[i]-want.pair[i]) > 1e-10 {
					t.Fatalf("trial %d pass %d: pair marginal[%d] = %.15g, enumeration %.15g", trial, pass, i, pair[i], want.pair[i])
				}
			}
			for i := range edge {
				if math.Abs(edge[i]-wantEdge[i]) > 1e-10 {
					t.Fatalf("trial %d pass %d: expected edge count[%d] = %.15g, enumeration %.15g", trial, pass, i, edge[i], wantEdge[i])
				}
			}
		}
		path, s := m.Viterbi(ws, &q, nil)
		if math.Abs(s-want.bestScor) > tol {
			t.Fatalf("trial %d: Viterbi score %.15g, enumeration %.15g", trial, s, want.bestScor)
		}
		if math.Abs(m.Score(&q, path)-want.bestScor) > tol {
			t.Fatalf("trial %d: Viterbi path %v scores %.15g, enumeration best %v %.15g", trial, path, m.Score(&q, path), want.best, want.bestScor)
		}
	}
	if fallbacks == 0 || scaled == 0 || safe == 0 || dense == 0 {
		t.Errorf("%d trials on the scaled recursions (positions: %d with corrected rank-one pair updates, %d direct), %d on the log-space fallback: want all",
			scaled, safe, dense, fallbacks)
	}
}

// TestEdgeGradientFiniteDifference checks ∇f with edge features (every
// weight: state, transitions, start, end, edges) against central differences.
func TestEdgeGradientFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	m := addRandomEdges(rng, randomModel(rng, 3, 4, 0.7), 3, 0.7)
	qs := make([]Sequence, 11)
	for i := range qs {
		qs[i] = randomSequence(rng, m, 1+rng.IntN(6))
		addRandomEdgeAttrs(rng, m, &qs[i])
	}
	checkGradientFD(t, m, qs)
}

// TestEdgeAddDiff checks the online learners' update against the feature
// vectors: Score is linear in W, so f_k(x, y) = Score with W = e_k, and
// addDiff must add rate·(f(x, y) − f(x, ŷ)) to W.
func TestEdgeAddDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for trial := 0; trial < 20; trial++ {
		m := addRandomEdges(rng, randomModel(rng, 3, 4, 1), 3, 1)
		q := randomSequence(rng, m, 2+rng.IntN(5))
		addRandomEdgeAttrs(rng, m, &q)
		y, yh := q.Y, make([]int32, q.Len())
		for i := range yh {
			yh[i] = int32(rng.IntN(3))
		}
		w0 := append([]float64(nil), m.W...)
		av := newAveraged(w0)
		const rate = 0.25
		m.addDiff(av, &q, y, yh, rate)
		for k := range m.W {
			clear(m.W)
			m.W[k] = 1
			want := w0[k] + rate*(m.Score(&q, y)-m.Score(&q, yh))
			if math.Abs(av.v[k]-want) > 1e-12 {
				t.Fatalf("trial %d weight %d (edge weights from %d): %v after the update, want %v", trial, k, m.edgeBase(), av.v[k], want)
			}
		}
	}
}

// TestScaledMatchesLogSpaceManyLabels compares the scaled recursions (whose
// products run on the matrix–vector kernels from 8 labels on) with the
// log-space ones at label counts too large to enumerate: log Z, the
// marginals and the pair sums, with and without edge features.
func TestScaledMatchesLogSpaceManyLabels(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, l := range []int{9, 46, 133} {
		for _, n := range []int{1, 2, 25} {
			for _, edges := range []bool{false, true} {
				m := randomModel(rng, l, 8, 0.5)
				if edges {
					m = addRandomEdges(rng, m, 4, 0.5)
				}
				q := randomSequence(rng, m, n)
				if edges {
					addRandomEdgeAttrs(rng, m, &q)
				}
				ws := NewWorkspace(l)
				p := m.view(m.W)
				ws.setTrans(&p)
				ws.unary(m, &p, &q)
				lz := ws.infer(&p, n)
				if !ws.scaled {
					t.Fatalf("L=%d T=%d: scaled recursions not used", l, n)
				}
				got := make([]float64, n*l)
				for tt := 0; tt < n; tt++ {
					ws.gamma(tt, got[tt*l:tt*l+l])
				}
				pair := make([]float64, l*l)
				for tt := 1; tt < n; tt++ {
					ws.addPairs(&p, tt, pair, 1)
				}
				ws.flushPairs(pair)
				ws.logZ = ws.forward(&p, n)
				ws.backward(&p, n)
				ws.scaled = false
				if math.Abs(lz-ws.logZ) > 1e-12*math.Max(1, math.Abs(lz)) {
					t.Fatalf("L=%d T=%d edges %v: log Z %.15g scaled, %.15g in log space", l, n, edges, lz, ws.logZ)
				}
				gam := make([]float64, l)
				for tt := 0; tt < n; tt++ {
					ws.gamma(tt, gam)
					for j, v := range gam {
						if math.Abs(got[tt*l+j]-v) > 1e-12 {
							t.Fatalf("L=%d T=%d edges %v: marginal (%d, %d) %.15g scaled, %.15g in log space", l, n, edges, tt, j, got[tt*l+j], v)
						}
					}
				}
				want := make([]float64, l*l)
				for tt := 1; tt < n; tt++ {
					ws.addPairs(&p, tt, want, 1)
				}
				for k, v := range want {
					if math.Abs(pair[k]-v) > 1e-11 {
						t.Fatalf("L=%d T=%d edges %v: pair sum %d %.15g scaled, %.15g in log space", l, n, edges, k, pair[k], v)
					}
				}
			}
		}
	}
}

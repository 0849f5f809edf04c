package crf

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// Model is a linear-chain CRF (or structured SVM; the scoring is the same)
// over sparse attribute-label features. Its weight vector W holds, in order,
// the state weights (one per feature, a pair of an attribute and a label seen
// together in training), the transitions trans[i·L+j] from label i to label j,
// the start and end weights of each label, and the edge weights (one per edge
// feature, a triple of an edge attribute and a label pair (i, j) seen together
// in training); see the package comment for the energy E(x, y) = −score(x, y).
type Model struct {
	Labels    []string  // label names, index = label id
	Attrs     []string  // attribute names, index = attribute id
	Templates Templates // how attributes are extracted
	Columns   int       // number of input columns per token

	// AttrOff[a] … AttrOff[a+1] are the features of attribute a;
	// FeatLabel[k] is the label of feature k.
	AttrOff   []int32
	FeatLabel []int32
	W         []float64

	// EdgeAttrs are the edge attribute names (see Templates.EdgeAttributes);
	// EdgeOff[a] … EdgeOff[a+1] are the edge features of edge attribute a
	// and EdgePair[k] = i·L + j is the label pair of edge feature k, sorted
	// within each attribute. Empty when the model has no edge features.
	EdgeAttrs []string
	EdgeOff   []int32
	EdgePair  []int32

	attrIndex  map[string]int32
	labelIndex map[string]int32
	edgeIndex  map[string]int32
	edgeTpl    []edgeTemplate
}

// Sequence is a sentence encoded for a model: the attribute ids of token t
// are Attr[Off[t]:Off[t+1]] (attributes the model does not know are dropped)
// and Y[t] is the gold label id, or −1 when the label is unknown to the model
// or absent. The edge attribute ids of token t ≥ 1 are EAttr[EOff[t]:EOff[t+1]]
// (EOff is nil when the model has no edge features).
type Sequence struct {
	Off  []int32
	Attr []int32
	Y    []int32

	EOff  []int32
	EAttr []int32
}

// Len returns the number of tokens.
func (q *Sequence) Len() int { return len(q.Off) - 1 }

// NumLabels returns L.
func (m *Model) NumLabels() int { return len(m.Labels) }

// NumFeatures returns the number of attribute-label state features.
func (m *Model) NumFeatures() int { return len(m.FeatLabel) }

// NumEdgeFeatures returns the number of edge-attribute-label-pair features.
func (m *Model) NumEdgeFeatures() int { return len(m.EdgePair) }

// NumWeights returns len(W) = features + L² + 2L + edge features.
func (m *Model) NumWeights() int {
	l := len(m.Labels)
	return len(m.FeatLabel) + l*l + 2*l + len(m.EdgePair)
}

// edgeBase returns the index in W of the first edge weight.
func (m *Model) edgeBase() int { l := len(m.Labels); return len(m.FeatLabel) + l*l + 2*l }

func (m *Model) view(w []float64) params {
	f, l := len(m.FeatLabel), len(m.Labels)
	e := f + l*l + 2*l
	return params{state: w[:f], scale: 1, trans: w[f : f+l*l], start: w[f+l*l : f+l*l+l], end: w[f+l*l+l : e],
		edge: w[e : e+len(m.EdgePair)]}
}

// BuildOptions configure the feature set built from training data.
type BuildOptions struct {
	Templates Templates `json:"templates"`
	// MinCount drops attributes seen on fewer tokens (default 1: keep all).
	MinCount int `json:"min_count"`
	// AllPairs pairs every kept attribute with every label, so the model
	// can also learn negative weights for pairs never seen in training;
	// by default only the pairs seen in training are features.
	AllPairs bool `json:"all_pairs,omitempty"`
	// EdgeMinCount keeps only the edge features (edge attribute, label
	// pair) seen at least this many times in training (default 1: keep all
	// seen). Edge templates are Templates.Edge.
	EdgeMinCount int `json:"edge_min_count,omitempty"`
}

// Build makes an untrained model (all weights zero) for labelled sentences:
// the label set, the attribute vocabulary (attributes seen on at least
// MinCount tokens, sorted by name) and the features (each attribute paired
// with each label it was seen with). All sentences must have the same number
// of input columns.
func Build(sents []Sentence, opt BuildOptions) (*Model, error) {
	if err := opt.Templates.Validate(); err != nil {
		return nil, err
	}
	if len(sents) == 0 {
		return nil, errors.New("crf: no training sentences")
	}
	cols := len(sents[0].Tokens[0])
	labelSet := map[string]bool{}
	for i := range sents {
		s := &sents[i]
		if s.Labels == nil {
			return nil, fmt.Errorf("crf: sentence %d (line %d) has no labels", i+1, s.Line)
		}
		for _, tok := range s.Tokens {
			if len(tok) != cols {
				return nil, fmt.Errorf("crf: sentence %d (line %d) has %d input columns, the first has %d", i+1, s.Line, len(tok), cols)
			}
		}
		for _, y := range s.Labels {
			labelSet[y] = true
		}
	}
	labels := make([]string, 0, len(labelSet))
	for y := range labelSet {
		labels = append(labels, y)
	}
	sort.Strings(labels)
	m := &Model{Labels: labels, Templates: opt.Templates, Columns: cols}
	m.labelIndex = indexOf(labels)

	counts := map[string]int{}
	var buf []byte
	for i := range sents {
		for t := range sents[i].Tokens {
			buf = opt.Templates.Attributes(sents[i].Tokens, t, buf, func(b []byte) {
				if c, ok := counts[string(b)]; ok {
					counts[string(b)] = c + 1
				} else {
					counts[string(b)] = 1
				}
			})
		}
	}
	minc := max(opt.MinCount, 1)
	for a, c := range counts {
		if c >= minc {
			m.Attrs = append(m.Attrs, a)
		}
	}
	sort.Strings(m.Attrs)
	m.attrIndex = indexOf(m.Attrs)

	// Features: the (attribute, label) pairs seen in training.
	seen := make([][]int32, len(m.Attrs))
	l := int32(len(labels))
	pairs := map[int64]bool{}
	for i := range sents {
		s := &sents[i]
		for t := range s.Tokens {
			y := m.labelIndex[s.Labels[t]]
			buf = opt.Templates.Attributes(s.Tokens, t, buf, func(b []byte) {
				a, ok := m.attrIndex[string(b)]
				if !ok {
					return
				}
				key := int64(a)*int64(l) + int64(y)
				if !pairs[key] {
					pairs[key] = true
					seen[a] = append(seen[a], y)
				}
			})
		}
	}
	if opt.AllPairs {
		all := make([]int32, l)
		for y := range all {
			all[y] = int32(y)
		}
		for a := range seen {
			seen[a] = all
		}
	}
	m.AttrOff = make([]int32, len(m.Attrs)+1)
	for a, ys := range seen {
		slices.Sort(ys)
		m.AttrOff[a+1] = m.AttrOff[a] + int32(len(ys))
		m.FeatLabel = append(m.FeatLabel, ys...)
	}
	if len(m.FeatLabel) > math.MaxInt32-int(l)*int(l) {
		return nil, fmt.Errorf("crf: %d features is too many (raise the minimum count)", len(m.FeatLabel))
	}
	if err := m.buildEdges(sents, opt); err != nil {
		return nil, err
	}
	m.W = make([]float64, m.NumWeights())
	return m, nil
}

// buildEdges makes the edge features: the (edge attribute, y_{t−1}, y_t)
// triples seen at least EdgeMinCount times at positions t ≥ 1 of the
// training sentences. Edge attributes are those with at least one kept
// triple, sorted by name.
func (m *Model) buildEdges(sents []Sentence, opt BuildOptions) error {
	ets, err := parseEdge(opt.Templates.Edge)
	if err != nil {
		return err
	}
	m.edgeTpl = ets
	m.edgeIndex = map[string]int32{}
	if len(ets) == 0 {
		return nil
	}
	l := int32(len(m.Labels))
	type key struct {
		attr string
		pair int32
	}
	counts := map[key]int{}
	var buf []byte
	for i := range sents {
		s := &sents[i]
		for t := 1; t < len(s.Tokens); t++ {
			pair := m.labelIndex[s.Labels[t-1]]*l + m.labelIndex[s.Labels[t]]
			buf = appendEdge(ets, s.Tokens, t, buf, func(b []byte) {
				counts[key{string(b), pair}]++
			})
		}
	}
	minc := max(opt.EdgeMinCount, 1)
	byAttr := map[string][]int32{}
	for k, c := range counts {
		if c >= minc {
			byAttr[k.attr] = append(byAttr[k.attr], k.pair)
		}
	}
	for a := range byAttr {
		m.EdgeAttrs = append(m.EdgeAttrs, a)
	}
	sort.Strings(m.EdgeAttrs)
	m.edgeIndex = indexOf(m.EdgeAttrs)
	m.EdgeOff = make([]int32, len(m.EdgeAttrs)+1)
	for a, name := range m.EdgeAttrs {
		ps := byAttr[name]
		slices.Sort(ps)
		m.EdgePair = append(m.EdgePair, ps...)
		m.EdgeOff[a+1] = int32(len(m.EdgePair))
	}
	if len(m.FeatLabel)+len(m.EdgePair) > math.MaxInt32-int(l)*int(l)-2*int(l) {
		return fmt.Errorf("crf: %d features and %d edge features is too many (raise the minimum counts)", len(m.FeatLabel), len(m.EdgePair))
	}
	return nil
}

func indexOf(names []string) map[string]int32 {
	idx := make(map[string]int32, len(names))
	for i, s := range names {
		idx[s] = int32(i)
	}
	return idx
}

// LabelID returns the id of a label name, or −1 if the model does not know it.
func (m *Model) LabelID(y string) int {
	if i, ok := m.labelIndex[y]; ok {
		return int(i)
	}
	return -1
}

// Encode extracts the attributes of every token of s once, keeping those
// the model knows. Gold labels the model does not know become −1.
func (m *Model) Encode(s *Sentence) Sequence {
	n := len(s.Tokens)
	q := Sequence{Off: make([]int32, n+1), Y: make([]int32, n)}
	var buf []byte
	for t := 0; t < n; t++ {
		buf = m.Templates.Attributes(s.Tokens, t, buf, func(b []byte) {
			if a, ok := m.attrIndex[string(b)]; ok {
				q.Attr = append(q.Attr, a)
			}
		})
		q.Off[t+1] = int32(len(q.Attr))
		if len(m.EdgePair) > 0 {
			if t == 0 {
				q.EOff = make([]int32, n+1)
			} else {
				buf = appendEdge(m.edgeTpl, s.Tokens, t, buf, func(b []byte) {
					if a, ok := m.edgeIndex[string(b)]; ok {
						q.EAttr = append(q.EAttr, a)
					}
				})
			}
			q.EOff[t+1] = int32(len(q.EAttr))
		}
		q.Y[t] = -1
		if s.Labels != nil {
			if y, ok := m.labelIndex[s.Labels[t]]; ok {
				q.Y[t] = y
			}
		}
	}
	return q
}

// EncodeAll encodes sentences (see Encode).
func (m *Model) EncodeAll(sents []Sentence) []Sequence {
	qs := make([]Sequence, len(sents))
	for i := range sents {
		qs[i] = m.Encode(&sents[i])
	}
	return qs
}

// Score returns score(x, y) = −E(x, y) for label ids y (one per token).
func (m *Model) Score(q *Sequence, y []int32) float64 {
	p := m.view(m.W)
	l := len(m.Labels)
	var s float64
	for t := 0; t < q.Len(); t++ {
		for _, a := range q.Attr[q.Off[t]:q.Off[t+1]] {
			if k := m.feature(a, y[t]); k >= 0 {
				s += p.state[k]
			}
		}
		if t > 0 {
			pair := y[t-1]*int32(l) + y[t]
			s += p.trans[pair] + m.edgeScore(&p, q, t, pair)
		}
	}
	return s + p.start[y[0]] + p.end[y[q.Len()-1]]
}

// edgeScore returns Σ_{a ∈ Edge(t)} v[a, i, j] (times p.scale) for the label
// pair i·L + j at position t ≥ 1.
func (m *Model) edgeScore(p *params, q *Sequence, t int, pair int32) float64 {
	if q.EOff == nil {
		return 0
	}
	var s float64
	for _, a := range q.EAttr[q.EOff[t]:q.EOff[t+1]] {
		if k := m.edgeFeature(a, pair); k >= 0 {
			s += p.edge[k]
		}
	}
	return s * p.scale
}

// edgeFeature returns the index of the edge feature (a, pair), or −1.
func (m *Model) edgeFeature(a, pair int32) int {
	lo, hi := int(m.EdgeOff[a]), int(m.EdgeOff[a+1])
	if i, ok := slices.BinarySearch(m.EdgePair[lo:hi], pair); ok {
		return lo + i
	}
	return -1
}

// Energy returns E(x, y) = −score(x, y).
func (m *Model) Energy(q *Sequence, y []int32) float64 { return -m.Score(q, y) }

// feature returns the index of the feature (a, y), or −1.
func (m *Model) feature(a, y int32) int {
	lo, hi := int(m.AttrOff[a]), int(m.AttrOff[a+1])
	fl := m.FeatLabel[lo:hi]
	if i, ok := slices.BinarySearch(fl, y); ok {
		return lo + i
	}
	return -1
}

// Viterbi writes the most likely label sequence argmax_y p(y | x) (the
// minimum-energy one) into dst (grown if short) and returns it with its
// score. ws may be nil (a new one is made).
func (m *Model) Viterbi(ws *Workspace, q *Sequence, dst []int32) ([]int32, float64) {
	if ws == nil {
		ws = NewWorkspace(len(m.Labels))
	}
	p := m.view(m.W)
	ws.unary(m, &p, q)
	s := ws.viterbi(&p, q.Len())
	dst = append(dst[:0], ws.path...)
	return dst, s
}

// LogZ returns log Z(x) = log Σ_y exp(score(x, y)), by the forward recursion.
func (m *Model) LogZ(ws *Workspace, q *Sequence) float64 {
	if ws == nil {
		ws = NewWorkspace(len(m.Labels))
	}
	p := m.view(m.W)
	ws.setTrans(&p)
	ws.unary(m, &p, q)
	if lz, ok := ws.scaledForward(&p, q.Len()); ok {
		return lz
	}
	return ws.forward(&p, q.Len())
}

// Marginals returns log Z and the per-token marginals
// p(y_t = j | x) = exp(α_t(j) + β_t(j) − log Z) in dst[t·L+j] (dst grown if
// short), by forward-backward.
func (m *Model) Marginals(ws *Workspace, q *Sequence, dst []float64) ([]float64, float64) {
	if ws == nil {
		ws = NewWorkspace(len(m.Labels))
	}
	p := m.view(m.W)
	ws.setTrans(&p)
	ws.unary(m, &p, q)
	n, l := q.Len(), len(m.Labels)
	lz := ws.infer(&p, n)
	dst = slices.Grow(dst[:0], n*l)[:n*l]
	for t := 0; t < n; t++ {
		ws.gamma(t, dst[t*l:t*l+l])
	}
	return dst, lz
}

// Tag returns the Viterbi labels of each sentence, as names, decoding the
// sentences on every core.
func (m *Model) Tag(sents []Sentence) [][]string {
	labels, _, _ := m.tag(sents, false)
	return labels
}

// TagMarginals returns the Viterbi labels of each sentence, as names, with
// the marginal probability of each label, p(y_t = ŷ_t | x) by forward-backward,
// and the probability of each sentence's whole path,
// p(ŷ | x) = exp(score(x, ŷ) − log Z(x)). A model trained by likelihood
// (lbfgs, owlqn, sgd) was fitted to give these probabilities; the perceptron
// and the structured SVM do not train their scores as log-probabilities, so
// theirs are only a ranking (EvaluateModel measures how far to trust them).
func (m *Model) TagMarginals(sents []Sentence) (labels [][]string, marg [][]float64, path []float64) {
	return m.tag(sents, true)
}

// tag decodes the sentences on every core, in blocks of tagBlock sentences
// taken in turn; each sentence's result depends on it alone. A panic in a
// worker (a model whose slices were altered after loading) is raised again on
// the calling goroutine, where the caller can recover it.
func (m *Model) tag(sents []Sentence, withMarg bool) (labels [][]string, marg [][]float64, pathP []float64) {
	labels = make([][]string, len(sents))
	if withMarg {
		marg, pathP = make([][]float64, len(sents)), make([]float64, len(sents))
	}
	const tagBlock = 64
	blocks := (len(sents) + tagBlock - 1) / tagBlock
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failure any
	for w := min(runtime.GOMAXPROCS(0), blocks); w > 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					mu.Lock()
					if failure == nil {
						failure = v
					}
					mu.Unlock()
					next.Store(int64(blocks)) // the others stop after their block
				}
			}()
			l := len(m.Labels)
			ws := NewWorkspace(l)
			var path []int32
			var mg []float64
			for {
				b := int(next.Add(1)) - 1
				if b >= blocks {
					return
				}
				for i := b * tagBlock; i < min((b+1)*tagBlock, len(sents)); i++ {
					q := m.Encode(&sents[i])
					var score float64
					path, score = m.Viterbi(ws, &q, path)
					labels[i] = make([]string, len(path))
					for t, y := range path {
						labels[i][t] = m.Labels[y]
					}
					if !withMarg {
						continue
					}
					var lz float64
					mg, lz = m.Marginals(ws, &q, mg)
					marg[i] = make([]float64, len(path))
					for t, y := range path {
						marg[i][t] = min(mg[t*l+int(y)], 1)
					}
					pathP[i] = math.Exp(min(score-lz, 0))
				}
			}
		}()
	}
	wg.Wait()
	if failure != nil {
		panic(failure)
	}
	return labels, marg, pathP
}

// SplitInput adapts sentences read without a label column (ReadCoNLL with
// labelled false) to the model: tokens with the model's number of input
// columns are inputs only; tokens with one more column carry a gold label in
// the last one, which is moved to Labels. Any other width is an *InputError.
// With needLabels, the gold column is required. Gold labels the model does
// not know are kept (they count as errors in Evaluate; UnknownLabels lists
// them).
func (m *Model) SplitInput(sents []Sentence, name string, needLabels bool) error {
	for i := range sents {
		s := &sents[i]
		k := len(s.Tokens[0])
		switch {
		case k == m.Columns+1:
			s.Labels = make([]string, len(s.Tokens))
			for t, tok := range s.Tokens {
				s.Labels[t] = tok[k-1]
				s.Tokens[t] = tok[:k-1]
			}
		case k == m.Columns && !needLabels:
		default:
			want := fmt.Sprintf("%d (inputs) or %d (inputs and label)", m.Columns, m.Columns+1)
			if needLabels {
				want = fmt.Sprintf("%d (inputs and label)", m.Columns+1)
			}
			return &InputError{name, s.Line, fmt.Sprintf("%d column(s); the model wants %s", k, want)}
		}
	}
	return nil
}

// UnknownLabels returns the gold labels of sents that the model does not
// know, with their counts.
func (m *Model) UnknownLabels(sents []Sentence) map[string]int {
	out := map[string]int{}
	for _, s := range sents {
		for _, y := range s.Labels {
			if _, ok := m.labelIndex[y]; !ok {
				out[y]++
			}
		}
	}
	return out
}

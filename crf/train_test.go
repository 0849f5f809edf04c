package crf

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// knownHMM returns an HMM with l labels and v words whose rows are drawn
// from a Dirichlet(1/2) distribution (ambiguous emissions, so decoding must
// use the transitions), and sampled sentences from it.
func knownHMM(rng *rand.Rand, l, v int) *HMM {
	dirichlet := func(n int) []float64 {
		p := make([]float64, n)
		var s float64
		for i := range p {
			// Gamma(1/2) as N(0,1)²/2.
			z := rng.NormFloat64()
			p[i] = z*z/2 + 1e-3
			s += p[i]
		}
		for i := range p {
			p[i] = math.Log(p[i] / s)
		}
		return p
	}
	h := &HMM{Words: map[string]int{}, LogStart: dirichlet(l)}
	for y := 0; y < l; y++ {
		h.Labels = append(h.Labels, "Y"+strconv.Itoa(y))
		h.LogTrans = append(h.LogTrans, dirichlet(l)...)
		h.LogEmit = append(h.LogEmit, dirichlet(v)...)
		h.LogUnk = append(h.LogUnk, math.Inf(-1))
	}
	for w := 0; w < v; w++ {
		h.Words["w"+strconv.Itoa(w)] = w
	}
	return h
}

func draw(rng *rand.Rand, logp []float64) int {
	u := rng.Float64()
	for i, lp := range logp {
		u -= math.Exp(lp)
		if u <= 0 {
			return i
		}
	}
	return len(logp) - 1
}

func (h *HMM) sample(rng *rand.Rand, count, n int) []Sentence {
	l, v := len(h.Labels), len(h.Words)
	out := make([]Sentence, count)
	for i := range out {
		y := draw(rng, h.LogStart)
		for t := 0; t < n; t++ {
			if t > 0 {
				y = draw(rng, h.LogTrans[y*l:(y+1)*l])
			}
			w := draw(rng, h.LogEmit[y*v:(y+1)*v])
			out[i].Tokens = append(out[i].Tokens, []string{"w" + strconv.Itoa(w)})
			out[i].Labels = append(out[i].Labels, h.Labels[y])
		}
	}
	return out
}

func labelsOf(sents []Sentence) [][]string {
	out := make([][]string, len(sents))
	for i := range sents {
		out[i] = sents[i].Labels
	}
	return out
}

func accuracy(t *testing.T, gold []Sentence, pred [][]string) float64 {
	t.Helper()
	ev, err := Evaluate(labelsOf(gold), pred)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Accuracy
}

// TestRecoverKnownModel samples sentences from a known HMM (an HMM is a
// linear-chain CRF with word-label, transition and start weights) and checks
// that the CRF trained by maximum likelihood decodes held-out sentences
// within 0.5 point of Viterbi with the true parameters.
func TestRecoverKnownModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	truth := knownHMM(rng, 4, 12)
	train := truth.sample(rng, 3000, 10)
	test := truth.sample(rng, 2000, 10)
	oracle := accuracy(t, test, truth.Tag(test))

	m, err := Build(train, BuildOptions{Templates: Templates{}})
	if err != nil {
		t.Fatal(err)
	}
	qs := m.EncodeAll(train)
	base := append([]float64(nil), m.W...)
	for _, algo := range []string{"lbfgs:c2=0.1", "owlqn:c1=0.1", "sgd:epochs=8,lr=0.1,c2=0.1", "ssvm:epochs=8,lr=0.1,c2=0.1", "perceptron:epochs=8"} {
		opt, err := ParseAlgorithm("algo", algo)
		if err != nil {
			t.Fatal(err)
		}
		opt.Seed = 1
		copy(m.W, base)
		res, err := Train(context.Background(), m, qs, opt)
		if err != nil {
			t.Fatalf("%s: %v", algo, err)
		}
		acc := accuracy(t, test, m.Tag(test))
		t.Logf("%-28s accuracy %.4f (truth %.4f), %d iterations, %s", algo, acc, oracle, res.Iterations, res.Status)
		// Likelihood training is consistent: 0.5 point. The online
		// learners optimize other losses (or none) and get 2 points.
		tol := 0.005
		if opt.Algorithm == "ssvm" || opt.Algorithm == "perceptron" || opt.Algorithm == "sgd" {
			tol = 0.02
		}
		if acc < oracle-tol {
			t.Errorf("%s: accuracy %.4f, Viterbi with the true model %.4f (tolerance %.3f)", algo, acc, oracle, tol)
		}
	}
}

// TestTrainDeterministic checks that the likelihood gradient does not depend
// on the number of workers and that the online learners repeat with a seed.
func TestTrainDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	truth := knownHMM(rng, 3, 8)
	train := truth.sample(rng, 200, 7)
	run := func(algo string, workers int) []float64 {
		m, err := Build(train, BuildOptions{Templates: DefaultTemplates()})
		if err != nil {
			t.Fatal(err)
		}
		opt, err := ParseAlgorithm("algo", algo)
		if err != nil {
			t.Fatal(err)
		}
		opt.Workers, opt.Seed = workers, 5
		if _, err := Train(context.Background(), m, m.EncodeAll(train), opt); err != nil {
			t.Fatal(err)
		}
		return m.W
	}
	for _, algo := range []string{"lbfgs:maxiter=20", "ssvm:epochs=2", "sgd:epochs=2"} {
		a, b := run(algo, 1), run(algo, 3)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s: weight %d differs: %v with 1 worker, %v with 3", algo, i, a[i], b[i])
			}
		}
	}
}

func TestParseAlgorithmErrors(t *testing.T) {
	for _, s := range []string{"nope", "lbfgs:c2=-1", "lbfgs:foo=1", "sgd:epochs=0", "owlqn:maxiter=x"} {
		if _, err := ParseAlgorithm("algo", s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}

// randomTagger returns count sentences of n tokens from a known HMM with 4
// labels and a model on the default templates with standard normal weights.
func randomTagger(t *testing.T, seed uint64, count, n int) (*Model, []Sentence) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	sents := knownHMM(rng, 4, 9).sample(rng, count, n)
	m, err := Build(sents, BuildOptions{Templates: DefaultTemplates()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.W {
		m.W[i] = rng.NormFloat64()
	}
	return m, sents
}

// TestTagMarginalsMatchEnumeration checks TagMarginals against brute-force
// enumeration on short sentences: the labels are the best path, each
// confidence is the enumerated marginal of its label and the path
// probability is exp(score − log Z).
func TestTagMarginalsMatchEnumeration(t *testing.T) {
	m, sents := randomTagger(t, 21, 40, 6)
	labels, marg, path := m.TagMarginals(sents)
	plain := m.Tag(sents)
	for i := range sents {
		q := m.Encode(&sents[i])
		want := brute(m, &q)
		l := len(m.Labels)
		for tt, y := range want.best {
			if labels[i][tt] != m.Labels[y] || plain[i][tt] != labels[i][tt] {
				t.Fatalf("sentence %d token %d: label %s (Tag %s), enumeration %s", i, tt, labels[i][tt], plain[i][tt], m.Labels[y])
			}
			if w := want.marg[tt*l+int(y)]; math.Abs(marg[i][tt]-w) > 1e-10 {
				t.Fatalf("sentence %d token %d: marginal %.15g, enumeration %.15g", i, tt, marg[i][tt], w)
			}
		}
		if w := math.Exp(want.bestScor - want.logZ); math.Abs(path[i]-w) > 1e-10 {
			t.Fatalf("sentence %d: path probability %.15g, enumeration %.15g", i, path[i], w)
		}
	}
}

// TestLikelihoodConfidenceIsCalibrated trains a CRF by maximum likelihood on
// sentences from a known HMM (whose conditional is a linear-chain CRF) and
// checks that EvaluateModel's confidence matches its accuracy: mean marginal
// within a point of the token accuracy and ECE below 0.02.
func TestLikelihoodConfidenceIsCalibrated(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	truth := knownHMM(rng, 4, 12)
	train := truth.sample(rng, 3000, 10)
	test := truth.sample(rng, 2000, 10)
	m, err := Build(train, BuildOptions{Templates: Templates{}})
	if err != nil {
		t.Fatal(err)
	}
	opt, _ := ParseAlgorithm("algo", "lbfgs:c2=0.1")
	if _, err := Train(context.Background(), m, m.EncodeAll(train), opt); err != nil {
		t.Fatal(err)
	}
	ev, err := EvaluateModel(m, test)
	if err != nil {
		t.Fatal(err)
	}
	c := ev.Confidence
	if c == nil {
		t.Fatal("no confidence")
	}
	t.Logf("accuracy %.4f, mean marginal %.4f, ECE %.4f", ev.Accuracy, c.Mean, c.ECE)
	if math.Abs(c.Mean-ev.Accuracy) > 0.01 || c.ECE > 0.02 {
		t.Errorf("accuracy %.4f, mean marginal %.4f, ECE %.4f: not calibrated", ev.Accuracy, c.Mean, c.ECE)
	}
	if ev2, _ := Evaluate(labelsOf(test), m.Tag(test)); ev2.Confidence != nil || ev2.Accuracy != ev.Accuracy {
		t.Errorf("Evaluate: confidence %v, accuracy %v (EvaluateModel %v)", ev2.Confidence, ev2.Accuracy, ev.Accuracy)
	}
}

// TestTagOnManyCores checks that tagging split over goroutines gives each
// sentence its own Viterbi path and marginals, in order.
func TestTagOnManyCores(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	m, sents := randomTagger(t, 25, 300, 8)
	labels, marg, _ := m.TagMarginals(sents)
	ws := NewWorkspace(len(m.Labels))
	for i := range sents {
		q := m.Encode(&sents[i])
		path, _ := m.Viterbi(ws, &q, nil)
		mg, _ := m.Marginals(ws, &q, nil)
		for tt, y := range path {
			if labels[i][tt] != m.Labels[y] || marg[i][tt] != min(mg[tt*len(m.Labels)+int(y)], 1) {
				t.Fatalf("sentence %d token %d: %s %v, alone %s %v", i, tt, labels[i][tt], marg[i][tt], m.Labels[y], mg[tt*len(m.Labels)+int(y)])
			}
		}
	}
}

// TestTagPanicReachesCaller checks that a panic in a tagging worker (here a
// model whose label list was cut after building) is raised on the calling
// goroutine, where a caller such as the HTTP server can recover it, instead
// of ending the program.
func TestTagPanicReachesCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	m, sents := randomTagger(t, 27, 300, 8)
	m.Labels = m.Labels[:1]
	defer func() {
		if recover() == nil {
			t.Fatal("no panic from a broken model")
		}
	}()
	m.TagMarginals(sents)
}

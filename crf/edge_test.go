package crf

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/model"
)

// switchSentences draws sentences whose first word ("a" or "b") gives the
// first label (A or B) and whose later words ("keep" or "flip") say whether
// the label repeats or changes: the label of a token is the parity of the
// flips before it, which no attribute of the token or its neighbours gives,
// and the transitions alone cannot tell (keeping and flipping are equally
// likely), but a transition conditioned on the word decides it exactly.
func switchSentences(rng *rand.Rand, count, n int) []Sentence {
	out := make([]Sentence, count)
	for i := range out {
		y := rng.IntN(2)
		s := &out[i]
		s.Tokens = append(s.Tokens, []string{[]string{"a", "b"}[y]})
		s.Labels = append(s.Labels, []string{"A", "B"}[y])
		for t := 1; t < n; t++ {
			w := "keep"
			if rng.IntN(2) == 0 {
				w, y = "flip", 1-y
			}
			s.Tokens = append(s.Tokens, []string{w})
			s.Labels = append(s.Labels, []string{"A", "B"}[y])
		}
	}
	return out
}

// TestEdgeFeaturesLearned trains every algorithm on switchSentences with and
// without the edge attribute "l" (the current word): with it, held-out
// sentences are labelled exactly; without it, accuracy stays far lower.
func TestEdgeFeaturesLearned(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	train, test := switchSentences(rng, 150, 10), switchSentences(rng, 100, 10)
	tp := Templates{Window: 1}
	for _, algo := range []string{"lbfgs", "owlqn:c1=0.1", "sgd:epochs=10,lr=0.1", "perceptron:epochs=5", "ssvm:epochs=10,lr=0.1,c2=0.1"} {
		opt, err := ParseAlgorithm("algo", algo)
		if err != nil {
			t.Fatal(err)
		}
		var acc [2]float64
		for k, edge := range []string{"", "l"} {
			tp.Edge = edge
			m, _, err := Fit(context.Background(), train, BuildOptions{Templates: tp}, opt)
			if err != nil {
				t.Fatal(err)
			}
			if edge != "" && m.NumEdgeFeatures() != 4 {
				// l=keep with A→A and B→B, l=flip with A→B and B→A.
				t.Fatalf("%d edge features, want 4: %v %v", m.NumEdgeFeatures(), m.EdgeAttrs, m.EdgePair)
			}
			acc[k] = accuracy(t, test, m.Tag(test))
		}
		t.Logf("%s: accuracy %.4f without edge features, %.4f with", algo, acc[0], acc[1])
		if acc[1] < 0.999 || acc[0] > 0.8 {
			t.Errorf("%s: accuracy %.4f without edge features, %.4f with; want ≤ 0.8 and 1", algo, acc[0], acc[1])
		}
	}
}

// TestBuildEdges checks the edge features of Build: the (edge attribute,
// y_{t−1}, y_t) triples seen in training, at least EdgeMinCount times, and
// the edge attributes Encode gives each token.
func TestBuildEdges(t *testing.T) {
	sents := []Sentence{
		{Tokens: [][]string{{"The"}, {"dog"}, {"runs"}}, Labels: []string{"D", "N", "V"}},
		{Tokens: [][]string{{"the"}, {"dog"}}, Labels: []string{"D", "N"}},
		{Tokens: [][]string{{"Dog"}, {"the"}}, Labels: []string{"N", "D"}},
	}
	tp := Templates{Edge: "l,w-1"}
	m, err := Build(sents, BuildOptions{Templates: tp})
	if err != nil {
		t.Fatal(err)
	}
	// Labels D=0, N=1, V=2; pairs i·3+j.
	wantAttrs := []string{"l=dog", "l=runs", "l=the", "w-1=dog", "w-1=the"}
	wantPairs := [][]int32{{0*3 + 1}, {1*3 + 2}, {1*3 + 0}, {1*3 + 2, 1*3 + 0}, {0*3 + 1}}
	if !reflect.DeepEqual(m.EdgeAttrs, wantAttrs) {
		t.Fatalf("edge attributes %q, want %q", m.EdgeAttrs, wantAttrs)
	}
	for a := range wantAttrs {
		got := m.EdgePair[m.EdgeOff[a]:m.EdgeOff[a+1]]
		want := slices.Sorted(slices.Values(wantPairs[a]))
		if !slices.Equal(got, want) {
			t.Fatalf("edge attribute %s: pairs %v, want %v", wantAttrs[a], got, want)
		}
	}
	if m.NumWeights() != m.NumFeatures()+9+6+6 || len(m.W) != m.NumWeights() {
		t.Fatalf("%d weights, want %d", len(m.W), m.NumFeatures()+21)
	}
	q := m.Encode(&sents[0])
	var got []string
	for tt := 0; tt < q.Len(); tt++ {
		for _, a := range q.EAttr[q.EOff[tt]:q.EOff[tt+1]] {
			got = append(got, m.EdgeAttrs[a])
		}
		got = append(got, "|")
	}
	if want := []string{"|", "l=dog", "w-1=the", "|", "l=runs", "w-1=dog", "|"}; !slices.Equal(got, want) {
		t.Fatalf("encoded edge attributes %q, want %q", got, want)
	}
	// Triples seen twice: only (l=dog, D→N) and (w-1=the, D→N).
	m2, err := Build(sents, BuildOptions{Templates: tp, EdgeMinCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m2.EdgeAttrs, []string{"l=dog", "w-1=the"}) || !slices.Equal(m2.EdgePair, []int32{1, 1}) {
		t.Fatalf("min count 2: edge attributes %q pairs %v", m2.EdgeAttrs, m2.EdgePair)
	}
	for _, bad := range []string{"x", "s0", "s9", "c", "l,l", "w-2"} {
		if _, err := Build(sents, BuildOptions{Templates: Templates{Edge: bad}}); err == nil {
			t.Errorf("edge templates %q accepted", bad)
		}
	}
}

// TestSaveLoadEdges round-trips a model with edge features and checks that
// the loaded model scores and tags exactly as the saved one.
func TestSaveLoadEdges(t *testing.T) {
	train, err := ReadCoNLLFile("testdata/ner-train.conll", true)
	if err != nil {
		t.Fatal(err)
	}
	tp := DefaultTemplates()
	tp.Edge = "l,s2"
	m, err := Build(train[:50], BuildOptions{Templates: tp})
	if err != nil {
		t.Fatal(err)
	}
	if m.NumEdgeFeatures() == 0 {
		t.Fatal("no edge features")
	}
	rng := rand.New(rand.NewPCG(23, 24))
	for i := range m.W {
		m.W[i] = rng.NormFloat64()
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := m.Save(dir, model.Meta{Seed: 3}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.W, m.W) || !reflect.DeepEqual(got.EdgeAttrs, m.EdgeAttrs) ||
		!reflect.DeepEqual(got.EdgeOff, m.EdgeOff) || !reflect.DeepEqual(got.EdgePair, m.EdgePair) || got.Templates != m.Templates {
		t.Fatal("loaded model differs")
	}
	for i := 50; i < 60; i++ {
		q1, q2 := m.Encode(&train[i]), got.Encode(&train[i])
		if !reflect.DeepEqual(q1, q2) || len(q1.EAttr) == 0 {
			t.Fatalf("sentence %d encodes differently (or without edge attributes)", i)
		}
		if a, b := m.LogZ(nil, &q1), got.LogZ(nil, &q2); a != b {
			t.Fatalf("log Z %v, loaded %v", a, b)
		}
	}
	if !reflect.DeepEqual(got.Tag(train[50:80]), m.Tag(train[50:80])) {
		t.Fatal("loaded model tags differently")
	}
	// A corrupted edge index is refused.
	m.EdgePair[0] = int32(len(m.Labels) * len(m.Labels))
	bad := filepath.Join(t.TempDir(), "bad")
	if err := m.Save(bad, model.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "edge_pairs") {
		t.Fatalf("corrupt edge index: error %v", err)
	}
}

// TestLoadModelWithoutEdges loads a model folder written before edge
// features existed (testdata/model-noedge, a perceptron trained on 12
// sentences of ner-train.conll) and checks that it tags as it did then
// (testdata/model-noedge.tags, written by that version).
func TestLoadModelWithoutEdges(t *testing.T) {
	m, err := Load("testdata/model-noedge")
	if err != nil {
		t.Fatal(err)
	}
	if m.NumEdgeFeatures() != 0 || m.NumWeights() != len(m.W) {
		t.Fatalf("%d edge features, %d weights of %d", m.NumEdgeFeatures(), len(m.W), m.NumWeights())
	}
	want, err := os.ReadFile("testdata/model-noedge.tags")
	if err != nil {
		t.Fatal(err)
	}
	sents, err := ReadCoNLLFile("testdata/ner-test.conll", false)
	if err != nil {
		t.Fatal(err)
	}
	sents = sents[:15]
	if err := m.SplitInput(sents, "ner-test", false); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCoNLL(&buf, sents, m.Tag(sents)); err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(want) {
		t.Fatalf("tags differ from those of the version that wrote the model:\n%s", buf.String())
	}
}

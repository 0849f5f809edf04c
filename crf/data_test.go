package crf

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/model"
)

func TestReadCoNLL(t *testing.T) {
	in := "\n\n-DOCSTART- -X- O\n\nThe DT B-NP\ncat NN I-NP\n\n\n\nsat\tVBD B-VP\n\n"
	s, err := ReadCoNLL(strings.NewReader(in), "x.conll", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 || s[0].Len() != 2 || s[1].Len() != 1 || s[0].Line != 5 || s[1].Line != 10 {
		t.Fatalf("got %+v", s)
	}
	if !reflect.DeepEqual(s[0].Tokens[1], []string{"cat", "NN"}) || s[1].Labels[0] != "B-VP" {
		t.Fatalf("got %+v", s)
	}
	bad := []struct{ in, want string }{
		{"a B\nb C D\n", "x.conll:2: 3 columns, but line 1 has 2"},
		{"a\n", "x.conll:1: 1 column"},
		{"\n\n", "x.conll: no tokens"},
	}
	for _, b := range bad {
		_, err := ReadCoNLL(strings.NewReader(b.in), "x.conll", true)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), b.want) {
			t.Errorf("%q: error %v, want prefix %q", b.in, err, b.want)
		}
	}
}

func TestChunks(t *testing.T) {
	cases := []struct {
		labels []string
		want   []Chunk
	}{
		{[]string{"B-PER", "I-PER", "O", "B-LOC"}, []Chunk{{"PER", 0, 2}, {"LOC", 3, 4}}},
		{[]string{"I-PER", "I-PER", "I-LOC", "B-LOC"}, []Chunk{{"PER", 0, 2}, {"LOC", 2, 3}, {"LOC", 3, 4}}}, // IOB1
		{[]string{"B-X", "B-X", "O", "I-X"}, []Chunk{{"X", 0, 1}, {"X", 1, 2}, {"X", 3, 4}}},
		{[]string{"S-X", "B-Y", "E-Y", "O"}, []Chunk{{"X", 0, 1}, {"Y", 1, 3}}},
	}
	for _, c := range cases {
		if got := Chunks(c.labels); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: %v, want %v", c.labels, got, c.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	gold := [][]string{{"B-PER", "I-PER", "O", "B-LOC"}, {"O", "B-ORG"}}
	pred := [][]string{{"B-PER", "O", "O", "B-LOC"}, {"O", "B-ORG"}}
	ev, err := Evaluate(gold, pred)
	if err != nil {
		t.Fatal(err)
	}
	// 5 of 6 tokens; chunks: gold 3, predicted 3, correct 2 (PER is cut short).
	if ev.Correct != 5 || ev.Tokens != 6 || ev.Chunks == nil || ev.Chunks.Support != 3 || ev.Chunks.Predicted != 3 {
		t.Fatalf("%+v %+v", ev, ev.Chunks)
	}
	if math.Abs(ev.Chunks.F1-2.0/3) > 1e-15 || ev.SentenceAccuracy != 0.5 {
		t.Fatalf("chunk F1 %v, sentence accuracy %v", ev.Chunks.F1, ev.SentenceAccuracy)
	}
	for _, s := range ev.PerLabel {
		if s.Label == "I-PER" && (s.Recall != 0 || s.Support != 1) {
			t.Fatalf("I-PER: %+v", s)
		}
		if s.Label == "O" && (s.Precision != 2.0/3 || s.Recall != 1) {
			t.Fatalf("O: %+v", s)
		}
	}
	if ev2, _ := Evaluate([][]string{{"NN"}}, [][]string{{"NN"}}); ev2.Chunks != nil {
		t.Fatal("chunk scores for non-BIO labels")
	}
}

func TestSaveLoad(t *testing.T) {
	train, err := ReadCoNLLFile("testdata/ner-train.conll", true)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(train[:50], BuildOptions{Templates: DefaultTemplates(), MinCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.W {
		m.W[i] = float64(i%7) - 3
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := m.Save(dir, model.Meta{Seed: 3}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.W, m.W) || !reflect.DeepEqual(got.Attrs, m.Attrs) || !reflect.DeepEqual(got.Labels, m.Labels) ||
		!reflect.DeepEqual(got.FeatLabel, m.FeatLabel) || got.Templates != m.Templates {
		t.Fatal("loaded model differs")
	}
	if !reflect.DeepEqual(got.Tag(train[50:60]), m.Tag(train[50:60])) {
		t.Fatal("loaded model tags differently")
	}
	// A corrupted index is refused with a clear error.
	m.FeatLabel[0] = int32(len(m.Labels))
	bad := filepath.Join(t.TempDir(), "bad")
	if err := m.Save(bad, model.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "feat_labels") {
		t.Fatalf("corrupt model: error %v", err)
	}
	// A model of another kind.
	other := filepath.Join(t.TempDir(), "other")
	if err := model.Save(other, &model.Meta{Kind: "crf-test-other"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(other); err == nil || !strings.Contains(err.Error(), "crf-test-other") {
		t.Fatalf("other kind: error %v", err)
	}
	_ = os.RemoveAll(dir)
}

func TestSplitInput(t *testing.T) {
	m := &Model{Columns: 1, labelIndex: map[string]int32{"A": 0}}
	s := []Sentence{{Tokens: [][]string{{"x", "A"}, {"y", "B"}}}}
	if err := m.SplitInput(s, "f", true); err != nil {
		t.Fatal(err)
	}
	if s[0].Labels[1] != "B" || len(s[0].Tokens[0]) != 1 {
		t.Fatalf("%+v", s)
	}
	if u := m.UnknownLabels(s); u["B"] != 1 || len(u) != 1 {
		t.Fatalf("unknown labels %v", u)
	}
	s = []Sentence{{Tokens: [][]string{{"x"}}, Line: 4}}
	if err := m.SplitInput(s, "f", true); err == nil || !strings.HasPrefix(err.Error(), "f:4:") {
		t.Fatalf("error %v", err)
	}
}

package crf_test

import (
	"context"
	"fmt"

	"github.com/ebm-go/ebm/crf"
)

// Train a CRF on a small named-entity file and report chunk F1 on held-out
// sentences whose names were never seen in training.
func Example() {
	train, _ := crf.ReadCoNLLFile("testdata/ner-train.conll", true)
	test, _ := crf.ReadCoNLLFile("testdata/ner-test.conll", true)
	m, err := crf.Build(train, crf.BuildOptions{Templates: crf.DefaultTemplates()})
	if err != nil {
		panic(err)
	}
	opt, _ := crf.ParseAlgorithm("algo", "lbfgs:c2=1")
	if _, err := crf.Train(context.Background(), m, m.EncodeAll(train), opt); err != nil {
		panic(err)
	}
	gold := make([][]string, len(test))
	for i := range test {
		gold[i] = test[i].Labels
	}
	ev, _ := crf.Evaluate(gold, m.Tag(test))
	fmt.Printf("token accuracy %.2f, chunk F1 %.2f\n", ev.Accuracy, ev.Chunks.F1)
	// Output: token accuracy 0.94, chunk F1 0.83
}

// Chunk scores follow the conlleval script: a chunk counts as correct only
// when its type, start and end all match.
func ExampleEvaluate() {
	gold := [][]string{{"B-PER", "I-PER", "O", "B-LOC", "I-LOC"}}
	pred := [][]string{{"B-PER", "I-PER", "O", "B-LOC", "O"}}
	ev, _ := crf.Evaluate(gold, pred)
	fmt.Printf("token accuracy %.2f, chunk precision %.2f, recall %.2f, F1 %.2f\n",
		ev.Accuracy, ev.Chunks.Precision, ev.Chunks.Recall, ev.Chunks.F1)
	// Output: token accuracy 0.80, chunk precision 0.50, recall 0.50, F1 0.50
}

// TagMarginals gives each label its probability under the model: a name the
// tagger has never seen gets a less certain label than the words around it.
func ExampleModel_TagMarginals() {
	train, _ := crf.ReadCoNLLFile("testdata/ner-train.conll", true)
	m, err := crf.Build(train, crf.BuildOptions{Templates: crf.DefaultTemplates()})
	if err != nil {
		panic(err)
	}
	opt, _ := crf.ParseAlgorithm("algo", "lbfgs:c2=1")
	if _, err := crf.Train(context.Background(), m, m.EncodeAll(train), opt); err != nil {
		panic(err)
	}
	words := []string{"The", "bank", "in", "Berlin", "closed", "."}
	s := crf.Sentence{}
	for _, w := range words {
		s.Tokens = append(s.Tokens, []string{w})
	}
	labels, marg, _ := m.TagMarginals([]crf.Sentence{s})
	fmt.Println(labels[0])
	least := 0
	for t := range words {
		if marg[0][t] < marg[0][least] {
			least = t
		}
	}
	fmt.Printf("least certain: %s as %s, p = %.2f\n", words[least], labels[0][least], marg[0][least])
	// Output:
	// [O O O B-LOC O O]
	// least certain: Berlin as B-LOC, p = 0.66
}

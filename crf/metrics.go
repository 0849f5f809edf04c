package crf

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/ebm-go/ebm/metric"
	"gonum.org/v1/gonum/floats"
)

// Score is precision P = tp/(tp+fp), recall R = tp/(tp+fn) and
// F1 = 2PR/(P+R) of one label or chunk type (0 when undefined).
type Score struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"` // gold count
	Predicted int     `json:"predicted"`
}

func newScore(label string, tp, pred, gold int) Score {
	s := Score{Label: label, Support: gold, Predicted: pred}
	if pred > 0 {
		s.Precision = float64(tp) / float64(pred)
	}
	if gold > 0 {
		s.Recall = float64(tp) / float64(gold)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}

// Evaluation compares predicted with gold labels: token accuracy, per-label
// scores (tokens) and, when every label is O or has a B-, I-, E- or S- prefix,
// chunk scores computed like the conlleval script (a chunk is correct when
// its type, start and end all match).
type Evaluation struct {
	Tokens    int     `json:"tokens"`
	Correct   int     `json:"correct"`
	Accuracy  float64 `json:"accuracy"`
	Sentences int     `json:"sentences"`
	// SentenceAccuracy is the fraction of sentences labelled without error.
	SentenceAccuracy float64 `json:"sentence_accuracy"`
	PerLabel         []Score `json:"per_label"`
	// Chunks is the overall chunk score (nil when the labels are not BIO).
	Chunks        *Score  `json:"chunks,omitempty"`
	ChunksPerType []Score `json:"chunks_per_type,omitempty"`
	// Confidence compares the model's marginal probabilities of its labels
	// with their accuracy (EvaluateModel; nil from Evaluate, which has no
	// model).
	Confidence *Confidence `json:"confidence,omitempty"`
}

// Confidence compares the marginal probability a model gives each of its
// labels, p(y_t = ŷ_t | x), with how often the labels are right: a calibrated
// model's mean confidence equals its token accuracy, and so does its accuracy
// within every confidence bin.
type Confidence struct {
	// Mean is the mean marginal probability of the predicted labels.
	Mean float64 `json:"mean"`
	// ECE is the expected calibration error over ten equal-width bins of
	// confidence, Σ_b (|B_b|/N)·|accuracy(B_b) − mean confidence(B_b)|
	// (metric.ECEOf).
	ECE float64 `json:"ece"`
}

// confidenceOf scores the marginals marg of the labels pred against gold.
func confidenceOf(gold, pred [][]string, marg [][]float64) (*Confidence, error) {
	var conf []float64
	var right []bool
	for i := range pred {
		for t, y := range pred[i] {
			conf = append(conf, marg[i][t])
			right = append(right, y == gold[i][t])
		}
	}
	if len(conf) == 0 {
		return nil, nil
	}
	ece, err := metric.ECEOf(conf, right, 10)
	if err != nil {
		return nil, err
	}
	return &Confidence{Mean: floats.Sum(conf) / float64(len(conf)), ECE: ece}, nil
}

// Evaluate scores pred against gold (same shapes). It returns an error when
// the shapes differ.
func Evaluate(gold, pred [][]string) (*Evaluation, error) {
	if len(gold) != len(pred) {
		return nil, fmt.Errorf("crf: %d gold sentences, %d predicted", len(gold), len(pred))
	}
	ev := &Evaluation{Sentences: len(gold)}
	tp, np, ng := map[string]int{}, map[string]int{}, map[string]int{}
	bio := true
	perfect := 0
	for i := range gold {
		if len(gold[i]) != len(pred[i]) {
			return nil, fmt.Errorf("crf: sentence %d: %d gold labels, %d predicted", i+1, len(gold[i]), len(pred[i]))
		}
		ok := true
		for t, g := range gold[i] {
			p := pred[i][t]
			ev.Tokens++
			ng[g]++
			np[p]++
			if g == p {
				ev.Correct++
				tp[g]++
			} else {
				ok = false
			}
			bio = bio && isBIO(g) && isBIO(p)
		}
		if ok {
			perfect++
		}
	}
	if ev.Tokens > 0 {
		ev.Accuracy = float64(ev.Correct) / float64(ev.Tokens)
	}
	if ev.Sentences > 0 {
		ev.SentenceAccuracy = float64(perfect) / float64(ev.Sentences)
	}
	ev.PerLabel = scores(tp, np, ng)
	if bio {
		ctp, cnp, cng := map[string]int{}, map[string]int{}, map[string]int{}
		var all [3]int
		for i := range gold {
			gs, ps := Chunks(gold[i]), Chunks(pred[i])
			set := map[Chunk]bool{}
			for _, c := range gs {
				set[c] = true
				cng[c.Type]++
				all[2]++
			}
			for _, c := range ps {
				cnp[c.Type]++
				all[1]++
				if set[c] {
					ctp[c.Type]++
					all[0]++
				}
			}
		}
		s := newScore("", all[0], all[1], all[2])
		ev.Chunks = &s
		ev.ChunksPerType = scores(ctp, cnp, cng)
	}
	return ev, nil
}

func scores(tp, np, ng map[string]int) []Score {
	names := map[string]bool{}
	for k := range np {
		names[k] = true
	}
	for k := range ng {
		names[k] = true
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Score, len(keys))
	for i, k := range keys {
		out[i] = newScore(k, tp[k], np[k], ng[k])
	}
	return out
}

func isBIO(y string) bool {
	if y == "O" {
		return true
	}
	return len(y) > 2 && y[1] == '-' && strings.ContainsRune("BIES", rune(y[0]))
}

// Chunk is a labelled span [Start, End) of a sentence.
type Chunk struct {
	Type       string
	Start, End int
}

func splitTag(y string) (tag, typ string) {
	if i := strings.IndexByte(y, '-'); i >= 0 {
		return y[:i], y[i+1:]
	}
	return y, ""
}

// Chunks returns the chunks of a BIO/IOB1/IOB2/IOBES label sequence with the
// rules of conlleval: a chunk starts at B or S, at I or E after O or after a
// chunk of another type, and ends before O, B, S or a change of type, or
// after E or S.
func Chunks(labels []string) []Chunk {
	var out []Chunk
	prevTag, prevType := "O", ""
	start := -1
	for t, y := range labels {
		tag, typ := splitTag(y)
		if start >= 0 && chunkEnds(prevTag, tag, prevType, typ) {
			out = append(out, Chunk{prevType, start, t})
			start = -1
		}
		if chunkStarts(prevTag, tag, prevType, typ) {
			start = t
		}
		prevTag, prevType = tag, typ
	}
	if start >= 0 {
		out = append(out, Chunk{prevType, start, len(labels)})
	}
	return out
}

func chunkEnds(pt, t, ptype, typ string) bool {
	switch {
	case pt == "E" || pt == "S":
		return true
	case (pt == "B" || pt == "I") && (t == "B" || t == "S" || t == "O"):
		return true
	case pt != "O" && ptype != typ:
		return true
	}
	return false
}

func chunkStarts(pt, t, ptype, typ string) bool {
	switch {
	case t == "B" || t == "S":
		return true
	case (t == "I" || t == "E") && (pt == "O" || pt == "E" || pt == "S"):
		return true
	case t != "O" && ptype != typ:
		return true
	}
	return false
}

// WriteText prints the evaluation as a short report: accuracy, then the
// per-label table, then the chunk table when there is one.
func (ev *Evaluation) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "tokens %d, accuracy %.4f; sentences %d, all correct %.4f\n",
		ev.Tokens, ev.Accuracy, ev.Sentences, ev.SentenceAccuracy)
	if c := ev.Confidence; c != nil {
		fmt.Fprintf(w, "confidence: mean marginal %.4f, expected calibration error %.4f\n", c.Mean, c.ECE)
	}
	if ev.Chunks != nil {
		c := ev.Chunks
		fmt.Fprintf(w, "chunks: gold %d, predicted %d, precision %.4f, recall %.4f, F1 %.4f\n",
			c.Support, c.Predicted, c.Precision, c.Recall, c.F1)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	table := func(title string, rows []Score) {
		fmt.Fprintf(tw, "%s\tprecision\trecall\tF1\tgold\tpredicted\t\n", title)
		for _, s := range rows {
			fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%d\t%d\t\n", s.Label, s.Precision, s.Recall, s.F1, s.Support, s.Predicted)
		}
	}
	table("label", ev.PerLabel)
	if ev.Chunks != nil {
		fmt.Fprintln(tw, "\t\t\t\t\t\t")
		table("chunk type", ev.ChunksPerType)
	}
	return tw.Flush()
}

package crf

import (
	"errors"
	"math"
	"sort"
	"time"
)

// MostFrequent is the most-frequent-tag baseline: each known word gets the
// label it had most often in training (ties to the smaller label name), an
// unknown word the most frequent label overall.
type MostFrequent struct {
	ByWord  map[string]string
	Default string
}

// TrainMostFrequent counts labels per word (column 0) of labelled sentences.
func TrainMostFrequent(sents []Sentence) *MostFrequent {
	counts := map[string]map[string]int{}
	all := map[string]int{}
	for _, s := range sents {
		for t, tok := range s.Tokens {
			c := counts[tok[0]]
			if c == nil {
				c = map[string]int{}
				counts[tok[0]] = c
			}
			c[s.Labels[t]]++
			all[s.Labels[t]]++
		}
	}
	mf := &MostFrequent{ByWord: make(map[string]string, len(counts)), Default: argmaxCount(all)}
	for w, c := range counts {
		mf.ByWord[w] = argmaxCount(c)
	}
	return mf
}

func argmaxCount(c map[string]int) string {
	best, bn := "", -1
	for y, n := range c {
		if n > bn || (n == bn && y < best) {
			best, bn = y, n
		}
	}
	return best
}

// Tag labels each token of each sentence.
func (mf *MostFrequent) Tag(sents []Sentence) [][]string {
	out := make([][]string, len(sents))
	for i, s := range sents {
		out[i] = make([]string, len(s.Tokens))
		for t, tok := range s.Tokens {
			y, ok := mf.ByWord[tok[0]]
			if !ok {
				y = mf.Default
			}
			out[i][t] = y
		}
	}
	return out
}

// HMM is a first-order hidden Markov model over words (column 0):
// p(x, y) = π(y_1) · Π_t A(y_{t−1}, y_t) · Π_t B(y_t, x_t), decoded by
// Viterbi. Log-probabilities are stored; LogUnk[y] is log B(y, w) for a word
// w outside Words.
type HMM struct {
	Labels   []string
	Words    map[string]int
	LogStart []float64 // L
	LogTrans []float64 // L×L, from row to column
	LogEmit  []float64 // L×V
	LogUnk   []float64 // L
}

// TrainHMM estimates an HMM from labelled sentences by counting, with add-α
// smoothing (α > 0) of the start, transition and emission counts. The
// emission of unknown words is estimated from the words seen once (hapax
// legomena): B(y, unk) ∝ α + number of hapax tokens labelled y.
func TrainHMM(sents []Sentence, alpha float64) (*HMM, error) {
	if !(alpha > 0) {
		return nil, errors.New("crf: HMM smoothing must be > 0")
	}
	labelSet := map[string]int{}
	wordCount := map[string]int{}
	for _, s := range sents {
		for t, tok := range s.Tokens {
			labelSet[s.Labels[t]] = 0
			wordCount[tok[0]]++
		}
	}
	h := &HMM{Words: map[string]int{}}
	for y := range labelSet {
		h.Labels = append(h.Labels, y)
	}
	sort.Strings(h.Labels)
	for i, y := range h.Labels {
		labelSet[y] = i
	}
	words := make([]string, 0, len(wordCount))
	for w := range wordCount {
		words = append(words, w)
	}
	sort.Strings(words)
	for i, w := range words {
		h.Words[w] = i
	}
	l, v := len(h.Labels), len(words)
	start := make([]float64, l)
	trans := make([]float64, l*l)
	emit := make([]float64, l*(v+1))
	for _, s := range sents {
		for t, tok := range s.Tokens {
			y := labelSet[s.Labels[t]]
			if t == 0 {
				start[y]++
			} else {
				trans[labelSet[s.Labels[t-1]]*l+y]++
			}
			emit[y*(v+1)+h.Words[tok[0]]]++
			if wordCount[tok[0]] == 1 {
				emit[y*(v+1)+v]++
			}
		}
	}
	normLog := func(c []float64) {
		var s float64
		for i := range c {
			c[i] += alpha
			s += c[i]
		}
		for i := range c {
			c[i] = math.Log(c[i] / s)
		}
	}
	normLog(start)
	h.LogStart = start
	for y := 0; y < l; y++ {
		normLog(trans[y*l : y*l+l])
		normLog(emit[y*(v+1) : (y+1)*(v+1)])
	}
	h.LogTrans = trans
	h.LogEmit = make([]float64, l*v)
	h.LogUnk = make([]float64, l)
	for y := 0; y < l; y++ {
		copy(h.LogEmit[y*v:(y+1)*v], emit[y*(v+1):y*(v+1)+v])
		h.LogUnk[y] = emit[y*(v+1)+v]
	}
	return h, nil
}

// Decode returns the most likely label ids for the words, by Viterbi.
func (h *HMM) Decode(words []string) []int {
	l, v, n := len(h.Labels), len(h.Words), len(words)
	d := make([]float64, n*l)
	bp := make([]int, n*l)
	emit := func(t, y int) float64 {
		if w, ok := h.Words[words[t]]; ok {
			return h.LogEmit[y*v+w]
		}
		return h.LogUnk[y]
	}
	for y := 0; y < l; y++ {
		d[y] = h.LogStart[y] + emit(0, y)
	}
	for t := 1; t < n; t++ {
		for j := 0; j < l; j++ {
			best, arg := math.Inf(-1), 0
			for i := 0; i < l; i++ {
				if s := d[(t-1)*l+i] + h.LogTrans[i*l+j]; s > best {
					best, arg = s, i
				}
			}
			d[t*l+j] = best + emit(t, j)
			bp[t*l+j] = arg
		}
	}
	path := make([]int, n)
	best := math.Inf(-1)
	for j := 0; j < l; j++ {
		if d[(n-1)*l+j] > best {
			best, path[n-1] = d[(n-1)*l+j], j
		}
	}
	for t := n - 1; t > 0; t-- {
		path[t-1] = bp[t*l+path[t]]
	}
	return path
}

// Tag labels each sentence by Viterbi decoding.
func (h *HMM) Tag(sents []Sentence) [][]string {
	out := make([][]string, len(sents))
	for i, s := range sents {
		p := h.Decode(s.Words())
		out[i] = make([]string, len(p))
		for t, y := range p {
			out[i][t] = h.Labels[y]
		}
	}
	return out
}

// BaselineResult holds the token accuracies of the baselines on a test set
// and their training and tagging times.
type BaselineResult struct {
	MostFrequent        float64 `json:"most_frequent"`
	HMM                 float64 `json:"hmm"`
	MostFrequentSeconds float64 `json:"most_frequent_seconds"`
	HMMSeconds          float64 `json:"hmm_seconds"`
}

// RunBaselines trains the most-frequent-tag baseline and a first-order HMM
// (add-0.1 smoothing) on train and scores both on test.
func RunBaselines(train, test []Sentence) (*BaselineResult, error) {
	gold := make([][]string, len(test))
	for i := range test {
		gold[i] = test[i].Labels
	}
	var r BaselineResult
	t0 := time.Now()
	ev, err := Evaluate(gold, TrainMostFrequent(train).Tag(test))
	if err != nil {
		return nil, err
	}
	r.MostFrequent, r.MostFrequentSeconds = ev.Accuracy, time.Since(t0).Seconds()
	t0 = time.Now()
	h, err := TrainHMM(train, 0.1)
	if err != nil {
		return nil, err
	}
	if ev, err = Evaluate(gold, h.Tag(test)); err != nil {
		return nil, err
	}
	r.HMM, r.HMMSeconds = ev.Accuracy, time.Since(t0).Seconds()
	return &r, nil
}

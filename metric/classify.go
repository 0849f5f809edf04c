package metric

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// AUROC returns the area under the ROC curve for separating positives from
// negatives by score (higher score = more positive), computed exactly as the
// Mann–Whitney statistic
//
//	AUROC = P(S⁺ > S⁻) + ½ P(S⁺ = S⁻) = (R⁺ − n⁺(n⁺+1)/2) / (n⁺ n⁻),
//
// where R⁺ is the sum of the ranks of the positive scores in the pooled sample,
// ties receiving their average rank (so each tied positive–negative pair counts
// ½). 1 is perfect separation, 0.5 chance, 0 perfectly reversed. Cost
// O((n⁺+n⁻) log(n⁺+n⁻)). For out-of-distribution detection with an energy
// model, a common choice is score = E(x) with the OOD points as positives.
//
// NaN when either list is empty or holds a NaN; ±Inf scores are ordered normally.
func AUROC(scoresPos, scoresNeg []float64) float64 {
	np, nn := len(scoresPos), len(scoresNeg)
	if np == 0 || nn == 0 {
		return math.NaN()
	}
	type item struct {
		v   float64
		pos bool
	}
	all := make([]item, 0, np+nn)
	for _, v := range scoresPos {
		if math.IsNaN(v) {
			return math.NaN()
		}
		all = append(all, item{v, true})
	}
	for _, v := range scoresNeg {
		if math.IsNaN(v) {
			return math.NaN()
		}
		all = append(all, item{v, false})
	}
	slices.SortFunc(all, func(a, b item) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	rankSum := 0.0
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		avg := float64(i+1+j) / 2 // average 1-based rank of positions i..j−1
		for k := i; k < j; k++ {
			if all[k].pos {
				rankSum += avg
			}
		}
		i = j
	}
	npf, nnf := float64(np), float64(nn)
	return (rankSum - npf*(npf+1)/2) / (npf * nnf)
}

// ECE returns the expected calibration error of a classifier (Guo et al. 2017,
// "On calibration of modern neural networks"; Naeini et al. 2015):
//
//	ECE = Σ_b (|B_b|/N) · |acc(B_b) − conf(B_b)|,
//
// where row i of probs holds the predicted class probabilities of example i,
// its confidence is the maximum probability, its prediction the arg max (the
// first on ties), and B_b, b = 0..bins−1, collects the examples whose confidence
// lies in the equal-width bin (b/bins, (b+1)/bins] (a confidence of exactly 0
// goes to the first bin). acc is the fraction of correct predictions and conf
// the mean confidence in the bin; empty bins contribute nothing.
//
// Errors: no examples, len(labels) ≠ len(probs), rows of different or zero
// length, a label outside [0, K), bins < 1, and probabilities that are NaN or
// outside [0, 1] (rows need not sum exactly to 1).
func ECE(probs [][]float64, labels []int, bins int) (float64, error) {
	n := len(probs)
	if n == 0 {
		return math.NaN(), errors.New("metric: ECE: no examples")
	}
	if len(labels) != n {
		return math.NaN(), fmt.Errorf("metric: ECE: %d probability rows but %d labels", n, len(labels))
	}
	k := len(probs[0])
	if k == 0 {
		return math.NaN(), errors.New("metric: ECE: rows have no classes")
	}
	conf := make([]float64, n)
	right := make([]bool, n)
	for i, row := range probs {
		if len(row) != k {
			return math.NaN(), fmt.Errorf("metric: ECE: row %d has %d classes, row 0 has %d", i, len(row), k)
		}
		if labels[i] < 0 || labels[i] >= k {
			return math.NaN(), fmt.Errorf("metric: ECE: label %d of example %d outside [0, %d)", labels[i], i, k)
		}
		best := 0
		for c, p := range row {
			if !(p >= 0 && p <= 1) {
				return math.NaN(), fmt.Errorf("metric: ECE: probability %v at example %d class %d", p, i, c)
			}
			if p > row[best] {
				best = c
			}
		}
		conf[i], right[i] = row[best], best == labels[i]
	}
	return ECEOf(conf, right, bins)
}

// ECEOf is ECE from each example's confidence, the probability the predictor
// gives its own prediction, and whether that prediction is right: for
// predictions that are not the arg max of one probability row, such as a
// sequence model's best path scored by each token's marginal probability.
// Errors: no examples, len(correct) ≠ len(conf), bins < 1, and a confidence
// that is NaN or outside [0, 1].
func ECEOf(conf []float64, correct []bool, bins int) (float64, error) {
	n := len(conf)
	if n == 0 {
		return math.NaN(), errors.New("metric: ECE: no examples")
	}
	if len(correct) != n {
		return math.NaN(), fmt.Errorf("metric: ECE: %d confidences but %d outcomes", n, len(correct))
	}
	if bins < 1 {
		return math.NaN(), fmt.Errorf("metric: ECE: bins = %d, need ≥ 1", bins)
	}
	count := make([]float64, bins)
	right := make([]float64, bins)
	confSum := make([]float64, bins)
	for i, c := range conf {
		if !(c >= 0 && c <= 1) {
			return math.NaN(), fmt.Errorf("metric: ECE: confidence %v at example %d", c, i)
		}
		b := int(math.Ceil(c*float64(bins))) - 1
		b = max(0, min(b, bins-1))
		count[b]++
		confSum[b] += c
		if correct[i] {
			right[b]++
		}
	}
	ece := 0.0
	for b := range count {
		if count[b] > 0 {
			ece += math.Abs(right[b]-confSum[b]) / float64(n)
		}
	}
	return ece, nil
}

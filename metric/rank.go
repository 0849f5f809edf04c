package metric

import (
	"math"
	"slices"
)

// rankPoint is one threshold of a ranking: flagging every score ≥ T as
// positive gives TP true and FP false positives.
type rankPoint struct {
	T      float64
	TP, FP int
}

// thresholds returns the operating points of the ranking of scoresPos and
// scoresNeg from the highest score down, one per distinct score value (ties
// enter together), or nil when a score is NaN.
func thresholds(scoresPos, scoresNeg []float64) []rankPoint {
	type item struct {
		v   float64
		pos bool
	}
	all := make([]item, 0, len(scoresPos)+len(scoresNeg))
	for _, v := range scoresPos {
		if math.IsNaN(v) {
			return nil
		}
		all = append(all, item{v, true})
	}
	for _, v := range scoresNeg {
		if math.IsNaN(v) {
			return nil
		}
		all = append(all, item{v, false})
	}
	slices.SortFunc(all, func(a, b item) int {
		switch {
		case a.v > b.v:
			return -1
		case a.v < b.v:
			return 1
		}
		return 0
	})
	var pts []rankPoint
	tp, fp := 0, 0
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			if all[j].pos {
				tp++
			} else {
				fp++
			}
			j++
		}
		pts = append(pts, rankPoint{T: all[i].v, TP: tp, FP: fp})
		i = j
	}
	return pts
}

// AveragePrecision returns the area under the precision–recall curve of the
// ranking by score (higher score = more positive), as the step-wise sum
//
//	AP = Σₖ (Rₖ − Rₖ₋₁) Pₖ,
//
// over the thresholds k at each distinct score from the highest down (tied
// scores enter together), where Pₖ and Rₖ are the precision and recall of
// flagging every score ≥ the k-th value, and R₀ = 0. This is scikit-learn's
// average_precision_score (no interpolation). A random ranking scores about
// the fraction of positives; 1 is perfect.
//
// NaN when there are no positives or a score is NaN.
func AveragePrecision(scoresPos, scoresNeg []float64) float64 {
	np := len(scoresPos)
	if np == 0 {
		return math.NaN()
	}
	pts := thresholds(scoresPos, scoresNeg)
	if pts == nil {
		return math.NaN()
	}
	ap, prevR := 0.0, 0.0
	for _, p := range pts {
		r := float64(p.TP) / float64(np)
		prec := float64(p.TP) / float64(p.TP+p.FP)
		ap += (r - prevR) * prec
		prevR = r
	}
	return ap
}

// BestF1 returns the highest F1 score, F1 = 2PR/(P + R), over the thresholds
// of the ranking by score (flag every score ≥ threshold as positive; see
// [AveragePrecision]), and the threshold that reaches it (the highest one on
// ties). F1 is 0 when no threshold flags a positive.
//
// NaN and a NaN threshold when there are no positives or a score is NaN.
func BestF1(scoresPos, scoresNeg []float64) (f1, threshold float64) {
	np := len(scoresPos)
	if np == 0 {
		return math.NaN(), math.NaN()
	}
	pts := thresholds(scoresPos, scoresNeg)
	if pts == nil {
		return math.NaN(), math.NaN()
	}
	best, bestT := -1.0, math.NaN()
	for _, p := range pts {
		// F1 = 2TP / (2TP + FP + FN), with FN = np − TP.
		f := 2 * float64(p.TP) / float64(2*p.TP+p.FP+(np-p.TP))
		if f > best {
			best, bestT = f, p.T
		}
	}
	return best, bestT
}

// Ranking holds the figures of merit of a ranking by score (higher = more
// positive); see [AUROC], [AveragePrecision] and [BestF1].
type Ranking struct {
	AUROC, AP, BestF1, BestF1Threshold float64
}

// RankInPlace returns AUROC, average precision and the best F1 with its
// threshold, equal to [AUROC], [AveragePrecision] and [BestF1] on the same
// scores, from one descending sort of each list in place (it reorders
// scoresPos and scoresNeg) and one merged walk: no memory beyond the inputs,
// for rankings of many millions of scores. All fields are NaN when either
// list is empty or a score is NaN.
func RankInPlace(scoresPos, scoresNeg []float64) Ranking {
	nan := Ranking{math.NaN(), math.NaN(), math.NaN(), math.NaN()}
	np, nn := len(scoresPos), len(scoresNeg)
	if np == 0 || nn == 0 || slices.ContainsFunc(scoresPos, math.IsNaN) || slices.ContainsFunc(scoresNeg, math.IsNaN) {
		return nan
	}
	desc := func(a, b float64) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	}
	slices.SortFunc(scoresPos, desc)
	slices.SortFunc(scoresNeg, desc)
	var (
		i, j    int     // next positive, next negative
		ap      float64 // Σ (Rₖ − Rₖ₋₁) Pₖ
		pairs   float64 // Σ over positives of (negatives below + ½ tied)
		best    = -1.0
		bestT   = math.NaN()
		tp, fp  int
		prevTP  int
		npf, nf = float64(np), float64(nn)
	)
	for i < np || j < nn {
		// The next distinct score, from the top.
		var t float64
		switch {
		case i == np:
			t = scoresNeg[j]
		case j == nn:
			t = scoresPos[i]
		default:
			t = max(scoresPos[i], scoresNeg[j])
		}
		tp0, fp0 := tp, fp
		for i < np && scoresPos[i] == t {
			i++
			tp++
		}
		for j < nn && scoresNeg[j] == t {
			j++
			fp++
		}
		dp, dn := tp-tp0, fp-fp0
		// Positives at t beat the negatives below t and tie with those at t.
		pairs += float64(dp) * (nf - float64(fp) + 0.5*float64(dn))
		if dp > 0 {
			ap += float64(tp-prevTP) / npf * float64(tp) / float64(tp+fp)
			prevTP = tp
		}
		if f := 2 * float64(tp) / float64(2*tp+fp+(np-tp)); f > best {
			best, bestT = f, t
		}
	}
	return Ranking{AUROC: pairs / (npf * nf), AP: ap, BestF1: best, BestF1Threshold: bestT}
}

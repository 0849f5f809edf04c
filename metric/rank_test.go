package metric

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAveragePrecisionExact checks hand-computed cases.
func TestAveragePrecisionExact(t *testing.T) {
	cases := []struct {
		pos, neg []float64
		want     float64
	}{
		// Ranking 0.9(+) 0.8(−) 0.7(+) 0.1(−): P = 1 at R = ½, P = ⅔ at R = 1.
		{[]float64{0.9, 0.7}, []float64{0.8, 0.1}, 0.5*1 + 0.5*2.0/3},
		// scikit-learn's docstring example: y = [0 0 1 1], s = [.1 .4 .35 .8] → 0.8333….
		{[]float64{0.35, 0.8}, []float64{0.1, 0.4}, 5.0 / 6},
		// Perfect ranking.
		{[]float64{3, 2}, []float64{1, 0}, 1},
		// A tie of one positive and one negative at the top: P = ½ at R = 1.
		{[]float64{1}, []float64{1}, 0.5},
		// Worst ranking: the positive last among 4: P = ¼ at R = 1.
		{[]float64{0}, []float64{1, 2, 3}, 0.25},
	}
	for i, c := range cases {
		if got := AveragePrecision(c.pos, c.neg); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("case %d: AP = %v, want %v", i, got, c.want)
		}
	}
	if !math.IsNaN(AveragePrecision(nil, []float64{1})) || !math.IsNaN(AveragePrecision([]float64{math.NaN()}, nil)) {
		t.Error("AP of no positives or a NaN score is not NaN")
	}
}

// TestAveragePrecisionRandom: for a random ranking the expected AP is close
// to the fraction of positives; checked on a brute-force definition too.
func TestAveragePrecisionBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 50 {
		np, nn := 1+rng.IntN(6), rng.IntN(6)
		pos, neg := make([]float64, np), make([]float64, nn)
		for i := range pos {
			pos[i] = float64(rng.IntN(4))
		}
		for i := range neg {
			neg[i] = float64(rng.IntN(4))
		}
		// Brute force: for every distinct threshold t from high to low.
		want, prevR := 0.0, 0.0
		for th := 3; th >= 0; th-- {
			tp, fp := 0, 0
			for _, v := range pos {
				if v >= float64(th) {
					tp++
				}
			}
			for _, v := range neg {
				if v >= float64(th) {
					fp++
				}
			}
			if tp+fp == 0 {
				continue
			}
			r := float64(tp) / float64(np)
			want += (r - prevR) * float64(tp) / float64(tp+fp)
			prevR = r
		}
		if got := AveragePrecision(pos, neg); math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: AP(%v, %v) = %v, brute force %v", trial, pos, neg, got, want)
		}
	}
}

func TestBestF1Exact(t *testing.T) {
	// Ranking 0.9(+) 0.8(−) 0.7(+) 0.1(−):
	// t=0.9: TP1 FP0 FN1 → F1 = 2/3; t=0.8: TP1 FP1 FN1 → ½; t=0.7: TP2 FP1 → 4/5; t=0.1: TP2 FP2 → ⅔.
	f1, th := BestF1([]float64{0.9, 0.7}, []float64{0.8, 0.1})
	if math.Abs(f1-0.8) > 1e-15 || th != 0.7 {
		t.Fatalf("BestF1 = %v at %v, want 0.8 at 0.7", f1, th)
	}
	// Perfect separation: F1 = 1 at the lowest positive score.
	f1, th = BestF1([]float64{5, 4}, []float64{1, 2})
	if f1 != 1 || th != 4 {
		t.Fatalf("BestF1 = %v at %v, want 1 at 4", f1, th)
	}
	// Equal F1 at two thresholds: the highest wins. Ranking 2(+) 1(−) 0(+):
	// t=2: 2·1/(2+0+1) = ⅔; t=0: 4/(4+1+0) = 0.8. Not a tie; make one:
	// 3(+) 2(−) 1(−) 0(+): t=3: ⅔; t=0: 4/(4+2) = ⅔ → threshold 3.
	f1, th = BestF1([]float64{3, 0}, []float64{2, 1})
	if math.Abs(f1-2.0/3) > 1e-15 || th != 3 {
		t.Fatalf("BestF1 = %v at %v, want ⅔ at 3", f1, th)
	}
	if f, th := BestF1(nil, []float64{1}); !math.IsNaN(f) || !math.IsNaN(th) {
		t.Fatal("BestF1 without positives is not NaN")
	}
}

// TestRankInPlace: the one-sort figures equal AUROC, AveragePrecision and
// BestF1 on random scores with many ties.
func TestRankInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 200 {
		np, nn := 1+rng.IntN(30), 1+rng.IntN(30)
		pos, neg := make([]float64, np), make([]float64, nn)
		levels := 1 + rng.IntN(10)
		for i := range pos {
			pos[i] = float64(rng.IntN(levels)) + 0.5*float64(trial%2)
		}
		for i := range neg {
			neg[i] = float64(rng.IntN(levels))
		}
		wantAUC, wantAP := AUROC(pos, neg), AveragePrecision(pos, neg)
		wantF1, wantT := BestF1(pos, neg)
		r := RankInPlace(pos, neg)
		if math.Abs(r.AUROC-wantAUC) > 1e-12 || math.Abs(r.AP-wantAP) > 1e-12 || math.Abs(r.BestF1-wantF1) > 1e-12 || r.BestF1Threshold != wantT {
			t.Fatalf("trial %d: %+v, want %v %v %v %v", trial, r, wantAUC, wantAP, wantF1, wantT)
		}
	}
	if r := RankInPlace(nil, []float64{1}); !math.IsNaN(r.AUROC) {
		t.Fatal("no positives: not NaN")
	}
}

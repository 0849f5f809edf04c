package metric

import (
	"math"
	"testing"
)

func TestAUROCKnown(t *testing.T) {
	for _, c := range []struct {
		name     string
		pos, neg []float64
		want     float64
	}{
		{"separated", []float64{3, 4, 5}, []float64{0, 1, 2}, 1},
		{"reversed", []float64{0, 1}, []float64{2, 3, 4}, 0},
		{"all tied", []float64{1, 1}, []float64{1, 1, 1}, 0.5},
		{"interleaved", []float64{1, 3}, []float64{2, 4}, 0.25}, // pairs: 1<2,1<4,3>2,3<4
		// One tie: (2,2) counts ½; (1,2) 0; (3,2) 1 → 1.5/3.
		{"one tie", []float64{1, 2, 3}, []float64{2}, 0.5},
		// 0.9 and 0.8 beat both negatives (4), 0.4 ties 0.4 (½) and beats 0.1 (1): 5.5/6.
		{"hand", []float64{0.9, 0.8, 0.4}, []float64{0.4, 0.1}, 5.5 / 6},
		{"infinite", []float64{math.Inf(1)}, []float64{math.Inf(-1), 0}, 1},
	} {
		if got := AUROC(c.pos, c.neg); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: AUROC %v, want %v", c.name, got, c.want)
		}
	}
	for name, c := range map[string][2][]float64{
		"empty pos": {nil, {1}},
		"empty neg": {{1}, {}},
		"NaN":       {{1, math.NaN()}, {0}},
	} {
		if got := AUROC(c[0], c[1]); !math.IsNaN(got) {
			t.Errorf("%s: AUROC %v, want NaN", name, got)
		}
	}
}

// TestAUROCBruteForce compares against the O(n⁺n⁻) pair count on scores with
// many ties (rounded to one decimal).
func TestAUROCBruteForce(t *testing.T) {
	rng := newRNG(30)
	pos := make([]float64, 57)
	neg := make([]float64, 43)
	for i := range pos {
		pos[i] = math.Round(10*(rng.NormFloat64()+0.7)) / 10
	}
	for i := range neg {
		neg[i] = math.Round(10*rng.NormFloat64()) / 10
	}
	want := 0.0
	for _, p := range pos {
		for _, n := range neg {
			switch {
			case p > n:
				want++
			case p == n:
				want += 0.5
			}
		}
	}
	want /= float64(len(pos) * len(neg))
	if got := AUROC(pos, neg); math.Abs(got-want) > 1e-12 {
		t.Errorf("AUROC %.15f, brute force %.15f", got, want)
	}
}

func TestECE(t *testing.T) {
	probs := [][]float64{{0.95, 0.05}, {0.85, 0.15}, {0.25, 0.75}, {0.65, 0.35}}
	labels := []int{0, 1, 1, 0}
	// Confidences 0.95 (right), 0.85 (wrong), 0.75 (right), 0.65 (right).
	// 10 bins: each alone → (0.05 + 0.85 + 0.25 + 0.35)/4 = 0.375.
	// 1 bin: |3/4 − 0.8| = 0.05. 2 bins: all in (0.5, 1] → 0.05 as well.
	for _, c := range []struct {
		bins int
		want float64
	}{{10, 0.375}, {1, 0.05}, {2, 0.05}} {
		got, err := ECE(probs, labels, c.bins)
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("bins=%d: ECE %v (err %v), want %v", c.bins, got, err, c.want)
		}
	}
	// Perfect calibration: confidence 0.8 with 4 of 5 right → 0.
	cal := [][]float64{{0.8, 0.2}, {0.8, 0.2}, {0.8, 0.2}, {0.8, 0.2}, {0.2, 0.8}}
	if got, err := ECE(cal, []int{0, 0, 0, 0, 0}, 15); err != nil || math.Abs(got) > 1e-12 {
		t.Errorf("calibrated ECE %v (err %v), want 0", got, err)
	}
	for name, c := range map[string]struct {
		p    [][]float64
		l    []int
		bins int
	}{
		"empty":      {nil, nil, 10},
		"labels":     {probs, []int{0}, 10},
		"bins":       {probs, labels, 0},
		"ragged":     {[][]float64{{0.5, 0.5}, {1}}, []int{0, 0}, 10},
		"no classes": {[][]float64{{}}, []int{0}, 10},
		"label":      {probs, []int{0, 1, 2, 0}, 10},
		"negative":   {probs, []int{0, -1, 1, 0}, 10},
		"NaN":        {[][]float64{{math.NaN(), 0.5}}, []int{0}, 10},
		"> 1":        {[][]float64{{1.5, 0}}, []int{0}, 10},
	} {
		if v, err := ECE(c.p, c.l, c.bins); err == nil {
			t.Errorf("%s: no error (got %v)", name, v)
		}
	}
}

// TestECEOf checks the confidence form against the hand count of TestECE and
// its errors.
func TestECEOf(t *testing.T) {
	conf := []float64{0.95, 0.85, 0.75, 0.65}
	right := []bool{true, false, true, true}
	for _, c := range []struct {
		bins int
		want float64
	}{{10, 0.375}, {1, 0.05}, {2, 0.05}} {
		if got, err := ECEOf(conf, right, c.bins); err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("bins=%d: ECEOf %v (err %v), want %v", c.bins, got, err, c.want)
		}
	}
	for name, c := range map[string]struct {
		conf  []float64
		right []bool
		bins  int
	}{
		"empty":    {nil, nil, 10},
		"outcomes": {conf, right[:2], 10},
		"bins":     {conf, right, 0},
		"NaN":      {[]float64{math.NaN()}, []bool{true}, 10},
		"> 1":      {[]float64{1.5}, []bool{true}, 10},
		"< 0":      {[]float64{-0.1}, []bool{true}, 10},
	} {
		if v, err := ECEOf(c.conf, c.right, c.bins); err == nil {
			t.Errorf("%s: no error (got %v)", name, v)
		}
	}
}

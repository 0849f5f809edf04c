package rbm

import (
	"context"
	"math"
	"testing"
)

// TestDBNDigits trains a 64-32-16 DBN greedily on the digits and checks the
// shapes of its outputs and that its samples have the data's pixel marginals
// (mean absolute difference below 0.1; uniform noise would give about 0.4).
func TestDBNDigits(t *testing.T) {
	tr, _ := digits(t)
	d, err := NewDBN(Bernoulli, []int{64, 32, 16}, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Method: PCD, Epochs: 20, BatchSize: 10, LR: 0.05, Seed: 1, Schedule: LinearDecay(0.05, 0, 20*Batches(tr.Rows, 10))}
	layers := map[int]int{}
	res, err := d.Fit(context.Background(), tr, []Config{cfg}, func(l int, s EpochStats) error { layers[l]++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || layers[0] != 20 || layers[1] != 20 {
		t.Fatalf("results %d, epochs per layer %v", len(res), layers)
	}
	f, err := d.Transform(tr)
	if err != nil || f.Rows != tr.Rows || f.Cols != 16 {
		t.Fatalf("Transform: %v", err)
	}
	s, err := d.Sample(500, 200, 3)
	if err != nil || s.Rows != 500 || s.Cols != 64 {
		t.Fatalf("Sample: %v", err)
	}
	diff := 0.0
	for k := 0; k < 64; k++ {
		ms, md := 0.0, 0.0
		for i := 0; i < s.Rows; i++ {
			ms += float64(s.At(i, k)) / float64(s.Rows)
		}
		for i := 0; i < tr.Rows; i++ {
			md += float64(tr.At(i, k)) / float64(tr.Rows)
		}
		diff += math.Abs(ms-md) / 64
	}
	t.Logf("DBN 64-32-16: mean |pixel marginal difference| %.3f", diff)
	if diff > 0.1 {
		t.Errorf("sample pixel marginals differ from the data's by %.3f on average", diff)
	}
	if _, err := NewDBN(Bernoulli, []int{64}, 1); err == nil {
		t.Error("one-layer DBN: no error")
	}
	d.Layers[1].W.Rows = 31
	if err := d.Validate(); err == nil {
		t.Error("mismatched layers: no error")
	}
}

package data

import (
	"math"
	"slices"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

func TestBinarize(t *testing.T) {
	x := tensor.FromSlice(2, 3, []float64{0, 7.99, 8, 16, 8.01, -1})
	b := Binarize(x, 8)
	if !slices.Equal(b.Data, []float64{0, 0, 1, 1, 1, 0}) || b.Rows != 2 || b.Cols != 3 {
		t.Errorf("Binarize = %v", b)
	}
	if x.Data[2] != 8 {
		t.Error("Binarize modified its input")
	}
	if !IsBinary(b) || IsBinary(x) || !IsBinary(tensor.New[float32](0, 3)) {
		t.Error("IsBinary wrong")
	}
	// MNIST rule "pixel > 127": threshold 128 on 0..255, 128/255 on [0, 1] in float32.
	for v := range 256 {
		on := v > 127
		b255 := Binarize(tensor.Scalar(float32(v)), 128).Data[0] == 1
		b01 := Binarize(tensor.Scalar(float32(v)/255), float32(128)/255).Data[0] == 1
		if b255 != on || b01 != on {
			t.Errorf("pixel %d: 0..255 rule %v, [0,1] rule %v, want %v", v, b255, b01, on)
		}
	}
}

func TestStandardize(t *testing.T) {
	x := tensor.FromSlice(4, 3, []float64{
		1, 10, 5,
		2, 20, 5,
		3, 30, 5,
		4, 40, 5,
	})
	z, mean, std := Standardize(x)
	if !slices.Equal(mean, []float64{2.5, 25, 5}) {
		t.Errorf("mean %v", mean)
	}
	wantStd := math.Sqrt(1.25) // population std of 1, 2, 3, 4
	if math.Abs(std[0]-wantStd) > 1e-15 || math.Abs(std[1]-10*wantStd) > 1e-13 || std[2] != 1 {
		t.Errorf("std %v", std)
	}
	for j := range 3 {
		var s, ss float64
		for i := range 4 {
			s += z.At(i, j)
			ss += z.At(i, j) * z.At(i, j)
		}
		wantSS := 4.0
		if j == 2 {
			wantSS = 0 // constant column: all zeros
		}
		if math.Abs(s) > 1e-12 || math.Abs(ss-wantSS) > 1e-12 {
			t.Errorf("column %d: sum %v, sum of squares %v", j, s, ss)
		}
	}
	// The same statistics on other data.
	y := StandardizeWith(tensor.FromSlice(1, 3, []float64{2.5, 25 + 10*wantStd, 7}), mean, std)
	if math.Abs(y.Data[0]) > 1e-15 || math.Abs(y.Data[1]-1) > 1e-12 || y.Data[2] != 2 {
		t.Errorf("StandardizeWith = %v", y.Data)
	}
	// float32 input, float64 statistics.
	z32, m32, _ := Standardize(tensor.FromSlice(2, 1, []float32{1, 3}))
	if m32[0] != 2 || z32.Data[0] != -1 || z32.Data[1] != 1 {
		t.Errorf("float32: %v %v", z32.Data, m32)
	}
}

func TestShuffleRows(t *testing.T) {
	n := 50
	x := tensor.New[float64](n, 2)
	labels := make([]int, n)
	for i := range n {
		x.Set(i, 0, float64(i))
		x.Set(i, 1, float64(-i))
		labels[i] = i
	}
	ShuffleRows(x, labels, newRNG(1))
	seen := make([]bool, n)
	moved := 0
	for i := range n {
		r := int(x.At(i, 0))
		if x.At(i, 1) != -float64(r) || labels[i] != r || seen[r] {
			t.Fatalf("row %d = %v, label %d: not a consistent permutation", i, x.Row(i), labels[i])
		}
		seen[r] = true
		if r != i {
			moved++
		}
	}
	if moved < n/2 {
		t.Errorf("only %d of %d rows moved", moved, n)
	}
	y := tensor.New[float64](n, 2)
	for i := range n {
		y.Set(i, 0, float64(i))
		y.Set(i, 1, float64(-i))
	}
	ShuffleRows(y, nil, newRNG(1))
	if !slices.Equal(x.Data, y.Data) {
		t.Error("same seed, different permutation")
	}
}

// TestShuffleUniform checks that every position is equally likely for a row:
// the frequency of row 0 at each of 5 positions is 1/5 within 4 standard errors.
func TestShuffleUniform(t *testing.T) {
	const trials = 20000
	rng := newRNG(2)
	var count [5]int
	x := tensor.New[float64](5, 1)
	for range trials {
		for i := range 5 {
			x.Data[i] = float64(i)
		}
		ShuffleRows(x, nil, rng)
		count[slices.Index(x.Data, 0)]++
	}
	for _, c := range count {
		checkFreq(t, "position of row 0", c, trials, 0.2)
	}
}

func TestSplit(t *testing.T) {
	n := 10
	ds := &Dataset{X: tensor.New[float64](n, 2), Labels: make([]int, n), Names: []string{"a", "b"}, Source: "s"}
	for i := range n {
		ds.X.Set(i, 0, float64(i))
		ds.Labels[i] = 100 + i
	}
	train, test := Split(ds, 0.7, newRNG(3))
	if train.X.Rows != 7 || test.X.Rows != 3 || len(train.Labels) != 7 || len(test.Labels) != 3 {
		t.Fatalf("sizes %d/%d", train.X.Rows, test.X.Rows)
	}
	var all []int
	for _, p := range []*Dataset{train, test} {
		for i := range p.X.Rows {
			r := int(p.X.At(i, 0))
			if p.Labels[i] != 100+r {
				t.Errorf("row %d has label %d", r, p.Labels[i])
			}
			all = append(all, r)
		}
		if !slices.Equal(p.Names, ds.Names) || p.Source != "s" {
			t.Errorf("metadata not kept")
		}
	}
	sorted := slices.Sorted(slices.Values(all))
	if !slices.Equal(sorted, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("rows %v", all)
	}
	if slices.Equal(all, sorted) {
		t.Error("rows not shuffled")
	}
	// rng nil keeps the order; the input is not modified.
	train, test = Split(ds, 0.25, nil)
	if train.X.Rows != 3 || train.X.At(2, 0) != 2 || test.X.At(0, 0) != 3 || ds.X.At(0, 0) != 0 {
		t.Errorf("ordered split: %v / %v", train.X, test.X)
	}
	train.X.Set(0, 0, 42)
	if ds.X.At(0, 0) != 0 {
		t.Error("Split parts alias the input")
	}
	// No labels stays no labels; edge fractions.
	ds.Labels = nil
	train, test = Split(ds, 1, nil)
	if train.Labels != nil || test.Labels != nil || train.X.Rows != n || test.X.Rows != 0 {
		t.Error("frac 1 without labels")
	}
	defer func() {
		if recover() == nil {
			t.Error("frac 1.5 accepted")
		}
	}()
	Split(ds, 1.5, nil)
}

func TestShuffleRowsPanics(t *testing.T) {
	x := tensor.New[float64](4, 2)
	for name, f := range map[string]func(){
		"wrong labels": func() { ShuffleRows(x, []int{1}, newRNG(1)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

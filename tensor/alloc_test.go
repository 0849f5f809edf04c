package tensor

import (
	"bufio"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestCheckAlloc(t *testing.T) {
	old := MaxAllocBytes
	defer func() { MaxAllocBytes = old }()
	MaxAllocBytes = 1 << 20 // 1 MiB
	cases := []struct {
		elems []int
		ok    bool
	}{
		{nil, true},
		{[]int{0, math.MaxInt}, true}, // empty whatever the other size
		{[]int{1 << 17}, true},        // exactly 1 MiB of float64
		{[]int{1<<17 + 1}, false},
		{[]int{512, 256}, true},
		{[]int{512, 257}, false},
		{[]int{math.MaxInt, math.MaxInt}, false},
		{[]int{1 << 40, 1 << 40, 1 << 40}, false},
		{[]int{-1, 3}, false},
	}
	for _, c := range cases {
		err := CheckAlloc("test", c.elems...)
		if (err == nil) != c.ok {
			t.Errorf("CheckAlloc(%v) = %v, want ok=%v", c.elems, err, c.ok)
		}
		var ae *AllocError
		if err != nil && !errors.As(err, &ae) {
			t.Errorf("CheckAlloc(%v) error %T, want *AllocError", c.elems, err)
		}
	}
	if err := CheckAllocOf[float32]("f32", 1<<18); err != nil {
		t.Errorf("1 MiB of float32 refused: %v", err)
	}
	if err := CheckAllocOf[float64]("f64", 1<<18); err == nil {
		t.Error("2 MiB of float64 accepted")
	}
	err := CheckAlloc("MLP layer 1 weights", 100000, 100000)
	for _, want := range []string{"MLP layer 1 weights", "100000×100000", "74.5 GiB", "1 MiB"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %q", err, want)
		}
	}
}

func TestParseMemTotal(t *testing.T) {
	in := "MemFree: 5 kB\nMemTotal:       24683652 kB\n"
	kb, ok := parseMemTotal(bufio.NewScanner(strings.NewReader(in)))
	if !ok || kb != 24683652 {
		t.Errorf("parseMemTotal = %d, %v", kb, ok)
	}
	for _, bad := range []string{"", "MemTotal: x kB", "MemTotal: 5 MB", "MemTotal: -5 kB"} {
		if _, ok := parseMemTotal(bufio.NewScanner(strings.NewReader(bad))); ok {
			t.Errorf("parseMemTotal(%q) accepted", bad)
		}
	}
	if MaxAllocBytes <= 0 {
		t.Errorf("MaxAllocBytes = %d", MaxAllocBytes)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 8 << 30: "8 GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// In-place float32 kernels (dst = a) give the out-of-place results; vek's SIMD
// kernels refuse aliased slices, so these paths need their own handling.
func TestInPlaceFloat32(t *testing.T) {
	a := New[float32](4, 50) // 200 elements: past the SIMD thresholds
	for i := range a.Data {
		a.Data[i] = float32(i%17)/4 - 2
	}
	b := Full[float32](4, 50, 1.5)
	check := func(name string, inPlace, ref *Dense[float32]) {
		t.Helper()
		for i := range ref.Data {
			// The scalar fallback may differ from SIMD division by rounding.
			if d := float64(inPlace.Data[i] - ref.Data[i]); math.Abs(d) > 1e-6*math.Abs(float64(ref.Data[i])) {
				t.Fatalf("%s: element %d in place %v, out of place %v", name, i, inPlace.Data[i], ref.Data[i])
			}
		}
	}
	for _, op := range []BinOp{OpAdd, OpSub, OpMul, OpDiv} {
		ref := Binary(op, nil, a, b)
		x := a.Clone()
		check("Binary a", Binary(op, x, x, b), ref)
		y := b.Clone()
		check("Binary b", Binary(op, y, a, y), ref)
		z := a.Clone()
		check("Binary a a", Binary(op, z, z, z), Binary(op, nil, a, a))
	}
	x := a.Clone()
	check("Scale", Scale(x, x, 3), Scale(nil, a, 3))
	for _, f := range []Func{FnExp, FnSigmoid, FnSiLU, FnSquare, FnNeg, FnTanh, FnSoftplus} {
		x := a.Clone()
		check("Map", Map(f, 0, x, x), Map(f, 0, nil, a))
	}
	for _, f := range []Func{FnSiLU, FnTanh, FnSigmoid, FnSoftplus} {
		x := a.Clone()
		check("ActDeriv", ActDeriv(f, 1, 0, x, x), ActDeriv(f, 1, 0, nil, a))
	}
}

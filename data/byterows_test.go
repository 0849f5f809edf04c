package data

import (
	"math"
	"testing"
)

// TestByteRows: rows read through the table equal the division, with and
// without the table (a literal or a changed divisor), and bad sizes or
// divisors fail.
func TestByteRows(t *testing.T) {
	raw := make([]byte, 3*256)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	b, err := NewByteRows(3, 256, raw, 255)
	if err != nil {
		t.Fatal(err)
	}
	lit := &ByteRows{N: 3, D: 256, Data: raw, Div: 255}
	row, row2 := make([]float64, 256), make([]float64, 256)
	for i := 0; i < 3; i++ {
		b.Row(i, row)
		lit.Row(i, row2)
		for j := range row {
			want := float64(raw[i*256+j]) / 255
			if row[j] != want || row2[j] != want {
				t.Fatalf("row %d col %d: %v / %v, want %v", i, j, row[j], row2[j], want)
			}
		}
	}
	d := b.Dense(1, 3)
	if d.Rows != 2 || d.At(0, 5) != float64(raw[256+5])/255 {
		t.Fatalf("Dense: %s, %v", d.Shape(), d.At(0, 5))
	}
	b.Div = 2
	b.Row(0, row)
	if row[1] != float64(raw[1])/2 {
		t.Fatalf("after changing Div: %v, want %v", row[1], float64(raw[1])/2)
	}
	for _, c := range []struct {
		n, d int
		div  float64
	}{{3, 255, 255}, {-1, 256, 255}, {3, 256, 0}, {3, 256, math.NaN()}, {3, 256, math.Inf(1)}} {
		if _, err := NewByteRows(c.n, c.d, raw, c.div); err == nil {
			t.Errorf("NewByteRows(%d, %d, %d bytes, %v): no error", c.n, c.d, len(raw), c.div)
		}
	}
}

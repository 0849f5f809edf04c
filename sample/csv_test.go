package sample

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"testing"
)

// WriteCSV writes a header and one row per draw that reads back to the
// exact float64 values.
func TestWriteCSV(t *testing.T) {
	r := &Result{Chains: 2, Kept: 2, Dim: 2, Data: []float64{0.1, -2, 1e-300, 3, 1.0 / 3, 4, 5, -0.5}}
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || recs[0][0] != "chain" || recs[0][1] != "x0" || recs[0][2] != "x1" {
		t.Fatalf("records %q", recs)
	}
	for i, rec := range recs[1:] {
		if rec[0] != strconv.Itoa(i/2) {
			t.Errorf("row %d: chain %s", i, rec[0])
		}
		for j, s := range rec[1:] {
			if v, err := strconv.ParseFloat(s, 64); err != nil || v != r.Data[i*2+j] {
				t.Errorf("row %d col %d: %q, want %v", i, j, s, r.Data[i*2+j])
			}
		}
	}
}

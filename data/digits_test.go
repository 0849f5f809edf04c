package data

import (
	"testing"

	"github.com/ebm-go/ebm/spec"
)

// DigitsSplit agrees with DigitsBinary and Digits, row for row.
func TestDigitsSplit(t *testing.T) {
	tr, te, err := DigitsSplit(true)
	if err != nil {
		t.Fatal(err)
	}
	btr, bte, err := DigitsBinary()
	if err != nil {
		t.Fatal(err)
	}
	if tr.Rows != 1500 || te.Rows != 297 || tr.Cols != 64 {
		t.Fatalf("shapes %s %s", tr.Shape(), te.Shape())
	}
	for i, v := range btr.Data {
		if float64(tr.Data[i]) != v {
			t.Fatalf("train value %d: %v vs %v", i, tr.Data[i], v)
		}
	}
	for i, v := range bte.Data {
		if float64(te.Data[i]) != v {
			t.Fatalf("test value %d: %v vs %v", i, te.Data[i], v)
		}
	}
	rtr, rte, err := DigitsSplit(false)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := Digits()
	if got, want := rte.At(0, 20), float32(ds.X.At(1500, 20)/16); got != want || rtr.At(3, 30) != float32(ds.X.At(3, 30)/16) {
		t.Errorf("pixel/16: %v vs %v", got, want)
	}
}

func TestLoadUnits(t *testing.T) {
	d, err := LoadUnits("digits", true, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Rows != 100 || d.Test.Rows != 297 || d.Image != [2]int{8, 8} || !IsBinary(d.Train) {
		t.Errorf("digits with limit 100: %s %s %v", d.Train.Shape(), d.Test.Shape(), d.Image)
	}
	for _, bad := range []string{"nope", "idx:", "csv"} {
		if _, err := LoadUnits(bad, true, 0, 0); !spec.IsInvalid(err) {
			t.Errorf("%q: %v, want a spec error", bad, err)
		}
	}
	if _, err := LoadUnits("digits", true, 0, -1); !spec.IsInvalid(err) {
		t.Errorf("limit -1: %v", err)
	}
	if s := ImageShape(784); s != [2]int{28, 28} {
		t.Errorf("ImageShape(784) = %v", s)
	}
	if s := ImageShape(10); s != [2]int{1, 10} {
		t.Errorf("ImageShape(10) = %v", s)
	}
}

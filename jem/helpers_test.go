package jem

import (
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/tensor"
)

// digits returns the digits split (first 1500 rows train, last 297 test),
// pixels scaled to [0, 1].
func digits(t testing.TB) (xtr *tensor.Dense[float64], ytr []int, xte *tensor.Dense[float64], yte []int) {
	t.Helper()
	ds, err := data.Digits()
	if err != nil {
		t.Fatal(err)
	}
	x := ds.X.Clone()
	for i := range x.Data {
		x.Data[i] /= 16
	}
	const ntr = 1500
	d := x.Cols
	xtr = tensor.FromSlice(ntr, d, x.Data[:ntr*d])
	xte = tensor.FromSlice(x.Rows-ntr, d, x.Data[ntr*d:])
	return xtr, ds.Labels[:ntr], xte, ds.Labels[ntr:]
}

package data

import (
	"testing"
)

func TestLoadPointsIDX(t *testing.T) {
	const n, r, c = 3, 2, 4
	raw := testImages(n, r, c)
	p := writeFile(t, "img.idx", idxBytes([]int{n, r, c}, raw))
	pts, err := LoadPoints("idx:"+p, PointsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pts.Dim != r*c || pts.X != nil || pts.Bytes == nil || pts.Bytes.N != n || pts.Bytes.D != r*c || pts.IsToy() {
		t.Fatalf("got dim %d, X %v, bytes %+v, toy %v", pts.Dim, pts.X, pts.Bytes, pts.IsToy())
	}
	row := make([]float64, r*c)
	for i := 0; i < n; i++ {
		pts.Bytes.Row(i, row)
		for j, v := range row {
			if want := float64(raw[i*r*c+j]) / 255; v != want || pts.Test.At(i, j) != want {
				t.Fatalf("image %d pixel %d: got %v (test %v), want %v", i, j, v, pts.Test.At(i, j), want)
			}
		}
	}
	if pts.Test.Rows != n || pts.Sample.Rows != n {
		t.Fatalf("test %d rows, sample %d rows, want %d", pts.Test.Rows, pts.Sample.Rows, n)
	}
	if _, err := LoadPoints("idx:"+p+".missing", PointsOptions{}); err == nil {
		t.Fatal("missing file: no error")
	}
	one := writeFile(t, "one.idx", idxBytes([]int{1, r, c}, raw[:r*c]))
	if _, err := LoadPoints("idx:"+one, PointsOptions{}); err == nil {
		t.Fatal("one image: no error")
	}
}

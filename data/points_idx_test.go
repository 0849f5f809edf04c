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
	if pts.Dim != r*c || pts.X.Rows != n || pts.X.Cols != r*c || pts.IsToy() {
		t.Fatalf("got dim %d, X %dx%d, toy %v", pts.Dim, pts.X.Rows, pts.X.Cols, pts.IsToy())
	}
	for i, v := range pts.X.Data {
		if want := float64(raw[i]) / 255; v != want {
			t.Fatalf("pixel %d: got %v, want %v", i, v, want)
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

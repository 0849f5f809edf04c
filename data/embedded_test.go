package data

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
)

func classCounts(labels []int, k int) []int {
	c := make([]int, k)
	for _, l := range labels {
		c[l]++
	}
	return c
}

func TestDigits(t *testing.T) {
	ds, err := Digits()
	if err != nil {
		t.Fatal(err)
	}
	if ds.X.Rows != 1797 || ds.X.Cols != 64 || len(ds.Labels) != 1797 || len(ds.Names) != 64 {
		t.Fatalf("shape %s, %d labels, %d names", ds.X.Shape(), len(ds.Labels), len(ds.Names))
	}
	// scikit-learn's load_digits: class sizes and the first rows (digits 0, 1, 2).
	if got, want := classCounts(ds.Labels, 10), []int{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}; !slices.Equal(got, want) {
		t.Errorf("class counts %v, want %v", got, want)
	}
	if !slices.Equal(ds.Labels[:3], []int{0, 1, 2}) {
		t.Errorf("first labels %v", ds.Labels[:3])
	}
	if want := []float64{0, 0, 5, 13, 9, 1, 0, 0}; !slices.Equal(ds.X.Row(0)[:8], want) {
		t.Errorf("first image row %v, want %v", ds.X.Row(0)[:8], want)
	}
	if ds.Names[9] != "pixel_1_1" || ds.ClassNames[7] != "7" || ds.Source != "embedded:digits.csv.gz" {
		t.Errorf("names %q %q source %q", ds.Names[9], ds.ClassNames[7], ds.Source)
	}
	// Each call returns an independent copy.
	ds.X.Data[0] = 99
	again, err := Digits()
	if err != nil || again.X.Data[0] != 0 {
		t.Errorf("Digits shares state between calls")
	}
}

func TestDigitsBinary(t *testing.T) {
	train, test, err := DigitsBinary()
	if err != nil {
		t.Fatal(err)
	}
	if train.Rows != 1500 || train.Cols != 64 || test.Rows != 297 || test.Cols != 64 {
		t.Fatalf("shapes %s and %s", train.Shape(), test.Shape())
	}
	if !IsBinary(train) || !IsBinary(test) {
		t.Fatal("not binary")
	}
	ds, _ := Digits()
	for i := range 1797 {
		row := train
		r := i
		if i >= 1500 {
			row, r = test, i-1500
		}
		for j, v := range ds.X.Row(i) {
			want := 0.0
			if v >= 8 {
				want = 1
			}
			if row.At(r, j) != want {
				t.Fatalf("row %d pixel %d: value %v binarized to %v", i, j, v, row.At(r, j))
			}
		}
	}
	// Appending to train must not overwrite test.
	if cap(train.Data) != len(train.Data) {
		t.Errorf("train has spare capacity %d that aliases test", cap(train.Data)-len(train.Data))
	}
}

func TestSklearnSets(t *testing.T) {
	cases := []struct {
		name    string
		load    func() (*Dataset, error)
		n, d    int
		counts  []int
		classes []string
		first   []float64
		names   []string // first and last feature names
	}{
		{"iris", Iris, 150, 4, []int{50, 50, 50}, []string{"setosa", "versicolor", "virginica"},
			[]float64{5.1, 3.5, 1.4, 0.2}, []string{"sepal length (cm)", "petal width (cm)"}},
		{"wine", Wine, 178, 13, []int{59, 71, 48}, []string{"class_0", "class_1", "class_2"},
			[]float64{14.23, 1.71, 2.43, 15.6, 127}, []string{"alcohol", "proline"}},
		{"breast_cancer", BreastCancer, 569, 30, []int{212, 357}, []string{"malignant", "benign"},
			[]float64{17.99, 10.38, 122.8, 1001}, []string{"mean radius", "worst fractal dimension"}},
	}
	for _, c := range cases {
		ds, err := c.load()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if ds.X.Rows != c.n || ds.X.Cols != c.d || len(ds.Labels) != c.n || len(ds.Names) != c.d {
			t.Errorf("%s: shape %s, %d labels, %d names", c.name, ds.X.Shape(), len(ds.Labels), len(ds.Names))
			continue
		}
		if got := classCounts(ds.Labels, len(c.counts)); !slices.Equal(got, c.counts) {
			t.Errorf("%s: class counts %v, want %v", c.name, got, c.counts)
		}
		if !slices.Equal(ds.ClassNames, c.classes) {
			t.Errorf("%s: classes %q", c.name, ds.ClassNames)
		}
		if !slices.Equal(ds.X.Row(0)[:len(c.first)], c.first) {
			t.Errorf("%s: first row %v", c.name, ds.X.Row(0)[:len(c.first)])
		}
		if ds.Names[0] != c.names[0] || ds.Names[c.d-1] != c.names[1] {
			t.Errorf("%s: names %q ... %q", c.name, ds.Names[0], ds.Names[c.d-1])
		}
		if i := ds.X.HasNaNInf(); i >= 0 {
			t.Errorf("%s: non-finite value", c.name)
		}
	}
}

func TestEmbeddedNotice(t *testing.T) {
	b, err := fs.ReadFile(embedded, "embedded/NOTICE")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"BSD 3-Clause", "scikit-learn", "UCI", "digits.csv.gz", "iris.csv.gz", "wine.csv.gz", "breast_cancer.csv.gz"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("NOTICE does not mention %q", s)
		}
	}
}

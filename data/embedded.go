package data

import (
	"bufio"
	"compress/gzip"
	"embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/tensor"
)

// embedded holds small BSD-3 data sets from scikit-learn; embedded/NOTICE states
// their origin and licence.
//
//go:embed embedded/*.csv.gz embedded/NOTICE
var embedded embed.FS

// Digits returns scikit-learn's copy of the UCI optdigits data: 1797 handwritten
// digits as 8×8 images, one per row of X (64 columns, row-major, pixel values the
// integers 0..16 as float64), with Labels the digit 0-9. Names are "pixel_R_C";
// ClassNames are "0".."9". Each call parses the embedded file afresh (a few
// milliseconds), so the caller owns the result.
func Digits() (*Dataset, error) {
	const file = "digits.csv.gz"
	f, err := embedded.Open("embedded/" + file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ds, err := ReadCSV(f, "embedded:"+file, CSVOptions{Header: HeaderNo, LabelColumn: LastColumn})
	if err != nil {
		return nil, err
	}
	if ds.X.Rows != 1797 || ds.X.Cols != 64 {
		return nil, fmt.Errorf("data: %s: shape %s, want 1797×64", file, ds.X.Shape())
	}
	for _, v := range ds.X.Data {
		if v < 0 || v > 16 || v != float64(int(v)) {
			return nil, fmt.Errorf("data: %s: pixel value %g outside the integers 0..16", file, v)
		}
	}
	ds.Names = make([]string, 64)
	for i := range ds.Names {
		ds.Names[i] = fmt.Sprintf("pixel_%d_%d", i/8, i%8)
	}
	ds.LabelName = "digit"
	ds.ClassNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	if err := checkLabels(file, ds.Labels, len(ds.ClassNames)); err != nil {
		return nil, err
	}
	return ds, nil
}

// Sizes of the binarized-digits protocol.
const (
	digitsTrain = 1500
	digitsTest  = 297
)

// DigitsBinary returns the digits of [Digits] binarized by the project protocol:
// a pixel value v ∈ 0..16 becomes 1 if v ≥ 8 and 0 otherwise (equivalently
// v/16 ≥ 0.5; 3.0% of the pixels are exactly 8, so the rule v > 8 would give
// different data). train holds the first 1500 rows in file order and test the last
// 297; both are n×64. The labels are not returned: use [Digits] for them (same
// row order).
func DigitsBinary() (train, test *tensor.Dense[float64], err error) {
	ds, err := Digits()
	if err != nil {
		return nil, nil, err
	}
	b := Binarize(ds.X, 8)
	const d = 64
	train = tensor.FromSlice(digitsTrain, d, b.Data[:digitsTrain*d:digitsTrain*d])
	test = tensor.FromSlice(digitsTest, d, b.Data[digitsTrain*d:])
	return train, test, nil
}

// Iris returns Fisher's iris data as shipped by scikit-learn: 150 flowers × 4
// features (sepal length and width, petal length and width, in cm), Labels the
// species 0-2 (ClassNames setosa, versicolor, virginica; 50 each).
func Iris() (*Dataset, error) {
	return loadSklearn("iris.csv.gz", []string{
		"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)",
	})
}

// Wine returns the UCI wine recognition data as shipped by scikit-learn: 178
// wines × 13 chemical measurements (alcohol ... proline, named in Names), Labels
// the cultivar 0-2 (ClassNames class_0, class_1, class_2; 59, 71, 48 wines).
func Wine() (*Dataset, error) {
	return loadSklearn("wine.csv.gz", []string{
		"alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium",
		"total_phenols", "flavanoids", "nonflavanoid_phenols", "proanthocyanins",
		"color_intensity", "hue", "od280/od315_of_diluted_wines", "proline",
	})
}

// BreastCancer returns the Breast Cancer Wisconsin (Diagnostic) data as shipped
// by scikit-learn: 569 tumours × 30 features (the mean, standard error and
// worst value of 10 nucleus measurements, named in Names), Labels 0 = malignant
// (212) and 1 = benign (357), as ClassNames says.
func BreastCancer() (*Dataset, error) {
	var names []string
	for _, prefix := range []string{"mean %s", "%s error", "worst %s"} {
		for _, m := range []string{"radius", "texture", "perimeter", "area", "smoothness",
			"compactness", "concavity", "concave points", "symmetry", "fractal dimension"} {
			names = append(names, fmt.Sprintf(prefix, m))
		}
	}
	return loadSklearn("breast_cancer.csv.gz", names)
}

// loadSklearn reads an embedded file in scikit-learn's CSV layout: a first line
// "n_rows,n_features,class names...", then rows of features and an integer class.
func loadSklearn(file string, features []string) (*Dataset, error) {
	f, err := embedded.Open("embedded/" + file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", file, err)
	}
	br := bufio.NewReader(zr)
	head, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("data: %s: reading the first line: %w", file, err)
	}
	fields := strings.Split(strings.TrimSpace(head), ",")
	if len(fields) < 3 {
		return nil, fmt.Errorf("data: %s: first line %q is not n,d,class names", file, head)
	}
	n, err1 := strconv.Atoi(fields[0])
	d, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("data: %s: first line %q is not n,d,class names", file, head)
	}
	ds, err := readCSV(br, "embedded:"+file, CSVOptions{Header: HeaderNo, LabelColumn: LastColumn}, 1)
	if err != nil {
		return nil, err
	}
	if ds.X.Rows != n || ds.X.Cols != d || len(features) != d {
		return nil, fmt.Errorf("data: %s: shape %s, but the first line says %d×%d", file, ds.X.Shape(), n, d)
	}
	ds.Names = features
	ds.LabelName = "class"
	ds.ClassNames = fields[2:]
	if err := checkLabels(file, ds.Labels, len(ds.ClassNames)); err != nil {
		return nil, err
	}
	return ds, nil
}

// checkLabels reports an error if a label is outside 0..k-1.
func checkLabels(file string, labels []int, k int) error {
	for i, l := range labels {
		if l < 0 || l >= k {
			return fmt.Errorf("data: %s: row %d: label %d outside 0..%d", file, i+1, l, k-1)
		}
	}
	return nil
}

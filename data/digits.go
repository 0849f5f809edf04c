package data

import (
	"fmt"
	"math"
	"strings"

	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// DigitsSplit returns the 8×8 digits split of the Boltzmann machine protocols
// as float32 n×64 matrices: train holds the first 1500 rows in file order and
// test the last 297. With binary set, a pixel v ∈ 0..16 becomes 1 when v ≥ 8
// and 0 otherwise (as DigitsBinary); otherwise the value is v/16 ∈ [0, 1].
func DigitsSplit(binary bool) (train, test *tensor.Dense[float32], err error) {
	ds, err := Digits()
	if err != nil {
		return nil, nil, err
	}
	x := tensor.Convert[float32](nil, ds.X)
	for i, v := range x.Data {
		if binary {
			x.Data[i] = 0
			if v >= 8 {
				x.Data[i] = 1
			}
		} else {
			x.Data[i] = v / 16
		}
	}
	const d = 64
	train = tensor.FromSlice(digitsTrain, d, x.Data[:digitsTrain*d:digitsTrain*d])
	test = tensor.FromSlice(x.Rows-digitsTrain, d, x.Data[digitsTrain*d:])
	return train, test, nil
}

// UnitData is a data set read by one of the Boltzmann machine protocols of
// LoadUnits.
type UnitData struct {
	// Name is the source as given ("digits", "idx:PATH", "csv:PATH").
	Name string
	// Train holds the training rows; Test the held-out rows of a source that
	// has its own split (digits), else nil.
	Train, Test *tensor.Dense[float32]
	// Image is the (height, width) of a row read as an image: 8×8 for digits,
	// the square side for a square number of columns, else 1×columns.
	Image [2]int
	// Preprocessing says how the values were derived from the file.
	Preprocessing string
}

// ImageShape returns the (height, width) of d values read as an image: square
// when d is a square number, else one row.
func ImageShape(d int) [2]int {
	s := int(math.Round(math.Sqrt(float64(d))))
	if s*s == d {
		return [2]int{s, s}
	}
	return [2]int{1, d}
}

// LoadUnits reads source by the protocols of the Boltzmann machines, for binary
// (Bernoulli) or real (Gaussian) visible units:
//
//	digits     DigitsSplit: train = first 1500 rows, test = last 297;
//	           binary: pixel ≥ 8 → 1, else pixel/16
//	idx:PATH   MNIST-style IDX images (plain or .gz); binary: pixel > 127 → 1,
//	           else pixel/255
//	csv:PATH   a numeric CSV file (optional header, no label column); binary
//	           with binarize > 0: value ≥ binarize → 1, else as is
//
// limit > 0 keeps the first limit training rows (and, for idx, reads only as
// many images). An unknown source or a negative limit or binarize gives a
// *spec.Error.
func LoadUnits(source string, binary bool, binarize float64, limit int) (*UnitData, error) {
	if limit < 0 {
		return nil, spec.Errorf("limit", "%d must be ≥ 0 (0 keeps everything)", limit)
	}
	if !(binarize >= 0) || math.IsInf(binarize, 0) {
		return nil, spec.Errorf("binarize", "%v must be a finite number ≥ 0", binarize)
	}
	kind, path, _ := strings.Cut(source, ":")
	d := &UnitData{Name: source}
	switch {
	case source == "digits":
		tr, te, err := DigitsSplit(binary)
		if err != nil {
			return nil, err
		}
		d.Train, d.Test, d.Image = tr, te, [2]int{8, 8}
		d.Preprocessing = "pixel/16"
		if binary {
			d.Preprocessing = "pixel >= 8 -> 1 (digits protocol)"
		}
	case kind == "idx" && path != "":
		x, err := LoadMNISTImages(path, limit)
		if err != nil {
			return nil, err
		}
		d.Preprocessing = "pixel/255"
		if binary {
			// v/255 ≥ 0.5 exactly when the pixel is ≥ 128.
			x = Binarize(x, 0.5)
			d.Preprocessing = "pixel > 127 -> 1"
		}
		d.Train, d.Image = x, ImageShape(x.Cols)
	case kind == "csv" && path != "":
		ds, err := LoadCSV(path, CSVOptions{Header: HeaderAuto, LabelColumn: NoLabel})
		if err != nil {
			return nil, err
		}
		x := tensor.Convert[float32](nil, ds.X)
		d.Preprocessing = "as is"
		if binary && binarize > 0 {
			x = Binarize(x, float32(binarize))
			d.Preprocessing = fmt.Sprintf("value >= %g -> 1", binarize)
		}
		d.Train, d.Image = x, ImageShape(x.Cols)
	default:
		return nil, spec.Errorf("source", "%q: want digits, idx:PATH or csv:PATH", source)
	}
	if limit > 0 && limit < d.Train.Rows {
		d.Train = tensor.FromSlice(limit, d.Train.Cols, d.Train.Data[:limit*d.Train.Cols:limit*d.Train.Cols])
	}
	return d, nil
}

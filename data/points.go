package data

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// Seeds of the fixed draws of toy data in LoadPoints: the held-out points and
// the reference sample are the same for every run, whatever the run's seed.
const (
	ToyTestSeed   = 123
	ToySampleSeed = 456
)

// Points is a data set of real vectors, as the continuous energies train on it.
// Toy data draws fresh points for every batch (Gen); a file gives its rows (X).
type Points struct {
	// Name is the toy name or the file path.
	Name string
	// Dim is the number of coordinates.
	Dim int
	// Gen draws n fresh training points (toy data); nil for files.
	Gen func(n int, rng *rand.Rand) *tensor.Dense[float64]
	// X holds the rows of a file; nil for toy data and for images.
	X *tensor.Dense[float64]
	// Bytes holds the rows of an image file (idx:PATH) as bytes, pixel/255;
	// nil otherwise.
	Bytes *ByteRows
	// Test holds held-out points: TestN toy points drawn with seed
	// ToyTestSeed, or the file's rows themselves (a file has no held-out
	// part: pass a second file for held-out figures).
	Test *tensor.Dense[float64]
	// Sample holds up to 10,000 points of the training distribution (toy
	// points drawn with seed ToySampleSeed, or the file's rows), for plots,
	// reference sets and fitting noise distributions.
	Sample *tensor.Dense[float64]
}

// IsToy reports whether the points come from a toy generator.
func (p *Points) IsToy() bool { return p.Gen != nil }

// PointsOptions configures LoadPoints.
type PointsOptions struct {
	// TestN is the number of held-out toy points (0: 10,000).
	TestN int
	// LabelColumn names a CSV label column to drop (NoLabel, LastColumn or
	// a 0-based index).
	LabelColumn int
}

// ErrUnknownData reports a name that is neither a toy data set nor a file.
var ErrUnknownData = errors.New("neither a toy data set nor a CSV file")

// LoadPoints resolves name as a toy data set (see ToyNames) or a CSV file
// (see LoadCSV; at least two rows), or "idx:PATH" as MNIST-style IDX images
// with pixels scaled to [0,1] (pixel/255).
func LoadPoints(name string, opt PointsOptions) (*Points, error) {
	if strings.HasPrefix(name, "idx:") {
		return loadIDXPoints(name)
	}
	testN := opt.TestN
	if testN == 0 {
		testN = 10000
	}
	if testN < 1 {
		return nil, fmt.Errorf("data: %d held-out points: want at least 1", testN)
	}
	for _, t := range toys {
		if t.name != name {
			continue
		}
		gen := t.gen
		return &Points{
			Name:   name,
			Dim:    2,
			Gen:    func(n int, rng *rand.Rand) *tensor.Dense[float64] { return gen(n, rng) },
			Test:   gen(testN, rand.New(rand.NewPCG(ToyTestSeed, 0))),
			Sample: gen(10000, rand.New(rand.NewPCG(ToySampleSeed, 0))),
		}, nil
	}
	if !strings.HasSuffix(name, ".csv") && !strings.HasSuffix(name, ".csv.gz") {
		if _, err := os.Stat(name); err != nil {
			return nil, fmt.Errorf("data: %q: %w (toy data sets: %s)", name, ErrUnknownData, strings.Join(ToyNames(), ", "))
		}
	}
	ds, err := LoadCSV(name, CSVOptions{LabelColumn: opt.LabelColumn})
	if err != nil {
		return nil, err
	}
	if ds.X.Rows < 2 {
		return nil, &ParseError{File: name, Msg: fmt.Sprintf("need at least 2 rows, got %d", ds.X.Rows)}
	}
	return &Points{Name: name, Dim: ds.X.Cols, X: ds.X, Test: ds.X, Sample: ds.X}, nil
}

// ParseLabelColumn maps a label-column name to CSVOptions.LabelColumn: "" is
// NoLabel, "last" is LastColumn, and a number ≥ 0 is that 0-based column.
func ParseLabelColumn(s string) (int, error) {
	switch s {
	case "":
		return NoLabel, nil
	case "last":
		return LastColumn, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, spec.Errorf("label-column", `want "last" or a column index ≥ 0, got %q`, s)
	}
	return n, nil
}

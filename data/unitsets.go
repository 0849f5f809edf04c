package data

import (
	"math"
	"strings"

	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// LoadUnitSets reads source with LoadUnits and, when test is not empty, the
// held-out rows from test (all of its rows, by the same protocol), which
// become the Test set. A negative limit or a binarize threshold that is not a
// finite number ≥ 0 is a *spec.Error at "limit" or "binarize"; any other
// settings problem of a source is a *spec.Error whose Where is "data SOURCE"
// or "test TEST", and a source with its own split (digits) refuses a test
// file. Failures to read a file are returned as they are.
func LoadUnitSets(source, test string, limit int, binary bool, binarize float64) (*UnitData, error) {
	if limit < 0 {
		return nil, spec.Errorf("limit", "%d must be ≥ 0 (0 keeps everything)", limit)
	}
	if !(binarize >= 0) || math.IsInf(binarize, 0) {
		return nil, spec.Errorf("binarize", "%v must be a finite number ≥ 0", binarize)
	}
	d, err := LoadUnits(source, binary, binarize, limit)
	where := "data " + source
	if err == nil && test != "" {
		if d.Test != nil {
			return nil, spec.Errorf("test", "the digits protocol has its own test split")
		}
		var t *UnitData
		if t, err = LoadUnits(test, binary, binarize, 0); err == nil {
			d.Test = t.Train
		}
		where = "test " + test
	}
	if spec.IsInvalid(err) {
		return nil, spec.Errorf(where, "%v", err)
	}
	return d, err
}

// EvalRows returns the rows an evaluation uses: the held-out Test set when
// there is one, else Train.
func (d *UnitData) EvalRows() *tensor.Dense[float32] {
	if d.Test != nil {
		return d.Test
	}
	return d.Train
}

// SourcePaths returns the file paths named by data sources of the form
// KIND:PATH (idx:PATH, csv:PATH), in order; sources without a path (digits,
// "") are skipped.
func SourcePaths(sources ...string) []string {
	var ps []string
	for _, s := range sources {
		if _, p, ok := strings.Cut(s, ":"); ok && p != "" {
			ps = append(ps, p)
		}
	}
	return ps
}

package data

import (
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// LoadInitialPoints reads the starting points of chains MCMC chains in
// dimension d from a numeric CSV file (optional header, no label column; see
// LoadCSV): one row per chain, one column per coordinate. An unreadable file
// and a file of the wrong shape are refused with a *spec.Error whose Where is
// "init" (followed by the path when the shape is wrong).
func LoadInitialPoints(path string, chains, d int) (*tensor.Dense[float64], error) {
	ds, err := LoadCSV(path, CSVOptions{LabelColumn: NoLabel})
	switch {
	case err != nil:
		return nil, spec.Errorf("init", "%v", err)
	case ds.X.Cols != d:
		return nil, spec.Errorf("init "+path, "points have %d columns, the energy has dimension %d", ds.X.Cols, d)
	case ds.X.Rows != chains:
		return nil, spec.Errorf("init "+path, "%d rows for %d chains (give one row per chain)", ds.X.Rows, chains)
	}
	return ds.X, nil
}

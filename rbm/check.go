package rbm

import (
	"fmt"
	"math"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// ParseFVBMMethod returns the FVBM training method named s: "exact"
// (FVBMExact), "pl" (FVBMPseudo), "pcd" (FVBMPCD), "mpf" (FVBMMPF) or "cd"
// (FVBMCD) or "klc" (FVBMKLC). Any other name is a
// *spec.Error at "method".
func ParseFVBMMethod(s string) (FVBMMethod, error) {
	for _, m := range []FVBMMethod{FVBMExact, FVBMPseudo, FVBMPCD, FVBMMPF, FVBMCD, FVBMKLC} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, spec.Errorf(fmt.Sprintf("method %q", s), "unknown method (valid: exact, pl, pcd, mpf, cd, klc)")
}

// CheckFVBMSettings checks FVBM training settings given in full (no zero
// defaults): epochs, batch, chains and k ≥ 1, lr finite and > 0, weight-decay
// finite and ≥ 0, eps in (0, 0.5) for method klc. NaN fails every test. An error is a *spec.Error whose Where
// names the setting and its value.
func CheckFVBMSettings(c FVBMConfig) error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for _, s := range []struct {
		name string
		v    int
	}{{"epochs", c.Epochs}, {"batch", c.BatchSize}, {"chains", c.Chains}, {"k", c.K}} {
		if s.v < 1 {
			return spec.Errorf(fmt.Sprint(s.name, " ", s.v), "need at least 1")
		}
	}
	switch {
	case !(c.LR > 0) || !finite(c.LR):
		return spec.Errorf(fmt.Sprint("lr ", c.LR), "need a finite number > 0")
	case !(c.WeightDecay >= 0) || !finite(c.WeightDecay):
		return spec.Errorf(fmt.Sprint("weight-decay ", c.WeightDecay), "need a finite number ≥ 0")
	case c.Method == FVBMKLC && !(c.Eps > 0 && c.Eps < 0.5):
		return spec.Errorf(fmt.Sprint("eps ", c.Eps), "need a flip probability 0 < eps < 0.5")
	}
	return nil
}

// FVBMRows returns the rows of d a fully visible Boltzmann machine trains on
// (eval false: Train) or is evaluated on (eval true: EvalRows), as float64.
// Rows that are not all 0 or 1 give a *DataSetError (Set "train" or "test").
func FVBMRows(d *data.UnitData, eval bool) (*tensor.Dense[float64], error) {
	x, set := d.Train, "train"
	if eval {
		x, set = d.EvalRows(), "test"
	}
	for i, v := range x.Data {
		if v != 0 && v != 1 {
			return nil, &DataSetError{Set: set, Err: &DataError{Row: i / x.Cols, Col: i % x.Cols,
				Msg: fmt.Sprintf("a Boltzmann machine needs binary data (0 or 1); row %d, column %d holds %v", i/x.Cols, i%x.Cols, v)}}
		}
	}
	return tensor.Convert[float64](nil, x), nil
}

// ParseEvalJob returns the EvalJob of an evaluation: method "exact" when
// exact is set, AIS with the settings ais (ParseAIS) when ais is not empty,
// else the automatic choice (method ""). Asking for both is a *spec.Error at
// "exact"; bad AIS settings are ParseAIS's errors.
func ParseEvalJob(exact bool, ais string, seed uint64) (EvalJob, error) {
	switch {
	case exact && ais != "":
		return EvalJob{}, spec.Errorf("exact", "excludes AIS settings (ais %q)", ais)
	case exact:
		return EvalJob{Method: "exact", Seed: seed}, nil
	case ais != "":
		return ParseAIS(ais, seed)
	}
	return EvalJob{Seed: seed}, nil
}

// Mismatch describes the kinds of e for a reader, with the article the
// wanted kind takes: `holds a "dbn" model, not an rbm`.
func (e *KindError) Mismatch() string {
	an := "a"
	if e.Want != "" && strings.ContainsRune("aefhilmnorsx", rune(e.Want[0])) {
		an = "an"
	}
	return fmt.Sprintf("holds a %q model, not %s %s", e.Kind, an, e.Want)
}

package rbm

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

func TestParseFVBMMethod(t *testing.T) {
	for _, m := range []FVBMMethod{FVBMExact, FVBMPseudo, FVBMPCD, FVBMMPF, FVBMCD, FVBMKLC} {
		if got, err := ParseFVBMMethod(m.String()); err != nil || got != m {
			t.Errorf("%v: %v, %v", m, got, err)
		}
	}
	if _, err := ParseFVBMMethod("bogus"); !spec.IsInvalid(err) {
		t.Errorf("cd: %v", err)
	}
}

func TestCheckFVBMSettings(t *testing.T) {
	ok := FVBMConfig{Epochs: 1, BatchSize: 1, Chains: 1, K: 1, LR: 0.1}
	if err := CheckFVBMSettings(ok); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit  func(*FVBMConfig)
		where string
	}{
		{func(c *FVBMConfig) { c.Epochs = 0 }, "epochs 0"},
		{func(c *FVBMConfig) { c.BatchSize = -1 }, "batch -1"},
		{func(c *FVBMConfig) { c.Chains = 0 }, "chains 0"},
		{func(c *FVBMConfig) { c.K = 0 }, "k 0"},
		{func(c *FVBMConfig) { c.LR = math.NaN() }, "lr NaN"},
		{func(c *FVBMConfig) { c.LR = math.Inf(1) }, "lr +Inf"},
		{func(c *FVBMConfig) { c.WeightDecay = -1 }, "weight-decay -1"},
		{func(c *FVBMConfig) { c.Method, c.Eps = FVBMKLC, 0.5 }, "eps 0.5"},
		{func(c *FVBMConfig) { c.Method, c.Eps = FVBMKLC, 0 }, "eps 0"},
	} {
		c := ok
		tc.edit(&c)
		if se, isSpec := CheckFVBMSettings(c).(*spec.Error); !isSpec || se.Where != tc.where {
			t.Errorf("want a settings error at %q, got %v", tc.where, CheckFVBMSettings(c))
		}
	}
}

func TestFVBMRows(t *testing.T) {
	tr := tensor.FromSlice(2, 2, []float32{0, 1, 1, 0})
	te := tensor.FromSlice(1, 2, []float32{1, 1})
	d := &data.UnitData{Train: tr, Test: te}
	x, err := FVBMRows(d, false)
	if err != nil || x.Rows != 2 || x.Data[1] != 1 {
		t.Fatalf("train rows: %v, %v", x, err)
	}
	if x, err := FVBMRows(d, true); err != nil || x.Rows != 1 {
		t.Fatalf("eval rows: %v, %v", x, err)
	}
	d.Test = tensor.FromSlice(1, 2, []float32{1, 0.5})
	var de *DataSetError
	if _, err := FVBMRows(d, true); !errors.As(err, &de) || de.Set != "test" || de.Err.Col != 1 || !strings.Contains(err.Error(), "binary") {
		t.Fatalf("non-binary test rows: %v", err)
	}
}

func TestParseEvalJob(t *testing.T) {
	if j, err := ParseEvalJob(true, "", 3); err != nil || j.Method != "exact" || j.Seed != 3 {
		t.Errorf("exact: %+v, %v", j, err)
	}
	if j, err := ParseEvalJob(false, "runs=10,betas=100", 3); err != nil || j.Method != "ais" || j.Runs != 10 || j.Betas != 100 {
		t.Errorf("ais: %+v, %v", j, err)
	}
	if j, err := ParseEvalJob(false, "", 5); err != nil || j.Method != "" || j.Seed != 5 {
		t.Errorf("auto: %+v, %v", j, err)
	}
	for _, c := range []struct {
		exact bool
		ais   string
	}{{true, "runs=10"}, {false, "runs=1"}} {
		if _, err := ParseEvalJob(c.exact, c.ais, 1); !spec.IsInvalid(err) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestKindErrorMismatch(t *testing.T) {
	for _, c := range []struct{ kind, want, msg string }{
		{"dbn", "rbm", `holds a "dbn" model, not an rbm`},
		{"rbm", "fvbm", `holds a "rbm" model, not an fvbm`},
		{"rbm", "dbn", `holds a "rbm" model, not a dbn`},
	} {
		if got := (&KindError{Kind: c.kind, Want: c.want}).Mismatch(); got != c.msg {
			t.Errorf("%q, want %q", got, c.msg)
		}
	}
}

package data

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/spec"
)

func TestLoadUnitSets(t *testing.T) {
	dir := t.TempDir()
	train, test := filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv")
	os.WriteFile(train, []byte("0,1\n1,1\n0,0\n"), 0o666)
	os.WriteFile(test, []byte("1,0\n"), 0o666)
	d, err := LoadUnitSets("csv:"+train, "csv:"+test, 2, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Rows != 2 || d.Test.Rows != 1 || d.Test.Data[0] != 1 || d.Test.Data[1] != 0 {
		t.Fatalf("train %d rows, test %v", d.Train.Rows, d.Test.Data)
	}
	if d.EvalRows() != d.Test {
		t.Fatal("EvalRows is not the test set")
	}
	if d, _ := LoadUnitSets("csv:"+train, "", 0, true, 0); d.EvalRows() != d.Train || d.Train.Rows != 3 {
		t.Fatal("EvalRows without a test set")
	}
	for _, c := range []struct {
		source, test string
		limit        int
		binarize     float64
		where        string
	}{
		{"csv:" + train, "", -1, 0, "limit"},
		{"csv:" + train, "", 0, math.NaN(), "binarize"},
		{"digits", "csv:" + test, 0, 0, "test"},
		{"nosuch", "", 0, 0, "data nosuch"},
		{"csv:" + train, "nosuch", 0, 0, "test nosuch"},
	} {
		_, err := LoadUnitSets(c.source, c.test, c.limit, true, c.binarize)
		if !spec.IsInvalid(err) || !strings.HasPrefix(err.Error(), c.where+":") {
			t.Errorf("%+v: %v, want a settings error at %q", c, err, c.where)
		}
	}
}

func TestSourcePaths(t *testing.T) {
	got := SourcePaths("digits", "csv:a.csv", "", "idx:", "idx:/x/y.gz")
	if len(got) != 2 || got[0] != "a.csv" || got[1] != "/x/y.gz" {
		t.Fatalf("SourcePaths = %q", got)
	}
}

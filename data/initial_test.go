package data

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-go/ebm/spec"
)

func TestLoadInitialPoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x0.csv")
	if err := os.WriteFile(path, []byte("a,b\n1,2\n-3,4.5\n0,0\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	x, err := LoadInitialPoints(path, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 2, -3, 4.5, 0, 0}
	if x.Rows != 3 || x.Cols != 2 {
		t.Fatalf("shape %d×%d", x.Rows, x.Cols)
	}
	for i, v := range want {
		if x.Data[i] != v {
			t.Fatalf("x.Data = %v, want %v", x.Data, want)
		}
	}
	for _, c := range []struct{ chains, d int }{{2, 2}, {3, 3}} {
		if _, err := LoadInitialPoints(path, c.chains, c.d); !spec.IsInvalid(err) {
			t.Errorf("%d chains, d=%d: %v, want a settings error", c.chains, c.d, err)
		}
	}
	if _, err := LoadInitialPoints(filepath.Join(t.TempDir(), "none.csv"), 3, 2); !spec.IsInvalid(err) {
		t.Errorf("missing file: %v", err)
	}
}

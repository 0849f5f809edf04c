package sample

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-go/ebm/spec"
)

func TestParseBox(t *testing.T) {
	b, err := ParseBox(" -1.5 , 2e0")
	if err != nil || len(b.Lo) != 1 || b.Lo[0] != -1.5 || b.Hi[0] != 2 {
		t.Fatalf("ParseBox: %+v, %v", b, err)
	}
	if b, err := ParseBox(""); b != nil || err != nil {
		t.Fatalf(`ParseBox(""): %v, %v`, b, err)
	}
	for _, bad := range []string{"1", "2,1", "1,1", "a,2", "0,NaN", "1,2,3"} {
		if _, err := ParseBox(bad); !spec.IsInvalid(err) {
			t.Errorf("%q: %v, want a settings error", bad, err)
		}
	}
}

// A CSV path given to InitialPoints yields the file's rows exactly.
func TestInitialPointsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "init.csv")
	if err := os.WriteFile(path, []byte("0.5,-1\n2,3\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	if !IsInitFile(path) || IsInitFile("") || IsInitFile("normal:sd=2") || IsInitFile("uniform") {
		t.Fatal("IsInitFile")
	}
	x, err := InitialPoints(path, 2, 2, 9)
	if err != nil || x.Data[0] != 0.5 || x.Data[1] != -1 || x.Data[2] != 2 || x.Data[3] != 3 {
		t.Fatalf("InitialPoints(file): %v, %v", x, err)
	}
	if _, err := InitialPoints(path, 3, 2, 9); !spec.IsInvalid(err) {
		t.Fatalf("wrong row count: %v", err)
	}
}

func TestCheckRun(t *testing.T) {
	if err := CheckRun(1, 1, 0, 1); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args  [4]int
		where string
	}{{[4]int{0, 1, 0, 1}, "chains 0"}, {[4]int{1, 0, 0, 1}, "steps 0"}, {[4]int{1, 1, -1, 1}, "warmup -1"}, {[4]int{1, 1, 0, 0}, "thin 0"}} {
		err := CheckRun(c.args[0], c.args[1], c.args[2], c.args[3])
		if se, ok := err.(*spec.Error); !ok || se.Where != c.where {
			t.Errorf("%v: %v, want a settings error at %q", c.args, err, c.where)
		}
	}
}

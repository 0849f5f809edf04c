package data

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadPointsToy(t *testing.T) {
	p, err := LoadPoints("8gaussians", PointsOptions{TestN: 500})
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsToy() || p.Dim != 2 || p.Test.Rows != 500 || p.Sample.Rows != 10000 || p.X != nil {
		t.Fatalf("toy points: %+v", p)
	}
	q, _ := LoadPoints("8gaussians", PointsOptions{TestN: 500})
	for i := range p.Test.Data {
		if p.Test.Data[i] != q.Test.Data[i] {
			t.Fatal("held-out toy points differ between loads")
		}
	}
}

func TestLoadPointsCSV(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "x.csv")
	os.WriteFile(f, []byte("a,b,label\n1,2,0\n3,4,1\n5,6,0\n"), 0o644)
	p, err := LoadPoints(f, PointsOptions{LabelColumn: LastColumn})
	if err != nil {
		t.Fatal(err)
	}
	if p.IsToy() || p.Dim != 2 || p.X.Rows != 3 || p.Test != p.X {
		t.Fatalf("csv points: %+v", p)
	}
	one := filepath.Join(dir, "one.csv")
	os.WriteFile(one, []byte("1,2\n"), 0o644)
	var pe *ParseError
	if _, err := LoadPoints(one, PointsOptions{}); !errors.As(err, &pe) {
		t.Fatalf("one row: got %v, want a ParseError", err)
	}
	if _, err := LoadPoints("no-such-toy", PointsOptions{}); !errors.Is(err, ErrUnknownData) {
		t.Fatalf("unknown name: got %v", err)
	}
	if _, err := LoadPoints("8gaussians", PointsOptions{TestN: -1}); err == nil {
		t.Fatal("negative TestN: want an error")
	}
}

func TestParseLabelColumn(t *testing.T) {
	for s, want := range map[string]int{"": NoLabel, "last": LastColumn, "0": 0, "3": 3} {
		if got, err := ParseLabelColumn(s); err != nil || got != want {
			t.Errorf("%q: got %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"-1", "first", "1.5"} {
		if _, err := ParseLabelColumn(s); err == nil {
			t.Errorf("%q: want an error", s)
		}
	}
}

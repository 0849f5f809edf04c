package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The plain progress report prints at most one line per 3 s, at least one per
// 10 s while work advances, and one per tenth of the work when that comes
// between; it ends with the total time.
func TestPlainProgressRate(t *testing.T) {
	var b bytes.Buffer
	now := time.Unix(0, 0)
	clock := func() time.Time { return now }
	p := newPlainProgress(&b, 1000, "training", clock)
	for i := 0; i < 1000; i++ {
		now = now.Add(100 * time.Millisecond) // 100 s in all, 10 it/s
		p.Add(1)
	}
	p.Done()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	// 10% is 10 s here: one line per 10 s, 10 lines, then the final one.
	if len(lines) != 11 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	if lines[0] != "ebm: training 100/1000 (10%), 10 it/s, ETA 1m30s" {
		t.Fatalf("first line %q", lines[0])
	}
	if !strings.HasSuffix(lines[10], "1000/1000 done in 1m40s") {
		t.Fatalf("last line %q", lines[10])
	}
	// A job shorter than 3 s prints nothing.
	b.Reset()
	p = newPlainProgress(&b, 100, "x", clock)
	for i := 0; i < 100; i++ {
		now = now.Add(20 * time.Millisecond)
		p.Add(1)
	}
	p.Done()
	if b.Len() != 0 {
		t.Fatalf("short job printed %q", b.String())
	}
	// Skipped (resumed) steps do not count towards the rate.
	b.Reset()
	p = newPlainProgress(&b, 100, "x", clock)
	p.Skip(50)
	for i := 0; i < 10; i++ {
		now = now.Add(time.Second)
		p.Add(1)
	}
	if !strings.Contains(b.String(), "60/100 (60%), 1 it/s, ETA 40s") {
		t.Fatalf("after a skip: %q", b.String())
	}
}

// The output rule, case by case.
func TestOutputRule(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	foreign := filepath.Join(root, "foreign")
	os.Mkdir(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "a"), nil, 0o644)
	ours := filepath.Join(root, "ours")
	os.Mkdir(ours, 0o755)
	os.WriteFile(filepath.Join(ours, MarkerFile), nil, 0o644)
	legacy := filepath.Join(root, "legacy")
	os.Mkdir(legacy, 0o755)
	os.WriteFile(filepath.Join(legacy, "model.json"), nil, 0o644)
	empty := filepath.Join(root, "empty")
	os.Mkdir(empty, 0o755)
	cases := []struct {
		dir    string
		force  bool
		inputs []string
		ok     bool
	}{
		{filepath.Join(root, "new"), false, nil, true},
		{empty, false, nil, true},
		{file, false, nil, false},
		{file, true, nil, false},
		{foreign, true, nil, false},
		{ours, false, nil, false},
		{ours, true, nil, true},
		{legacy, true, nil, true},
		{ours, true, []string{filepath.Join(ours, "in.csv")}, false},
		{ours, true, []string{ours}, false},
		{root, true, nil, false},
	}
	for _, c := range cases {
		err := CheckOutDir(c.dir, c.force, c.inputs...)
		if (err == nil) != c.ok || (err != nil && ExitCode(err) != ExitUsage) {
			t.Errorf("CheckOutDir(%s, force=%v, %v) = %v, want ok=%v", c.dir, c.force, c.inputs, err, c.ok)
		}
	}
	t.Chdir(ours)
	for _, d := range []string{".", ours, root, "/"} {
		if err := CheckOutDir(d, true); err == nil || !strings.Contains(err.Error(), "working directory") {
			t.Errorf("CheckOutDir(%q) with the working directory %s: %v", d, ours, err)
		}
	}
	// Single files: an input is never overwritten, under any name.
	if err := CheckOutFile(file, true, filepath.Join(root, ".", "file")); err == nil {
		t.Error("CheckOutFile accepted the input")
	}
	if err := CheckOutFile(file, false); err == nil {
		t.Error("CheckOutFile replaced a file without force")
	}
	if err := CheckOutFile(file, true, filepath.Join(root, "other")); err != nil {
		t.Errorf("CheckOutFile with force: %v", err)
	}
}

// ClaimDir empties an earlier ebm folder only with force.
func TestClaimDir(t *testing.T) {
	d := filepath.Join(t.TempDir(), "c")
	if err := ClaimDir("--checkpoint", d, false); err != nil || !IsEbmFolder(d) {
		t.Fatalf("new folder: %v", err)
	}
	os.WriteFile(filepath.Join(d, "ckpt"), []byte("x"), 0o644)
	if err := ClaimDir("--checkpoint", d, false); err == nil {
		t.Fatal("earlier folder claimed without force")
	}
	if err := ClaimDir("--checkpoint", d, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "ckpt")); err == nil {
		t.Fatal("force kept the earlier contents")
	}
}

func TestExitCodeTable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 0}, {fmt.Errorf("io"), 1}, {Usagef("bad"), 2}, {Input(os.ErrNotExist), 2},
		{fmt.Errorf("x: %w", ErrInterrupted), 130},
	} {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

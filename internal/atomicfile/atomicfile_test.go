package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriteFileAtomicAndUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteBytes(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want 0640 under umask 027", st.Mode().Perm())
	}
	// A failed write leaves the old content and no temporary file.
	err := WriteFile(p, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return errors.New("boom")
	})
	if err == nil {
		t.Fatal("error lost")
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Fatalf("content %q after a failed write", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left %v", ents)
	}
	tmp, err := TempDir(filepath.Join(dir, "d"))
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(tmp); st.Mode().Perm() != 0o750 {
		t.Fatalf("folder mode %v, want 0750", st.Mode().Perm())
	}
}

func TestReplaceDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	for i := 0; i < 2; i++ {
		tmp, err := TempDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(tmp, "v"), []byte(fmt.Sprint(i)), 0o644)
		if err := ReplaceDir(tmp, dir); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "v")); string(b) != fmt.Sprint(i) {
			t.Fatalf("round %d: %q", i, b)
		}
	}
	if ents, _ := os.ReadDir(root); len(ents) != 1 {
		t.Fatalf("left %v", ents)
	}
}

func TestCleanStale(t *testing.T) {
	root := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	dead := filepath.Join(root, fmt.Sprintf(".out.tmp-p%d-x", cmd.Process.Pid))
	mine := filepath.Join(root, TempName("out"))
	parent := filepath.Join(root, fmt.Sprintf(".out.tmp-p%d-x", os.Getppid()))
	other := filepath.Join(root, fmt.Sprintf(".outer.tmp-p%d-x", cmd.Process.Pid))
	legacyNew := filepath.Join(root, ".out.tmp-123456")
	for _, d := range []string{dead, mine, parent, other, legacyNew} {
		os.Mkdir(d, 0o755)
	}
	removed := CleanStale(filepath.Join(root, "out"))
	if len(removed) != 1 || removed[0] != dead {
		t.Fatalf("removed %v, want only %s", removed, dead)
	}
}

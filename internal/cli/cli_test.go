package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/spec"
)

func TestParseSpec(t *testing.T) {
	sp, err := ParseSpec("sampler", "hmc:step=0.1,L=20,adapt")
	if err != nil {
		t.Fatal(err)
	}
	step, _ := sp.Float("step", 1)
	l, _ := sp.Int("L", 10)
	adapt, _ := sp.Bool("adapt", false)
	if sp.Name != "hmc" || step != 0.1 || l != 20 || !adapt {
		t.Fatalf("parsed %+v", sp)
	}
	if err := sp.CheckUnused(); err != nil {
		t.Fatal(err)
	}
	sp, _ = ParseSpec("sampler", "mala:stpe=1")
	sp.Float("step", 1)
	err = sp.CheckUnused()
	if err == nil || !strings.Contains(err.Error(), "unknown setting stpe (valid: step)") || ExitCode(err) != 2 {
		t.Fatalf("unused setting: %v", err)
	}
	for _, bad := range []string{"", ":x=1", "a:x=1,x=2", "a:=3"} {
		if _, err := ParseSpec("f", bad); err == nil || !IsUsage(err) {
			t.Errorf("ParseSpec(%q) = %v, want a usage error", bad, err)
		}
	}
	sp, _ = ParseSpec("f", "a:n=x,v=y,b=maybe")
	if _, err := sp.Int("n", 0); err == nil {
		t.Error("non-integer accepted")
	}
	if _, err := sp.Float("v", 0); err == nil {
		t.Error("non-number accepted")
	}
	if _, err := sp.Bool("b", false); err == nil {
		t.Error("non-boolean accepted")
	}
}

func TestExitCodes(t *testing.T) {
	if ExitCode(nil) != 0 || ExitCode(errors.New("x")) != 1 || ExitCode(Usagef("bad")) != 2 {
		t.Fatal("exit codes")
	}
	wrapped := errors.Join(errors.New("context"), Usagef("bad"))
	if ExitCode(wrapped) != 2 {
		t.Fatal("wrapped usage error")
	}
}

func TestOutDirAppearsWholeOrNotAtAll(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	o, err := NewOutDir(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(o.Path("a.txt"), []byte("x"), 0o644)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("folder visible before Commit")
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	o.Abort() // no-op after Commit
	if _, err := os.Stat(filepath.Join(dir, "a.txt")); err != nil {
		t.Fatal("committed file missing")
	}
	if _, err := NewOutDir(dir, false); err == nil || ExitCode(err) != 2 {
		t.Fatalf("non-empty folder without --force: %v", err)
	}
	o2, err := NewOutDir(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	o2.Abort()
	ents, _ := os.ReadDir(root)
	if len(ents) != 1 {
		t.Fatalf("aborted run left %d entries", len(ents))
	}
	if _, err := os.Stat(filepath.Join(dir, "a.txt")); err != nil {
		t.Fatal("abort damaged the existing folder")
	}
}

// Flag names a library settings error after its flag and keeps it a usage
// error; other errors pass unchanged.
func TestFlag(t *testing.T) {
	err := Flag(spec.Errorf("sampler mala", "setting step=0 must be > 0"))
	if err == nil || err.Error() != "--sampler mala: setting step=0 must be > 0" || ExitCode(err) != 2 {
		t.Fatalf("Flag: %v (exit %d)", err, ExitCode(err))
	}
	if err := Flag(Flag(spec.Errorf("--init", "x"))); err.Error() != "--init: x" {
		t.Fatalf("a flag name got more dashes: %v", err)
	}
	plain := errors.New("disk full")
	if Flag(plain) != plain || Flag(nil) != nil {
		t.Fatal("Flag changed an error that is not a settings error")
	}
}

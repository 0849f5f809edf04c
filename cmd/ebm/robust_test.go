package main

// Tests for issue 15 (never lose a user's file, never crash, never fail
// silently): each reproducer in the CLI's area, run in-process through
// execute, which returns the process exit code.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/train"
	"github.com/spf13/cobra"
)

// runCode runs ebm with args under ctx and returns the exit code, stdout and
// the error lines that execute printed.
func runCode(t *testing.T, ctx context.Context, args ...string) (code int, stderr string) {
	t.Helper()
	var eb bytes.Buffer
	code = execute(ctx, args, &eb)
	return code, eb.String()
}

// wantCode fails unless ebm args exits with code want and its error line
// mentions substr.
func wantCode(t *testing.T, want int, substr string, args ...string) {
	t.Helper()
	code, msg := runCode(t, context.Background(), args...)
	if code != want || !strings.Contains(msg, substr) {
		t.Fatalf("ebm %s: exit %d, message %q; want exit %d mentioning %q", strings.Join(args, " "), code, msg, want, substr)
	}
}

// snapshotDir returns the names and contents of the files under dir.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			m[p] = string(b)
		}
		return nil
	})
	return m
}

func sameFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// tiny are the settings of a fast training run.
var tiny = []string{"--iters", "4", "--batch", "16", "--test", "50", "--quiet"}

func trainArgs(extra ...string) []string {
	return append(append([]string{"train"}, tiny...), extra...)
}

// A folder of unrelated files is never replaced, by any command, with or
// without --force; its files survive.
func TestOutputForeignFolderRefused(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "thesis.tex"), []byte("years of work"), 0o644)
	before := snapshotDir(t, dir)
	for _, args := range [][]string{
		{"demo", "--out", dir},
		{"demo", "--out", dir, "--force"},
		trainArgs("--out", dir, "--force"),
		{"sample", "--energy", "gauss", "--steps", "10", "--warmup", "0", "--out", dir, "--force"},
		{"crf", "train", "--data", crfTrain, "--algo", "perceptron:epochs=1", "--out", dir, "--force"},
	} {
		wantCode(t, cli.ExitUsage, "not written by ebm", args...)
		if !sameFiles(before, snapshotDir(t, dir)) {
			t.Fatalf("ebm %v changed %s", args, dir)
		}
	}
}

// An existing regular file named by --out is refused, even with --force, and
// survives.
func TestOutputRegularFileRefused(t *testing.T) {
	f := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(f, []byte("keep me"), 0o644)
	for _, args := range [][]string{
		trainArgs("--out", f),
		trainArgs("--out", f, "--force"),
		{"sample", "--energy", "gauss", "--out", f, "--force"},
		{"demo", "--out", f, "--force"},
	} {
		wantCode(t, cli.ExitUsage, "a file of that name exists", args...)
		if b, err := os.ReadFile(f); err != nil || string(b) != "keep me" {
			t.Fatalf("ebm %v damaged %s: %v", args, f, err)
		}
	}
}

// The working directory and its ancestors are refused before any work, even
// with --force.
func TestOutputWorkingDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.WriteFile(filepath.Join(sub, ".ebm-output"), nil, 0o644) // even an ebm folder
	t.Chdir(sub)
	start := time.Now()
	wantCode(t, cli.ExitUsage, "working directory", "train", "--out", ".", "--force")
	wantCode(t, cli.ExitUsage, "working directory", "train", "--out", dir, "--force")
	wantCode(t, cli.ExitUsage, "working directory", "demo", "--out", ".", "--force")
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("refusals took %v: work was done before the check", el)
	}
	if _, err := os.Stat(filepath.Join(sub, ".ebm-output")); err != nil {
		t.Fatal("working directory damaged")
	}
}

// An output folder that is or holds an input is refused even with --force.
func TestOutputInputRefused(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".ebm-output"), nil, 0o644)
	csv := filepath.Join(dir, "d.csv")
	os.WriteFile(csv, []byte("1,2\n3,4\n5,6\n2,1\n"), 0o644)
	wantCode(t, cli.ExitUsage, "holds the input", trainArgs("--data", csv, "--out", dir, "--force")...)
	initf := filepath.Join(t.TempDir(), "init.csv")
	os.WriteFile(initf, []byte("0,0\n1,1\n"), 0o644)
	wantCode(t, cli.ExitUsage, "is the input", "sample", "--energy", "gauss", "--chains", "2", "--init", initf, "--out", initf, "--force")
	if _, err := os.Stat(csv); err != nil {
		t.Fatal("input deleted")
	}
}

// --force replaces an earlier ebm output, and only with --force; the new
// folder carries the marker; an existing empty folder is used; folders and
// files get 0777/0666 minus the umask.
func TestOutputReplaceEarlierOutput(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	root := t.TempDir()
	out := filepath.Join(root, "run")
	os.Mkdir(out, 0o755) // empty: used
	if code, msg := runCode(t, context.Background(), trainArgs("--out", out, "--checkpoint-every", "0")...); code != 0 {
		t.Fatalf("empty folder: exit %d: %s", code, msg)
	}
	if !cli.IsEbmFolder(out) {
		t.Fatal("output lacks the marker")
	}
	for _, p := range []string{out, filepath.Join(out, "model")} {
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o755 {
			t.Errorf("%s has mode %v, want 0755 under umask 022", p, st.Mode().Perm())
		}
	}
	for _, f := range []string{"metrics.jsonl", "loss.png", "density.png", "model/model.json"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v, want mode 0644 under umask 022", f, err)
		}
	}
	wantCode(t, cli.ExitUsage, "pass --force", trainArgs("--out", out, "--checkpoint-every", "0")...)
	os.WriteFile(filepath.Join(out, "stale.txt"), []byte("x"), 0o644)
	if code, msg := runCode(t, context.Background(), trainArgs("--out", out, "--checkpoint-every", "0", "--force")...); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, msg)
	}
	if _, err := os.Stat(filepath.Join(out, "stale.txt")); err == nil {
		t.Fatal("--force kept the old folder's files")
	}
	// Beside the output: only its checkpoint folder, which holds the live
	// metrics log even when checkpoints are off.
	ents, _ := os.ReadDir(root)
	if len(ents) != 2 || ents[1].Name() != "run.ckpt" {
		t.Fatalf("left beside the output: %v", ents)
	}
}

// A second run without --resume does not overwrite an earlier run's
// checkpoint; --resume refuses other settings, naming them, and takes the
// recorded ones when none are given; the metrics history survives the resume.
func TestCheckpointRuleAndResume(t *testing.T) {
	root := t.TempDir()
	a := filepath.Join(root, "a")
	args := []string{"train", "--iters", "8", "--batch", "16", "--test", "50", "--quiet", "--seed", "7",
		"--checkpoint-every", "4", "--log-every", "2", "--out", a}
	if code, msg := runCode(t, context.Background(), args...); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	ckpt := a + ".ckpt"
	before := snapshotDir(t, ckpt)
	live, _ := os.ReadFile(filepath.Join(ckpt, "metrics.jsonl"))
	final, _ := os.ReadFile(filepath.Join(a, "metrics.jsonl"))
	if len(live) == 0 || !bytes.Equal(live, final) {
		t.Fatalf("live metrics %q, final %q", live, final)
	}
	b := filepath.Join(root, "b")
	wantCode(t, cli.ExitUsage, "--resume "+ckpt, trainArgs("--out", b, "--checkpoint", ckpt)...)
	if !sameFiles(before, snapshotDir(t, ckpt)) {
		t.Fatal("a second run changed the earlier checkpoint")
	}
	code, msg := runCode(t, context.Background(), "train", "--iters", "12", "--out", b, "--resume", ckpt,
		"--lr", "0.01", "--seed", "7", "--batch", "32", "--quiet")
	if code != cli.ExitUsage || !strings.Contains(msg, `--lr "0.01"`) || !strings.Contains(msg, `--batch "32"`) || strings.Contains(msg, "--seed") {
		t.Fatalf("mismatched resume: exit %d: %s", code, msg)
	}
	// No settings given: the recorded ones (seed 7, batch 16) are used, and
	// the history before iteration 8 is kept.
	if code, msg := runCode(t, context.Background(), "train", "--iters", "12", "--log-every", "2", "--out", b,
		"--resume", ckpt, "--quiet", "--test", "50"); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, msg)
	}
	var iters []int
	mb, _ := os.ReadFile(filepath.Join(b, "metrics.jsonl"))
	for _, l := range strings.Split(strings.TrimSpace(string(mb)), "\n") {
		var m struct{ Iter int }
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		iters = append(iters, m.Iter)
	}
	if fmt.Sprint(iters) != "[2 4 6 8 10 12]" {
		t.Fatalf("resumed metrics cover iterations %v, want 2..12", iters)
	}
	// Resuming from the same folder with the same settings keeps going there.
	if code, msg := runCode(t, context.Background(), "train", "--iters", "16", "--out", filepath.Join(root, "c"),
		"--checkpoint", ckpt, "--resume", ckpt, "--quiet", "--test", "50", "--checkpoint-every", "4"); code != 0 {
		t.Fatalf("resume in place: exit %d: %s", code, msg)
	}
}

// Ctrl-C exits 130 and the message names a checkpoint that exists; commands
// without checkpoints say that nothing was saved.
func TestInterruptMessages(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "r")
	var eb bytes.Buffer
	stderr := captureStderr(t, func() { eb.WriteString(fmt.Sprint(execute(ctx, trainArgs("--out", out), &eb))) })
	if !strings.HasSuffix(eb.String(), "130") {
		t.Fatalf("exit %s", eb.String())
	}
	if !strings.Contains(stderr, "checkpoint in "+out+".ckpt") {
		t.Fatalf("message %q", stderr)
	}
	if _, err := os.Stat(filepath.Join(out+".ckpt", train.CheckpointFile)); err != nil {
		t.Fatal("the named checkpoint does not exist")
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("an interrupted run wrote its output")
	}
	demo := filepath.Join(t.TempDir(), "d")
	eb.Reset()
	stderr = captureStderr(t, func() { eb.WriteString(fmt.Sprint(execute(ctx, []string{"demo", "--iters", "3", "--out", demo}, &eb))) })
	if !strings.HasSuffix(eb.String(), "130") || !strings.Contains(stderr, "nothing was saved") || strings.Contains(stderr, "--resume") {
		t.Fatalf("demo: exit %s, message %q", eb.String(), stderr)
	}
	if _, err := os.Stat(demo); err == nil {
		t.Fatal("an interrupted demo wrote its output")
	}
}

// captureStderr runs f with os.Stderr redirected and returns what it wrote.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		b.ReadFrom(r)
		done <- b.String()
	}()
	f()
	os.Stderr = old
	w.Close()
	return <-done
}

// Settings are validated before work: NaN, zero and negative values.
func TestSettingsValidatedBeforeWork(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	cases := []struct{ flag, val, want string }{
		{"--ema", "nan", "--ema"},
		{"--clip-grad", "nan", "--clip-grad"},
		{"--lr", "nan", "--lr"},
		{"--method", "ssm:m=0", "m=0"},
		{"--method", "sm:hutchinson=-1", "hutchinson"},
		{"--method", "nce:ratio=0", "ratio"},
		{"--method", "dsm:sigma=nan", "sigma"},
		{"--method", "replay:reinit=2", "reinit"},
		{"--log-every", "0", "--log-every"},
	}
	for _, c := range cases {
		wantCode(t, cli.ExitUsage, c.want, trainArgs(c.flag, c.val, "--out", out)...)
	}
	// compare checks every method and the sampler before training anything.
	start := time.Now()
	wantCode(t, cli.ExitUsage, `unknown sampler "bogus"`, "compare", "--sampler", "bogus")
	wantCode(t, cli.ExitUsage, "ratio", "compare", "--methods", "ssm;nce:ratio=0")
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("compare took %v to refuse: it trained first", el)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a refused run wrote its output")
	}
}

// A run that diverges to garbage exits 1 and leaves nothing, not even its
// checkpoint folder. The uniform density on the grid scores log 64 ≈ 4.16
// nats; lr = 10 ends tens of thousands of nats worse.
func TestGarbageRunFails(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 300 iterations")
	}
	root := t.TempDir()
	out := filepath.Join(root, "g")
	code, msg := runCode(t, context.Background(), "train", "--lr", "10", "--iters", "300", "--batch", "64", "--test", "1000",
		"--out", out, "--checkpoint-every", "100", "--quiet")
	if code != cli.ExitFailure || !strings.Contains(msg, "nothing was saved") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Fatalf("a failed run left %v", ents)
	}
}

// Training that keeps diverging exits 1 with the library's message and one
// line of advice naming the flags that help; nothing is left behind.
func TestDivergenceAdvice(t *testing.T) {
	root := t.TempDir()
	var msg string
	stderr := captureStderr(t, func() {
		var code int
		code, msg = runCode(t, context.Background(), trainArgs("--lr", "1e8", "--checkpoint-every", "0", "--out", filepath.Join(root, "d"))...)
		if code != cli.ExitFailure {
			t.Errorf("exit %d, want %d", code, cli.ExitFailure)
		}
	})
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "diverged") || !strings.Contains(lines[1], "--lr") || strings.Contains(lines[0], "--") {
		t.Fatalf("message %q (progress %q)", msg, stderr)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Fatalf("a diverged run left %v", ents)
	}
}

// Exit codes: missing or invalid inputs are usage errors (2); a panic is a
// one-line internal error (3).
func TestExitCodes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	wantCode(t, cli.ExitUsage, "no such file", trainArgs("--data", filepath.Join(t.TempDir(), "none.csv"), "--out", out)...)
	wantCode(t, cli.ExitUsage, "", "eval", "--model", filepath.Join(t.TempDir(), "none"))
	empty := t.TempDir()
	wantCode(t, cli.ExitUsage, "", "eval", "--model", empty)
	wantCode(t, cli.ExitUsage, "", "sample", "--model", empty)
	wantCode(t, cli.ExitUsage, "", "train", "--resume", empty, "--out", out)

	saved := subcommands
	t.Cleanup(func() { subcommands = saved })
	subcommands = append(subcommands[:len(subcommands):len(subcommands)], func() *cobra.Command {
		return &cobra.Command{Use: "boom", RunE: func(*cobra.Command, []string) error {
			var m map[string]int
			m["x"] = 1 // a nil-map write: a bug
			return nil
		}}
	})
	t.Setenv("EBM_DEBUG", "")
	code, msg := runCode(t, context.Background(), "boom")
	if code != cli.ExitInternal || !strings.HasPrefix(msg, "ebm: internal error: ") || strings.Count(msg, "\n") != 1 {
		t.Fatalf("panic: exit %d, message %q", code, msg)
	}
}

// Sampling that has not converged says so (Stan's thresholds: R-hat > 1.01,
// bulk ESS < 100 per chain).
func TestSampleWarnings(t *testing.T) {
	out, err := run(t, "sample", "--energy", "gauss:dim=2,rho=0.99", "--sampler", "rwmh:adapt=false,step=0.01",
		"--chains", "4", "--steps", "50", "--warmup", "0", "--json", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	var r metric.SampleReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) == 0 || !strings.Contains(strings.Join(r.Warnings, " "), "ESS") {
		t.Fatalf("R-hat %v, ESS %v: warnings %q", r.RhatMax, r.ESSBulkMin, r.Warnings)
	}
}

// Temporary folders left by a killed run are removed by the next run that
// writes beside them; a live run's are kept.
func TestStaleTempFoldersCleaned(t *testing.T) {
	root := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1) to get a dead PID:", err)
	}
	dead := filepath.Join(root, fmt.Sprintf(".o.tmp-p%d-abc", cmd.Process.Pid))
	live := filepath.Join(root, fmt.Sprintf(".o.tmp-p%d-abc", os.Getppid()))
	os.Mkdir(dead, 0o755)
	os.Mkdir(live, 0o755)
	out := filepath.Join(root, "o")
	if _, err := run(t, "sample", "--energy", "gauss", "--chains", "2", "--steps", "10", "--warmup", "0", "--out", out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); err == nil {
		t.Error("a dead run's temporary folder was kept")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("a live run's temporary folder was removed")
	}
}

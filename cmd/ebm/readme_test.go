package main

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// readmeBlock is a checked example of the README: an indented code block after
// a line "<!-- check -->" (run by go test) or "<!-- check: slow -->" (run when
// EBM_README=all, by scripts/check-readme.sh). Lines "$ ebm ARGS" are run in
// order in a fresh folder; every other line must appear in the standard output
// of the command before it, as printed, or with its numbers near the printed
// ones (nearMatch).
type readmeBlock struct {
	line int
	slow bool
	cmds []readmeCmd
}

type readmeCmd struct {
	args []string
	want []string
}

func parseReadme(t *testing.T, path string) []readmeBlock {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []readmeBlock
	var cur *readmeBlock
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "<!-- check"):
			blocks = append(blocks, readmeBlock{line: n, slow: strings.Contains(l, "slow")})
			cur = &blocks[len(blocks)-1]
		case cur == nil:
		case strings.HasPrefix(l, "    $ ebm "):
			cur.cmds = append(cur.cmds, readmeCmd{args: shellWords(t, strings.TrimPrefix(l, "    $ ebm "))})
		case strings.HasPrefix(l, "    $ "):
			// other commands (go test ...) are documentation only
		case strings.HasPrefix(l, "    ") && len(cur.cmds) > 0:
			c := &cur.cmds[len(cur.cmds)-1]
			if w := strings.TrimSpace(l); w != "" && !strings.HasPrefix(w, "#") {
				c.want = append(c.want, w)
			}
		case strings.TrimSpace(l) == "" && len(cur.cmds) == 0:
		case strings.TrimSpace(l) == "":
		default:
			cur = nil
		}
	}
	return blocks
}

// shellWords splits a command line on spaces, honouring single quotes (keep
// README commands on one line: no backslash continuations).
func shellWords(t *testing.T, s string) []string {
	var out []string
	var b strings.Builder
	inQ, have := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			inQ, have = !inQ, true
		case r == ' ' && !inQ:
			if have {
				out = append(out, b.String())
				b.Reset()
				have = false
			}
		default:
			b.WriteRune(r)
			have = true
		}
	}
	if inQ {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if have {
		out = append(out, b.String())
	}
	return out
}

// TestReadme runs the README's checked examples and compares the figures they
// print with the ones the README quotes.
func TestReadme(t *testing.T) {
	readme, err := filepath.Abs("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := parseReadme(t, readme)
	if len(blocks) == 0 {
		t.Fatal("README has no checked examples")
	}
	all := os.Getenv("EBM_README") == "all"
	for _, b := range blocks {
		if b.slow && !all {
			continue
		}
		t.Run(strings.Join(b.cmds[0].args[:1], "")+"@"+strconv.Itoa(b.line), func(t *testing.T) {
			if len(b.cmds) == 0 {
				t.Fatalf("README line %d: checked block has no command", b.line)
			}
			tmp := t.TempDir()
			// The README's paths are relative to the repository: link its
			// folders (test data) into the fresh working folder.
			root := filepath.Dir(readme)
			for _, d := range []string{"crf", "data"} {
				if err := os.Symlink(filepath.Join(root, d), filepath.Join(tmp, d)); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(tmp)
			for _, c := range b.cmds {
				out, err := run(t, c.args...)
				if err != nil {
					t.Fatalf("README line %d: ebm %s: %v", b.line, strings.Join(c.args, " "), err)
				}
				for _, w := range c.want {
					if !strings.Contains(out, w) && !nearMatch(out, w) {
						t.Errorf("README line %d: ebm %s: output lacks %q; it printed:\n%s", b.line, strings.Join(c.args, " "), w, out)
					}
				}
			}
		})
	}
}

// numberRE matches a number as the README prints them.
var numberRE = regexp.MustCompile(`[-+]?\d+(\.\d+)?([eE][-+]?\d+)?`)

// nearMatch reports whether a line of out holds want up to its numbers, each
// within 20% (relative) or 0.05 (absolute) of the README's. The figures of
// trained models depend on the rounding of the vector kernels (AVX-512, AVX2
// and pure Go sum in different orders, and training amplifies the last bits),
// so on another CPU a figure is near the README's rather than equal to it; a
// model that trained badly is still caught.
func nearMatch(out, want string) bool {
	const mark = "\x00" // stands for a number; never in the text itself
	wantText := numberRE.ReplaceAllString(want, mark)
	wantNums := numberRE.FindAllString(want, -1)
	if len(wantNums) == 0 {
		return false
	}
lines:
	for _, l := range strings.Split(out, "\n") {
		masked := numberRE.ReplaceAllString(l, mark)
		i := strings.Index(masked, wantText)
		if i < 0 {
			continue
		}
		gotNums := numberRE.FindAllString(l, -1)
		k := strings.Count(masked[:i], mark)
		if k+len(wantNums) > len(gotNums) {
			continue
		}
		for j, w := range wantNums {
			a, err1 := strconv.ParseFloat(gotNums[k+j], 64)
			b, err2 := strconv.ParseFloat(w, 64)
			if err1 != nil || err2 != nil {
				continue lines
			}
			if d := math.Abs(a - b); d > 0.05 && d > 0.2*math.Abs(b) {
				continue lines
			}
		}
		return true
	}
	return false
}

func TestNearMatch(t *testing.T) {
	out := "trained in 16.5s\ntest: accuracy 0.9024  NLL 0.3819  ECE 0.0446  (297 examples)\n"
	for _, c := range []struct {
		want string
		ok   bool
	}{
		{"test: accuracy 0.9091  NLL 0.3547  ECE 0.0335  (297 examples)", true},
		{"accuracy 0.9091  NLL 0.3547", true},
		{"test: accuracy 0.5000  NLL 0.3547  ECE 0.0335  (297 examples)", false},
		{"test: accuracy 0.9091  NLL 0.3547  ECE 0.0335  (500 examples)", false},
		{"train: accuracy 0.9091  NLL 0.3547  ECE 0.0335  (297 examples)", false},
		{"no numbers here", false},
	} {
		if got := nearMatch(out, c.want); got != c.ok {
			t.Errorf("nearMatch(%q) = %v, want %v", c.want, got, c.ok)
		}
	}
}

package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readmeBlock is a checked example of the README: an indented code block after
// a line "<!-- check -->" (run by go test) or "<!-- check: slow -->" (run when
// EBM_README=all, by scripts/check-readme.sh). Lines "$ ebm ARGS" are run in
// order in a fresh folder; every other line must appear in the standard output
// of the command before it, as printed.
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
					if !strings.Contains(out, w) {
						t.Errorf("README line %d: ebm %s: output lacks %q; it printed:\n%s", b.line, strings.Join(c.args, " "), w, out)
					}
				}
			}
		})
	}
}

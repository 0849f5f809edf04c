package crf

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Sentence is one sequence of a CoNLL file: for each token its input columns
// (Tokens[t][0] is the word) and, when the file has them, its gold labels.
type Sentence struct {
	Tokens [][]string
	Labels []string // nil when the file has no label column
	Line   int      // line number of the first token in the file (1-based)
}

// Len returns the number of tokens.
func (s *Sentence) Len() int { return len(s.Tokens) }

// Words returns the first column of each token.
func (s *Sentence) Words() []string {
	w := make([]string, len(s.Tokens))
	for i, t := range s.Tokens {
		w[i] = t[0]
	}
	return w
}

// InputError is an error in an input file, with its position.
type InputError struct {
	File string
	Line int
	Msg  string
}

// Error formats the error as "file:line: message".
func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// maxLineBytes caps the length of one line of a CoNLL file.
const maxLineBytes = 1 << 20

// ReadCoNLL reads a CoNLL-style file: one token per line, columns separated by
// spaces or tabs, a blank line between sentences. Every token line of a file
// must have the same number of columns (a ragged line is an *InputError naming
// the file and line). With labelled true the last column is the gold label and
// the others are inputs (at least one), otherwise every column is an input.
//
// Empty sentences do not exist: runs of blank lines count as one separator,
// blank lines at the start and end are ignored, and lines starting with
// "-DOCSTART-" (CoNLL-2003 document markers) are treated as blank. A file
// with no token at all is an error. name is used in error messages.
func ReadCoNLL(r io.Reader, name string, labelled bool) ([]Sentence, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLineBytes)
	var (
		out      []Sentence
		cur      Sentence
		ncol     int
		ncolLine int
		line     int
	)
	flush := func() {
		if len(cur.Tokens) > 0 {
			out = append(out, cur)
		}
		cur = Sentence{}
	}
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		f := strings.Fields(text)
		if len(f) == 0 || strings.HasPrefix(f[0], "-DOCSTART-") {
			flush()
			continue
		}
		if ncol == 0 {
			ncol, ncolLine = len(f), line
			if labelled && ncol < 2 {
				return nil, &InputError{name, line, fmt.Sprintf("%d column; a labelled file needs at least 2 (inputs, then the label last)", ncol)}
			}
		} else if len(f) != ncol {
			return nil, &InputError{name, line, fmt.Sprintf("%d columns, but line %d has %d (ragged columns)", len(f), ncolLine, ncol)}
		}
		if len(cur.Tokens) == 0 {
			cur.Line = line
		}
		if labelled {
			cur.Tokens = append(cur.Tokens, f[:ncol-1])
			cur.Labels = append(cur.Labels, f[ncol-1])
		} else {
			cur.Tokens = append(cur.Tokens, f)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &InputError{name, line + 1, err.Error()}
	}
	flush()
	if len(out) == 0 {
		return nil, &InputError{name, 0, "no tokens (an empty CoNLL file)"}
	}
	return out, nil
}

// ReadCoNLLFile opens path and reads it with ReadCoNLL.
func ReadCoNLLFile(path string, labelled bool) ([]Sentence, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadCoNLL(f, path, labelled)
}

// WriteCoNLL writes sentences with their input columns and, as the last
// column, the labels pred[i] (one per token), separated by tabs, with a blank
// line after each sentence.
func WriteCoNLL(w io.Writer, sents []Sentence, pred [][]string) error {
	return writeCoNLL(w, sents, pred, nil)
}

// WriteCoNLLMarginals is WriteCoNLL with one more column after each label:
// its probability marg[i][t] (Model.TagMarginals), with four decimals.
func WriteCoNLLMarginals(w io.Writer, sents []Sentence, pred [][]string, marg [][]float64) error {
	return writeCoNLL(w, sents, pred, marg)
}

func writeCoNLL(w io.Writer, sents []Sentence, pred [][]string, marg [][]float64) error {
	bw := bufio.NewWriter(w)
	var num []byte
	for i, s := range sents {
		for t, tok := range s.Tokens {
			for _, c := range tok {
				bw.WriteString(c)
				bw.WriteByte('\t')
			}
			bw.WriteString(pred[i][t])
			if marg != nil {
				num = strconv.AppendFloat(append(num[:0], '\t'), marg[i][t], 'f', 4, 64)
				bw.Write(num)
			}
			bw.WriteByte('\n')
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

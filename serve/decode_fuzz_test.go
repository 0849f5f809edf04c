package serve

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// FuzzDecodeRows: the request decoder never panics; it returns either at
// most maxRows rows of exactly dim finite numbers, or a *RequestError with a
// 400 or 413 status.
func FuzzDecodeRows(f *testing.F) {
	for _, s := range []string{`{"rows": [[1, 2]]}`, `{"rows": [[1, 2], [3, 4], [5, 6]]}`, `{"rows": [[null, 1]]}`,
		`{"rows": [["1", 2]]}`, `{"rows": []}`, `{"rows": [[1e999, 2]]}`, `[1]`, `{"rows": [[1, 2]]} x`, `{"a": 1}`, `{`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		const dim, maxRows = 2, 2
		x, err := DecodeRows(strings.NewReader(s), dim, maxRows)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || (re.Status != 400 && re.Status != 413) || re.Msg == "" {
				t.Fatalf("error %v (%T) is not a 400/413 RequestError", err, err)
			}
			return
		}
		if x.Cols != dim || x.Rows < 1 || x.Rows > maxRows || len(x.Data) != x.Rows*dim {
			t.Fatalf("decoded %s", x.Shape())
		}
		for _, v := range x.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite value %v", v)
			}
		}
	})
}

// FuzzDecodeSentences: the tagging decoder never panics; it returns either
// between 1 and maxTokens tokens in non-empty sentences, each of cols
// non-empty columns, or a *RequestError with a 400 or 413 status.
func FuzzDecodeSentences(f *testing.F) {
	for _, s := range []string{`{"sentences": [["a", "b"]]}`, `{"sentences": [[["a", "X"], ["b", "Y"]]]}`, `{"sentences": [["a"], []]}`,
		`{"sentences": [[1]]}`, `{"sentences": [[["a"]]]}`, `{"sentences": [[""]]}`, `{"sentences": []}`, `[1]`, `{"sentences": [["a"]]} x`,
		`{"a": 1}`, `{`, `{"sentences": [["a", "b", "c"], ["d"]]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		const cols, maxTokens = 2, 3
		sents, err := DecodeSentences(strings.NewReader(s), cols, maxTokens)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || (re.Status != 400 && re.Status != 413) || re.Msg == "" {
				t.Fatalf("error %v (%T) is not a 400/413 RequestError", err, err)
			}
			return
		}
		n := 0
		for _, st := range sents {
			if len(st.Tokens) == 0 {
				t.Fatal("empty sentence")
			}
			for _, tok := range st.Tokens {
				if len(tok) != cols {
					t.Fatalf("token %q", tok)
				}
				for _, c := range tok {
					if c == "" {
						t.Fatalf("empty column in %q", tok)
					}
				}
			}
			n += len(st.Tokens)
		}
		if len(sents) == 0 || n > maxTokens {
			t.Fatalf("%d sentences, %d tokens", len(sents), n)
		}
	})
}

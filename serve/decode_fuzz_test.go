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

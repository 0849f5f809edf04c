package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/ebm-go/ebm/tensor"
)

// RequestError is a bad request: Status is the HTTP status to answer with
// (400 or 413) and Msg says what is wrong, naming the row and column.
type RequestError struct {
	Status int
	Msg    string
}

func (e *RequestError) Error() string { return e.Msg }

func badRequest(format string, a ...any) error {
	return &RequestError{Status: 400, Msg: fmt.Sprintf(format, a...)}
}

// DecodeRows reads a scoring request, the JSON object {"rows": [[x₁₁, …,
// x₁d], …]}, from r: at most maxRows rows of exactly dim finite numbers each.
// The decoder is strict and streaming (it never holds more than the rows
// themselves): any other field, a row of another width, a value that is a
// string, null, boolean or out of float64 range, an empty list of rows, more
// than maxRows rows and anything after the object are *RequestErrors (413
// for too many rows, 400 otherwise) that name the row and column.
func DecodeRows(r io.Reader, dim, maxRows int) (*tensor.Dense[float64], error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	tok := func(what string) (json.Token, error) {
		t, err := dec.Token()
		if err == io.EOF {
			return nil, badRequest("malformed JSON: the body ends before %s", what)
		}
		if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return nil, badRequest("malformed JSON at byte %d: %v", se.Offset, err)
			}
			if e := tooLarge(err); e != nil {
				return nil, e
			}
			return nil, badRequest("malformed JSON: %v", err)
		}
		return t, nil
	}
	t, err := tok(`the object {"rows": [...]}`)
	if err != nil {
		return nil, err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, badRequest(`the body must be a JSON object {"rows": [[...], ...]}, not %s`, describe(t))
	}
	var vals []float64
	rows := -1
	for dec.More() {
		t, err := tok("a field name")
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		if key != "rows" {
			return nil, badRequest(`unknown field %q (the only field is "rows")`, key)
		}
		if rows >= 0 {
			return nil, badRequest(`field "rows" given twice`)
		}
		if t, err = tok("the list of rows"); err != nil {
			return nil, err
		}
		if d, ok := t.(json.Delim); !ok || d != '[' {
			return nil, badRequest(`"rows" must be a list of rows, not %s`, describe(t))
		}
		rows = 0
		for dec.More() {
			if rows == maxRows {
				return nil, &RequestError{Status: 413, Msg: fmt.Sprintf("more than %d rows in one request", maxRows)}
			}
			if t, err = tok("a row"); err != nil {
				return nil, err
			}
			if d, ok := t.(json.Delim); !ok || d != '[' {
				return nil, badRequest("row %d must be a list of %d numbers, not %s", rows+1, dim, describe(t))
			}
			col := 0
			for dec.More() {
				if t, err = tok("a value"); err != nil {
					return nil, err
				}
				if col == dim {
					return nil, badRequest("row %d has more than %d values: the model takes %d", rows+1, dim, dim)
				}
				num, ok := t.(json.Number)
				if !ok {
					return nil, badRequest("row %d, column %d: %s is not a number", rows+1, col+1, describe(t))
				}
				v, err := strconv.ParseFloat(string(num), 64)
				if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
					return nil, badRequest("row %d, column %d: %s is out of range for float64", rows+1, col+1, shorten(string(num)))
				}
				vals = append(vals, v)
				col++
			}
			if _, err = tok("the end of a row"); err != nil {
				return nil, err
			}
			if col != dim {
				return nil, badRequest("row %d has %d values: the model takes %d", rows+1, col, dim)
			}
			rows++
		}
		if _, err = tok("the end of the rows"); err != nil {
			return nil, err
		}
	}
	if _, err = tok("the end of the object"); err != nil {
		return nil, err
	}
	if rows < 0 {
		return nil, badRequest(`missing field "rows"`)
	}
	if rows == 0 {
		return nil, badRequest("no rows to score")
	}
	if _, err := dec.Token(); err != io.EOF {
		if e := tooLarge(err); e != nil {
			return nil, e
		}
		return nil, badRequest("unexpected data after the JSON object")
	}
	return tensor.FromSlice(rows, dim, vals), nil
}

// tooLarge returns a 413 RequestError when err says that the body passed
// the limit of http.MaxBytesReader, else nil.
func tooLarge(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &RequestError{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("request body larger than %d bytes", mbe.Limit)}
	}
	return nil
}

// describe names a JSON token for an error message.
func describe(t json.Token) string {
	switch v := t.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case string:
		return "the string " + shorten(strconv.Quote(v))
	case json.Number:
		return "the number " + shorten(string(v))
	case json.Delim:
		switch v {
		case '{':
			return "an object"
		case '[':
			return "a list"
		}
		return "'" + v.String() + "'"
	}
	return fmt.Sprintf("%v", t)
}

func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

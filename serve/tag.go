package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ebm-go/ebm/crf"
)

// TagResponse is the answer to a tagging request: for each sentence its most
// likely labels (Viterbi), each label's marginal probability
// p(y_t = label | sentence) and the probability of the whole labelling.
type TagResponse struct {
	Model           string      `json:"model"`
	Kind            string      `json:"kind"`
	Sentences       int         `json:"sentences"`
	Tokens          int         `json:"tokens"`
	Labels          [][]string  `json:"labels"`
	Marginals       [][]float64 `json:"marginals"`
	PathProbability []float64   `json:"path_probability"`
}

// DecodeSentences reads a tagging request, the JSON object
// {"sentences": [[token, …], …]}, from r, for a tagger with cols input
// columns: a token is a non-empty string when cols is 1, or a list of cols
// non-empty strings (the columns of a CoNLL line without its label). Unknown
// fields, an empty list of sentences, an empty sentence, a token of another
// type or width, more than maxTokens tokens in all and anything after the
// object are *RequestErrors (413 for too many tokens, 400 otherwise) that name
// the sentence and token.
func DecodeSentences(r io.Reader, cols, maxTokens int) ([]crf.Sentence, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var req struct {
		Sentences []([]json.RawMessage) `json:"sentences"`
	}
	if err := dec.Decode(&req); err != nil {
		if e := tooLarge(err); e != nil {
			return nil, e
		}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return nil, badRequest(`malformed JSON: the body ends before the object {"sentences": [...]} does`)
		case errors.As(err, &se):
			return nil, badRequest("malformed JSON at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return nil, badRequest(`the body must be {"sentences": [[token, ...], ...]}: %v`, err)
		}
		return nil, badRequest("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if e := tooLarge(err); e != nil {
			return nil, e
		}
		return nil, badRequest("unexpected data after the JSON object")
	}
	if len(req.Sentences) == 0 {
		return nil, badRequest(`"sentences" is missing or empty`)
	}
	out := make([]crf.Sentence, len(req.Sentences))
	n := 0
	for i, s := range req.Sentences {
		if len(s) == 0 {
			return nil, badRequest("sentence %d has no tokens", i+1)
		}
		if n += len(s); n > maxTokens {
			return nil, &RequestError{Status: http.StatusRequestEntityTooLarge,
				Msg: fmt.Sprintf("more than %d tokens in one request (at sentence %d)", maxTokens, i+1)}
		}
		out[i].Tokens = make([][]string, len(s))
		for t, raw := range s {
			tok, err := decodeToken(raw, cols)
			if err != nil {
				return nil, badRequest("sentence %d, token %d: %v", i+1, t+1, err)
			}
			out[i].Tokens[t] = tok
		}
	}
	return out, nil
}

// decodeToken reads one token: a string (one column) or a list of cols
// strings.
func decodeToken(raw json.RawMessage, cols int) ([]string, error) {
	var tok []string
	switch b := bytes.TrimSpace(raw); {
	case len(b) > 0 && b[0] == '"':
		var w string
		if err := json.Unmarshal(b, &w); err != nil {
			return nil, err
		}
		tok = []string{w}
	case len(b) > 0 && b[0] == '[':
		if err := json.Unmarshal(b, &tok); err != nil {
			return nil, fmt.Errorf("a token given as a list must hold strings only")
		}
	default:
		return nil, fmt.Errorf("want a string or a list of %d strings, got %s", cols, b)
	}
	if len(tok) != cols {
		return nil, fmt.Errorf("%d column(s); the model wants %d", len(tok), cols)
	}
	for c, w := range tok {
		if w == "" {
			return nil, fmt.Errorf("column %d is empty", c+1)
		}
	}
	return tok, nil
}

func (s *Server) handleTag(w http.ResponseWriter, r *http.Request) {
	m, label, end := s.begin(r.PathValue("name"))
	code := http.StatusOK
	defer func() { end(code) }()
	fail := func(c int, msg string) {
		code = c
		writeError(w, c, msg)
	}
	switch {
	case m == nil:
		fail(http.StatusNotFound, fmt.Sprintf("unknown model %q (models: %s)", r.PathValue("name"), s.names()))
		return
	case m.tagger == nil:
		fail(http.StatusBadRequest, fmt.Sprintf("model %q (kind %s) scores rows: POST /v1/models/%s/score", m.name, m.kind, m.name))
		return
	}
	sents, err := DecodeSentences(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes), m.tagger.Columns, s.cfg.MaxRows)
	if err != nil {
		fail(requestStatus(err))
		return
	}
	select {
	case <-m.slots:
	case <-r.Context().Done():
		fail(http.StatusServiceUnavailable, "request cancelled while waiting for a free worker")
		return
	}
	var labels [][]string
	var marg [][]float64
	var path []float64
	func() {
		defer func() {
			m.slots <- struct{}{}
			if v := recover(); v != nil { // as score.Scorer.Score: an error, answered with 500
				err = fmt.Errorf("the model failed on %d sentences: %v", len(sents), v)
			}
		}()
		labels, marg, path = m.tagger.TagMarginals(sents)
	}()
	if err != nil {
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	tokens := 0
	for _, l := range labels {
		tokens += len(l)
	}
	s.tokens.WithLabelValues(label).Add(float64(tokens))
	writeJSON(w, http.StatusOK, TagResponse{Model: m.name, Kind: m.kind, Sentences: len(sents), Tokens: tokens,
		Labels: labels, Marginals: marg, PathProbability: path})
}

// begin records a request to the model called name (nil if there is none)
// and returns its metric label and the function that records the answer's
// status code.
func (s *Server) begin(name string) (m *served, label string, end func(code int)) {
	start := time.Now()
	m = s.models[name]
	label = name
	if m == nil {
		label = "unknown" // bounded label values: no metric per unknown name
	}
	s.inFlight.Inc()
	s.active.Add(1)
	s.began.Add(1)
	return m, label, func(code int) {
		s.answered.Add(1)
		s.active.Add(-1)
		s.inFlight.Dec()
		s.requests.WithLabelValues(label, strconv.Itoa(code)).Inc()
		s.latency.WithLabelValues(label).Observe(time.Since(start).Seconds())
	}
}

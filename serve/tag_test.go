package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/crf"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/score"
)

// newTagServer serves a CRF trained on the named-entity test file as "ner"
// (the default loader: found by its kind) beside the Gaussian "g".
func newTagServer(t *testing.T, cfg Config) (*httptest.Server, *crf.Model) {
	t.Helper()
	ts, m, _ := newTagServerOf(t, cfg)
	return ts, m
}

// newTagServerOf is newTagServer that also returns the Server.
func newTagServerOf(t *testing.T, cfg Config) (*httptest.Server, *crf.Model, *Server) {
	t.Helper()
	train, err := crf.ReadCoNLLFile("../crf/testdata/ner-train.conll", true)
	if err != nil {
		t.Fatal(err)
	}
	opt, _ := crf.ParseAlgorithm("algo", "lbfgs:c2=1,maxiter=30")
	m, _, err := crf.Fit(context.Background(), train, crf.BuildOptions{Templates: crf.DefaultTemplates()}, opt)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ner")
	if err := m.Save(dir, model.Meta{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	load := func(d string) (*score.Scorer, error) {
		if d == "gauss" {
			return gaussLoader(d)
		}
		return LoadModel(d)
	}
	s, err := New(map[string]string{"ner": dir, "g": "gauss"}, load, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, m, s
}

func TestTagEndpoint(t *testing.T) {
	ts, m := newTagServer(t, Config{Workers: 2})
	code, r := post(t, ts.URL+"/v1/models/ner/tag", `{"sentences": [["Anna", "visited", "Paris", "."], [["The"], ["bank"], ["in"], ["Berlin"], ["closed"]]]}`)
	if code != 200 {
		t.Fatalf("status %d: %v", code, r)
	}
	sents := []crf.Sentence{
		{Tokens: [][]string{{"Anna"}, {"visited"}, {"Paris"}, {"."}}},
		{Tokens: [][]string{{"The"}, {"bank"}, {"in"}, {"Berlin"}, {"closed"}}},
	}
	labels, marg, path := m.TagMarginals(sents)
	var got struct {
		Labels    [][]string
		Marginals [][]float64
		Path      []float64 `json:"path_probability"`
	}
	remarshal(t, r, &got)
	if !reflect.DeepEqual(got.Labels, labels) || !reflect.DeepEqual(got.Marginals, marg) || !reflect.DeepEqual(got.Path, path) {
		t.Fatalf("served %+v, library %v %v %v", got, labels, marg, path)
	}
	if r["kind"] != "crf" || r["sentences"] != 2.0 || r["tokens"] != 9.0 {
		t.Fatalf("response %v", r)
	}
	mresp, err := ts.Client().Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	if !strings.Contains(string(mb), `ebm_tokens_tagged_total{model="ner"} 9`) || !strings.Contains(string(mb), `ebm_requests_total{code="200",model="ner"} 1`) {
		t.Errorf("metrics:\n%s", mb)
	}
	// The models list says which endpoint serves which model.
	resp, err := ts.Client().Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Models []ModelInfo }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if len(list.Models) != 2 || list.Models[1].Name != "ner" || list.Models[1].Endpoint != "tag" || list.Models[1].Dim != 1 || list.Models[0].Endpoint != "score" {
		t.Fatalf("models %+v", list.Models)
	}
}

func TestTagBadRequests(t *testing.T) {
	ts, _ := newTagServer(t, Config{MaxRows: 5})
	for _, c := range []struct {
		path, body string
		code       int
		msg        string
	}{
		{"ner/tag", `{"sentences": [["a", "b"]], "x": 1}`, 400, `unknown field "x"`},
		{"ner/tag", `{"sentences": []}`, 400, "missing or empty"},
		{"ner/tag", `{}`, 400, "missing or empty"},
		{"ner/tag", `{"sentences": [["a"], []]}`, 400, "sentence 2 has no tokens"},
		{"ner/tag", `{"sentences": [["a", 3]]}`, 400, "sentence 1, token 2"},
		{"ner/tag", `{"sentences": [["a", ["b", "c"]]]}`, 400, "sentence 1, token 2: 2 column(s); the model wants 1"},
		{"ner/tag", `{"sentences": [["a", ""]]}`, 400, "sentence 1, token 2: column 1 is empty"},
		{"ner/tag", `{"sentences": [["a", [1]]]}`, 400, "strings only"},
		{"ner/tag", `{"sentences": "a"}`, 400, "the body must be"},
		{"ner/tag", `{"sentences": [["a"]]} {}`, 400, "after the JSON object"},
		{"ner/tag", `{"sentences": [["a", "b`, 400, "malformed JSON"},
		{"ner/tag", `{"sentences": [["a", "b", "c"], ["d", "e", "f"]]}`, 413, "more than 5 tokens"},
		{"nope/tag", `{"sentences": [["a"]]}`, 404, "unknown model"},
		{"g/tag", `{"sentences": [["a"]]}`, 400, "scores rows: POST /v1/models/g/score"},
		{"ner/score", `{"rows": [[1]]}`, 400, "labels sequences: POST /v1/models/ner/tag"},
	} {
		code, r := post(t, ts.URL+"/v1/models/"+c.path, c.body)
		msg, _ := r["error"].(string)
		if code != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("%s %s: status %d %q, want %d containing %q", c.path, c.body, code, msg, c.code, c.msg)
		}
	}
	// Every answer was counted, and the tokens of none.
	resp, err := ts.Client().Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := string(b); !strings.Contains(m, `ebm_requests_total{code="400",model="ner"} 12`) ||
		!strings.Contains(m, `ebm_requests_total{code="413",model="ner"} 1`) || strings.Contains(m, `ebm_tokens_tagged_total{model="ner"}`) {
		t.Errorf("metrics:\n%s", m)
	}
}

// remarshal converts a decoded JSON object into v.
func remarshal(t *testing.T, from map[string]any, v any) {
	t.Helper()
	b, err := json.Marshal(from)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestTagPanicIs500: a panic while tagging (here a model broken after
// loading) is answered with 500, the worker slot comes back and the server
// goes on.
func TestTagPanicIs500(t *testing.T) {
	ts, _, srv := newTagServerOf(t, Config{Workers: 1})
	tg := srv.models["ner"].tagger
	labels := tg.Labels
	tg.Labels = labels[:1]
	body := `{"sentences": [["Anna", "visited", "Paris", "."]]}`
	if code, r := post(t, ts.URL+"/v1/models/ner/tag", body); code != 500 || !strings.Contains(r["error"].(string), "the model failed on 1 sentences") {
		t.Fatalf("broken model: status %d %v, want 500", code, r)
	}
	tg.Labels = labels
	if code, r := post(t, ts.URL+"/v1/models/ner/tag", body); code != 200 {
		t.Fatalf("after the panic: status %d %v, want 200", code, r)
	}
	// The metrics count the answers as they were sent.
	resp, err := ts.Client().Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := string(b); !strings.Contains(m, `ebm_requests_total{code="500",model="ner"} 1`) ||
		!strings.Contains(m, `ebm_requests_total{code="200",model="ner"} 1`) {
		t.Errorf("metrics:\n%s", m)
	}
}

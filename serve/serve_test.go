package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/score"
	"github.com/ebm-go/ebm/tensor"
)

// flagged is a Gaussian energy with a threshold, as anomaly detectors are.
type flagged struct {
	*energy.Gaussian
	t float64
}

func (f flagged) Threshold() float64 { return f.t }

// gaussLoader loads N(0, I₂) with threshold 2 (flagging ‖x‖² > 4).
func gaussLoader(string) (*score.Scorer, error) {
	g, err := energy.NewDiagGaussian([]float64{0, 0}, []float64{1, 1})
	if err != nil {
		return nil, err
	}
	s, err := score.New(flagged{g, 2}, true)
	if s != nil {
		s.Kind = "test-gauss"
	}
	return s, err
}

func newTestServer(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	s, err := New(map[string]string{"g": "unused"}, gaussLoader, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("status %d, body %q is not JSON", resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

func TestScoreEndpoint(t *testing.T) {
	ts := newTestServer(t, Config{})
	code, m := post(t, ts.URL+"/v1/models/g/score", `{"rows": [[0, 0], [3, 4], [1e-3, -2.5e0]]}`)
	if code != 200 {
		t.Fatalf("status %d: %v", code, m)
	}
	e := m["energy"].([]any)
	norms := m["score_norm"].([]any)
	flags := m["flag"].([]any)
	// E = ½‖x‖², ‖∇E‖ = ‖x‖, flag = E > 2.
	want := [][2]float64{{0, 0}, {12.5, 5}, {0.5 * (1e-6 + 6.25), math.Hypot(1e-3, 2.5)}}
	for i, w := range want {
		if math.Abs(e[i].(float64)-w[0]) > 1e-12 || math.Abs(norms[i].(float64)-w[1]) > 1e-12 || flags[i].(bool) != (w[0] > 2) {
			t.Fatalf("row %d: energy %v norm %v flag %v, want %v", i, e[i], norms[i], flags[i], w)
		}
	}
	if m["threshold"].(float64) != 2 || m["kind"] != "test-gauss" || m["rows"].(float64) != 3 || m["neg_log_p"] == nil || m["anomaly_score"] == nil {
		t.Fatalf("response %v", m)
	}
	for _, p := range []string{"/healthz", "/v1/models", "/metrics"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", p, err, resp.Status)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if p == "/metrics" {
			for _, want := range []string{`ebm_requests_total{code="200",model="g"} 1`, `ebm_rows_scored_total{model="g"} 3`, "ebm_request_duration_seconds_bucket", "ebm_requests_in_flight 0"} {
				if !strings.Contains(string(b), want) {
					t.Fatalf("metrics lack %q:\n%s", want, b)
				}
			}
		}
	}
}

// TestBadRequests: every class of bad request gets its 4xx status and a
// message naming the problem.
func TestBadRequests(t *testing.T) {
	ts := newTestServer(t, Config{MaxRows: 3, MaxBodyBytes: 200})
	u := ts.URL + "/v1/models/g/score"
	cases := []struct {
		name, url, body string
		code            int
		want            string
	}{
		{"malformed", u, `{"rows": [[1, 2]`, 400, "malformed JSON"},
		{"syntax", u, `{"rows": [[1, 2],, ]}`, 400, "malformed JSON at byte"},
		{"not object", u, `[[1, 2]]`, 400, "must be a JSON object"},
		{"unknown field", u, `{"rows": [[1, 2]], "x": 1}`, 400, `unknown field "x"`},
		{"missing rows", u, `{}`, 400, `missing field "rows"`},
		{"no rows", u, `{"rows": []}`, 400, "no rows to score"},
		{"rows not list", u, `{"rows": 5}`, 400, `"rows" must be a list of rows, not the number 5`},
		{"row not list", u, `{"rows": [1]}`, 400, "row 1 must be a list of 2 numbers"},
		{"short row", u, `{"rows": [[1, 2], [3]]}`, 400, "row 2 has 1 values: the model takes 2"},
		{"long row", u, `{"rows": [[1, 2, 3]]}`, 400, "row 1 has more than 2 values"},
		{"string", u, `{"rows": [[1, "NaN"]]}`, 400, `row 1, column 2: the string "NaN" is not a number`},
		{"null", u, `{"rows": [[null, 1]]}`, 400, "row 1, column 1: null is not a number"},
		{"bool", u, `{"rows": [[1, true]]}`, 400, "row 1, column 2: true is not a number"},
		{"overflow", u, `{"rows": [[1e999, 1]]}`, 400, "row 1, column 1: 1e999 is out of range"},
		{"nested", u, `{"rows": [[[1], 1]]}`, 400, "row 1, column 1: a list is not a number"},
		{"trailing", u, `{"rows": [[1, 2]]} {}`, 400, "unexpected data after the JSON object"},
		{"too many rows", u, `{"rows": [[1, 2], [1, 2], [1, 2], [1, 2]]}`, 413, "more than 3 rows"},
		{"too large", u, `{"rows": [[1, 2` + strings.Repeat(" ", 300) + `]]}`, 413, "larger than 200 bytes"},
		{"unknown model", ts.URL + "/v1/models/nope/score", `{"rows": [[1, 2]]}`, 404, `unknown model "nope" (models: ["g"])`},
		{"empty body", u, ``, 400, "the body ends before"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, m := post(t, c.url, c.body)
			msg, _ := m["error"].(string)
			if code != c.code || !strings.Contains(msg, c.want) {
				t.Fatalf("status %d %q, want %d and %q", code, msg, c.code, c.want)
			}
		})
	}
	// Wrong method.
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET on the score endpoint: %d", resp.StatusCode)
	}
}

// panicky is an energy that panics on every call.
type panicky struct{}

func (panicky) Dim() int                                     { return 1 }
func (panicky) Energy(x *tensor.Dense[float64], e []float64) { panic("boom") }

// TestPanicIs500: a model that panics gives 500 and the server goes on.
func TestPanicIs500(t *testing.T) {
	s, err := New(map[string]string{"p": ""}, func(string) (*score.Scorer, error) { return score.New(panicky{}, false) }, Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for range 2 { // twice: the worker went back to the pool
		code, m := post(t, ts.URL+"/v1/models/p/score", `{"rows": [[1]]}`)
		if code != 500 || !strings.Contains(m["error"].(string), "boom") {
			t.Fatalf("%d %v", code, m)
		}
	}
}

// TestSavedModelConcurrent serves a saved MLP energy to concurrent clients
// (run with -race): every answer equals the energy computed directly.
func TestSavedModelConcurrent(t *testing.T) {
	ms, _ := energy.ParseModelSpec("mlp:hidden=16")
	mdl, _ := ms.Build(3, 1, nil)
	dir := filepath.Join(t.TempDir(), "m")
	if err := energy.SaveModel(dir, mdl, &model.Meta{}); err != nil {
		t.Fatal(err)
	}
	s, err := New(map[string]string{"mlp": dir}, nil, Config{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	var wg sync.WaitGroup
	var bad atomic.Int32
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 20 {
				x := []float64{float64(c) / 8, float64(k) / 20, -0.5}
				want := make([]float64, 1)
				mdl.Energy(tensor.FromSlice(1, 3, x), want)
				body, _ := json.Marshal(map[string]any{"rows": [][]float64{x}})
				resp, err := http.Post(ts.URL+"/v1/models/mlp/score", "application/json", bytes.NewReader(body))
				if err != nil {
					bad.Add(1)
					continue
				}
				var r Response
				json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				if resp.StatusCode != 200 || len(r.Energy) != 1 || r.Energy[0] != want[0] || len(r.ScoreNorm) != 1 {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d of 160 requests failed or differed", bad.Load())
	}
}

// slow is an energy that signals when it starts and takes a while.
type slow struct {
	started chan struct{}
	delay   time.Duration
}

func (s slow) Dim() int { return 1 }
func (s slow) Energy(x *tensor.Dense[float64], e []float64) {
	select {
	case s.started <- struct{}{}:
	default:
	}
	time.Sleep(s.delay)
	for i := range e {
		e[i] = x.Data[i]
	}
}

// TestGracefulShutdown cancels the server's context while requests are in
// flight: every one of them completes with 200, and Run returns nil.
func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{}, 64)
	const workers, clients = 4, 16
	s, err := New(map[string]string{"s": ""}, func(string) (*score.Scorer, error) {
		return score.New(slow{started, 300 * time.Millisecond}, false)
	}, Config{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	url := fmt.Sprintf("http://%s/v1/models/s/score", ln.Addr())
	var wg sync.WaitGroup
	var ok atomic.Int32
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(url, "application/json", strings.NewReader(fmt.Sprintf(`{"rows": [[%d]]}`, c)))
			if err != nil {
				t.Errorf("client %d: %v", c, err)
				return
			}
			var r Response
			json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if resp.StatusCode == 200 && len(r.Energy) == 1 && r.Energy[0] == float64(c) {
				ok.Add(1)
			} else {
				t.Errorf("client %d: status %d, %+v", c, resp.StatusCode, r)
			}
		}()
	}
	// Wait until every request is in a handler (in flight), then shut down.
	<-started
	for deadline := time.Now().Add(20 * time.Second); float64(s.active.Load()) < clients; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %v requests in flight after 20 s", float64(s.active.Load()))
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	wg.Wait()
	if ok.Load() != clients {
		t.Fatalf("%d of %d in-flight requests completed", ok.Load(), clients)
	}
	if _, err := http.Post(url, "application/json", strings.NewReader(`{"rows": [[1]]}`)); err == nil {
		t.Fatal("the server still accepts requests after shutdown")
	}
}

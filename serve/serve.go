// Package serve is a stateless HTTP/JSON scoring server for saved models
// (standard library net/http), the service form of package score.
//
// Endpoints:
//
//	POST /v1/models/{name}/score   {"rows": [[x₁, …, x_d], …]}
//	     → {"model", "kind", "rows", "energy": [...], "neg_log_p": [...],
//	        "score_norm": [...], "anomaly_score": [...], "flag": [...],
//	        "threshold"}   (fields that do not apply are left out)
//	POST /v1/models/{name}/tag     {"sentences": [[token, …], …]}   (sequence labellers)
//	     → {"model", "kind", "sentences", "tokens", "labels": [[...]],
//	        "marginals": [[...]], "path_probability": [...]}
//	GET  /v1/models                 the models, their kinds, dimensions, columns and endpoints
//	GET  /healthz                   {"status": "ok"}
//	GET  /metrics                   Prometheus text format
//
// energy is E(x) (higher = less typical), neg_log_p is E(x) + log Z for
// models that know their normalizer, score_norm is ‖∇ₓE(x)‖ for models with a
// gradient in x, and anomaly_score and flag (anomaly_score > threshold) are
// given for models with a threshold (score.Flagger). A model of kind "crf"
// (package crf) is served on the tag endpoint instead: the Viterbi labels of
// each sentence, each label's marginal probability and the probability of the
// whole labelling ([DecodeSentences] reads the request).
//
// Every request is bounded (Config.MaxBodyBytes, Config.MaxRows rows or
// tokens) and decoded strictly ([DecodeRows], [DecodeSentences]); bad requests
// get a 4xx status and {"error": "..."} naming the problem; a panic while serving a request is
// recovered and answered with 500. Each model is loaded Config.Workers times
// and a request borrows one copy for the duration of its scoring, so models
// that keep scratch memory are never shared between concurrent requests.
// [Server.Run] shuts down gracefully when its context is cancelled (for
// example on SIGTERM): it stops accepting connections and lets the requests
// in flight finish.
//
// Metrics: ebm_requests_total{model,code}, ebm_request_duration_seconds
// {model} (histogram), ebm_rows_scored_total{model},
// ebm_tokens_tagged_total{model} and ebm_requests_in_flight.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"runtime"
	"sort"
	"sync/atomic"
	"time"

	"github.com/ebm-go/ebm/crf"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/score"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config sets the limits of a Server; zero fields take the defaults.
type Config struct {
	// MaxBodyBytes bounds a request body (default 8 MiB).
	MaxBodyBytes int64
	// MaxRows bounds the rows of one scoring request, and the tokens of one
	// tagging request (default 10,000).
	MaxRows int
	// Workers is the number of copies of each model, the most requests
	// scored at once per model (default GOMAXPROCS).
	Workers int
	// ReadTimeout, WriteTimeout and IdleTimeout of the http.Server
	// (defaults 30 s, 60 s, 120 s).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownTimeout bounds how long Run waits for requests in flight after
	// its context is cancelled (default 30 s).
	ShutdownTimeout time.Duration
	// Log receives one line per server event (start, stop); nil for none.
	Log *log.Logger
}

func (c *Config) defaults() {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 8 << 20
	}
	if c.MaxRows <= 0 {
		c.MaxRows = 10000
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 60 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 120 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
}

// served is one served model: Workers scorers of independent copies, or a
// sequence labeller, which tagging only reads, with Workers slots.
type served struct {
	name, dir, kind string
	dim             int
	columns         []string
	pool            chan *score.Scorer
	tagger          *crf.Model
	slots           chan struct{}
}

// Loader loads one copy of a model from its folder; [LoadModel] is the
// default (any saved kind that is an energy, through the model registry).
type Loader func(dir string) (*score.Scorer, error)

// LoadModel loads the saved model in dir as a Scorer that computes score
// norms when the model has a gradient in x.
func LoadModel(dir string) (*score.Scorer, error) {
	e, meta, err := energy.LoadEnergy(dir)
	if err != nil {
		return nil, err
	}
	_, grad := e.(energy.GradEnergy)
	s, err := score.New(e, grad)
	if err != nil {
		return nil, err
	}
	s.Kind = meta.Kind
	return s, nil
}

// Server serves a fixed set of models.
type Server struct {
	cfg    Config
	models map[string]*served
	mux    *http.ServeMux
	reg    *prometheus.Registry

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	rows     *prometheus.CounterVec
	tokens   *prometheus.CounterVec
	inFlight prometheus.Gauge
	active   atomic.Int64 // requests in the score and tag handlers
	began    atomic.Int64 // scoring and tagging requests that entered their handler
	answered atomic.Int64 // scoring and tagging requests answered (any status)
}

// New loads every model (name → folder) cfg.Workers times with load (nil
// for LoadModel) and returns the server. A folder that load refuses with an
// *energy.KindError because it holds a sequence labeller (kind "crf") is
// loaded once with crf.Load and served on the tag endpoint. Names must be
// non-empty and use only letters, digits, '-', '_' and '.'.
func New(models map[string]string, load Loader, cfg Config) (*Server, error) {
	cfg.defaults()
	if load == nil {
		load = LoadModel
	}
	if len(models) == 0 {
		return nil, errors.New("serve: no models")
	}
	s := &Server{cfg: cfg, models: map[string]*served{}, reg: prometheus.NewRegistry()}
	for name, dir := range models {
		if !validName(name) {
			return nil, fmt.Errorf("serve: model name %q: use letters, digits, '-', '_' and '.'", name)
		}
		m := &served{name: name, dir: dir, pool: make(chan *score.Scorer, cfg.Workers)}
		for i := range cfg.Workers {
			sc, err := load(dir)
			if ke := (*energy.KindError)(nil); i == 0 && errors.As(err, &ke) && ke.Kind == crf.Kind {
				if err = m.loadTagger(cfg.Workers); err == nil {
					break
				}
			}
			if err != nil {
				return nil, fmt.Errorf("serve: model %s: %w", name, err)
			}
			if i == 0 {
				m.kind, m.dim, m.columns = sc.Kind, sc.Dim(), sc.Columns()
			}
			m.pool <- sc
		}
		s.models[name] = m
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ebm_requests_total", Help: "Scoring and tagging requests by model and HTTP status code."}, []string{"model", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ebm_request_duration_seconds", Help: "Latency of scoring and tagging requests.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14)}, []string{"model"})
	s.rows = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ebm_rows_scored_total", Help: "Rows scored by model."}, []string{"model"})
	s.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ebm_tokens_tagged_total", Help: "Tokens tagged by model."}, []string{"model"})
	s.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "ebm_requests_in_flight", Help: "Scoring and tagging requests being served."})
	s.reg.MustRegister(s.requests, s.latency, s.rows, s.tokens, s.inFlight, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/models/{name}/score", s.handleScore)
	s.mux.HandleFunc("POST /v1/models/{name}/tag", s.handleTag)
	s.mux.HandleFunc("GET /v1/models", s.handleModels)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	return s, nil
}

// loadTagger loads the sequence labeller in m.dir, with workers slots.
func (m *served) loadTagger(workers int) error {
	tg, err := crf.Load(m.dir)
	if err != nil {
		return err
	}
	m.tagger, m.kind, m.dim, m.pool = tg, crf.Kind, tg.Columns, nil
	m.slots = make(chan struct{}, workers)
	for range workers {
		m.slots <- struct{}{}
	}
	return nil
}

func validName(n string) bool {
	if n == "" || len(n) > 100 {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Handler returns the server's HTTP handler: the routes above behind a
// recover that answers a panic with 500.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeError(w, http.StatusInternalServerError, fmt.Sprintf("internal error: %v", v))
			}
		}()
		s.mux.ServeHTTP(w, r)
	})
}

// Response is the answer to a scoring request.
type Response struct {
	Model        string    `json:"model"`
	Kind         string    `json:"kind,omitempty"`
	Rows         int       `json:"rows"`
	Energy       []float64 `json:"energy"`
	NegLogP      []float64 `json:"neg_log_p,omitempty"`
	ScoreNorm    []float64 `json:"score_norm,omitempty"`
	AnomalyScore []float64 `json:"anomaly_score,omitempty"`
	Flag         []bool    `json:"flag,omitempty"`
	Threshold    *float64  `json:"threshold,omitempty"`
}

func (s *Server) handleScore(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	m, label, end := s.begin(name)
	code := http.StatusOK
	defer func() { end(code) }()
	fail := func(c int, msg string) {
		code = c
		writeError(w, c, msg)
	}
	if m == nil {
		fail(http.StatusNotFound, fmt.Sprintf("unknown model %q (models: %s)", name, s.names()))
		return
	} else if m.tagger != nil {
		fail(http.StatusBadRequest, fmt.Sprintf("model %q (kind %s) labels sequences: POST /v1/models/%s/tag", name, m.kind, name))
		return
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	x, err := DecodeRows(body, m.dim, s.cfg.MaxRows)
	if err != nil {
		fail(requestStatus(err))
		return
	}
	var sc *score.Scorer
	select {
	case sc = <-m.pool:
	case <-r.Context().Done():
		fail(http.StatusServiceUnavailable, "request cancelled while waiting for a free worker")
		return
	}
	var res score.Scores
	func() {
		defer func() { m.pool <- sc }()
		err = sc.Score(x, &res)
	}()
	if err != nil {
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	resp := Response{Model: name, Kind: m.kind, Rows: x.Rows, Energy: res.Energy, NegLogP: res.NegLogP, ScoreNorm: res.ScoreNorm}
	if sc.Flag != nil {
		th := sc.Flag.Threshold()
		resp.AnomalyScore, resp.Flag, resp.Threshold = res.Energy, res.Flag, &th
	}
	s.rows.WithLabelValues(label).Add(float64(x.Rows))
	writeJSON(w, http.StatusOK, resp)
}

// requestStatus is the status and message that answer a request the decoder
// refused: a *RequestError's own, else 400.
func requestStatus(err error) (int, string) {
	var re *RequestError
	if errors.As(err, &re) {
		return re.Status, re.Msg
	}
	return http.StatusBadRequest, err.Error()
}

func (s *Server) names() string {
	var n []string
	for k := range s.models {
		n = append(n, k)
	}
	sort.Strings(n)
	b, _ := json.Marshal(n)
	return string(b)
}

// ModelInfo describes a served model: for a sequence labeller Dim is the
// number of input columns of a token and Endpoint is "tag", otherwise
// "score".
type ModelInfo struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Dim      int      `json:"dim"`
	Columns  []string `json:"columns"`
	Endpoint string   `json:"endpoint"`
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	var out []ModelInfo
	for _, m := range s.models {
		ep := "score"
		if m.tagger != nil {
			ep = "tag"
		}
		out = append(out, ModelInfo{Name: m.name, Kind: m.kind, Dim: m.dim, Columns: m.columns, Endpoint: ep})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, map[string]any{"models": out})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// Run serves on ln until ctx is cancelled, then shuts down gracefully: it
// stops accepting connections, waits up to cfg.ShutdownTimeout for the
// requests in flight to finish, and returns nil (or the error that stopped
// the server).
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: min(10*time.Second, s.cfg.ReadTimeout),
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    1 << 16,
	}
	if s.cfg.Log != nil {
		s.cfg.Log.Printf("serving %s on %s", s.names(), ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if s.cfg.Log != nil {
		s.cfg.Log.Printf("shutting down: finishing the requests in flight")
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	if s.cfg.Log != nil {
		s.cfg.Log.Printf("stopped: %d scoring and tagging requests received, %d answered", s.began.Load(), s.answered.Load())
	}
	return err
}

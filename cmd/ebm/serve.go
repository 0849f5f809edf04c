package main

import (
	"log"
	"net"
	"strings"
	"time"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/serve"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newServeCmd) }

func newServeCmd() *cobra.Command {
	var models []string
	var addr string
	var cfg serve.Config
	c := &cobra.Command{
		Use:   "serve --model NAME=DIR [--model NAME=DIR ...] [--addr :8080]",
		Short: "Serve saved models over HTTP/JSON (energies, score norms, anomaly flags, sequence labels)",
		Long: `Serve one or more saved models over HTTP/JSON until SIGTERM or Ctrl-C, then
finish the requests in flight and exit.

  POST /v1/models/NAME/score  {"rows": [[x1, ..., xd], ...]}
       -> {"energy": [...], "neg_log_p": [...], "score_norm": [...],
           "anomaly_score": [...], "flag": [...], "threshold": t}
  POST /v1/models/NAME/tag    {"sentences": [["Anna", "visited", "Paris"], ...]}
       -> {"labels": [[...]], "marginals": [[...]], "path_probability": [...]}
          (models of kind "crf": ebm crf train)
  GET  /v1/models   GET /healthz   GET /metrics (Prometheus text format)

Fields that do not apply to a model are left out: neg_log_p needs a known
normalizer, score_norm a gradient in x, anomaly_score and flag a threshold
(models of kind "anomaly"). Bad requests get a 4xx status and {"error": ...}.
The server is stateless: run as many copies as needed behind a load balancer.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(models) == 0 {
				return cli.Usagef("serve: give at least one --model NAME=DIR")
			}
			dirs := map[string]string{}
			for _, m := range models {
				name, dir, ok := strings.Cut(m, "=")
				if !ok || name == "" || dir == "" {
					return cli.Usagef("serve: --model %q: want NAME=DIR", m)
				}
				if _, dup := dirs[name]; dup {
					return cli.Usagef("serve: --model: name %q given twice", name)
				}
				dirs[name] = dir
			}
			if cfg.MaxRows < 1 || cfg.MaxBodyBytes < 1 {
				return cli.Usagef("serve: --max-rows and --max-body must be ≥ 1")
			}
			cfg.Log = log.New(cmd.ErrOrStderr(), "ebm serve: ", log.LstdFlags)
			s, err := serve.New(dirs, nil, cfg)
			if err != nil {
				return cli.Input(err)
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return cli.Usagef("serve: --addr %s: %v", addr, err)
			}
			return s.Run(cmd.Context(), ln)
		},
	}
	f := c.Flags()
	f.StringArrayVar(&models, "model", nil, "NAME=DIR: serve the saved model in DIR as NAME (repeatable)")
	f.StringVar(&addr, "addr", ":8080", "listen address")
	f.Int64Var(&cfg.MaxBodyBytes, "max-body", 8<<20, "largest request body in bytes")
	f.IntVar(&cfg.MaxRows, "max-rows", 10000, "most rows (or tokens, for a tagger) per request")
	f.IntVar(&cfg.Workers, "workers", 0, "copies of each model, the most requests scored at once per model (0: GOMAXPROCS)")
	f.DurationVar(&cfg.ReadTimeout, "read-timeout", 30*time.Second, "time to read a request")
	f.DurationVar(&cfg.WriteTimeout, "write-timeout", 60*time.Second, "time to write a response")
	f.DurationVar(&cfg.IdleTimeout, "idle-timeout", 120*time.Second, "keep-alive idle time")
	f.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long to wait for requests in flight on SIGTERM")
	return c
}

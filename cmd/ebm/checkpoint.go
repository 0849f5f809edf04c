package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/internal/cli"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

const checkpointFile = "checkpoint.safetensors"

// checkpointMeta is the JSON part of a checkpoint, stored in the safetensors
// metadata under "ebm.checkpoint".
type checkpointMeta struct {
	Iter      int          `json:"iter"`
	LRScale   float64      `json:"lr_scale"`
	Retries   int          `json:"retries"`
	Optimizer *optim.State `json:"optimizer"`
	EMA       *optim.State `json:"ema,omitempty"`
	// Settings are the run's settings that a resume must share (flag name →
	// value as text); see resumeSettings.
	Settings map[string]string `json:"settings,omitempty"`
}

// saveCheckpoint writes a training snapshot into dir/checkpoint.safetensors
// (atomically: a crash leaves the previous checkpoint).
func saveCheckpoint(dir string, s *train.Snapshot, settings map[string]string) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	var ts []model.Tensor
	for name, v := range s.Params {
		ts = append(ts, model.FromDense("param."+name, v))
	}
	for name, v := range s.Estimator {
		ts = append(ts, model.FromDense("state."+name, v))
	}
	js, err := json.Marshal(checkpointMeta{Iter: s.Iter, LRScale: s.LRScale, Retries: s.Retries, Optimizer: s.Optimizer, EMA: s.EMA, Settings: settings})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return model.WriteSafetensorsFile(filepath.Join(dir, checkpointFile), ts, map[string]string{"ebm.checkpoint": string(js)})
}

// loadCheckpoint reads what saveCheckpoint wrote: the snapshot and the
// recorded settings (nil for checkpoints written before settings were kept).
func loadCheckpoint(dir string) (*train.Snapshot, map[string]string, error) {
	path := filepath.Join(dir, checkpointFile)
	ts, meta, err := model.ReadSafetensorsFile(path)
	if err != nil {
		return nil, nil, err
	}
	var cm checkpointMeta
	raw, ok := meta["ebm.checkpoint"]
	if !ok {
		return nil, nil, fmt.Errorf("%s: not an ebm training checkpoint (no ebm.checkpoint metadata)", path)
	}
	if err := json.Unmarshal([]byte(raw), &cm); err != nil {
		return nil, nil, fmt.Errorf("%s: checkpoint metadata: %w", path, err)
	}
	s := &train.Snapshot{Iter: cm.Iter, LRScale: cm.LRScale, Retries: cm.Retries, Optimizer: cm.Optimizer, EMA: cm.EMA,
		Params: map[string]*tensor.Dense[float32]{}, Estimator: map[string]*tensor.Dense[float64]{}}
	for name, t := range ts {
		switch {
		case strings.HasPrefix(name, "param."):
			d, err := model.ToDense[float32](t)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			s.Params[strings.TrimPrefix(name, "param.")] = d
		case strings.HasPrefix(name, "state."):
			d, err := model.ToDense[float64](t)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			s.Estimator[strings.TrimPrefix(name, "state.")] = d
		}
	}
	return s, cm.Settings, nil
}

// resumeFlags are the flags whose values a checkpoint records and a resumed
// run must share: a resume continues the same run, so the data, the model,
// the estimator, the optimizer settings and the seed cannot change (--iters
// can: a resume may run longer).
var resumeFlags = []string{"data", "label-column", "model", "method", "seed", "lr", "batch", "schedule", "clip-grad", "ema"}

// resumeSettings returns the values of resumeFlags for a run.
func resumeSettings(o *trainOpts) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return map[string]string{
		"data": o.data, "label-column": o.labelCol, "model": o.modelSpec, "method": o.method,
		"seed": strconv.FormatUint(o.seed, 10), "lr": f(o.lr), "batch": strconv.Itoa(o.batch),
		"schedule": o.schedule, "clip-grad": f(o.clip), "ema": f(o.ema),
	}
}

// reconcileResume compares the settings recorded in a checkpoint with the
// flags: a flag given on the command line must agree with the record (every
// disagreement is named in one usage error); a flag not given takes the
// recorded value. changed reports whether a flag was given.
func reconcileResume(o *trainOpts, recorded map[string]string, changed func(string) bool, ckpt string) error {
	if recorded == nil {
		return nil
	}
	given := resumeSettings(o)
	var diffs []string
	for _, k := range resumeFlags {
		rec, ok := recorded[k]
		if !ok || rec == given[k] {
			continue
		}
		if changed(k) {
			diffs = append(diffs, fmt.Sprintf("--%s %q (checkpoint: %q)", k, given[k], rec))
			continue
		}
		if err := setResumeFlag(o, k, rec); err != nil {
			return cli.Input(fmt.Errorf("--resume %s: recorded %s %q: %w", ckpt, k, rec, err))
		}
	}
	if len(diffs) > 0 {
		return cli.Usagef("--resume %s: the checkpoint belongs to another run: %s; drop these flags to continue with the recorded settings, or start a new run without --resume",
			ckpt, strings.Join(diffs, ", "))
	}
	return nil
}

// setResumeFlag sets one of resumeFlags from its recorded text.
func setResumeFlag(o *trainOpts, k, v string) (err error) {
	switch k {
	case "data":
		o.data = v
	case "label-column":
		o.labelCol = v
	case "model":
		o.modelSpec = v
	case "method":
		o.method = v
	case "schedule":
		o.schedule = v
	case "seed":
		o.seed, err = strconv.ParseUint(v, 10, 64)
	case "batch":
		o.batch, err = strconv.Atoi(v)
	case "lr":
		o.lr, err = strconv.ParseFloat(v, 64)
	case "clip-grad":
		o.clip, err = strconv.ParseFloat(v, 64)
	case "ema":
		o.ema, err = strconv.ParseFloat(v, 64)
	}
	return err
}

// metricsFile is the name of the metrics log, written line by line in the
// checkpoint folder while training runs and copied into the output folder at
// the end.
const metricsFile = "metrics.jsonl"

// metricsLine is the part of a metrics line the history needs.
type metricsLine struct {
	Iter  int     `json:"iter"`
	Loss  float64 `json:"loss"`
	Event string  `json:"event"`
}

// readMetricsHistory reads the metrics log at path (absent: empty) and keeps
// the lines up to iteration upTo: the history of a run resumed at upTo. It
// returns the kept lines and the loss curve they hold.
func readMetricsHistory(path string, upTo int) (kept []byte, iters, losses []float64, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 || line[len(line)-1] != '\n' {
			continue // a line cut short by a kill is dropped
		}
		var m metricsLine
		if json.Unmarshal(line, &m) != nil || m.Iter > upTo {
			continue
		}
		kept = append(kept, line...)
		if m.Event == "" {
			iters = append(iters, float64(m.Iter))
			losses = append(losses, m.Loss)
		}
	}
	return kept, iters, losses, nil
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
}

// saveCheckpoint writes a training snapshot into dir/checkpoint.safetensors
// (atomically: a crash leaves the previous checkpoint).
func saveCheckpoint(dir string, s *train.Snapshot) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var ts []model.Tensor
	for name, v := range s.Params {
		ts = append(ts, model.FromDense("param."+name, v))
	}
	for name, v := range s.Estimator {
		ts = append(ts, model.FromDense("state."+name, v))
	}
	js, err := json.Marshal(checkpointMeta{Iter: s.Iter, LRScale: s.LRScale, Retries: s.Retries, Optimizer: s.Optimizer, EMA: s.EMA})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return model.WriteSafetensorsFile(filepath.Join(dir, checkpointFile), ts, map[string]string{"ebm.checkpoint": string(js)})
}

// loadCheckpoint reads what saveCheckpoint wrote.
func loadCheckpoint(dir string) (*train.Snapshot, error) {
	path := filepath.Join(dir, checkpointFile)
	ts, meta, err := model.ReadSafetensorsFile(path)
	if err != nil {
		return nil, err
	}
	var cm checkpointMeta
	raw, ok := meta["ebm.checkpoint"]
	if !ok {
		return nil, fmt.Errorf("%s: not an ebm training checkpoint (no ebm.checkpoint metadata)", path)
	}
	if err := json.Unmarshal([]byte(raw), &cm); err != nil {
		return nil, fmt.Errorf("%s: checkpoint metadata: %w", path, err)
	}
	s := &train.Snapshot{Iter: cm.Iter, LRScale: cm.LRScale, Retries: cm.Retries, Optimizer: cm.Optimizer, EMA: cm.EMA,
		Params: map[string]*tensor.Dense[float32]{}, Estimator: map[string]*tensor.Dense[float64]{}}
	for name, t := range ts {
		switch {
		case strings.HasPrefix(name, "param."):
			d, err := model.ToDense[float32](t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			s.Params[strings.TrimPrefix(name, "param.")] = d
		case strings.HasPrefix(name, "state."):
			d, err := model.ToDense[float64](t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			s.Estimator[strings.TrimPrefix(name, "state.")] = d
		}
	}
	return s, nil
}

package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// CheckpointFile is the file a checkpoint folder holds.
const CheckpointFile = "checkpoint.safetensors"

// checkpointMeta is the JSON part of a checkpoint, stored in the safetensors
// metadata under "ebm.checkpoint".
type checkpointMeta struct {
	Version   int                   `json:"version"`
	Iter      int                   `json:"iter"`
	Retries   int                   `json:"retries"`
	Groups    map[string]GroupState `json:"groups,omitempty"`
	Optimizer *optim.State          `json:"optimizer,omitempty"`
	EMA       *optim.State          `json:"ema,omitempty"`
	LRScale   float64               `json:"lr_scale"`
	Settings  map[string]string     `json:"settings,omitempty"`
}

// SaveCheckpoint writes a float32 snapshot into dir/checkpoint.safetensors;
// see SaveCheckpointOf.
func SaveCheckpoint(dir string, s *Snapshot) error { return SaveCheckpointOf(dir, s) }

// LoadCheckpoint reads a float32 checkpoint; see LoadCheckpointOf.
func LoadCheckpoint(dir string) (*Snapshot, error) { return LoadCheckpointOf[float32](dir) }

// SaveCheckpointOf writes a snapshot into dir/checkpoint.safetensors,
// creating dir if needed: the parameters as tensors "param.GROUP/NAME" in the
// training precision, the objectives' state as float64 tensors "state.KEY",
// and the rest (iteration, groups' optimizer and average states, settings) as
// JSON in the metadata entry "ebm.checkpoint". The file is replaced
// atomically: a crash leaves the previous checkpoint.
func SaveCheckpointOf[T tensor.Float](dir string, s *SnapshotOf[T]) error {
	if s == nil {
		return fmt.Errorf("checkpoint %s: nil snapshot", dir)
	}
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
	cm := checkpointMeta{Version: 2, Iter: s.Iter, Retries: s.Retries, Groups: s.Groups,
		Optimizer: s.Optimizer, EMA: s.EMA, LRScale: s.LRScale, Settings: s.Settings}
	js, err := json.Marshal(cm)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	return model.WriteSafetensorsFile(filepath.Join(dir, CheckpointFile), ts, map[string]string{"ebm.checkpoint": string(js)})
}

// LoadCheckpointOf reads what SaveCheckpointOf wrote (and the older
// single-group checkpoints, whose state a single-group loop restores). Every
// tensor's dtype and shape is checked by the reader; the parameters convert
// to T.
func LoadCheckpointOf[T tensor.Float](dir string) (*SnapshotOf[T], error) {
	path := filepath.Join(dir, CheckpointFile)
	ts, meta, err := model.ReadSafetensorsFile(path)
	if err != nil {
		return nil, err
	}
	raw, ok := meta["ebm.checkpoint"]
	if !ok {
		return nil, fmt.Errorf("%s: not an ebm training checkpoint (no ebm.checkpoint metadata)", path)
	}
	var cm checkpointMeta
	if err := json.Unmarshal([]byte(raw), &cm); err != nil {
		return nil, fmt.Errorf("%s: checkpoint metadata: %w", path, err)
	}
	if cm.Version > 2 {
		return nil, fmt.Errorf("%s: checkpoint version %d is newer than this library reads (2)", path, cm.Version)
	}
	want := "F32"
	if _, ok := any(T(0)).(float64); ok {
		want = "F64"
	}
	s := &SnapshotOf[T]{Iter: cm.Iter, Retries: cm.Retries, Groups: cm.Groups, Optimizer: cm.Optimizer,
		EMA: cm.EMA, LRScale: cm.LRScale, Settings: cm.Settings,
		Params: map[string]*tensor.Dense[T]{}, Estimator: map[string]*tensor.Dense[float64]{}}
	for name, t := range ts {
		switch {
		case strings.HasPrefix(name, "param."):
			if t.DType != want {
				return nil, fmt.Errorf("%s: parameter %q is %s; this run trains in %s", path, name, t.DType, want)
			}
			d, err := model.ToDense[T](t)
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

// CheckSettings compares the settings recorded in a snapshot with the
// settings of the run that wants to resume it: every key whose value differs,
// or that only one side has, is named in one *spec.Error (nil when they
// agree). A snapshot that recorded no settings matches anything.
func CheckSettings(recorded, given map[string]string) error {
	if recorded == nil {
		return nil
	}
	keys := map[string]bool{}
	for k := range recorded {
		keys[k] = true
	}
	for k := range given {
		keys[k] = true
	}
	var diffs []string
	for k := range keys {
		r, rok := recorded[k]
		g, gok := given[k]
		switch {
		case !rok:
			diffs = append(diffs, fmt.Sprintf("%s: not recorded, given %q", k, g))
		case !gok:
			diffs = append(diffs, fmt.Sprintf("%s: recorded %q, not given", k, r))
		case r != g:
			diffs = append(diffs, fmt.Sprintf("%s: recorded %q, given %q", k, r, g))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	sort.Strings(diffs)
	return spec.Errorf("resume", "the checkpoint was written with other settings: %s", strings.Join(diffs, "; "))
}

package train

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/internal/atomicfile"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// Files lays out the files of a float32 training run in folders and runs a
// Trainer with them (see Run):
//
//   - the metrics log MetricsFile, one JSON line per record as it arrives
//     (see Recorder), in Live when it is set, else in Out; a resumed run
//     continues the log in From up to iteration UpTo;
//   - with Checkpoints and Live set, a checkpoint (SaveCheckpoint) in Live at
//     every good snapshot and when the run is interrupted;
//   - when the run completes, a copy of the live log in Out.
type Files struct {
	// Out receives the log of a completed run; Live, if not empty, holds the
	// live log and the checkpoints.
	Out, Live string
	// Checkpoints turns on checkpoints into Live.
	Checkpoints bool
	// From, if not empty, is the folder of the run being resumed, whose log
	// is kept up to iteration UpTo (the resumed snapshot's).
	From string
	UpTo int
	// OnEvent, if not nil, receives every event record (Recorder.OnEvent).
	OnEvent func(Metrics)
}

// HasCheckpoint reports whether dir holds a checkpoint file (CheckpointFile).
func HasCheckpoint(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, CheckpointFile))
	return err == nil
}

// Run runs tr (already Resumed for a resumed run) with the files of f: it
// sets tr.Config.Metrics and, with checkpoints, tr.Config.Checkpoint. It
// returns the run's Result (with Interrupted set when ctx was cancelled; the
// log is then left in Live beside the checkpoint, not copied, and removed
// from Out when there is no Live; the same when the run fails) and the loss
// curve of the whole history (Recorder.Curve).
func (f Files) Run(ctx context.Context, tr *Trainer) (res *Result, iters, losses []float64, err error) {
	return f.run(ctx, func(metrics func(Metrics), ckpt func(*Snapshot) error) {
		tr.Config.Metrics, tr.Config.Checkpoint = metrics, ckpt
	}, tr.Run)
}

// RunLoop is Files.Run for a float32 Loop (already Resumed for a resumed
// run), such as the loop of a model family that builds its own (flow
// fitting, for instance): it sets l.Metrics and, with checkpoints,
// l.Checkpoint, and returns as Run does.
func RunLoop[B any](ctx context.Context, f Files, l *Loop[float32, B]) (res *Result, iters, losses []float64, err error) {
	return f.run(ctx, func(metrics func(Metrics), ckpt func(*Snapshot) error) {
		l.Metrics, l.Checkpoint = metrics, ckpt
	}, l.Run)
}

// run opens the log, hands the metrics and checkpoint callbacks to the run
// through set, runs it and copies the live log into Out.
func (f Files) run(ctx context.Context, set func(func(Metrics), func(*Snapshot) error), runFn func(context.Context) (*Result, error)) (res *Result, iters, losses []float64, err error) {
	path := filepath.Join(f.Out, MetricsFile)
	if f.Live != "" {
		path = filepath.Join(f.Live, MetricsFile)
	}
	history := ""
	if f.From != "" {
		history = filepath.Join(f.From, MetricsFile)
	}
	rec, err := OpenRecorder(path, history, f.UpTo)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rec.Close()
	rec.OnEvent = f.OnEvent
	var ckpt func(*Snapshot) error
	if f.Checkpoints && f.Live != "" {
		ckpt = func(s *Snapshot) error { return SaveCheckpoint(f.Live, s) }
	}
	set(rec.Record, ckpt)
	if res, err = runFn(ctx); err == nil {
		err = rec.Close()
	}
	if err != nil || res.Interrupted {
		if f.Live == "" {
			rec.Close()
			os.Remove(path) // no checkpoint goes with it: leave nothing
		}
		return res, nil, nil, err
	}
	iters, losses = rec.Curve()
	if f.Live != "" {
		b, err := os.ReadFile(path)
		if err == nil {
			err = atomicfile.WriteBytes(filepath.Join(f.Out, MetricsFile), b)
		}
		return res, iters, losses, err
	}
	return res, iters, losses, nil
}

// Conflict is a setting given explicitly for a resumed run whose value
// differs from the one its checkpoint recorded.
type Conflict struct{ Key, Given, Recorded string }

// ReconcileSettings decides the settings of a run resumed from a checkpoint
// that recorded the settings recorded (Config.Settings). For each of keys, in
// order, with current[k] the run's value and given(k) telling whether the
// caller chose it explicitly: a key the checkpoint did not record, or recorded
// with the current value, needs nothing; an explicit value that differs is a
// conflict; any other key should take the recorded value and is listed in
// adopt. A nil record (a checkpoint without settings) asks for nothing.
func ReconcileSettings(keys []string, recorded, current map[string]string, given func(k string) bool) (adopt []string, conflicts []Conflict) {
	for _, k := range keys {
		switch rec, ok := recorded[k]; {
		case !ok || rec == current[k]:
		case given(k):
			conflicts = append(conflicts, Conflict{Key: k, Given: current[k], Recorded: rec})
		default:
			adopt = append(adopt, k)
		}
	}
	return adopt, conflicts
}

// CheckRecorded is CheckSettings restricted to the settings the checkpoint
// recorded: a current setting that an older checkpoint does not record is
// not compared.
func CheckRecorded(recorded, current map[string]string) error {
	if recorded == nil {
		return nil
	}
	kept := map[string]string{}
	for k, v := range current {
		if _, ok := recorded[k]; ok {
			kept[k] = v
		}
	}
	return CheckSettings(recorded, kept)
}

// CheckConfig checks the settings of a run given in full (no zero defaults)
// before any work: Iters and Batch ≥ 1, LR finite and > 0, 0 ≤ EMA < 1,
// ClipNorm finite and ≥ 0, LogEvery ≥ 1 and SnapshotEvery ≥ 0. NaN fails
// every test. An error is a *spec.Error whose Where names the setting
// ("iters", "batch", "lr", "ema", "clip-grad", "log-every",
// "checkpoint-every") and its value.
func CheckConfig[T tensor.Float](c ConfigOf[T]) error {
	bad := func(name string, v any, format string, a ...any) error {
		return spec.Errorf(fmt.Sprint(name, " ", v), format, a...)
	}
	switch {
	case c.Iters < 1:
		return bad("iters", c.Iters, "must be at least 1")
	case c.Batch < 1:
		return bad("batch", c.Batch, "must be at least 1")
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return bad("lr", c.LR, "must be a finite number > 0")
	case !(c.EMA >= 0 && c.EMA < 1):
		return bad("ema", c.EMA, "must be in [0, 1)")
	case !(c.ClipNorm >= 0) || math.IsInf(c.ClipNorm, 0):
		return bad("clip-grad", c.ClipNorm, "must be a finite number ≥ 0")
	case c.LogEvery < 1:
		return bad("log-every", c.LogEvery, "must be at least 1")
	case c.SnapshotEvery < 0:
		return bad("checkpoint-every", c.SnapshotEvery, "must be at least 0")
	}
	return nil
}

// PointsSource returns the training stream of the points pts, seeded by seed:
// fresh draws every iteration from a toy generator (Generator), or shuffled
// epochs over the rows of a data file (Dataset).
func PointsSource(pts *data.Points, seed uint64) PointSource {
	if pts.IsToy() {
		return &Generator{D: pts.Dim, Gen: pts.Gen, Seed: seed}
	}
	return &Dataset{X: pts.X, Bytes: pts.Bytes, Seed: seed}
}

// NoiseScales returns the noise levels σ an estimator trains at, which a
// model conditioned on σ needs: a DenoisingSM's Sigmas, else nil.
func NoiseScales[T tensor.Float](e Estimator[T]) []float64 {
	if d, ok := e.(*DenoisingSM[T]); ok {
		return d.Sigmas
	}
	return nil
}

package train

import (
	"context"
	"os"
	"path/filepath"

	"github.com/ebm-go/ebm/internal/atomicfile"
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
// log is then left in Live or Out but not copied) and the loss curve of the
// whole history (Recorder.Curve).
func (f Files) Run(ctx context.Context, tr *Trainer) (res *Result, iters, losses []float64, err error) {
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
	tr.Config.Metrics = rec.Record
	if f.Checkpoints && f.Live != "" {
		tr.Config.Checkpoint = func(s *Snapshot) error { return SaveCheckpoint(f.Live, s) }
	}
	if res, err = tr.Run(ctx); err == nil {
		err = rec.Close()
	}
	if err != nil || res.Interrupted {
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

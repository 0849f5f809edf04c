package train_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/train"
)

// Files.Run logs into the live folder, checkpoints there, copies the log into
// the output folder at the end and returns the whole loss curve; a resumed run
// continues the log from the checkpoint's iteration.
func TestFilesRun(t *testing.T) {
	out, live := t.TempDir(), t.TempDir()
	newTrainer := func(iters int) *train.Trainer {
		est, _, _ := train.ParseEstimator[float32]("ssm", train.EstimatorContext{Batch: 32})
		return &train.Trainer{Model: smallEnergy(1), Estimator: est,
			Data:   &train.Generator{D: 2, Gen: data.EightGaussians, Seed: 1},
			Config: train.Config{Iters: iters, Batch: 32, LR: 1e-3, Seed: 1, LogEvery: 10, SnapshotEvery: 20}}
	}
	f := train.Files{Out: out, Live: live, Checkpoints: true}
	res, iters, losses, err := f.Run(context.Background(), newTrainer(40))
	if err != nil {
		t.Fatal(err)
	}
	if res.Iters != 40 || len(iters) != 4 || len(losses) != 4 || iters[3] != 40 || !train.HasCheckpoint(live) || train.HasCheckpoint(out) {
		t.Fatalf("iters %d, curve %v %v, checkpoint %v", res.Iters, iters, losses, train.HasCheckpoint(live))
	}
	a, _ := os.ReadFile(filepath.Join(live, train.MetricsFile))
	b, _ := os.ReadFile(filepath.Join(out, train.MetricsFile))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("live log %d bytes, copy %d bytes", len(a), len(b))
	}
	snap, err := train.LoadCheckpoint(live)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrainer(60)
	if err := tr.Resume(snap); err != nil {
		t.Fatal(err)
	}
	out2, live2 := t.TempDir(), t.TempDir()
	_, iters, _, err = train.Files{Out: out2, Live: live2, From: live, UpTo: snap.Iter}.Run(context.Background(), tr)
	if err != nil {
		t.Fatal(err)
	}
	want := snap.Iter/10 + (60-snap.Iter)/10
	if len(iters) != want || iters[len(iters)-1] != 60 || train.HasCheckpoint(live2) {
		t.Errorf("resumed from %d: curve %v (want %d points), checkpoint %v", snap.Iter, iters, want, train.HasCheckpoint(live2))
	}
}

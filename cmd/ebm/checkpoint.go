package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/train"
	"github.com/spf13/cobra"
)

// resumeFlags are the flags whose values a checkpoint records and a resumed
// run must share: a resume continues the same run, so the data, the model,
// the estimator, the optimizer settings and the seed cannot change (--iters
// can: a resume may run longer).
var resumeFlags = []string{"data", "label-column", "model", "method", "seed", "lr", "batch", "schedule", "clip-grad", "ema"}

// flowTrainResumeFlags and flowFitResumeFlags are resumeFlags for ebm flow
// train and ebm flow fit.
var (
	flowTrainResumeFlags = []string{"data", "label-column", "flow", "seed", "lr", "batch", "schedule", "clip-grad"}
	flowFitResumeFlags   = []string{"energy", "model", "flow", "seed", "lr", "batch", "schedule", "clip-grad"}
)

// resumeSettings returns the values of keys (resumeFlags for ebm train) as
// the flags print them: the settings a run's checkpoints record
// (train.Config.Settings).
func resumeSettings(cmd *cobra.Command, keys []string) map[string]string {
	m, flags := map[string]string{}, cmd.Flags()
	for _, k := range keys {
		m[k] = flags.Lookup(k).Value.String()
	}
	return m
}

// reconcileResume compares the settings recorded in a checkpoint with the
// flags (train.ReconcileSettings): a flag given on the command line must agree
// with the record (every disagreement is named in one usage error); a flag not
// given takes the recorded value. Then train.CheckRecorded compares every
// recorded setting with the run's.
func reconcileResume(cmd *cobra.Command, keys []string, recorded map[string]string, ckpt string) error {
	flags := cmd.Flags()
	adopt, conflicts := train.ReconcileSettings(keys, recorded, resumeSettings(cmd, keys), flags.Changed)
	if len(conflicts) > 0 {
		diffs := make([]string, len(conflicts))
		for i, c := range conflicts {
			diffs[i] = fmt.Sprintf("--%s %q (checkpoint: %q)", c.Key, c.Given, c.Recorded)
		}
		return cli.Usagef("--resume %s: the checkpoint belongs to another run: %s; drop these flags to continue with the recorded settings, or start a new run without --resume",
			ckpt, strings.Join(diffs, ", "))
	}
	for _, k := range adopt {
		if err := flags.Set(k, recorded[k]); err != nil {
			return cli.Input(fmt.Errorf("--resume %s: recorded %s %q: %w", ckpt, k, recorded[k], err))
		}
	}
	if err := train.CheckRecorded(recorded, resumeSettings(cmd, keys)); err != nil {
		return cli.Input(fmt.Errorf("--resume %s: %w", ckpt, err))
	}
	return nil
}

// claimLiveDir sets o.liveDir, the checkpoint folder (--checkpoint, or the
// output folder out plus ".ckpt"), and prepares it (claimLive). It reports
// whether the folder is this run's own (and so may be removed if the run
// fails).
func claimLiveDir(o *trainOpts, out string, inputs []string) (created bool, err error) {
	o.liveDir, created, err = claimLive(o.checkpoint, o.resume, o.force, out, inputs)
	return created, err
}

// claimLive returns the checkpoint folder of a run writing into out: checkpoint,
// or out plus ".ckpt", and prepares it under the output rule: a resumed run
// (resume not empty) continues in the folder it resumes from; otherwise a new
// or empty folder is used, and an earlier run's checkpoint folder is replaced
// only with force. It reports whether the folder is this run's own.
func claimLive(checkpoint, resume string, force bool, out string, inputs []string) (live string, created bool, err error) {
	live = checkpoint
	if live == "" {
		live = out + ".ckpt"
	}
	live = filepath.Clean(live)
	if cli.Contains(out, live) || cli.Contains(live, out) {
		return live, false, cli.Usagef("--checkpoint %s: must lie outside --out %s (and not hold it)", live, out)
	}
	if resume != "" && cli.Contains(resume, live) && cli.Contains(live, resume) {
		return live, false, cli.EnsureMarker(live)
	}
	if train.HasCheckpoint(live) && !force {
		return live, false, cli.Usagef("--checkpoint %s: holds an earlier run's checkpoint; continue that run with --resume %s, or pass --force to start over", live, live)
	}
	if err := cli.ClaimDir("--checkpoint", live, force, inputs...); err != nil {
		return live, false, err
	}
	return live, true, nil
}

// loadResume reads the checkpoint in dir (--resume; none when dir is empty)
// and reconciles the flags keys with the settings it records
// (reconcileResume); iters is the run's --iters, which must go beyond the
// checkpoint. name is the command, for the messages.
func loadResume(cmd *cobra.Command, name string, keys []string, dir string, iters int) (*train.Snapshot, error) {
	if dir == "" {
		return nil, nil
	}
	snap, err := train.LoadCheckpoint(dir)
	if err != nil {
		return nil, cli.Input(fmt.Errorf("--resume: %w", err))
	}
	if snap.Settings == nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: --resume %s: the checkpoint records no settings; they are not checked\n", name, dir)
	}
	if err := reconcileResume(cmd, keys, snap.Settings, dir); err != nil {
		return nil, err
	}
	if snap.Iter >= iters {
		return nil, cli.Usagef("--resume %s: the checkpoint is at iteration %d; --iters %d leaves nothing to do", dir, snap.Iter, iters)
	}
	return snap, nil
}

// dropLive settles the checkpoint folder live of a run that failed with err:
// an interrupted run that left a checkpoint there keeps it (and dropLive
// reports true); otherwise a folder the run created is removed.
func dropLive(err error, live string, created bool) (kept bool) {
	kept = errors.Is(err, cli.ErrInterrupted) && train.HasCheckpoint(live)
	if created && !kept {
		os.RemoveAll(live)
	}
	return kept
}

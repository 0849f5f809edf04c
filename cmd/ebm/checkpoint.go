package main

import (
	"fmt"
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

// resumeSettings returns the values of resumeFlags as the flags print them:
// the settings a run's checkpoints record (train.Config.Settings).
func resumeSettings(cmd *cobra.Command) map[string]string {
	m, flags := map[string]string{}, cmd.Flags()
	for _, k := range resumeFlags {
		m[k] = flags.Lookup(k).Value.String()
	}
	return m
}

// reconcileResume compares the settings recorded in a checkpoint with the
// flags: a flag given on the command line must agree with the record (every
// disagreement is named in one usage error); a flag not given takes the
// recorded value. Then train.CheckSettings compares every recorded setting
// with the run's.
func reconcileResume(cmd *cobra.Command, recorded map[string]string, ckpt string) error {
	if recorded == nil {
		return nil
	}
	flags, given := cmd.Flags(), resumeSettings(cmd)
	var diffs []string
	for _, k := range resumeFlags {
		switch rec, ok := recorded[k]; {
		case !ok || rec == given[k]:
		case flags.Changed(k):
			diffs = append(diffs, fmt.Sprintf("--%s %q (checkpoint: %q)", k, given[k], rec))
		default:
			if err := flags.Set(k, rec); err != nil {
				return cli.Input(fmt.Errorf("--resume %s: recorded %s %q: %w", ckpt, k, rec, err))
			}
		}
	}
	if len(diffs) > 0 {
		return cli.Usagef("--resume %s: the checkpoint belongs to another run: %s; drop these flags to continue with the recorded settings, or start a new run without --resume",
			ckpt, strings.Join(diffs, ", "))
	}
	// Settings this version does not record are not asked for.
	given = resumeSettings(cmd)
	for k := range given {
		if _, ok := recorded[k]; !ok {
			delete(given, k)
		}
	}
	if err := train.CheckSettings(recorded, given); err != nil {
		return cli.Input(fmt.Errorf("--resume %s: %w", ckpt, err))
	}
	return nil
}

// claimLiveDir sets o.liveDir, the checkpoint folder (--checkpoint, or the
// output folder out plus ".ckpt"), and prepares it under the output rule: a
// resumed run continues in the folder it resumes from; otherwise a new or
// empty folder is used, and an earlier run's checkpoint folder is replaced
// only with --force. It reports whether the folder is this run's own (and so
// may be removed if the run fails).
func claimLiveDir(o *trainOpts, out string, inputs []string) (created bool, err error) {
	o.liveDir = o.checkpoint
	if o.liveDir == "" {
		o.liveDir = out + ".ckpt"
	}
	o.liveDir = filepath.Clean(o.liveDir)
	if cli.Contains(out, o.liveDir) || cli.Contains(o.liveDir, out) {
		return false, cli.Usagef("--checkpoint %s: must lie outside --out %s (and not hold it)", o.liveDir, out)
	}
	if o.resume != "" && cli.Contains(o.resume, o.liveDir) && cli.Contains(o.liveDir, o.resume) {
		return false, cli.EnsureMarker(o.liveDir)
	}
	if train.HasCheckpoint(o.liveDir) && !o.force {
		return false, cli.Usagef("--checkpoint %s: holds an earlier run's checkpoint; continue that run with --resume %s, or pass --force to start over", o.liveDir, o.liveDir)
	}
	if err := cli.ClaimDir("--checkpoint", o.liveDir, o.force, inputs...); err != nil {
		return false, err
	}
	return true, nil
}

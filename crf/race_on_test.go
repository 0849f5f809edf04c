//go:build race

package crf

// raceEnabled: under the race detector sync.Pool drops items on purpose, so
// the pooled GEMM scratch allocates and TestInnerLoopsDoNotAllocate is skipped.
const raceEnabled = true

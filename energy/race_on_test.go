//go:build race

package energy

// raceEnabled: under the race detector sync.Pool drops items on purpose, so the
// pooled scratch allocates and TestZeroAllocs is skipped.
const raceEnabled = true

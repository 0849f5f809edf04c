package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/ebm-go/ebm/internal/atomicfile"
)

// MetricsFile is the conventional name of a run's metrics log.
const MetricsFile = "metrics.jsonl"

// Recorder keeps a run's metrics log: every Metrics record becomes one line of
// JSON, written to the file as it arrives (so `tail -f` follows a live run),
// and the records that are not events (Event == "") make the loss curve
// (iteration, loss) that Curve returns.
//
// A resumed run continues the log of the run it resumes: OpenRecorder keeps
// that log's complete lines up to the checkpoint's iteration and drops the
// rest (work done after the checkpoint, and a last line cut short by a kill),
// so the log and the curve cover the whole history.
//
// Record has the signature of Config.Metrics and Loop.Metrics. A write error
// stops further writing and is returned by Err and Close.
type Recorder struct {
	// OnEvent, if not nil, is called with every event record (Event != ""),
	// for example to print it.
	OnEvent func(Metrics)

	mu            sync.Mutex
	path          string
	f             *os.File
	err           error
	iters, losses []float64
}

// OpenRecorder creates (or replaces) the metrics log at path. If history is
// not empty it names the log of the run being resumed (it may be path
// itself; a missing file is an empty history): its lines up to iteration
// upTo are copied into the new log and their losses into the curve. The new
// log appears whole, through a temporary file and a rename.
func OpenRecorder(path, history string, upTo int) (*Recorder, error) {
	r := &Recorder{path: path}
	var kept []byte
	if history != "" {
		var err error
		if kept, err = r.readHistory(history, upTo); err != nil {
			return nil, err
		}
	}
	if err := atomicfile.WriteBytes(path, kept); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	r.f = f
	return r, nil
}

// readHistory reads the log at path and returns its complete lines with
// iteration ≤ upTo, adding their losses to the curve.
func (r *Recorder) readHistory(path string, upTo int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var kept []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 || line[len(line)-1] != '\n' {
			continue // a line cut short by a kill is dropped
		}
		var m Metrics
		if json.Unmarshal(line, &m) != nil || m.Iter > upTo {
			continue
		}
		kept = append(kept, line...)
		r.add(m)
	}
	return kept, nil
}

func (r *Recorder) add(m Metrics) {
	if m.Event == "" {
		r.iters = append(r.iters, float64(m.Iter))
		r.losses = append(r.losses, m.Loss)
	}
}

// Record writes m as one line of the log and adds it to the curve.
func (r *Recorder) Record(m Metrics) {
	r.mu.Lock()
	if r.err == nil && r.f != nil {
		js, err := json.Marshal(m)
		if err == nil {
			_, err = r.f.Write(append(js, '\n'))
		}
		if err != nil {
			r.err = fmt.Errorf("writing %s: %w", r.path, err)
		}
	}
	r.add(m)
	r.mu.Unlock()
	if m.Event != "" && r.OnEvent != nil {
		r.OnEvent(m)
	}
}

// Curve returns the loss curve so far: the iterations and losses of the
// records that are not events, history included. The slices are copies.
func (r *Recorder) Curve() (iters, losses []float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]float64(nil), r.iters...), append([]float64(nil), r.losses...)
}

// Path returns the log's path.
func (r *Recorder) Path() string { return r.path }

// Err returns the first write error, if any.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close closes the log and returns the first write or close error.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f != nil {
		if err := r.f.Close(); err != nil && r.err == nil {
			r.err = fmt.Errorf("closing %s: %w", r.path, err)
		}
		r.f = nil
	}
	return r.err
}

package model

import (
	"fmt"
	"sort"
	"sync"
)

// Loader builds a model of one kind from the contents of its folder (as Read
// returns them). It must check every shape and size against the tensors
// before it allocates anything.
type Loader func(dir string, meta *Meta, tensors map[string]Tensor) (any, error)

var (
	regMu    sync.RWMutex
	registry = map[string]Loader{}
)

// Register makes a model kind loadable by Load. Each model family registers
// its kinds in an init function of its package, as image formats and
// database drivers do in the standard library; Register panics if a kind is
// registered twice or the loader is nil (a programming error, found when the
// program starts).
func Register(kind string, load Loader) {
	regMu.Lock()
	defer regMu.Unlock()
	if load == nil {
		panic("model: Register: nil loader for kind " + kind)
	}
	if _, dup := registry[kind]; dup {
		panic("model: Register: kind " + kind + " registered twice")
	}
	registry[kind] = load
}

// Kinds returns the registered kinds, sorted.
func Kinds() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	ks := make([]string, 0, len(registry))
	for k := range registry {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// knownHomes names the package that registers each kind ebm itself saves, so
// that loading a kind whose package is not linked in says what to import.
var knownHomes = map[string]string{
	"mlp-energy":                   "github.com/ebm-go/ebm/energy",
	"noise-conditional-mlp-energy": "github.com/ebm-go/ebm/energy",
	"rbm":                          "github.com/ebm-go/ebm/rbm",
	"dbn":                          "github.com/ebm-go/ebm/rbm",
	"dbm":                          "github.com/ebm-go/ebm/rbm",
	"fvbm":                         "github.com/ebm-go/ebm/rbm",
	"crf":                          "github.com/ebm-go/ebm/crf",
	"flow":                         "github.com/ebm-go/ebm/flow",
	"anomaly":                      "github.com/ebm-go/ebm/anomaly",
	"hopfield":                     "github.com/ebm-go/ebm/hopfield",
	"jem":                          "github.com/ebm-go/ebm/jem",
	"quad-mlp-energy":              "github.com/ebm-go/ebm/energy",
}

// UnknownKindError reports a folder whose kind has no registered loader.
type UnknownKindError struct {
	Dir, Kind string
}

func (e *UnknownKindError) Error() string {
	msg := fmt.Sprintf("model: %s: unknown model kind %q", e.Dir, e.Kind)
	if home, ok := knownHomes[e.Kind]; ok {
		return msg + " (import " + home + ", which registers it)"
	}
	return fmt.Sprintf("%s (known kinds: %v)", msg, Kinds())
}

// Load reads the model folder at dir and builds the model its kind names,
// through the loader registered for that kind. The result's concrete type is
// the family's own (for example *rbm.RBM or *energy.MLPEnergy[float32]); use
// a type assertion or a type switch, or the family's typed Load function.
func Load(dir string) (any, *Meta, error) {
	meta, ts, err := Read(dir)
	if err != nil {
		return nil, nil, err
	}
	regMu.RLock()
	load := registry[meta.Kind]
	regMu.RUnlock()
	if load == nil {
		return nil, nil, &UnknownKindError{Dir: dir, Kind: meta.Kind}
	}
	m, err := load(dir, meta, ts)
	if err != nil {
		return nil, nil, err
	}
	return m, meta, nil
}

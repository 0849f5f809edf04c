package hopfield

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/tensor"
)

// Kind is the model kind of saved Hopfield networks.
const Kind = "hopfield"

func init() {
	model.Register(Kind, func(dir string, meta *model.Meta, ts map[string]model.Tensor) (any, error) {
		s, err := fromFolder(dir, meta, ts)
		if err != nil {
			return nil, err
		}
		if s.Binary != nil {
			return s.Binary, nil
		}
		return s.Modern, nil
	})
}

// Saved is a Hopfield network as saved in a model folder: one of Binary or
// Modern, the stored patterns and what they are.
type Saved struct {
	// Binary is the binary network (nil for a modern one).
	Binary *Network
	// Modern is the modern network (nil for a binary one); its patterns are
	// Patterns.
	Modern *Modern
	// Patterns are the stored patterns, P×N (may be nil for a binary
	// network).
	Patterns *tensor.Dense[float64]
	// Rule names the storage rule of a binary network.
	Rule string
	// Image is the (height, width) of a pattern read as an image; (0, 0)
	// when the patterns are not images.
	Image [2]int
}

// arch is the architecture document.
type arch struct {
	Type   string  `json:"type"` // "binary" or "modern"
	N      int     `json:"n"`
	P      int     `json:"p"`
	Rule   string  `json:"rule,omitempty"`
	Beta   float64 `json:"beta,omitempty"`
	Image  [2]int  `json:"image"`
	Energy string  `json:"energy"`
}

// Save writes s as a model folder at dir (kind "hopfield"): tensors W [N,N]
// and b [N] for a binary network, patterns [P,N] (all F64) when known, and the
// architecture (type, N, P, rule, β, image shape). Nothing is written on error
// (model.Save replaces the folder atomically).
func (s *Saved) Save(dir string, meta *model.Meta) error {
	if err := s.validate(); err != nil {
		return err
	}
	m := model.Meta{}
	if meta != nil {
		m = *meta
	}
	a := arch{Image: s.Image}
	var ts []model.Tensor
	if s.Binary != nil {
		a.Type, a.N, a.Rule = "binary", s.Binary.Dim(), s.Rule
		a.Energy = "E(s) = -1/2 s'Ws - b's, s in {-1,+1}^N"
		ts = append(ts, model.FromDense("W", s.Binary.W),
			model.Tensor{Name: "b", DType: "F64", Shape: []int{len(s.Binary.B)}, F64: s.Binary.B})
	} else {
		a.Type, a.N, a.Beta = "modern", s.Modern.Dim(), s.Modern.Beta
		a.Energy = "E(xi) = -1/beta log sum_i exp(beta x_i'xi) + 1/2 xi'xi + 1/beta log P + 1/2 M^2"
	}
	if s.Patterns != nil {
		a.P = s.Patterns.Rows
		ts = append(ts, model.FromDense("patterns", s.Patterns))
	}
	js, err := json.Marshal(a)
	if err != nil {
		return err
	}
	m.Kind, m.Architecture = Kind, js
	return model.Save(dir, &m, ts)
}

func (s *Saved) validate() error {
	if (s.Binary == nil) == (s.Modern == nil) {
		return errors.New("hopfield: a saved network is either binary or modern")
	}
	n := 0
	if s.Binary != nil {
		if err := s.Binary.Validate(); err != nil {
			return err
		}
		n = s.Binary.Dim()
	} else {
		if err := s.Modern.Validate(); err != nil {
			return err
		}
		n = s.Modern.Dim()
		if s.Patterns != s.Modern.X {
			return errors.New("hopfield: a modern network's Patterns must be its X")
		}
	}
	if s.Patterns != nil && s.Patterns.Cols != n {
		return fmt.Errorf("hopfield: patterns of %d values for %d units", s.Patterns.Cols, n)
	}
	if s.Image[0] < 0 || s.Image[1] < 0 || (s.Image[0]*s.Image[1] != 0 && s.Image[0]*s.Image[1] != n) {
		return fmt.Errorf("hopfield: image shape %v for %d units", s.Image, n)
	}
	return nil
}

func fromFolder(dir string, meta *model.Meta, ts map[string]model.Tensor) (*Saved, error) {
	var a arch
	if err := json.Unmarshal(meta.Architecture, &a); err != nil {
		return nil, fmt.Errorf("hopfield: model %s: architecture: %v", dir, err)
	}
	if a.N < 1 || a.N > 1<<14 || a.P < 0 {
		return nil, fmt.Errorf("hopfield: model %s: %d units, %d patterns", dir, a.N, a.P)
	}
	s := &Saved{Rule: a.Rule, Image: a.Image}
	if a.P > 0 {
		p, err := model.Expect(ts, "patterns", "F64", a.P, a.N)
		if err != nil {
			return nil, fmt.Errorf("hopfield: model %s: %w", dir, err)
		}
		s.Patterns = &tensor.Dense[float64]{Rows: a.P, Cols: a.N, Data: p.F64}
	}
	switch a.Type {
	case "binary":
		w, err := model.Expect(ts, "W", "F64", a.N, a.N)
		if err != nil {
			return nil, fmt.Errorf("hopfield: model %s: %w", dir, err)
		}
		b, err := model.Expect(ts, "b", "F64", a.N)
		if err != nil {
			return nil, fmt.Errorf("hopfield: model %s: %w", dir, err)
		}
		s.Binary = &Network{W: &tensor.Dense[float64]{Rows: a.N, Cols: a.N, Data: w.F64}, B: b.F64}
	case "modern":
		if s.Patterns == nil {
			return nil, fmt.Errorf("hopfield: model %s: a modern network needs its patterns", dir)
		}
		s.Modern = &Modern{X: s.Patterns, Beta: a.Beta}
	default:
		return nil, fmt.Errorf("hopfield: model %s: unknown network type %q (want binary or modern)", dir, a.Type)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	return s, nil
}

// Load reads a Hopfield network saved by (*Saved).Save.
func Load(dir string) (*Saved, *model.Meta, error) {
	meta, ts, err := model.Read(dir)
	if err != nil {
		return nil, nil, err
	}
	if meta.Kind != Kind {
		return nil, nil, fmt.Errorf("hopfield: %s holds a model of kind %q, not %q", dir, meta.Kind, Kind)
	}
	s, err := fromFolder(dir, meta, ts)
	if err != nil {
		return nil, nil, err
	}
	return s, meta, nil
}

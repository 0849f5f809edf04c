package hopfield

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/ebm-go/ebm/tensor"
)

// Bipolar maps rows of values in [0, 1] (pixels scaled to [0, 1], binary
// units) to ±1: v ≥ 0.5 → +1, else −1. A value outside [0, 1] or NaN is an
// error naming its row and column.
func Bipolar(x *tensor.Dense[float32]) (*tensor.Dense[float64], error) {
	out := tensor.New[float64](x.Rows, x.Cols)
	for i, v := range x.Data {
		if !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("hopfield: row %d, column %d holds %v; want values in [0, 1]", i/x.Cols, i%x.Cols, v)
		}
		if v >= 0.5 {
			out.Data[i] = 1
		} else {
			out.Data[i] = -1
		}
	}
	return out, nil
}

// StoreConfig configures StoreRows.
type StoreConfig struct {
	// Rule is "hebbian", "pinv", "storkey" (a binary network) or "modern".
	Rule string
	// Beta is the inverse temperature of a modern network (default 1).
	Beta float64
	// Patterns is the number of rows stored, the first ones (0: all).
	Patterns int
	// Image is the (height, width) of a row read as an image, or (0, 0).
	Image [2]int
}

// StoreRows stores the first cfg.Patterns rows of x (±1) in a network.
func StoreRows(x *tensor.Dense[float64], cfg StoreConfig) (*Saved, error) {
	if cfg.Patterns < 0 {
		return nil, fmt.Errorf("hopfield: %d patterns; need ≥ 1 (0: all rows)", cfg.Patterns)
	}
	if x == nil || x.Rows == 0 {
		return nil, errors.New("hopfield: no patterns")
	}
	p := x.Rows
	if cfg.Patterns > 0 {
		if cfg.Patterns > x.Rows {
			return nil, fmt.Errorf("hopfield: %d patterns asked for, the data has %d rows", cfg.Patterns, x.Rows)
		}
		p = cfg.Patterns
	}
	pats := &tensor.Dense[float64]{Rows: p, Cols: x.Cols, Data: append([]float64(nil), x.Data[:p*x.Cols]...)}
	if err := CheckPatterns(pats, 0); err != nil {
		return nil, err
	}
	s := &Saved{Patterns: pats, Image: cfg.Image}
	if strings.ToLower(strings.TrimSpace(cfg.Rule)) == "modern" {
		beta := cfg.Beta
		if beta == 0 {
			beta = 1
		}
		m, err := NewModern(pats, beta)
		if err != nil {
			return nil, err
		}
		s.Modern, s.Patterns = m, m.X
		return s, s.validate()
	}
	rule, err := ParseRule(cfg.Rule)
	if err != nil {
		return nil, fmt.Errorf("hopfield: unknown storage rule %q (valid: hebbian, pinv, storkey, modern)", cfg.Rule)
	}
	if s.Binary, err = Store(rule, pats); err != nil {
		return nil, err
	}
	s.Rule = rule.String()
	return s, s.validate()
}

// RecallConfig configures (*Saved).Recall; zero values mean the defaults.
type RecallConfig struct {
	// Corrupt is the fraction of bits flipped in every cue (default 0.1;
	// negative: none).
	Corrupt float64
	// MaxSweeps bounds asynchronous recall (default 100).
	MaxSweeps int
	// Temp > 0 runs Sweeps sweeps of Gibbs sampling at temperature Temp
	// (stochastic recall) before the descent to a fixed point.
	Temp float64
	// Sweeps is the number of Gibbs sweeps at Temp (default 10).
	Sweeps int
	// Steps is the number of updates of a modern network (default 1).
	Steps int
	// Seed seeds the corruption, the update order and the Gibbs sampling.
	Seed uint64
}

// RecallResult is the outcome of recalling every stored pattern from a
// corrupted cue.
type RecallResult struct {
	// Patterns, Cues and Recalled are P×N, ±1 (a modern network's state is
	// read out by its sign).
	Patterns, Cues, Recalled *tensor.Dense[float64]
	// CueAccuracy and BitAccuracy are the fractions of bits of the cues and
	// of the recalled states equal to the patterns; Perfect is the fraction
	// of patterns recalled without error.
	CueAccuracy float64 `json:"cue_accuracy"`
	BitAccuracy float64 `json:"bit_accuracy"`
	Perfect     float64 `json:"perfect"`
	// EnergyCue and EnergyRecalled are the mean energies of the cues and of
	// the recalled states.
	EnergyCue      float64 `json:"energy_cue"`
	EnergyRecalled float64 `json:"energy_recalled"`
	// Converged is the fraction of binary recalls that reached a fixed point
	// (1 for a modern network).
	Converged float64 `json:"converged"`
}

// Recall corrupts every stored pattern (cfg.Corrupt of its bits) and recalls
// it: asynchronous energy descent for a binary network (after Gibbs sweeps at
// cfg.Temp when set), cfg.Steps updates ξ ← Xᵀsoftmax(βXξ) for a modern one.
func (s *Saved) Recall(cfg RecallConfig) (*RecallResult, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if s.Patterns == nil {
		return nil, errors.New("hopfield: the network was saved without its patterns; nothing to recall")
	}
	if cfg.Corrupt == 0 {
		cfg.Corrupt = 0.1
	}
	if cfg.Corrupt < 0 {
		cfg.Corrupt = 0
	}
	if cfg.MaxSweeps == 0 {
		cfg.MaxSweeps = 100
	}
	if cfg.Sweeps == 0 {
		cfg.Sweeps = 10
	}
	if cfg.Steps == 0 {
		cfg.Steps = 1
	}
	switch {
	case cfg.Corrupt > 1 || math.IsNaN(cfg.Corrupt):
		return nil, fmt.Errorf("hopfield: corruption %g; need a fraction in [0, 1]", cfg.Corrupt)
	case cfg.MaxSweeps < 0 || cfg.Sweeps < 0 || cfg.Steps < 0:
		return nil, fmt.Errorf("hopfield: sweeps %d, Gibbs sweeps %d, steps %d; need ≥ 1", cfg.MaxSweeps, cfg.Sweeps, cfg.Steps)
	case cfg.Temp < 0 || math.IsNaN(cfg.Temp) || math.IsInf(cfg.Temp, 0):
		return nil, fmt.Errorf("hopfield: temperature %g; need a finite T ≥ 0", cfg.Temp)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x40bf))
	cues, err := Corrupt(s.Patterns, cfg.Corrupt, rng)
	if err != nil {
		return nil, err
	}
	res := &RecallResult{Patterns: s.Patterns, Cues: cues, CueAccuracy: BitAccuracy(cues, s.Patterns)}
	var e energyFunc
	if s.Binary != nil {
		e = s.Binary.Energy
		out := cues.Clone()
		conv := 0
		for mu := 0; mu < out.Rows; mu++ {
			row := out.Row(mu)
			if cfg.Temp > 0 {
				if err := s.Binary.Gibbs(row, cfg.Temp, cfg.Sweeps, rng); err != nil {
					return nil, err
				}
			}
			info, err := s.Binary.Recall(row, cfg.MaxSweeps, rng, nil)
			if err != nil {
				return nil, err
			}
			if info.Converged {
				conv++
			}
		}
		res.Recalled = out
		res.Converged = float64(conv) / float64(out.Rows)
	} else {
		e = s.Modern.Energy
		out := cues
		for k := 0; k < cfg.Steps; k++ {
			if out, err = s.Modern.Update(out); err != nil {
				return nil, err
			}
		}
		res.Recalled, res.Converged = Sign(out), 1
	}
	res.BitAccuracy = BitAccuracy(res.Recalled, s.Patterns)
	perfect := 0
	for mu := 0; mu < s.Patterns.Rows; mu++ {
		if BitAccuracy(rowOf(res.Recalled, mu), rowOf(s.Patterns, mu)) == 1 {
			perfect++
		}
	}
	res.Perfect = float64(perfect) / float64(s.Patterns.Rows)
	res.EnergyCue, res.EnergyRecalled = meanEnergy(e, cues), meanEnergy(e, res.Recalled)
	return res, nil
}

type energyFunc func(x *tensor.Dense[float64], e []float64)

func meanEnergy(f energyFunc, x *tensor.Dense[float64]) float64 {
	e := make([]float64, x.Rows)
	f(x, e)
	s := 0.0
	for _, v := range e {
		s += v
	}
	return s / float64(len(e))
}

func rowOf(x *tensor.Dense[float64], i int) *tensor.Dense[float64] {
	return &tensor.Dense[float64]{Rows: 1, Cols: x.Cols, Data: x.Row(i)}
}

// Panel returns the picture of a recall: the first k ≤ maxCols patterns, their
// cues and the recalled states as three rows of k images (pixel values 0 for
// −1 and 1 for +1), for plot.ImageGrid with k columns.
func (r *RecallResult) Panel(maxCols int) (images *tensor.Dense[float64], cols int) {
	k := min(r.Patterns.Rows, max(1, maxCols))
	n := r.Patterns.Cols
	images = tensor.New[float64](3*k, n)
	for row, src := range []*tensor.Dense[float64]{r.Patterns, r.Cues, r.Recalled} {
		for i := 0; i < k; i++ {
			dst := images.Row(row*k + i)
			for j, v := range src.Row(i) {
				if v > 0 {
					dst[j] = 1
				}
			}
		}
	}
	return images, k
}

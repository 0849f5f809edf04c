package energy

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/tensor"
)

// Sum returns the product of experts Σₖ Eₖ(x): energies (and gradients) add, so
// p ∝ Πₖ exp(−Eₖ). It returns an error if es is empty, an expert is nil, or
// the dimensions differ. The result is safe for concurrent use if the experts
// are; its scratch space comes from a pool, so it allocates nothing once warm.
// It implements neither Smoother nor Normalized: neither is known in general
// (the product of two Gaussians is a Gaussian, but build that directly).
func Sum(es ...GradEnergy) (GradEnergy, error) {
	if len(es) == 0 {
		return nil, errors.New("energy: Sum of no energies")
	}
	for k, e := range es {
		if e == nil {
			return nil, fmt.Errorf("energy: Sum: energy %d is nil", k)
		}
		if e.Dim() != es[0].Dim() {
			return nil, fmt.Errorf("energy: Sum: energy %d has dimension %d, energy 0 has %d", k, e.Dim(), es[0].Dim())
		}
	}
	return &sumEnergy{d: es[0].Dim(), es: append([]GradEnergy(nil), es...)}, nil
}

type sumEnergy struct {
	d  int
	es []GradEnergy
}

func (s *sumEnergy) Dim() int { return s.d }

func (s *sumEnergy) Energy(x *tensor.Dense[float64], e []float64) {
	mustBatch("Sum.Energy", s.d, x, e, nil, false)
	s.es[0].Energy(x, e)
	if len(s.es) == 1 {
		return
	}
	buf := getScratch(len(e))
	tmp := buf.buf
	for _, ek := range s.es[1:] {
		ek.Energy(x, tmp)
		for i, v := range tmp {
			e[i] += v
		}
	}
	putScratch(buf)
}

func (s *sumEnergy) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	mustBatch("Sum.EnergyGrad", s.d, x, e, g, true)
	s.es[0].EnergyGrad(x, e, g)
	if len(s.es) == 1 {
		return
	}
	n := len(e)
	buf := getScratch(n + n*s.d)
	tmp := buf.buf[:n]
	tg := &buf.m
	*tg = tensor.Dense[float64]{Rows: n, Cols: s.d, Data: buf.buf[n:]}
	for _, ek := range s.es[1:] {
		ek.EnergyGrad(x, tmp, tg)
		for i, v := range tmp {
			e[i] += v
		}
		for i, v := range tg.Data {
			g.Data[i] += v
		}
	}
	putScratch(buf)
}

// Temperature returns E(x)/T, the energy of p^(1/T) (T < 1 sharpens, T > 1
// flattens). It returns an error if e is nil or T is not finite and positive.
// Safe for concurrent use if e is; no allocation.
func Temperature(e GradEnergy, T float64) (GradEnergy, error) {
	if e == nil {
		return nil, errors.New("energy: Temperature of a nil energy")
	}
	if !(T > 0) || math.IsInf(T, 0) {
		return nil, fmt.Errorf("energy: Temperature: T = %v, want finite and > 0", T)
	}
	return &tempered{e: e, inv: 1 / T}, nil
}

type tempered struct {
	e   GradEnergy
	inv float64
}

func (t *tempered) Dim() int { return t.e.Dim() }

func (t *tempered) Energy(x *tensor.Dense[float64], e []float64) {
	t.e.Energy(x, e)
	for i := range e {
		e[i] *= t.inv
	}
}

func (t *tempered) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	t.e.EnergyGrad(x, e, g)
	for i := range e {
		e[i] *= t.inv
	}
	for i := range g.Data {
		g.Data[i] *= t.inv
	}
}

// Shift returns the energy translated by δ: E'(x) = E(x − δ), ∇E'(x) = ∇E(x − δ),
// so samples of E' are samples of E plus δ (a test case for KSD and friends). δ is
// copied; it returns an error if e is nil, len(delta) ≠ e.Dim() or δ is not
// finite. Safe for concurrent use if e is; scratch comes from a pool.
func Shift(e GradEnergy, delta []float64) (GradEnergy, error) {
	if e == nil {
		return nil, errors.New("energy: Shift of a nil energy")
	}
	if len(delta) != e.Dim() {
		return nil, fmt.Errorf("energy: Shift: len(delta) = %d, energy has dimension %d", len(delta), e.Dim())
	}
	for i, v := range delta {
		if !finite(v) {
			return nil, fmt.Errorf("energy: Shift: delta[%d] = %v", i, v)
		}
	}
	return &shifted{e: e, delta: append([]float64(nil), delta...)}, nil
}

type shifted struct {
	e     GradEnergy
	delta []float64
}

func (s *shifted) Dim() int { return len(s.delta) }

// moved returns scratch whose matrix m holds x − δ.
func (s *shifted) moved(x *tensor.Dense[float64]) *scratch {
	d := len(s.delta)
	buf := getScratch(len(x.Data))
	y := buf.buf
	for i := 0; i < x.Rows; i++ {
		r, yr := x.Data[i*d:(i+1)*d], y[i*d:(i+1)*d]
		for j, v := range r {
			yr[j] = v - s.delta[j]
		}
	}
	buf.m = tensor.Dense[float64]{Rows: x.Rows, Cols: d, Data: y}
	return buf
}

func (s *shifted) Energy(x *tensor.Dense[float64], e []float64) {
	mustBatch("Shift.Energy", len(s.delta), x, e, nil, false)
	buf := s.moved(x)
	s.e.Energy(&buf.m, e)
	putScratch(buf)
}

func (s *shifted) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	mustBatch("Shift.EnergyGrad", len(s.delta), x, e, g, true)
	buf := s.moved(x)
	s.e.EnergyGrad(&buf.m, e, g)
	putScratch(buf)
}

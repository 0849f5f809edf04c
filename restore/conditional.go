package restore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Conditional is the energy of the free coordinates of x given the others:
// for observations o_0…o_{m−1} (rows of an m×d matrix) and a mask of free
// coordinates F (the rest, C, clamped),
//
//	E_c(u) = E(x),   x_F = u,   x_C = (o_{c mod m})_C,
//
// an energy over R^|F| whose gradient is ∇E(x) restricted to F. Sampling it
// samples p(x_F | x_C) (inpainting, conditioning); minimizing it gives the
// conditional mode. Batches must have a multiple of m rows. Safe for
// concurrent use if E is (work buffers come from a pool).
type Conditional struct {
	e    energy.GradEnergy
	obs  *tensor.Dense[float64]
	free []int

	pool sync.Pool // *condBuf
}

type condBuf struct {
	x, g *tensor.Dense[float64]
}

// NewConditional returns the conditional energy of e's free coordinates
// (free[j] true) given the values of the others in the rows of obs (m×d,
// copied; its free entries are ignored). Errors: nil energy, a mask or
// observations of the wrong size (naming both sizes), no free coordinate.
func NewConditional(e energy.GradEnergy, obs *tensor.Dense[float64], free []bool) (*Conditional, error) {
	if e == nil {
		return nil, errors.New("restore: nil energy")
	}
	d := e.Dim()
	if len(free) != d {
		return nil, fmt.Errorf("restore: the mask has %d entries, the model's dimension is %d", len(free), d)
	}
	if obs == nil || obs.Rows == 0 || obs.Cols != d {
		cols := 0
		if obs != nil {
			cols = obs.Cols
		}
		return nil, fmt.Errorf("restore: the observations have %d coordinates, the model's dimension is %d", cols, d)
	}
	c := &Conditional{e: e, obs: obs.Clone()}
	for j, f := range free {
		if f {
			c.free = append(c.free, j)
		} else if v := obs.Data[j]; v != v {
			return nil, fmt.Errorf("restore: observed coordinate %d is NaN", j)
		}
	}
	if len(c.free) == 0 {
		return nil, errors.New("restore: the mask leaves no coordinate free")
	}
	return c, nil
}

// Dim returns the number of free coordinates.
func (c *Conditional) Dim() int { return len(c.free) }

// Free returns the indices of the free coordinates.
func (c *Conditional) Free() []int { return append([]int(nil), c.free...) }

// Fill returns the full points of the rows of u (n×|F|, n a multiple of m):
// row r is observation r mod m with its free coordinates set from u.
func (c *Conditional) Fill(u *tensor.Dense[float64]) *tensor.Dense[float64] {
	return c.fill(nil, u)
}

func (c *Conditional) fill(dst, u *tensor.Dense[float64]) *tensor.Dense[float64] {
	if u.Cols != len(c.free) || u.Rows%c.obs.Rows != 0 {
		panic(fmt.Sprintf("restore: Conditional with %d free coordinates and %d observations evaluated on a %d×%d batch", len(c.free), c.obs.Rows, u.Rows, u.Cols))
	}
	d, m := c.obs.Cols, c.obs.Rows
	dst = tensor.Reuse(dst, u.Rows, d)
	for r := 0; r < u.Rows; r++ {
		x := dst.Data[r*d : (r+1)*d]
		copy(x, c.obs.Row(r%m))
		ur := u.Row(r)
		for k, j := range c.free {
			x[j] = ur[k]
		}
	}
	return dst
}

// Project returns the free coordinates of the rows of x (n×d).
func (c *Conditional) Project(x *tensor.Dense[float64]) *tensor.Dense[float64] {
	u := tensor.New[float64](x.Rows, len(c.free))
	for r := 0; r < x.Rows; r++ {
		xr, ur := x.Row(r), u.Row(r)
		for k, j := range c.free {
			ur[k] = xr[j]
		}
	}
	return u
}

func (c *Conditional) buf() *condBuf {
	if b, ok := c.pool.Get().(*condBuf); ok {
		return b
	}
	return &condBuf{}
}

// Energy writes E_c(u_c) into e[c].
func (c *Conditional) Energy(u *tensor.Dense[float64], e []float64) {
	b := c.buf()
	b.x = c.fill(b.x, u)
	c.e.Energy(b.x, e)
	c.pool.Put(b)
}

// EnergyGrad writes E_c(u_c) into e[c] and its gradient in u into row c of g.
func (c *Conditional) EnergyGrad(u *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	b := c.buf()
	b.x = c.fill(b.x, u)
	b.g = tensor.Reuse(b.g, b.x.Rows, b.x.Cols)
	c.e.EnergyGrad(b.x, e, b.g)
	for r := 0; r < u.Rows; r++ {
		gr, fr := g.Row(r), b.g.Row(r)
		for k, j := range c.free {
			gr[k] = fr[j]
		}
	}
	c.pool.Put(b)
}

// InpaintSample samples the free coordinates (free[j] true) of each row of
// obs given its other coordinates under e, cfg.Chains chains per row started
// at obs's free values, and returns the full points: posterior means (clamped
// coordinates as observed) and standard deviations (0 where clamped).
func InpaintSample(ctx context.Context, e energy.GradEnergy, obs *tensor.Dense[float64], free []bool, cfg SampleConfig) (*Estimate, error) {
	c, err := NewConditional(e, obs, free)
	if err != nil {
		return nil, err
	}
	est, err := SampleBatch(ctx, c, c.Project(c.obs), cfg)
	if err != nil {
		return nil, err
	}
	sd := tensor.New[float64](obs.Rows, obs.Cols)
	for r := 0; r < obs.Rows; r++ {
		for k, j := range c.free {
			sd.Row(r)[j] = est.SD.Row(r)[k]
		}
	}
	return &Estimate{Mean: c.Fill(est.Mean), SD: sd, Result: est.Result}, nil
}

// InpaintMAP minimizes e over the free coordinates of each row of obs with
// the others clamped (the conditional mode), from obs's free values, and
// returns the full points.
func InpaintMAP(ctx context.Context, e energy.GradEnergy, obs *tensor.Dense[float64], free []bool, cfg MinimizeConfig) (*tensor.Dense[float64], *MinimizeInfo, error) {
	c, err := NewConditional(e, obs, free)
	if err != nil {
		return nil, nil, err
	}
	u, info, err := Minimize(ctx, c, c.Project(c.obs), cfg)
	if err != nil {
		return nil, nil, err
	}
	return c.Fill(u), info, nil
}

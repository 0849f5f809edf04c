package train

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/tensor"
)

// BatchSource yields the training batch of every iteration. Batch(iter, n)
// returns the n examples of iteration iter; it must depend only on iter and
// the source's own seed, so that a resumed run sees the same batches. The
// returned batch may be a buffer the source reuses: it is valid until the next
// call.
type BatchSource[B any] interface {
	Batch(iter, n int) (B, error)
}

// PointSource is a BatchSource of points: n×d matrices, one point per row.
type PointSource interface {
	// Dim returns d.
	Dim() int
	BatchSource[*tensor.Dense[float64]]
}

// Source is the older form of a point source: Batch(iter, dst) fills dst (n×d)
// with the batch of iteration iter and cannot fail. FromSource adapts it to a
// PointSource.
type Source interface {
	Dim() int
	Batch(iter int, dst *tensor.Dense[float64])
}

// FromSource adapts a Source to a PointSource; the batches go into one buffer
// that is reused while n stays the same.
func FromSource(s Source) PointSource { return &sourceAdapter{s: s} }

type sourceAdapter struct {
	s   Source
	buf *tensor.Dense[float64]
}

func (a *sourceAdapter) Dim() int {
	if a.s == nil {
		return 0
	}
	return a.s.Dim()
}

func (a *sourceAdapter) Batch(iter, n int) (*tensor.Dense[float64], error) {
	if a.s == nil {
		return nil, errors.New("train: nil Source")
	}
	d := a.s.Dim()
	if n < 1 || d < 1 {
		return nil, fmt.Errorf("train: batch of %d points of dimension %d", n, d)
	}
	if a.buf == nil || a.buf.Rows != n || a.buf.Cols != d {
		a.buf = tensor.New[float64](n, d)
	}
	a.s.Batch(iter, a.buf)
	return a.buf, nil
}

// Generator is a PointSource that draws fresh points every iteration: the
// batch of iteration i is Gen(n, rng) with rng a PCG generator seeded by
// (Seed, i). Infinite data.
type Generator struct {
	D    int
	Gen  func(n int, rng *rand.Rand) *tensor.Dense[float64]
	Seed uint64
}

// Dim returns the dimension of the points.
func (g *Generator) Dim() int { return g.D }

// Batch draws n fresh points. It fails if Gen is nil, D or n is below 1, or Gen
// returns a matrix of another shape.
func (g *Generator) Batch(iter, n int) (*tensor.Dense[float64], error) {
	if g.Gen == nil {
		return nil, errors.New("train: Generator has no Gen function")
	}
	if g.D < 1 || n < 1 {
		return nil, fmt.Errorf("train: Generator asked for %d points of dimension %d", n, g.D)
	}
	x := g.Gen(n, rand.New(rand.NewPCG(g.Seed, uint64(iter))))
	if x == nil || x.Rows != n || x.Cols != g.D {
		got := "nil"
		if x != nil {
			got = x.Shape()
		}
		return nil, fmt.Errorf("train: Generator's Gen returned %s for %d points of dimension %d", got, n, g.D)
	}
	return x, nil
}

// epochs draws shuffled epochs over N examples: the permutation of epoch k is
// drawn from a PCG generator seeded by (seed, k). With b examples per batch
// and per = max(⌊N/b⌋, 1) batches per epoch, batch i is epoch ⌊i/per⌋, slot
// i mod per, and holds the permutation's entries (slot·b + j) mod N for
// j < b: every batch is full, and an epoch whose size is not a multiple of b
// drops its remainder.
type epochs struct {
	epoch int
	perm  []int
}

func (e *epochs) indices(seed uint64, iter, n, b int, dst []int) {
	per := max(n/b, 1)
	epoch, k := iter/per, iter%per
	if e.perm == nil || len(e.perm) != n || e.epoch != epoch {
		e.perm = rand.New(rand.NewPCG(seed, uint64(epoch))).Perm(n)
		e.epoch = epoch
	}
	for i := 0; i < b; i++ {
		dst[i] = e.perm[(k*b+i)%n]
	}
}

// Dataset is a PointSource over a finite data set X (one point per row), or
// Bytes when X is nil (rows kept as bytes, converted batch by batch), in
// shuffled epochs: the permutation of epoch k is drawn from (Seed, k); a batch
// that would cross the end of an epoch takes the first rows of the next
// epoch's permutation instead (every batch is full; every point is seen once
// per epoch up to that remainder).
type Dataset struct {
	X     *tensor.Dense[float64]
	Bytes *data.ByteRows
	Seed  uint64

	ep  epochs
	idx []int
	buf *tensor.Dense[float64]
}

// Dim returns the number of columns of X (or of Bytes).
func (d *Dataset) Dim() int {
	_, c := d.shape()
	return c
}

// shape returns the number of rows and columns of the data.
func (d *Dataset) shape() (rows, cols int) {
	switch {
	case d.X != nil:
		return d.X.Rows, d.X.Cols
	case d.Bytes != nil:
		return d.Bytes.N, d.Bytes.D
	}
	return 0, 0
}

// Batch returns the n rows of iteration iter (a buffer reused by the next
// call). It fails on missing or empty data and on n < 1.
func (d *Dataset) Batch(iter, n int) (*tensor.Dense[float64], error) {
	rows, cols := d.shape()
	if rows == 0 || cols == 0 {
		return nil, errors.New("train: Dataset has no data")
	}
	if d.X == nil && len(d.Bytes.Data) != rows*cols {
		return nil, fmt.Errorf("train: Dataset has %d bytes for %d rows of %d", len(d.Bytes.Data), rows, cols)
	}
	if n < 1 {
		return nil, fmt.Errorf("train: batch size %d must be ≥ 1", n)
	}
	if cap(d.idx) < n {
		d.idx = make([]int, n)
	}
	idx := d.idx[:n]
	d.ep.indices(d.Seed, iter, rows, n, idx)
	if d.buf == nil || d.buf.Rows != n || d.buf.Cols != cols {
		d.buf = tensor.New[float64](n, cols)
	}
	for i, src := range idx {
		if d.X != nil {
			copy(d.buf.Row(i), d.X.Row(src))
		} else {
			d.Bytes.Row(src, d.buf.Row(i))
		}
	}
	return d.buf, nil
}

// Labelled is a batch of points with integer labels: row i of X has label Y[i].
type Labelled struct {
	X *tensor.Dense[float64]
	Y []int
}

// LabelledDataset is a BatchSource of Labelled batches over a finite data set,
// in the shuffled epochs of Dataset.
type LabelledDataset struct {
	X    *tensor.Dense[float64]
	Y    []int
	Seed uint64

	ep  epochs
	idx []int
	buf Labelled
}

// Dim returns the number of columns of X.
func (d *LabelledDataset) Dim() int {
	if d.X == nil {
		return 0
	}
	return d.X.Cols
}

// Batch returns the n labelled rows of iteration iter (buffers reused by the
// next call). It fails on empty data, len(Y) ≠ rows of X, or n < 1.
func (d *LabelledDataset) Batch(iter, n int) (Labelled, error) {
	if d.X == nil || d.X.Rows == 0 || d.X.Cols == 0 {
		return Labelled{}, errors.New("train: LabelledDataset has no data")
	}
	if len(d.Y) != d.X.Rows {
		return Labelled{}, fmt.Errorf("train: LabelledDataset has %d points and %d labels", d.X.Rows, len(d.Y))
	}
	if n < 1 {
		return Labelled{}, fmt.Errorf("train: batch size %d must be ≥ 1", n)
	}
	if cap(d.idx) < n {
		d.idx = make([]int, n)
	}
	idx := d.idx[:n]
	d.ep.indices(d.Seed, iter, d.X.Rows, n, idx)
	if d.buf.X == nil || d.buf.X.Rows != n || d.buf.X.Cols != d.X.Cols {
		d.buf = Labelled{X: tensor.New[float64](n, d.X.Cols), Y: make([]int, n)}
	}
	for i, src := range idx {
		copy(d.buf.X.Row(i), d.X.Row(src))
		d.buf.Y[i] = d.Y[src]
	}
	return d.buf, nil
}

// Items is a BatchSource over a finite slice of anything (sequences, graphs,
// labelled examples), in the shuffled epochs of Dataset: a batch is a slice of
// n elements of Items (a buffer reused by the next call).
type Items[E any] struct {
	Items []E
	Seed  uint64

	ep  epochs
	idx []int
	buf []E
}

// Batch returns the n elements of iteration iter. It fails on an empty Items
// or n < 1.
func (s *Items[E]) Batch(iter, n int) ([]E, error) {
	if len(s.Items) == 0 {
		return nil, errors.New("train: Items is empty")
	}
	if n < 1 {
		return nil, fmt.Errorf("train: batch size %d must be ≥ 1", n)
	}
	if cap(s.idx) < n {
		s.idx = make([]int, n)
		s.buf = make([]E, n)
	}
	idx := s.idx[:n]
	s.ep.indices(s.Seed, iter, len(s.Items), n, idx)
	out := s.buf[:n]
	for i, src := range idx {
		out[i] = s.Items[src]
	}
	return out, nil
}

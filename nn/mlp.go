package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/internal/pool"
	"github.com/ebm-go/ebm/tensor"
)

// MLP is a multilayer perceptron: Linear layers with an activation between
// them and none after the last,
//
//	f(x) = W_L·a(… a(W_2·a(W_1·x + b_1) + b_2) …) + b_L.
//
// Its methods that only read the weights (Forward, ValueGradX) are safe for
// concurrent use; training steps that change the weights are not. An MLP must
// not be copied after first use (it holds a pool of work buffers).
type MLP[T tensor.Float] struct {
	Layers []*Linear[T]
	Act    Activation

	ws pool.Pool[fusedWS[T]] // one workspace per concurrent ValueGradX

	packs  *mlpPacks[T] // the weights packed by Freeze (storage kept for the next)
	frozen bool         // packs hold the current weights, ValueGradX uses them
}

// mlpPacks holds each layer's weights packed for ValueGradX's forward
// products (W) and backward products (Wᵀ; none for the last layer).
type mlpPacks[T tensor.Float] struct {
	fw, bw []tensor.PackedB[T]
}

// Freeze packs the weights once for the ValueGradX evaluations that follow,
// until the returned function is called: the many evaluations of a sampler's
// steps between two updates then skip packing the weights for every product
// (the results are the same, to the bit). The weights (and the layers) must not
// change before the returned function is called. Freeze is not safe to call
// concurrently with evaluations; a Freeze while frozen returns a function that
// does nothing.
func (m *MLP[T]) Freeze() (thaw func()) {
	if m.frozen {
		return func() {}
	}
	if m.packs == nil || len(m.packs.fw) != len(m.Layers) {
		m.packs = &mlpPacks[T]{fw: make([]tensor.PackedB[T], len(m.Layers)), bw: make([]tensor.PackedB[T], len(m.Layers))}
	}
	for i, l := range m.Layers {
		m.packs.fw[i].Pack(false, l.W.Value)
		if i+1 < len(m.Layers) { // the last layer's backward is a broadcast, not a product
			m.packs.bw[i].Pack(true, l.W.Value)
		}
	}
	m.frozen = true
	return func() { m.frozen = false }
}

// MLPOptions configures NewMLP.
type MLPOptions struct {
	Init     Init // InitTorch by default
	SpecNorm bool // spectral normalization on every layer
}

// NewMLP builds an MLP with layer widths sizes (sizes[0] inputs, sizes[len-1]
// outputs), the activation act, and weights drawn from rng.
func NewMLP[T tensor.Float](sizes []int, act Activation, opt MLPOptions, rng *rand.Rand) (*MLP[T], error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("nn: an MLP needs at least input and output sizes, got %v", sizes)
	}
	for i, s := range sizes {
		if s < 1 {
			return nil, fmt.Errorf("nn: layer %d has width %d", i, s)
		}
	}
	// Sizes are checked before anything is allocated: each layer's weights,
	// and all parameters together (with overflow-safe arithmetic).
	total := 0
	for i := 0; i+1 < len(sizes); i++ {
		what := fmt.Sprintf("nn: MLP layer %d weights", i)
		if err := tensor.CheckAllocOf[T](what, sizes[i], sizes[i+1]); err != nil {
			return nil, err
		}
		total += sizes[i]*sizes[i+1] + sizes[i+1]
		if err := tensor.CheckAllocOf[T]("nn: MLP parameters", total); err != nil {
			return nil, err
		}
	}
	m := &MLP[T]{Act: act}
	for i := 0; i+1 < len(sizes); i++ {
		l := NewLinear[T](fmt.Sprintf("layers.%d", i), sizes[i], sizes[i+1], opt.Init, rng)
		if opt.SpecNorm {
			l.EnableSpectralNorm(rng)
		}
		m.Layers = append(m.Layers, l)
	}
	return m, nil
}

// Sizes returns the layer widths.
func (m *MLP[T]) Sizes() []int {
	s := []int{m.Layers[0].In}
	for _, l := range m.Layers {
		s = append(s, l.Out)
	}
	return s
}

// In returns the input width.
func (m *MLP[T]) In() int { return m.Layers[0].In }

// Out returns the output width.
func (m *MLP[T]) Out() int { return m.Layers[len(m.Layers)-1].Out }

// Params returns every layer's parameters, in order.
func (m *MLP[T]) Params() []*autodiff.Param[T] {
	var ps []*autodiff.Param[T]
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Forward records the network on tape t.
func (m *MLP[T]) Forward(t *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	h := x
	for i, l := range m.Layers {
		h = l.Forward(t, h)
		if i+1 < len(m.Layers) {
			h = Apply(m.Act, h)
		}
	}
	return h
}

// UpdateSpectral runs iters power iterations on every spectrally normalized
// layer; trainers call it once per parameter update, as PyTorch does once per
// training forward pass.
func (m *MLP[T]) UpdateSpectral(iters int) {
	for _, l := range m.Layers {
		if l.SN != nil {
			l.SN.Update(l.W.Value, iters)
		}
	}
}

// fusedWS holds the buffers of the fused pass for one batch size.
type fusedWS[T tensor.Float] struct {
	n     int
	z, s  []*tensor.Dense[T] // pre-activations and σ(z) (SiLU) per hidden layer
	h     []*tensor.Dense[T] // activations per hidden layer
	g     []*tensor.Dense[T] // backward buffers per hidden layer
	out   *tensor.Dense[T]
	alpha []float64 // 1/σ(W) per layer (1 without spectral normalization)
	col   []T       // the last layer's weights times its alpha
	elt   eltJob[T] // the parallel body of the SiLU layers' elementwise steps
}

// eltParMin is the number of elements (rows × width) of a layer from which
// ValueGradX splits its elementwise steps across cores.
const eltParMin = 1 << 16

// Elementwise steps of a SiLU layer (eltJob.op).
const (
	eltForward   = iota // z += b (per row); h = z·σ(z), s = σ(z)
	eltBackward         // g ⊙= SiLU′(z)
	eltBroadcast        // g[r] = v ⊙ SiLU′(z[r]) for every row r
)

// eltJob runs one elementwise step of a SiLU layer over groups of rows
// (tensor.RowJob). A group is the fewest rows whose elements make a multiple
// of 64, so every chunk but the last starts and ends on a multiple of 64.
// The SIMD kernels used here work on blocks (ebm's on 8 elements at a time;
// vek's, on the portable path, on wider ones: 8 was not enough there) and
// finish a slice's remainder with scalar code that rounds differently;
// aligned chunks give them the same blocks as the whole matrix, so the split
// gives the same numbers.
type eltJob[T tensor.Float] struct {
	op         int
	rows, cols int
	group      int // rows per group
	z, s, h, g []T
	b, v       []T
}

// Run applies the step to row groups lo ≤ r < hi.
func (j *eltJob[T]) Run(lo, hi int) {
	r0, r1 := lo*j.group, min(hi*j.group, j.rows)
	e0, e1 := r0*j.cols, r1*j.cols
	switch j.op {
	case eltForward:
		z := tensor.Dense[T]{Rows: r1 - r0, Cols: j.cols, Data: j.z[e0:e1]}
		tensor.AddRowVector(&z, j.b)
		tensor.SiLUForward(j.h[e0:e1], j.s[e0:e1], j.z[e0:e1])
	case eltBackward:
		tensor.SiLUBackward(j.g[e0:e1], j.z[e0:e1], j.s[e0:e1])
	case eltBroadcast:
		tensor.SiLUBackwardBroadcast(j.g[e0:e1], j.z[e0:e1], j.s[e0:e1], j.v)
	}
}

// run applies the step set in j to the whole matrix, split across cores when
// it is large.
func (j *eltJob[T]) run() {
	j.group = 64 / gcd(j.cols, 64)
	groups := (j.rows + j.group - 1) / j.group
	if j.rows*j.cols >= eltParMin {
		tensor.ParallelRows(j, groups, max(1, eltParMin/(2*j.cols*j.group)))
	} else {
		j.Run(0, groups)
	}
	*j = eltJob[T]{}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// getWorkspace takes a workspace for batch size n from the pool (building one
// when the pool has none of the right shape); putWorkspace returns it.
func (m *MLP[T]) getWorkspace(n int) *fusedWS[T] {
	if w := m.ws.Get(); w != nil && w.n == n && w.fits(m) {
		return w
	}
	L := len(m.Layers)
	w := &fusedWS[T]{n: n}
	w.z = make([]*tensor.Dense[T], L-1)
	w.s = make([]*tensor.Dense[T], L-1)
	w.h = make([]*tensor.Dense[T], L-1)
	w.g = make([]*tensor.Dense[T], L-1)
	for i := 0; i < L-1; i++ {
		o := m.Layers[i].Out
		w.z[i] = tensor.New[T](n, o)
		w.s[i] = tensor.New[T](n, o)
		w.h[i] = tensor.New[T](n, o)
		w.g[i] = tensor.New[T](n, o)
	}
	w.out = tensor.New[T](n, m.Out())
	w.col = make([]T, m.Layers[L-1].In)
	w.alpha = make([]float64, L)
	return w
}

func (m *MLP[T]) putWorkspace(w *fusedWS[T]) { m.ws.Put(w) }

// fits reports whether w's buffers match m's layer widths.
func (w *fusedWS[T]) fits(m *MLP[T]) bool {
	if len(w.z) != len(m.Layers)-1 || len(w.alpha) != len(m.Layers) || w.out.Cols != m.Out() ||
		len(w.col) != m.Layers[len(m.Layers)-1].In {
		return false
	}
	for i, z := range w.z {
		if z.Cols != m.Layers[i].Out {
			return false
		}
	}
	return true
}

// ValueGradX evaluates a scalar-output MLP on the batch x (n×In) without a tape:
// it writes f(x_i) into f[i] and, when gx is not nil, ∇ₓf(x_i) into row i of gx
// (n×In). It is safe for concurrent use: each call takes its work buffers from
// a pool, so once warm (and between garbage collections) it allocates nothing.
// Between Freeze and the call of the function it returns, the products use
// the weights packed by Freeze.
func (m *MLP[T]) ValueGradX(x *tensor.Dense[T], f []T, gx *tensor.Dense[T]) {
	if m.Out() != 1 {
		panic(fmt.Sprintf("nn: ValueGradX needs a scalar output, the MLP has %d", m.Out()))
	}
	if x.Cols != m.In() {
		panic(fmt.Sprintf("nn: MLP input %s, want %d columns", x.Shape(), m.In()))
	}
	n := x.Rows
	w := m.getWorkspace(n)
	defer m.putWorkspace(w)
	L := len(m.Layers)
	silu := m.Act.Fn == tensor.FnSiLU
	for i, l := range m.Layers {
		w.alpha[i] = 1
		if l.SN != nil {
			w.alpha[i] = 1 / l.SN.Sigma(l.W.Value)
		}
	}
	// Forward.
	in := x
	for i, l := range m.Layers {
		var z *tensor.Dense[T]
		if i+1 < L {
			z = w.z[i]
		} else {
			z = w.out
		}
		if m.frozen {
			tensor.GemmPacked(false, T(w.alpha[i]), in, &m.packs.fw[i], 0, z)
		} else {
			tensor.Gemm(false, false, T(w.alpha[i]), in, l.W.Value, 0, z)
		}
		if i+1 < L && silu {
			w.elt = eltJob[T]{op: eltForward, rows: n, cols: z.Cols, z: z.Data, s: w.s[i].Data, h: w.h[i].Data, b: l.B.Value.Data}
			w.elt.run()
			in = w.h[i]
			continue
		}
		tensor.AddRowVector(z, l.B.Value.Data)
		if i+1 < L {
			tensor.Map(m.Act.Fn, m.Act.Param, w.h[i], z)
			in = w.h[i]
		}
	}
	copy(f, w.out.Data[:n])
	if gx == nil {
		return
	}
	if L == 1 {
		wl := m.Layers[0].W.Value
		for r := 0; r < n; r++ {
			row := gx.Data[r*gx.Cols : (r+1)*gx.Cols]
			for j := range row {
				row[j] = T(w.alpha[0]) * wl.Data[j]
			}
		}
		return
	}
	// Backward: δ at the output is 1 per row, so the gradient entering the last
	// hidden layer is the last weight column, broadcast over rows.
	last := m.Layers[L-1]
	col := w.col
	for j := range col {
		col[j] = T(w.alpha[L-1]) * last.W.Value.Data[j]
	}
	g := w.g[L-2]
	if silu {
		w.elt = eltJob[T]{op: eltBroadcast, rows: n, cols: g.Cols, z: w.z[L-2].Data, s: w.s[L-2].Data, g: g.Data, v: col}
		w.elt.run()
	} else {
		for r := 0; r < n; r++ {
			copy(g.Data[r*g.Cols:(r+1)*g.Cols], col)
		}
	}
	for i := L - 2; i >= 0; i-- {
		g = w.g[i]
		if silu {
			if i < L-2 {
				w.elt = eltJob[T]{op: eltBackward, rows: n, cols: g.Cols, z: w.z[i].Data, s: w.s[i].Data, g: g.Data}
				w.elt.run()
			}
		} else {
			d := w.h[i] // the activation values are no longer needed: reuse
			tensor.ActDeriv(m.Act.Fn, 1, m.Act.Param, d, w.z[i])
			tensor.Binary(tensor.OpMul, g, g, d)
		}
		var dst *tensor.Dense[T]
		if i == 0 {
			dst = gx
		} else {
			dst = w.g[i-1]
		}
		if m.frozen {
			tensor.GemmPacked(false, T(w.alpha[i]), g, &m.packs.bw[i], 0, dst)
		} else {
			tensor.Gemm(false, true, T(w.alpha[i]), g, m.Layers[i].W.Value, 0, dst)
		}
	}
}

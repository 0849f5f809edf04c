// Package autodiff is ebm's reverse-mode automatic differentiation: a
// define-by-run tape of operations on tensor.Dense values.
//
// Every operation's backward rule is itself written in differentiable
// operations, so Grad with createGraph = true returns gradients that are tape
// nodes and can be differentiated again: second derivatives for score matching,
// gradients of Hessian-vector products for sliced score matching, and so on to
// any order.
//
// A Tape owns the values of the nodes recorded on it; Reset makes their buffers
// available to the next computation, so a training loop that builds the same
// graph every iteration stops allocating large buffers after the first one.
// Values and gradients read from a tape are valid until its next Reset.
//
// CheckGrad and CheckGrad2 compare gradients with central finite differences,
// to first and second order; they work on any function built from these
// operations, including a user's own energies.
package autodiff

import (
	"fmt"

	"github.com/ebm-go/ebm/tensor"
)

// Param is a trainable parameter: a value that persists across tapes and the
// gradient an optimizer reads.
type Param[T tensor.Float] struct {
	Name  string
	Value *tensor.Dense[T]
	Grad  *tensor.Dense[T]
}

// NewParam returns a parameter holding v, with a zero gradient of the same shape.
func NewParam[T tensor.Float](name string, v *tensor.Dense[T]) *Param[T] {
	return &Param[T]{Name: name, Value: v, Grad: tensor.New[T](v.Rows, v.Cols)}
}

// backwardFn returns the gradients of the parents given the gradient g of the
// node's output; need[i] tells whether parent i's gradient is wanted (others may
// be returned as nil).
type backwardFn[T tensor.Float] func(g *Var[T], need []bool) []*Var[T]

// Var is a node of a tape: a value and, if it depends on something that requires
// a gradient, how it was computed.
type Var[T tensor.Float] struct {
	// Value is the node's value. It belongs to the tape: valid until Reset.
	Value *tensor.Dense[T]

	tape     *Tape[T]
	id       int
	parents  []*Var[T]
	backward backwardFn[T]
	reqGrad  bool
	pooled   bool // Value came from the tape's pool
}

// Tape records operations. It is not safe for concurrent use.
type Tape[T tensor.Float] struct {
	nodes     []*Var[T]
	recording bool
	params    map[*Param[T]]*Var[T]
	pool      map[int][]*tensor.Dense[T]
}

// NewTape returns an empty tape.
func NewTape[T tensor.Float]() *Tape[T] {
	return &Tape[T]{recording: true, params: map[*Param[T]]*Var[T]{}, pool: map[int][]*tensor.Dense[T]{}}
}

// Reset forgets every node and returns their buffers to the tape's pool.
func (t *Tape[T]) Reset() {
	for _, v := range t.nodes {
		if v.pooled {
			n := cap(v.Value.Data)
			t.pool[n] = append(t.pool[n], v.Value)
		}
		v.Value = nil
		v.parents = nil
		v.backward = nil
	}
	clear(t.nodes)
	t.nodes = t.nodes[:0]
	clear(t.params)
}

// Len returns the number of nodes recorded since the last Reset.
func (t *Tape[T]) Len() int { return len(t.nodes) }

// alloc returns an r×c buffer from the pool (contents undefined).
func (t *Tape[T]) alloc(r, c int) *tensor.Dense[T] {
	n := r * c
	if l := t.pool[n]; len(l) > 0 {
		d := l[len(l)-1]
		t.pool[n] = l[:len(l)-1]
		d.Rows, d.Cols, d.Data = r, c, d.Data[:n]
		return d
	}
	return tensor.New[T](r, c)
}

func (t *Tape[T]) add(v *Var[T]) *Var[T] {
	v.tape = t
	v.id = len(t.nodes)
	t.nodes = append(t.nodes, v)
	return v
}

// Scratch returns a leaf holding an r×c buffer from the tape's pool (reused
// after Reset) whose contents are undefined: the caller fills Value before
// recording anything on it. It is Input for inputs made on the fly, without
// a float64 batch to convert; with requiresGrad the leaf's gradient can be
// asked for.
func (t *Tape[T]) Scratch(r, c int, requiresGrad bool) *Var[T] {
	return t.add(&Var[T]{Value: t.alloc(r, c), reqGrad: requiresGrad, pooled: true})
}

// Const returns a leaf holding x (not copied) that needs no gradient.
func (t *Tape[T]) Const(x *tensor.Dense[T]) *Var[T] {
	return t.add(&Var[T]{Value: x})
}

// Leaf returns a leaf holding x (not copied) whose gradient can be asked for,
// such as the points x when computing ∇ₓE.
func (t *Tape[T]) Leaf(x *tensor.Dense[T]) *Var[T] {
	return t.add(&Var[T]{Value: x, reqGrad: true})
}

// Param returns the leaf of parameter p on this tape (the same node each time
// until Reset).
func (t *Tape[T]) Param(p *Param[T]) *Var[T] {
	if v, ok := t.params[p]; ok {
		return v
	}
	v := t.Leaf(p.Value)
	t.params[p] = v
	return v
}

// Scalar returns a constant 1×1 node.
func (t *Tape[T]) Scalar(v float64) *Var[T] {
	d := t.alloc(1, 1)
	d.Data[0] = T(v)
	return t.add(&Var[T]{Value: d, pooled: true})
}

// Tape returns the tape v belongs to.
func (v *Var[T]) Tape() *Tape[T] { return v.tape }

// RequiresGrad reports whether v depends on a leaf that requires a gradient.
func (v *Var[T]) RequiresGrad() bool { return v.reqGrad }

// Rows returns the number of rows of v's value.
func (v *Var[T]) Rows() int { return v.Value.Rows }

// Cols returns the number of columns of v's value.
func (v *Var[T]) Cols() int { return v.Value.Cols }

// Item returns the value of a 1×1 node.
func (v *Var[T]) Item() float64 {
	if v.Value.Len() != 1 {
		panic(fmt.Sprintf("autodiff: Item of a %s node", v.Value.Shape()))
	}
	return float64(v.Value.Data[0])
}

// node creates the output node of an operation with value out (from t.alloc)
// and records how to differentiate it when recording is on and any parent
// requires a gradient.
func node[T tensor.Float](out *tensor.Dense[T], bw backwardFn[T], parents ...*Var[T]) *Var[T] {
	t := parents[0].tape
	for _, p := range parents[1:] {
		if p.tape != t {
			panic("autodiff: operands from different tapes")
		}
	}
	v := &Var[T]{Value: out, pooled: true}
	if t.recording {
		for _, p := range parents {
			if p.reqGrad {
				v.reqGrad = true
				break
			}
		}
		if v.reqGrad {
			v.parents = parents
			v.backward = bw
		}
	}
	return t.add(v)
}

// Grad returns the gradients of the scalar (1×1) node y with respect to each
// node in wrt (a zero matrix where y does not depend on it).
//
// With createGraph the gradients are themselves recorded on the tape and can be
// differentiated again (double backprop); without it they are constants. Only
// the nodes on a path from some wrt node to y are visited, so gradients nobody
// asked for are never computed.
func Grad[T tensor.Float](y *Var[T], wrt []*Var[T], createGraph bool) []*Var[T] {
	if y.Value.Len() != 1 {
		panic(fmt.Sprintf("autodiff: Grad of a non-scalar %s node (sum it first)", y.Value.Shape()))
	}
	t := y.tape
	// relevant[i]: node i lies on a path from a wrt node to y.
	dep := make([]bool, y.id+1)
	lo := y.id + 1
	for _, w := range wrt {
		if w.tape != t {
			panic("autodiff: Grad across tapes")
		}
		if w.id <= y.id {
			dep[w.id] = true
			lo = min(lo, w.id)
		}
	}
	for i := lo; i <= y.id; i++ {
		if dep[i] {
			continue
		}
		for _, p := range t.nodes[i].parents {
			if dep[p.id] {
				dep[i] = true
				break
			}
		}
	}
	grads := make([]*Var[T], y.id+1)
	prev := t.recording
	t.recording = createGraph
	defer func() { t.recording = prev }()
	if dep[y.id] {
		one := t.alloc(1, 1)
		one.Data[0] = 1
		grads[y.id] = t.add(&Var[T]{Value: one, pooled: true})
	}
	isWrt := make(map[int]bool, len(wrt))
	for _, w := range wrt {
		isWrt[w.id] = true
	}
	var need []bool
	for i := y.id; i >= lo; i-- {
		g := grads[i]
		n := t.nodes[i]
		if g == nil || n.backward == nil || !dep[i] {
			continue
		}
		need = need[:0]
		any := false
		for _, p := range n.parents {
			need = append(need, dep[p.id])
			any = any || dep[p.id]
		}
		if !any {
			continue
		}
		pg := n.backward(g, need)
		for k, p := range n.parents {
			if !need[k] || pg[k] == nil {
				continue
			}
			if grads[p.id] == nil {
				grads[p.id] = pg[k]
			} else {
				grads[p.id] = Add(grads[p.id], pg[k])
			}
		}
		if !isWrt[i] {
			grads[i] = nil // free for reuse by the garbage collector sooner
		}
	}
	out := make([]*Var[T], len(wrt))
	for k, w := range wrt {
		if w.id <= y.id && grads[w.id] != nil {
			out[k] = grads[w.id]
		} else {
			out[k] = t.Const(tensor.New[T](w.Value.Rows, w.Value.Cols))
		}
	}
	return out
}

// Backward computes the gradient of the scalar y with respect to each param that
// was used on y's tape and adds it into the param's Grad (as PyTorch's
// loss.backward() does; zero the gradients between steps).
func Backward[T tensor.Float](y *Var[T], params []*Param[T]) {
	t := y.tape
	var vars []*Var[T]
	var ps []*Param[T]
	for _, p := range params {
		if v, ok := t.params[p]; ok {
			vars = append(vars, v)
			ps = append(ps, p)
		}
	}
	if len(vars) == 0 {
		return
	}
	gs := Grad(y, vars, false)
	for k, p := range ps {
		tensor.Axpy(1, gs[k].Value, p.Grad)
	}
}

// BackwardSet is zeroing every param's Grad and then Backward, in one pass:
// each param's Grad is set to the gradient of y (zero for a param not used
// on y's tape). It saves the pass that zeroes the gradients and the read of
// the zeros that Backward would add to. A param listed twice gets the
// gradient twice, as with Backward. (Where the gradient is −0, Grad holds
// −0 where Backward would have added it to +0: no update rule tells them
// apart.)
func BackwardSet[T tensor.Float](y *Var[T], params []*Param[T]) {
	t := y.tape
	var vars []*Var[T]
	for _, p := range params {
		if v, ok := t.params[p]; ok {
			vars = append(vars, v)
		}
	}
	var gs []*Var[T]
	if len(vars) > 0 {
		gs = Grad(y, vars, false)
	}
	k := 0
	for i, p := range params {
		first := true
		for _, q := range params[:i] {
			if q == p {
				first = false
				break
			}
		}
		if _, ok := t.params[p]; !ok {
			if first && p.Grad != nil {
				p.Grad.Zero()
			}
			continue
		}
		g := gs[k].Value
		k++
		if first {
			if len(p.Grad.Data) != len(g.Data) {
				panic(fmt.Sprintf("autodiff: BackwardSet: gradient %s for a parameter %s", g.Shape(), p.Grad.Shape()))
			}
			copy(p.Grad.Data, g.Data)
		} else {
			tensor.Axpy(1, g, p.Grad)
		}
	}
}

// Input returns a leaf holding a copy of the float64 batch x converted to T, in
// a buffer the tape owns (reused after Reset). With requiresGrad the leaf's
// gradient can be asked for.
func (t *Tape[T]) Input(x *tensor.Dense[float64], requiresGrad bool) *Var[T] {
	d := t.alloc(x.Rows, x.Cols)
	tensor.Convert(d, x)
	return t.add(&Var[T]{Value: d, reqGrad: requiresGrad, pooled: true})
}

package autodiff

import (
	"fmt"

	"github.com/ebm-go/ebm/tensor"
)

// MatMul returns op(a)·op(b), where op transposes when ta (tb) is true.
func MatMul[T tensor.Float](a *Var[T], ta bool, b *Var[T], tb bool) *Var[T] {
	m, k := a.Value.Rows, a.Value.Cols
	if ta {
		m, k = k, m
	}
	kb, n := b.Value.Rows, b.Value.Cols
	if tb {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("autodiff: MatMul %s%s · %s%s", a.Value.Shape(), tmark(ta), b.Value.Shape(), tmark(tb)))
	}
	out := a.tape.alloc(m, n)
	tensor.Gemm(ta, tb, 1, a.Value, b.Value, 0, out)
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		r := make([]*Var[T], 2)
		if need[0] {
			if !ta {
				r[0] = MatMul(g, false, b, !tb)
			} else {
				r[0] = MatMul(b, tb, g, true)
			}
		}
		if need[1] {
			if !tb {
				r[1] = MatMul(a, !ta, g, false)
			} else {
				r[1] = MatMul(g, true, a, ta)
			}
		}
		return r
	}, a, b)
}

func tmark(t bool) string {
	if t {
		return "ᵀ"
	}
	return ""
}

func binary[T tensor.Float](op tensor.BinOp, a, b *Var[T]) *tensor.Dense[T] {
	r, c, err := tensor.BroadcastShape(a.Value, b.Value)
	if err != nil {
		panic("autodiff: " + err.Error())
	}
	out := a.tape.alloc(r, c)
	tensor.Binary(op, out, a.Value, b.Value)
	return out
}

// Add returns a + b, broadcasting rows, columns or scalars.
func Add[T tensor.Float](a, b *Var[T]) *Var[T] {
	return node(binary(tensor.OpAdd, a, b), func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{sumToIf(need[0], g, a), sumToIf(need[1], g, b)}
	}, a, b)
}

// Sub returns a − b, broadcasting.
func Sub[T tensor.Float](a, b *Var[T]) *Var[T] {
	return node(binary(tensor.OpSub, a, b), func(g *Var[T], need []bool) []*Var[T] {
		r := []*Var[T]{sumToIf(need[0], g, a), nil}
		if need[1] {
			r[1] = Neg(SumTo(g, b.Value.Rows, b.Value.Cols))
		}
		return r
	}, a, b)
}

// Mul returns a ⊙ b elementwise, broadcasting.
func Mul[T tensor.Float](a, b *Var[T]) *Var[T] {
	return node(binary(tensor.OpMul, a, b), func(g *Var[T], need []bool) []*Var[T] {
		r := make([]*Var[T], 2)
		if need[0] {
			r[0] = SumTo(Mul(g, b), a.Value.Rows, a.Value.Cols)
		}
		if need[1] {
			r[1] = SumTo(Mul(g, a), b.Value.Rows, b.Value.Cols)
		}
		return r
	}, a, b)
}

// Div returns a / b elementwise, broadcasting.
func Div[T tensor.Float](a, b *Var[T]) *Var[T] {
	var out *Var[T]
	out = node(binary(tensor.OpDiv, a, b), func(g *Var[T], need []bool) []*Var[T] {
		r := make([]*Var[T], 2)
		if need[0] {
			r[0] = SumTo(Div(g, b), a.Value.Rows, a.Value.Cols)
		}
		if need[1] {
			// ∂(a/b)/∂b = −a/b² = −out/b
			r[1] = Neg(SumTo(Div(Mul(g, out), b), b.Value.Rows, b.Value.Cols))
		}
		return r
	}, a, b)
	return out
}

func sumToIf[T tensor.Float](need bool, g, like *Var[T]) *Var[T] {
	if !need {
		return nil
	}
	return SumTo(g, like.Value.Rows, like.Value.Cols)
}

// SumTo sums x down to r×c (each of r, c equal to x's or 1): the adjoint of
// BroadcastTo. It returns x itself when the shapes already match.
func SumTo[T tensor.Float](x *Var[T], r, c int) *Var[T] {
	if x.Value.Rows == r && x.Value.Cols == c {
		return x
	}
	out := x.tape.alloc(r, c)
	tensor.ReduceTo(out, x.Value, r, c)
	xr, xc := x.Value.Rows, x.Value.Cols
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{BroadcastTo(g, xr, xc)}
	}, x)
}

// BroadcastTo expands x (1×1, 1×c or r×1) to r×c.
func BroadcastTo[T tensor.Float](x *Var[T], r, c int) *Var[T] {
	if x.Value.Rows == r && x.Value.Cols == c {
		return x
	}
	out := x.tape.alloc(r, c)
	tensor.Broadcast(out, x.Value, r, c)
	xr, xc := x.Value.Rows, x.Value.Cols
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{SumTo(g, xr, xc)}
	}, x)
}

// Scale returns s·x.
func Scale[T tensor.Float](x *Var[T], s float64) *Var[T] {
	out := x.tape.alloc(x.Value.Rows, x.Value.Cols)
	tensor.Scale(out, x.Value, T(s))
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{Scale(g, s)}
	}, x)
}

// Neg returns −x.
func Neg[T tensor.Float](x *Var[T]) *Var[T] { return Scale(x, -1) }

// AddScalar returns x + s.
func AddScalar[T tensor.Float](x *Var[T], s float64) *Var[T] {
	out := x.tape.alloc(x.Value.Rows, x.Value.Cols)
	tensor.AddScalar(out, x.Value, T(s))
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{g}
	}, x)
}

func mapOp[T tensor.Float](f tensor.Func, p float64, x *Var[T]) *tensor.Dense[T] {
	out := x.tape.alloc(x.Value.Rows, x.Value.Cols)
	tensor.Map(f, p, out, x.Value)
	return out
}

// constMap returns f(x) as a constant (no gradient): for piecewise-constant
// functions such as sign and step.
func constMap[T tensor.Float](f tensor.Func, x *Var[T]) *Var[T] {
	v := &Var[T]{Value: mapOp(f, 0, x), pooled: true}
	return x.tape.add(v)
}

// Exp returns eˣ elementwise.
func Exp[T tensor.Float](x *Var[T]) *Var[T] {
	var out *Var[T]
	out = node(mapOp(tensor.FnExp, 0, x), func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{Mul(g, out)}
	}, x)
	return out
}

// Log returns ln x elementwise.
func Log[T tensor.Float](x *Var[T]) *Var[T] {
	return node(mapOp(tensor.FnLog, 0, x), func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{Div(g, x)}
	}, x)
}

// Log1p returns ln(1 + x) elementwise.
func Log1p[T tensor.Float](x *Var[T]) *Var[T] {
	return node(mapOp(tensor.FnLog1p, 0, x), func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{Div(g, AddScalar(x, 1))}
	}, x)
}

// Sqrt returns √x elementwise.
func Sqrt[T tensor.Float](x *Var[T]) *Var[T] {
	var out *Var[T]
	out = node(mapOp(tensor.FnSqrt, 0, x), func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{Scale(Div(g, out), 0.5)}
	}, x)
	return out
}

// Square returns x² elementwise.
func Square[T tensor.Float](x *Var[T]) *Var[T] {
	return node(mapOp(tensor.FnSquare, 0, x), func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{Scale(Mul(g, x), 2)}
	}, x)
}

// Pow returns xᵖ elementwise.
func Pow[T tensor.Float](x *Var[T], p float64) *Var[T] {
	return node(mapOp(tensor.FnPow, p, x), func(g *Var[T], need []bool) []*Var[T] {
		if p == 1 {
			return []*Var[T]{g}
		}
		return []*Var[T]{Mul(g, Scale(Pow(x, p-1), p))}
	}, x)
}

// Abs returns |x| elementwise (its derivative at 0 is taken as 0).
func Abs[T tensor.Float](x *Var[T]) *Var[T] {
	return node(mapOp(tensor.FnAbs, 0, x), func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{Mul(g, constMap(tensor.FnSign, x))}
	}, x)
}

// Act applies an activation elementwise: f ∈ {tensor.FnTanh, FnSigmoid,
// FnSoftplus, FnSiLU, FnReLU, FnLeakyReLU, FnELU}; param is the slope of
// LeakyReLU and α of ELU. Derivatives of every order are available.
func Act[T tensor.Float](f tensor.Func, param float64, x *Var[T]) *Var[T] {
	return actN(f, 0, param, x)
}

// actN is the order-th derivative of the activation as a node; its backward is
// the next derivative.
func actN[T tensor.Float](f tensor.Func, order int, param float64, x *Var[T]) *Var[T] {
	return actU(f, order, param, x, nil)
}

// actU is actN with u = σ(x) (tanh x for tanh) kept from the forward pass. When
// the smooth activations' derivatives may be asked for (recording, x needs a
// gradient), the forward pass computes u once, into a buffer the tape owns,
// and every derivative node reads it instead of evaluating exponentials again.
// A backward pass that records nothing (createGraph false) multiplies the
// incoming gradient in the same pass and makes no derivative node.
func actU[T tensor.Float](f tensor.Func, order int, param float64, x *Var[T], u *tensor.Dense[T]) *Var[T] {
	t := x.tape
	out := t.alloc(x.Value.Rows, x.Value.Cols)
	smooth := f == tensor.FnSiLU || f == tensor.FnSigmoid || f == tensor.FnTanh || f == tensor.FnSoftplus
	switch {
	case order == 0 && smooth && t.recording && x.reqGrad:
		u = t.alloc(x.Value.Rows, x.Value.Cols)
		uf := tensor.FnSigmoid
		if f == tensor.FnTanh {
			uf = tensor.FnTanh
		}
		tensor.Map(uf, 0, u, x.Value)
		t.add(&Var[T]{Value: u, pooled: true}) // recycled on Reset
		switch f {
		case tensor.FnSiLU:
			tensor.Binary(tensor.OpMul, out, x.Value, u)
		case tensor.FnSoftplus:
			tensor.Map(f, param, out, x.Value)
		default:
			copy(out.Data, u.Data)
		}
	case order == 0:
		tensor.Map(f, param, out, x.Value)
	case u != nil:
		tensor.ActDerivFrom(f, order, out, x.Value, u, nil)
	default:
		tensor.ActDeriv(f, order, param, out, x.Value)
	}
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		if u != nil && !t.recording && !g.reqGrad {
			d := t.alloc(x.Value.Rows, x.Value.Cols)
			tensor.ActDerivFrom(f, order+1, d, x.Value, u, g.Value)
			return []*Var[T]{t.add(&Var[T]{Value: d, pooled: true})}
		}
		return []*Var[T]{Mul(g, actU(f, order+1, param, x, u))}
	}, x)
}

// Tanh returns tanh x.
func Tanh[T tensor.Float](x *Var[T]) *Var[T] { return Act(tensor.FnTanh, 0, x) }

// Sigmoid returns σ(x) = 1/(1+e⁻ˣ).
func Sigmoid[T tensor.Float](x *Var[T]) *Var[T] { return Act(tensor.FnSigmoid, 0, x) }

// Softplus returns ln(1+eˣ).
func Softplus[T tensor.Float](x *Var[T]) *Var[T] { return Act(tensor.FnSoftplus, 0, x) }

// SiLU returns x·σ(x) (also called swish).
func SiLU[T tensor.Float](x *Var[T]) *Var[T] { return Act(tensor.FnSiLU, 0, x) }

// ReLU returns max(x, 0).
func ReLU[T tensor.Float](x *Var[T]) *Var[T] { return Act(tensor.FnReLU, 0, x) }

// LeakyReLU returns x for x > 0 and slope·x otherwise.
func LeakyReLU[T tensor.Float](x *Var[T], slope float64) *Var[T] {
	return Act(tensor.FnLeakyReLU, slope, x)
}

// ELU returns x for x > 0 and α(eˣ − 1) otherwise.
func ELU[T tensor.Float](x *Var[T], alpha float64) *Var[T] { return Act(tensor.FnELU, alpha, x) }

// Sum returns the sum of all elements as a 1×1 node.
func Sum[T tensor.Float](x *Var[T]) *Var[T] { return SumTo(x, 1, 1) }

// SumRows sums over rows (down each column): r×c → 1×c.
func SumRows[T tensor.Float](x *Var[T]) *Var[T] { return SumTo(x, 1, x.Value.Cols) }

// SumCols sums over columns (along each row): r×c → r×1.
func SumCols[T tensor.Float](x *Var[T]) *Var[T] { return SumTo(x, x.Value.Rows, 1) }

// Mean returns the mean of all elements as a 1×1 node.
func Mean[T tensor.Float](x *Var[T]) *Var[T] {
	return Scale(Sum(x), 1/float64(x.Value.Len()))
}

// MeanRows averages over rows: r×c → 1×c.
func MeanRows[T tensor.Float](x *Var[T]) *Var[T] {
	return Scale(SumRows(x), 1/float64(x.Value.Rows))
}

// MeanCols averages over columns: r×c → r×1.
func MeanCols[T tensor.Float](x *Var[T]) *Var[T] {
	return Scale(SumCols(x), 1/float64(x.Value.Cols))
}

// RowLogSumExp returns log Σⱼ exp(x[i, j]) for each row: r×c → r×1.
func RowLogSumExp[T tensor.Float](x *Var[T]) *Var[T] {
	out := x.tape.alloc(x.Value.Rows, 1)
	tensor.RowLogSumExp(out, x.Value)
	var v *Var[T]
	v = node(out, func(g *Var[T], need []bool) []*Var[T] {
		// ∂/∂x = softmax(x) = exp(x − lse)
		return []*Var[T]{Mul(g, Exp(Sub(x, v)))}
	}, x)
	return v
}

// RowMax returns the maximum of each row: r×c → r×1. The gradient flows to the
// (first) maximal element.
func RowMax[T tensor.Float](x *Var[T]) *Var[T] {
	arg := make([]int, x.Value.Rows)
	out := x.tape.alloc(x.Value.Rows, 1)
	tensor.RowMax(out, x.Value, arg)
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		mask := x.tape.alloc(x.Value.Rows, x.Value.Cols)
		mask.Zero()
		for i, j := range arg {
			mask.Data[i*mask.Cols+j] = 1
		}
		m := x.tape.add(&Var[T]{Value: mask, pooled: true})
		return []*Var[T]{Mul(g, m)}
	}, x)
}

// ConcatCols places its arguments side by side (same rows).
func ConcatCols[T tensor.Float](parts ...*Var[T]) *Var[T] {
	vals := make([]*tensor.Dense[T], len(parts))
	c := 0
	for i, p := range parts {
		vals[i] = p.Value
		c += p.Value.Cols
	}
	out := parts[0].tape.alloc(parts[0].Value.Rows, c)
	tensor.ConcatCols(out, vals...)
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		r := make([]*Var[T], len(parts))
		off := 0
		for i, p := range parts {
			if need[i] {
				r[i] = SliceCols(g, off, off+p.Value.Cols)
			}
			off += p.Value.Cols
		}
		return r
	}, parts...)
}

// SliceCols returns columns [from, to) of x.
func SliceCols[T tensor.Float](x *Var[T], from, to int) *Var[T] {
	if from == 0 && to == x.Value.Cols {
		return x
	}
	out := x.tape.alloc(x.Value.Rows, to-from)
	tensor.SliceCols(out, x.Value, from, to)
	cols := x.Value.Cols
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{padCols(g, from, cols)}
	}, x)
}

func padCols[T tensor.Float](x *Var[T], from, cols int) *Var[T] {
	out := x.tape.alloc(x.Value.Rows, cols)
	tensor.PadCols(out, x.Value, from, cols)
	w := x.Value.Cols
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{SliceCols(g, from, from+w)}
	}, x)
}

// GatherRows returns the rows idx of x (with repetition allowed).
func GatherRows[T tensor.Float](x *Var[T], idx []int) *Var[T] {
	out := x.tape.alloc(len(idx), x.Value.Cols)
	tensor.GatherRows(out, x.Value, idx)
	rows := x.Value.Rows
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{scatterAddRows(g, idx, rows)}
	}, x)
}

func scatterAddRows[T tensor.Float](x *Var[T], idx []int, rows int) *Var[T] {
	out := x.tape.alloc(rows, x.Value.Cols)
	tensor.ScatterAddRows(out, x.Value, idx, rows)
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{GatherRows(g, idx)}
	}, x)
}

// Where returns a where mask ≠ 0 and b elsewhere; mask is a constant of the
// same shape.
func Where[T tensor.Float](mask *tensor.Dense[T], a, b *Var[T]) *Var[T] {
	out := a.tape.alloc(a.Value.Rows, a.Value.Cols)
	tensor.Where(out, mask, a.Value, b.Value)
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		r := make([]*Var[T], 2)
		zero := g.tape.Const(tensor.New[T](g.Value.Rows, g.Value.Cols))
		if need[0] {
			r[0] = Where(mask, g, zero)
		}
		if need[1] {
			r[1] = Where(mask, zero, g)
		}
		return r
	}, a, b)
}

// Detach returns a constant copy of x's value: gradients do not flow through it.
func Detach[T tensor.Float](x *Var[T]) *Var[T] {
	out := x.tape.alloc(x.Value.Rows, x.Value.Cols)
	copy(out.Data, x.Value.Data)
	return x.tape.add(&Var[T]{Value: out, pooled: true})
}

// Transpose returns xᵀ.
func Transpose[T tensor.Float](x *Var[T]) *Var[T] {
	out := x.tape.alloc(x.Value.Cols, x.Value.Rows)
	tensor.Transpose(out, x.Value)
	return node(out, func(g *Var[T], need []bool) []*Var[T] {
		return []*Var[T]{Transpose(g)}
	}, x)
}

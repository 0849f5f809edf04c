package nn

import (
	"fmt"

	"github.com/ebm-go/ebm/tensor"
)

// ForwardVJPX evaluates an MLP with any number of outputs on the batch x
// (n×In) without a tape and pulls an output gradient back to the input: it
// writes f(x) into out (n×Out); then, when gx is not nil, it calls
// delta(out, d) to fill d (n×Out) with δ_ik = ∂L/∂f_k(x_i) and writes the
// vector–Jacobian product
//
//	∇ₓL(x_i) = Σ_k δ_ik ∇ₓ f_k(x_i)
//
// into row i of gx (n×In). With δ = −softmax(f) this is the input gradient of
// E(x) = −logsumexp_k f_k(x), with δ = −onehot(y) that of E(x, y) = −f_y(x).
// ValueGradX is the case Out = 1, δ = 1. Like ValueGradX it is safe for
// concurrent use and, once warm, allocates nothing.
func (m *MLP[T]) ForwardVJPX(x, out *tensor.Dense[T], d *tensor.Dense[T], delta func(out, d *tensor.Dense[T]), gx *tensor.Dense[T]) {
	if x.Cols != m.In() {
		panic(fmt.Sprintf("nn: MLP input %s, want %d columns", x.Shape(), m.In()))
	}
	n := x.Rows
	if out.Rows != n || out.Cols != m.Out() {
		panic(fmt.Sprintf("nn: ForwardVJPX output %s, want %d×%d", out.Shape(), n, m.Out()))
	}
	if gx != nil && (d == nil || d.Rows != n || d.Cols != m.Out() || gx.Rows != n || gx.Cols != m.In() || delta == nil) {
		panic("nn: ForwardVJPX: output-gradient buffer, callback or input-gradient shape does not match the batch")
	}
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
	in := x
	for i, l := range m.Layers {
		z := out
		if i+1 < L {
			z = w.z[i]
		}
		tensor.Gemm(false, false, T(w.alpha[i]), in, l.W.Value, 0, z)
		tensor.AddRowVector(z, l.B.Value.Data)
		if i+1 < L {
			if silu {
				tensor.SiLUForward(w.h[i].Data, w.s[i].Data, z.Data)
			} else {
				tensor.Map(m.Act.Fn, m.Act.Param, w.h[i], z)
			}
			in = w.h[i]
		}
	}
	if gx == nil {
		return
	}
	delta(out, d)
	g := d
	for i := L - 1; i >= 0; i-- {
		if i < L-1 {
			if silu {
				tensor.SiLUBackward(g.Data, w.z[i].Data, w.s[i].Data)
			} else {
				a := w.h[i] // the activation values are no longer needed: reuse
				tensor.ActDeriv(m.Act.Fn, 1, m.Act.Param, a, w.z[i])
				tensor.Binary(tensor.OpMul, g, g, a)
			}
		}
		dst := gx
		if i > 0 {
			dst = w.g[i-1]
		}
		tensor.Gemm(false, true, T(w.alpha[i]), g, m.Layers[i].W.Value, 0, dst)
		g = dst
	}
}

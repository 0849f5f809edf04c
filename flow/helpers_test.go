package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// perturb adds N(0, sd²) noise to every parameter (coupling nets start at the
// identity; the checks need a non-trivial map).
func perturb[T tensor.Float](ps []*autodiff.Param[T], sd float64, rng *rand.Rand) {
	for _, p := range ps {
		for i := range p.Value.Data {
			p.Value.Data[i] += T(sd * rng.NormFloat64())
		}
	}
}

func randn(n, d int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, d)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	return x
}

// testLayers returns one of every transform over d dimensions, perturbed.
func testLayers(t *testing.T, d int, seed uint64) []Transform[float64] {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	net := Net{Hidden: []int{8, 8}, Act: nn.Tanh}
	var ls []Transform[float64]
	ls = append(ls, NewPlanar[float64]("planar", d, rng))
	pu := NewPlanar[float64]("planar_u", d, rng)
	pu.Constrain = false
	ls = append(ls, pu)
	ls = append(ls, NewRadial[float64]("radial", d, rng))
	for _, b := range []float64{2, 0} {
		for par := 0; par < 2; par++ {
			a, err := NewAffine[float64]("affine", d, par, b, net, rng)
			if err != nil {
				t.Fatal(err)
			}
			ls = append(ls, a)
		}
	}
	ad, err := NewAdditive[float64]("additive", d, 1, net, rng)
	if err != nil {
		t.Fatal(err)
	}
	ls = append(ls, ad, NewScale[float64]("scale", d), NewActNorm[float64]("actnorm", d))
	perm := rng.Perm(d)
	pm, err := NewPermute[float64](perm)
	if err != nil {
		t.Fatal(err)
	}
	ls = append(ls, pm, NewReverse[float64](d), NewBox[float64](d, 1.5))
	for _, b := range []float64{2, 0} {
		m, err := NewMAF[float64]("maf", d, b, net, rng)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, m)
	}
	for _, l := range ls {
		perturb(l.Params(), 0.4, rng)
	}
	// Keep the unconstrained planar layer invertible: wᵀu > −1.
	if err := pu.Validate(); err != nil {
		for i := range pu.U.Value.Data {
			pu.U.Value.Data[i] = 0.5 * pu.W.Value.Data[i]
		}
	}
	return ls
}

// det returns the determinant of the d×d row-major matrix a (Gaussian
// elimination with partial pivoting; a is overwritten).
func det(a []float64, d int) float64 {
	s := 1.0
	for c := 0; c < d; c++ {
		p := c
		for r := c + 1; r < d; r++ {
			if math.Abs(a[r*d+c]) > math.Abs(a[p*d+c]) {
				p = r
			}
		}
		if a[p*d+c] == 0 {
			return 0
		}
		if p != c {
			for k := 0; k < d; k++ {
				a[c*d+k], a[p*d+k] = a[p*d+k], a[c*d+k]
			}
			s = -s
		}
		s *= a[c*d+c]
		for r := c + 1; r < d; r++ {
			f := a[r*d+c] / a[c*d+c]
			for k := c; k < d; k++ {
				a[r*d+k] -= f * a[c*d+k]
			}
		}
	}
	return s
}

// jacobianLogDet returns log|det ∂y/∂x| of each row, from the autodiff
// Jacobian of the row-wise map fn.
func jacobianLogDet(x *tensor.Dense[float64], fn func(t *autodiff.Tape[float64], x *autodiff.Var[float64]) *autodiff.Var[float64]) []float64 {
	n, d := x.Rows, x.Cols
	J := make([]float64, n*d*d) // J[i][j][k] = ∂y_ij/∂x_ik
	for j := 0; j < d; j++ {
		tp := autodiff.NewTape[float64]()
		xv := tp.Leaf(x.Clone())
		y := fn(tp, xv)
		g := autodiff.Grad(autodiff.Sum(autodiff.SliceCols(y, j, j+1)), []*autodiff.Var[float64]{xv}, false)[0]
		for i := 0; i < n; i++ {
			for k := 0; k < d; k++ {
				J[i*d*d+j*d+k] = g.Value.At(i, k)
			}
		}
	}
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		out[i] = math.Log(math.Abs(det(J[i*d*d:(i+1)*d*d], d)))
	}
	return out
}

// checkSecondOrder checks the gradient of loss in every parameter by central
// differences, and its Hessian-vector product along a random direction by
// central differences of the gradient; it returns the two relative errors.
func checkSecondOrder(ps []*autodiff.Param[float64], loss func(t *autodiff.Tape[float64]) *autodiff.Var[float64], seed uint64) (e1, e2 float64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	dirs := make([]*tensor.Dense[float64], len(ps))
	for k, p := range ps {
		dirs[k] = tensor.New[float64](p.Value.Rows, p.Value.Cols)
		for i := range dirs[k].Data {
			dirs[k].Data[i] = rng.NormFloat64()
		}
	}
	// grads returns ∇L and ∇(⟨r, ∇L⟩) at the current values.
	grads := func(second bool) (g, h [][]float64, val, phi float64) {
		t := autodiff.NewTape[float64]()
		vs := make([]*autodiff.Var[float64], len(ps))
		for k, p := range ps {
			vs[k] = t.Param(p)
		}
		y := loss(t)
		gs := autodiff.Grad(y, vs, second)
		for _, v := range gs {
			g = append(g, append([]float64(nil), v.Value.Data...))
		}
		val = y.Item()
		if !second {
			return g, nil, val, 0
		}
		var s *autodiff.Var[float64]
		for k, gv := range gs {
			term := autodiff.Sum(autodiff.Mul(gv, t.Const(dirs[k])))
			if s == nil {
				s = term
			} else {
				s = autodiff.Add(s, term)
			}
		}
		phi = s.Item()
		for _, v := range autodiff.Grad(s, vs, false) {
			h = append(h, append([]float64(nil), v.Value.Data...))
		}
		return g, h, val, phi
	}
	g, h, _, _ := grads(true)
	const eps = 1e-5
	var ng, nh [][]float64
	for _, p := range ps {
		rg := make([]float64, len(p.Value.Data))
		rh := make([]float64, len(p.Value.Data))
		for i := range p.Value.Data {
			v := p.Value.Data[i]
			p.Value.Data[i] = v + eps
			_, _, fp, _ := gradsVal(grads)
			_, _, _, pp := grads(true)
			p.Value.Data[i] = v - eps
			_, _, fm, _ := gradsVal(grads)
			_, _, _, pm := grads(true)
			p.Value.Data[i] = v
			rg[i] = (fp - fm) / (2 * eps)
			rh[i] = (pp - pm) / (2 * eps)
		}
		ng = append(ng, rg)
		nh = append(nh, rh)
	}
	return relErr(g, ng), relErr(h, nh)
}

func gradsVal(f func(bool) ([][]float64, [][]float64, float64, float64)) ([][]float64, [][]float64, float64, float64) {
	return f(false)
}

func relErr(a, b [][]float64) float64 {
	var d, na, nb float64
	for k := range a {
		for i := range a[k] {
			d += (a[k][i] - b[k][i]) * (a[k][i] - b[k][i])
			na += a[k][i] * a[k][i]
			nb += b[k][i] * b[k][i]
		}
	}
	den := math.Sqrt(max(na, nb))
	if den < 1e-7 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d) / den
}

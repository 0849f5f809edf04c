package energy

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The product of two Gaussian experts is the Gaussian with precision P₁ + P₂
// and mean (P₁ + P₂)⁻¹(P₁μ₁ + P₂μ₂): the Sum's energy differs from it by a
// constant and the gradients are equal.
func TestSumOfGaussiansIsProductGaussian(t *testing.T) {
	rng := newRNG(30)
	const d = 3
	mu1, mu2 := randVec(rng, d, 2), randVec(rng, d, 2)
	c1, c2 := randSPD(rng, d, 0.3), randSPD(rng, d, 0.3)
	g1, g2 := must(NewGaussian(mu1, c1)), must(NewGaussian(mu2, c2))
	s := must(Sum(g1, g2))

	var p1, p2, p mat.SymDense
	var ch mat.Cholesky
	ch.Factorize(c1)
	must(0, ch.InverseTo(&p1))
	ch.Factorize(c2)
	must(0, ch.InverseTo(&p2))
	p.AddSym(&p1, &p2)
	var b1, b2, b mat.VecDense
	b1.MulVec(&p1, mat.NewVecDense(d, mu1))
	b2.MulVec(&p2, mat.NewVecDense(d, mu2))
	b.AddVec(&b1, &b2)
	ch.Factorize(&p)
	var cov mat.SymDense
	must(0, ch.InverseTo(&cov))
	var mu mat.VecDense
	must(0, ch.SolveVecTo(&mu, &b))
	prod := must(NewGaussian(mu.RawVector().Data, &cov))

	x := randBatch(rng, 30, d, 2)
	es, gs := energyGrad(s, x)
	ep, gp := energyGrad(prod, x)
	if e2 := energies(s, x); !floatsEqual(e2, es) {
		t.Error("Sum: Energy and EnergyGrad disagree")
	}
	c := es[0] - ep[0]
	for i := range es {
		if !near(es[i]-ep[i], c, 1e-10) {
			t.Errorf("point %d: E_sum − E_prod = %v, at point 0 %v", i, es[i]-ep[i], c)
		}
	}
	for i := range gs.Data {
		if !near(gs.Data[i], gp.Data[i], 1e-10) {
			t.Fatalf("gradient element %d: sum %v, product %v", i, gs.Data[i], gp.Data[i])
		}
	}
	// The constant is ½(μ₁ᵀP₁μ₁ + μ₂ᵀP₂μ₂ − μᵀPμ).
	want := 0.5 * (mat.Inner(mat.NewVecDense(d, mu1), &p1, mat.NewVecDense(d, mu1)) +
		mat.Inner(mat.NewVecDense(d, mu2), &p2, mat.NewVecDense(d, mu2)) - mat.Inner(&mu, &p, &mu))
	if !near(c, want, 1e-10) {
		t.Errorf("constant %v, want %v", c, want)
	}
}

func TestSumTemperatureShift(t *testing.T) {
	rng := newRNG(31)
	gm := testGMM()
	dw := must(NewDoubleWell(2, 3))
	x := randBatch(rng, 20, 2, 2)

	// Sum of three: energies and gradients add.
	s := must(Sum(gm, dw, gm))
	es, gs := energyGrad(s, x)
	e1, g1 := energyGrad(gm, x)
	e2, g2 := energyGrad(dw, x)
	for i := range es {
		if !near(es[i], 2*e1[i]+e2[i], 1e-13) {
			t.Errorf("Sum energy %d", i)
		}
	}
	for i := range gs.Data {
		if !near(gs.Data[i], 2*g1.Data[i]+g2.Data[i], 1e-13) {
			t.Errorf("Sum gradient %d", i)
		}
	}
	if one := must(Sum(dw)); !floatsEqual(energies(one, x), e2) {
		t.Error("Sum of one energy")
	}

	// Temperature divides energy and gradient by T.
	tp := must(Temperature(dw, 2.5))
	et, gt := energyGrad(tp, x)
	for i := range et {
		if !near(et[i], e2[i]/2.5, 1e-15) {
			t.Errorf("Temperature energy %d", i)
		}
	}
	for i := range gt.Data {
		if !near(gt.Data[i], g2.Data[i]/2.5, 1e-15) {
			t.Errorf("Temperature gradient %d", i)
		}
	}
	if !floatsEqual(energies(tp, x), et) {
		t.Error("Temperature: Energy and EnergyGrad disagree")
	}

	// Shift: E(x − δ); a shifted Gaussian is the Gaussian with mean μ + δ.
	delta := []float64{1.5, -0.5}
	g := must(NewGaussian([]float64{0.2, 0.3}, mat.NewSymDense(2, []float64{1, 0.4, 0.4, 2})))
	moved := must(NewGaussian([]float64{1.7, -0.2}, g.Cov()))
	sh := must(Shift(g, delta))
	esh, gsh := energyGrad(sh, x)
	em, gmv := energyGrad(moved, x)
	for i := range esh {
		if !near(esh[i], em[i], 1e-12) {
			t.Errorf("Shift energy %d: %v vs %v", i, esh[i], em[i])
		}
	}
	for i := range gsh.Data {
		if !near(gsh.Data[i], gmv.Data[i], 1e-12) {
			t.Errorf("Shift gradient %d", i)
		}
	}
	if !floatsEqual(energies(sh, x), esh) {
		t.Error("Shift: Energy and EnergyGrad disagree")
	}
	xc := x.Clone()
	sh.Energy(x, make([]float64, x.Rows))
	if !floatsEqual(x.Data, xc.Data) {
		t.Error("Shift modified its input")
	}

	// Composition implements none of the optional interfaces.
	for name, e := range map[string]GradEnergy{"sum": s, "temperature": tp, "shift": sh} {
		if _, ok := e.(Smoother); ok {
			t.Errorf("%s implements Smoother", name)
		}
		if _, ok := e.(Normalized); ok {
			t.Errorf("%s implements Normalized", name)
		}
	}

	// Errors.
	g3 := must(NewIsoGaussian([]float64{0, 0, 0}, 1))
	for name, err := range map[string]error{
		"sum of none":      second(Sum()),
		"sum dims":         second(Sum(dw, g3)),
		"sum nil":          second(Sum(dw, nil)),
		"temperature zero": second(Temperature(dw, 0)),
		"temperature neg":  second(Temperature(dw, -1)),
		"temperature NaN":  second(Temperature(dw, math.NaN())),
		"temperature Inf":  second(Temperature(dw, math.Inf(1))),
		"temperature nil":  second(Temperature(nil, 1)),
		"shift length":     second(Shift(dw, []float64{1})),
		"shift NaN":        second(Shift(dw, []float64{1, math.NaN()})),
		"shift nil":        second(Shift(nil, []float64{1})),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

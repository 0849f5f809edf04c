package sample

import (
	"math"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Test-local energies, written by hand so that they allocate nothing.

// gaussEnergy is E(x) = ½ (x−μ)ᵀ P (x−μ) with a dense precision P.
type gaussEnergy struct {
	mu   []float64
	prec []float64 // d×d row-major
}

// corrGauss2 returns the 2-D Gaussian with unit variances and correlation rho.
func corrGauss2(rho float64) *gaussEnergy {
	det := 1 - rho*rho
	return &gaussEnergy{mu: []float64{0, 0}, prec: []float64{1 / det, -rho / det, -rho / det, 1 / det}}
}

func (g *gaussEnergy) Dim() int { return len(g.mu) }

func (g *gaussEnergy) Energy(x *tensor.Dense[float64], e []float64) { g.EnergyGrad(x, e, nil) }

func (g *gaussEnergy) EnergyGrad(x *tensor.Dense[float64], e []float64, gr *tensor.Dense[float64]) {
	d := len(g.mu)
	for i := 0; i < x.Rows; i++ {
		row := x.Row(i)
		var en float64
		for j := 0; j < d; j++ {
			var pj float64
			for l := 0; l < d; l++ {
				pj += g.prec[j*d+l] * (row[l] - g.mu[l])
			}
			en += (row[j] - g.mu[j]) * pj
			if gr != nil {
				gr.Data[i*d+j] = pj
			}
		}
		e[i] = en / 2
	}
}

// indepGauss is E(x) = Σ_j (x_j − μ_j)²/(2 v_j).
type indepGauss struct {
	mu, inv []float64
}

func newIndepGauss(mu, vars []float64) *indepGauss {
	g := &indepGauss{mu: mu, inv: make([]float64, len(vars))}
	if g.mu == nil {
		g.mu = make([]float64, len(vars))
	}
	for j, v := range vars {
		g.inv[j] = 1 / v
	}
	return g
}

// illcondVars returns the variances 10^(−2 + 4i/(d−1)), i = 0…d−1.
func illcondVars(d int) []float64 {
	v := make([]float64, d)
	for i := range v {
		v[i] = math.Pow(10, -2+4*float64(i)/float64(d-1))
	}
	return v
}

func (g *indepGauss) Dim() int { return len(g.mu) }

func (g *indepGauss) Energy(x *tensor.Dense[float64], e []float64) {
	d := len(g.mu)
	for i := 0; i < x.Rows; i++ {
		row := x.Data[i*d : (i+1)*d]
		var en float64
		for j, v := range row {
			dv := v - g.mu[j]
			en += dv * dv * g.inv[j]
		}
		e[i] = en / 2
	}
}

func (g *indepGauss) EnergyGrad(x *tensor.Dense[float64], e []float64, gr *tensor.Dense[float64]) {
	d := len(g.mu)
	for i := 0; i < x.Rows; i++ {
		row := x.Data[i*d : (i+1)*d]
		gi := gr.Data[i*d : (i+1)*d]
		var en float64
		for j, v := range row {
			dv := (v - g.mu[j]) * g.inv[j]
			gi[j] = dv
			en += dv * (v - g.mu[j])
		}
		e[i] = en / 2
	}
}

// mixture2 is an equal-width two-component Gaussian mixture
// w₀ N(m₀, s²I) + w₁ N(m₁, s²I); it knows its smoothed versions exactly:
// smoothing by σ adds σ² to s².
type mixture2 struct {
	w    [2]float64
	m    [2][]float64
	s2   float64
	logw [2]float64
}

func newMixture2(w0 float64, m0, m1 []float64) *mixture2 {
	mx := &mixture2{w: [2]float64{w0, 1 - w0}, m: [2][]float64{m0, m1}, s2: 1}
	mx.logw = [2]float64{math.Log(w0), math.Log(1 - w0)}
	return mx
}

func (mx *mixture2) Dim() int { return len(mx.m[0]) }

func (mx *mixture2) Smoothed(sigma float64) energy.GradEnergy {
	c := *mx
	c.s2 = mx.s2 + sigma*sigma
	return &c
}

func (mx *mixture2) Energy(x *tensor.Dense[float64], e []float64) { mx.EnergyGrad(x, e, nil) }

// EnergyGrad computes E = −log Σ_k w_k exp(−|x−m_k|²/(2s²)) (the common
// normalizer dropped) and ∇E = Σ_k r_k (x − m_k)/s².
func (mx *mixture2) EnergyGrad(x *tensor.Dense[float64], e []float64, gr *tensor.Dense[float64]) {
	d := mx.Dim()
	for i := 0; i < x.Rows; i++ {
		row := x.Data[i*d : (i+1)*d]
		var l [2]float64
		for k := 0; k < 2; k++ {
			var q float64
			for j, v := range row {
				dv := v - mx.m[k][j]
				q += dv * dv
			}
			l[k] = mx.logw[k] - q/(2*mx.s2)
		}
		hi := math.Max(l[0], l[1])
		r0 := math.Exp(l[0] - hi)
		r1 := math.Exp(l[1] - hi)
		z := r0 + r1
		e[i] = -(hi + math.Log(z))
		if gr != nil {
			r0, r1 = r0/z, r1/z
			gi := gr.Data[i*d : (i+1)*d]
			for j, v := range row {
				gi[j] = (r0*(v-mx.m[0][j]) + r1*(v-mx.m[1][j])) / mx.s2
			}
		}
	}
}

// plainGrad hides every method but those of energy.GradEnergy (so a Smoother
// is seen as a plain energy).
type plainGrad struct{ energy.GradEnergy }

// faulty wraps an energy and, from its call number `from` on (calls counted
// from 0), replaces chain `chain`'s energy or gradient element `coord` with
// val.
type faulty struct {
	energy.GradEnergy
	calls, from, chain, coord int
	val                       float64
	grad                      bool
}

func (f *faulty) Energy(x *tensor.Dense[float64], e []float64) {
	f.GradEnergy.Energy(x, e)
	if f.calls >= f.from && !f.grad {
		e[f.chain] = f.val
	}
	f.calls++
}

func (f *faulty) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	f.GradEnergy.EnergyGrad(x, e, g)
	if f.calls >= f.from {
		if f.grad {
			g.Set(f.chain, f.coord, f.val)
		} else {
			e[f.chain] = f.val
		}
	}
	f.calls++
}

// ballEnergy is ½|x|² inside the ball of radius r and +Inf outside.
type ballEnergy struct {
	d int
	r float64
}

func (b *ballEnergy) Dim() int { return b.d }

func (b *ballEnergy) Energy(x *tensor.Dense[float64], e []float64) { b.EnergyGrad(x, e, nil) }

func (b *ballEnergy) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	for i := 0; i < x.Rows; i++ {
		row := x.Row(i)
		var q float64
		for _, v := range row {
			q += v * v
		}
		e[i] = q / 2
		if q > b.r*b.r {
			e[i] = math.Inf(1)
		}
		if g != nil {
			copy(g.Row(i), row)
		}
	}
}

type gradEnergy = energy.GradEnergy

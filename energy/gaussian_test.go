package energy

import (
	"math"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// refNormal is gonum's multivariate normal log density and score, computed as
// gonum/stat/distmv does (distmv.NormalLogProb: Cholesky, then
// c − ½·stat.Mahalanobis²; Normal.ScoreInput: −Σ⁻¹(x − μ) by a Cholesky solve).
// distmv itself cannot be imported here: it pulls in golang.org/x/tools, which
// the module does not list.
type refNormal struct {
	mu   []float64
	chol mat.Cholesky
}

func newRefNormal(mu []float64, cov *mat.SymDense) (*refNormal, bool) {
	r := &refNormal{mu: mu}
	return r, r.chol.Factorize(cov)
}

func (r *refNormal) LogProb(x []float64) float64 {
	d := len(r.mu)
	c := -0.5*float64(d)*math.Log(2*math.Pi) - 0.5*r.chol.LogDet()
	m := stat.Mahalanobis(mat.NewVecDense(d, x), mat.NewVecDense(d, r.mu), &r.chol)
	return c - 0.5*m*m
}

func (r *refNormal) ScoreInput(dst, x []float64) {
	d := len(r.mu)
	diff := make([]float64, d)
	for i := range diff {
		diff[i] = r.mu[i] - x[i]
	}
	var v mat.VecDense
	if err := r.chol.SolveVecTo(&v, mat.NewVecDense(d, diff)); err != nil {
		panic(err)
	}
	for i := range dst {
		dst[i] = v.AtVec(i)
	}
}

// Energy and LogZ agree with gonum's multivariate normal (see refNormal): E + LogZ = −log N(x; μ, Σ),
// and the gradient is minus distmv's score.
func TestGaussianMatchesGonumNormal(t *testing.T) {
	rng := newRNG(1)
	for _, d := range []int{1, 2, 5, 12} {
		mu := randVec(rng, d, 2)
		cov := randSPD(rng, d, 0.3)
		g := must(NewGaussian(mu, cov))
		if d > 1 && g.IsDiag() {
			t.Fatalf("d=%d: random covariance taken as diagonal", d)
		}
		ref, ok := newRefNormal(mu, cov)
		if !ok {
			t.Fatal("gonum Cholesky rejected the covariance")
		}
		x := randBatch(rng, 20, d, 3)
		e, gr := energyGrad(g, x)
		e2 := energies(g, x)
		score := make([]float64, d)
		for i := 0; i < x.Rows; i++ {
			want := -ref.LogProb(x.Row(i))
			if got := e[i] + g.LogZ(); !near(got, want, 1e-11) {
				t.Errorf("d=%d point %d: E+LogZ = %.15g, −LogProb = %.15g", d, i, got, want)
			}
			if e[i] != e2[i] {
				t.Errorf("d=%d point %d: Energy %v ≠ EnergyGrad %v", d, i, e2[i], e[i])
			}
			ref.ScoreInput(score, x.Row(i))
			for j := range score {
				if !near(gr.At(i, j), -score[j], 1e-10) {
					t.Errorf("d=%d point %d: grad[%d] = %v, −score = %v", d, i, j, gr.At(i, j), -score[j])
				}
			}
		}
		// Mean and Cov give back the parameters, as copies.
		m := g.Mean()
		m[0] = 1e9
		if g.Mean()[0] != mu[0] || !mat.EqualApprox(g.Cov(), cov, 0) {
			t.Errorf("d=%d: Mean/Cov do not return copies of the parameters", d)
		}
	}
}

func TestDiagGaussian(t *testing.T) {
	rng := newRNG(2)
	mu := []float64{1, -2, 0.5}
	vars := []float64{0.01, 4, 100}
	g := must(NewDiagGaussian(mu, vars))
	if !g.IsDiag() {
		t.Fatal("NewDiagGaussian not on the diagonal path")
	}
	cov := mat.NewSymDense(3, nil)
	for i, v := range vars {
		cov.SetSym(i, i, v)
	}
	// A diagonal SymDense given to NewGaussian takes the diagonal path too.
	if g2 := must(NewGaussian(mu, cov)); !g2.IsDiag() {
		t.Error("diagonal covariance not detected")
	}
	ref, _ := newRefNormal(mu, cov)
	x := randBatch(rng, 10, 3, 2)
	e := energies(g, x)
	for i := range e {
		if want := -ref.LogProb(x.Row(i)); !near(e[i]+g.LogZ(), want, 1e-12) {
			t.Errorf("point %d: %v vs %v", i, e[i]+g.LogZ(), want)
		}
	}
	iso := must(NewIsoGaussian([]float64{0, 0}, 2))
	if c := iso.Cov(); c.At(0, 0) != 4 || c.At(1, 1) != 4 || c.At(0, 1) != 0 {
		t.Errorf("iso covariance %v", mat.Formatted(c))
	}
}

func TestGaussianSample(t *testing.T) {
	rng := newRNG(3)
	cov := mat.NewSymDense(3, []float64{
		2, 0.8, -0.5,
		0.8, 1, 0.3,
		-0.5, 0.3, 0.5,
	})
	g := must(NewGaussian([]float64{1, -1, 3}, cov))
	checkSampleMoments(t, "full", g, 100_000, rng)
	gd := must(NewDiagGaussian([]float64{1, -1}, []float64{0.25, 9}))
	checkSampleMoments(t, "diag", gd, 100_000, rng)
}

func TestGaussianSmoothed(t *testing.T) {
	rng := newRNG(4)
	for _, diag := range []bool{false, true} {
		var g *Gaussian
		if diag {
			g = must(NewDiagGaussian([]float64{1, 2, 3}, []float64{0.5, 1, 2}))
		} else {
			g = must(NewGaussian([]float64{1, 2, 3}, randSPD(rng, 3, 0.2)))
		}
		const sigma = 0.7
		s := g.Smoothed(sigma).(*Gaussian)
		want := g.Cov()
		for i := 0; i < 3; i++ {
			want.SetSym(i, i, want.At(i, i)+sigma*sigma)
		}
		if !mat.EqualApprox(s.Cov(), want, 1e-15) {
			t.Errorf("diag=%v: smoothed covariance %v, want %v", diag, mat.Formatted(s.Cov()), mat.Formatted(want))
		}
		if !floatsEqual(s.Mean(), g.Mean()) {
			t.Errorf("diag=%v: smoothing moved the mean", diag)
		}
		if g.Smoothed(0) != GradEnergy(g) {
			t.Errorf("diag=%v: Smoothed(0) is not the energy itself", diag)
		}
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "sigma") {
					t.Errorf("Smoothed(%v): panic %v, want one naming sigma", bad, r)
				}
			}()
			must(NewIsoGaussian([]float64{0}, 1)).Smoothed(bad)
		}()
	}
}

func floatsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGaussianErrors(t *testing.T) {
	notPD := mat.NewSymDense(2, []float64{1, 2, 2, 1})
	singular := mat.NewSymDense(2, []float64{1, 1, 1, 1})
	nanCov := mat.NewSymDense(2, []float64{1, math.NaN(), math.NaN(), 1})
	id2 := mat.NewSymDense(2, []float64{1, 0.5, 0.5, 1})
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"not PD", second(NewGaussian([]float64{0, 0}, notPD)), "positive definite"},
		{"singular", second(NewGaussian([]float64{0, 0}, singular)), "positive definite"},
		{"NaN cov", second(NewGaussian([]float64{0, 0}, nanCov)), "covariance[0][1]"},
		{"dim mismatch", second(NewGaussian([]float64{0, 0, 0}, id2)), "dimension 3"},
		{"nil cov", second(NewGaussian([]float64{0, 0}, nil)), "nil covariance"},
		{"empty", second(NewGaussian(nil, id2)), "empty mean"},
		{"NaN mean", second(NewGaussian([]float64{0, math.NaN()}, id2)), "mean[1]"},
		{"zero variance", second(NewDiagGaussian([]float64{0, 0}, []float64{1, 0})), "variance[1]"},
		{"negative variance", second(NewDiagGaussian([]float64{0}, []float64{-1})), "variance[0]"},
		{"Inf variance", second(NewDiagGaussian([]float64{0}, []float64{math.Inf(1)})), "variance[0]"},
		{"variance count", second(NewDiagGaussian([]float64{0, 0}, []float64{1})), "2 means but 1 variances"},
		{"zero std", second(NewIsoGaussian([]float64{0}, 0)), "std"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// A Gaussian evaluated on a batch whose width is not Dim() panics with a message
// naming the shapes.
func TestBatchShapePanics(t *testing.T) {
	g := must(NewIsoGaussian([]float64{0, 0}, 1))
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"Energy cols", func() { g.Energy(tensor.New[float64](3, 4), make([]float64, 3)) }, "want n×2"},
		{"Energy len(e)", func() { g.Energy(tensor.New[float64](3, 2), make([]float64, 2)) }, "len(e) = 2"},
		{"EnergyGrad g", func() { g.EnergyGrad(tensor.New[float64](3, 2), make([]float64, 3), tensor.New[float64](3, 1)) }, "gradient destination"},
		{"EnergyGrad nil g", func() { g.EnergyGrad(tensor.New[float64](3, 2), make([]float64, 3), nil) }, "nil gradient"},
		{"nil x", func() { g.Energy(nil, nil) }, "nil batch"},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				s, _ := r.(string)
				if !strings.Contains(s, c.want) {
					t.Errorf("%s: panic %v, want one containing %q", c.name, r, c.want)
				}
			}()
			c.f()
		}()
	}
}

func TestCheckBatch(t *testing.T) {
	g := must(NewIsoGaussian([]float64{0, 0}, 1))
	if err := CheckBatch(g, tensor.New[float64](5, 2)); err != nil {
		t.Errorf("valid batch: %v", err)
	}
	if err := CheckBatch(g, tensor.New[float64](0, 2)); err != nil {
		t.Errorf("empty batch: %v", err)
	}
	for name, c := range map[string]struct {
		e Energy
		x *tensor.Dense[float64]
	}{
		"wrong width": {g, tensor.New[float64](5, 3)},
		"nil batch":   {g, nil},
		"nil energy":  {nil, tensor.New[float64](5, 2)},
		"malformed":   {g, &tensor.Dense[float64]{Rows: 5, Cols: 2, Data: make([]float64, 9)}},
	} {
		if err := CheckBatch(c.e, c.x); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

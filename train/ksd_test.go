package train

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/stein"
	"github.com/ebm-go/ebm/tensor"
)

// lossAt records est's loss of x on m with a generator seeded by seed.
func lossAt(est Estimator[float64], m energy.Model[float64], x *tensor.Dense[float64], seed uint64) (*autodiff.Var[float64], error) {
	l, _, err := est.Loss(autodiff.NewTape[float64](), m, x, rand.New(rand.NewPCG(seed, 1)))
	return l, err
}

// paramGradError compares the parameter gradient of est's loss (Backward) with
// central finite differences of the loss value (same random draws), and
// returns the relative error.
func paramGradError(t *testing.T, est Estimator[float64], m energy.Model[float64], x *tensor.Dense[float64]) float64 {
	t.Helper()
	l, err := lossAt(est, m, x, 7)
	if err != nil {
		t.Fatal(err)
	}
	ps := m.Params()
	for _, p := range ps {
		clear(p.Grad.Data)
	}
	autodiff.Backward(l, ps)
	var num2, diff2, ana2 float64
	const h = 1e-5
	for _, p := range ps {
		for i := range p.Value.Data {
			v := p.Value.Data[i]
			p.Value.Data[i] = v + h
			lp, _ := lossAt(est, m, x, 7)
			p.Value.Data[i] = v - h
			lm, _ := lossAt(est, m, x, 7)
			p.Value.Data[i] = v
			fd := (lp.Item() - lm.Item()) / (2 * h)
			g := p.Grad.Data[i]
			num2 += fd * fd
			ana2 += g * g
			diff2 += (fd - g) * (fd - g)
		}
	}
	return math.Sqrt(diff2) / math.Max(math.Sqrt(math.Max(num2, ana2)), 1e-12)
}

func randQuad(d int, rng *rand.Rand) *quadModelOf[float64] {
	q := newQuadOf[float64](d)
	for j := 0; j < d; j++ {
		q.m.Value.Data[j] = rng.NormFloat64()
		q.loga.Value.Data[j] = 0.3 * rng.NormFloat64()
	}
	return q
}

func randData(n, d int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, d)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	return x
}

// The KSD loss equals the Stein-kernel sum of the batch (the kernel is tested
// against finite differences in internal/stein) and its parameter gradient
// matches finite differences.
func TestKSDLossValueAndGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	q := randQuad(3, rng)
	x := randData(20, 3, rng)
	for _, est := range []*KSD[float64]{{}, {V: true}, {Kernel: "rbf"}, {Kernel: "rbf", Bandwidth: 0.8, V: true}, {C: 2, Beta: -0.3}} {
		l, err := lossAt(est, q, x, 1)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := est.kernel(x)
		e := make([]float64, x.Rows)
		s := tensor.New[float64](x.Rows, x.Cols)
		q.EnergyGrad(x, e, s)
		for i := range s.Data {
			s.Data[i] = -s.Data[i]
		}
		h := stein.Matrix(x, s, k, nil)
		want, n := 0.0, x.Rows
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if est.V || i != j {
					want += h.Data[i*n+j]
				}
			}
		}
		if est.V {
			want /= float64(n * n)
		} else {
			want /= float64(n * (n - 1))
		}
		if math.Abs(l.Item()-want) > 1e-10*math.Max(1, math.Abs(want)) {
			t.Errorf("%+v: loss %.12g, Stein kernel sum %.12g", *est, l.Item(), want)
		}
		if r := paramGradError(t, est, q, x); r > 1e-6 {
			t.Errorf("%+v: parameter gradient relative error %.3g", *est, r)
		}
	}
}

// KSD training recovers a Gaussian's mean and variance (its minimizer over the
// family is the truth); tolerances as in TestEstimatorsRecoverGaussian.
func TestKSDRecoversGaussian(t *testing.T) {
	mu := []float64{1, -0.5}
	sd := []float64{0.7, 1.5}
	for _, est := range []Estimator[float32]{&KSD[float32]{}, &KSD[float32]{Kernel: "rbf"}} {
		q := newQuad(2)
		iters := 800
		tr := &Trainer{Model: q, Estimator: est, Data: &gaussData{mu, sd, 5},
			Config: Config{Iters: iters, Batch: 128, LR: 0.05, Seed: 3,
				Schedule: cosineSchedule{base: 0.05, min: 1e-4, total: iters}}}
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		for j := range mu {
			m := float64(q.m.Value.Data[j])
			v := 1 / math.Exp(float64(q.loga.Value.Data[j]))
			t.Logf("%+v coordinate %d: mean %.4f (want %.4f), variance %.4f (want %.4f)", est, j, m, mu[j], v, sd[j]*sd[j])
			if want := sd[j] * sd[j]; math.Abs(m-mu[j]) > 0.06 || math.Abs(v/want-1) > 0.06 {
				t.Errorf("%+v coordinate %d: mean %.4f (want %.4f), variance %.4f (want %.4f)", est, j, m, mu[j], v, want)
			}
		}
	}
}

func TestParseSteinEstimators(t *testing.T) {
	for _, c := range []struct {
		spec string
		ok   bool
	}{
		{"ksd", true}, {"ksd:kernel=rbf,stat=v,bandwidth=0.5", true}, {"ksd:beta=0", false}, {"ksd:beta=-2", false},
		{"ksd:kernel=poly", false}, {"ksd:c=0", false},
		{"lsd", true}, {"lsd:hidden=32x16,act=tanh,trace=hutchinson,probes=2,critic_steps=3", true},
		{"lsd:hidden=0", false}, {"lsd:lambda=0", false}, {"lsd:trace=fast", false},
		{"klc", true}, {"klc:sigma=0.3,k=5,sampler=ula,start=noisy", true}, {"klc:sigma=0", false}, {"klc:k=0", false},
	} {
		est, _, err := ParseEstimator[float32](c.spec, EstimatorContext{Batch: 8})
		if (err == nil) != c.ok {
			t.Errorf("%s: error %v", c.spec, err)
		}
		if err == nil && est.Name() != c.spec[:3] {
			t.Errorf("%s: built %s", c.spec, est.Name())
		}
	}
	k, _, _ := ParseEstimator[float32]("klc:sigma=0.2,step=0.5", EstimatorContext{})
	if got := k.(*KLC[float32]).Sampler.Step; math.Abs(got-0.02) > 1e-15 {
		t.Errorf("klc step %v, want 0.5·0.2² = 0.02", got)
	}
	help := EstimatorHelp()
	for _, n := range []string{"ksd", "lsd", "klc"} {
		if !strings.Contains(help, "  "+n+" ") {
			t.Errorf("help lacks %s", n)
		}
	}
}

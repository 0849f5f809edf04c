package train

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// The critic's trace: exact equals central finite differences of f, and
// Hutchinson's estimate is unbiased (mean over many probes within 4 SE).
func TestLSDTrace(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	l := &LSD[float64]{Hidden: []int{16}, Act: nn.Tanh}
	if err := l.NewCritic(3, 1); err != nil {
		t.Fatal(err)
	}
	x := randData(5, 3, rng)
	tp := autodiff.NewTape[float64]()
	xv := tp.Input(x, true)
	tr := l.trace(xv, l.critic.Forward(tp, xv), rng)
	fwd := func(x *tensor.Dense[float64]) *tensor.Dense[float64] {
		tp := autodiff.NewTape[float64]()
		return l.critic.Forward(tp, tp.Input(x, false)).Value.Clone()
	}
	const h = 1e-5
	for i := 0; i < 5; i++ {
		want := 0.0
		for k := 0; k < 3; k++ {
			v := x.Data[i*3+k]
			x.Data[i*3+k] = v + h
			fp := fwd(x)
			x.Data[i*3+k] = v - h
			fm := fwd(x)
			x.Data[i*3+k] = v
			want += (fp.Data[i*3+k] - fm.Data[i*3+k]) / (2 * h)
		}
		if got := tr.Value.Data[i]; math.Abs(got-want) > 1e-7 {
			t.Errorf("row %d: exact trace %.9g, finite differences %.9g", i, got, want)
		}
	}
	// Hutchinson: ExactMax below d.
	hl := *l
	hl.ExactMax = -1
	const P = 1000
	hl.Probes = P
	tp2 := autodiff.NewTape[float64]()
	xv2 := tp2.Input(x, true)
	f2 := hl.critic.Forward(tp2, xv2)
	est := hl.trace(xv2, f2, rng)
	// the per-probe variance of vᵀJv is 2Σ_{j≠k} J_jk(J_jk + J_kj)/2 ≤ 2‖J‖²_F;
	// bound the SE by the Frobenius norm of J computed by finite differences.
	for i := 0; i < 5; i++ {
		frob := 0.0
		for k := 0; k < 3; k++ {
			v := x.Data[i*3+k]
			x.Data[i*3+k] = v + h
			fp := fwd(x)
			x.Data[i*3+k] = v - h
			fm := fwd(x)
			x.Data[i*3+k] = v
			for j := 0; j < 3; j++ {
				dj := (fp.Data[i*3+j] - fm.Data[i*3+j]) / (2 * h)
				frob += dj * dj
			}
		}
		se := math.Sqrt(2*frob) / math.Sqrt(P)
		if d := math.Abs(est.Value.Data[i] - tr.Value.Data[i]); d > 4*se {
			t.Errorf("row %d: Hutchinson %.5f, exact %.5f: beyond 4 SE (%.5f)", i, est.Value.Data[i], tr.Value.Data[i], 4*se)
		}
	}
}

// The energy's LSD loss has the right parameter gradient (double backprop
// through ∇ₓE with the critic fixed).
func TestLSDEnergyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	q := randQuad(2, rng)
	l := &LSD[float64]{Hidden: []int{8}}
	if err := l.NewCritic(2, 4); err != nil {
		t.Fatal(err)
	}
	if r := paramGradError(t, l, q, randData(12, 2, rng)); r > 1e-6 {
		t.Errorf("relative error %.3g", r)
	}
}

// LSD training (energy and critic as two groups on one loop) recovers a
// Gaussian's mean and variance; tolerances as in TestEstimatorsRecoverGaussian.
func TestLSDRecoversGaussian(t *testing.T) {
	mu := []float64{1, -0.5}
	sd := []float64{0.7, 1.5}
	q := newQuad(2)
	est := &LSD[float32]{Hidden: []int{32, 32}, CriticLR: 3e-3, CriticSteps: 3}
	iters := 800
	var last Metrics
	tr := &Trainer{Model: q, Estimator: est, Data: &gaussData{mu, sd, 5},
		Config: Config{Iters: iters, Batch: 128, LR: 0.05, Seed: 3,
			Schedule: cosineSchedule{base: 0.05, min: 1e-4, total: iters}, Metrics: func(m Metrics) { last = m }}}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(last.Groups) != 2 || last.Groups[1].Name != CriticGroup || len(last.Objectives) != 1+est.CriticSteps {
		t.Errorf("metrics do not show the two players: %+v", last)
	}
	for j := range mu {
		m := float64(q.m.Value.Data[j])
		v := 1 / math.Exp(float64(q.loga.Value.Data[j]))
		t.Logf("coordinate %d: mean %.4f (want %.4f), variance %.4f (want %.4f)", j, m, mu[j], v, sd[j]*sd[j])
		if want := sd[j] * sd[j]; math.Abs(m-mu[j]) > 0.06 || math.Abs(v/want-1) > 0.06 {
			t.Errorf("coordinate %d: mean %.4f (want %.4f), variance %.4f (want %.4f)", j, m, mu[j], v, want)
		}
	}
}

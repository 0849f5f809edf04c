package train

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/gen"
	"github.com/ebm-go/ebm/tensor"
)

// twoPlayerRun trains the diagonal Gaussian family on N(mu, diag sd²) data
// with est as TestEstimatorsRecoverGaussian does (batch 512, Adam 0.05 decayed
// to 1e-4 by a cosine schedule).
func twoPlayerRun(t *testing.T, est Estimator[float32], iters int) (*quadModel, *Result) {
	t.Helper()
	q, res, _ := twoPlayerRunTrainer(t, est, iters)
	return q, res
}

// twoPlayerRunTrainer is twoPlayerRun that also returns the trainer.
func twoPlayerRunTrainer(t *testing.T, est Estimator[float32], iters int) (*quadModel, *Result, *Trainer) {
	t.Helper()
	q := newQuad(2)
	tr := &Trainer{Model: q, Estimator: est, Data: &gaussData{[]float64{1, -0.5}, []float64{0.7, 1.5}, 5},
		Config: Config{Iters: iters, Batch: 512, LR: 0.05, Seed: 3,
			Schedule: cosineSchedule{base: 0.05, min: 1e-4, total: iters}}}
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Loop().Groups) != 2 || tr.Loop().Groups[1].Name != SamplerGroup {
		t.Fatalf("the trainer has groups %d, want energy and sampler", len(tr.Loop().Groups))
	}
	return q, res, tr
}

// checkGaussFit applies the tolerances of TestEstimatorsRecoverGaussian
// (means within 0.06, variances within 6%) and returns the true log Z of
// exp(−E), Σ ½ log(2π/aⱼ).
func checkGaussFit(t *testing.T, q *quadModel, tolMean, tolVar float64) float64 {
	t.Helper()
	mu, sd := []float64{1, -0.5}, []float64{0.7, 1.5}
	lz := 0.0
	for j := range mu {
		m := float64(q.m.Value.Data[j])
		a := math.Exp(float64(q.loga.Value.Data[j]))
		v := 1 / a
		lz += 0.5 * math.Log(2*math.Pi/a)
		if math.Abs(m-mu[j]) > tolMean || math.Abs(v/(sd[j]*sd[j])-1) > tolVar {
			t.Errorf("coordinate %d: mean %.4f (want %.4f), variance %.4f (want %.4f)", j, m, mu[j], v, sd[j]*sd[j])
		}
	}
	return lz
}

func affine(t *testing.T) *gen.Affine[float32] {
	a, err := gen.NewAffine[float32](2)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestFCERecoversGaussian: FCE with a Gaussian flow (gen.Affine, starting at
// N(0, I)) recovers the data's mean and variances with the tolerances of the
// other estimators, its learned log Z lies within 0.05 of the true log Z of
// exp(−E), and the flow itself ends near the data (mean within 0.1,
// variances within 10%: it is the adversary, not the fitted model).
func TestFCERecoversGaussian(t *testing.T) {
	fl := affine(t)
	est := NewFCE[float32](fl)
	q, _ := twoPlayerRun(t, est, 1500)
	lz := checkGaussFit(t, q, 0.06, 0.06)
	t.Logf("FCE log Z %.4f, true %.4f; flow mean %.3f, log diag %.3f", est.LogZValue(), lz, fl.Mu.Value.Data, fl.LogDiag.Value.Data)
	if math.Abs(est.LogZValue()-lz) > 0.05 {
		t.Errorf("FCE log Z %.4f, true %.4f", est.LogZValue(), lz)
	}
	mu, sd := []float64{1, -0.5}, []float64{0.7, 1.5}
	for j := range mu {
		m := float64(fl.Mu.Value.Data[j])
		s := math.Exp(float64(fl.LogDiag.Value.Data[j]))
		if math.Abs(m-mu[j]) > 0.1 || math.Abs(s*s/(sd[j]*sd[j])-1) > 0.1 {
			t.Errorf("flow coordinate %d: mean %.3f (data %.3f), sd %.3f (data %.3f)", j, m, mu[j], s, sd[j])
		}
	}
}

// TestAdversarialRecoversGaussian: adversarial training with a Gaussian flow
// (exact entropy) and with the linear noisy generator x = Az + b + σε
// (estimated entropy gradient) recovers the data's mean and variances. The
// negatives follow the sampler, which lags the energy, so the tolerance is
// looser than for the MCMC estimators: 0.1 on means, 10% on variances (no
// box: the sampler stays in the Gaussian family). The
// sampler learns 3× faster than the energy: with equal rates the game
// oscillates and ends with a variance 60% off (measured), the known failure
// of a lagging inner player.
func TestAdversarialRecoversGaussian(t *testing.T) {
	t.Run("flow", func(t *testing.T) {
		est := NewAdversarial[float32](FlowEntropy[float32]{affine(t)})
		est.Alpha, est.SamplerLR, est.Box, est.Importance = 0, 3, 0, false
		q, _ := twoPlayerRun(t, est, 1500)
		checkGaussFit(t, q, 0.1, 0.1)
	})
	t.Run("flow-importance", func(t *testing.T) {
		est := NewAdversarial[float32](FlowEntropy[float32]{affine(t)})
		est.Alpha, est.SamplerLR, est.Box, est.Importance, est.EnergyLR = 0, 3, 0, true, 2
		q, _, tr := twoPlayerRunTrainer(t, est, 1500)
		checkGaussFit(t, q, 0.06, 0.06)
		// The energy steps at twice the trainer's rate, the sampler at
		// SamplerLR times the energy's.
		g := tr.Loop().Groups
		if e, s := g[0].Schedule.LR(0), g[1].Schedule.LR(0); math.Abs(e-0.1) > 1e-12 || math.Abs(s-0.3) > 1e-12 {
			t.Errorf("group rates %v and %v at step 0, want 0.1 and 0.3", e, s)
		}
	})
	t.Run("noisy", func(t *testing.T) {
		g, err := gen.NewNoisy[float32](gen.NoisyConfig{Dim: 2, Latent: 2, Sigma: 0.3, LearnSigma: true, K: 10}, 1)
		if err != nil {
			t.Fatal(err)
		}
		est := NewAdversarial[float32](g)
		est.Alpha, est.SamplerLR, est.Box, est.Importance, est.EnergyLR = 0, 3, 0, false, 1
		q, _ := twoPlayerRun(t, est, 600)
		checkGaussFit(t, q, 0.1, 0.1)
	})
}

// nanSampler makes a TwoPlayer's sampler loss NaN at the listed calls.
type nanSampler struct {
	*FCE[float32]
	calls int
	at    map[int]bool
}

func (f *nanSampler) SamplerLoss(t *autodiff.Tape[float32], m energy.Model[float32], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[float32], Stats, error) {
	f.calls++
	l, st, err := f.FCE.SamplerLoss(t, m, x, rng)
	if f.at[f.calls] && l != nil {
		l = autodiff.Scale(l, math.NaN())
	}
	return l, st, err
}

// TestTwoPlayerDivergenceRollsBack: a NaN in the sampler's loss rolls both
// groups back to the last snapshot, halves both learning rates, and the run
// finishes with finite parameters.
func TestTwoPlayerDivergenceRollsBack(t *testing.T) {
	fl := affine(t)
	est := &nanSampler{FCE: NewFCE[float32](fl), at: map[int]bool{30: true}}
	est.AccLo, est.AccHi = 0, 1 // no skipped updates: the call count is the iteration
	q := newQuad(2)
	var events []Metrics
	tr := &Trainer{Model: q, Estimator: est, Data: &gaussData{[]float64{0, 0}, []float64{1, 1}, 1},
		Config: Config{Iters: 60, Batch: 64, LR: 0.01, Seed: 1, SnapshotEvery: 20,
			Metrics: func(m Metrics) {
				if m.Event != "" {
					events = append(events, m)
				}
			}}}
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Retries != 1 || len(events) != 1 {
		t.Fatalf("want one rollback, got %d retries and %d events", res.Retries, len(events))
	}
	for _, gr := range tr.Loop().groups {
		if gr.scale != 0.5 {
			t.Errorf("group %s: learning-rate factor %v, want 0.5", gr.g.Name, gr.scale)
		}
		if bad := firstNonFinite(gr.g.Params); bad != "" {
			t.Errorf("group %s: parameter %s not finite", gr.g.Name, bad)
		}
	}
}

// TestFCESkipsByAccuracy: with AccHi = 0 the energy never steps (its
// parameters stay as they were) while the flow does; with AccLo = 1 the
// flow never steps.
func TestFCESkipsByAccuracy(t *testing.T) {
	for _, c := range []struct {
		lo, hi          float64
		energy, sampler bool // whether each should move
	}{{0, 0, false, true}, {1, 1, true, false}} {
		fl := affine(t)
		est := NewFCE[float32](fl)
		est.AccLo, est.AccHi = c.lo, c.hi
		q := newQuad(2)
		m0, f0 := q.m.Value.Clone(), fl.Mu.Value.Clone()
		tr := &Trainer{Model: q, Estimator: est, Data: &gaussData{[]float64{1, 1}, []float64{1, 1}, 1},
			Config: Config{Iters: 20, Batch: 64, LR: 0.01, Seed: 1}}
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		moved := func(a, b *tensor.Dense[float32]) bool {
			for i := range a.Data {
				if a.Data[i] != b.Data[i] {
					return true
				}
			}
			return false
		}
		if moved(m0, q.m.Value) != c.energy || moved(f0, fl.Mu.Value) != c.sampler {
			t.Errorf("band [%v, %v]: energy moved %v (want %v), flow moved %v (want %v)", c.lo, c.hi,
				moved(m0, q.m.Value), c.energy, moved(f0, fl.Mu.Value), c.sampler)
		}
	}
}

// TestTwoPlayerResumeIsExact: 40 iterations in one go equal 20, a snapshot
// and 20 more in a fresh trainer, bit for bit, for both groups.
func TestTwoPlayerResumeIsExact(t *testing.T) {
	mk := func() (*quadModel, *gen.Affine[float32], *Trainer) {
		q, fl := newQuad(2), affine(t)
		return q, fl, &Trainer{Model: q, Estimator: NewFCE[float32](fl), Data: &gaussData{[]float64{1, 0}, []float64{1, 2}, 9},
			Config: Config{Iters: 40, Batch: 32, LR: 0.01, Seed: 4, SnapshotEvery: 20}}
	}
	q1, f1, t1 := mk()
	if _, err := t1.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _, t2 := mk()
	var snap *Snapshot
	t2.Config.Iters = 20
	t2.Config.Checkpoint = func(s *Snapshot) error { snap = s; return nil }
	if _, err := t2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	q3, f3, t3 := mk()
	if err := t3.Resume(snap); err != nil {
		t.Fatal(err)
	}
	if _, err := t3.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range q1.m.Value.Data {
		if q1.m.Value.Data[i] != q3.m.Value.Data[i] || f1.Mu.Value.Data[i] != f3.Mu.Value.Data[i] {
			t.Fatalf("resumed run differs: energy %v vs %v, flow %v vs %v", q1.m.Value.Data, q3.m.Value.Data, f1.Mu.Value.Data, f3.Mu.Value.Data)
		}
	}
}

// countingAdv counts the sampler's updates of an adversarial estimator.
type countingAdv struct {
	*Adversarial[float32]
	calls int
}

func (c *countingAdv) SamplerLoss(t *autodiff.Tape[float32], m energy.Model[float32], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[float32], Stats, error) {
	c.calls++
	return c.Adversarial.SamplerLoss(t, m, x, rng)
}

// TestAdversarialSamplerSteps: with SamplerSteps = k the trainer runs k
// sampler updates per energy update.
func TestAdversarialSamplerSteps(t *testing.T) {
	est := NewAdversarial[float32](FlowEntropy[float32]{affine(t)})
	est.Alpha, est.SamplerLR, est.Box, est.SamplerSteps = 0, 3, 0, 3
	c := &countingAdv{Adversarial: est}
	twoPlayerRun(t, c, 20)
	if c.calls != 3*20 {
		t.Errorf("%d sampler updates in 20 iterations, want 60", c.calls)
	}
}

// boxedGaussMeanEnergy returns E_p[E] for p ∝ exp(−E) restricted to
// (−box, box)^d, E(x) = ½ Σⱼ aⱼ(xⱼ − mⱼ)², by a midpoint rule per coordinate
// (the coordinates are independent): Σⱼ ∫ ½aⱼ(x − mⱼ)² p(x) dx / ∫ p(x) dx.
func boxedGaussMeanEnergy(m, a []float64, box float64) float64 {
	const n = 200000
	h := 2 * box / n
	total := 0.0
	for j := range m {
		var z, s float64
		for i := 0; i < n; i++ {
			x := -box + (float64(i)+0.5)*h
			e := 0.5 * a[j] * (x - m[j]) * (x - m[j])
			p := math.Exp(-e)
			z += p
			s += e * p
		}
		total += s / z
	}
	return total
}

// TestAdversarialImportanceWeights: with importance weights, the negative
// term of the energy's loss is the self-normalized estimate Σᵢ wᵢE(xᵢ) of
// E_p[E] under p ∝ exp(−E), not the mean of E under the sampler q. The
// sampler is N(0, I) (an untrained gen.Affine), the energy a Gaussian with
// mean (1, −0.5) and variances (0.49, 2.25); data rows at the energy's mean
// have E = 0, so the loss is −Σᵢ wᵢE(xᵢ). The noisy sampler (affine g,
// σ = 1) weighs by its importance-sampling estimate of q. Without a box E_p[E] = d/2 = 1
// exactly (E_q[E] = 2.32); with box 2.5 the target is p restricted to the box
// and its draws carry the change-of-variables term of b·tanh(x/b), whose
// omission would bias the estimate by far more than the tolerance. The
// tolerance is 4 standard errors, sd(E)/√ESS with sd(E) ≤ 1, and the ESS
// must be at least 1/40 of the draws (wrong weights collapse it: 10 of
// 20,000 with the box term's sign flipped).
func TestAdversarialImportanceWeights(t *testing.T) {
	mu, v := []float64{1, -0.5}, []float64{0.49, 2.25}
	q := newQuad(2)
	a := make([]float64, 2)
	for j := range mu {
		q.m.Value.Data[j] = float32(mu[j])
		q.loga.Value.Data[j] = float32(-math.Log(v[j]))
		a[j] = math.Exp(float64(q.loga.Value.Data[j]))
	}
	const n = 20000
	x := tensor.New[float64](n, 2)
	for i := 0; i < n; i++ {
		x.Data[2*i], x.Data[2*i+1] = float64(q.m.Value.Data[0]), float64(q.m.Value.Data[1])
	}
	noisy, err := gen.NewNoisy[float32](gen.NoisyConfig{Dim: 2, Latent: 2, Sigma: 1, K: 50}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    EntropySampler[float32]
		box  float64
	}{{"flow", FlowEntropy[float32]{affine(t)}, 0}, {"flow", FlowEntropy[float32]{affine(t)}, 2.5}, {"noisy", noisy, 0}} {
		est := NewAdversarial[float32](c.q)
		est.Alpha, est.Box, est.Importance = 0, c.box, true
		loss, st, err := est.Loss(autodiff.NewTape[float32](), q, x, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		got := -loss.Item()
		want := 1.0
		if c.box > 0 {
			want = boxedGaussMeanEnergy(mu, a, c.box)
		}
		ess := st.Extra["ess"]
		tol := 4 / math.Sqrt(ess)
		t.Logf("%s, box %g: Σ wE = %.4f, E_p[E] = %.4f, ESS %.0f of %d, tolerance %.4f", c.name, c.box, got, want, ess, n, tol)
		if ess < n/40 || ess > n || math.Abs(got-want) > tol {
			t.Errorf("%s, box %g: Σ wE = %.4f, want %.4f ± %.4f (ESS %.0f)", c.name, c.box, got, want, tol, ess)
		}
	}
	// A sampler without a density is refused.
	est := NewAdversarial[float32](noDensity{noisy})
	est.Importance = true
	if _, _, err := est.Loss(autodiff.NewTape[float32](), q, x, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Error("importance weights with a sampler that has no density: no error")
	}
}

// noDensity hides every method of its sampler but EntropySampler's.
type noDensity struct{ EntropySampler[float32] }

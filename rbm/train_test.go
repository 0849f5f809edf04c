package rbm

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// TestStepMatchesFormula checks one PCD update against the update formula in
// float64, given the negative samples the step drew (kept in the trainer), with
// momentum and weight decay.
func TestStepMatchesFormula(t *testing.T) {
	tr, _ := digits(t)
	for _, c := range []struct{ mom, wd float64 }{{0, 0}, {0.5, 1e-3}} {
		r := randomRBM(t, Bernoulli, 64, 16, 0.1, 1)
		cfg := Config{Method: PCD, K: 1, BatchSize: 10, LR: 0.05, Momentum: c.mom, WeightDecay: c.wd}.withDefaults()
		tt, err := newTrainer(r, tr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		const V, H = 64, 16
		velW := make([]float64, V*H)
		velB, velC := make([]float64, V), make([]float64, H)
		for it := 0; it < 4; it++ {
			old := r.Clone()
			idx := []int{3 + it, 4, 5, 6, 7, 8, 9, 10, 11, 12}
			tt.update(idx, cfg.LR)
			hp := func(v []float32) []float64 {
				h := make([]float64, H)
				for j := range h {
					a := float64(old.C[j])
					for i := 0; i < V; i++ {
						a += float64(v[i]) * float64(old.W.At(i, j))
					}
					h[j] = 1 / (1 + math.Exp(-a))
				}
				return h
			}
			gW, gB, gC := make([]float64, V*H), make([]float64, V), make([]float64, H)
			for b := 0; b < 20; b++ { // rows 0-9 positive, 10-19 the negative samples
				v := tt.vv.Row(b)
				s := 1.0 / 10
				if b >= 10 {
					s = -s
				}
				h := hp(v)
				for i := 0; i < V; i++ {
					gB[i] += s * float64(v[i])
					for j := 0; j < H; j++ {
						gW[i*H+j] += s * float64(v[i]) * h[j]
					}
				}
				for j := range h {
					gC[j] += s * h[j]
				}
			}
			worst := 0.0
			for i := range gW {
				velW[i] = c.mom*velW[i] + cfg.LR*(gW[i]-c.wd*float64(old.W.Data[i]))
				worst = math.Max(worst, math.Abs(float64(r.W.Data[i]-old.W.Data[i])-velW[i]))
			}
			for i := range gB {
				velB[i] = c.mom*velB[i] + cfg.LR*gB[i]
				worst = math.Max(worst, math.Abs(float64(r.B[i]-old.B[i])-velB[i]))
			}
			for j := range gC {
				velC[j] = c.mom*velC[j] + cfg.LR*gC[j]
				worst = math.Max(worst, math.Abs(float64(r.C[j]-old.C[j])-velC[j]))
			}
			// float32 rounding of parameters of size ~1: a few 1e-7.
			if worst > 1e-6 {
				t.Errorf("momentum %g, decay %g, step %d: update differs from the formula by %g", c.mom, c.wd, it, worst)
			}
		}
	}
}

// sklearnProtocolLL holds scikit-learn 1.2.1's exact test log-likelihoods under
// the digits protocol (BernoulliRBM(n_components=16, learning_rate=0.05,
// batch_size=10, n_iter=30, random_state=s) for s = 0..39, trained on the first
// 1500 binarized rows, exact log Z over the 2^16 hidden states, mean over the
// last 297 rows), measured on the development machine with the peer's
// environment. Seed 0 gives the −19.77 usually quoted; the spread over seeds is
// the point.
var sklearnProtocolLL = []float64{
	-19.77, -20.67, -21.11, -20.55, -22.14, -24.83, -20.99, -21.92, -20.88, -22.35,
	-24.66, -20.75, -22.57, -21.93, -20.16, -21.15, -20.58, -20.23, -21.31, -20.05,
	-19.91, -19.90, -22.09, -21.41, -19.70, -22.94, -24.45, -21.01, -20.71, -21.66,
	-19.92, -20.42, -22.32, -20.85, -20.31, -23.09, -21.64, -22.54, -21.87, -22.01,
}

func meanSD(x []float64) (m, sd float64) {
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	for _, v := range x {
		sd += (v - m) * (v - m)
	}
	return m, math.Sqrt(sd / float64(len(x)-1))
}

// protocolConfig is the digits protocol: PCD-1, learning rate 0.05, batches of
// 10, 30 epochs, scikit-learn defaults otherwise (no momentum, no decay, no
// shuffling, W ~ N(0, 0.01²)).
func protocolConfig(seed uint64) Config {
	return Config{Method: PCD, K: 1, Epochs: 30, BatchSize: 10, LR: 0.05, Seed: seed}
}

// TestDigitsProtocol trains the protocol with 10 seeds and compares the mean
// exact test log-likelihood with scikit-learn's over 40 seeds: the difference
// must be within 4 standard errors of a difference of means. (The protocol's
// seed-to-seed spread is about 1.5 nats, so no single run can be held to
// scikit-learn's seed-0 figure of −19.77; TestDigitsBestRecipe holds a better
// recipe to −19.0.)
func TestDigitsProtocol(t *testing.T) {
	tr, te := digits(t)
	var lls []float64
	for seed := uint64(0); seed < 10; seed++ {
		r, _ := New(Bernoulli, 64, 16, seed)
		if _, err := r.Fit(context.Background(), tr, protocolConfig(seed), nil); err != nil {
			t.Fatal(err)
		}
		ll, _, err := r.ExactLogLik(te)
		if err != nil {
			t.Fatal(err)
		}
		lls = append(lls, ll)
	}
	m, sd := meanSD(lls)
	sm, ssd := meanSD(sklearnProtocolLL)
	se := math.Sqrt(sd*sd/float64(len(lls)) + ssd*ssd/float64(len(sklearnProtocolLL)))
	t.Logf("protocol: mean exact test LL %.3f (sd %.2f, 10 seeds) vs scikit-learn %.3f (sd %.2f, 40 seeds); runs %.2f",
		m, sd, sm, ssd, lls)
	if m < sm-4*se {
		t.Errorf("mean test LL %.3f is more than 4 SE (%.3f) below scikit-learn's %.3f", m, se, sm)
	}
}

// BestRecipe is the best digits recipe found (see the package documentation):
// PCD-3, learning rate 0.1 decayed linearly to 0 over 100 epochs, batches of 10.
func bestRecipe(seed uint64) Config {
	return Config{Method: PCD, K: 3, Epochs: 100, BatchSize: 10, LR: 0.1,
		Schedule: LinearDecay(0.1, 0, 100*Batches(1500, 10)), Seed: seed}
}

// TestDigitsBestRecipe holds the best recipe to −19.0 on one seed. Over 10 seeds
// it gives −18.15 ± 0.08 (sd), so −19.0 is a margin of 10 standard deviations,
// and −19.77 more.
func TestDigitsBestRecipe(t *testing.T) {
	tr, te := digits(t)
	r, _ := New(Bernoulli, 64, 16, 0)
	if _, err := r.Fit(context.Background(), tr, bestRecipe(0), nil); err != nil {
		t.Fatal(err)
	}
	ll, logZ, err := r.ExactLogLik(te)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("best recipe: exact test LL %.3f (log Z %.3f)", ll, logZ)
	if ll < -19.0 {
		t.Errorf("exact test LL %.3f < −19.0", ll)
	}
}

func TestBadData(t *testing.T) {
	r, _ := New(Bernoulli, 3, 2, 1)
	ctx := context.Background()
	frac := tensor.FromSlice(2, 3, []float32{0, 1, 0, 1, 0.5, 1})
	_, err := r.Fit(ctx, frac, Config{Epochs: 1}, nil)
	var de *DataError
	if !errors.As(err, &de) || de.Row != 1 || de.Col != 1 {
		t.Errorf("non-binary data: err = %v, want a DataError at row 1, column 1", err)
	}
	if _, err := r.Fit(ctx, frac, Config{Epochs: 1, Binarize: true}, nil); err != nil {
		t.Errorf("with Binarize: %v", err)
	}
	if _, err := r.Fit(ctx, frac, Config{Epochs: 1, Fractional: true}, nil); err != nil {
		t.Errorf("with Fractional: %v", err)
	}
	nan := tensor.FromSlice(1, 3, []float32{0, float32(math.NaN()), 1})
	for _, f := range []func() error{
		func() error { _, err := r.Fit(ctx, nan, Config{Epochs: 1, Binarize: true}, nil); return err },
		func() error { _, err := r.FreeEnergy(nan, nil); return err },
		func() error { _, err := r.Transform(nan); return err },
		func() error { _, err := r.PseudoLogLik(nan); return err },
	} {
		if err := f(); !errors.As(err, &de) || de.Col != 1 {
			t.Errorf("NaN: err = %v, want a DataError at column 1", err)
		}
	}
	wide := tensor.New[float32](2, 4)
	if _, err := r.Fit(ctx, wide, Config{}, nil); !errors.As(err, &de) {
		t.Errorf("4 columns for 3 visible units: err = %v", err)
	}
	if _, _, err := r.ExactLogLik(wide); !errors.As(err, &de) {
		t.Errorf("ExactLogLik shape: err = %v", err)
	}
	if _, err := New(Bernoulli, 0, 3, 1); err == nil {
		t.Error("New with 0 visible units: no error")
	}
	for _, c := range []Config{{LR: -1}, {Momentum: 1}, {K: -1}, {WeightDecay: -1}, {Method: 7}} {
		if err := c.Validate(); err == nil {
			t.Errorf("Config %+v: no error", c)
		}
	}
	bad := r.Clone()
	bad.C = bad.C[:1]
	if _, err := bad.Fit(ctx, frac, Config{Binarize: true}, nil); err == nil {
		t.Error("model with 1 hidden bias for 2 units: no error")
	}
	if _, err := ParseMethod("cd-3"); err == nil {
		t.Error("ParseMethod(cd-3): no error")
	}
}

func TestFitCancelAndStop(t *testing.T) {
	tr, _ := digits(t)
	r, _ := New(Bernoulli, 64, 8, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Fit(ctx, tr, Config{Epochs: 3}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
	res, err := r.Fit(context.Background(), tr, Config{Epochs: 5, TrackRecon: true}, func(s EpochStats) error {
		if s.ReconError <= 0 || s.ReconError >= 1 {
			t.Errorf("epoch %d: reconstruction error %g", s.Epoch, s.ReconError)
		}
		if s.Epoch == 2 {
			return ErrStop
		}
		return nil
	})
	if err != nil || res.Epochs != 2 {
		t.Errorf("ErrStop after epoch 2: %d epochs, err %v", res.Epochs, err)
	}
}

// The named schedules are optim's, counted in epochs: step decay by epochs,
// linear decay from the first update to the last.
func TestSchedules(t *testing.T) {
	s, err := ParseSchedule("step:every=10,factor=0.5", 0.1, 7, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Update 25·7 is the first of epoch 25: two drops.
	if got := s.LR(25 * 7); !near(got, 0.025, 1e-15) {
		t.Errorf("step decay at epoch 25: %g", got)
	}
	if got := s.LR(10*7 - 1); !near(got, 0.1, 1e-15) {
		t.Errorf("step decay at the last update of epoch 9: %g", got)
	}
	l, err := ParseSchedule("linear:final=0.1", 1, 1, 11)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := l.LR(0), l.LR(10); !near(a, 1, 1e-15) || !near(b, 0.1, 1e-15) {
		t.Errorf("linear decay: first %g, last %g", a, b)
	}
	if c, err := ParseSchedule("constant", 0.3, 5, 5); err != nil || c.LR(17) != 0.3 {
		t.Errorf("constant: %v, %v", c, err)
	}
	if c, err := ParseSchedule("cosine", 1, 1, 11); err != nil || !near(c.LR(11), 0.01, 1e-15) {
		t.Errorf("cosine: %v, %v", c, err)
	}
	for _, bad := range []string{"exp", "step:every=0", "step:factor=2", "linear:final=-1", "linear:fnial=0"} {
		if _, err := ParseSchedule(bad, 0.1, 10, 10); !spec.IsInvalid(err) {
			t.Errorf("%q: %v, want a spec error", bad, err)
		}
	}
	if Batches(1500, 10) != 150 || Batches(7, 3) != 3 || Batches(5, 10) != 1 {
		t.Error("Batches")
	}
}

// gaussianLL is the mean log-likelihood of x under the maximum-likelihood
// Gaussian with diagonal covariance (diag true) or full covariance.
func gaussianLL(x *tensor.Dense[float32], diag bool) float64 {
	n, d := x.Rows, x.Cols
	mu := make([]float64, d)
	for i := 0; i < n; i++ {
		for k, v := range x.Row(i) {
			mu[k] += float64(v) / float64(n)
		}
	}
	cov := make([]float64, d*d)
	for i := 0; i < n; i++ {
		r := x.Row(i)
		for a := 0; a < d; a++ {
			for b := 0; b < d; b++ {
				cov[a*d+b] += (float64(r[a]) - mu[a]) * (float64(r[b]) - mu[b]) / float64(n)
			}
		}
	}
	if diag {
		ll := 0.0
		for a := 0; a < d; a++ {
			ll -= 0.5 * (1 + math.Log(2*math.Pi*cov[a*d+a]))
		}
		return ll
	}
	// log det by Cholesky.
	l := make([]float64, d*d)
	logdet := 0.0
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			s := cov[i*d+j]
			for k := 0; k < j; k++ {
				s -= l[i*d+k] * l[j*d+k]
			}
			if i == j {
				l[i*d+i] = math.Sqrt(s)
				logdet += 2 * math.Log(l[i*d+i])
			} else {
				l[i*d+j] = s / l[j*d+j]
			}
		}
	}
	return -0.5 * (float64(d)*(1+math.Log(2*math.Pi)) + logdet)
}

// TestGaussianIris fits a Gaussian-Bernoulli RBM (12 hidden units, learned
// variances) to standardized iris and computes its exact log-likelihood (a
// mixture of 2^12 Gaussians): every run must beat the maximum-likelihood
// diagonal Gaussian (−5.676 per flower) and the best of three seeds must reach
// −3.6. PCD ends in one of two optima: over 30 seeds about 27% of the runs
// stop near −3.7 to −4.0 and the rest near −3.2 to −3.4 (the full-covariance
// Gaussian gets −3.27), so one seed alone would fail about a quarter of the
// time for reasons of the start, and three fail together about 2% of the time.
func TestGaussianIris(t *testing.T) {
	ds, err := data.Iris()
	if err != nil {
		t.Fatal(err)
	}
	z, _, _ := data.Standardize(ds.X)
	x := tensor.Convert[float32](nil, z)
	diag, full := gaussianLL(x, true), gaussianLL(x, false)
	best := math.Inf(-1)
	for seed := uint64(1); seed <= 3; seed++ {
		r, _ := New(Gaussian, 4, 12, seed)
		cfg := Config{Method: PCD, Epochs: 2000, BatchSize: 10, LR: 0.01, LearnVar: true, Shuffle: true, Seed: seed,
			Schedule: LinearDecay(0.01, 0, 2000*Batches(x.Rows, 10))}
		if _, err := r.Fit(context.Background(), x, cfg, nil); err != nil {
			t.Fatal(err)
		}
		ll, _, err := r.ExactLogLik(x)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("iris, seed %d: GB-RBM exact LL %.3f per flower; diagonal Gaussian %.3f, full Gaussian %.3f", seed, ll, diag, full)
		if ll <= diag {
			t.Errorf("seed %d: GB-RBM LL %.3f: want > %.3f (diagonal Gaussian)", seed, ll, diag)
		}
		best = max(best, ll)
	}
	if best < -3.6 {
		t.Errorf("best GB-RBM LL of three seeds %.3f: want ≥ −3.6", best)
	}
}

// TestGaussianMixture2D fits a GB-RBM with 8 hidden units and learned variances
// to a 2-D mixture of four Gaussians (centres (±1, ±1), sd 0.25: roughly
// standardized) and checks its exact held-out log-likelihood against the true
// density's (the attainable optimum, −1.39 on this test set) and a diagonal
// Gaussian's (−2.85). Many persistent chains (200) matter here: with one chain
// per batch row, PCD misjudges the mixture weights on some seeds. Over seeds
// 0-5 this recipe gave −1.40 to −1.49.
func TestGaussianMixture2D(t *testing.T) {
	gen := func(n int, seed uint64) *tensor.Dense[float32] {
		rng := newRand(seed)
		x := tensor.New[float32](n, 2)
		for i := 0; i < n; i++ {
			c := rng.IntN(4)
			x.Set(i, 0, float32(float64(2*(c&1)-1)+0.25*rng.NormFloat64()))
			x.Set(i, 1, float32(float64(2*(c>>1)-1)+0.25*rng.NormFloat64()))
		}
		return x
	}
	train, test := gen(2000, 1), gen(2000, 2)
	trueLL := 0.0
	for i := 0; i < test.Rows; i++ {
		var terms []float64
		for c := 0; c < 4; c++ {
			mx, my := float64(2*(c&1)-1), float64(2*(c>>1)-1)
			dx, dy := float64(test.At(i, 0))-mx, float64(test.At(i, 1))-my
			const v = 0.25 * 0.25
			terms = append(terms, math.Log(0.25)-(dx*dx+dy*dy)/(2*v)-math.Log(2*math.Pi*v))
		}
		trueLL += tensor.LogSumExp(terms) / float64(test.Rows)
	}
	r, _ := New(Gaussian, 2, 8, 3)
	for i := range r.LogVar {
		r.LogVar[i] = float32(math.Log(0.25)) // start with σ = 0.5, below the data's spread
	}
	cfg := Config{Method: PCD, Chains: 200, Epochs: 300, BatchSize: 20, LR: 0.01, LearnVar: true, VarLR: 0.001,
		Shuffle: true, Seed: 3, Schedule: LinearDecay(0.01, 0, 300*Batches(2000, 20))}
	if _, err := r.Fit(context.Background(), train, cfg, nil); err != nil {
		t.Fatal(err)
	}
	ll, _, err := r.ExactLogLik(test)
	if err != nil {
		t.Fatal(err)
	}
	diag := gaussianLL(test, true)
	t.Logf("2-D mixture: GB-RBM exact test LL %.3f; true density %.3f; diagonal Gaussian %.3f", ll, trueLL, diag)
	if ll < trueLL-0.3 || ll <= diag {
		t.Errorf("GB-RBM test LL %.3f: want within 0.3 of the truth %.3f and above the diagonal Gaussian %.3f", ll, trueLL, diag)
	}
}

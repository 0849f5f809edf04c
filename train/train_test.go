package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// quadModel is E(x) = ½ Σⱼ aⱼ (xⱼ − mⱼ)² with aⱼ = exp(logaⱼ): a Gaussian family
// whose best fit to N(μ, diag σ²) data is known in closed form for every
// estimator.
type quadModelOf[T tensor.Float] struct {
	m, loga *autodiff.Param[T]
	d       int
}

type quadModel = quadModelOf[float32]

func newQuad(d int) *quadModel { return newQuadOf[float32](d) }

func newQuadOf[T tensor.Float](d int) *quadModelOf[T] {
	return &quadModelOf[T]{d: d,
		m:    autodiff.NewParam("m", tensor.New[T](1, d)),
		loga: autodiff.NewParam("loga", tensor.New[T](1, d))}
}

func (q *quadModelOf[T]) Dim() int { return q.d }
func (q *quadModelOf[T]) Params() []*autodiff.Param[T] {
	return []*autodiff.Param[T]{q.m, q.loga}
}
func (q *quadModelOf[T]) Build(t *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	diff := autodiff.Sub(x, t.Param(q.m))
	return autodiff.Scale(autodiff.SumCols(autodiff.Mul(autodiff.Square(diff), autodiff.Exp(t.Param(q.loga)))), 0.5)
}
func (q *quadModelOf[T]) Energy(x *tensor.Dense[float64], e []float64) { q.EnergyGrad(x, e, nil) }
func (q *quadModelOf[T]) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	for i := 0; i < x.Rows; i++ {
		s := 0.0
		for j := 0; j < q.d; j++ {
			a := math.Exp(float64(q.loga.Value.Data[j]))
			dv := x.Data[i*q.d+j] - float64(q.m.Value.Data[j])
			s += 0.5 * a * dv * dv
			if g != nil {
				g.Data[i*q.d+j] = a * dv
			}
		}
		e[i] = s
	}
}

// gaussData draws from N(mu, diag(sd²)).
type gaussData struct {
	mu, sd []float64
	seed   uint64
}

func (g *gaussData) Dim() int { return len(g.mu) }
func (g *gaussData) Batch(iter, n int) (*tensor.Dense[float64], error) {
	dst := tensor.New[float64](n, len(g.mu))
	g.fill(iter, dst)
	return dst, nil
}
func (g *gaussData) fill(iter int, dst *tensor.Dense[float64]) {
	rng := rand.New(rand.NewPCG(g.seed, uint64(iter)))
	for i := 0; i < dst.Rows; i++ {
		for j := range g.mu {
			dst.Data[i*dst.Cols+j] = g.mu[j] + g.sd[j]*rng.NormFloat64()
		}
	}
}

// TestEstimatorsRecoverGaussian trains the Gaussian family on Gaussian data
// with every estimator and checks the fitted mean and variance against the
// estimator's known optimum: the data variance, or the data variance plus σ²
// for denoising score matching and h² for the KDE target.
//
// Tolerance: each run ends with a learning rate decayed to 1e-4 over batches of
// 512; the remaining stochastic error of the mean is about sd/√(512·k_eff) and
// the measured spread of the fitted variances over seeds is below 2%; we allow
// 0.06 on means (≈ 4 such standard errors for sd ≤ 1.5) and 6% on variances.
func TestEstimatorsRecoverGaussian(t *testing.T) {
	mu := []float64{1, -0.5}
	sd := []float64{0.7, 1.5}
	mala := NegSampler{Kind: "mala", Step: 0.05, Steps: 10}
	cases := []struct {
		est   func() Estimator[float32]
		extra float64 // variance added by the estimator's smoothing
	}{
		{func() Estimator[float32] { return &ExactSM[float32]{} }, 0},
		{func() Estimator[float32] { return &ExactSM[float32]{Hutchinson: 2} }, 0},
		{func() Estimator[float32] { return &SlicedSM[float32]{Projections: 2} }, 0},
		{func() Estimator[float32] { return &SlicedSM[float32]{Projections: 1, Kind: ProjRademacher, VR: true} }, 0},
		{func() Estimator[float32] { return &DenoisingSM[float32]{Sigma: 0.3} }, 0.09},
		{func() Estimator[float32] {
			ref := tensor.New[float64](3000, 2)
			(&gaussData{mu, sd, 77}).fill(0, ref)
			return &KDESM[float32]{Ref: ref, Bandwidth: 0.25}
		}, 0.0625},
		{func() Estimator[float32] { return NewNCE[float32](nil, 2) }, 0},
		{func() Estimator[float32] { return &CD[float32]{Sampler: mala} }, 0},
		{func() Estimator[float32] {
			return &PCD[float32]{Sampler: mala, Init: Init{Kind: "gaussian"}, Chains: 512}
		}, 0},
		{func() Estimator[float32] {
			return &Replay[float32]{Sampler: mala, Init: Init{Kind: "gaussian"}, BufferSize: 4096, Reinit: 0.05}
		}, 0},
	}
	for _, c := range cases {
		est := c.est()
		t.Run(est.Name(), func(t *testing.T) {
			q := newQuad(2)
			iters, batch := 1500, 512
			if est.Name() == "kde" {
				iters, batch = 400, 256 // each KDE target costs a pass over the reference set
			}
			tr := &Trainer{Model: q, Estimator: est, Data: &gaussData{mu, sd, 5},
				Config: Config{Iters: iters, Batch: batch, LR: 0.05, Seed: 3,
					Schedule: cosineSchedule{base: 0.05, min: 1e-4, total: iters}}}
			if _, err := tr.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			for j := range mu {
				m := float64(q.m.Value.Data[j])
				v := 1 / math.Exp(float64(q.loga.Value.Data[j]))
				want := sd[j]*sd[j] + c.extra
				if math.Abs(m-mu[j]) > 0.06 || math.Abs(v/want-1) > 0.06 {
					t.Errorf("coordinate %d: mean %.4f (want %.4f), variance %.4f (want %.4f)", j, m, mu[j], v, want)
				}
			}
			if n, ok := est.(*NCE[float32]); ok {
				// exp(−E) integrates to Π √(2π/aⱼ): NCE's c estimates its log.
				lz := 0.0
				for j := range mu {
					lz += 0.5 * math.Log(2*math.Pi/math.Exp(float64(q.loga.Value.Data[j])))
				}
				if math.Abs(n.LogZValue()-lz) > 0.05 {
					t.Errorf("NCE log Z %.4f, true %.4f", n.LogZValue(), lz)
				}
			}
		})
	}
}

type cosineSchedule struct {
	base, min float64
	total     int
}

func (c cosineSchedule) LR(step int) float64 {
	return c.min + 0.5*(c.base-c.min)*(1+math.Cos(math.Pi*float64(step)/float64(c.total)))
}

// faulty wraps an estimator and returns a NaN loss at the listed iterations
// (counted by calls).
type faulty struct {
	Estimator[float32]
	calls int
	at    map[int]bool
	all   bool
}

func (f *faulty) Loss(t *autodiff.Tape[float32], m energy.Model[float32], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[float32], Stats, error) {
	f.calls++
	l, st, err := f.Estimator.Loss(t, m, x, rng)
	if f.all || f.at[f.calls] {
		l = autodiff.Scale(l, math.NaN())
	}
	return l, st, err
}

func TestDivergenceRollsBack(t *testing.T) {
	q := newQuad(2)
	est := &faulty{Estimator: &SlicedSM[float32]{Projections: 1}, at: map[int]bool{57: true, 58: true}}
	var events []Metrics
	tr := &Trainer{Model: q, Estimator: est, Data: &gaussData{[]float64{0, 0}, []float64{1, 1}, 1},
		Config: Config{Iters: 100, Batch: 64, LR: 0.01, Seed: 1, SnapshotEvery: 20,
			Metrics: func(m Metrics) {
				if m.Event != "" {
					events = append(events, m)
				}
			}}}
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || res.Retries != 2 {
		t.Fatalf("want two rollbacks, got %d events, %d retries", len(events), res.Retries)
	}
	// Both rolled back to the snapshot at 40; the learning rate was halved twice.
	if events[1].LR != 0.01/4 {
		t.Fatalf("learning rate after two rollbacks %v, want %v", events[1].LR, 0.01/4)
	}
	if res.Iters != 100 || firstNonFinite(q.Params()) != "" {
		t.Fatalf("did not finish cleanly: %d iterations", res.Iters)
	}
}

func TestPersistentDivergenceGivesUp(t *testing.T) {
	q := newQuad(2)
	before := q.m.Value.Clone()
	tr := &Trainer{Model: q, Estimator: &faulty{Estimator: &SlicedSM[float32]{}, all: true},
		Data:   &gaussData{[]float64{0, 0}, []float64{1, 1}, 1},
		Config: Config{Iters: 50, Batch: 16, LR: 0.01, MaxRetries: 3}}
	_, err := tr.Run(context.Background())
	var de *DivergenceError
	if !errors.As(err, &de) || de.Retries != 3 {
		t.Fatalf("want a DivergenceError after 3 retries, got %v", err)
	}
	for i, v := range q.m.Value.Data {
		if v != before.Data[i] {
			t.Fatalf("parameters not rolled back to the last good state")
		}
	}
}

// TestSnapshotsReuseStorage: the snapshots of a run reuse one snapshot's
// storage (parameters, optimizer slots, replay buffer), and a Clone taken at
// iteration 10 still resumes the run exactly after later snapshots have
// overwritten that storage.
func TestSnapshotsReuseStorage(t *testing.T) {
	mk := func(ema float64) (*quadModel, *Trainer) {
		q := newQuad(2)
		est := &Replay[float32]{Sampler: NegSampler{Kind: "ula", Step: 0.01, Steps: 5, Clamp: sample.ScalarBox(-4, 4)},
			Alpha: 0.1, Init: Init{Lo: -4, Hi: 4}, BufferSize: 500, Reinit: 0.05}
		return q, &Trainer{Model: q, Estimator: est, Data: &gaussData{[]float64{1, 0}, []float64{1, 2}, 9},
			Config: Config{Iters: 30, Batch: 32, LR: 0.01, Seed: 4, SnapshotEvery: 5, EMA: ema}}
	}
	for _, ema := range []float64{0, 0.9} {
		q1, t1 := mk(ema)
		var first, at10 *Snapshot
		var buf *tensor.Dense[float64]
		var slots [][]float64
		calls := 0
		t1.Config.Checkpoint = func(s *Snapshot) error {
			calls++
			if first == nil {
				first, buf, slots = s, s.Estimator["0/replay.buffer"], s.Optimizer.Slots["exp_avg"]
			}
			if s != first || s.Estimator["0/replay.buffer"] != buf || &s.Optimizer.Slots["exp_avg"][0][0] != &slots[0][0] {
				t.Errorf("snapshot at %d: new storage", s.Iter)
			}
			if s.Iter == 10 {
				at10 = s.Clone()
			}
			return nil
		}
		if _, err := t1.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if calls != 6 || at10 == nil {
			t.Fatalf("%d checkpoints", calls)
		}
		q2, t2 := mk(ema)
		if err := t2.Resume(at10); err != nil {
			t.Fatal(err)
		}
		if _, err := t2.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i, v := range q1.m.Value.Data {
			if q2.m.Value.Data[i] != v || q2.loga.Value.Data[i] != q1.loga.Value.Data[i] {
				t.Fatalf("ema %v: resumed from the clone at 10: %v, the whole run %v", ema, q2.m.Value.Data, q1.m.Value.Data)
			}
		}
	}
}

// TestResumeIsExact: 40 iterations in one go equal 20, a snapshot, and 20
// more in a fresh trainer, bit for bit, with a stateful estimator.
func TestResumeIsExact(t *testing.T) {
	mk := func() (*quadModel, *Trainer) {
		q := newQuad(2)
		est := &Replay[float32]{Sampler: NegSampler{Kind: "ula", Step: 0.01, Steps: 5, Clamp: sample.ScalarBox(-4, 4)},
			Alpha: 0.1, Init: Init{Lo: -4, Hi: 4}, BufferSize: 500, Reinit: 0.05}
		return q, &Trainer{Model: q, Estimator: est, Data: &gaussData{[]float64{1, 0}, []float64{1, 2}, 9},
			Config: Config{Iters: 40, Batch: 32, LR: 0.01, Seed: 4, SnapshotEvery: 20}}
	}
	q1, t1 := mk()
	if _, err := t1.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	q2, t2 := mk()
	var snap *Snapshot
	t2.Config.Iters = 20
	t2.Config.Checkpoint = func(s *Snapshot) error { snap = s; return nil }
	if _, err := t2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	q3, t3 := mk()
	_ = q2
	if err := t3.Resume(snap); err != nil {
		t.Fatal(err)
	}
	if _, err := t3.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range q1.m.Value.Data {
		if q1.m.Value.Data[i] != q3.m.Value.Data[i] || q1.loga.Value.Data[i] != q3.loga.Value.Data[i] {
			t.Fatalf("resumed run differs: %v vs %v", q1.m.Value.Data, q3.m.Value.Data)
		}
	}
}

func TestCancelCheckpoints(t *testing.T) {
	q := newQuad(2)
	ctx, cancel := context.WithCancel(context.Background())
	var saved *Snapshot
	tr := &Trainer{Model: q, Estimator: &SlicedSM[float32]{}, Data: &gaussData{[]float64{0, 0}, []float64{1, 1}, 1},
		Config: Config{Iters: 1000, Batch: 16, LR: 0.01,
			Progress: func(i int) {
				if i == 10 {
					cancel()
				}
			},
			Checkpoint: func(s *Snapshot) error { saved = s; return nil }}}
	res, err := tr.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || saved == nil || saved.Iter != 10 {
		t.Fatalf("interrupted=%v, checkpoint %+v", res.Interrupted, saved)
	}
}

func TestTrainerValidates(t *testing.T) {
	q := newQuad(2)
	for _, c := range []Config{{Iters: 0, Batch: 1, LR: 1}, {Iters: 1, Batch: 0, LR: 1}, {Iters: 1, Batch: 1, LR: -1}} {
		tr := &Trainer{Model: q, Estimator: &SlicedSM[float32]{}, Data: &gaussData{[]float64{0, 0}, []float64{1, 1}, 1}, Config: c}
		if _, err := tr.Run(context.Background()); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	tr := &Trainer{Model: q, Estimator: &SlicedSM[float32]{}, Data: &gaussData{[]float64{0, 0, 0}, []float64{1, 1, 1}, 1},
		Config: Config{Iters: 1, Batch: 1, LR: 1}}
	if _, err := tr.Run(context.Background()); err == nil {
		t.Error("data of the wrong dimension accepted")
	}
}

// TestKDEScoresMatchFullSum checks the windowed KDE score against the direct
// sum over every reference point, near the data and far from it.
func TestKDEScoresMatchFullSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	ref := tensor.New[float64](3000, 2)
	for i := range ref.Data {
		ref.Data[i] = rng.NormFloat64()
	}
	k := &KDESM[float64]{Ref: ref, Bandwidth: 0.1}
	pts := tensor.New[float64](200, 2)
	for i := range pts.Data {
		pts.Data[i] = 3 * rng.NormFloat64()
	}
	pts.Data[0], pts.Data[1] = 40, -40 // far from every point: full sum
	got := tensor.New[float64](200, 2)
	k.kdeScores(pts, got)
	h2 := 0.01
	for i := 0; i < pts.Rows; i++ {
		x := pts.Row(i)
		lw := make([]float64, ref.Rows)
		for j := range lw {
			r := ref.Row(j)
			lw[j] = -((x[0]-r[0])*(x[0]-r[0]) + (x[1]-r[1])*(x[1]-r[1])) / (2 * h2)
		}
		lse := tensor.LogSumExp(lw)
		var w0, w1 float64
		for j := range lw {
			w := math.Exp(lw[j] - lse)
			w0 += w * (ref.Row(j)[0] - x[0])
			w1 += w * (ref.Row(j)[1] - x[1])
		}
		w0, w1 = w0/h2, w1/h2
		if math.Abs(got.At(i, 0)-w0) > 1e-9*(1+math.Abs(w0)) || math.Abs(got.At(i, 1)-w1) > 1e-9*(1+math.Abs(w1)) {
			t.Fatalf("point %v: windowed (%v, %v), full (%v, %v)", x, got.At(i, 0), got.At(i, 1), w0, w1)
		}
	}
}

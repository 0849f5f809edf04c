package train

import (
	"context"
	"errors"
	"github.com/ebm-go/ebm/data"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// scalarObj is the loss Σⱼ wⱼ(pⱼ − cⱼ)² over scalar parameters p (1×1 each),
// updating the groups it names. It counts its calls (its checkpointed state),
// can return a NaN loss at given calls, and records the batch it saw.
type scalarObj[T tensor.Float] struct {
	groups []string
	ps     []*autodiff.Param[T]
	w, c   []float64
	calls  float64
	total  int // calls, not part of the state
	nanAt  map[int]bool
	seen   []float64
}

func (o *scalarObj[T]) Groups() []string { return o.groups }

func (o *scalarObj[T]) Loss(t *autodiff.Tape[T], b *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	o.calls++
	o.total++
	o.seen = append(o.seen, b.Data[0]+rng.Float64())
	var loss *autodiff.Var[T]
	for i, p := range o.ps {
		c := tensor.New[T](1, 1)
		c.Data[0] = T(o.c[i])
		term := autodiff.Scale(autodiff.Square(autodiff.Sub(t.Param(p), t.Const(c))), o.w[i])
		loss = sumOrAdd(loss, term)
	}
	if o.nanAt[o.total] {
		loss = autodiff.Scale(loss, math.NaN())
	}
	return loss, Stats{EPos: 0, ENeg: math.NaN()}, nil
}

func (o *scalarObj[T]) StateTensors() map[string]*tensor.Dense[float64] {
	return map[string]*tensor.Dense[float64]{"calls": tensor.FromSlice(1, 1, []float64{o.calls})}
}

func (o *scalarObj[T]) LoadStateTensors(m map[string]*tensor.Dense[float64]) error {
	if c, ok := m["calls"]; ok {
		o.calls = c.Data[0]
	}
	return nil
}

func (o *scalarObj[T]) Reseed(*rand.Rand) {}

func scalarParam[T tensor.Float](name string, v float64) *autodiff.Param[T] {
	x := tensor.New[T](1, 1)
	x.Data[0] = T(v)
	return autodiff.NewParam(name, x)
}

// twoGroupLoop builds groups "a" (parameter a, SGD) and "b" (parameter b,
// SGD) and objectives (a − 1)² + 5b² on group a and (b + 2)² on group b:
// b appears in the first loss, so an update of b by the first objective
// would show.
func twoGroupLoop[T tensor.Float](iters int, lr float64) (*Loop[T, *tensor.Dense[float64]], *autodiff.Param[T], *autodiff.Param[T], *scalarObj[T], *scalarObj[T]) {
	a, b := scalarParam[T]("x", 0), scalarParam[T]("x", 0) // same name: groups namespace them
	sa, _ := optim.NewSGD[T](optim.SGDConfig{LR: lr})
	sb, _ := optim.NewSGD[T](optim.SGDConfig{LR: lr})
	o1 := &scalarObj[T]{groups: []string{"a"}, ps: []*autodiff.Param[T]{a, b}, w: []float64{1, 5}, c: []float64{1, 0}}
	o2 := &scalarObj[T]{groups: []string{"b"}, ps: []*autodiff.Param[T]{b}, w: []float64{1}, c: []float64{-2}}
	l := &Loop[T, *tensor.Dense[float64]]{
		Groups:     []Group[T]{{Name: "a", Params: []*autodiff.Param[T]{a}, Optimizer: sa}, {Name: "b", Params: []*autodiff.Param[T]{b}, Optimizer: sb}},
		Objectives: []Grouped{o1, o2},
		Data:       &gaussData{[]float64{0}, []float64{1}, 1},
		Batch:      4, Iters: iters, Seed: 7, SnapshotEvery: 10,
	}
	return l, a, b, o1, o2
}

// TestLoopTwoGroups checks, in float64 against the exact recursion, that each
// objective moves only its own group: a ← a − 2η(a − 1), b ← b − 2η(b + 2).
func TestLoopTwoGroups(t *testing.T) {
	const eta, iters = 0.05, 30
	l, a, b, _, _ := twoGroupLoop[float64](iters, eta)
	if _, err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	wa, wb := 0.0, 0.0
	for i := 0; i < iters; i++ {
		wa -= 2 * eta * (wa - 1)
		wb -= 2 * eta * (wb + 2)
	}
	if math.Abs(a.Value.Data[0]-wa) > 1e-12 || math.Abs(b.Value.Data[0]-wb) > 1e-12 {
		t.Fatalf("a = %v (want %v), b = %v (want %v)", a.Value.Data[0], wa, b.Value.Data[0], wb)
	}
}

// TestLoopValidates: missing pieces and bad names are errors, not panics.
func TestLoopValidates(t *testing.T) {
	cases := map[string]func(l *Loop[float64, *tensor.Dense[float64]]){
		"no data":         func(l *Loop[float64, *tensor.Dense[float64]]) { l.Data = nil },
		"no groups":       func(l *Loop[float64, *tensor.Dense[float64]]) { l.Groups = nil },
		"duplicate group": func(l *Loop[float64, *tensor.Dense[float64]]) { l.Groups[1].Name = "a" },
		"unknown group": func(l *Loop[float64, *tensor.Dense[float64]]) {
			l.Objectives[1].(*scalarObj[float64]).groups = []string{"c"}
		},
		"bad EMA":          func(l *Loop[float64, *tensor.Dense[float64]]) { l.Groups[0].EMA = 1 },
		"not an objective": func(l *Loop[float64, *tensor.Dense[float64]]) { l.Objectives = append(l.Objectives, bareGrouped{}) },
		"zero batch":       func(l *Loop[float64, *tensor.Dense[float64]]) { l.Batch = 0 },
	}
	for name, mod := range cases {
		l, _, _, _, _ := twoGroupLoop[float64](5, 0.1)
		mod(l)
		if _, err := l.Run(context.Background()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

type bareGrouped struct{}

func (bareGrouped) Groups() []string { return []string{"a"} }

// TestLoopRollbackRestoresEveryGroup: a NaN loss of the second objective at
// iteration 25 restores both groups and the first objective's state to the
// snapshot at 20 (checked when the rollback event is reported) and halves
// both groups' rates.
func TestLoopRollbackRestoresEveryGroup(t *testing.T) {
	l, a, b, o1, o2 := twoGroupLoop[float64](40, 0.05)
	o2.nanAt = map[int]bool{26: true}
	var at20 *SnapshotOf[float64]
	l.Checkpoint = func(s *SnapshotOf[float64]) error {
		if s.Iter == 20 {
			at20 = s.Clone()
		}
		return nil
	}
	events := 0
	l.Metrics = func(m Metrics) {
		if m.Event == "" {
			return
		}
		events++
		if at20 == nil {
			t.Fatal("rollback before the snapshot at 20")
		}
		if a.Value.Data[0] != at20.Params["a/x"].Data[0] || b.Value.Data[0] != at20.Params["b/x"].Data[0] {
			t.Errorf("after the rollback a=%v b=%v, snapshot a=%v b=%v", a.Value.Data[0], b.Value.Data[0], at20.Params["a/x"].Data[0], at20.Params["b/x"].Data[0])
		}
		if o1.calls != 20 {
			t.Errorf("first objective's state %v after the rollback, want 20", o1.calls)
		}
	}
	res, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if events != 1 || res.Retries != 1 {
		t.Fatalf("%d rollback events, %d retries; want 1", events, res.Retries)
	}
	for _, g := range l.groups {
		if g.scale != 0.5 || g.opt.LR() != 0.025 {
			t.Errorf("group %s: back-off %v, rate %v; want 0.5 and 0.025", g.g.Name, g.scale, g.opt.LR())
		}
	}
}

// TestLoopResumeTwoGroups: 40 iterations in one go equal 20, a checkpoint
// file, and 20 more in a fresh loop, bit for bit, with Adam and an average
// on one group, SGD with momentum on the other and a stateful objective.
func TestLoopResumeTwoGroups(t *testing.T) {
	mk := func(iters int) (*Loop[float32, *tensor.Dense[float64]], []*autodiff.Param[float32], *scalarObj[float32]) {
		l, a, b, o1, _ := twoGroupLoop[float32](iters, 0.05)
		l.Groups[0].Optimizer, l.Groups[0].LR, l.Groups[0].EMA = nil, 0.05, 0.9
		sb, _ := optim.NewSGD[float32](optim.SGDConfig{LR: 0.05, Momentum: 0.9})
		l.Groups[1].Optimizer = sb
		l.Settings = map[string]string{"lr": "0.05"}
		return l, []*autodiff.Param[float32]{a, b}, o1
	}
	l1, p1, o1 := mk(40)
	if _, err := l1.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l2, _, _ := mk(20)
	l2.Checkpoint = func(s *SnapshotOf[float32]) error { return SaveCheckpointOf(dir, s) }
	if _, err := l2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap, err := LoadCheckpointOf[float32](dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSettings(snap.Settings, map[string]string{"lr": "0.05"}); err != nil {
		t.Fatal(err)
	}
	l3, p3, o3 := mk(40)
	if err := l3.Resume(snap); err != nil {
		t.Fatal(err)
	}
	if _, err := l3.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range p1 {
		if p1[i].Value.Data[0] != p3[i].Value.Data[0] {
			t.Fatalf("parameter %d: uninterrupted %v, resumed %v", i, p1[i].Value.Data[0], p3[i].Value.Data[0])
		}
	}
	if o1.calls != o3.calls || o1.seen[39] != o3.seen[19] {
		t.Fatalf("objective state or randomness differs: calls %v vs %v", o1.calls, o3.calls)
	}
	if _, err := LoadCheckpointOf[float64](dir); err == nil {
		t.Error("a float32 checkpoint loaded into a float64 run")
	}
}

func TestCheckSettings(t *testing.T) {
	rec := map[string]string{"lr": "0.001", "seed": "1", "method": "ssm"}
	if err := CheckSettings(rec, map[string]string{"lr": "0.001", "seed": "1", "method": "ssm"}); err != nil {
		t.Fatal(err)
	}
	err := CheckSettings(rec, map[string]string{"lr": "0.01", "seed": "1", "batch": "64"})
	if !spec.IsInvalid(err) {
		t.Fatalf("want a *spec.Error, got %v", err)
	}
	for _, k := range []string{"lr", "method", "batch"} {
		if !containsWord(err.Error(), k+":") {
			t.Errorf("%q does not name %s", err, k)
		}
	}
}

func containsWord(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i:i+len(w)] == w {
			return true
		}
	}
	return false
}

// TestLoopFinalState: a run whose last step leaves a non-finite parameter
// fails instead of returning it as a result.
func TestLoopFinalState(t *testing.T) {
	l, a, _, _, _ := twoGroupLoop[float64](10, 0.05)
	n := 0
	l.Groups[0].AfterStep = func() {
		n++
		if n == 10 {
			a.Value.Data[0] = math.Inf(1)
		}
	}
	_, err := l.Run(context.Background())
	var de *DivergenceError
	if !errors.As(err, &de) || !de.Final {
		t.Fatalf("want a final-state DivergenceError, got %v", err)
	}
}

// TestTrainerFloat64 fits the Gaussian family in float64 by sliced score
// matching: the optimum is the data mean and variance; the tolerances are
// those of TestEstimatorsRecoverGaussian.
func TestTrainerFloat64(t *testing.T) {
	mu, sd := []float64{1, -0.5}, []float64{0.7, 1.5}
	q := newQuadOf[float64](2)
	tr := &TrainerOf[float64]{Model: q, Estimator: &SlicedSM[float64]{Projections: 2}, Data: &gaussData{mu, sd, 5},
		Config: ConfigOf[float64]{Iters: 1500, Batch: 512, LR: 0.05, Seed: 3,
			Schedule: cosineSchedule{base: 0.05, min: 1e-4, total: 1500}}}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for j := range mu {
		m, v := q.m.Value.Data[j], 1/math.Exp(q.loga.Value.Data[j])
		if math.Abs(m-mu[j]) > 0.06 || math.Abs(v/(sd[j]*sd[j])-1) > 0.06 {
			t.Errorf("coordinate %d: mean %.4f (want %.4f), variance %.4f (want %.4f)", j, m, mu[j], v, sd[j]*sd[j])
		}
	}
}

// TestDatasetBytes: a Dataset over byte rows gives the batches of a Dataset
// over the same rows as float64 (pixel/255), epoch after epoch.
func TestDatasetBytes(t *testing.T) {
	raw := make([]byte, 37*5)
	for i := range raw {
		raw[i] = byte(i*31 + 7)
	}
	b, err := data.NewByteRows(37, 5, raw, 255)
	if err != nil {
		t.Fatal(err)
	}
	fb := &Dataset{Bytes: b, Seed: 4}
	fx := &Dataset{X: b.Dense(0, 37), Seed: 4}
	if fb.Dim() != 5 {
		t.Fatalf("Dim %d", fb.Dim())
	}
	for it := 0; it < 12; it++ {
		gb, err := fb.Batch(it, 8)
		if err != nil {
			t.Fatal(err)
		}
		gx, _ := fx.Batch(it, 8)
		for i, v := range gx.Data {
			if gb.Data[i] != v {
				t.Fatalf("iteration %d element %d: %v from bytes, %v from floats", it, i, gb.Data[i], v)
			}
		}
	}
}

// TestSourcesFail: empty or broken sources give errors, also through a
// Trainer, never panics.
func TestSourcesFail(t *testing.T) {
	if _, err := (&Dataset{}).Batch(0, 4); err == nil {
		t.Error("empty Dataset gave a batch")
	}
	if _, err := (&Dataset{X: tensor.New[float64](0, 2)}).Batch(0, 4); err == nil {
		t.Error("Dataset with no rows gave a batch")
	}
	if _, err := (&Dataset{Bytes: &data.ByteRows{N: 3, D: 2, Data: make([]byte, 5), Div: 255}}).Batch(0, 2); err == nil {
		t.Error("Dataset with 5 bytes for 3×2 gave a batch")
	}
	if _, err := (&Generator{D: 2}).Batch(0, 4); err == nil {
		t.Error("Generator without Gen gave a batch")
	}
	wrong := func(n int, _ *rand.Rand) *tensor.Dense[float64] { return tensor.New[float64](n, 3) }
	if _, err := (&Generator{D: 2, Gen: wrong}).Batch(0, 4); err == nil {
		t.Error("Generator with a wrong shape gave a batch")
	}
	if _, err := (&Items[string]{}).Batch(0, 4); err == nil {
		t.Error("empty Items gave a batch")
	}
	if _, err := (&LabelledDataset{X: tensor.New[float64](3, 2), Y: []int{1}}).Batch(0, 2); err == nil {
		t.Error("LabelledDataset with too few labels gave a batch")
	}
	tr := &Trainer{Model: newQuad(2), Estimator: &SlicedSM[float32]{}, Data: &Dataset{X: tensor.New[float64](0, 2)},
		Config: Config{Iters: 5, Batch: 4, LR: 0.01}}
	if _, err := tr.Run(context.Background()); err == nil {
		t.Error("Trainer ran on an empty Dataset")
	}
}

// TestEpochSources: the finite sources visit every example once per epoch
// (batch size dividing the set size) and repeat exactly for the same
// (seed, iteration).
func TestEpochSources(t *testing.T) {
	const n, b = 12, 4
	x := tensor.New[float64](n, 1)
	y := make([]int, n)
	items := make([]int, n)
	for i := range y {
		x.Data[i], y[i], items[i] = float64(i), i, i
	}
	ld := &LabelledDataset{X: x, Y: y, Seed: 3}
	it := &Items[int]{Items: items, Seed: 3}
	for epoch := 0; epoch < 2; epoch++ {
		seenL, seenI := map[int]bool{}, map[int]bool{}
		for k := 0; k < n/b; k++ {
			lb, err := ld.Batch(epoch*n/b+k, b)
			if err != nil {
				t.Fatal(err)
			}
			ib, err := it.Batch(epoch*n/b+k, b)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < b; i++ {
				if int(lb.X.Data[i]) != lb.Y[i] {
					t.Fatalf("label %d with point %v", lb.Y[i], lb.X.Data[i])
				}
				seenL[lb.Y[i]], seenI[ib[i]] = true, true
			}
		}
		if len(seenL) != n || len(seenI) != n {
			t.Fatalf("epoch %d saw %d labelled and %d items of %d", epoch, len(seenL), len(seenI), n)
		}
	}
	a, _ := (&Items[int]{Items: items, Seed: 3}).Batch(5, b)
	a = append([]int(nil), a...)
	c, _ := (&Items[int]{Items: items, Seed: 3}).Batch(5, b)
	for i := range a {
		if a[i] != c[i] {
			t.Fatal("same seed and iteration gave different batches")
		}
	}
}

// TestPresetsAreML: CD, PCD and Replay give the same losses as ML with the
// matching negatives, draw for draw.
func TestPresetsAreML(t *testing.T) {
	ns := NegSampler{Kind: "ula", Step: 0.01, Steps: 3, Clamp: sample.ScalarBox(-4, 4)}
	in := Init{Lo: -4, Hi: 4}
	pairs := []struct{ a, b Estimator[float32] }{
		{&CD[float32]{Sampler: ns, Alpha: 0.1}, &ML[float32]{Negatives: &FromData{Sampler: ns}, Alpha: 0.1}},
		{&PCD[float32]{Sampler: ns, Alpha: 0.1, Init: in, Chains: 16}, &ML[float32]{Negatives: &Persistent{Sampler: ns, Init: in, Chains: 16}, Alpha: 0.1}},
		{&Replay[float32]{Sampler: ns, Alpha: 0.1, Init: in, BufferSize: 100, Reinit: 0.2}, &ML[float32]{Negatives: &ReplayBuffer{Sampler: ns, Init: in, Size: 100, Reinit: 0.2}, Alpha: 0.1}},
	}
	for _, p := range pairs {
		q := newQuad(2)
		x := tensor.New[float64](16, 2)
		(&gaussData{[]float64{0, 1}, []float64{1, 1}, 2}).fill(0, x)
		ta, tb := autodiff.NewTape[float32](), autodiff.NewTape[float32]()
		for i := 0; i < 3; i++ {
			la, _, err := p.a.Loss(ta, q, x, rand.New(rand.NewPCG(1, uint64(i))))
			if err != nil {
				t.Fatal(err)
			}
			lb, _, err := p.b.Loss(tb, q, x, rand.New(rand.NewPCG(1, uint64(i))))
			if err != nil {
				t.Fatal(err)
			}
			if la.Item() != lb.Item() {
				t.Fatalf("%s: draw %d: preset loss %v, ML loss %v", p.a.Name(), i, la.Item(), lb.Item())
			}
			ta.Reset()
			tb.Reset()
		}
	}
}

// TestZeroPresets: zero CD, PCD and Replay values train with the defaults,
// and PCD's chains start spread over [−4, 4]² (not all at 0).
func TestZeroPresets(t *testing.T) {
	for _, est := range []Estimator[float32]{&CD[float32]{}, &PCD[float32]{}, &Replay[float32]{}} {
		tr := &Trainer{Model: newQuad(2), Estimator: est, Data: &gaussData{[]float64{0, 0}, []float64{1, 1}, 1},
			Config: Config{Iters: 3, Batch: 64, LR: 0.01}}
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatalf("%s: %v", est.Name(), err)
		}
	}
	p := &PCD[float32]{}
	tr := &Trainer{Model: newQuad(2), Estimator: p, Data: &gaussData{[]float64{0, 0}, []float64{1, 1}, 1},
		Config: Config{Iters: 1, Batch: 256, LR: 1e-9}}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Uniform starts on [−4, 4] have sd 8/√12 ≈ 2.31; 20 small Langevin
	// steps on a unit Gaussian energy shrink that by a factor (1−η)^20 ≈ 0.9
	// plus noise; chains stuck at 0 would have sd ≈ √(2η·20) ≈ 0.45.
	c := p.Negatives().Chain()
	var ss float64
	for _, v := range c.Data {
		ss += v * v
	}
	if sd := math.Sqrt(ss / float64(len(c.Data))); sd < 1.5 {
		t.Fatalf("PCD chains have sd %.3f: not started in the box", sd)
	}
}

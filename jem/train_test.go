package jem

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// TestHybridLossValue recomputes the hybrid loss from the logits by hand:
// CE + w·(mean E(x⁺) − mean E(x⁻) + α·mean(E(x⁺)² + E(x⁻)²)), with the
// negatives the buffer returned; weight 0 is the cross-entropy alone.
func TestHybridLossValue(t *testing.T) {
	c, x := newTestClassifier(t, true)
	y := []int{0, 1, 2, 3, 0, 1}
	b := train.Labelled{X: x, Y: y}
	ce := 0.0
	e := make([]float64, x.Rows)
	c.Energy(x, e)
	logits := c.Logits64(x, nil)
	for i := range y {
		ce += -e[i] - logits.Row(i)[y[i]]
	}
	ce /= float64(len(y))
	for _, w := range []float64{0, 0.7} {
		r := &Replay{Size: 20, Reinit: 0.3, Sampler: Sampler{Kind: "ula", Step: 1e-3, Steps: 3}, Box: sample.ScalarBox(-3, 3)}
		if err := r.Fit(x, y, 4); err != nil {
			t.Fatal(err)
		}
		h := &Hybrid[float64]{Model: c, Weight: w, Alpha: 0.2, Negatives: r}
		tp := autodiff.NewTape[float64]()
		loss, st, err := h.Loss(tp, b, rand.New(rand.NewPCG(5, 6)))
		if err != nil {
			t.Fatal(err)
		}
		want := ce
		if w > 0 {
			neg := h.Negatives.last
			en := make([]float64, neg.Rows)
			c.Energy(neg, en)
			mp, mn, sq := 0.0, 0.0, 0.0
			for i := range e {
				mp += e[i] / float64(len(e))
				mn += en[i] / float64(len(en))
				sq += (e[i]*e[i] + en[i]*en[i]) / float64(len(e))
			}
			want += w * (mp - mn + 0.2*sq)
			if math.Abs(st.ENeg-mn) > 1e-12 {
				t.Errorf("reported mean E(x⁻) %v, want %v", st.ENeg, mn)
			}
		}
		if math.Abs(loss.Item()-want) > 1e-10 || math.Abs(st.Extra["ce"]-ce) > 1e-10 {
			t.Errorf("w=%v: loss %v (ce %v), want %v (ce %v)", w, loss.Item(), st.Extra["ce"], want, ce)
		}
	}
}

// TestHybridRejectsBadLabels: a label outside the classes is an error.
func TestHybridRejectsBadLabels(t *testing.T) {
	c, x := newTestClassifier(t, false)
	h := &Hybrid[float64]{Model: c}
	for _, y := range [][]int{{0, 1, 2, 3, 4, 0}, {0, -1, 0, 0, 0, 0}, {0}} {
		if _, _, err := h.Loss(autodiff.NewTape[float64](), train.Labelled{X: x, Y: y}, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("labels %v accepted", y)
		}
	}
	if err := CheckLabels(x, []int{0, 1, 2, 3, 4, 0}, 4, "test"); err == nil {
		t.Error("CheckLabels accepted label 4 of 4 classes")
	}
}

// TestClassGaussians fits two classes drawn from known Gaussians and checks
// the fitted means and covariances against the sample moments exactly, and
// the draws' mean and variance within 4 standard errors.
func TestClassGaussians(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 4000
	x := tensor.New[float64](n, 2)
	y := make([]int, n)
	for i := range n {
		y[i] = i % 2
		z0, z1 := rng.NormFloat64(), rng.NormFloat64()
		if y[i] == 0 {
			x.Row(i)[0], x.Row(i)[1] = 1+z0, -1+0.5*z0+0.5*z1
		} else {
			x.Row(i)[0], x.Row(i)[1] = -2+2*z0, 3+0.3*z1
		}
	}
	g, err := FitClassGaussians(x, y, 2, 1e-9)
	if err != nil {
		t.Fatal(err)
	}
	for c := range 2 {
		var m [2]float64
		var s [3]float64
		cnt := 0.0
		for i := range n {
			if y[i] == c {
				m[0] += x.Row(i)[0]
				m[1] += x.Row(i)[1]
				cnt++
			}
		}
		m[0], m[1] = m[0]/cnt, m[1]/cnt
		for i := range n {
			if y[i] == c {
				a, b := x.Row(i)[0]-m[0], x.Row(i)[1]-m[1]
				s[0] += a * a / cnt
				s[1] += a * b / cnt
				s[2] += b * b / cnt
			}
		}
		if math.Abs(g.Mu.Row(c)[0]-m[0]) > 1e-12 || math.Abs(g.Mu.Row(c)[1]-m[1]) > 1e-12 {
			t.Errorf("class %d: mean %v, want %v", c, g.Mu.Row(c), m)
		}
		var l = g.Chol[c]
		c00 := l.At(0, 0) * l.At(0, 0)
		c01 := l.At(1, 0) * l.At(0, 0)
		c11 := l.At(1, 0)*l.At(1, 0) + l.At(1, 1)*l.At(1, 1)
		if math.Abs(c00-s[0]-1e-9) > 1e-9 || math.Abs(c01-s[1]) > 1e-9 || math.Abs(c11-s[2]-1e-9) > 1e-9 {
			t.Errorf("class %d: LLᵀ = [%v %v %v], want %v + jitter", c, c00, c01, c11, s)
		}
		// Draws.
		const m2 = 20000
		z := make([]float64, 2)
		row := make([]float64, 2)
		var dm [2]float64
		var dv float64
		for range m2 {
			g.Draw(row, c, rng, z)
			dm[0] += row[0] / m2
			dm[1] += row[1] / m2
			dv += (row[0] - m[0]) * (row[0] - m[0]) / m2
		}
		for j := range 2 {
			sd := math.Sqrt([]float64{s[0], s[2]}[j])
			if math.Abs(dm[j]-m[j]) > 4*sd/math.Sqrt(m2) {
				t.Errorf("class %d coordinate %d: draw mean %v, want %v ± %v", c, j, dm[j], m[j], 4*sd/math.Sqrt(m2))
			}
		}
		// var of the variance estimate: 2σ⁴/m for a Gaussian.
		if math.Abs(dv-s[0]) > 4*s[0]*math.Sqrt(2.0/m2) {
			t.Errorf("class %d: draw variance %v, want %v", c, dv, s[0])
		}
	}
	if math.Abs(g.Freq[0]-0.5) > 1e-12 {
		t.Errorf("frequencies %v", g.Freq)
	}
}

// TestReplayReproducibleAndState: the same seed gives the same negatives;
// the state round-trips; conditional draws keep each entry's label.
func TestReplayReproducibleAndState(t *testing.T) {
	c, x := newTestClassifier(t, false)
	y := []int{0, 1, 2, 3, 0, 1}
	mk := func() *Replay {
		r := &Replay{Size: 50, Reinit: 0.1, Init: InitClassGaussian, Sampler: Sampler{Kind: "sgld", Step: 0.1, Noise: 0.01, Steps: 5},
			Box: sample.ScalarBox(-4, 4), Conditional: true}
		if err := r.Fit(x, y, 4); err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := mk(), mk()
	for it := range 3 {
		xa, ya, err := a.Draw(c, 8, rand.New(rand.NewPCG(1, uint64(it))))
		if err != nil {
			t.Fatal(err)
		}
		xb, yb, _ := b.Draw(c, 8, rand.New(rand.NewPCG(1, uint64(it))))
		for i := range xa.Data {
			if xa.Data[i] != xb.Data[i] {
				t.Fatal("same seed, different negatives")
			}
		}
		for i := range ya {
			if ya[i] != yb[i] || ya[i] < 0 || ya[i] > 3 {
				t.Fatalf("labels %v and %v", ya, yb)
			}
		}
		for _, v := range xa.Data {
			if v < -4 || v > 4 {
				t.Fatalf("negative %v outside the box", v)
			}
		}
	}
	st := a.StateTensors()
	c2 := mk()
	if err := c2.LoadStateTensors(st); err != nil {
		t.Fatal(err)
	}
	xa, _, _ := a.Draw(c, 8, rand.New(rand.NewPCG(9, 9)))
	xc, _, _ := c2.Draw(c, 8, rand.New(rand.NewPCG(9, 9)))
	for i := range xa.Data {
		if xa.Data[i] != xc.Data[i] {
			t.Fatal("restored buffer draws differently")
		}
	}
	bad := map[string]*tensor.Dense[float64]{"jem.buffer": st["jem.buffer"], "jem.labels": tensor.Full[float64](50, 1, 7)}
	if err := c2.LoadStateTensors(bad); err == nil {
		t.Error("labels outside the classes accepted")
	}
}

// TestSamplerSpec parses and rejects sampler specs.
func TestSamplerSpec(t *testing.T) {
	s, err := ParseSampler("--sampler", "sgld:step=0.5,noise=0.02,steps=7")
	if err != nil || s != (Sampler{Kind: "sgld", Step: 0.5, Noise: 0.02, Steps: 7}) {
		t.Fatalf("%+v %v", s, err)
	}
	if s, err = ParseSampler("--sampler", "ula"); err != nil || s.Step != 1e-4 || s.Steps != 20 {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{"mala", "sgld:step=-1", "ula:noise=1", "sgld:steps=0", "sgld:step=x"} {
		if _, err := ParseSampler("--sampler", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestSaveLoad round-trips a classifier through a model folder (and
// model.Load, energy.LoadGrad) and refuses folders of other kinds.
func TestSaveLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	net, _ := nn.NewMLP[float32]([]int{4, 6, 3}, nn.Tanh, nn.MLPOptions{}, rng)
	c, _ := New(net, []float64{1, 2, 3, 4}, []float64{1, 0.5, 2, 1})
	c.ClassNames, c.Image = []string{"a", "b", "c"}, [2]int{2, 2}
	dir := filepath.Join(t.TempDir(), "m")
	if err := c.Save(dir, &model.Meta{Seed: 3}); err != nil {
		t.Fatal(err)
	}
	back, meta, err := Load(dir)
	if err != nil || meta.Kind != Kind || back.ClassNames[2] != "c" || back.Image != [2]int{2, 2} {
		t.Fatalf("%v %+v", err, meta)
	}
	x := tensor.FromSlice(2, 4, []float64{0.1, 0.2, 0.3, 0.4, -1, 2, -3, 4})
	e1, e2 := make([]float64, 2), make([]float64, 2)
	c.Energy(x, e1)
	back.Energy(x, e2)
	if e1[0] != e2[0] || e1[1] != e2[1] {
		t.Errorf("energies %v after loading, %v before", e2, e1)
	}
	ge, _, err := energy.LoadGrad(dir)
	if err != nil || ge.Dim() != 4 {
		t.Fatalf("energy.LoadGrad: %v", err)
	}
	// Another kind.
	other := filepath.Join(t.TempDir(), "o")
	one, _ := nn.NewMLP[float32]([]int{4, 1}, nn.SiLU, nn.MLPOptions{}, rng)
	me, _ := energy.NewMLPEnergy(one)
	if err := me.Save(other, nil); err != nil {
		t.Fatal(err)
	}
	var ke *KindError
	if _, _, err := Load(other); !errors.As(err, &ke) {
		t.Errorf("loading an mlp-energy: %v", err)
	}
}

// TestTrainDigitsCycle is the whole train/eval cycle on the embedded digits:
// JEM and the discriminative baseline with the same network and budget,
// evaluated on the held-out split, OOD against uniform noise, class-
// conditional samples checked by the baseline, and a save/load round trip.
// The bounds are far below what the run reaches (they catch a broken
// pipeline, not a tuned score): accuracy above 0.8, every figure finite, no
// unrecovered divergence.
func TestTrainDigitsCycle(t *testing.T) {
	xtr, ytr, xte, yte := digits(t)
	iters := 600
	if testing.Short() {
		iters = 200
	}
	run := func(w float64) (*Classifier[float32], *Classification, *Scores) {
		cfg := DefaultConfig()
		cfg.Hidden, cfg.Weight, cfg.Iters, cfg.Seed = []int{64, 64}, w, iters, 1
		cfg.Box = sample.ScalarBox(0, 1)
		res, err := Train(context.Background(), xtr, ytr, 10, cfg)
		if err != nil {
			t.Fatalf("w=%v: %v", w, err)
		}
		s, err := Score(res.Model, xte)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := Classify(s, yte, 15)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("w=%v: accuracy %.4f NLL %.4f ECE %.4f rollbacks %d", w, cl.Accuracy, cl.NLL, cl.ECE, res.Loop.Retries)
		if cl.Accuracy < 0.8 || math.IsNaN(cl.NLL) || math.IsNaN(cl.ECE) {
			t.Errorf("w=%v: %+v", w, cl)
		}
		return res.Model, cl, s
	}
	jm, _, sin := run(1)
	base, _, _ := run(0)
	noise := Uniform(300, 64, sample.ScalarBox(0, 1), rand.New(rand.NewPCG(2, 2)))
	sout, err := Score(jm, noise)
	if err != nil {
		t.Fatal(err)
	}
	ood := DetectOOD("uniform", sin, sout)
	t.Logf("OOD uniform: %+v", ood)
	if !(ood.Energy > 0.5) {
		t.Errorf("energy does not tell uniform noise from digits: AUROC %v", ood.Energy)
	}
	init := &Replay{Box: sample.ScalarBox(0, 1), Init: InitClassGaussian, Sampler: Sampler{Kind: "sgld", Step: 0.1, Noise: 0.01, Steps: 50}}
	if err := init.Fit(xtr, ytr, 10); err != nil {
		t.Fatal(err)
	}
	xs, ys, err := SampleClasses(jm, init, init.Sampler, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	agree, err := Agreement(base, xs, ys)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("samples the baseline assigns to their class: %.3f", agree)
	dir := filepath.Join(t.TempDir(), "jem")
	if err := jm.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	back, _, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := Score(back, xte)
	for i := range s2.Energy {
		if s2.Energy[i] != sin.Energy[i] {
			t.Fatal("the loaded model scores differently")
		}
	}
}

// TestRunawayEnergyRolledBack: with a generative weight, mean energies beyond
// Config.EnergyBound count as a divergence; the loop rolls back (events in
// the metrics), and a run that keeps diverging ends with a
// *train.DivergenceError instead of a model. An untrained 10-class network
// has E(x) ≈ −log 10 ≈ −2.3, so a bound of 1 is exceeded at once.
func TestRunawayEnergyRolledBack(t *testing.T) {
	xtr, ytr, _, _ := digits(t)
	cfg := DefaultConfig()
	cfg.Hidden, cfg.Iters, cfg.Buffer = []int{16}, 20, 100
	cfg.Sampler.Steps = 2
	cfg.Box = sample.ScalarBox(0, 1)
	cfg.EnergyBound = 1
	events := 0
	cfg.Metrics = func(m train.Metrics) {
		if m.Event != "" {
			events++
		}
	}
	_, err := Train(context.Background(), xtr, ytr, 10, cfg)
	var de *train.DivergenceError
	if !errors.As(err, &de) {
		t.Fatalf("want a DivergenceError, got %v", err)
	}
	if events != 5 {
		t.Errorf("%d rollback events, want 5 (the loop's default retries)", events)
	}
	// The same run with the default bound trains.
	cfg.EnergyBound, events = 0, 0
	if res, err := Train(context.Background(), xtr, ytr, 10, cfg); err != nil || res.Loop.Retries != 0 || events != 0 {
		t.Errorf("default bound: %v, %d events", err, events)
	}
}

// TestTrainCancelled: a cancelled context gives its error, not a model.
func TestTrainCancelled(t *testing.T) {
	xtr, ytr, _, _ := digits(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := DefaultConfig()
	cfg.Hidden, cfg.Iters = []int{8}, 10
	if res, err := Train(ctx, xtr, ytr, 10, cfg); !errors.Is(err, context.Canceled) || res != nil {
		t.Errorf("cancelled run: %v, %v", res, err)
	}
}

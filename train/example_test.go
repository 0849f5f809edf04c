package train_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// Train an MLP energy on 8gaussians by sliced score matching and measure the
// grid NLL of held-out points (the best possible is about 2.83 nats).
func ExampleTrainer() {
	act, _ := nn.ActivationByName("silu")
	net, _ := nn.NewMLP[float32]([]int{2, 64, 64, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 2)))
	model, _ := energy.NewMLPEnergy(net)
	tr := &train.Trainer{
		Model:     model,
		Estimator: &train.SlicedSM[float32]{Projections: 1},
		Data:      &train.Generator{D: 2, Gen: data.EightGaussians, Seed: 1},
		Config:    train.Config{Iters: 300, Batch: 256, LR: 3e-3, EMA: 0.95, Seed: 1},
	}
	if _, err := tr.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	test := data.EightGaussians(5000, rand.New(rand.NewPCG(123, 0)))
	nll, _, _ := metric.GridNLL(model, test, -4, 4, 300)
	fmt.Println(nll < 3.3)
	// Output: true
}

// smallEnergy is a 2-16-16-1 SiLU MLP energy with weights from seed.
func smallEnergy(seed uint64) *energy.MLPEnergy[float32] {
	act, _ := nn.ActivationByName("silu")
	net, _ := nn.NewMLP[float32]([]int{2, 16, 16, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(seed, 0)))
	m, _ := energy.NewMLPEnergy(net)
	return m
}

// Resume a checkpointed run: 100 iterations with a checkpoint file written at
// 50, then a new Trainer resumed from that file, end with the same parameters
// as an uninterrupted 100-iteration run, bit for bit (persistent chains
// included).
func ExampleTrainer_Resume() {
	dir, _ := os.MkdirTemp("", "ebm-ckpt")
	defer os.RemoveAll(dir)
	newTrainer := func() (*train.Trainer, *energy.MLPEnergy[float32]) {
		m := smallEnergy(1)
		est, _, _ := train.ParseEstimator[float32]("pcd:k=5", train.EstimatorContext{Batch: 64})
		return &train.Trainer{Model: m, Estimator: est,
			Data:   &train.Generator{D: 2, Gen: data.EightGaussians, Seed: 1},
			Config: train.Config{Iters: 100, Batch: 64, LR: 1e-3, EMA: 0.9, Seed: 1, SnapshotEvery: 50}}, m
	}
	full, m1 := newTrainer()
	if _, err := full.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	first, _ := newTrainer()
	first.Config.Iters = 50
	first.Config.Checkpoint = func(s *train.Snapshot) error { return train.SaveCheckpoint(dir, s) }
	if _, err := first.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	snap, err := train.LoadCheckpoint(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	resumed, m2 := newTrainer()
	if err := resumed.Resume(snap); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := resumed.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	same := true
	p1, p2 := m1.Params(), m2.Params()
	for i := range p1 {
		for j := range p1[i].Value.Data {
			same = same && p1[i].Value.Data[j] == p2[i].Value.Data[j]
		}
	}
	fmt.Println("resumed at", snap.Iter, "identical:", same)
	// Output: resumed at 50 identical: true
}

// Build the pcd and replay estimators from spec strings, with the defaults
// the command line uses; settings returns every value used.
func ExampleParseEstimator() {
	ctx := train.EstimatorContext{Batch: 128}
	est, settings, err := train.ParseEstimator[float32]("pcd", ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := est.(*train.PCD[float32])
	fmt.Printf("pcd: %s k=%d step=%g alpha=%g chains=%d box=[%g,%g] init=%s\n",
		p.Sampler.Kind, p.Sampler.Steps, p.Sampler.Step, p.Alpha, p.Chains, p.Sampler.Clamp.Lo[0], p.Sampler.Clamp.Hi[0], settings["init"])
	est, _, _ = train.ParseEstimator[float32]("replay:sampler=mala,step=0.01", ctx)
	r := est.(*train.Replay[float32])
	fmt.Printf("replay: %s k=%d step=%g alpha=%g buffer=%d reinit=%g\n",
		r.Sampler.Kind, r.Sampler.Steps, r.Sampler.Step, r.Alpha, r.BufferSize, r.Reinit)
	_, _, err = train.ParseEstimator[float32]("ssm:m=0", ctx)
	fmt.Println(err)
	// Output:
	// pcd: ula k=10 step=0.01 alpha=0.1 chains=256 box=[-4,4] init=uniform
	// replay: mala k=20 step=0.01 alpha=0.1 buffer=10000 reinit=0.05
	// estimator ssm: setting m=0 must be >= 1
}

// sampler is a learned shift and scale y = μ + exp(s) ⊙ z of standard normal
// noise z, trained against the energy by minimizing the reverse KL
// divergence KL(q‖exp(−E)/Z) = E_z[E(μ + exp(s) ⊙ z)] − Σⱼ sⱼ + const.
type sampler struct {
	energy    energy.Model[float32]
	mu, logsd *autodiff.Param[float32]
}

func (s *sampler) Groups() []string { return []string{"sampler"} }

func (s *sampler) Loss(t *autodiff.Tape[float32], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[float32], train.Stats, error) {
	z := tensor.New[float32](x.Rows, 2)
	for i := range z.Data {
		z.Data[i] = float32(rng.NormFloat64())
	}
	y := autodiff.Add(t.Param(s.mu), autodiff.Mul(autodiff.Exp(t.Param(s.logsd)), t.Const(z)))
	e := s.energy.Build(t, y)
	loss := autodiff.Sub(autodiff.Mean(e), autodiff.Sum(t.Param(s.logsd)))
	return loss, train.Stats{EPos: math.NaN(), ENeg: float64(tensor.SumAll(e.Value)) / float64(x.Rows)}, nil
}

// Train an energy and a sampler for it with two parameter groups and two
// objectives, run in order every iteration: sliced score matching fits the
// MLP energy to data from N((1, −1), 0.5²I); then the sampler's shift and
// scale follow the energy by reverse KL. The sampler ends near the data's
// mean and standard deviation.
func ExampleLoop() {
	e := smallEnergy(2)
	s := &sampler{energy: e,
		mu:    autodiff.NewParam("mu", tensor.New[float32](1, 2)),
		logsd: autodiff.NewParam("logsd", tensor.New[float32](1, 2))}
	gauss := func(n int, rng *rand.Rand) *tensor.Dense[float64] {
		x := tensor.New[float64](n, 2)
		for i := 0; i < n; i++ {
			x.Data[2*i] = 1 + 0.5*rng.NormFloat64()
			x.Data[2*i+1] = -1 + 0.5*rng.NormFloat64()
		}
		return x
	}
	loop := &train.Loop[float32, *tensor.Dense[float64]]{
		Groups: []train.Group[float32]{
			{Name: "energy", Params: e.Params(), LR: 3e-3},
			{Name: "sampler", Params: []*autodiff.Param[float32]{s.mu, s.logsd}, LR: 1e-2},
		},
		Objectives: []train.Grouped{
			train.NewEstimatorObjective[float32]("energy", e, &train.SlicedSM[float32]{Projections: 1}),
			s,
		},
		Data:  &train.Generator{D: 2, Gen: gauss, Seed: 1},
		Batch: 256, Iters: 800, Seed: 1,
	}
	if _, err := loop.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	mu, sd := s.mu.Value.Data, []float64{math.Exp(float64(s.logsd.Value.Data[0])), math.Exp(float64(s.logsd.Value.Data[1]))}
	fmt.Println("mean near (1, -1):", math.Abs(float64(mu[0])-1) < 0.2 && math.Abs(float64(mu[1])+1) < 0.2)
	fmt.Println("sd near 0.5:", math.Abs(sd[0]-0.5) < 0.15 && math.Abs(sd[1]-0.5) < 0.15)
	// Output:
	// mean near (1, -1): true
	// sd near 0.5: true
}

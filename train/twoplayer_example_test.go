package train_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/gen"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// isoQuad is E(x) = ½ a ‖x − m‖², a = exp(loga): an isotropic Gaussian family.
type isoQuad struct{ m, loga *autodiff.Param[float32] }

func (q *isoQuad) Dim() int                           { return 2 }
func (q *isoQuad) Params() []*autodiff.Param[float32] { return []*autodiff.Param[float32]{q.m, q.loga} }
func (q *isoQuad) Build(t *autodiff.Tape[float32], x *autodiff.Var[float32]) *autodiff.Var[float32] {
	d := autodiff.Sub(x, t.Param(q.m))
	return autodiff.Scale(autodiff.Mul(autodiff.SumCols(autodiff.Square(d)), autodiff.Exp(t.Param(q.loga))), 0.5)
}

// Flow-contrastive estimation of a Gaussian: the energy and its log Z are
// trained against a Gaussian flow (gen.Affine) that the energy's classifier
// trains in turn. The data are N((1, −1), 0.5² I), so the true log Z of the
// fitted exp(−E) is log(2π·0.25) ≈ 0.45.
func ExampleFCE() {
	q := &isoQuad{m: autodiff.NewParam("m", tensor.New[float32](1, 2)), loga: autodiff.NewParam("loga", tensor.New[float32](1, 1))}
	flow, _ := gen.NewAffine[float32](2)
	est := train.NewFCE[float32](flow)
	gauss := func(n int, rng *rand.Rand) *tensor.Dense[float64] {
		x := tensor.New[float64](n, 2)
		for i := 0; i < n; i++ {
			x.Set(i, 0, 1+0.5*rng.NormFloat64())
			x.Set(i, 1, -1+0.5*rng.NormFloat64())
		}
		return x
	}
	tr := &train.Trainer{Model: energy.FromModel[float32](q), Estimator: est,
		Data: &train.Generator{D: 2, Gen: gauss, Seed: 1},
		Config: train.Config{Iters: 1000, Batch: 512, LR: 0.05, Seed: 1,
			Schedule: optim.Cosine{Base: 0.05, Min: 1e-4, Total: 1000}}}
	if _, err := tr.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	a := math.Exp(float64(q.loga.Value.Data[0]))
	fmt.Printf("mean (%.1f, %.1f), variance %.2f\n", q.m.Value.Data[0], q.m.Value.Data[1], 1/a)
	fmt.Printf("learned log Z within 0.05 of log(2π/a): %v\n", math.Abs(est.LogZValue()-math.Log(2*math.Pi/a)) < 0.05)
	// Output:
	// mean (1.0, -1.0), variance 0.25
	// learned log Z within 0.05 of log(2π/a): true
}

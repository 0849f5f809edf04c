package crf

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// sgdObjective is the CRF likelihood as a train.GradObjective: for a batch B
// of sequences it fills the gradient of the mean negative log-likelihood
//
//	(1/|B|) Σ_{n∈B} [log Z(x_n) − score(x_n, y_n)]
//
// by forward-backward; the L2 term is the optimizer's weight decay c2/N, so
// that the objective is f(w)/N with f as for lbfgs.
type sgdObjective struct {
	m     *Model
	param *autodiff.Param[float64]
	ws    *Workspace
	sum   float64 // loss summed since the last progress report
}

// Groups implements train.Grouped.
func (o *sgdObjective) Groups() []string { return []string{"crf"} }

// Grads implements train.GradObjective.
func (o *sgdObjective) Grads(b []*Sequence, _ *rand.Rand) (train.Stats, error) {
	p := o.m.view(o.param.Value.Data)
	o.ws.setTrans(&p)
	g := o.param.Grad.Data
	var loss float64
	for _, q := range b {
		loss += o.m.nllGrad(o.ws, &p, q, g)
	}
	inv := 1 / float64(len(b))
	for i := range g {
		g[i] *= inv
	}
	o.sum += loss
	return train.Stats{Loss: loss * inv, EPos: math.NaN(), ENeg: math.NaN()}, nil
}

// trainSGD runs stochastic gradient descent on the likelihood through the
// shared trainer (train.Loop): one parameter group holding W, optim.SGD with
// weight decay c2/N, the learning-rate schedule, batches of sequences from
// train.Items in seeded shuffled epochs, and the loop's divergence rollback.
func trainSGD(ctx context.Context, m *Model, qs []Sequence, opt TrainOptions) (*TrainResult, error) {
	n := len(qs)
	batch := max(opt.Batch, 1)
	perEpoch := (n + batch - 1) / batch
	iters := opt.Epochs * perEpoch
	sched := opt.Schedule
	if sched == nil {
		sched = optim.Linear{Base: opt.LR, End: opt.LR / 10, Total: iters}
	}
	sgd, err := optim.NewSGD[float64](optim.SGDConfig{LR: sched.LR(0), WeightDecay: opt.C2 / float64(n)})
	if err != nil {
		return nil, err
	}
	w := append([]float64(nil), m.W...)
	param := autodiff.NewParam("weights", tensor.FromSlice(1, len(w), w))
	obj := &sgdObjective{m: m, param: param, ws: NewWorkspace(len(m.Labels))}
	items := make([]*Sequence, n)
	for i := range qs {
		items[i] = &qs[i]
	}
	res := &TrainResult{Status: "EpochLimit"}
	loop := &train.Loop[float64, []*Sequence]{
		Groups: []train.Group[float64]{{Name: "crf", Params: []*autodiff.Param[float64]{param},
			Optimizer: sgd, Schedule: sched, EMA: opt.EMA}},
		Objectives: []train.Grouped{obj},
		Data:       &train.Items[*Sequence]{Items: items, Seed: opt.Seed},
		Batch:      batch,
		Iters:      iters,
		Seed:       opt.Seed,
		Progress: func(done, total int) {
			if done%perEpoch == 0 || done == total {
				res.Iterations = (done + perEpoch - 1) / perEpoch
				res.Objective = obj.sum
				if opt.Progress != nil {
					opt.Progress(res.Iterations, opt.Epochs, obj.sum)
				}
				obj.sum = 0
			}
		},
	}
	r, err := loop.Run(ctx)
	if err != nil {
		return nil, err
	}
	if r.Interrupted || ctx.Err() != nil {
		return nil, ctx.Err()
	}
	copy(m.W, param.Value.Data)
	if r.Retries > 0 {
		res.Status = "EpochLimit after divergence rollbacks"
	}
	return res, nil
}

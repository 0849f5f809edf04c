package crf

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/spec"
	"gonum.org/v1/gonum/optimize"
)

// TrainOptions configure Train. ParseAlgorithm fills them, with defaults,
// from a settings string such as "lbfgs:c2=1,maxiter=100"; start from its
// result when setting fields from Go.
type TrainOptions struct {
	// Algorithm is one of "lbfgs", "owlqn", "sgd", "perceptron", "ssvm".
	Algorithm string
	// C1 and C2 weigh the penalties c1·‖w‖₁ + (c2/2)·‖w‖² added to the
	// summed loss over sequences (C1 only for owlqn).
	C1, C2 float64
	// MaxIter caps the quasi-Newton iterations (lbfgs, owlqn).
	MaxIter int
	// Epsilon and Period stop the quasi-Newton methods when the objective
	// decreases by less than Epsilon (relative) over Period iterations.
	Epsilon float64
	Period  int
	// Store is the number of L-BFGS correction pairs kept.
	Store int
	// Epochs is the number of passes of the online learners (sgd,
	// perceptron, ssvm).
	Epochs int
	// Schedule gives the learning rate of sgd and ssvm at each step (one step
	// per sequence); nil means a linear decay from LR to LR/10 over the run.
	Schedule optim.Schedule
	LR       float64
	// Average returns the average of the iterates of ssvm (always on for
	// the perceptron).
	Average bool
	// Batch is the number of sequences per sgd step (default 1).
	Batch int
	// EMA, if in (0, 1), makes sgd return an exponential moving average of
	// its iterates (see train.Group).
	EMA float64
	// Seed sets the order in which the online learners visit sequences.
	Seed uint64
	// Workers is the number of goroutines for the likelihood gradient
	// (0: GOMAXPROCS). Results do not depend on it.
	Workers int
	// Progress, if set, is called after each iteration or epoch with the
	// count done, the total, and the objective (lbfgs, owlqn, sgd: penalized
	// negative log-likelihood; ssvm: summed structured hinge loss;
	// perceptron: number of mislabelled sequences).
	Progress func(done, total int, loss float64)
}

// Algorithms lists the training algorithms.
var Algorithms = []string{"lbfgs", "owlqn", "sgd", "perceptron", "ssvm"}

// ParseAlgorithm reads a training algorithm and its settings, "name:k=v,…":
//
//	lbfgs:c2=0.3,maxiter=200,eps=1e-4,period=5,store=10
//	owlqn:c1=1,c2=0,maxiter=200,eps=1e-4,period=5,store=10
//	sgd:c2=1,epochs=10,lr=0.05,batch=1,ema=0
//	perceptron:epochs=10
//	ssvm:c2=1,epochs=10,lr=0.05,avg=true
//
// The lbfgs defaults (c2=0.3, stopping when the objective falls by less
// than 1e-4 relative over 5 iterations, at most 200) were measured on the
// Penn Treebank sample of scripts/crf-bench.sh: after 100 iterations c2 =
// 0.01, 0.1, 0.3 and 1 gave token accuracies 0.9620, 0.9648, 0.9653 and
// 0.9642; run to convergence, c2=0.3 gives 0.9650 (159 iterations) and c2=1
// 0.9643 (120). The differences are small (±20 of 20,389 tokens).
//
// Errors are *spec.Error (spec.IsInvalid reports true for them).
func ParseAlgorithm(where, s string) (TrainOptions, error) {
	sp, err := spec.Parse(where, s)
	if err != nil {
		return TrainOptions{}, err
	}
	o := TrainOptions{Algorithm: sp.Name}
	var errs []error
	f := func(k string, def float64) float64 {
		v, err := sp.Float(k, def)
		errs = append(errs, err)
		return v
	}
	n := func(k string, def int) int {
		v, err := sp.Int(k, def)
		errs = append(errs, err)
		return v
	}
	switch sp.Name {
	case "lbfgs", "owlqn":
		if sp.Name == "owlqn" {
			o.C1 = f("c1", 1)
			o.C2 = f("c2", 0)
		} else {
			o.C2 = f("c2", 0.3)
		}
		o.MaxIter = n("maxiter", 200)
		o.Epsilon = f("eps", 1e-4)
		o.Period = n("period", 5)
		o.Store = n("store", 10)
	case "sgd":
		o.C2 = f("c2", 1)
		o.Epochs = n("epochs", 10)
		o.LR = f("lr", 0.05)
		o.Batch = n("batch", 1)
		o.EMA = f("ema", 0)
	case "ssvm":
		o.C2 = f("c2", 1)
		o.Epochs = n("epochs", 10)
		o.LR = f("lr", 0.05)
		avg, err := sp.Bool("avg", true)
		errs = append(errs, err)
		o.Average = avg
	case "perceptron":
		o.Epochs = n("epochs", 10)
		o.Average = true
	default:
		return o, spec.Errorf(where, "unknown algorithm %q (valid: %v)", sp.Name, Algorithms)
	}
	if err := errors.Join(errs...); err != nil {
		return o, err
	}
	if err := sp.CheckUnused(); err != nil {
		return o, err
	}
	return o, o.validate(where)
}

func (o *TrainOptions) validate(where string) error {
	bad := func(format string, a ...any) error { return spec.Errorf(where, format, a...) }
	switch {
	case o.C1 < 0 || o.C2 < 0:
		return bad("penalties c1=%v, c2=%v must be ≥ 0", o.C1, o.C2)
	case (o.Algorithm == "lbfgs" || o.Algorithm == "owlqn") && o.MaxIter < 1:
		return bad("maxiter=%d must be ≥ 1", o.MaxIter)
	case (o.Algorithm == "lbfgs" || o.Algorithm == "owlqn") && (o.Store < 1 || o.Period < 1 || o.Epsilon < 0):
		return bad("store=%d and period=%d must be ≥ 1, eps=%v ≥ 0", o.Store, o.Period, o.Epsilon)
	case (o.Algorithm == "sgd" || o.Algorithm == "ssvm" || o.Algorithm == "perceptron") && o.Epochs < 1:
		return bad("epochs=%d must be ≥ 1", o.Epochs)
	case (o.Algorithm == "sgd" || o.Algorithm == "ssvm") && o.Schedule == nil && !(o.LR > 0):
		return bad("lr=%v must be > 0", o.LR)
	case o.Algorithm == "sgd" && (o.Batch < 0 || !(o.EMA >= 0 && o.EMA < 1)):
		return bad("batch=%d must be ≥ 1 and ema=%v in [0, 1)", o.Batch, o.EMA)
	}
	return nil
}

// TrainResult summarizes a training run.
type TrainResult struct {
	Algorithm   string  `json:"algorithm"`
	Iterations  int     `json:"iterations"`  // quasi-Newton iterations or epochs
	Evaluations int     `json:"evaluations"` // objective and gradient evaluations (quasi-Newton)
	Objective   float64 `json:"objective"`   // final objective (see TrainOptions.Progress)
	Seconds     float64 `json:"seconds"`
	Status      string  `json:"status"`
}

// Train fits m.W to the encoded sequences qs (made by m.Encode from labelled
// sentences) with the algorithm of opt. The weights are updated in place,
// starting from their current values. Train stops early with ctx's error when
// ctx is cancelled, leaving the weights of the last completed step.
func Train(ctx context.Context, m *Model, qs []Sequence, opt TrainOptions) (*TrainResult, error) {
	if err := opt.validate("crf.Train"); err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		return nil, errors.New("crf: no training sequences")
	}
	for i := range qs {
		if qs[i].Len() == 0 {
			return nil, fmt.Errorf("crf: training sequence %d is empty", i+1)
		}
		if slices.Contains(qs[i].Y, -1) {
			return nil, fmt.Errorf("crf: training sequence %d has a label the model does not know", i+1)
		}
	}
	start := time.Now()
	var res *TrainResult
	var err error
	switch opt.Algorithm {
	case "lbfgs":
		res, err = trainLBFGS(ctx, m, qs, opt)
	case "owlqn":
		res, err = trainOWLQN(ctx, m, qs, opt)
	case "sgd":
		res, err = trainSGD(ctx, m, qs, opt)
	case "perceptron", "ssvm":
		res, err = trainOnline(ctx, m, qs, opt)
	default:
		return nil, spec.Errorf("crf.Train", "unknown algorithm %q (valid: %v)", opt.Algorithm, Algorithms)
	}
	if res != nil {
		res.Algorithm = opt.Algorithm
		res.Seconds = time.Since(start).Seconds()
	}
	return res, err
}

// recorder reports L-BFGS progress and stops on cancellation.
type recorder struct {
	ctx   context.Context
	iter  int
	total int
	fn    func(int, int, float64)
}

// Init implements optimize.Recorder.
func (r *recorder) Init() error { return nil }

// Record reports each major iteration and returns ctx.Err() to stop a
// cancelled run.
func (r *recorder) Record(loc *optimize.Location, op optimize.Operation, _ *optimize.Stats) error {
	if op == optimize.MajorIteration {
		r.iter++
		if r.fn != nil {
			r.fn(r.iter, r.total, loc.F)
		}
	}
	return r.ctx.Err()
}

// trainLBFGS minimizes the penalized negative log-likelihood with gonum's
// L-BFGS (strong-Wolfe line search).
func trainLBFGS(ctx context.Context, m *Model, qs []Sequence, opt TrainOptions) (*TrainResult, error) {
	o := newObjective(m, qs, opt.C2, opt.Workers)
	var (
		lastX, lastG []float64
		lastF        float64
	)
	get := func(x []float64) {
		if lastX != nil && slices.Equal(x, lastX) {
			return
		}
		if lastX == nil {
			lastX, lastG = make([]float64, len(x)), make([]float64, len(x))
		}
		copy(lastX, x)
		lastF = o.eval(x, lastG)
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { get(x); return lastF },
		Grad: func(g, x []float64) { get(x); copy(g, lastG) },
	}
	rec := &recorder{ctx: ctx, total: opt.MaxIter, fn: opt.Progress}
	settings := &optimize.Settings{
		Converger:       &optimize.FunctionConverge{Relative: opt.Epsilon, Iterations: opt.Period},
		MajorIterations: opt.MaxIter,
		Recorder:        rec,
	}
	r, err := optimize.Minimize(prob, m.W, settings, &optimize.LBFGS{Store: opt.Store})
	if r != nil && len(r.X) == len(m.W) && !math.IsNaN(r.F) {
		copy(m.W, r.X)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, ctxErr
	}
	if err != nil && r == nil {
		return nil, fmt.Errorf("crf: L-BFGS: %w", err)
	}
	return &TrainResult{Iterations: r.MajorIterations, Evaluations: o.evals, Objective: r.F, Status: r.Status.String()}, nil
}

// Fit builds a model for labelled sentences (Build) and trains it (Train).
func Fit(ctx context.Context, sents []Sentence, bo BuildOptions, opt TrainOptions) (*Model, *TrainResult, error) {
	m, err := Build(sents, bo)
	if err != nil {
		return nil, nil, err
	}
	res, err := Train(ctx, m, m.EncodeAll(sents), opt)
	if err != nil {
		return nil, nil, err
	}
	return m, res, nil
}

// EvaluateModel tags labelled sentences with m and scores the result,
// with the confidence of the labels' marginal probabilities.
func EvaluateModel(m *Model, sents []Sentence) (*Evaluation, error) {
	gold := make([][]string, len(sents))
	for i := range sents {
		gold[i] = sents[i].Labels
	}
	pred, marg, _ := m.TagMarginals(sents)
	ev, err := Evaluate(gold, pred)
	if err != nil {
		return nil, err
	}
	ev.Confidence, err = confidenceOf(gold, pred, marg)
	return ev, err
}

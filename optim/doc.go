// Package optim holds ebm's first-order optimizers (SGD with momentum, Adam,
// AdamW), gradient clipping, learning-rate schedules and an exponential moving
// average of parameters.
//
// The optimizers use torch.optim's update rules (same formulas, defaults and
// order of operations), so a run can be compared with a PyTorch one step by
// step. They work on
// []*autodiff.Param[T]: Step reads each p.Grad (filled by autodiff.Backward)
// and updates p.Value in place. Per-parameter state ("slots", such as Adam's
// moments) is allocated lazily on the first Step and then reused, so Step
// allocates nothing after the first call. The parameter list is identified by
// position: pass the same parameters in the same order on every call.
//
// A typical training iteration:
//
//	opt, _ := optim.NewAdam[float32](optim.DefaultAdam(1e-3))
//	sched := optim.Warmup{Inner: optim.Cosine{Base: 1e-3, Total: 10000}, Steps: 500}
//	for step := 0; step < 10500; step++ {
//		opt.ZeroGrad(params)
//		loss := ... // build the loss on a tape
//		autodiff.Backward(loss, params)
//		optim.ClipGradNorm(params, 1.0)
//		opt.SetLR(sched.LR(step))
//		opt.Step(params)
//	}
//
// State and LoadState snapshot and restore everything an optimizer carries
// (step count, learning rate, hyperparameters and slots) as a plain,
// JSON-encodable State, so a trainer can checkpoint and resume a run bit for
// bit.
//
// Optimizers and EMA are not safe for concurrent use.
package optim

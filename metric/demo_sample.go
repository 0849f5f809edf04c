package metric

import (
	"context"
	"math/rand/v2"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// Settings of the demonstration's sampling check (DemoReport.Sample).
const (
	DemoChains    = 2000 // MALA chains, one draw each
	DemoWarmup    = 1000 // adapted MALA steps before the draw
	DemoBox       = 4.0  // chains start uniform on [−DemoBox, DemoBox)² and stay in it
	DemoBandwidth = 0.5  // Gaussian kernel bandwidth of the MMD²
)

// Sample draws DemoChains points from the 2-D energy e and scores them against
// 8gaussians: MALA (initial step 0.01, adapted during DemoWarmup steps, chains
// clamped to the box [−DemoBox, DemoBox]²) from uniform starts drawn with the
// stream PCG(seed, 7), keeping each chain's last state. It sets AcceptRate (the
// chains' mean acceptance probability), MMD2 = MMD²(samples, ref) and MMD2Floor
// = MMD²(fresh data, ref), the value a perfect sampler would reach, where ref
// is data.EightGaussians with stream PCG(456, 0), the fresh data with
// PCG(789, 0), both of DemoChains points, and MMD² is MMD2 with bandwidth
// DemoBandwidth. It returns the samples and ref. The same seed gives the same
// numbers.
func (r *DemoReport) Sample(ctx context.Context, e energy.GradEnergy, seed uint64) (samples, ref *tensor.Dense[float64], err error) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x0 := tensor.New[float64](DemoChains, 2)
	for i := range x0.Data {
		x0.Data[i] = -DemoBox + 2*DemoBox*rng.Float64()
	}
	k, err := sample.NewMALA(e, sample.MALAOptions{Step: 0.01})
	if err != nil {
		return nil, nil, err
	}
	res, err := sample.Run(ctx, k, x0, sample.Config{Warmup: DemoWarmup, Steps: 1, Seed: seed,
		Clamp: sample.ScalarBox(-DemoBox, DemoBox)})
	if err != nil {
		return nil, nil, err
	}
	r.AcceptRate = 0
	for _, p := range res.MeanAcceptProb {
		r.AcceptRate += p
	}
	r.AcceptRate /= float64(len(res.MeanAcceptProb))
	ref = data.EightGaussians(DemoChains, rand.New(rand.NewPCG(456, 0)))
	if r.MMD2, err = MMD2(res.Last, ref, DemoBandwidth); err != nil {
		return nil, nil, err
	}
	if r.MMD2Floor, err = MMD2(data.EightGaussians(DemoChains, rand.New(rand.NewPCG(789, 0))), ref, DemoBandwidth); err != nil {
		return nil, nil, err
	}
	return res.Last, ref, nil
}

// Package flow holds normalizing flows: invertible maps x = f(z) of a standard
// Gaussian base z ~ N(0, I) whose density is exact by the change of variables,
//
//	log p(x) = log N(f⁻¹(x); 0, I) + log |det ∂f⁻¹/∂x|,
//
// and whose samples are exact and independent (one forward pass per batch).
// In ebm's terms a flow is a normalized energy model: E(x) = −log p(x) and
// log Z = 0.
//
// # Transforms
//
// A flow composes Transforms f = f_K ∘ … ∘ f_1 (f_1 next to the base). Every
// transform maps a batch (n×d, one point per row) forwards (z → x) and
// backwards (x → z) and returns log|det J| of the map it applied, per row, in
// the same pass; both directions are recorded on an autodiff tape, so flows
// train with any optimizer, can be differentiated through as samplers, and
// have second derivatives:
//
//   - Planar (Rezende & Mohamed 2015): f(z) = z + û·tanh(wᵀz + b), log|det| =
//     log(1 + (1 − tanh²(wᵀz + b))·wᵀû). Invertibility needs wᵀû > −1; the
//     parameterization enforces it: û = u + (m(wᵀu) − wᵀu)·w/‖w‖² with
//     m(a) = −1 + softplus(a). The inverse solves the scalar equation
//     a + (wᵀû)·tanh(a) = wᵀx + b for a = wᵀz + b (monotone, bracketed in
//     [c − |wᵀû|, c + |wᵀû|]) by safeguarded Newton with bisection to machine
//     precision, then z = x − û·tanh(a); on the tape two further Newton steps
//     from the root make the first and second derivatives exact (implicit
//     function theorem).
//   - Radial: f(z) = z + β·h(r)·(z − z₀), h = 1/(α + r), r = ‖z − z₀‖, with
//     α = softplus(α̂) > 0 and β = −α + softplus(β̂) > −α (invertible). The
//     inverse has a closed form: r is the positive root of
//     r² + (α + β − R)·r − αR = 0, R = ‖x − z₀‖.
//   - Additive coupling (NICE, Dinh et al. 2014): x_B = z_B + m(z_A) with a mask
//     A/B (alternating between layers), log|det| = 0; Scale is NICE's final
//     diagonal scaling x = z ⊙ exp(s).
//   - Affine coupling (RealNVP, Dinh et al. 2017): x_B = z_B ⊙ exp(s(z_A)) +
//     t(z_A), log|det| = Σ s. The log-scale is bounded by default:
//     s = c·tanh(ŝ/c) with c = bound (2 by default), so |s| < c and no scale
//     exceeds e^c: an exp that overflows is the commonest source of NaNs in
//     flow training. bound=0 gives the unbounded s = ŝ.
//   - MAF (Papamakarios et al. 2017): x_i = z_i·exp(α_i(x_<i)) + μ_i(x_<i) with μ
//     and α from one MADE network (masked weights, Germain et al. 2015); the
//     density direction z = (x − μ(x)) ⊙ exp(−α(x)) takes one pass, sampling
//     takes d passes. α is bounded as the RealNVP log-scale.
//   - Permutation and Reverse: fixed reorderings of the coordinates, log|det| = 0.
//   - ActNorm (Kingma & Dhariwal 2018): x = z ⊙ exp(s) + b, initialized from
//     data (Flow.InitFromData) so the data-side input of the layer maps to zero
//     mean and unit variance.
//   - Box: x = c·tanh(z/c), log|det| = Σ log sech²(zⱼ/c), confining a flow to
//     (−c, c)^d (spec setting box=c; the saved form of an adversarial flow
//     sampler, whose draws pass through the same map). Outside the box the
//     density is 0 (E = +∞).
//
// # Flows as models, samplers and energies
//
// Flow[T] composes transforms over the base N(0, I): LogProb (on a tape), Draw
// (reparameterized draws with their log densities, the train.LearnedSampler
// method set), Sample (exact samples), Params. A Flow is also an
// energy.GradEnergy with E(x) = −log p(x), an energy.Normalized with
// LogZ() = 0 and an energy.ExactSampler, so every sampler, metric and plot
// that takes an energy takes a flow. Parse builds flows from spec strings
// ("realnvp:layers=8,hidden=64", see SpecHelp); Save and Load write and read
// them through the model registry (kind "flow").
//
// # Fitting and using a flow against an energy
//
// Package flow/fit fits flows on train.Loop: by maximum likelihood on data
// (forward KL), and to an energy by reverse KL, minimizing
// E_q[E(x) + log q(x)]. Here, EstimateLogZ gives the importance-sampling
// estimate of log Z of an energy with a flow proposal, with its standard
// error and effective sample size (ImportanceLogZ); IndependenceMH and
// Resample turn a fitted flow into exact-in-the-limit samplers of the energy;
// NewDefensive mixes a wide Gaussian into the proposal for targets with
// heavier tails than the flow.
package flow

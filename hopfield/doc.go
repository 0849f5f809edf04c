// Package hopfield holds Hopfield networks as energy-based models: the binary
// network with its classic storage rules and recall dynamics, and the modern
// continuous network of Ramsauer et al. (2020).
//
// # Binary Hopfield network
//
// States are s ∈ {−1,+1}^N and
//
//	E(s) = −½ sᵀWs − bᵀs,  p_T(s) ∝ exp(−E(s)/T),
//
// with W symmetric and zero on the diagonal. Patterns ξ¹…ξᴾ (the rows of a P×N
// matrix X) are stored by one of three rules:
//
//	Hebbian:        W = (1/N) Σ_μ ξ^μ ξ^μᵀ
//	pseudo-inverse: W = Xᵀ(XXᵀ)⁻¹X  (the projection onto the patterns' span)
//	Storkey (1997): W ← W + (1/N)(ξξᵀ − ξhᵀ − hξᵀ),  hᵢⱼ = Σ_{k≠i,j} Wᵢₖξₖ,
//
// each with the diagonal set to 0. Recall is asynchronous energy descent: one
// unit at a time, sᵢ ← sign(hᵢ) with the local field hᵢ = Σⱼ Wᵢⱼsⱼ + bᵢ (a unit
// whose field is 0 keeps its state). Since W is symmetric with a zero diagonal,
// flipping sᵢ changes the energy by ΔE = −Δsᵢ·hᵢ ≤ 0, so the energy never
// increases and recall stops at a fixed point. Stochastic recall at temperature
// T is Gibbs sampling of p_T: p(sᵢ = +1 | s₋ᵢ) = σ(2hᵢ/T).
//
// The Hebbian rule stores about 0.14N random patterns (Amit, Gutfreund and
// Sompolinsky 1985) before recall from a noisy cue collapses; the
// pseudo-inverse rule makes every linearly independent pattern a fixed point
// (P < N); Storkey's rule is local and incremental with a capacity above
// Hebb's.
//
// # Modern continuous Hopfield network
//
// With the stored patterns xᵢ (rows of X, P×N) and inverse temperature β,
//
//	E(ξ) = −β⁻¹ log Σᵢ exp(β xᵢᵀξ) + ½ξᵀξ + β⁻¹ log P + ½M²,  M = maxᵢ ‖xᵢ‖,
//
// (the constant makes E ≥ 0) and its concave-convex update,
//
//	ξ_new = Xᵀ softmax(β X ξ) = ξ − ∇E(ξ),
//
// retrieves a stored pattern in one step when the patterns are well separated;
// the capacity is exponential in N (Ramsauer et al. 2020).
//
// Both networks implement energy.GradEnergy and are saved and loaded as model
// kind "hopfield" (Save, Load, model.Load).
package hopfield

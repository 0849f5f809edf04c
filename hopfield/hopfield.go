package hopfield

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// Rule is a storage rule of the binary network.
type Rule int

const (
	// Hebbian is W = (1/N) Σ_μ ξ^μ ξ^μᵀ with a zero diagonal.
	Hebbian Rule = iota
	// PseudoInverse is the projection W = Xᵀ(XXᵀ)⁻¹X with a zero diagonal
	// (Personnaz et al. 1985); it needs linearly independent patterns.
	PseudoInverse
	// Storkey is Storkey's (1997) incremental local rule.
	Storkey
)

// Rules lists the storage rules.
var Rules = []Rule{Hebbian, PseudoInverse, Storkey}

// String returns "hebbian", "pinv" or "storkey".
func (r Rule) String() string {
	switch r {
	case Hebbian:
		return "hebbian"
	case PseudoInverse:
		return "pinv"
	case Storkey:
		return "storkey"
	}
	return fmt.Sprintf("Rule(%d)", int(r))
}

// ParseRule parses "hebbian", "pinv" (or "pseudo-inverse") or "storkey".
func ParseRule(s string) (Rule, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "hebbian", "hebb":
		return Hebbian, nil
	case "pinv", "pseudo-inverse", "pseudoinverse":
		return PseudoInverse, nil
	case "storkey":
		return Storkey, nil
	}
	return 0, fmt.Errorf("hopfield: unknown storage rule %q (valid: hebbian, pinv, storkey)", s)
}

// Network is a binary Hopfield network on s ∈ {−1,+1}^N with
// E(s) = −½ sᵀWs − bᵀs (W symmetric, zero diagonal).
type Network struct {
	W *tensor.Dense[float64] // N×N
	B []float64              // N
}

// PatternError reports a value of a pattern matrix that is not −1 or +1.
type PatternError struct {
	Row, Col int
	Value    float64
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("hopfield: pattern row %d, column %d holds %v; patterns must be −1 or +1", e.Row, e.Col, e.Value)
}

// CheckPatterns checks that x has n columns (n ≤ 0: any) and at least one row,
// and holds only −1 and +1 (a *PatternError naming the first bad value).
func CheckPatterns(x *tensor.Dense[float64], n int) error {
	if x == nil || x.Rows < 1 || x.Cols < 1 {
		return errors.New("hopfield: no patterns")
	}
	if n > 0 && x.Cols != n {
		return fmt.Errorf("hopfield: patterns of %d values for a network of %d units", x.Cols, n)
	}
	for i, v := range x.Data {
		if v != 1 && v != -1 {
			return &PatternError{Row: i / x.Cols, Col: i % x.Cols, Value: v}
		}
	}
	return nil
}

// New returns the network of n units with W = 0 and b = 0.
func New(n int) (*Network, error) {
	if n < 1 || n > 1<<14 {
		return nil, fmt.Errorf("hopfield: %d units; need 1 to %d", n, 1<<14)
	}
	return &Network{W: tensor.New[float64](n, n), B: make([]float64, n)}, nil
}

// Store returns the network storing the rows of x (P×N, values ±1) by rule.
func Store(rule Rule, x *tensor.Dense[float64]) (*Network, error) {
	if err := CheckPatterns(x, 0); err != nil {
		return nil, err
	}
	h, err := New(x.Cols)
	if err != nil {
		return nil, err
	}
	n, p := x.Cols, x.Rows
	switch rule {
	case Hebbian:
		tensor.Gemm(true, false, 1/float64(n), x, x, 0, h.W)
	case PseudoInverse:
		if p >= n {
			return nil, fmt.Errorf("hopfield: the pseudo-inverse rule stores fewer patterns than units (%d patterns, %d units)", p, n)
		}
		q := tensor.New[float64](p, p)
		tensor.Gemm(false, true, 1, x, x, 0, q) // XXᵀ
		qs := mat.NewSymDense(p, q.Data)
		var ch mat.Cholesky
		if !ch.Factorize(qs) {
			return nil, errors.New("hopfield: the patterns are linearly dependent; the pseudo-inverse rule needs independent patterns")
		}
		xm := mat.NewDense(p, n, append([]float64(nil), x.Data...))
		var sol mat.Dense // (XXᵀ)⁻¹X
		if err := ch.SolveTo(&sol, xm); err != nil {
			return nil, fmt.Errorf("hopfield: pseudo-inverse rule: %w", err)
		}
		s := tensor.New[float64](p, n)
		for i := 0; i < p; i++ {
			for j := 0; j < n; j++ {
				s.Set(i, j, sol.At(i, j))
			}
		}
		tensor.Gemm(true, false, 1, x, s, 0, h.W)
		// Symmetrize the rounding.
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				a := 0.5 * (h.W.At(i, j) + h.W.At(j, i))
				h.W.Set(i, j, a)
				h.W.Set(j, i, a)
			}
		}
	case Storkey:
		hf := make([]float64, n)
		inv := 1 / float64(n)
		for mu := 0; mu < p; mu++ {
			xi := x.Row(mu)
			for i := 0; i < n; i++ { // hᵢ = Σₖ Wᵢₖξₖ (diagonal 0)
				s := 0.0
				for k, w := range h.W.Row(i) {
					s += w * xi[k]
				}
				hf[i] = s
			}
			// hᵢⱼ = hᵢ − Wᵢⱼξⱼ (k ≠ i, j); the update is symmetric in i, j.
			for i := 0; i < n; i++ {
				wr := h.W.Row(i)
				for j := i + 1; j < n; j++ {
					hij := hf[i] - wr[j]*xi[j]
					hji := hf[j] - wr[j]*xi[i]
					d := inv * (xi[i]*xi[j] - xi[i]*hji - hij*xi[j])
					wr[j] += d
				}
			}
			for i := 0; i < n; i++ {
				for j := i + 1; j < n; j++ {
					h.W.Set(j, i, h.W.At(i, j))
				}
			}
		}
	default:
		return nil, fmt.Errorf("hopfield: unknown storage rule %d", int(rule))
	}
	for i := 0; i < n; i++ {
		h.W.Set(i, i, 0)
	}
	return h, h.Validate()
}

// Dim returns N.
func (h *Network) Dim() int { return len(h.B) }

// Validate checks shapes, symmetry, the zero diagonal and finiteness.
func (h *Network) Validate() error {
	if h == nil {
		return errors.New("hopfield: network has no weights")
	}
	if err := tensor.CheckCouplings(h.W, h.B); err != nil {
		return fmt.Errorf("hopfield: %w", err)
	}
	return nil
}

// Energy writes E(xₙ) = −½ xₙᵀWxₙ − bᵀxₙ into e[n] (energy.Energy; defined for
// any real x). It panics on a batch of the wrong shape.
func (h *Network) Energy(x *tensor.Dense[float64], e []float64) {
	h.EnergyGrad(x, e, nil)
}

// EnergyGrad writes E(xₙ) into e[n] and, when g is not nil, ∇E(xₙ) = −Wxₙ − b
// into row n of g (energy.GradEnergy).
func (h *Network) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	n := h.Dim()
	if x.Cols != n || len(e) != x.Rows || (g != nil && (g.Rows != x.Rows || g.Cols != n)) {
		panic(fmt.Sprintf("hopfield: energy of %s into %d values for N = %d", x.Shape(), len(e), n))
	}
	field := make([]float64, n)
	for r := range e {
		xr := x.Row(r)
		s := 0.0
		for i := 0; i < n; i++ {
			f := 0.0
			for j, w := range h.W.Row(i) {
				f += w * xr[j]
			}
			field[i] = f
			s += 0.5*xr[i]*f + h.B[i]*xr[i]
		}
		e[r] = -s
		if g != nil {
			gr := g.Row(r)
			for i, f := range field {
				gr[i] = -f - h.B[i]
			}
		}
	}
}

// field returns hᵢ = Σⱼ Wᵢⱼsⱼ + bᵢ.
func (h *Network) field(s []float64, i int) float64 {
	f := h.B[i]
	for j, w := range h.W.Row(i) {
		f += w * s[j]
	}
	return f
}

// RecallInfo describes one asynchronous recall.
type RecallInfo struct {
	// Sweeps is the number of sweeps run (the last one changes nothing when
	// Converged).
	Sweeps int
	// Flips counts the units changed.
	Flips int
	// Converged says that s is a fixed point.
	Converged bool
}

// Recall runs asynchronous energy descent on s (±1, in place): sweeps over the
// units in an order drawn from rng (0…N−1 when rng is nil), sᵢ ← sign(hᵢ) (kept
// when hᵢ = 0), until a sweep changes nothing or maxSweeps sweeps are done.
// The energy never increases. onFlip, when not nil, is called after every
// change with the unit changed.
func (h *Network) Recall(s []float64, maxSweeps int, rng *rand.Rand, onFlip func(i int)) (RecallInfo, error) {
	var info RecallInfo
	if err := h.checkState(s); err != nil {
		return info, err
	}
	if maxSweeps < 1 {
		return info, fmt.Errorf("hopfield: %d sweeps; need at least 1", maxSweeps)
	}
	n := h.Dim()
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	for info.Sweeps < maxSweeps {
		info.Sweeps++
		if rng != nil {
			rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		changed := false
		for _, i := range order {
			f := h.field(s, i)
			if (f > 0 && s[i] < 0) || (f < 0 && s[i] > 0) {
				s[i] = -s[i]
				changed = true
				info.Flips++
				if onFlip != nil {
					onFlip(i)
				}
			}
		}
		if !changed {
			info.Converged = true
			break
		}
	}
	return info, nil
}

// Gibbs runs sweeps of single-site Gibbs sampling of p_T(s) ∝ exp(−E(s)/T) on
// s (±1, in place): sᵢ = +1 with probability σ(2hᵢ/T), units in order.
func (h *Network) Gibbs(s []float64, temp float64, sweeps int, rng *rand.Rand) error {
	if err := h.checkState(s); err != nil {
		return err
	}
	if !(temp > 0) || math.IsInf(temp, 0) {
		return fmt.Errorf("hopfield: temperature %g; need a finite T > 0", temp)
	}
	if sweeps < 0 || rng == nil {
		return errors.New("hopfield: Gibbs needs sweeps ≥ 0 and a random source")
	}
	for k := 0; k < sweeps; k++ {
		for i := range s {
			p := 1 / (1 + math.Exp(-2*h.field(s, i)/temp))
			if rng.Float64() < p {
				s[i] = 1
			} else {
				s[i] = -1
			}
		}
	}
	return nil
}

func (h *Network) checkState(s []float64) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if len(s) != h.Dim() {
		return fmt.Errorf("hopfield: state of %d values for a network of %d units", len(s), h.Dim())
	}
	for i, v := range s {
		if v != 1 && v != -1 {
			return fmt.Errorf("hopfield: state unit %d is %v; need −1 or +1", i, v)
		}
	}
	return nil
}

// RandomPatterns returns p patterns of n independent fair ±1 values.
func RandomPatterns(p, n int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](p, n)
	for i := range x.Data {
		x.Data[i] = float64(2*rng.IntN(2) - 1)
	}
	return x
}

// Corrupt returns a copy of x with exactly round(frac·N) units of every row
// flipped, the units drawn uniformly without replacement.
func Corrupt(x *tensor.Dense[float64], frac float64, rng *rand.Rand) (*tensor.Dense[float64], error) {
	if !(frac >= 0 && frac <= 1) {
		return nil, fmt.Errorf("hopfield: corruption fraction %g; need 0 ≤ frac ≤ 1", frac)
	}
	out := x.Clone()
	k := int(math.Round(frac * float64(x.Cols)))
	perm := make([]int, x.Cols)
	for r := 0; r < x.Rows; r++ {
		for i := range perm {
			perm[i] = i
		}
		row := out.Row(r)
		for i := 0; i < k; i++ { // partial Fisher-Yates
			j := i + rng.IntN(len(perm)-i)
			perm[i], perm[j] = perm[j], perm[i]
			row[perm[i]] = -row[perm[i]]
		}
	}
	return out, nil
}

// BitAccuracy returns the fraction of equal signs of a and b (same shape).
func BitAccuracy(a, b *tensor.Dense[float64]) float64 {
	same := 0
	for i, v := range a.Data {
		if (v > 0) == (b.Data[i] > 0) {
			same++
		}
	}
	return float64(same) / float64(len(a.Data))
}

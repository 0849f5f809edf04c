package data

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/ebm-go/ebm/tensor"
)

// A toyGen draws n points of one toy distribution.
type toyGen func(n int, rng *rand.Rand) *tensor.Dense[float64]

// toys lists the toy distributions in the order ToyNames reports them.
var toys = []struct {
	name string
	gen  toyGen
}{
	{"8gaussians", EightGaussians},
	{"checkerboard", Checkerboard},
	{"2spirals", TwoSpirals},
	{"swissroll", SwissRoll},
	{"moons", Moons},
	{"rings", Rings},
	{"pinwheel", Pinwheel},
	{"circles", Circles},
	{"25gaussians", TwentyFiveGaussians},
}

// ToyNames returns the names [Toy] accepts: 8gaussians, checkerboard, 2spirals,
// swissroll, moons, rings, pinwheel, circles and 25gaussians. The slice is new on
// every call.
func ToyNames() []string {
	names := make([]string, len(toys))
	for i, t := range toys {
		names[i] = t.name
	}
	return names
}

// Toy returns n points (an n×2 matrix, one point per row) drawn from the named
// 2-D toy distribution, using rng. The names are those of [ToyNames]; see the
// generator of each (for example [EightGaussians]) for its exact definition.
// An unknown name, a negative n or a nil rng is an error (the per-distribution
// functions panic instead); n = 0 gives a 0×2 matrix.
func Toy(name string, n int, rng *rand.Rand) (*tensor.Dense[float64], error) {
	for _, t := range toys {
		if t.name != name {
			continue
		}
		if n < 0 {
			return nil, fmt.Errorf("data: toy %q: negative number of points %d", name, n)
		}
		if rng == nil {
			return nil, errors.New("data: toy " + name + ": nil random source")
		}
		return t.gen(n, rng), nil
	}
	return nil, fmt.Errorf("data: unknown toy data set %q (valid: %s)", name, strings.Join(ToyNames(), ", "))
}

// eightUnit holds the unit vectors (cos kπ/4, sin kπ/4), k = 0..7, written out so
// that the axis centres are exact.
var eightUnit = [8][2]float64{
	{1, 0}, {math.Sqrt2 / 2, math.Sqrt2 / 2}, {0, 1}, {-math.Sqrt2 / 2, math.Sqrt2 / 2},
	{-1, 0}, {-math.Sqrt2 / 2, -math.Sqrt2 / 2}, {0, -1}, {math.Sqrt2 / 2, -math.Sqrt2 / 2},
}

const (
	eightScale  = 4.0   // radius of the centres before the division
	eightStd    = 0.5   // component standard deviation before the division
	eightDivide = 1.414 // FFJORD's final division (an approximation of √2, kept as is)
)

// EightGaussiansEntropy is the differential entropy, in nats, of the 8gaussians
// distribution ([EightGaussians]): −∫ p log p, computed by quadrature of
// [EightGaussiansLogPDF] to 10 digits (and checked by Monte Carlo in the tests).
// No model can have an expected negative log-likelihood below it. The
// components overlap slightly, so it is 0.0063 nats below the well-separated
// value log 8 + log(2πe·σ²) = 2.8382.
const EightGaussiansEntropy = 2.8318804061

// EightGaussians returns n points of the "8gaussians" distribution: a mixture of
// 8 Gaussians with equal weights. Point = (c_k + 0.5·z) / 1.414 with
// c_k = 4·(cos kπ/4, sin kπ/4), k uniform on {0..7}, z ~ N(0, I₂); so the centres
// lie on the circle of radius 4/1.414 ≈ 2.829 and every component is isotropic
// with standard deviation 0.5/1.414 ≈ 0.354. Its density is
// [EightGaussiansLogPDF] and its entropy [EightGaussiansEntropy].
func EightGaussians(n int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, 2)
	for i := range n {
		c := eightUnit[rng.IntN(8)]
		x.Data[2*i] = (eightScale*c[0] + eightStd*rng.NormFloat64()) / eightDivide
		x.Data[2*i+1] = (eightScale*c[1] + eightStd*rng.NormFloat64()) / eightDivide
	}
	return x
}

// EightGaussiansLogPDF returns the exact log density of the 8gaussians
// distribution at the 2-D point x:
//
//	log p(x) = log( (1/8) Σ_k N(x; c_k/1.414, σ²I) ),  σ = 0.5/1.414,
//
// with c_k = 4·(cos kπ/4, sin kπ/4), evaluated stably by log-sum-exp. It panics
// if len(x) != 2.
func EightGaussiansLogPDF(x []float64) float64 {
	if len(x) != 2 {
		panic(fmt.Sprintf("data: EightGaussiansLogPDF of a %d-dimensional point", len(x)))
	}
	const r = eightScale / eightDivide
	const s = eightStd / eightDivide
	var l [8]float64
	m := math.Inf(-1)
	for k, c := range eightUnit {
		dx, dy := x[0]-r*c[0], x[1]-r*c[1]
		l[k] = -(dx*dx + dy*dy) / (2 * s * s)
		m = max(m, l[k])
	}
	var sum float64
	for _, v := range l {
		sum += math.Exp(v - m)
	}
	return m + math.Log(sum) - math.Log(8) - math.Log(2*math.Pi*s*s)
}

// Checkerboard returns n points of the "checkerboard" distribution: uniform on
// the 8 squares [2a, 2a+2) × [2b, 2b+2), a, b ∈ {−2, −1, 0, 1}, with a + b even,
// inside [−4, 4)² (density 1/32 there). As in FFJORD: x₁ = 4u − 2,
// x₂ = u′ − 2·B + (⌊x₁⌋ mod 2), point = 2·(x₁, x₂), with u, u′ uniform on [0, 1)
// and B a fair coin in {0, 1}.
func Checkerboard(n int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, 2)
	for i := range n {
		x1 := 4*rng.Float64() - 2
		x2 := rng.Float64() - 2*float64(rng.IntN(2))
		x2 += float64(int(math.Floor(x1)) & 1) // ⌊x₁⌋ mod 2, non-negative as in Python
		x.Data[2*i] = 2 * x1
		x.Data[2*i+1] = 2 * x2
	}
	return x
}

// TwoSpirals returns n points of the "2spirals" distribution: two interleaved
// spirals, point-symmetric about the origin. As in FFJORD: t = 3π·√u (the angle,
// up to 540°), d = (−t·cos t + 0.5·u₁, t·sin t + 0.5·u₂), d is negated with
// probability 1/2 (the second spiral), and point = d/3 + 0.1·z, with u, u₁, u₂
// uniform on [0, 1) and z ~ N(0, I₂).
func TwoSpirals(n int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, 2)
	for i := range n {
		t := 3 * math.Pi * math.Sqrt(rng.Float64())
		dx := -t*math.Cos(t) + 0.5*rng.Float64()
		dy := t*math.Sin(t) + 0.5*rng.Float64()
		if rng.IntN(2) == 1 {
			dx, dy = -dx, -dy
		}
		x.Data[2*i] = dx/3 + 0.1*rng.NormFloat64()
		x.Data[2*i+1] = dy/3 + 0.1*rng.NormFloat64()
	}
	return x
}

// SwissRoll returns n points of the "swissroll" distribution: scikit-learn's
// make_swiss_roll(noise=1.0) projected on its first and third coordinates and
// divided by 5, as in FFJORD. With t = 1.5π·(1 + 2u), u uniform on [0, 1), and
// z ~ N(0, I₂): point = (t·cos t + z₁, t·sin t + z₂) / 5.
func SwissRoll(n int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, 2)
	for i := range n {
		t := 1.5 * math.Pi * (1 + 2*rng.Float64())
		x.Data[2*i] = (t*math.Cos(t) + rng.NormFloat64()) / 5
		x.Data[2*i+1] = (t*math.Sin(t) + rng.NormFloat64()) / 5
	}
	return x
}

// Moons returns n points of the "moons" distribution: scikit-learn's
// make_moons(noise=0.1), then ×2 + (−1, −0.2), as in FFJORD. With θ uniform on
// [0, π] and z ~ N(0, I₂), each point is, with probability 1/2 each, on the upper
// moon m = (cos θ, sin θ) or on the lower moon m = (1 − cos θ, 0.5 − sin θ), and
// point = 2·(m + 0.1·z) + (−1, −0.2). Without noise the upper moon spans
// [−3, 1] × [−0.2, 1.8] and the lower one [−1, 3] × [−1.2, 0.8]; the mean is
// (0, 0.3).
func Moons(n int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, 2)
	for i := range n {
		lower := rng.IntN(2) == 1
		th := math.Pi * rng.Float64()
		mx, my := math.Cos(th), math.Sin(th)
		if lower {
			mx, my = 1-mx, 0.5-my
		}
		x.Data[2*i] = 2*(mx+0.1*rng.NormFloat64()) - 1
		x.Data[2*i+1] = 2*(my+0.1*rng.NormFloat64()) - 0.2
	}
	return x
}

// Rings returns n points of the "rings" distribution: four concentric circles of
// radii 3, 2.25, 1.5 and 0.75 (FFJORD's 1, 0.75, 0.5, 0.25 times 3), chosen with
// probability 1/4 each. Point = r·(cos θ, sin θ) + 0.08·z with θ uniform on
// [0, 2π) and z ~ N(0, I₂).
func Rings(n int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, 2)
	for i := range n {
		r := 3 * (1 - 0.25*float64(rng.IntN(4)))
		th := 2 * math.Pi * rng.Float64()
		x.Data[2*i] = r*math.Cos(th) + 0.08*rng.NormFloat64()
		x.Data[2*i+1] = r*math.Sin(th) + 0.08*rng.NormFloat64()
	}
	return x
}

// Pinwheel returns n points of the "pinwheel" distribution: five curved arms, as
// in FFJORD (radial std 0.3, tangential std 0.1, 5 classes, rate 0.25). With k
// uniform on {0..4} and z ~ N(0, I₂): f = (1 + 0.3·z₁, 0.1·z₂),
// a = 2πk/5 + 0.25·exp(f₁), and point = 2·(f₁·cos a + f₂·sin a, −f₁·sin a + f₂·cos a)
// (FFJORD's row vector f times [[cos a, −sin a], [sin a, cos a]]).
// E|point|² = 4·(1 + 0.09 + 0.01) = 4.4.
func Pinwheel(n int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, 2)
	for i := range n {
		k := rng.IntN(5)
		f1 := 1 + 0.3*rng.NormFloat64()
		f2 := 0.1 * rng.NormFloat64()
		a := 2*math.Pi*float64(k)/5 + 0.25*math.Exp(f1)
		s, c := math.Sincos(a)
		x.Data[2*i] = 2 * (f1*c + f2*s)
		x.Data[2*i+1] = 2 * (-f1*s + f2*c)
	}
	return x
}

// Circles returns n points of the "circles" distribution: scikit-learn's
// make_circles(factor=0.5, noise=0.08) times 3, as in FFJORD. Two concentric
// circles of radii 3 and 1.5, probability 1/2 each; point = r·(cos θ, sin θ) +
// 0.24·z with θ uniform on [0, 2π) and z ~ N(0, I₂).
func Circles(n int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, 2)
	for i := range n {
		r := 3.0
		if rng.IntN(2) == 1 {
			r = 1.5
		}
		th := 2 * math.Pi * rng.Float64()
		x.Data[2*i] = r*math.Cos(th) + 0.24*rng.NormFloat64()
		x.Data[2*i+1] = r*math.Sin(th) + 0.24*rng.NormFloat64()
	}
	return x
}

// TwentyFiveGaussians returns n points of the "25gaussians" distribution of
// WGAN-GP (Gulrajani et al. 2017; FFJORD has no such set): a 5×5 grid of
// Gaussians with equal weights. Point = (2i + 0.05·z₁, 2j + 0.05·z₂) / 2.828 with
// i, j independent and uniform on {−2..2} and z ~ N(0, I₂); so the centres are
// 2(i, j)/2.828 (spacing ≈ 0.707) and the component standard deviation is
// 0.05/2.828 ≈ 0.0177.
func TwentyFiveGaussians(n int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, 2)
	for i := range n {
		a := float64(rng.IntN(5) - 2)
		b := float64(rng.IntN(5) - 2)
		x.Data[2*i] = (2*a + 0.05*rng.NormFloat64()) / 2.828
		x.Data[2*i+1] = (2*b + 0.05*rng.NormFloat64()) / 2.828
	}
	return x
}

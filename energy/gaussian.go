package energy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// maxCond is the largest covariance condition number the constructors accept;
// beyond it the precision matrix is mostly rounding error.
const maxCond = 1e14

var log2Pi = math.Log(2 * math.Pi)

// Gaussian is the multivariate normal N(μ, Σ) as an energy:
//
//	E(x) = ½ (x − μ)ᵀ Σ⁻¹ (x − μ),    LogZ = ½ log det(2πΣ),
//
// so E is the unnormalized quadratic form (zero at the mean) and
// p(x) = exp(−E(x) − LogZ()). The gradient is Σ⁻¹(x − μ).
//
// Σ is factorized once in the constructor (Cholesky); a diagonal Σ is detected
// and evaluated in O(d) per point with O(d) memory, a full one in O(d²). (For
// the equicorrelated Σ = s²((1−ρ)I + ρ11ᵀ) in O(d), see EquiGaussian.) Smoothed(σ) is the exact
// N(μ, Σ + σ²I). A Gaussian is immutable and safe for concurrent use; its methods
// allocate nothing once warm (Sample allocates its result).
type Gaussian struct {
	d    int
	mean []float64
	diag bool
	vars []float64     // diagonal of Σ
	sd   []float64     // diag: √vars
	prec []float64     // diag: 1/vars (len d); full: Σ⁻¹ row-major d×d
	chol []float64     // full: lower Cholesky factor L of Σ = LLᵀ, row-major d×d
	cov  *mat.SymDense // full only; Cov builds the diagonal one on demand
	logZ float64
}

// NewGaussian returns N(mean, cov). It returns an error if mean is empty or has a
// non-finite entry, if cov is nil, of another dimension or not finite, or if cov
// is not positive definite (or so badly conditioned, condition number > 1e14,
// that its inverse is meaningless). cov is copied. A cov whose off-diagonal
// entries are all zero gets the O(d) diagonal path.
func NewGaussian(mean []float64, cov *mat.SymDense) (*Gaussian, error) {
	d := len(mean)
	if d == 0 {
		return nil, errors.New("energy: Gaussian: empty mean")
	}
	if cov == nil {
		return nil, errors.New("energy: Gaussian: nil covariance")
	}
	if n := cov.SymmetricDim(); n != d {
		return nil, fmt.Errorf("energy: Gaussian: mean has dimension %d, covariance %d×%d", d, n, n)
	}
	for i, v := range mean {
		if !finite(v) {
			return nil, fmt.Errorf("energy: Gaussian: mean[%d] = %v", i, v)
		}
	}
	isDiag := true
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			v := cov.At(i, j)
			if !finite(v) {
				return nil, fmt.Errorf("energy: Gaussian: covariance[%d][%d] = %v", i, j, v)
			}
			if j != i && v != 0 {
				isDiag = false
			}
		}
	}
	if isDiag {
		vars := make([]float64, d)
		for i := range vars {
			vars[i] = cov.At(i, i)
		}
		return NewDiagGaussian(mean, vars)
	}
	var ch mat.Cholesky
	if ok := ch.Factorize(cov); !ok {
		return nil, errors.New("energy: Gaussian: covariance is not positive definite")
	}
	if c := ch.Cond(); !(c <= maxCond) {
		return nil, fmt.Errorf("energy: Gaussian: covariance is numerically singular (condition number %.3g > %.0g)", c, maxCond)
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return nil, fmt.Errorf("energy: Gaussian: inverting covariance: %v", err)
	}
	var L mat.TriDense
	ch.LTo(&L)
	g := &Gaussian{
		d:    d,
		mean: append([]float64(nil), mean...),
		vars: make([]float64, d),
		prec: make([]float64, d*d),
		chol: make([]float64, d*d),
		cov:  mat.NewSymDense(d, nil),
		logZ: 0.5 * (float64(d)*log2Pi + ch.LogDet()),
	}
	g.cov.CopySym(cov)
	for i := 0; i < d; i++ {
		g.vars[i] = cov.At(i, i)
		for j := 0; j < d; j++ {
			g.prec[i*d+j] = inv.At(i, j)
			if j <= i {
				g.chol[i*d+j] = L.At(i, j)
			}
		}
	}
	if !finite(g.logZ) {
		return nil, errors.New("energy: Gaussian: log det of covariance is not finite")
	}
	return g, nil
}

// NewDiagGaussian returns N(mean, diag(variances)): independent coordinates. It
// returns an error if the lengths differ or are zero, or if a mean is not finite
// or a variance is not finite and positive.
func NewDiagGaussian(mean, variances []float64) (*Gaussian, error) {
	d := len(mean)
	if d == 0 {
		return nil, errors.New("energy: Gaussian: empty mean")
	}
	if len(variances) != d {
		return nil, fmt.Errorf("energy: Gaussian: %d means but %d variances", d, len(variances))
	}
	g := &Gaussian{
		d:    d,
		mean: append([]float64(nil), mean...),
		diag: true,
		vars: append([]float64(nil), variances...),
		sd:   make([]float64, d),
		prec: make([]float64, d),
	}
	logDet := 0.0
	for i, v := range variances {
		if !finite(mean[i]) {
			return nil, fmt.Errorf("energy: Gaussian: mean[%d] = %v", i, mean[i])
		}
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("energy: Gaussian: variance[%d] = %v, want finite and > 0", i, v)
		}
		g.sd[i] = math.Sqrt(v)
		g.prec[i] = 1 / v
		if math.IsInf(g.prec[i], 0) {
			return nil, fmt.Errorf("energy: Gaussian: variance[%d] = %v is too small to invert", i, v)
		}
		logDet += math.Log(v)
	}
	g.logZ = 0.5 * (float64(d)*log2Pi + logDet)
	return g, nil
}

// NewIsoGaussian returns N(mean, std²·I).
func NewIsoGaussian(mean []float64, std float64) (*Gaussian, error) {
	if !(std > 0) || math.IsInf(std, 0) {
		return nil, fmt.Errorf("energy: Gaussian: std = %v, want finite and > 0", std)
	}
	vars := make([]float64, len(mean))
	for i := range vars {
		vars[i] = std * std
	}
	return NewDiagGaussian(mean, vars)
}

// Dim returns d.
func (g *Gaussian) Dim() int { return g.d }

// LogZ returns ½ log det(2πΣ).
func (g *Gaussian) LogZ() float64 { return g.logZ }

// Mean returns a copy of μ.
func (g *Gaussian) Mean() []float64 { return append([]float64(nil), g.mean...) }

// Cov returns a copy of Σ, a d×d matrix (d² memory even for a diagonal Σ;
// Var gives the diagonal alone).
func (g *Gaussian) Cov() *mat.SymDense {
	c := mat.NewSymDense(g.d, nil)
	if g.diag {
		for i, v := range g.vars {
			c.SetSym(i, i, v)
		}
		return c
	}
	c.CopySym(g.cov)
	return c
}

// covAt returns Σᵢⱼ.
func (g *Gaussian) covAt(i, j int) float64 {
	if g.diag {
		if i == j {
			return g.vars[i]
		}
		return 0
	}
	return g.cov.At(i, j)
}

// Var returns a copy of the variances, the diagonal of Σ.
func (g *Gaussian) Var() []float64 { return append([]float64(nil), g.vars...) }

// IsDiag reports whether Σ is diagonal (and the O(d) path is used).
func (g *Gaussian) IsDiag() bool { return g.diag }

// quadGrad writes v = Σ⁻¹(x − μ) and returns the quadratic form (x − μ)ᵀΣ⁻¹(x − μ).
// diff is scratch of length d (unused for a diagonal Σ).
func (g *Gaussian) quadGrad(x, v, diff []float64) float64 {
	mu := g.mean
	x = x[:len(mu)]
	v = v[:len(mu)]
	q := 0.0
	if g.diag {
		p := g.prec[:len(mu)]
		for j, xj := range x {
			t := xj - mu[j]
			s := p[j] * t
			v[j] = s
			q += t * s
		}
		return q
	}
	d := g.d
	diff = diff[:d]
	for j, xj := range x {
		diff[j] = xj - mu[j]
	}
	for j := 0; j < d; j++ {
		s := dot(g.prec[j*d:(j+1)*d], diff)
		v[j] = s
		q += diff[j] * s
	}
	return q
}

// Energy writes ½(x_i − μ)ᵀΣ⁻¹(x_i − μ) into e[i]. It gives bit-for-bit the
// energies of EnergyGrad.
func (g *Gaussian) Energy(x *tensor.Dense[float64], e []float64) {
	mustBatch("Gaussian.Energy", g.d, x, e, nil, false)
	d := g.d
	buf := getScratch(2 * d)
	v, diff := buf.buf[:d], buf.buf[d:]
	for i := range e {
		e[i] = 0.5 * g.quadGrad(x.Data[i*d:(i+1)*d], v, diff)
	}
	putScratch(buf)
}

// EnergyGrad writes the energies into e and Σ⁻¹(x_i − μ) into row i of gr.
func (g *Gaussian) EnergyGrad(x *tensor.Dense[float64], e []float64, gr *tensor.Dense[float64]) {
	mustBatch("Gaussian.EnergyGrad", g.d, x, e, gr, true)
	d := g.d
	var buf *scratch
	var diff []float64
	if !g.diag {
		buf = getScratch(d)
		diff = buf.buf
	}
	for i := range e {
		e[i] = 0.5 * g.quadGrad(x.Data[i*d:(i+1)*d], gr.Data[i*d:(i+1)*d], diff)
	}
	if buf != nil {
		putScratch(buf)
	}
}

// sampleInto writes one exact sample into dst (len d).
func (g *Gaussian) sampleInto(dst []float64, rng *rand.Rand) {
	d := g.d
	dst = dst[:d]
	if g.diag {
		for j := range dst {
			dst[j] = g.mean[j] + g.sd[j]*rng.NormFloat64()
		}
		return
	}
	for j := range dst {
		dst[j] = rng.NormFloat64()
	}
	// dst ← μ + L·z in place, from the last row down (row j uses z_0..z_j).
	for j := d - 1; j >= 0; j-- {
		dst[j] = g.mean[j] + dot(g.chol[j*d:j*d+j+1], dst[:j+1])
	}
}

// Sample returns n exact samples μ + Lξ (Σ = LLᵀ, ξ ~ N(0, I)), one per row.
func (g *Gaussian) Sample(n int, rng *rand.Rand) *tensor.Dense[float64] {
	out := tensor.New[float64](n, g.d)
	for i := 0; i < n; i++ {
		g.sampleInto(out.Row(i), rng)
	}
	return out
}

// Smoothed returns the exact smoothed energy N(μ, Σ + σ²I); σ = 0 returns g. It
// panics if σ is negative or not finite.
func (g *Gaussian) Smoothed(sigma float64) GradEnergy { return g.smoothed(sigma) }

func (g *Gaussian) smoothed(sigma float64) *Gaussian {
	checkSigma("Gaussian", sigma)
	if sigma == 0 {
		return g
	}
	s2 := sigma * sigma
	var (
		out *Gaussian
		err error
	)
	if g.diag {
		vars := make([]float64, g.d)
		for i, v := range g.vars {
			vars[i] = v + s2
		}
		out, err = NewDiagGaussian(g.mean, vars)
	} else {
		c := g.Cov()
		for i := 0; i < g.d; i++ {
			c.SetSym(i, i, c.At(i, i)+s2)
		}
		out, err = NewGaussian(g.mean, c)
	}
	if err != nil { // only for absurd σ (overflow of σ²)
		panic(fmt.Sprintf("energy: Gaussian.Smoothed(%v): %v", sigma, err))
	}
	return out
}

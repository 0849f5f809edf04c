package energy

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/ebm-go/ebm/tensor"
)

// scratch is pooled working space. The energies take it from scratchPool for the
// duration of a call, so they need no buffers in their structs (and stay safe for
// concurrent use) and allocate nothing per call once the pool is warm. m is a
// matrix header for wrapping part of buf and handing it to another energy (a
// header on the stack would escape through the interface call and allocate).
type scratch struct {
	buf []float64
	m   tensor.Dense[float64]
}

var scratchPool = sync.Pool{New: func() any { return &scratch{buf: make([]float64, 0, 64)} }}

// getScratch returns pooled scratch whose buf has length n (contents undefined);
// give it back with putScratch.
func getScratch(n int) *scratch {
	s := scratchPool.Get().(*scratch)
	if cap(s.buf) < n {
		s.buf = make([]float64, n)
	}
	s.buf = s.buf[:n]
	return s
}

func putScratch(s *scratch) {
	s.m = tensor.Dense[float64]{}
	scratchPool.Put(s)
}

// mustBatch panics with a clear message if x, e (and g, when wantG) do not form a
// valid call for an energy of dimension d. Wrong shapes are programming errors;
// samplers call CheckBatch once up front instead.
func mustBatch(who string, d int, x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64], wantG bool) {
	switch {
	case x == nil:
		panic("energy: " + who + ": nil batch")
	case x.Cols != d || len(x.Data) != x.Rows*x.Cols:
		panic(fmt.Sprintf("energy: %s: batch is %d×%d (%d elements), want n×%d", who, x.Rows, x.Cols, len(x.Data), d))
	case len(e) != x.Rows:
		panic(fmt.Sprintf("energy: %s: len(e) = %d for a batch of %d points", who, len(e), x.Rows))
	}
	if wantG && (g == nil || g.Rows != x.Rows || g.Cols != d || len(g.Data) != x.Rows*d) {
		if g == nil {
			panic("energy: " + who + ": nil gradient destination")
		}
		panic(fmt.Sprintf("energy: %s: gradient destination is %d×%d, want %d×%d", who, g.Rows, g.Cols, x.Rows, d))
	}
}

// CheckBatch reports whether x is a valid batch for e: non-nil, Cols equal to
// e.Dim(), and Data holding exactly Rows*Cols values. Samplers call it once up
// front; the energies' methods panic on a bad batch.
func CheckBatch(e Energy, x *tensor.Dense[float64]) error {
	if e == nil {
		return errors.New("energy: nil energy")
	}
	if x == nil {
		return errors.New("energy: nil batch")
	}
	if x.Rows < 0 || x.Cols < 0 || len(x.Data) != x.Rows*x.Cols {
		return fmt.Errorf("energy: malformed batch: %d×%d with %d elements", x.Rows, x.Cols, len(x.Data))
	}
	if x.Cols != e.Dim() {
		return fmt.Errorf("energy: batch has %d columns, energy has dimension %d", x.Cols, e.Dim())
	}
	return nil
}

// DefaultGradStep is the relative step CheckGrad uses when given h = 0.
const DefaultGradStep = 1e-4

// CheckGrad is the gradient checker to run on your own energies before handing
// them to a gradient-based sampler. It compares e.EnergyGrad's gradient at every
// point of the batch x with fourth-order central differences of e.Energy,
//
//	∂E/∂x_j ≈ [E(x − 2h_j) − 8E(x − h_j) + 8E(x + h_j) − E(x + 2h_j)] / (12 h_j),
//
// with the step h_j = h·max(1, |x_j|) (h = 0 selects DefaultGradStep), and
// returns the largest error, measured as
//
//	|fd − g| / max(1, |fd|, |g|)
//
// (relative for gradients larger than 1, absolute below). A correct gradient
// typically gives 1e-8 or less at the default step; a wrong one gives O(1).
//
// It also checks, and reports as an error, what a correct implementation must
// satisfy besides the gradient: the batch is valid for e (CheckBatch); the
// energies written by EnergyGrad equal those of Energy (to a relative 1e-10);
// EnergyGrad overwrites e and g rather than accumulating into them (they are
// filled with NaN before the call); neither method modifies x; and every energy,
// gradient and finite difference is finite. An error is also returned for h < 0
// or a non-finite h. A gradient that is merely wrong is not an error: compare
// maxRelErr with your tolerance.
//
// CheckGrad makes 4·d+2 calls on the whole batch and allocates; it is a testing
// tool, not for hot loops.
func CheckGrad(e GradEnergy, x *tensor.Dense[float64], h float64) (maxRelErr float64, err error) {
	if err := CheckBatch(e, x); err != nil {
		return 0, err
	}
	if h < 0 || math.IsNaN(h) || math.IsInf(h, 0) {
		return 0, fmt.Errorf("energy: CheckGrad: step h = %v, want h ≥ 0 and finite", h)
	}
	if h == 0 {
		h = DefaultGradStep
	}
	if i := x.HasNaNInf(); i >= 0 {
		return 0, fmt.Errorf("energy: CheckGrad: batch element %d is %v", i, x.Data[i])
	}
	n, d := x.Rows, x.Cols
	orig := x.Clone()

	e0 := make([]float64, n)
	e.Energy(x, e0)
	if !equalData(x.Data, orig.Data) {
		return 0, errors.New("energy: CheckGrad: Energy modified its input batch")
	}
	eg := make([]float64, n)
	g := tensor.New[float64](n, d)
	for i := range eg {
		eg[i] = math.NaN()
	}
	g.Fill(math.NaN())
	e.EnergyGrad(x, eg, g)
	if !equalData(x.Data, orig.Data) {
		return 0, errors.New("energy: CheckGrad: EnergyGrad modified its input batch")
	}
	for i := 0; i < n; i++ {
		if math.IsNaN(e0[i]) || math.IsInf(e0[i], 0) {
			return 0, fmt.Errorf("energy: CheckGrad: Energy gives %v at point %d", e0[i], i)
		}
		if math.IsNaN(eg[i]) || math.IsInf(eg[i], 0) {
			return 0, fmt.Errorf("energy: CheckGrad: EnergyGrad gives energy %v at point %d (does it write e?)", eg[i], i)
		}
		if math.Abs(e0[i]-eg[i]) > 1e-10*math.Max(1, math.Abs(e0[i])) {
			return 0, fmt.Errorf("energy: CheckGrad: at point %d Energy gives %.17g but EnergyGrad gives %.17g", i, e0[i], eg[i])
		}
	}
	if k := g.HasNaNInf(); k >= 0 {
		return 0, fmt.Errorf("energy: CheckGrad: gradient [%d, %d] is %v (does EnergyGrad write every element of g?)", k/d, k%d, g.Data[k])
	}

	xs := orig.Clone()
	ep2, ep1, em1, em2 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	steps := make([]float64, n)
	for j := 0; j < d; j++ {
		for i := 0; i < n; i++ {
			x0 := orig.Data[i*d+j]
			t := x0 + h*math.Max(1, math.Abs(x0))
			steps[i] = t - x0 // exactly representable step
		}
		for k, out := range [4][]float64{em2, em1, ep1, ep2} {
			m := [4]float64{-2, -1, 1, 2}[k]
			for i := 0; i < n; i++ {
				xs.Data[i*d+j] = orig.Data[i*d+j] + m*steps[i]
			}
			e.Energy(xs, out)
		}
		for i := 0; i < n; i++ {
			xs.Data[i*d+j] = orig.Data[i*d+j]
			fd := (em2[i] - 8*em1[i] + 8*ep1[i] - ep2[i]) / (12 * steps[i])
			if math.IsNaN(fd) || math.IsInf(fd, 0) {
				return 0, fmt.Errorf("energy: CheckGrad: finite difference of coordinate %d at point %d is %v", j, i, fd)
			}
			gij := g.Data[i*d+j]
			r := math.Abs(fd-gij) / math.Max(1, math.Max(math.Abs(fd), math.Abs(gij)))
			if r > maxRelErr {
				maxRelErr = r
			}
		}
	}
	return maxRelErr, nil
}

func equalData(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// dot returns Σ a[i]·b[i] over len(a) elements.
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// checkSigma panics unless sigma is finite and ≥ 0 (Smoothed cannot return an
// error; a bad σ is a programming error).
func checkSigma(who string, sigma float64) {
	if !(sigma >= 0) || math.IsInf(sigma, 0) {
		panic(fmt.Sprintf("energy: %s.Smoothed: sigma = %v, want finite σ ≥ 0", who, sigma))
	}
}

package metric

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/tensor"
)

// gbrbm is the Gaussian-Bernoulli RBM of Liu, Lee & Jordan (2016), §6:
// p(x, h) ∝ exp(½xᵀBh + bᵀx + cᵀh − ½‖x‖²), h ∈ {±1}^dh, whose marginal
// has the score s(x) = b − x + ½B tanh(½Bᵀx + c) and is sampled exactly in
// the limit by Gibbs: x | h ~ N(b + ½Bh, I), p(h_j = 1 | x) = σ(Bᵀx + 2c)_j.
type gbrbm struct {
	dx, dh int
	B      []float64 // dx×dh
	b, c   []float64
}

func newGBRBM(dx, dh int, rng *rand.Rand) *gbrbm {
	r := &gbrbm{dx: dx, dh: dh, B: make([]float64, dx*dh), b: make([]float64, dx), c: make([]float64, dh)}
	for i := range r.B {
		r.B[i] = 1
		if rng.Uint64()&1 == 0 {
			r.B[i] = -1
		}
	}
	for i := range r.b {
		r.b[i] = rng.NormFloat64()
	}
	for i := range r.c {
		r.c[i] = rng.NormFloat64()
	}
	return r
}

func (r *gbrbm) perturbed(sd float64, rng *rand.Rand) *gbrbm {
	q := &gbrbm{dx: r.dx, dh: r.dh, B: append([]float64(nil), r.B...), b: r.b, c: r.c}
	for i := range q.B {
		q.B[i] += sd * rng.NormFloat64()
	}
	return q
}

func (r *gbrbm) score(x *tensor.Dense[float64]) *tensor.Dense[float64] {
	s := tensor.New[float64](x.Rows, r.dx)
	a := make([]float64, r.dh)
	for i := 0; i < x.Rows; i++ {
		xi := x.Row(i)
		for j := 0; j < r.dh; j++ {
			v := r.c[j]
			for k := 0; k < r.dx; k++ {
				v += 0.5 * r.B[k*r.dh+j] * xi[k]
			}
			a[j] = math.Tanh(v)
		}
		for k := 0; k < r.dx; k++ {
			v := r.b[k] - xi[k]
			for j := 0; j < r.dh; j++ {
				v += 0.5 * r.B[k*r.dh+j] * a[j]
			}
			s.Data[i*r.dx+k] = v
		}
	}
	return s
}

// sample draws n points, each the end of its own Gibbs chain after burn
// sweeps from h uniform on {±1}^dh.
func (r *gbrbm) sample(n, burn int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, r.dx)
	h := make([]float64, r.dh)
	for i := 0; i < n; i++ {
		xi := x.Row(i)
		for j := range h {
			h[j] = 1
			if rng.Uint64()&1 == 0 {
				h[j] = -1
			}
		}
		for t := 0; t < burn; t++ {
			for k := 0; k < r.dx; k++ {
				m := r.b[k]
				for j := 0; j < r.dh; j++ {
					m += 0.5 * r.B[k*r.dh+j] * h[j]
				}
				xi[k] = m + rng.NormFloat64()
			}
			for j := 0; j < r.dh; j++ {
				v := 2 * r.c[j]
				for k := 0; k < r.dx; k++ {
					v += r.B[k*r.dh+j] * xi[k]
				}
				h[j] = -1
				if rng.Float64() < 1/(1+math.Exp(-v)) {
					h[j] = 1
				}
			}
		}
	}
	return x
}

// TestKSDTestPowerGBRBM (EBM_LONG=1) is the power benchmark of Liu et al.
// (2016): a Gaussian-Bernoulli RBM with dx = 50, dh = 10; samples of the RBM
// whose B is perturbed by N(0, σ²) noise are tested against the original.
// It logs the rejection rate at α = 0.05 per σ (σ = 0 is the null) and, with
// EBM_STEIN_OUT set, writes ksd-power.png there.
func TestKSDTestPowerGBRBM(t *testing.T) {
	if os.Getenv("EBM_LONG") == "" {
		t.Skip("EBM_LONG=1 runs the power benchmark")
	}
	n, R, burn, boot := 500, 50, 1000, 500
	sds := []float64{0, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1}
	if os.Getenv("EBM_STEIN_QUICK") != "" { // a smaller run: 20 replications, 5 levels
		R, burn, boot = 20, 500, 300
		sds = []float64{0, 0.02, 0.04, 0.06, 0.1}
	}
	rng := rand.New(rand.NewPCG(2016, 6))
	p := newGBRBM(50, 10, rng)
	rates := map[string][]float64{}
	kernels := []string{"imq", "rbf"}
	for _, sd := range sds {
		rej := map[string]int{}
		for r := 0; r < R; r++ {
			q := p.perturbed(sd, rng)
			x := q.sample(n, burn, rng)
			s := p.score(x)
			for _, kern := range kernels {
				res, err := KSDTest(x, s, KSDTestOptions{Kernel: kern, Bootstrap: boot, Seed: uint64(r)})
				if err != nil {
					t.Fatal(err)
				}
				if res.PValue <= 0.05 {
					rej[kern]++
				}
			}
		}
		for _, kern := range kernels {
			rates[kern] = append(rates[kern], float64(rej[kern])/float64(R))
		}
	}
	t.Logf("| perturbation σ | rejection rate, IMQ | rejection rate, RBF (median h) |")
	t.Logf("|---|---|---|")
	for i, sd := range sds {
		t.Logf("| %.2f | %.2f | %.2f |", sd, rates["imq"][i], rates["rbf"][i])
	}
	if rates["imq"][len(sds)-1] < 0.5 {
		t.Errorf("power at σ = %.2f only %.2f", sds[len(sds)-1], rates["imq"][len(sds)-1])
	}
	if dir := os.Getenv("EBM_STEIN_OUT"); dir != "" {
		err := plot.Lines(filepath.Join(dir, "ksd-power.png"), fmt.Sprintf("KSD test power: GB-RBM dx=50, dh=10, n=%d, %d replications, alpha=0.05", n, R),
			"perturbation sd of B", "rejection rate",
			[]plot.Series{{Name: "IMQ", X: sds, Y: rates["imq"]}, {Name: "RBF (median)", X: sds, Y: rates["rbf"]}}, plot.LineOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
}

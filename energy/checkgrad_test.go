package energy

import (
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

type namedEnergy struct {
	name string
	e    GradEnergy
}

// allEnergies returns one of every built-in and every composition, with varied
// parameters.
func allEnergies(t testing.TB) []namedEnergy {
	rng := newRNG(40)
	full4 := must(NewGaussian(randVec(rng, 4, 1), randSPD(rng, 4, 0.2)))
	gmm3 := must(NewGMM([]float64{1, 2, 3},
		[][]float64{randVec(rng, 3, 2), randVec(rng, 3, 2), randVec(rng, 3, 2)},
		[]*mat.SymDense{randSPD(rng, 3, 0.3), randSPD(rng, 3, 0.3), randSPD(rng, 3, 0.3)}))
	diagMix := must(NewMixture([]float64{1, 1}, []*Gaussian{
		must(NewDiagGaussian([]float64{1, 2}, []float64{0.5, 2})),
		must(NewGaussian([]float64{-1, 0}, mat.NewSymDense(2, []float64{1, -0.5, -0.5, 1}))),
	}))
	dw := must(NewDoubleWell(3, DefaultDoubleWellHeight))
	out := []namedEnergy{
		{"gaussian full", full4},
		{"gaussian diag", must(NewDiagGaussian([]float64{1, -1, 0}, []float64{0.1, 1, 10}))},
		{"gaussian smoothed", full4.Smoothed(0.3)},
		{"gmm full", gmm3},
		{"gmm smoothed", gmm3.Smoothed(1)},
		{"gmm mixed components", diagMix},
		{"8gaussians", EightGaussians()},
		{"8gaussians smoothed", EightGaussians().Smoothed(0.2)},
		{"ncsn", NCSNGMM()},
		{"doublewell", dw},
		{"doublewell 1-D", must(NewDoubleWell(1, 0.5))},
		{"banana", must(NewBanana(3, DefaultBananaB))},
		{"banana b=0.1", must(NewBanana(2, 0.1))},
		{"rastrigin", must(NewRastrigin(3, DefaultRastriginA, 1))},
		{"rastrigin hot", must(NewRastrigin(2, 5, 3))},
		{"sum", must(Sum(dw, must(NewBanana(3, 0.05)), gmm3))},
		{"temperature", must(Temperature(gmm3, 0.4))},
		{"shift", must(Shift(dw, []float64{1, -2, 0.5}))},
		{"sum of shifts", must(Sum(must(Shift(gmm3, []float64{1, 1, 1})), must(Temperature(dw, 3))))},
	}
	for _, name := range Names() {
		out = append(out, namedEnergy{"spec " + name, must(FromSpec(name, nil))})
	}
	return out
}

// Every energy's gradient matches fourth-order finite differences to 1e-6, at
// random points of several scales (well into the tails), and Energy gives the
// energies of EnergyGrad.
func TestCheckGradAllEnergies(t *testing.T) {
	rng := newRNG(41)
	for _, c := range allEnergies(t) {
		d := c.e.Dim()
		for _, scale := range []float64{0.5, 2, 10} {
			x := randBatch(rng, 8, d, scale)
			r, err := CheckGrad(c.e, x, 0)
			if err != nil {
				t.Errorf("%s scale %v: %v", c.name, scale, err)
				continue
			}
			if r > 1e-6 {
				t.Errorf("%s scale %v: max relative error %.3g", c.name, scale, r)
			}
		}
	}
}

// CheckGrad flags wrong gradients (large error) and broken implementations
// (errors).
type badEnergy struct {
	mode string
	d    int
}

func (b *badEnergy) Dim() int { return b.d }
func (b *badEnergy) Energy(x *tensor.Dense[float64], e []float64) {
	for i := range e {
		r := x.Row(i)
		e[i] = 0
		for _, v := range r {
			e[i] += v * v * v / 3
		}
		if b.mode == "modifies x" {
			r[0] += 1e-3
		}
	}
}
func (b *badEnergy) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	b.Energy(x, e)
	for i := range e {
		for j, v := range x.Row(i) {
			switch b.mode {
			case "wrong grad":
				g.Set(i, j, v*v*1.01)
			case "accumulates":
				g.Data[i*b.d+j] += v * v
			default:
				g.Set(i, j, v*v)
			}
		}
		if b.mode == "wrong energy" {
			e[i] += 1e-6
		}
		if b.mode == "no energy" {
			e[i] = math.NaN()
		}
	}
}

func TestCheckGradDetects(t *testing.T) {
	x := tensor.FromSlice(2, 2, []float64{1, 2, -0.5, 3})
	if r, err := CheckGrad(&badEnergy{"ok", 2}, x, 0); err != nil || r > 1e-9 {
		t.Errorf("correct energy: %v, %v", r, err)
	}
	if r, err := CheckGrad(&badEnergy{"wrong grad", 2}, x, 0); err != nil || r < 1e-3 {
		t.Errorf("wrong gradient: error %v, max rel err %v (want ≈ 0.01)", err, r)
	}
	for mode, want := range map[string]string{
		"wrong energy": "EnergyGrad gives",
		"accumulates":  "gradient",
		"modifies x":   "modified its input",
		"no energy":    "EnergyGrad gives energy NaN",
	} {
		_, err := CheckGrad(&badEnergy{mode, 2}, x.Clone(), 0)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", mode, err, want)
		}
	}
	for _, h := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := CheckGrad(&badEnergy{"ok", 2}, x, h); err == nil {
			t.Errorf("h = %v: no error", h)
		}
	}
	if _, err := CheckGrad(&badEnergy{"ok", 3}, x, 0); err == nil {
		t.Error("wrong batch width: no error")
	}
	if _, err := CheckGrad(&badEnergy{"ok", 2}, tensor.FromSlice(1, 2, []float64{1, math.Inf(1)}), 0); err == nil {
		t.Error("infinite point: no error")
	}
}

// Energy and EnergyGrad allocate nothing at batch 256 once warm.
func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	rng := newRNG(42)
	for _, c := range allEnergies(t) {
		x := randBatch(rng, 256, c.e.Dim(), 2)
		e := make([]float64, 256)
		g := tensor.New[float64](256, c.e.Dim())
		if a := testing.AllocsPerRun(20, func() { c.e.EnergyGrad(x, e, g) }); a != 0 {
			t.Errorf("%s: EnergyGrad allocates %v times per call", c.name, a)
		}
		if a := testing.AllocsPerRun(20, func() { c.e.Energy(x, e) }); a != 0 {
			t.Errorf("%s: Energy allocates %v times per call", c.name, a)
		}
	}
}

// The energies may be called from several goroutines at once (no shared scratch):
// concurrent results equal serial ones. Run with -race to check for races.
func TestConcurrentUse(t *testing.T) {
	rng := newRNG(43)
	for _, c := range allEnergies(t) {
		x := randBatch(rng, 64, c.e.Dim(), 2)
		want, wantG := energyGrad(c.e, x)
		var wg sync.WaitGroup
		errs := make([]string, 4)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for it := 0; it < 20; it++ {
					e, g := energyGrad(c.e, x)
					if !floatsEqual(e, want) || !floatsEqual(g.Data, wantG.Data) {
						errs[w] = "concurrent result differs"
						return
					}
				}
			}()
		}
		wg.Wait()
		for _, e := range errs {
			if e != "" {
				t.Errorf("%s: %s", c.name, e)
			}
		}
	}
}

func benchEnergyGrad(b *testing.B, e GradEnergy) {
	rng := newRNG(44)
	x := randBatch(rng, 256, e.Dim(), 2)
	out := make([]float64, 256)
	g := tensor.New[float64](256, e.Dim())
	e.EnergyGrad(x, out, g) // warm the scratch pool
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.EnergyGrad(x, out, g)
	}
}

func BenchmarkGaussianEnergyGrad50(b *testing.B) {
	benchEnergyGrad(b, must(FromSpec("illcond", map[string]string{"dim": "50"})))
}

func BenchmarkGaussianFullEnergyGrad50(b *testing.B) {
	benchEnergyGrad(b, must(FromSpec("gauss", map[string]string{"dim": "50", "rho": "0.5"})))
}

func BenchmarkGMMEnergyGrad(b *testing.B) { benchEnergyGrad(b, EightGaussians()) }

func BenchmarkGMMFullEnergyGrad10(b *testing.B) {
	rng := newRNG(45)
	w := make([]float64, 5)
	means := make([][]float64, 5)
	covs := make([]*mat.SymDense, 5)
	for k := range w {
		w[k], means[k], covs[k] = 1, randVec(rng, 10, 3), randSPD(rng, 10, 0.5)
	}
	benchEnergyGrad(b, must(NewGMM(w, means, covs)))
}

func BenchmarkDoubleWellEnergyGrad(b *testing.B) { benchEnergyGrad(b, must(NewDoubleWell(10, 4))) }
func BenchmarkBananaEnergyGrad(b *testing.B)     { benchEnergyGrad(b, must(NewBanana(10, 0.03))) }
func BenchmarkRastriginEnergyGrad(b *testing.B)  { benchEnergyGrad(b, must(NewRastrigin(10, 10, 1))) }

func BenchmarkSumEnergyGrad(b *testing.B) {
	benchEnergyGrad(b, must(Sum(EightGaussians(), must(NewBanana(2, 0.03)))))
}

func BenchmarkShiftEnergyGrad(b *testing.B) {
	benchEnergyGrad(b, must(Shift(EightGaussians(), []float64{1, 1})))
}

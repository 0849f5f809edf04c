// Command mpfbench measures minimum probability flow against pseudo-likelihood,
// contrastive divergence and naive mean field (scripts/mpf-bench.sh runs it).
//
// Inverse Ising (-what ising): a d-spin Sherrington-Kirkpatrick-style model,
// p(s) ∝ exp(Σ_{i<j} Jᵢⱼsᵢsⱼ + Σᵢ hᵢsᵢ) with Jᵢⱼ ~ N(0, σ_J²/d), hᵢ ~ N(0, σ_h²),
// written as an FVBM on x = (s+1)/2 (W = 2J); n samples from long single-site
// Gibbs chains; each estimator trained on the same samples, the coupling RMS
// error Σ_{i<j}(Ĵᵢⱼ − Jᵢⱼ)² (in spin units, J = W/2) recorded against the
// training wall time after every epoch (evaluation excluded). The learning
// rate of every method is the best of a small grid by its final error.
//
// RBM (-what rbm): a 10×10 Bernoulli RBM with N(0, σ²) weights, exact samples
// for training and test, each estimator trained for the same wall time; exact
// test log-likelihood by enumeration.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/optimize"
)

func main() {
	what := flag.String("what", "ising", "ising | rbm")
	out := flag.String("out", "out/mpf-bench", "output folder for figures and JSON")
	d := flag.Int("d", 50, "spins (ising)")
	n := flag.Int("n", 10000, "training samples")
	sigmaJ := flag.Float64("sigma-j", 1, "coupling scale: J ~ N(0, sigma_j²/d)")
	sigmaH := flag.Float64("sigma-h", 0.1, "field scale")
	epochs := flag.Int("epochs", 60, "epochs per method (ising)")
	batch := flag.Int("batch", 500, "mini-batch size (ising)")
	budget := flag.Float64("budget", 5, "training seconds per method (rbm)")
	seed := flag.Uint64("seed", 1, "seed")
	flag.StringVar(&methodList, "methods", "", "comma-separated iterative methods to run (ising; default all: mpf,pl,cd1,cd10,klc-0.1-k1,klc-0.1-k5,klc-0.02-k1,klc-0.1-k1-clean)")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o777); err != nil {
		fail(err)
	}
	var err error
	switch *what {
	case "ising":
		err = ising(*out, *d, *n, *sigmaJ, *sigmaH, *epochs, *batch, *seed)
	case "rbm":
		err = rbmBench(*out, *n, *budget, *seed)
	default:
		err = fmt.Errorf("-what %q: want ising or rbm", *what)
	}
	if err != nil {
		fail(err)
	}
}

// methodList is the -methods flag.
var methodList string

// selected reports whether the iterative method name is to run.
func selected(name string) bool {
	if methodList == "" {
		return true
	}
	return slices.Contains(strings.Split(methodList, ","), name)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mpfbench:", err)
	os.Exit(1)
}

// spinGlass returns the FVBM of the spin model with the given J, h.
func spinGlass(d int, sigmaJ, sigmaH float64, rng *rand.Rand) (*rbm.FVBM, error) {
	m, err := rbm.NewFVBM(d)
	if err != nil {
		return nil, err
	}
	J := tensor.New[float64](d, d)
	for i := 0; i < d; i++ {
		for j := i + 1; j < d; j++ {
			v := sigmaJ / math.Sqrt(float64(d)) * rng.NormFloat64()
			J.Set(i, j, v)
			J.Set(j, i, v)
		}
	}
	for i := 0; i < d; i++ {
		h := sigmaH * rng.NormFloat64()
		// Σ_{i<j} Jsᵢsⱼ + hs with s = 2x − 1: coupling 4J (= 2W), bias 2h − 2Σⱼ Jᵢⱼ.
		b := 2 * h
		for j := 0; j < d; j++ {
			if j != i {
				m.W.Set(i, j, 2*J.At(i, j))
				b -= 2 * J.At(i, j)
			}
		}
		m.B[i] = b
	}
	return m, m.Validate()
}

// gibbsData draws n samples: chains independent chains, burn sweeps of
// burn-in, then every thin sweeps.
func gibbsData(m *rbm.FVBM, n, chains, burn, thin int, rng *rand.Rand) (*tensor.Dense[float64], error) {
	d := m.Dim()
	x := tensor.New[float64](chains, d)
	for i := range x.Data {
		x.Data[i] = float64(rng.IntN(2))
	}
	if err := m.Gibbs(x, burn, rng); err != nil {
		return nil, err
	}
	out := tensor.New[float64](n, d)
	for k := 0; k < n; k += chains {
		if err := m.Gibbs(x, thin, rng); err != nil {
			return nil, err
		}
		copy(out.Data[k*d:], x.Data[:min(chains, n-k)*d])
	}
	return out, nil
}

type curve struct {
	Method  string    `json:"method"`
	LR      float64   `json:"lr"`
	Seconds []float64 `json:"seconds"`
	RMSE    []float64 `json:"rmse_J"`
}

func ising(out string, d, n int, sigmaJ, sigmaH float64, epochs, batch int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x15))
	truth, err := spinGlass(d, sigmaJ, sigmaH, rng)
	if err != nil {
		return err
	}
	t0 := time.Now()
	x, err := gibbsData(truth, n, 100, 5000, 50, rng)
	if err != nil {
		return err
	}
	fmt.Printf("inverse Ising: d = %d, J ~ N(0, %g²/d), h ~ N(0, %g²), %d samples from 100 Gibbs chains (5000 sweeps burn-in, every 50th sweep), drawn in %.1fs\n",
		d, sigmaJ, sigmaH, n, time.Since(t0).Seconds())
	jRMSE := func(m *rbm.FVBM) float64 {
		e, _ := rbm.CouplingRMSE(m, truth)
		return e / 2 // W = 2J
	}
	// Naive mean field: one shot.
	t0 = time.Now()
	mf, err := rbm.NaiveMeanField(x)
	if err != nil {
		return err
	}
	mfSec := time.Since(t0).Seconds()
	mfErr := jRMSE(mf)
	methods := []struct {
		name string
		m    rbm.FVBMMethod
		k    int
		eps  float64
		// clean starts KLC's posterior chains at the data.
		clean bool
	}{{"mpf", rbm.FVBMMPF, 1, 0, false}, {"pl", rbm.FVBMPseudo, 1, 0, false}, {"cd1", rbm.FVBMCD, 1, 0, false}, {"cd10", rbm.FVBMCD, 10, 0, false},
		{"klc-0.1-k1", rbm.FVBMKLC, 1, 0.1, false}, {"klc-0.1-k5", rbm.FVBMKLC, 5, 0.1, false}, {"klc-0.02-k1", rbm.FVBMKLC, 1, 0.02, false},
		{"klc-0.1-k1-clean", rbm.FVBMKLC, 1, 0.1, true}}
	var curves []curve
	for _, me := range methods {
		if !selected(me.name) {
			continue
		}
		var best *curve
		for _, lr := range []float64{0.03, 0.1, 0.3} {
			m, _ := rbm.NewFVBM(d)
			c := curve{Method: me.name, LR: lr}
			total := 0.0
			cfg := rbm.FVBMConfig{Method: me.m, K: me.k, Eps: me.eps, StartClean: me.clean, Epochs: epochs, BatchSize: batch, LR: lr, Momentum: 0.9, Seed: seed}
			err := m.Fit(context.Background(), x, cfg, func(st rbm.FVBMEpoch) error {
				total += st.Seconds
				c.Seconds = append(c.Seconds, total)
				c.RMSE = append(c.RMSE, jRMSE(m))
				return nil
			})
			if err != nil || len(c.RMSE) == 0 || math.IsNaN(c.RMSE[len(c.RMSE)-1]) {
				fmt.Printf("  %s lr %g: failed (%v)\n", me.name, lr, err)
				continue
			}
			fmt.Printf("  %-5s lr %-5g: coupling RMSE %.4f after %d epochs, %.2fs\n", me.name, lr, c.RMSE[len(c.RMSE)-1], len(c.RMSE), total)
			if best == nil || c.RMSE[len(c.RMSE)-1] < best.RMSE[len(best.RMSE)-1] {
				cc := c
				best = &cc
			}
		}
		if best != nil {
			curves = append(curves, *best)
		}
	}
	// The estimators' own optima (full-batch L-BFGS on the convex objectives):
	// their statistical error at n samples, free of optimizer noise.
	opt := map[string]float64{}
	for _, mpf := range []bool{true, false} {
		e, sec, iters, err := optimum(x, mpf, jRMSE)
		if err != nil {
			return err
		}
		name := map[bool]string{true: "mpf", false: "pl"}[mpf]
		opt[name] = e
		fmt.Printf("  %-5s optimum (full-batch L-BFGS, %d iterations, %.1fs): coupling RMSE %.4f\n", name, iters, sec, e)
	}
	fmt.Printf("\nmini-batches of %d, momentum 0.9, %d epochs; lr: the best of 0.03, 0.1, 0.3 by final error\n", batch, epochs)
	fmt.Printf("\n| method | lr | coupling RMSE (J) | training time (s) | time to within 10%% of its final error (s) |\n|---|---|---|---|---|\n")
	fmt.Printf("| naive mean field | – | %.4f | %.3f | – |\n", mfErr, mfSec)
	var series []plot.Series
	tmax := 0.0
	for _, c := range curves {
		final := c.RMSE[len(c.RMSE)-1]
		tt := c.Seconds[len(c.Seconds)-1]
		for i, e := range c.RMSE {
			if e <= 1.1*final {
				tt = c.Seconds[i]
				break
			}
		}
		fmt.Printf("| %s | %g | %.4f | %.2f | %.2f |\n", c.Method, c.LR, final, c.Seconds[len(c.Seconds)-1], tt)
		series = append(series, plot.Series{Name: c.Method, X: c.Seconds, Y: c.RMSE})
		tmax = max(tmax, c.Seconds[len(c.Seconds)-1])
	}
	series = append(series, plot.Series{Name: fmt.Sprintf("naive mean field (%.3fs)", mfSec), X: []float64{mfSec, tmax}, Y: []float64{mfErr, mfErr}})
	if err := plot.Lines(filepath.Join(out, "inverse-ising.png"),
		fmt.Sprintf("Inverse Ising, d = %d, n = %d: coupling error against training time", d, n),
		"training wall time (s)", "coupling RMSE", series, plot.LineOptions{LogY: true}); err != nil {
		return err
	}
	fmt.Printf("| mpf optimum (full-batch L-BFGS) | – | %.4f | – | – |\n| pl optimum (full-batch L-BFGS) | – | %.4f | – | – |\n", opt["mpf"], opt["pl"])
	final := map[string]float64{}
	for _, c := range curves {
		final[c.Method] = c.RMSE[len(c.RMSE)-1]
	}
	if final["mpf"] > 0 && final["pl"] > 0 {
		fmt.Printf("\nMPF/PL error ratio: %.3f at the optima, %.3f after SGD\n", opt["mpf"]/opt["pl"], final["mpf"]/final["pl"])
	} else {
		fmt.Printf("\nMPF/PL error ratio: %.3f at the optima\n", opt["mpf"]/opt["pl"])
	}
	js, _ := json.MarshalIndent(map[string]any{"d": d, "n": n, "sigma_j": sigmaJ, "sigma_h": sigmaH, "optimum_rmse_J": opt,
		"mean_field": map[string]float64{"rmse_J": mfErr, "seconds": mfSec}, "curves": curves}, "", "  ")
	return os.WriteFile(filepath.Join(out, "inverse-ising.json"), js, 0o666)
}

func rbmBench(out string, n int, budget float64, seed uint64) error {
	const nv, nh = 10, 10
	rng := rand.New(rand.NewPCG(seed, 0x4b))
	truth, err := rbm.New(rbm.Bernoulli, nv, nh, seed)
	if err != nil {
		return err
	}
	for i := range truth.W.Data {
		truth.W.Data[i] = float32(rng.NormFloat64())
	}
	for i := range truth.B {
		truth.B[i] = float32(0.5 * rng.NormFloat64())
	}
	for j := range truth.C {
		truth.C[j] = float32(0.5 * rng.NormFloat64())
	}
	xs, err := truth.ExactSample(2*n, seed)
	if err != nil {
		return err
	}
	train := &tensor.Dense[float32]{Rows: n, Cols: nv, Data: xs.Data[:n*nv]}
	test := &tensor.Dense[float32]{Rows: n, Cols: nv, Data: xs.Data[n*nv:]}
	llTrue, _, _ := truth.ExactLogLik(test)
	fmt.Printf("RBM %d×%d, W ~ N(0, 1), b, c ~ N(0, 0.5²); %d exact training and %d test samples; %.0f s of training per method\n\n", nv, nh, n, n, budget)
	fmt.Printf("| method | lr | epochs | exact test log-likelihood (nats) |\n|---|---|---|---|\n")
	fmt.Printf("| true model | – | – | %.4f |\n", llTrue)
	type row struct {
		Method string  `json:"method"`
		LR     float64 `json:"lr"`
		Epochs int     `json:"epochs"`
		LL     float64 `json:"loglik_test"`
	}
	rows := []row{{"truth", 0, 0, llTrue}}
	for _, me := range []struct {
		name string
		m    rbm.Method
		k    int
	}{{"mpf", rbm.MPF, 1}, {"pl", rbm.PL, 1}, {"cd1", rbm.CD, 1}, {"cd10", rbm.CD, 10}, {"pcd", rbm.PCD, 1}} {
		var best row
		best.LL = math.Inf(-1)
		for _, lr := range []float64{0.01, 0.03, 0.1} {
			r, _ := rbm.New(rbm.Bernoulli, nv, nh, seed+1)
			total := 0.0
			cfg := rbm.Config{Method: me.m, K: me.k, Epochs: 100000, BatchSize: 100, LR: lr, Momentum: 0.9, Seed: seed}
			res, err := r.Fit(context.Background(), train, cfg, func(st rbm.EpochStats) error {
				total += st.Seconds
				if total >= budget {
					return rbm.ErrStop
				}
				return nil
			})
			if err != nil {
				fmt.Printf("  %s lr %g: %v\n", me.name, lr, err)
				continue
			}
			ll, _, err := r.ExactLogLik(test)
			if err != nil {
				return err
			}
			if ll > best.LL {
				best = row{me.name, lr, res.Epochs, ll}
			}
		}
		fmt.Printf("| %s | %g | %d | %.4f |\n", best.Method, best.LR, best.Epochs, best.LL)
		rows = append(rows, best)
	}
	js, _ := json.MarshalIndent(map[string]any{"nv": nv, "nh": nh, "n": n, "budget_seconds": budget, "rows": rows}, "", "  ")
	return os.WriteFile(filepath.Join(out, "rbm10.json"), js, 0o666)
}

// optimum minimizes the MPF (or negative PL) objective of the data x over all
// of an FVBM's parameters by L-BFGS and returns the coupling error of the
// minimizer, the seconds and the iterations.
func optimum(x *tensor.Dense[float64], mpf bool, rmse func(*rbm.FVBM) float64) (float64, float64, int, error) {
	d := x.Cols
	m, err := rbm.NewFVBM(d)
	if err != nil {
		return 0, 0, 0, err
	}
	set := func(p []float64) {
		copy(m.B, p[:d])
		k := d
		for i := 0; i < d; i++ {
			for j := i + 1; j < d; j++ {
				m.W.Set(i, j, p[k])
				m.W.Set(j, i, p[k])
				k++
			}
		}
	}
	obj := m.NegPLObjective
	if mpf {
		obj = m.MPFObjective
	}
	var failed error
	prob := optimize.Problem{
		Func: func(p []float64) float64 {
			set(p)
			v, _, _, err := obj(x)
			if err != nil {
				failed = err
				return math.Inf(1)
			}
			return v
		},
		Grad: func(g, p []float64) {
			set(p)
			_, gB, gW, err := obj(x)
			if err != nil {
				failed = err
				return
			}
			copy(g[:d], gB)
			k := d
			for i := 0; i < d; i++ {
				for j := i + 1; j < d; j++ {
					g[k] = gW.At(i, j)
					k++
				}
			}
		},
	}
	t0 := time.Now()
	res, err := optimize.Minimize(prob, make([]float64, d+d*(d-1)/2), &optimize.Settings{GradientThreshold: 1e-8, MajorIterations: 2000}, &optimize.LBFGS{})
	if failed != nil {
		return 0, 0, 0, failed
	}
	if err != nil && res == nil {
		return 0, 0, 0, err
	}
	set(res.X)
	return rmse(m), time.Since(t0).Seconds(), res.Stats.MajorIterations, nil
}

// Command denoisebench measures ebm's denoisers on MNIST side by side with
// simple baselines (run it through scripts/denoise-bench.sh).
//
// Gaussian noise, σ = 0.3 on pixels in [0, 1]: a denoising-score-matching MLP
// energy E_σ is trained on the training images (train.Trainer, one train.Loop
// group; the energy is ‖x − x̄‖²/(2σ²) + MLP(x), energy.QuadMLP), then the test images are restored by Tweedie's formula, MAP and
// posterior sampling (MALA), and by the baselines: Gaussian blur and PCA
// projection, each with its width or rank chosen on held-out validation
// images. PSNR = 10 log₁₀(1/MSE), MSE per pixel over all test images.
//
// Bit flips, ρ = 0.1 on binarized images: a Bernoulli RBM is trained by PCD,
// and the flipped test images are restored from its posterior (Gibbs marginal
// mode, ICM, annealing) and with the Ising prior (ICM and Gibbs, β chosen on
// validation images, η = ½ log((1−ρ)/ρ)). The figure is the bit error.
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
	"strconv"
	"strings"
	"time"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/ising"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/restore"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// imageSource draws training batches from float32 images.
type imageSource struct {
	x    *tensor.Dense[float32]
	n    int // rows used for training
	seed uint64
	buf  *tensor.Dense[float64]
}

func (s *imageSource) Dim() int { return s.x.Cols }

func (s *imageSource) Batch(iter, n int) (*tensor.Dense[float64], error) {
	rng := rand.New(rand.NewPCG(s.seed, uint64(iter)))
	s.buf = tensor.Reuse(s.buf, n, s.x.Cols)
	for i := 0; i < n; i++ {
		src := s.x.Row(rng.IntN(s.n))
		dst := s.buf.Row(i)
		for j, v := range src {
			dst[j] = float64(v)
		}
	}
	return s.buf, nil
}

func rows64(x *tensor.Dense[float32], lo, hi int) *tensor.Dense[float64] {
	out := tensor.New[float64](hi-lo, x.Cols)
	for i := range out.Data {
		out.Data[i] = float64(x.Data[lo*x.Cols+i])
	}
	return out
}

func mse(a, b *tensor.Dense[float64]) float64 {
	s := 0.0
	for i, v := range a.Data {
		d := v - b.Data[i]
		s += d * d
	}
	return s / float64(len(a.Data))
}

func psnr(a, b *tensor.Dense[float64]) float64 { return -10 * math.Log10(mse(a, b)) }

func bitErr(a, b *tensor.Dense[float64]) float64 {
	n := 0
	for i, v := range a.Data {
		if v != b.Data[i] {
			n++
		}
	}
	return float64(n) / float64(len(a.Data))
}

func clip01(x *tensor.Dense[float64]) *tensor.Dense[float64] {
	out := x.Clone()
	for i, v := range out.Data {
		out.Data[i] = math.Max(0, math.Min(1, v))
	}
	return out
}

func binarize(x *tensor.Dense[float64]) *tensor.Dense[float64] {
	out := tensor.New[float64](x.Rows, x.Cols)
	for i, v := range x.Data {
		if v > 0.5 {
			out.Data[i] = 1
		}
	}
	return out
}

type row struct {
	Method string  `json:"method"`
	Value  float64 `json:"value"`
	Note   string  `json:"note,omitempty"`
}

func main() {
	var (
		dir       = flag.String("mnist", "/work/shared/data/mnist", "folder with the MNIST IDX files")
		out       = flag.String("out", "out/denoise-bench", "output folder (models, figures, results.json)")
		sigma     = flag.Float64("sigma", 0.3, "Gaussian noise level")
		rate      = flag.Float64("rate", 0.1, "bit-flip rate")
		iters     = flag.Int("iters", 4000, "DSM training iterations")
		hidden    = flag.String("hidden", "512x512", "DSM MLP hidden widths")
		batch     = flag.Int("batch", 128, "DSM batch size")
		lr        = flag.Float64("lr", 1e-3, "DSM learning rate")
		ema       = flag.Float64("ema", 0.999, "DSM parameter EMA")
		nTest     = flag.Int("test", 500, "test images")
		nVal      = flag.Int("val", 200, "validation images (end of the training file, not trained on)")
		nPost     = flag.Int("posterior", 100, "test images restored by posterior sampling")
		rbmHidden = flag.Int("rbm-hidden", 200, "RBM hidden units")
		rbmEpochs = flag.Int("rbm-epochs", 10, "RBM epochs")
		seed      = flag.Uint64("seed", 1, "seed")
		skipGauss = flag.Bool("skip-gauss", false, "skip the Gaussian-noise part")
		skipFlip  = flag.Bool("skip-flip", false, "skip the bit-flip part")
	)
	flag.Parse()
	if err := run(*dir, *out, *sigma, *rate, *iters, *hidden, *batch, *lr, *ema, *nTest, *nVal, *nPost, *rbmHidden, *rbmEpochs, *seed, *skipGauss, *skipFlip); err != nil {
		fmt.Fprintln(os.Stderr, "denoisebench:", err)
		os.Exit(1)
	}
}

func run(dir, out string, sigma, rate float64, iters int, hidden string, batch int, lr, ema float64, nTest, nVal, nPost, rbmHidden, rbmEpochs int, seed uint64, skipGauss, skipFlip bool) error {
	ctx := context.Background()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	trainX, err := data.LoadMNISTImages(filepath.Join(dir, "train-images-idx3-ubyte.gz"), 0)
	if err != nil {
		return err
	}
	testX, err := data.LoadMNISTImages(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), nTest)
	if err != nil {
		return err
	}
	nTrain := trainX.Rows - nVal
	val := rows64(trainX, nTrain, trainX.Rows)
	test := rows64(testX, 0, testX.Rows)
	const H, W = 28, 28
	results := map[string][]row{}

	if !skipGauss {
		// Train the DSM energy.
		var hs []int
		for _, s := range strings.Split(hidden, "x") {
			v, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("-hidden %q: %v", hidden, err)
			}
			hs = append(hs, v)
		}
		act, _ := nn.ActivationByName("silu")
		net, err := nn.NewMLP[float32](append(append([]int{H * W}, hs...), 1), act, nn.MLPOptions{}, rand.New(rand.NewPCG(seed, 1)))
		if err != nil {
			return err
		}
		// E(x) = ‖x − x̄‖²/(2σ²) + f(x): the energy of data smoothed at σ has
		// Gaussian tails of width σ, so the network supplies a bounded
		// correction and Tweedie's estimate is x̄ − σ²∇f(y).
		mean := make([]float64, H*W)
		for i := 0; i < nTrain; i++ {
			for j, v := range trainX.Row(i) {
				mean[j] += float64(v) / float64(nTrain)
			}
		}
		m, err := energy.NewQuadMLP(net, mean, sigma)
		if err != nil {
			return err
		}
		tr := &train.Trainer{Model: m, Estimator: &train.DenoisingSM[float32]{Sigma: sigma},
			Data: &imageSource{x: trainX, n: nTrain, seed: seed},
			Config: train.Config{Iters: iters, Batch: batch, LR: lr, EMA: ema, Seed: seed, LogEvery: 500,
				Metrics: func(mt train.Metrics) { fmt.Fprintf(os.Stderr, "dsm iter %d loss %.4f\n", mt.Iter, mt.Loss) }}}
		t0 := time.Now()
		if _, err := tr.Run(ctx); err != nil {
			return err
		}
		trainSec := time.Since(t0).Seconds()
		fmt.Fprintf(os.Stderr, "DSM training: %d iterations in %.0f s\n", iters, trainSec)
		trJS, _ := json.Marshal(map[string]any{"method": map[string]any{"name": "dsm", "sigma": sigma, "levels": 0}, "iters": iters, "batch": batch, "lr": lr, "ema": ema})
		dataJS, _ := json.Marshal(map[string]any{"name": "mnist", "dim": H * W})
		if err := m.Save(filepath.Join(out, "dsm-mnist"), &model.Meta{Seed: seed, Training: trJS, Data: dataJS}); err != nil {
			return err
		}
		noise := restore.Noise{Kind: "gauss", Sigma: sigma}
		yTest, yVal := noise.Apply(test, seed+1), noise.Apply(val, seed+2)
		var rs []row
		rs = append(rs, row{"noisy input", psnr(test, yTest), ""})
		rs = append(rs, row{"noisy input clipped to [0,1]", psnr(test, clip01(yTest)), ""})
		// Baselines, parameters chosen on validation images.
		bestS, bestV := 0.0, math.Inf(-1)
		for _, s := range []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.2, 1.5, 2} {
			b, _ := restore.GaussianBlur(yVal, H, W, s)
			if v := psnr(val, clip01(b)); v > bestV {
				bestS, bestV = s, v
			}
		}
		blur, _ := restore.GaussianBlur(yTest, H, W, bestS)
		rs = append(rs, row{"Gaussian blur", psnr(test, clip01(blur)), fmt.Sprintf("width %g px (best on validation)", bestS)})
		pca, err := restore.FitPCA(rows64(trainX, 0, min(nTrain, 20000)))
		if err != nil {
			return err
		}
		bestK, bestV := 0, math.Inf(-1)
		for k := 5; k <= 200; k += 5 {
			p, _ := pca.Project(yVal, k)
			if v := psnr(val, clip01(p)); v > bestV {
				bestK, bestV = k, v
			}
		}
		proj, _ := pca.Project(yTest, bestK)
		rs = append(rs, row{"PCA projection", psnr(test, clip01(proj)), fmt.Sprintf("rank %d (best on validation; PCA of 20,000 training images)", bestK)})
		// ebm.
		t0 = time.Now()
		tw, err := restore.Tweedie(m, yTest, sigma)
		if err != nil {
			return err
		}
		rs = append(rs, row{"ebm Tweedie", psnr(test, clip01(tw)), fmt.Sprintf("%.2f s", time.Since(t0).Seconds())})
		t0 = time.Now()
		mp, _, err := restore.MAP(ctx, m, yTest, sigma, restore.MinimizeConfig{Lo: 0, Hi: 1, MaxIter: 300})
		if err != nil {
			return err
		}
		rs = append(rs, row{"ebm MAP", psnr(test, mp), fmt.Sprintf("projected gradient descent on [0,1], ≤ 300 iterations, %.1f s", time.Since(t0).Seconds())})
		nP := min(nPost, test.Rows)
		tP, yP := tensor.FromSlice(nP, H*W, test.Data[:nP*H*W]), tensor.FromSlice(nP, H*W, yTest.Data[:nP*H*W])
		t0 = time.Now()
		est, err := restore.SamplePosterior(ctx, m, yP, sigma, restore.SampleConfig{Sampler: "mala", Chains: 2, Warmup: 300, Steps: 200, Seed: seed, Clamp: nil})
		if err != nil {
			return err
		}
		twP := tensor.FromSlice(nP, H*W, tw.Data[:nP*H*W])
		rs = append(rs, row{"ebm posterior mean (MALA)", psnr(tP, clip01(est.Mean)), fmt.Sprintf("first %d test images (Tweedie on them: %.2f dB), 2 chains × 300+200 steps, %.0f s", nP, psnr(tP, clip01(twP)), time.Since(t0).Seconds())})
		results["gauss"] = rs
		k := min(8, nP)
		cut := func(x *tensor.Dense[float64]) *tensor.Dense[float64] { return tensor.FromSlice(k, H*W, x.Data[:k*H*W]) }
		if err := restore.Panels(filepath.Join(out, "gauss-panels.png"), H, W, k, cut(tP), cut(clip01(yP)), cut(clip01(blur)), cut(clip01(proj)), cut(clip01(tw)), cut(mp), cut(clip01(est.Mean)), cut(restore.ScaleTo01(est.SD))); err != nil {
			return err
		}
		fmt.Printf("\nMNIST, Gaussian noise σ = %g (%d test images; DSM energy ‖x − x̄‖²/(2σ²) + MLP %s, %d iterations, %.0f s training)\n\n| method | PSNR (dB) | note |\n|---|---|---|\n", sigma, test.Rows, hidden, iters, trainSec)
		for _, r := range rs {
			fmt.Printf("| %s | %.2f | %s |\n", r.Method, r.Value, r.Note)
		}
	}

	if !skipFlip {
		// Train a Bernoulli RBM on binarized training images.
		r, err := rbm.New(rbm.Bernoulli, H*W, rbmHidden, seed)
		if err != nil {
			return err
		}
		cfg := rbm.Config{Method: rbm.PCD, K: 1, Epochs: rbmEpochs, BatchSize: 20, LR: 0.05, Binarize: true, Shuffle: true, Seed: seed}
		t0 := time.Now()
		if _, err := r.Fit(ctx, tensor.FromSlice(nTrain, H*W, trainX.Data[:nTrain*H*W]), cfg, nil); err != nil {
			return err
		}
		rbmSec := time.Since(t0).Seconds()
		fmt.Fprintf(os.Stderr, "RBM training: %d epochs in %.0f s\n", rbmEpochs, rbmSec)
		if err := r.Save(filepath.Join(out, "rbm-mnist"), &model.Meta{Seed: seed}); err != nil {
			return err
		}
		bt, bv := binarize(test), binarize(val)
		noise := restore.Noise{Kind: "flip", Rate: rate}
		yt, yv := noise.Apply(bt, seed+3), noise.Apply(bv, seed+4)
		var rs []row
		rs = append(rs, row{"noisy input", bitErr(bt, yt), ""})
		p, err := restore.RBMPosterior(r, yt, rate, nil)
		if err != nil {
			return err
		}
		t0 = time.Now()
		g, err := p.Gibbs(ctx, restore.GibbsConfig{Chains: 2, Burn: 100, Sweeps: 300, Seed: seed})
		if err != nil {
			return err
		}
		rs = append(rs, row{"RBM posterior, Gibbs marginal mode", bitErr(bt, g.Mode), fmt.Sprintf("2 chains × (100 burn-in + 300) sweeps, %.0f s", time.Since(t0).Seconds())})
		t0 = time.Now()
		icm, _, err := p.ICM(ctx, nil, 0)
		if err != nil {
			return err
		}
		rs = append(rs, row{"RBM posterior, ICM", bitErr(bt, icm), fmt.Sprintf("%.0f s", time.Since(t0).Seconds())})
		t0 = time.Now()
		an, err := p.Anneal(ctx, restore.AnnealConfig{Seed: seed})
		if err != nil {
			return err
		}
		rs = append(rs, row{"RBM posterior, annealing + ICM", bitErr(bt, an), fmt.Sprintf("200 sweeps T 4→0.05, %.0f s", time.Since(t0).Seconds())})
		var isICM, isGibbs *tensor.Dense[float64]
		for _, method := range []ising.Method{ising.ICM, ising.Posterior} {
			bestB, bestE := 0.0, math.Inf(1)
			for _, beta := range []float64{0.25, 0.5, 0.75, 1, 1.5, 2, 3} {
				x, err := restore.IsingRestore(ctx, tensor.FromSlice(min(50, yv.Rows), H*W, yv.Data[:min(50, yv.Rows)*H*W]), H, W, rate, beta, method, seed)
				if err != nil {
					return err
				}
				if e := bitErr(tensor.FromSlice(x.Rows, H*W, bv.Data[:x.Rows*H*W]), x); e < bestE {
					bestB, bestE = beta, e
				}
			}
			t0 = time.Now()
			x, err := restore.IsingRestore(ctx, yt, H, W, rate, bestB, method, seed)
			if err != nil {
				return err
			}
			rs = append(rs, row{fmt.Sprintf("Ising prior, %s", method), bitErr(bt, x), fmt.Sprintf("β = %g (best on 50 validation images), η = ½log((1−ρ)/ρ), %.0f s", bestB, time.Since(t0).Seconds())})
			if method == ising.ICM {
				isICM = x
			} else {
				isGibbs = x
			}
		}
		results["flip"] = rs
		k := min(8, bt.Rows)
		cut := func(x *tensor.Dense[float64]) *tensor.Dense[float64] { return tensor.FromSlice(k, H*W, x.Data[:k*H*W]) }
		if err := restore.Panels(filepath.Join(out, "flip-panels.png"), H, W, k, cut(bt), cut(yt), cut(g.Marginals), cut(g.Mode), cut(restore.ScaleTo01(g.SD)), cut(icm), cut(isICM), cut(isGibbs)); err != nil {
			return err
		}
		fmt.Printf("\nBinarized MNIST, %g%% of pixels flipped (%d test images; RBM %d hidden, PCD-1, %d epochs, %.0f s training)\n\n| method | bit error | note |\n|---|---|---|\n", 100*rate, bt.Rows, rbmHidden, rbmEpochs, rbmSec)
		for _, r := range rs {
			fmt.Printf("| %s | %.4f | %s |\n", r.Method, r.Value, r.Note)
		}
	}
	b, _ := json.MarshalIndent(results, "", "  ")
	return os.WriteFile(filepath.Join(out, "results.json"), append(b, '\n'), 0o644)
}

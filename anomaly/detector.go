package anomaly

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
	"gonum.org/v1/gonum/mat"
)

// Options configure Fit. The zero value gives the defaults of DefaultOptions
// (a zero field takes its default; set Members to −1 for no network).
type Options struct {
	// Contamination, if in (0, 0.5], is the expected fraction of anomalies
	// in the training rows: the threshold is the (1 − Contamination)
	// quantile of the training rows' anomaly scores (scikit-learn's rule).
	Contamination float64
	// HoldOut, if in (0, 0.5) and Contamination is 0, keeps that fraction of
	// the rows out of the fit and puts the threshold at the Quantile of their
	// scores (a held-out quantile). With neither, the threshold is the
	// Quantile of the training rows' scores.
	HoldOut float64
	// Quantile is the quantile of inlier scores that the threshold sits at
	// when Contamination is 0 (default 0.99).
	Quantile float64
	// Shrinkage of the covariance towards a multiple of the identity
	// (0: Ledoit–Wolf's estimate; a value in (0, 1] fixes it).
	Shrinkage float64
	// Trim and Reweight make the Gaussian robust to anomalies among the
	// training rows (see robustWhitener): its C-steps refit on the
	// (1 − Trim)·n most central rows (default 0: h = ⌈(n + d + 1)/2⌉ rows,
	// scikit-learn's MinCovDet rule; −1: no robust fit),
	// then every row whose rescaled Mahalanobis distance is within the χ²
	// quantile Reweight (default 0.975; −1: none) is taken back. The
	// networks train on the rows of the final fit.
	Trim     float64
	Reweight float64
	// Novelty declares the training rows all inliers (semi-supervised use;
	// scikit-learn's novelty detection): the Gaussian is fitted to every
	// row, with neither C-steps nor reweighting (Trim and Reweight are
	// ignored), and the networks train on every row. On clean rows this
	// keeps the inliers' tails that the robust fit would trim (measured:
	// BENCHMARKS.md); with anomalies among the rows, leave it off.
	Novelty bool
	// Starts is the number of random starts of the C-steps, drawn from the
	// seed, beside the two deterministic ones (default 0: the robust fit
	// does not depend on the seed).
	Starts int
	// Elemental is the number of elemental starts of the C-steps, fits to
	// subsets of d + 1 rows as in FastMCD, drawn from a fixed stream so that
	// the fit does not depend on the seed (default 100; −1: none). They are
	// used only when the C-steps keep at least 2(d + 1) rows and are cut to
	// bound the work on large tables (see robustWhitener).
	Elemental int
	// Members is the number of networks in the ensemble (default 3; −1: none,
	// a Gaussian alone).
	Members int
	// Hidden are the hidden layer widths of each network (default 64×64,
	// SiLU activations).
	Hidden []int
	// Bound is B, the largest |correction| a network may add, in nats
	// (default 8).
	Bound float64
	// Sigma is the denoising score matching noise level in whitened units
	// (default 0.2).
	Sigma float64
	// Iters, Batch and LR are each network's training iterations, batch size
	// and Adam learning rate (defaults 300, 128, 2e-3).
	Iters int
	Batch int
	LR    float64
	// Seed makes the fit reproducible; member k trains with seed Seed + k.
	Seed uint64
}

// DefaultOptions returns the recipe chosen by measurement (BENCHMARKS.md,
// scripts/anomaly-bench.sh).
func DefaultOptions() Options {
	return Options{Quantile: 0.99, Reweight: 0.975, Elemental: 100, Members: 3, Hidden: []int{64, 64}, Bound: 8, Sigma: 0.2,
		Iters: 300, Batch: 128, LR: 2e-3}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Quantile == 0 {
		o.Quantile = d.Quantile
	}
	if o.Trim < 0 {
		o.Trim = -1
	}
	if o.Reweight == 0 {
		o.Reweight = d.Reweight
	}
	if o.Reweight < 0 {
		o.Reweight = 0
	}
	if o.Novelty {
		o.Trim, o.Reweight = -1, 0
	}
	if o.Elemental == 0 {
		o.Elemental = d.Elemental
	}
	if o.Elemental < 0 {
		o.Elemental = 0
	}
	if o.Members == 0 {
		o.Members = d.Members
	}
	if o.Members < 0 {
		o.Members = 0
	}
	if o.Hidden == nil {
		o.Hidden = d.Hidden
	}
	if o.Bound == 0 {
		o.Bound = d.Bound
	}
	if o.Sigma == 0 {
		o.Sigma = d.Sigma
	}
	if o.Iters == 0 {
		o.Iters = d.Iters
	}
	if o.Batch == 0 {
		o.Batch = d.Batch
	}
	if o.LR == 0 {
		o.LR = d.LR
	}
	return o
}

// trimFor returns the fraction of n rows in d columns that the C-steps trim
// (0: no C-steps): none with Novelty or a negative Trim; Trim itself when it
// is positive; and by default scikit-learn's MinCovDet support fraction,
// h = ⌈(n + d + 1)/2⌉ rows kept (the minimum covariance determinant's
// largest breakdown point), i.e. 1 − h/n, or none when h ≥ n.
func (o Options) trimFor(n, d int) float64 {
	switch {
	case o.Novelty || o.Trim < 0:
		return 0
	case o.Trim > 0:
		return o.Trim
	}
	h := (n + d + 2) / 2 // ⌈(n + d + 1)/2⌉
	if h >= n {
		return 0
	}
	return 1 - float64(h)/float64(n)
}

func (o Options) check() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("anomaly: option %s = %v: want %s", field, v, want)
	}
	switch {
	case o.Contamination < 0 || o.Contamination > 0.5 || math.IsNaN(o.Contamination):
		return bad("contamination", o.Contamination, "a fraction in (0, 0.5], or 0")
	case o.HoldOut < 0 || o.HoldOut >= 0.5 || math.IsNaN(o.HoldOut):
		return bad("holdout", o.HoldOut, "a fraction in (0, 0.5), or 0")
	case o.Starts < 0 || o.Starts > 1000:
		return bad("starts", o.Starts, "0..1000")
	case o.Elemental > 10000:
		return bad("elemental", o.Elemental, "at most 10000")
	case (o.Trim < 0 && o.Trim != -1) || o.Trim >= 0.5 || math.IsNaN(o.Trim):
		return bad("trim", o.Trim, "a fraction in (0, 0.5), 0 (the MCD rule) or -1 (none)")
	case o.Reweight < 0 || o.Reweight >= 1 || math.IsNaN(o.Reweight):
		return bad("reweight", o.Reweight, "a quantile in (0, 1), or 0")
	case !(o.Quantile > 0 && o.Quantile < 1):
		return bad("quantile", o.Quantile, "a value in (0, 1)")
	case o.Shrinkage < 0 || o.Shrinkage > 1 || math.IsNaN(o.Shrinkage):
		return bad("shrinkage", o.Shrinkage, "a value in [0, 1] (0: Ledoit–Wolf)")
	case !(o.Bound > 0) || math.IsInf(o.Bound, 0):
		return bad("bound", o.Bound, "a positive number")
	case !(o.Sigma > 0) || math.IsInf(o.Sigma, 0):
		return bad("sigma", o.Sigma, "a positive number")
	case o.Iters < 1:
		return bad("iters", o.Iters, "≥ 1")
	case o.Batch < 1:
		return bad("batch", o.Batch, "≥ 1")
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return bad("lr", o.LR, "a positive number")
	case o.Members > 64:
		return bad("members", o.Members, "at most 64")
	}
	for _, h := range o.Hidden {
		if h < 1 || h > 4096 {
			return bad("hidden", o.Hidden, "widths in 1..4096")
		}
	}
	return nil
}

// Detector is a fitted anomaly detector. Its energy over raw rows x is
//
//	E(x) = ½‖u‖² + (1/M) Σₖ B·tanh(fₖ(u)/B),   u = ((x − c)/s − m)·W,
//
// where c and s are the robust centre and scale of the columns (Scaler), m
// and W = L⁻ᵀ whiten with the Ledoit–Wolf covariance Σ = LLᵀ of the
// standardized rows, and fₖ are M small networks trained by denoising score
// matching on the whitened rows, each as the correction of the σ-smoothed
// Gaussian ½‖u‖²/(1 + σ²). E is the anomaly score (higher = more
// anomalous; p(x) ∝ exp(−E)).
//
// Because |B·tanh(·)| < B, E differs from the Gaussian energy ½‖u‖² by less
// than B anywhere: a point far from the data scores at least its Gaussian
// energy minus B, which grows quadratically with distance, while the networks
// reshape the ranking where the data are (several modes, curved or skewed
// clouds). Its methods are safe for concurrent use.
type Detector struct {
	Scaler *Scaler
	// Rules says which scale rule each column used (RuleMAD, ...).
	Rules []string
	mean  []float64
	w     *tensor.Dense[float64] // d×d
	nets  []*nn.MLP[float32]
	bound float64
	// threshold on the anomaly score: rows above it are flagged.
	threshold float64
	shrink    float64
	opts      Options
}

// Fit fits a detector to the rows of x (n×d, raw units; n ≥ 2, finite
// values). Fit on all rows with their anomalies (unsupervised) or on inliers
// only (semi-supervised); the rows are not modified. It stops early with
// ctx's error when ctx is cancelled.
func Fit(ctx context.Context, x *tensor.Dense[float64], opt Options) (*Detector, error) {
	o := opt.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	if x == nil || x.Rows == 0 || x.Cols == 0 {
		return nil, errors.New("anomaly: no data to fit")
	}
	if i := x.HasNaNInf(); i >= 0 {
		return nil, fmt.Errorf("anomaly: row %d, column %d is %v: the data must be finite", i/x.Cols+1, i%x.Cols+1, x.Data[i])
	}
	n, d := x.Rows, x.Cols
	fitRows, holdRows := x, (*tensor.Dense[float64])(nil)
	if o.Contamination == 0 && o.HoldOut > 0 {
		rng := rand.New(rand.NewPCG(o.Seed, 0x401d))
		perm := rng.Perm(n)
		k := int(math.Round(o.HoldOut * float64(n)))
		if k < 1 || n-k < 2 {
			return nil, fmt.Errorf("anomaly: %d rows are too few to hold out %v of them", n, o.HoldOut)
		}
		holdRows = tensor.GatherRows(nil, x, perm[:k])
		fitRows = tensor.GatherRows(nil, x, perm[k:])
		n = fitRows.Rows
	}
	if n < 2 {
		return nil, fmt.Errorf("anomaly: need at least 2 rows, got %d", n)
	}
	sc, rules := FitScaler(fitRows.Data, n, d)
	z := make([]float64, n*d)
	sc.Apply(z, fitRows.Data)
	shrink := -1.0 // Ledoit–Wolf
	if o.Shrinkage > 0 {
		shrink = o.Shrinkage
	}
	// Random starts of the C-steps beside the deterministic ones (none by
	// default: see robustWhitener).
	starts := o.Starts
	o.Trim = o.trimFor(n, d) // recorded with the model as the fraction used
	wh, kept, err := robustWhitener(z, n, d, shrink, o.Trim, o.Reweight, starts, o.Elemental, rand.New(rand.NewPCG(o.Seed, 0x3cd)))
	if err != nil {
		return nil, err
	}
	det := &Detector{Scaler: sc, Rules: rules, mean: wh.Mean, w: denseOf(wh.W), bound: o.Bound,
		shrink: wh.Shrinkage, opts: o}
	// The networks learn the rows the robust fit kept.
	u := det.whiten(tensor.GatherRows(nil, fitRows, kept))
	for k := 0; k < o.Members; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		net, err := trainMember(ctx, u, o, o.Seed+uint64(k))
		if err != nil {
			return nil, fmt.Errorf("anomaly: network %d: %w", k+1, err)
		}
		det.nets = append(det.nets, net)
	}
	ref := fitRows
	if holdRows != nil {
		ref = holdRows
	}
	s := det.AnomalyScore(ref, nil)
	q := o.Quantile
	if o.Contamination > 0 {
		q = 1 - o.Contamination
	}
	det.threshold = Quantile(s, q)
	return det, nil
}

func denseOf(m *mat.Dense) *tensor.Dense[float64] {
	r, c := m.Dims()
	t := tensor.New[float64](r, c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			t.Data[i*c+j] = m.At(i, j)
		}
	}
	return t
}

// member is the energy one network is trained as:
// E(u) = ½‖u‖² + B·tanh(f(u)/B) on whitened rows u.
type member struct {
	net   *nn.MLP[float32]
	bound float64
	base  float64 // weight of ½‖u‖²: 1/(1 + σ²) in training
}

func (m *member) Dim() int                           { return m.net.In() }
func (m *member) Params() []*autodiff.Param[float32] { return m.net.Params() }
func (m *member) Build(t *autodiff.Tape[float32], u *autodiff.Var[float32]) *autodiff.Var[float32] {
	base := autodiff.Scale(autodiff.SumCols(autodiff.Square(u)), 0.5*m.base)
	f := m.net.Forward(t, u)
	corr := autodiff.Scale(autodiff.Tanh(autodiff.Scale(f, 1/m.bound)), m.bound)
	return autodiff.Add(base, corr)
}

// trainMember trains one network by denoising score matching through
// train.Trainer (one parameter group, train.Loop underneath).
func trainMember(ctx context.Context, u *tensor.Dense[float64], o Options, seed uint64) (*nn.MLP[float32], error) {
	d := u.Cols
	sizes := append(append([]int{d}, o.Hidden...), 1)
	net, err := nn.NewMLP[float32](sizes, nn.SiLU, nn.MLPOptions{}, rand.New(rand.NewPCG(seed, 0x5eed)))
	if err != nil {
		return nil, err
	}
	// Start the correction at zero: the model begins as the Gaussian.
	last := net.Layers[len(net.Layers)-1]
	last.W.Value.Zero()
	last.B.Value.Zero()
	m := energy.FromModel[float32](&member{net: net, bound: o.Bound, base: 1 / (1 + o.Sigma*o.Sigma)})
	tr := &train.Trainer{
		Model:     m,
		Estimator: &train.DenoisingSM[float32]{Sigma: o.Sigma},
		Data:      &train.Dataset{X: u, Seed: seed},
		Config: train.Config{Iters: o.Iters, Batch: min(o.Batch, u.Rows), LR: o.LR, Seed: seed,
			ClipNorm: 10, LogEvery: o.Iters + 1},
	}
	if _, err := tr.Run(ctx); err != nil {
		return nil, err
	}
	return net, nil
}

// whiten returns u = ((x − c)/s − m)·W for the raw rows of x.
func (det *Detector) whiten(x *tensor.Dense[float64]) *tensor.Dense[float64] {
	d := len(det.mean)
	z := tensor.New[float64](x.Rows, d)
	det.Scaler.Apply(z.Data, x.Data)
	for i := range z.Data {
		z.Data[i] -= det.mean[i%d]
	}
	u := tensor.New[float64](x.Rows, d)
	tensor.Gemm(false, false, 1, z, det.w, 0, u)
	return u
}

// Dim returns the number of columns of a row.
func (det *Detector) Dim() int { return len(det.mean) }

// Threshold returns the anomaly score above which a row is flagged.
func (det *Detector) Threshold() float64 { return det.threshold }

// SetThreshold replaces the threshold (for example one chosen on labelled
// validation data).
func (det *Detector) SetThreshold(t float64) { det.threshold = t }

// Shrinkage returns the covariance shrinkage coefficient the fit used.
func (det *Detector) Shrinkage() float64 { return det.shrink }

// Members returns the number of networks in the ensemble.
func (det *Detector) Members() int { return len(det.nets) }

// Energy writes E(x_i), the anomaly score of row i, into e[i]
// (energy.Energy over raw rows).
func (det *Detector) Energy(x *tensor.Dense[float64], e []float64) { det.eval(x, e, nil) }

// EnergyGrad writes E(x_i) into e[i] and ∇ₓE(x_i), in raw units, into row i
// of g (energy.GradEnergy).
func (det *Detector) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	det.eval(x, e, g)
}

func (det *Detector) eval(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	d := det.Dim()
	if x.Cols != d || len(e) != x.Rows || (g != nil && (g.Rows != x.Rows || g.Cols != d)) {
		panic(fmt.Sprintf("anomaly: batch %s with %d energies for a detector of width %d", x.Shape(), len(e), d))
	}
	n := x.Rows
	if n == 0 {
		return
	}
	u := det.whiten(x)
	for i := 0; i < n; i++ {
		e[i] = 0.5 * tensor.SumSquares(u.Row(i))
	}
	var gu *tensor.Dense[float64]
	if g != nil {
		gu = u.Clone() // ∇ᵤ½‖u‖² = u
	}
	if len(det.nets) > 0 {
		u32 := tensor.Convert[float32](nil, u)
		f := make([]float32, n)
		var g32 *tensor.Dense[float32]
		if g != nil {
			g32 = tensor.New[float32](n, d)
		}
		inv := 1 / float64(len(det.nets))
		b := det.bound
		for _, net := range det.nets {
			net.ValueGradX(u32, f, g32)
			for i, fv := range f {
				th := math.Tanh(float64(fv) / b)
				e[i] += inv * b * th
				if g != nil {
					c := inv * (1 - th*th)
					row := gu.Row(i)
					for j, gv := range g32.Row(i) {
						row[j] += c * float64(gv)
					}
				}
			}
		}
	}
	if g == nil {
		return
	}
	// ∇_z = ∇_u·Wᵀ, ∇ₓ = ∇_z / s.
	tensor.Gemm(false, true, 1, gu, det.w, 0, g)
	for i := range g.Data {
		g.Data[i] /= det.Scaler.Scale[i%d]
	}
}

// checkRows reports rows of the wrong width or with non-finite values.
func (det *Detector) checkRows(x *tensor.Dense[float64]) error {
	if x == nil {
		return errors.New("anomaly: no rows")
	}
	if x.Cols != det.Dim() {
		return fmt.Errorf("anomaly: rows have %d columns, the detector was fitted on %d", x.Cols, det.Dim())
	}
	if i := x.HasNaNInf(); i >= 0 {
		return fmt.Errorf("anomaly: row %d, column %d is %v: rows must be finite", i/x.Cols+1, i%x.Cols+1, x.Data[i])
	}
	return nil
}

// AnomalyScore returns E(x_i) for every row (higher = more anomalous) in dst
// (allocated if nil or too short). Rows must have Dim() columns; use Score
// for a checked call.
func (det *Detector) AnomalyScore(x *tensor.Dense[float64], dst []float64) []float64 {
	if cap(dst) < x.Rows {
		dst = make([]float64, x.Rows)
	}
	dst = dst[:x.Rows]
	det.Energy(x, dst)
	return dst
}

// Score is AnomalyScore with the rows checked: wrong width or a NaN/Inf is
// an error.
func (det *Detector) Score(x *tensor.Dense[float64]) ([]float64, error) {
	if err := det.checkRows(x); err != nil {
		return nil, err
	}
	return det.AnomalyScore(x, nil), nil
}

// ScoreSamples returns −E(x_i), scikit-learn's score_samples: higher = more
// normal.
func (det *Detector) ScoreSamples(x *tensor.Dense[float64]) ([]float64, error) {
	s, err := det.Score(x)
	for i := range s {
		s[i] = -s[i]
	}
	return s, err
}

// DecisionFunction returns Threshold() − E(x_i), scikit-learn's
// decision_function: negative for the rows flagged as anomalies.
func (det *Detector) DecisionFunction(x *tensor.Dense[float64]) ([]float64, error) {
	s, err := det.Score(x)
	for i := range s {
		s[i] = det.threshold - s[i]
	}
	return s, err
}

// Predict returns scikit-learn's labels: −1 for a row whose anomaly score is
// above Threshold(), +1 otherwise.
func (det *Detector) Predict(x *tensor.Dense[float64]) ([]int, error) {
	s, err := det.Score(x)
	if err != nil {
		return nil, err
	}
	p := make([]int, len(s))
	for i, v := range s {
		p[i] = 1
		if v > det.threshold {
			p[i] = -1
		}
	}
	return p, nil
}

// ScoreNorms returns ‖∇ₓE(x_i)‖ for every row, in raw units.
func (det *Detector) ScoreNorms(x *tensor.Dense[float64]) ([]float64, error) {
	if err := det.checkRows(x); err != nil {
		return nil, err
	}
	e := make([]float64, x.Rows)
	g := tensor.New[float64](x.Rows, x.Cols)
	det.EnergyGrad(x, e, g)
	for i := range e {
		e[i] = math.Sqrt(tensor.SumSquares(g.Row(i)))
	}
	return e, nil
}

var _ energy.GradEnergy = (*Detector)(nil)

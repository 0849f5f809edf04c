package anomaly

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// whitener maps standardized rows z to u = (z − Mean)·W, where W = L⁻ᵀ for
// the Cholesky factor L of the Ledoit–Wolf shrunk covariance Σ = LLᵀ, so that
// ½‖u‖² = ½(z − Mean)ᵀΣ⁻¹(z − Mean), the energy of the Gaussian N(Mean, Σ).
type whitener struct {
	Mean      []float64
	W         *mat.Dense // d×d
	Shrinkage float64    // the Ledoit–Wolf coefficient used
	LogDet    float64    // log det Σ
}

// minVar floors the shrunk covariance's diagonal (in standardized units), so
// that a column that is constant in the training data still has a finite
// precision: a new row that differs there scores high, not infinite.
const minVar = 1e-3

// fitWhitener fits the Gaussian of the n×d rows z (row-major). shrink < 0
// selects the Ledoit–Wolf coefficient (the formula of Ledoit & Wolf 2004, as
// scikit-learn's ledoit_wolf computes it), otherwise Σ = (1 − shrink)·S +
// shrink·(tr S/d)·I for the empirical covariance S.
func fitWhitener(z []float64, n, d int, shrink float64) (*whitener, error) {
	if n < 2 {
		return nil, errors.New("anomaly: need at least 2 rows to fit a covariance")
	}
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			mean[j] += z[i*d+j]
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	xc := mat.NewDense(n, d, nil)
	x2 := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			v := z[i*d+j] - mean[j]
			xc.Set(i, j, v)
			x2.Set(i, j, v*v)
		}
	}
	var S mat.Dense
	S.Mul(xc.T(), xc)
	S.Scale(1/float64(n), &S)
	tr := 0.0
	for j := 0; j < d; j++ {
		tr += S.At(j, j)
	}
	mu := tr / float64(d)
	if shrink < 0 {
		shrink = ledoitWolf(&S, x2, n, d, mu)
	}
	if shrink > 1 {
		shrink = 1
	}
	if !(mu > 0) {
		mu = 1
	}
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			v := (1 - shrink) * S.At(i, j)
			if i == j {
				v += shrink * mu
				if v < minVar {
					v = minVar
				}
			}
			sym.SetSym(i, j, v)
		}
	}
	var ch mat.Cholesky
	if ok := ch.Factorize(sym); !ok {
		// Add a ridge and retry: the floor above makes this rare.
		for i := 0; i < d; i++ {
			sym.SetSym(i, i, sym.At(i, i)+1e-6*mu+minVar)
		}
		if ok := ch.Factorize(sym); !ok {
			return nil, fmt.Errorf("anomaly: the %d×%d covariance is not positive definite", d, d)
		}
	}
	var L mat.TriDense
	ch.LTo(&L)
	logDet := 0.0
	for i := 0; i < d; i++ {
		logDet += 2 * math.Log(L.At(i, i))
	}
	var Linv mat.TriDense
	if err := Linv.InverseTri(&L); err != nil {
		return nil, fmt.Errorf("anomaly: inverting the covariance factor: %w", err)
	}
	W := mat.DenseCopyOf(Linv.T())
	return &whitener{Mean: mean, W: W, Shrinkage: shrink, LogDet: logDet}, nil
}

// ledoitWolf returns the Ledoit–Wolf shrinkage coefficient of the centred rows
// (x2 holds their squares) with empirical covariance S and mean variance mu.
func ledoitWolf(S *mat.Dense, x2 *mat.Dense, n, d int, mu float64) float64 {
	var b mat.Dense
	b.Mul(x2.T(), x2)
	beta0 := mat.Sum(&b)
	delta0 := 0.0
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			v := S.At(i, j)
			delta0 += v * v
		}
	}
	nf, df := float64(n), float64(d)
	beta := (beta0/nf - delta0) / (df * nf)
	delta := (delta0 - 2*mu*mu*df + df*mu*mu) / df
	if beta > delta {
		beta = delta
	}
	if beta <= 0 || delta <= 0 {
		return 0
	}
	return beta / delta
}

// mahal2 returns ‖(z_i − Mean)·W‖² for every row of z.
func (w *whitener) mahal2(z []float64, n, d int) []float64 {
	v := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			v.Set(i, j, z[i*d+j]-w.Mean[j])
		}
	}
	var u mat.Dense
	u.Mul(v, w.W)
	out := make([]float64, n)
	for i := range out {
		r := u.RawRowView(i)
		s := 0.0
		for _, x := range r {
			s += x * x
		}
		out[i] = s
	}
	return out
}

// elementalKeep is the number of elemental starts of least log det Σ
// (after two C-steps) that robustWhitener carries on, as FastMCD keeps 10;
// the two C-steps of a larger table run on elementalRows of its rows (FastMCD
// uses subsets of 300 to 600 rows); elementalFlops bounds the work of those
// C-steps (about n·d² + d³ operations a fit, three fits a start).
const (
	elementalKeep  = 10
	elementalRows  = 600
	elementalFlops = 4e9
)

// robustWhitener fits the Gaussian of the rows z so that anomalies among
// them do not inflate it, in the manner of the reweighted minimum covariance
// determinant estimator (Rousseeuw & Van Driessen 1999), with the shrunk
// covariance in place of the empirical one:
//
//  1. C-steps: refit on the h = (1 − trim)·n rows of smallest Mahalanobis
//     distance d² until the set stops changing (at most 5 times), from two
//     deterministic starts, the fit to all rows and the fit to the h rows
//     nearest the coordinatewise median (z is robustly standardized), as in
//     DetMCD (Hubert, Rousseeuw & Verdonck 2012), from elemental starts as
//     in FastMCD (Rousseeuw & Van Driessen 1999): fits to elemental random
//     subsets of d + 1 rows, each followed by two C-steps, the elementalKeep
//     of least log det Σ carried on, and from starts fits to random subsets
//     of h rows drawn from rng; the result of least log det Σ is kept, as MCD
//     keeps the subset of least covariance determinant. The C-steps run
//     only when h > d, as the MCD is defined only then: the covariance of at
//     most d rows is singular, and the determinant of its shrunk version
//     ranks subsets by how they sit in a subspace rather than by their
//     spread (measured: on MNIST, 784 columns and 210 of 300 rows kept, the
//     C-steps cut the AUROC of some classes to chance). Otherwise the
//     reweighting starts from the fit to all rows;
//  2. reweighting: with d² rescaled so that its median matches the χ²_d
//     median (a trimmed fit is too narrow), refit on every row whose
//     rescaled d² is at most the χ²_d quantile reweight, until the set of
//     rows stops changing (at most 5 times; skipped if reweight is 0).
//
// Either step may be left out (trim 0 or reweight 0).
//
// The elemental starts matter when the anomalies are a sizeable minority of
// few rows in many columns: a start from all rows, or from the rows nearest
// the median, can converge to a subset that keeps some anomalies, while a
// subset of d + 1 rows is free of them with fair probability (with a
// fraction ε of anomalies, (1 − ε)^(d+1)) and its C-steps then find the
// clean subset of least determinant. There are elemental of them (0: none),
// drawn from a fixed stream so that the fit does not depend on the seed;
// their C-steps run on a fixed subsample of elementalRows rows when n is
// larger, and the best of them is refined on all rows; there are fewer when
// their first two C-steps would exceed elementalFlops floating-point
// operations, and none unless the h of the (sub)sample is at least 2(d + 1):
// an elemental subset close to h rows is no more likely to be clean than a
// random h-subset.
//
// It returns the fit and the indices of the rows of the final fit.
func robustWhitener(z []float64, n, d int, shrink, trim, reweight float64, starts, elemental int, rng *rand.Rand) (*whitener, []int, error) {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	wh, err := fitWhitener(z, n, d, shrink)
	if err != nil {
		return nil, nil, err
	}
	rowsOf := func(z []float64, idx []int) []float64 {
		out := make([]float64, 0, len(idx)*d)
		for _, i := range idx {
			out = append(out, z[i*d:(i+1)*d]...)
		}
		return out
	}
	rows := func(idx []int) []float64 { return rowsOf(z, idx) }
	kept := all
	const steps = 5
	if h := int(math.Round((1 - trim) * float64(n))); trim > 0 && h >= 2 && h > d {
		// C-steps on the n rows z keeping h of them, from each start (at
		// most maxSteps); the fit of least log det Σ wins.
		cstepOn := func(z []float64, n, h int, w *whitener, maxSteps int) (*whitener, []int, error) {
			var prev []int
			for s := 0; s < maxSteps; s++ {
				d2 := w.mahal2(z, n, d)
				idx := make([]int, n)
				for i := range idx {
					idx[i] = i
				}
				slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(d2[a], d2[b]) })
				set := idx[:h]
				slices.Sort(set)
				if slices.Equal(set, prev) {
					break
				}
				prev = set
				var err error
				if w, err = fitWhitener(rowsOf(z, set), h, d, shrink); err != nil {
					return nil, nil, err
				}
			}
			return w, prev, nil
		}
		cstep := func(w *whitener, maxSteps int) (*whitener, []int, error) { return cstepOn(z, n, h, w, maxSteps) }
		best, bestSet, err := cstep(wh, steps)
		if err != nil {
			return nil, nil, err
		}
		// Deterministic start (as in DetMCD): the h rows nearest the robust
		// centre, the coordinatewise median, in the standardized units.
		near := slices.Clone(all)
		r2 := make([]float64, n)
		for i := range r2 {
			for _, v := range z[i*d : (i+1)*d] {
				r2[i] += v * v
			}
		}
		slices.SortStableFunc(near, func(a, b int) int { return cmp.Compare(r2[a], r2[b]) })
		for k := -1; k < starts; k++ {
			var set []int
			if k < 0 {
				set = slices.Clone(near[:h])
			} else {
				set = rng.Perm(n)[:h]
			}
			slices.Sort(set)
			w0, err := fitWhitener(rows(set), h, d, shrink)
			if err != nil {
				return nil, nil, err
			}
			w, set, err := cstep(w0, steps)
			if err != nil {
				return nil, nil, err
			}
			if w.LogDet < best.LogDet {
				best, bestSet = w, set
			}
		}
		// Elemental starts: two C-steps each, then the elementalKeep of
		// least log det Σ run to the end; on a larger table these C-steps
		// run on a subsample of elementalRows rows and only the best of
		// them is refined on all rows (as FastMCD does).
		m := d + 1
		erng := rand.New(rand.NewPCG(0xe1e3e47a1, uint64(n)))
		zs, ns, hs := z, n, h
		if n > elementalRows {
			sub := erng.Perm(n)[:elementalRows]
			slices.Sort(sub)
			zs, ns = rowsOf(z, sub), elementalRows
			hs = int(math.Round((1 - trim) * float64(ns)))
		}
		perFit := float64(ns)*float64(d)*float64(d) + float64(d)*float64(d)*float64(d)
		if k := min(elemental, int(elementalFlops/(3*perFit))); k > 0 && hs >= 2*m {
			cands := make([]*whitener, 0, k)
			for range k {
				set := erng.Perm(ns)[:m]
				slices.Sort(set)
				w0, err := fitWhitener(rowsOf(zs, set), m, d, shrink)
				if err != nil {
					return nil, nil, err
				}
				w, _, err := cstepOn(zs, ns, hs, w0, 2)
				if err != nil {
					return nil, nil, err
				}
				cands = append(cands, w)
			}
			slices.SortStableFunc(cands, func(a, b *whitener) int { return cmp.Compare(a.LogDet, b.LogDet) })
			var eb *whitener
			var ebSet []int
			for _, c := range cands[:min(elementalKeep, len(cands))] {
				w, set, err := cstepOn(zs, ns, hs, c, steps)
				if err != nil {
					return nil, nil, err
				}
				if eb == nil || w.LogDet < eb.LogDet {
					eb, ebSet = w, set
				}
			}
			if n > ns { // the subsample's best, refined on all rows
				if eb, ebSet, err = cstep(eb, steps); err != nil {
					return nil, nil, err
				}
			}
			if eb.LogDet < best.LogDet {
				best, bestSet = eb, ebSet
			}
		}
		wh, kept = best, bestSet
	}
	if reweight > 0 {
		chi := distuv.ChiSquared{K: float64(d)}
		lim := chi.Quantile(reweight)
		med := chi.Quantile(0.5)
		for s := 0; s < steps; s++ {
			d2 := wh.mahal2(z, n, d)
			c := Quantile(d2, 0.5) / med
			var keep []int
			for i, v := range d2 {
				if c > 0 && v/c <= lim {
					keep = append(keep, i)
				}
			}
			if len(keep) < 2 || slices.Equal(keep, kept) {
				break
			}
			if wh, err = fitWhitener(rows(keep), len(keep), d, shrink); err != nil {
				return nil, nil, err
			}
			kept = keep
		}
	}
	return wh, kept, nil
}

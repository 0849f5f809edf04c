package jem

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// evalChunk is the number of rows evaluated at once.
const evalChunk = 512

// Scores are per-example figures of a classifier on a batch.
type Scores struct {
	Probs    [][]float64 // p(y | x), n×K
	Energy   []float64   // E(x) = −logsumexp f(x) = −log p(x) − log Z
	MaxProb  []float64   // max_y p(y | x)
	GradNorm []float64   // ‖∇ₓ log p(x)‖ = ‖∇ₓE(x)‖
}

// Score evaluates c on the rows of x in chunks.
func Score[T tensor.Float](c *Classifier[T], x *tensor.Dense[float64]) (*Scores, error) {
	if x == nil || x.Rows == 0 {
		return nil, errors.New("jem: no examples to score")
	}
	if x.Cols != c.Dim() {
		return nil, &DataError{fmt.Sprintf("examples have %d values, the model takes %d", x.Cols, c.Dim())}
	}
	n, k, d := x.Rows, c.Classes(), x.Cols
	s := &Scores{Probs: make([][]float64, n), Energy: make([]float64, n), MaxProb: make([]float64, n), GradNorm: make([]float64, n)}
	var logits, g *tensor.Dense[float64]
	for lo := 0; lo < n; lo += evalChunk {
		hi := min(lo+evalChunk, n)
		xb := tensor.FromSlice(hi-lo, d, x.Data[lo*d:hi*d])
		logits = c.Logits64(xb, logits)
		g = tensor.Reuse(g, hi-lo, d)
		c.EnergyGrad(xb, s.Energy[lo:hi], g)
		for i := 0; i < hi-lo; i++ {
			row := logits.Row(i)
			lse := logSumExp(row)
			p := make([]float64, k)
			best := 0.0
			for j, v := range row {
				p[j] = math.Exp(v - lse)
				best = math.Max(best, p[j])
			}
			s.Probs[lo+i], s.MaxProb[lo+i] = p, best
			ss := 0.0
			for _, v := range g.Row(i) {
				ss += v * v
			}
			s.GradNorm[lo+i] = math.Sqrt(ss)
		}
	}
	return s, nil
}

// Bin is one bin of a reliability diagram.
type Bin struct {
	Lo, Hi     float64 `json:"-"`
	Count      int     `json:"count"`
	Accuracy   float64 `json:"accuracy"`
	Confidence float64 `json:"confidence"`
}

// Classification is a classifier's evaluation on labelled data.
type Classification struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	// NLL is the mean −log p(y | x) in nats.
	NLL float64 `json:"nll"`
	// ECE is the expected calibration error over Bins equal-width
	// confidence bins (metric.ECE).
	ECE         float64 `json:"ece"`
	Bins        []Bin   `json:"reliability"`
	MeanEnergy  float64 `json:"mean_energy"`
	MeanMaxProb float64 `json:"mean_confidence"`
}

// Classify evaluates s against labels y with bins calibration bins.
func Classify(s *Scores, y []int, bins int) (*Classification, error) {
	n := len(s.Probs)
	if len(y) != n {
		return nil, &DataError{fmt.Sprintf("%d examples but %d labels", n, len(y))}
	}
	k := len(s.Probs[0])
	r := &Classification{N: n, Bins: make([]Bin, bins)}
	for b := range r.Bins {
		r.Bins[b].Lo, r.Bins[b].Hi = float64(b)/float64(bins), float64(b+1)/float64(bins)
	}
	for i, p := range s.Probs {
		if y[i] < 0 || y[i] >= k {
			return nil, &DataError{fmt.Sprintf("row %d has label %d, outside the model's %d classes 0..%d", i+1, y[i], k, k-1)}
		}
		best := 0
		for j, v := range p {
			if v > p[best] {
				best = j
			}
		}
		ok := best == y[i]
		if ok {
			r.Accuracy++
		}
		r.NLL -= math.Log(math.Max(p[y[i]], math.SmallestNonzeroFloat64))
		r.MeanEnergy += s.Energy[i]
		r.MeanMaxProb += p[best]
		b := max(0, min(int(math.Ceil(p[best]*float64(bins)))-1, bins-1))
		r.Bins[b].Count++
		r.Bins[b].Confidence += p[best]
		if ok {
			r.Bins[b].Accuracy++
		}
	}
	for b := range r.Bins {
		if c := float64(r.Bins[b].Count); c > 0 {
			r.Bins[b].Accuracy /= c
			r.Bins[b].Confidence /= c
		}
	}
	nf := float64(n)
	r.Accuracy /= nf
	r.NLL /= nf
	r.MeanEnergy /= nf
	r.MeanMaxProb /= nf
	ece, err := metric.ECE(s.Probs, y, bins)
	if err != nil {
		return nil, err
	}
	r.ECE = ece
	return r, nil
}

// OOD holds the AUROC of separating out-of-distribution points (positives)
// from in-distribution points by each score, oriented so that a higher score
// means "more out of distribution": E(x) = −log p(x) + log Z, −max_y p(y|x),
// and ‖∇ₓ log p(x)‖. 0.5 is chance; below 0.5 the score ranks the other way.
type OOD struct {
	Name     string  `json:"name"`
	N        int     `json:"n"`
	Energy   float64 `json:"auroc_energy"`
	MaxProb  float64 `json:"auroc_max_softmax"`
	GradNorm float64 `json:"auroc_grad_norm"`
}

// DetectOOD computes the AUROCs for in-distribution scores in and
// out-of-distribution scores out.
func DetectOOD(name string, in, out *Scores) OOD {
	neg := func(v []float64) []float64 {
		r := make([]float64, len(v))
		for i, x := range v {
			r[i] = -x
		}
		return r
	}
	return OOD{Name: name, N: len(out.Energy),
		Energy:   metric.AUROC(out.Energy, in.Energy),
		MaxProb:  metric.AUROC(neg(out.MaxProb), neg(in.MaxProb)),
		GradNorm: metric.AUROC(out.GradNorm, in.GradNorm)}
}

// Uniform returns n points drawn uniformly in box (d coordinates).
func Uniform(n, d int, box *sample.Box, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, d)
	for i := range n {
		row := x.Row(i)
		for j := range row {
			lo, hi := boxAt(box, j)
			row[j] = lo + (hi-lo)*rng.Float64()
		}
	}
	return x
}

// SampleClasses draws perClass class-conditional samples of every class:
// chains start from init (fresh draws of a Replay's initial distribution,
// which must have been fitted) and run s on E(x, y). Row i has label i/perClass.
func SampleClasses[T tensor.Float](c *Classifier[T], init *Replay, s Sampler, perClass int, seed uint64) (*tensor.Dense[float64], []int, error) {
	if perClass < 1 {
		return nil, nil, fmt.Errorf("jem: samples per class must be ≥ 1, got %d", perClass)
	}
	if init == nil || init.k == 0 {
		return nil, nil, errors.New("jem: SampleClasses needs a fitted initial distribution")
	}
	if init.k != c.Classes() {
		return nil, nil, fmt.Errorf("jem: the initial distribution has %d classes, the model %d", init.k, c.Classes())
	}
	k := c.Classes()
	n := k * perClass
	rng := rand.New(rand.NewPCG(seed, 0x73616d))
	x0 := tensor.New[float64](n, c.Dim())
	y := make([]int, n)
	for i := range n {
		y[i] = i / perClass
		if init.gauss != nil {
			init.gauss.Draw(x0.Row(i), y[i], rng, init.z)
			for j, v := range x0.Row(i) {
				lo, hi := boxAt(init.Box, j)
				x0.Row(i)[j] = math.Min(math.Max(v, lo), hi)
			}
		} else {
			init.fresh(x0.Row(i), rng)
		}
	}
	x, err := s.Chains(c.Conditional(y), x0, init.Box, rng.Uint64())
	if err != nil {
		return nil, nil, err
	}
	return x, y, nil
}

// Agreement returns the fraction of rows of x that c assigns to the class
// y[i] (arg max of p(y | x)).
func Agreement[T tensor.Float](c *Classifier[T], x *tensor.Dense[float64], y []int) (float64, error) {
	s, err := Score(c, x)
	if err != nil {
		return 0, err
	}
	ok := 0
	for i, p := range s.Probs {
		best := 0
		for j, v := range p {
			if v > p[best] {
				best = j
			}
		}
		if best == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(y)), nil
}

// ReliabilityPNG writes the reliability diagram of r (accuracy against mean
// confidence per non-empty bin, with the diagonal of perfect calibration) to
// path.
func ReliabilityPNG(path, title string, r *Classification) error {
	var cx, cy []float64
	for _, b := range r.Bins {
		if b.Count > 0 {
			cx = append(cx, b.Confidence)
			cy = append(cy, b.Accuracy)
		}
	}
	return plot.Lines(path, fmt.Sprintf("%s (ECE %.4f, accuracy %.4f)", title, r.ECE, r.Accuracy), "confidence", "accuracy",
		[]plot.Series{{Name: "perfect calibration", X: []float64{0, 1}, Y: []float64{0, 1}}, {Name: "model", X: cx, Y: cy}}, plot.LineOptions{})
}

// SamplesPNG writes samples (rows read as h×w images with values in [lo, hi]
// mapped to black..white) as a grid with cols images per row.
func SamplesPNG(path string, x *tensor.Dense[float64], h, w, cols int, lo, hi float64) error {
	y := x.Clone()
	if hi > lo {
		for i, v := range y.Data {
			y.Data[i] = (v - lo) / (hi - lo)
		}
	}
	scale := max(1, 64/max(h, w))
	return plot.ImageGrid(path, y, h, w, cols, scale)
}

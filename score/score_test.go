package score

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/tensor"
)

// flagged is a Gaussian energy with a threshold, as anomaly detectors are.
type flagged struct {
	*energy.Gaussian
	t float64
}

func (f flagged) Threshold() float64 { return f.t }

func diagGaussian(t *testing.T) *energy.Gaussian {
	g, err := energy.NewDiagGaussian([]float64{1, -1}, []float64{4, 0.25})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestScoreClosedForm: for N(μ, diag(σ²)) every column has a closed form:
// E = ½ Σ (xᵢ−μᵢ)²/σᵢ², −log p = E + ½ Σ log(2πσᵢ²), ‖∇E‖ = ‖(x−μ)/σ²‖.
func TestScoreClosedForm(t *testing.T) {
	g := diagGaussian(t)
	s, err := New(flagged{g, 1}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Columns(), ","); got != "energy,neg_log_p,score_norm,flag" {
		t.Fatalf("columns %s", got)
	}
	x := tensor.FromSlice(3, 2, []float64{1, -1, 3, -1, 0, 0})
	var sc Scores
	if err := s.Score(x, &sc); err != nil {
		t.Fatal(err)
	}
	lz := 0.5 * (math.Log(2*math.Pi*4) + math.Log(2*math.Pi*0.25))
	for i := range 3 {
		d0, d1 := x.At(i, 0)-1, x.At(i, 1)+1
		e := 0.5 * (d0*d0/4 + d1*d1/0.25)
		norm := math.Hypot(d0/4, d1/0.25)
		if math.Abs(sc.Energy[i]-e) > 1e-12 || math.Abs(sc.NegLogP[i]-(e+lz)) > 1e-12 || math.Abs(sc.ScoreNorm[i]-norm) > 1e-12 || sc.Flag[i] != (e > 1) {
			t.Fatalf("row %d: got %v %v %v %v, want %v %v %v %v", i, sc.Energy[i], sc.NegLogP[i], sc.ScoreNorm[i], sc.Flag[i], e, e+lz, norm, e > 1)
		}
	}
	// Bad batches.
	if err := s.Score(tensor.New[float64](2, 3), &sc); !errors.As(err, new(*WidthError)) {
		t.Fatalf("width: %v", err)
	}
	err = s.Score(tensor.FromSlice(2, 2, []float64{0, 0, math.Inf(-1), 1}), &sc)
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Row != 1 || ve.Col != 0 || !strings.Contains(err.Error(), "row 2, column 1: -Inf") {
		t.Fatalf("non-finite: %v", err)
	}
}

func writeCSV(t *testing.T, dir, name string, rows [][]float64) string {
	var b strings.Builder
	for _, r := range rows {
		for j, v := range r {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStreamLabels: streamed scores in small batches equal one Score call;
// the ranking figures equal package metric's on the same energies; a label
// file gives the same report as a label column.
func TestStreamLabels(t *testing.T) {
	dir := t.TempDir()
	g := diagGaussian(t)
	s, _ := New(g, false)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 257
	rows := make([][]float64, n)
	labels := make([][]float64, n)
	x := tensor.New[float64](n, 2)
	for i := range rows {
		y := float64(rng.IntN(5) / 4) // about 20% positives
		r := 1 + 2*y
		rows[i] = []float64{1 + 2*r*rng.NormFloat64(), -1 + 0.5*r*rng.NormFloat64(), y}
		labels[i] = []float64{y}
		x.Set(i, 0, rows[i][0])
		x.Set(i, 1, rows[i][1])
	}
	var all Scores
	if err := s.Score(x, &all); err != nil {
		t.Fatal(err)
	}
	var pos, neg []float64
	for i, e := range all.Energy {
		if labels[i][0] == 1 {
			pos = append(pos, e)
		} else {
			neg = append(neg, e)
		}
	}
	in := writeCSV(t, dir, "in.csv", rows)
	r, err := data.OpenRows(in, data.RowOptions{Label: "last", BinaryLabels: true})
	if err != nil {
		t.Fatal(err)
	}
	outPath := filepath.Join(dir, "out.csv")
	out, _ := data.CreateRows(outPath, "", s.Columns())
	rep, err := Stream(context.Background(), s, r, out, Config{Batch: 10})
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Commit(); err != nil {
		t.Fatal(err)
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }
	if rep.Rows != n || *rep.Positives != int64(len(pos)) || !close(*rep.AUROC, metric.AUROC(pos, neg)) || !close(*rep.AP, metric.AveragePrecision(pos, neg)) {
		t.Fatalf("report %+v", rep)
	}
	f1, th := metric.BestF1(pos, neg)
	if !close(*rep.BestF1, f1) || *rep.BestF1Threshold != th {
		t.Fatalf("best F1 %v at %v, want %v at %v", *rep.BestF1, *rep.BestF1Threshold, f1, th)
	}
	if *rep.AUROC < 0.7 {
		t.Fatalf("AUROC %v: wider rows should rank as more anomalous", *rep.AUROC)
	}
	back, err := data.OpenRows(outPath, data.RowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := back.Next(n + 1)
	back.Close()
	if b.X.Rows != n || b.X.Cols != 2 {
		t.Fatalf("output %s", b.X.Shape())
	}
	for i := range n {
		if b.X.At(i, 0) != all.Energy[i] {
			t.Fatalf("row %d: output energy %v, Score %v", i, b.X.At(i, 0), all.Energy[i])
		}
	}

	// The same with a separate label file.
	in2 := writeCSV(t, dir, "x.csv", func() [][]float64 {
		o := make([][]float64, n)
		for i := range rows {
			o[i] = rows[i][:2]
		}
		return o
	}())
	lab := writeCSV(t, dir, "y.csv", labels)
	r2, _ := data.OpenRows(in2, data.RowOptions{})
	l2, _ := data.OpenRows(lab, data.RowOptions{})
	rep2, err := Stream(context.Background(), s, r2, nil, Config{Batch: 33, Labels: l2})
	if err != nil {
		t.Fatal(err)
	}
	if *rep2.AUROC != *rep.AUROC || *rep2.AP != *rep.AP {
		t.Fatalf("label file gives %v %v, label column %v %v", *rep2.AUROC, *rep2.AP, *rep.AUROC, *rep.AP)
	}
}

func TestStreamErrors(t *testing.T) {
	dir := t.TempDir()
	s, _ := New(diagGaussian(t), false)
	open := func(p string, opt data.RowOptions) data.RowReader {
		r, err := data.OpenRows(p, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	// Wrong width.
	p := writeCSV(t, dir, "w.csv", [][]float64{{1, 2, 3}})
	if _, err := Stream(context.Background(), s, open(p, data.RowOptions{}), nil, Config{}); !errors.As(err, new(*WidthError)) {
		t.Fatalf("width: %v", err)
	}
	// Labels that are not binary, in a column: the line is named.
	p = writeCSV(t, dir, "l.csv", [][]float64{{1, 2, 0}, {1, 2, 2}})
	_, err := Stream(context.Background(), s, open(p, data.RowOptions{Label: "last", BinaryLabels: true}), nil, Config{})
	if err == nil || !strings.Contains(err.Error(), "l.csv:2: column 3: label \"2\" is not 0 or 1") {
		t.Fatalf("labels: %v", err)
	}
	// A label file of the wrong length, and one that is not binary.
	x := writeCSV(t, dir, "x.csv", [][]float64{{1, 2}, {3, 4}})
	for _, c := range []struct {
		labels [][]float64
		want   string
	}{
		{[][]float64{{1}}, "fewer labels than data rows"},
		{[][]float64{{1}, {0}, {1}}, "more labels than the 2 data rows"},
		{[][]float64{{1}, {0.5}}, "y.csv: row 2: label 0.5 is not 0 or 1"},
	} {
		y := writeCSV(t, dir, "y.csv", c.labels)
		_, err := Stream(context.Background(), s, open(x, data.RowOptions{}), nil, Config{Labels: open(y, data.RowOptions{}), LabelsName: y})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("got %v, want %q", err, c.want)
		}
	}
	// Cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Stream(ctx, s, open(x, data.RowOptions{}), nil, Config{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestLoadKinds: a saved MLP energy loads with a gradient; a kind that is
// not an energy over points is refused with a KindError.
func TestLoadKinds(t *testing.T) {
	dir := t.TempDir()
	ms, err := energy.ParseModelSpec("mlp:hidden=8")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ms.Build(2, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	mdir := filepath.Join(dir, "mlp")
	if err := energy.SaveModel(mdir, m, &model.Meta{}); err != nil {
		t.Fatal(err)
	}
	s, meta, err := Load(mdir, true)
	if err != nil {
		t.Fatal(err)
	}
	if s.G == nil || meta.Kind != energy.KindMLPEnergy || strings.Join(s.Columns(), ",") != "energy,score_norm" {
		t.Fatalf("loaded %+v kind %s", s, meta.Kind)
	}
	var sc Scores
	x := tensor.FromSlice(1, 2, []float64{0.3, -0.7})
	if err := s.Score(x, &sc); err != nil {
		t.Fatal(err)
	}
	// The score norm agrees with finite differences of the energy.
	h, fd := 1e-3, 0.0
	for j := range 2 {
		xp, xm := tensor.FromSlice(1, 2, append([]float64(nil), x.Data...)), tensor.FromSlice(1, 2, append([]float64(nil), x.Data...))
		xp.Data[j] += h
		xm.Data[j] -= h
		ep, em := make([]float64, 1), make([]float64, 1)
		s.E.Energy(xp, ep)
		s.E.Energy(xm, em)
		d := (ep[0] - em[0]) / (2 * h)
		fd += d * d
	}
	if math.Abs(sc.ScoreNorm[0]-math.Sqrt(fd)) > 1e-3*(1+math.Sqrt(fd)) {
		t.Fatalf("score norm %v, finite differences %v", sc.ScoreNorm[0], math.Sqrt(fd))
	}
	// Not a model folder.
	if _, _, err := Load(dir, false); err == nil {
		t.Fatal("a folder without model.json loaded")
	}
}

// TestLoadWrongKind: a deep belief net is not an energy over points.
func TestLoadWrongKind(t *testing.T) {
	net, err := rbm.NewDBN(rbm.Bernoulli, []int{4, 3, 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "dbn")
	if err := net.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = Load(dir, false)
	var ke *energy.KindError
	if !errors.As(err, &ke) || ke.Kind != rbm.KindDBN {
		t.Fatalf("got %v, want a KindError for kind dbn", err)
	}
}

package fit

import (
	"bufio"
	"context"
	"encoding/json"
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
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/tensor"
)

func smallFlow(t *testing.T, d int) *flow.Flow[float32] {
	t.Helper()
	f, err := flow.Parse[float32]("realnvp:layers=2,hidden=8", d, 1)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustExist(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s not written: %v", n, err)
		}
	}
}

// TestTrainJob fits a small flow to 8gaussians, checks the files written,
// that report.json holds the returned report, and that the saved flow,
// loaded back (LoadFlow) and evaluated (Evaluate), gives the report's test
// NLL.
func TestTrainJob(t *testing.T) {
	pts, err := data.LoadPoints("8gaussians", data.PointsOptions{TestN: 500})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var ticks int
	job := &TrainJob{Flow: smallFlow(t, 2), Points: pts, Options: Options{Iters: 30, Batch: 64, LR: 1e-3, Seed: 3},
		Schedule: "constant", Out: "out/x", Hooks: Hooks{Progress: func() { ticks++ }}}
	rep, err := job.Run(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if ticks != 30 || rep.Iters != 30 || rep.Job != "train" || rep.Out != "out/x" || rep.Data != "8gaussians" {
		t.Errorf("report %+v after %d progress calls", rep, ticks)
	}
	if rep.TestNLL == nil || rep.NLLGrid == nil || math.IsNaN(*rep.TestNLL) {
		t.Fatalf("no test figures: %+v", rep)
	}
	mustExist(t, dir, "model", "report.json", "loss.png", "density.png", "samples.png")
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.TestNLL == nil || *back.TestNLL != *rep.TestNLL || back.Flow != rep.Flow {
		t.Errorf("report.json %+v differs from the report %+v", back, rep)
	}
	fe, err := LoadFlow(filepath.Join(dir, "model"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(fe, pts)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Job != "eval" || ev.Flow != rep.Flow || math.Abs(*ev.TestNLL-*rep.TestNLL) > 1e-9 {
		t.Errorf("evaluation of the saved flow: %+v, NLL %v; the report says %v", ev, *ev.TestNLL, *rep.TestNLL)
	}
}

func TestTrainJobBadInput(t *testing.T) {
	pts, err := data.LoadPoints("8gaussians", data.PointsOptions{TestN: 100})
	if err != nil {
		t.Fatal(err)
	}
	for name, job := range map[string]*TrainJob{
		"no data":      {Flow: smallFlow(t, 2)},
		"no flow":      {Points: pts},
		"dim mismatch": {Flow: smallFlow(t, 3), Points: pts, Options: Options{Iters: 2}},
		"bad iters":    {Flow: smallFlow(t, 2), Points: pts, Options: Options{Iters: -1}},
	} {
		dir := t.TempDir()
		if _, err := job.Run(context.Background(), dir); err == nil {
			t.Errorf("%s: no error", name)
		}
		if es, _ := os.ReadDir(dir); len(es) != 0 {
			t.Errorf("%s: wrote %d files", name, len(es))
		}
	}
}

// TestFitJob fits a flow to a standard Gaussian (log Z = log 2π) and checks
// the report: the true log Z and an importance-sampling estimate within
// 4 standard errors plus 0.05 of it (the flow starts near the identity and
// the target is the base distribution, so the fit is close after a few
// updates).
func TestFitJob(t *testing.T) {
	g, err := energy.NewIsoGaussian([]float64{0, 0}, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var events []string
	job := &FitJob{Flow: smallFlow(t, 2), Energy: g, EnergyName: "gauss", Options: Options{Iters: 50, Batch: 128, LR: 1e-3, Seed: 5},
		Schedule: "constant", ISDraws: 4000, Hooks: Hooks{Event: func(s string) { events = append(events, s) }}}
	rep, err := job.Run(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.TrueLogZ == nil || *rep.TrueLogZ != math.Log(2*math.Pi) {
		t.Fatalf("true log Z %v", rep.TrueLogZ)
	}
	if rep.IS == nil || rep.IS.N != 4000 || !(math.Abs(rep.IS.LogZ-*rep.TrueLogZ) < 4*rep.IS.SE+0.05) {
		t.Errorf("IS %+v, true log Z %v", rep.IS, *rep.TrueLogZ)
	}
	if rep.Job != "fit" || rep.Energy != "gauss" || rep.Iters != 50 || len(events) != 0 {
		t.Errorf("report %+v, events %v", rep, events)
	}
	mustExist(t, dir, "model", "report.json", "loss.png", "density.png", "samples.png")
}

func TestFitJobBadInput(t *testing.T) {
	g, _ := energy.NewIsoGaussian([]float64{0, 0}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, c := range map[string]struct {
		job  *FitJob
		ctx  context.Context
		want error
	}{
		"is draws":    {&FitJob{Flow: smallFlow(t, 2), Energy: g, ISDraws: 1}, context.Background(), nil},
		"no energy":   {&FitJob{Flow: smallFlow(t, 2), ISDraws: 10}, context.Background(), nil},
		"interrupted": {&FitJob{Flow: smallFlow(t, 2), Energy: g, ISDraws: 10, Options: Options{Iters: 5, Batch: 8}}, ctx, ErrInterrupted},
	} {
		dir := t.TempDir()
		_, err := c.job.Run(c.ctx, dir)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: error %v, want %v", name, err, c.want)
		}
		if es, _ := os.ReadDir(dir); len(es) != 0 {
			t.Errorf("%s: wrote %d files", name, len(es))
		}
	}
}

func readCSV(t *testing.T, path string) [][]float64 {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var rows [][]float64
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var row []float64
		for _, s := range strings.Split(sc.Text(), ",") {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return rows
}

// TestSampleJob runs the three methods and checks the rows written, the
// reported mean against the file, exact reproduction of the exact draws
// from the seed, and the method's figures.
func TestSampleJob(t *testing.T) {
	f := smallFlow(t, 2)
	g, _ := energy.NewIsoGaussian([]float64{0.5, 0}, 1)
	for _, c := range []struct {
		method string
		target energy.Energy
		rows   int
	}{{"exact", nil, 100}, {"imh", g, 2 * 60}, {"sir", g, 100}} {
		job := &SampleJob{Flow: f, Model: "m/model", Method: c.method, N: 100, Chains: 2, Steps: 60, Widen: 2, Seed: 9, Out: "o"}
		if c.target != nil {
			job.Target, job.TargetName = c.target, "gauss"
		}
		dir := t.TempDir()
		r, err := job.Run(context.Background(), dir)
		if err != nil {
			t.Fatalf("%s: %v", c.method, err)
		}
		mustExist(t, dir, "samples.csv", "samples.png")
		rows := readCSV(t, filepath.Join(dir, "samples.csv"))
		if r.Method != c.method || r.N != c.rows || len(rows) != c.rows {
			t.Fatalf("%s: result %+v, %d rows in the file", c.method, r, len(rows))
		}
		for j := range 2 {
			var m float64
			for _, row := range rows {
				m += row[j] / float64(len(rows))
			}
			if math.Abs(m-r.Mean[j]) > 1e-12 {
				t.Errorf("%s: mean[%d] %v, the file's %v", c.method, j, r.Mean[j], m)
			}
		}
		switch c.method {
		case "exact":
			want := f.Sample(100, rand.New(rand.NewPCG(9, 0x5a)))
			for i, row := range rows {
				if row[0] != want.At(i, 0) || row[1] != want.At(i, 1) {
					t.Fatalf("exact draw %d: %v, want %v", i, row, want.Row(i))
				}
			}
		case "imh":
			if r.AcceptRate == nil || !(*r.AcceptRate > 0 && *r.AcceptRate <= 1) {
				t.Errorf("imh acceptance %v", r.AcceptRate)
			}
		case "sir":
			if r.IS == nil || r.IS.N != 120 {
				t.Errorf("sir importance %+v", r.IS)
			}
		}
	}
}

func TestSampleJobBadInput(t *testing.T) {
	f := smallFlow(t, 2)
	g2, _ := energy.NewIsoGaussian([]float64{0, 0}, 1)
	g3, _ := energy.NewIsoGaussian([]float64{0, 0, 0}, 1)
	for name, job := range map[string]*SampleJob{
		"no flow":   {N: 1, Chains: 1, Steps: 1},
		"n":         {Flow: f, N: 0, Chains: 1, Steps: 1},
		"method":    {Flow: f, Target: g2, Method: "hmc", N: 1, Chains: 1, Steps: 1, Widen: 2},
		"dimension": {Flow: f, Target: g3, Method: "imh", N: 1, Chains: 1, Steps: 1, Widen: 2},
		"defensive": {Flow: f, Target: g2, Method: "imh", N: 1, Chains: 1, Steps: 1, Defensive: 1, Widen: 2},
		"widen":     {Flow: f, Target: g2, Method: "sir", N: 1, Chains: 1, Steps: 1, Widen: 0.5},
	} {
		dir := t.TempDir()
		if _, err := job.Run(context.Background(), dir); err == nil {
			t.Errorf("%s: no error", name)
		}
		if es, _ := os.ReadDir(dir); len(es) != 0 {
			t.Errorf("%s: wrote %d files", name, len(es))
		}
	}
}

func TestLoadFlowEvaluateBadInput(t *testing.T) {
	if _, err := LoadFlow(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("LoadFlow of a missing folder: no error")
	}
	f := smallFlow(t, 2)
	if _, err := Evaluate(f, nil); err == nil {
		t.Error("Evaluate without data: no error")
	}
	one := &data.Points{Name: "one", Dim: 2, Test: tensor.FromSlice(1, 2, []float64{0, 0})}
	if _, err := Evaluate(f, one); err == nil {
		t.Error("Evaluate on one point: no error")
	}
	if SpecOf(f) != f.Spec || SpecOf(nil) != "" {
		t.Error("SpecOf")
	}
}

// TestWriteCSV checks the exact round trip of %.17g.
func TestWriteCSV(t *testing.T) {
	x := tensor.FromSlice(2, 3, []float64{0.1, -1e-300, math.Pi, 1.0 / 3, 5e307, -0})
	var b strings.Builder
	if err := WriteCSV(&b, x); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		for j, s := range strings.Split(l, ",") {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v != x.At(i, j) {
				t.Errorf("(%d,%d): %q, want %v", i, j, s, x.At(i, j))
			}
		}
	}
}

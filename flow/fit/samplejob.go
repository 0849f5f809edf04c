package fit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/internal/atomicfile"
	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/tensor"
)

// SampleJob draws samples from a saved flow, or samples a target energy
// with the flow as proposal:
//
//   - no Target: N exact independent draws x = f(z), z ~ N(0, I) (seed
//     stream 0x5a);
//   - Method "imh": independence Metropolis–Hastings (flow.IndependenceMHWith),
//     Chains chains of Steps steps, a proposal x' ~ q accepted with
//     probability min(1, w(x')/w(x)), w = exp(−E − log q); all chains' states
//     are returned, chain by chain;
//   - Method "sir": sampling importance resampling (flow.ResampleWith), N
//     draws resampled from Chains × Steps weighted proposals.
//
// With a target, Defensive > 0 mixes that weight of a Gaussian Widen times
// wider than the flow into the proposal (flow.NewDefensive).
type SampleJob struct {
	Flow       energy.GradEnergy // a *flow.Flow[float32] or *flow.Flow[float64] (LoadFlow)
	Model      string            // the flow's folder, recorded in the result and the figure's title
	Target     energy.Energy     // the target energy, or nil for exact draws from the flow
	TargetName string
	Method     string // with a target: "imh" or "sir"
	N          int    // exact or SIR draws
	Chains     int
	Steps      int
	Defensive  float64 // in [0, 1)
	Widen      float64 // ≥ 1
	Seed       uint64
	Out        string // the output folder's name, recorded in the result
}

// SampleResult is what a SampleJob reports.
type SampleResult struct {
	Model      string         `json:"model"`
	Target     string         `json:"target,omitempty"`
	Method     string         `json:"method"`
	N          int            `json:"n"`
	AcceptRate *float64       `json:"accept_rate,omitempty"`
	IS         *flow.ISResult `json:"importance,omitempty"`
	Mean       []float64      `json:"mean"`
	Out        string         `json:"out"`
}

// Validate checks the job's settings before any work.
func (j *SampleJob) Validate() error {
	switch {
	case j.Flow == nil:
		return errors.New("fit: SampleJob needs a flow")
	case j.N < 1 || j.Chains < 1 || j.Steps < 1:
		return errors.New("fit: SampleJob: N, Chains and Steps must be at least 1")
	case j.Target == nil:
		return nil
	case j.Target.Dim() != j.Flow.Dim():
		return fmt.Errorf("fit: the target %s has dimension %d, the flow %d", j.TargetName, j.Target.Dim(), j.Flow.Dim())
	case j.Method != "imh" && j.Method != "sir":
		return fmt.Errorf("fit: method %q: want imh or sir", j.Method)
	case !(j.Defensive >= 0 && j.Defensive < 1) || !(j.Widen >= 1):
		return errors.New("fit: Defensive must be in [0, 1) and Widen at least 1")
	}
	return nil
}

// Run draws the samples and writes into dir samples.csv (one sample per
// row, WriteCSV) and samples.png (the samples over the target's, or else
// the flow's, energy).
func (j *SampleJob) Run(ctx context.Context, dir string) (*SampleResult, error) {
	if err := j.Validate(); err != nil {
		return nil, err
	}
	r := &SampleResult{Model: j.Model, Target: j.TargetName, Method: "exact", Out: j.Out}
	var x *tensor.Dense[float64]
	var err error
	switch {
	case j.Target == nil:
		s, ok := j.Flow.(energy.ExactSampler)
		if !ok {
			return nil, fmt.Errorf("fit: not a flow: %T", j.Flow)
		}
		x = s.Sample(j.N, rand.New(rand.NewPCG(j.Seed, 0x5a)))
	case j.Method == "sir":
		r.Method = "sir"
		var is flow.ISResult
		x, is, err = resample(j.Flow, j.Target, j.Chains*j.Steps, j.N, j.Seed, j.Defensive, j.Widen)
		if err != nil {
			return nil, err
		}
		r.IS = &is
	default:
		r.Method = "imh"
		var acc float64
		x, acc, err = imh(ctx, j.Flow, j.Target, j.Chains, j.Steps, j.Seed, j.Defensive, j.Widen)
		if err != nil {
			return nil, err
		}
		r.AcceptRate = &acc
	}
	r.N = x.Rows
	r.Mean = make([]float64, x.Cols)
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			r.Mean[j] += v / float64(x.Rows)
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "samples.csv"), func(w io.Writer) error { return WriteCSV(w, x) }); err != nil {
		return nil, err
	}
	var shade energy.Energy = j.Flow
	if j.Target != nil {
		shade = j.Target
	}
	title := fmt.Sprintf("%s samples (%s)", filepath.Base(filepath.Dir(j.Model+"/")), r.Method)
	if err := plot.Samples(filepath.Join(dir, "samples.png"), title, x, shade); err != nil {
		return nil, err
	}
	return r, nil
}

// WriteText prints the result for people.
func (r *SampleResult) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "flow sample: %d draws (%s) from %s\n", r.N, r.Method, r.Model)
	if r.AcceptRate != nil {
		fmt.Fprintf(w, "  acceptance      %.3f\n", *r.AcceptRate)
	}
	if r.IS != nil {
		fmt.Fprintf(w, "  IS log Z        %.4f ± %.4f (ESS %.0f of %d)\n", r.IS.LogZ, r.IS.SE, r.IS.ESS, r.IS.N)
	}
	_, err := fmt.Fprintf(w, "  mean            %.4g\nwrote %s (samples.csv, samples.png)\n", r.Mean, r.Out)
	return err
}

func resample(fe energy.GradEnergy, target energy.Energy, n, m int, seed uint64, eps, widen float64) (*tensor.Dense[float64], flow.ISResult, error) {
	switch f := fe.(type) {
	case *flow.Flow[float32]:
		p, err := flow.NewDefensive(f, eps, widen, seed)
		if err != nil {
			return nil, flow.ISResult{}, err
		}
		return flow.ResampleWith(p, target, n, m, seed)
	case *flow.Flow[float64]:
		p, err := flow.NewDefensive(f, eps, widen, seed)
		if err != nil {
			return nil, flow.ISResult{}, err
		}
		return flow.ResampleWith(p, target, n, m, seed)
	}
	return nil, flow.ISResult{}, fmt.Errorf("not a flow: %T", fe)
}

func imh(ctx context.Context, fe energy.GradEnergy, target energy.Energy, chains, steps int, seed uint64, eps, widen float64) (*tensor.Dense[float64], float64, error) {
	var r *flow.IMHResult
	var err error
	switch f := fe.(type) {
	case *flow.Flow[float32]:
		var p *flow.Proposal[float32]
		if p, err = flow.NewDefensive(f, eps, widen, seed); err == nil {
			r, err = flow.IndependenceMHWith(ctx, p, target, chains, steps, seed)
		}
	case *flow.Flow[float64]:
		var p *flow.Proposal[float64]
		if p, err = flow.NewDefensive(f, eps, widen, seed); err == nil {
			r, err = flow.IndependenceMHWith(ctx, p, target, chains, steps, seed)
		}
	default:
		err = fmt.Errorf("not a flow: %T", fe)
	}
	if err != nil {
		return nil, 0, err
	}
	d := r.Chains[0].Cols
	x := tensor.New[float64](chains*steps, d)
	for c, ch := range r.Chains {
		copy(x.Data[c*steps*d:], ch.Data)
	}
	return x, r.AcceptRate, nil
}

// WriteCSV writes the rows of x as CSV lines, each value in %.17g (exact
// round trip).
func WriteCSV(w io.Writer, x *tensor.Dense[float64]) error {
	var b strings.Builder
	for i := 0; i < x.Rows; i++ {
		b.Reset()
		for j, v := range x.Row(i) {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.17g", v)
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

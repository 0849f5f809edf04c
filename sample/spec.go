package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// Spec is a sampler built from a spec string by Parse: the kernel and the run
// settings the spec implies.
type Spec struct {
	// Name is the sampler's name (rwmh, ula, sgld, mala, hmc, annealed).
	Name string
	// Kernel is the transition kernel.
	Kernel Kernel
	// Adapt is what warm-up tunes (AdaptOff for kernels that do not adapt).
	Adapt Adapt
	// Target is the acceptance target of step-size adaptation; 0 for kernels
	// that do not adapt.
	Target float64
	// Annealed is the kernel again when it is annealed Langevin, which runs
	// its own schedule (see Configure); nil otherwise.
	Annealed *AnnealedLangevin
}

// Configure sets the fields of cfg that the spec decides: Adapt and
// TargetAccept, and for annealed Langevin the whole schedule (no warm-up,
// Len() steps, keeping the last: one draw per chain).
func (s *Spec) Configure(cfg *Config) {
	cfg.Adapt, cfg.TargetAccept = s.Adapt, s.Target
	if s.Annealed != nil {
		n := s.Annealed.Len()
		cfg.Warmup, cfg.Steps, cfg.Thin = 0, n, n
	}
}

// setting kinds and constraints of the sampler table.
type settingKind int

const (
	kFloat settingKind = iota
	kInt
	kBool
)

type samplerSetting struct {
	key, def, doc string
	kind          settingKind
	lo, hi        float64 // allowed range; loOpen/hiOpen make it open at that end
	loOpen        bool
	hiOpen        bool
	alias         string // an accepted second name
}

type samplerEntry struct {
	name, desc string
	settings   []samplerSetting
}

var (
	inf     = math.Inf(1)
	stepSet = func(def string) samplerSetting {
		return samplerSetting{"step", def, "initial step size", kFloat, 0, inf, true, true, ""}
	}
	adaptSet  = samplerSetting{"adapt", "true", "adapt the step size in warm-up (dual averaging)", kBool, 0, 0, false, false, ""}
	metricSet = samplerSetting{"metric", "true", "adapt a diagonal metric in warm-up", kBool, 0, 0, false, false, ""}
	targetSet = func(def string) samplerSetting {
		return samplerSetting{"target", def, "target acceptance, in (0, 1)", kFloat, 0, 1, true, true, ""}
	}
)

// samplers is the one table of samplers, settings and defaults: Parse reads
// it and SamplerHelp prints it.
var samplers = []samplerEntry{
	{"rwmh", "random-walk Metropolis-Hastings, x' = x + step·√m ⊙ ξ", []samplerSetting{
		stepSet("1"), adaptSet, metricSet, targetSet("0.234")}},
	{"ula", "unadjusted Langevin x ← x − step·∇E + √(2·step)·ξ (no accept step: biased by O(step))", []samplerSetting{
		stepSet("0.01")}},
	{"sgld", "SGLD-style update of IGEBM/JEM x ← x − step·∇E + noise·ξ; samples the colder exp(−E/T), T = noise²/(2·step): NOT Langevin", []samplerSetting{
		{"step", "10", "gradient step a", kFloat, 0, inf, true, true, "a"},
		{"noise", "0.005", "noise standard deviation b", kFloat, 0, inf, false, true, "b"},
		{"clip", "0", "clip each gradient element to ±clip (0: off)", kFloat, 0, inf, false, true, ""}}},
	{"mala", "Metropolis-adjusted Langevin", []samplerSetting{
		stepSet("0.1"), adaptSet, metricSet, targetSet("0.574")}},
	{"hmc", "Hamiltonian Monte Carlo (leapfrog)", []samplerSetting{
		stepSet("0.1"),
		{"L", "10", "leapfrog steps per transition", kInt, 1, 1e6, false, false, ""},
		{"jitter", "0.5", "step-size jitter per transition, in [0, 1)", kFloat, 0, 1, false, true, ""},
		adaptSet, metricSet, targetSet("0.8")}},
	{"annealed", "annealed Langevin (NCSN): follows the exact smoothed energies of Gaussians and mixtures, tempers others; runs its own schedule (no warm-up, one draw per chain)", []samplerSetting{
		{"sigma_max", "10", "largest noise level", kFloat, 0, inf, true, true, ""},
		{"sigma_min", "0.1", "smallest noise level, ≤ sigma_max", kFloat, 0, inf, true, true, ""},
		{"levels", "10", "number of noise levels", kInt, 1, 1e5, false, false, ""},
		{"steps_per_level", "100", "Langevin steps per level", kInt, 1, 1e9, false, false, ""},
		{"eps", "0.005", "base step at the smallest level", kFloat, 0, inf, true, true, ""}}},
}

// SamplerNames returns the names Parse accepts, in a fixed order.
func SamplerNames() []string {
	out := make([]string, len(samplers))
	for i, s := range samplers {
		out[i] = s.name
	}
	return out
}

// SamplerHelp describes every sampler with its settings and defaults, one
// block per sampler, generated from the same table Parse uses.
func SamplerHelp() string {
	var b strings.Builder
	for i, s := range samplers {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "  %-9s %s\n", s.name, s.desc)
		for _, st := range s.settings {
			alias := ""
			if st.alias != "" {
				alias = " (or " + st.alias + "=)"
			}
			fmt.Fprintf(&b, "            %s=%s%s: %s\n", st.key, st.def, alias, st.doc)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// parsedSettings holds one spec's settings, defaults filled in and validated.
type parsedSettings struct {
	sp *spec.Spec
	f  map[string]float64
	i  map[string]int
	b  map[string]bool
}

func (e *samplerEntry) parse(sp *spec.Spec) (*parsedSettings, error) {
	ps := &parsedSettings{sp: sp, f: map[string]float64{}, i: map[string]int{}, b: map[string]bool{}}
	where := sp.Where + " " + sp.Name
	for _, st := range e.settings {
		key := st.key
		if st.alias != "" && sp.Has(st.alias) {
			if sp.Has(st.key) {
				return nil, spec.Errorf(where, "give %s or its alias %s, not both", st.key, st.alias)
			}
			key = st.alias
		}
		switch st.kind {
		case kBool:
			def, _ := strconv.ParseBool(st.def)
			v, err := sp.Bool(key, def)
			if err != nil {
				return nil, err
			}
			ps.b[st.key] = v
			continue
		case kInt:
			def, _ := strconv.Atoi(st.def)
			v, err := sp.Int(key, def)
			if err != nil {
				return nil, err
			}
			if float64(v) < st.lo || float64(v) > st.hi {
				return nil, spec.Errorf(where, "setting %s=%d must be in [%.0f, %.0f]", key, v, st.lo, st.hi)
			}
			ps.i[st.key] = v
			continue
		}
		def, _ := strconv.ParseFloat(st.def, 64)
		v, err := sp.Float(key, def) // rejects NaN and ±Inf
		if err != nil {
			return nil, err
		}
		if v < st.lo || (st.loOpen && v == st.lo) || v > st.hi || (st.hiOpen && v == st.hi) {
			return nil, spec.Errorf(where, "setting %s=%v must be in %s", key, v, interval(st))
		}
		ps.f[st.key] = v
	}
	if err := sp.CheckUnused(); err != nil {
		return nil, err
	}
	return ps, nil
}

// interval prints a setting's allowed range, e.g. "(0, 1)" or "> 0".
func interval(st samplerSetting) string {
	switch {
	case math.IsInf(st.hi, 1) && st.loOpen:
		return fmt.Sprintf("(%v, ∞)", st.lo)
	case math.IsInf(st.hi, 1):
		return fmt.Sprintf("[%v, ∞)", st.lo)
	}
	l, r := "[", "]"
	if st.loOpen {
		l = "("
	}
	if st.hiOpen {
		r = ")"
	}
	return fmt.Sprintf("%s%v, %v%s", l, st.lo, st.hi, r)
}

// Parse builds a sampler for e from a spec "NAME[:k=v,...]" (see SamplerHelp
// for the names, settings and defaults):
//
//	rwmh      step=1 adapt=true metric=true target=0.234
//	ula       step=0.01
//	sgld      step=10 noise=0.005 clip=0   (a= and b= are aliases of step= and noise=)
//	mala      step=0.1 adapt=true metric=true target=0.574
//	hmc       step=0.1 L=10 jitter=0.5 adapt=true metric=true target=0.8
//	annealed  sigma_max=10 sigma_min=0.1 levels=10 steps_per_level=100 eps=0.005
//
// adapt=false turns warm-up adaptation off (AdaptOff); metric=false adapts the
// step size only (AdaptStepSize). Every setting is checked before anything is
// built: a malformed spec, an unknown name or setting, a value that does not
// parse, is NaN or infinite, or lies out of range gives a *spec.Error
// (spec.IsInvalid reports true).
func Parse(s string, e energy.GradEnergy) (*Spec, error) {
	sp, err := spec.Parse("sampler", s)
	if err != nil {
		return nil, err
	}
	var entry *samplerEntry
	for i := range samplers {
		if samplers[i].name == sp.Name {
			entry = &samplers[i]
		}
	}
	if entry == nil {
		return nil, spec.Errorf("sampler", "unknown sampler %q (valid: %s)", sp.Name, strings.Join(SamplerNames(), ", "))
	}
	ps, err := entry.parse(sp)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("sample: Parse: nil energy")
	}
	out := &Spec{Name: sp.Name, Adapt: AdaptOff}
	adapt := func() {
		out.Target = ps.f["target"]
		switch {
		case !ps.b["adapt"]:
			out.Adapt = AdaptOff
		case !ps.b["metric"]:
			out.Adapt = AdaptStepSize
		default:
			out.Adapt = AdaptAuto
		}
	}
	f := ps.f
	switch sp.Name {
	case "rwmh":
		adapt()
		out.Kernel, err = NewRWMH(e, RWMHOptions{Step: f["step"]})
	case "ula":
		out.Kernel, err = NewULA(e, ULAOptions{Step: f["step"]})
	case "sgld":
		out.Kernel, err = NewSGLDStyle(e, SGLDStyleOptions{Step: f["step"], Noise: f["noise"], Clip: f["clip"]})
	case "mala":
		adapt()
		out.Kernel, err = NewMALA(e, MALAOptions{Step: f["step"]})
	case "hmc":
		adapt()
		o := DefaultHMCOptions()
		o.Step, o.L, o.Jitter = f["step"], ps.i["L"], f["jitter"]
		out.Kernel, err = NewHMC(e, o)
	case "annealed":
		o := AnnealedLangevinOptions{SigmaMax: f["sigma_max"], SigmaMin: f["sigma_min"],
			Levels: ps.i["levels"], StepsPerLevel: ps.i["steps_per_level"], Eps: f["eps"]}
		if o.SigmaMin > o.SigmaMax {
			return nil, spec.Errorf("sampler annealed", "sigma_min=%v exceeds sigma_max=%v", o.SigmaMin, o.SigmaMax)
		}
		if int64(o.Levels)*int64(o.StepsPerLevel) > 1<<40 {
			return nil, spec.Errorf("sampler annealed", "levels=%d × steps_per_level=%d steps is too many", o.Levels, o.StepsPerLevel)
		}
		var a *AnnealedLangevin
		if a, err = NewAnnealedLangevin(e, o); err == nil {
			out.Kernel, out.Annealed = a, a
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// InitialPoints draws the starting points of chains chains in dimension d
// from a spec: "uniform[:lo=-2,hi=2]" (independent uniform coordinates on
// [lo, hi), lo < hi) or "normal[:sd=1]" (independent N(0, sd²), sd > 0); ""
// means uniform. The draws use the stream rand.NewPCG(seed, 0x1a17), so the
// same seed gives the same points. Any other s (IsInitFile) is the path of a
// CSV file with one row per chain, read by data.LoadInitialPoints. Invalid
// settings give a *spec.Error; the size chains×d is checked with
// tensor.CheckAlloc before anything is drawn.
func InitialPoints(s string, chains, d int, seed uint64) (*tensor.Dense[float64], error) {
	if IsInitFile(s) {
		return data.LoadInitialPoints(s, chains, d)
	}
	if s == "" {
		s = "uniform"
	}
	sp, err := spec.Parse("init", s)
	if err != nil {
		return nil, err
	}
	var draw func(rng *rand.Rand) float64
	switch sp.Name {
	case "uniform":
		lo, err := sp.Float("lo", -2)
		if err != nil {
			return nil, err
		}
		hi, err := sp.Float("hi", 2)
		if err != nil {
			return nil, err
		}
		if !(hi > lo) || math.IsInf(hi-lo, 0) {
			return nil, spec.Errorf("init uniform", "need lo < hi (and a finite width), got lo=%v hi=%v", lo, hi)
		}
		draw = func(rng *rand.Rand) float64 { return lo + (hi-lo)*rng.Float64() }
	case "normal":
		sd, err := sp.Float("sd", 1)
		if err != nil {
			return nil, err
		}
		if err := sp.Positive("sd", sd); err != nil {
			return nil, err
		}
		draw = func(rng *rand.Rand) float64 { return sd * rng.NormFloat64() }
	default:
		return nil, spec.Errorf("init", "unknown initialization %q (valid: uniform, normal)", sp.Name)
	}
	if err := sp.CheckUnused(); err != nil {
		return nil, err
	}
	if chains < 1 || d < 1 {
		return nil, spec.Errorf("init", "need at least one chain and one dimension, got %d×%d", chains, d)
	}
	if err := tensor.CheckAlloc("sample: initial points", chains, d); err != nil {
		return nil, &spec.Error{Where: "init", Msg: err.Error()}
	}
	rng := rand.New(rand.NewPCG(seed, 0x1a17))
	x := tensor.New[float64](chains, d)
	for i := range x.Data {
		x.Data[i] = draw(rng)
	}
	return x, nil
}

// IsInitFile reports whether an InitialPoints spec names a CSV file rather
// than a distribution: it is not empty and starts with neither "uniform" nor
// "normal".
func IsInitFile(s string) bool {
	return s != "" && !strings.HasPrefix(s, "uniform") && !strings.HasPrefix(s, "normal")
}

// ParseBox parses "LO,HI" (LO < HI, numbers as strconv.ParseFloat reads them,
// spaces allowed) as the box [LO, HI] in every coordinate (ScalarBox); "" is
// no box (nil). A malformed s is a *spec.Error with Where "clamp".
func ParseBox(s string) (*Box, error) {
	if s == "" {
		return nil, nil
	}
	lo, hi, ok := strings.Cut(s, ",")
	a, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	b, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
	if !ok || err1 != nil || err2 != nil || !(a < b) {
		return nil, spec.Errorf("clamp", "want LO,HI with LO < HI, got %q", s)
	}
	return ScalarBox(a, b), nil
}

// CheckRun checks the size of a sampling job given in full (no zero
// defaults) before any work: chains ≥ 1, steps ≥ 1, warmup ≥ 0 and thin ≥ 1.
// An error is a *spec.Error whose Where names the setting and its value.
func CheckRun(chains, steps, warmup, thin int) error {
	for _, s := range []struct {
		name   string
		v, min int
	}{{"chains", chains, 1}, {"steps", steps, 1}, {"warmup", warmup, 0}, {"thin", thin, 1}} {
		if s.v < s.min {
			return spec.Errorf(fmt.Sprint(s.name, " ", s.v), "must be at least %d", s.min)
		}
	}
	return nil
}

package train

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// settingDef is one setting of an estimator spec: its default (a float64,
// int, string or bool, which fixes its type), its allowed values and a help
// text.
type settingDef struct {
	key     string
	def     any
	enum    []string // allowed values of a string setting (nil: any)
	min     float64  // numeric lower bound
	open    bool     // min itself is excluded
	max     float64  // numeric upper bound (with hasMax)
	hasMax  bool
	defText string // the default as the help shows it, if not def
	help    string
}

// estimatorDef is one estimator: its name, a one-line summary and settings.
type estimatorDef struct {
	name, summary string
	settings      []settingDef
}

func (d *estimatorDef) setting(k string) *settingDef {
	for i := range d.settings {
		if d.settings[i].key == k {
			return &d.settings[i]
		}
	}
	panic("train: no default for setting " + k + " of " + d.name)
}

func (d *estimatorDef) float(k string) float64 { return d.setting(k).def.(float64) }
func (d *estimatorDef) int(k string) int       { return d.setting(k).def.(int) }
func (d *estimatorDef) str(k string) string    { return d.setting(k).def.(string) }

// Shared settings of the maximum-likelihood presets.
func samplerSettings(k int, step, box float64) []settingDef {
	return []settingDef{
		{key: "k", def: k, min: 1, help: "sampler steps per update"},
		{key: "sampler", def: "ula", enum: []string{"ula", "mala", "sgld"}},
		{key: "step", def: step, open: true, help: "step size (a for sgld)"},
		{key: "noise", def: 0.005, help: "noise b of sgld"},
		{key: "box", def: box, help: "clamp box [-box,box]^d; 0: none"},
		{key: "clip", def: 0.0, help: "elementwise gradient clip of sgld; 0: none"},
	}
}

// estimatorOrder lists the estimators in the order of the help text.
var estimatorOrder = []string{"cd", "pcd", "replay", "sm", "ssm", "dsm", "kde", "nce"}

// estimatorDefs is the one table of estimator defaults: ParseEstimator reads
// it, EstimatorHelp prints it and the CD, PCD and Replay presets take their
// samplers from it.
var estimatorDefs = map[string]*estimatorDef{
	"cd": {name: "cd", summary: "contrastive divergence: negatives are k sampler steps from the data",
		settings: append(samplerSettings(1, 0.01, 0),
			settingDef{key: "alpha", def: 0.0, help: "weight of the E^2 regularizer"})},
	"pcd": {name: "pcd", summary: "persistent contrastive divergence: chains persist across updates",
		settings: append(samplerSettings(10, 0.01, DefaultBox),
			settingDef{key: "alpha", def: 0.1, help: "weight of the E^2 regularizer"},
			settingDef{key: "chains", def: 0, min: 1, defText: "2*batch", help: "number of chains"},
			settingDef{key: "reinit", def: 0.1, max: 1, hasMax: true, help: "fraction of chains re-drawn from init per update"},
			settingDef{key: "init", def: "uniform", enum: []string{"uniform", "gaussian"}, help: "chain starts: uniform in the box or a Gaussian fitted to the data"})},
	"replay": {name: "replay", summary: "replay-buffer maximum likelihood (IGEBM recipe)",
		settings: append(samplerSettings(20, 0.005, DefaultBox),
			settingDef{key: "alpha", def: 0.1, help: "weight of the E^2 regularizer"},
			settingDef{key: "buffer", def: 10000, min: 1, help: "buffer size"},
			settingDef{key: "reinit", def: 0.05, max: 1, hasMax: true, help: "fraction re-initialized per draw"},
			settingDef{key: "init", def: "uniform", enum: []string{"uniform", "gaussian"}, help: "fresh starts: uniform in the box or a Gaussian fitted to the data"})},
	"sm": {name: "sm", summary: "exact score matching (Hyvarinen)",
		settings: []settingDef{{key: "hutchinson", def: 0, help: "Rademacher probes for the Hessian trace; 0: exact trace"}}},
	"ssm": {name: "ssm", summary: "sliced score matching",
		settings: []settingDef{
			{key: "m", def: 1, min: 1, help: "projections per point"},
			{key: "proj", def: ProjGaussian, enum: []string{ProjGaussian, ProjRademacher, ProjSphere}},
			{key: "vr", def: false, help: "variance-reduced form"}}},
	"dsm": {name: "dsm", summary: "denoising score matching: fits the data smoothed by N(0, sigma^2 I)",
		settings: []settingDef{
			{key: "sigma", def: 0.2, open: true, help: "noise level"},
			{key: "levels", def: 0, help: "L > 0: a noise-conditional energy E(x, sigma) over L levels"},
			{key: "sigma_max", def: 1.0, open: true, help: "largest level"},
			{key: "sigma_min", def: 0.05, open: true, help: "smallest level"}}},
	"kde": {name: "kde", summary: "score regression on a Gaussian kernel density estimate of the data",
		settings: []settingDef{
			{key: "bandwidth", def: "lcv", help: "kernel width h: lcv (leave-one-out likelihood cross-validation), scott (Scott's rule) or a number > 0"},
			{key: "ref", def: 5000, min: 2, help: "reference points"}}},
	"nce": {name: "nce", summary: "noise-contrastive estimation; log Z is learned",
		settings: []settingDef{
			{key: "ratio", def: 1.0, open: true, help: "noise points per data point"},
			{key: "noise", def: "gaussian", enum: []string{"gaussian"}, help: "noise fitted to the data"}}},
}

// EstimatorNames returns the names ParseEstimator knows.
func EstimatorNames() []string { return append([]string(nil), estimatorOrder...) }

// EstimatorHelp describes every estimator and its settings with their
// defaults and ranges, one block per estimator, for a command's help text.
func EstimatorHelp() string {
	var b strings.Builder
	for i, name := range estimatorOrder {
		d := estimatorDefs[name]
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "  %-7s %s", name, d.summary)
		var parts []string
		for _, s := range d.settings {
			parts = append(parts, s.describe())
		}
		line := "         "
		for j, p := range parts {
			if j < len(parts)-1 {
				p += ","
			}
			if len(line)+1+len(p) > 100 && strings.TrimSpace(line) != "" {
				b.WriteString("\n" + line)
				line = "         "
			}
			line += " " + p
		}
		b.WriteString("\n" + line)
	}
	return b.String()
}

func (s *settingDef) describe() string {
	def := s.defText
	if def == "" {
		def = fmt.Sprint(s.def)
	}
	if s.enum != nil {
		// The default first, then the other values.
		vals := []string{def}
		for _, v := range s.enum {
			if v != def {
				vals = append(vals, v)
			}
		}
		def = strings.Join(vals, "|")
	}
	out := s.key + "=" + def
	var notes []string
	if s.help != "" {
		notes = append(notes, s.help)
	}
	if r := s.rangeText(); r != "" {
		notes = append(notes, r)
	}
	if len(notes) > 0 {
		out += " (" + strings.Join(notes, "; ") + ")"
	}
	return out
}

func (s *settingDef) rangeText() string {
	switch s.def.(type) {
	case float64:
		op := ">="
		if s.open {
			op = ">"
		}
		if s.hasMax {
			return fmt.Sprintf("in [%v, %v]", s.min, s.max)
		}
		return fmt.Sprintf("%s %v", op, s.min)
	case int:
		return fmt.Sprintf(">= %d", int(s.min))
	}
	return ""
}

// read reads the setting from sp with its default, checks its range and
// returns it as a float64, int, string or bool.
func (s *settingDef) read(sp *spec.Spec, where string) (any, error) {
	switch def := s.def.(type) {
	case float64:
		v, err := sp.Float(s.key, def)
		if err != nil {
			return nil, err
		}
		bad := v < s.min || (s.open && v == s.min) || (s.hasMax && v > s.max)
		if bad && (sp.Has(s.key) || s.defText == "") { // a defText default is resolved later
			return nil, spec.Errorf(where, "setting %s=%v must be %s", s.key, v, s.rangeText())
		}
		return v, nil
	case int:
		v, err := sp.Int(s.key, def)
		if err != nil {
			return nil, err
		}
		if float64(v) < s.min && (sp.Has(s.key) || s.defText == "") {
			return nil, spec.Errorf(where, "setting %s=%d must be %s", s.key, v, s.rangeText())
		}
		return v, nil
	case bool:
		return sp.Bool(s.key, def)
	case string:
		v := sp.String(s.key, def)
		if s.enum != nil {
			ok := false
			for _, e := range s.enum {
				ok = ok || e == v
			}
			if !ok {
				return nil, spec.Errorf(where, "setting %s=%q unknown (valid: %s)", s.key, v, strings.Join(s.enum, ", "))
			}
		}
		return v, nil
	}
	panic("train: setting of unknown type")
}

// EstimatorContext is what ParseEstimator needs beyond the spec string.
type EstimatorContext struct {
	// Batch is the batch size (PCD's default number of chains is
	// PCDChainsPerBatch times it).
	Batch int
	// Data is a sample of the training data: KDE's reference set (its first
	// ref rows) and the data NCE fits its Gaussian noise to (nil: NCE fits it
	// to the first batch; KDE needs it).
	Data *tensor.Dense[float64]
	// Where names the spec in error messages (default "estimator").
	Where string
	// Sampler builds the sampler networks of fce and adv (flows, noisy
	// generators); Seed seeds their initial weights and Dim is the data
	// dimension when Data is nil.
	Sampler SamplerFactory
	Seed    uint64
	Dim     int
}

// ParseEstimator builds the estimator named by a spec "name[:k=v,...]" (see
// EstimatorHelp for the names, settings and defaults) and returns the
// settings it used, defaults included, for the record. Every setting is
// checked before any work; a bad one gives a *spec.Error.
func ParseEstimator[T tensor.Float](s string, ctx EstimatorContext) (Estimator[T], map[string]any, error) {
	where := ctx.Where
	if where == "" {
		where = "estimator"
	}
	sp, err := spec.Parse(where, s)
	if err != nil {
		return nil, nil, err
	}
	d, ok := estimatorDefs[sp.Name]
	if !ok {
		return nil, nil, spec.Errorf(where, "unknown estimator %q (valid: %s)", sp.Name, strings.Join(estimatorOrder, ", "))
	}
	here := where + " " + sp.Name
	v := map[string]any{}
	for i := range d.settings {
		x, err := d.settings[i].read(sp, here)
		if err != nil {
			return nil, nil, err
		}
		v[d.settings[i].key] = x
	}
	if err := sp.CheckUnused(); err != nil {
		return nil, nil, err
	}
	fl := func(k string) float64 { return v[k].(float64) }
	in := func(k string) int { return v[k].(int) }
	str := func(k string) string { return v[k].(string) }
	neg := func() NegSampler {
		ns := NegSampler{Kind: str("sampler"), Steps: in("k"), Step: fl("step"), Noise: fl("noise"), Clip: fl("clip")}
		if box := fl("box"); box > 0 {
			ns.Clamp = sample.ScalarBox(-box, box)
		}
		return ns
	}
	var est Estimator[T]
	switch sp.Name {
	case "cd":
		est = &CD[T]{Sampler: neg(), Alpha: fl("alpha")}
	case "pcd":
		ns := neg()
		box := ns.box(DefaultBox)
		if !sp.Has("chains") {
			v["chains"] = PCDChainsPerBatch * ctx.Batch
		}
		est = &PCD[T]{Sampler: ns, Alpha: fl("alpha"), Chains: in("chains"), Reinit: fl("reinit"),
			Init: Init{Kind: str("init"), Lo: -box, Hi: box}}
	case "replay":
		ns := neg()
		box := ns.box(DefaultBox)
		est = &Replay[T]{Sampler: ns, Alpha: fl("alpha"), BufferSize: in("buffer"), Reinit: fl("reinit"),
			Init: Init{Kind: str("init"), Lo: -box, Hi: box}}
	case "sm":
		est = &ExactSM[T]{Hutchinson: in("hutchinson")}
	case "ssm":
		est = &SlicedSM[T]{Projections: in("m"), Kind: str("proj"), VR: v["vr"].(bool)}
	case "dsm":
		ds := &DenoisingSM[T]{Sigma: fl("sigma")}
		levels, hi, lo := in("levels"), fl("sigma_max"), fl("sigma_min")
		switch {
		case levels > 0 && hi < lo:
			return nil, nil, spec.Errorf(here, "need sigma_max >= sigma_min, got %v and %v", hi, lo)
		case levels > 0:
			ds.Sigmas = GeometricSigmas(hi, lo, levels)
		}
		est = ds
	case "kde":
		bw := str("bandwidth")
		h := 0.0
		if bw != "scott" && bw != "lcv" {
			x, err := strconv.ParseFloat(bw, 64)
			if err != nil || !(x > 0) || math.IsInf(x, 0) {
				return nil, nil, spec.Errorf(here, "setting bandwidth=%q must be lcv, scott or a number > 0", bw)
			}
			h = x
		}
		if ctx.Data == nil || ctx.Data.Rows < 2 {
			return nil, nil, errors.New("train: kde needs a data sample of at least 2 points as its reference set")
		}
		ref := ctx.Data
		if nref := in("ref"); ref.Rows > nref {
			ref = tensor.FromSlice(nref, ref.Cols, ref.Data[:nref*ref.Cols])
		}
		switch bw {
		case "scott":
			h = ScottBandwidth(ref)
			if !(h > 0) {
				return nil, nil, errors.New("train: kde: Scott's bandwidth of the data is 0 (constant data); set bandwidth to a number")
			}
		case "lcv":
			x, err := LCVBandwidth(ref)
			if err != nil {
				return nil, nil, fmt.Errorf("train: %w; set bandwidth to scott or a number", err)
			}
			h = x
		}
		v["bandwidth_value"] = h
		est = &KDESM[T]{Ref: ref, Bandwidth: h}
	case "ksd", "lsd", "klc":
		if est, err = steinEstimator[T](sp.Name, v, here); err != nil {
			return nil, nil, err
		}
	case "nce":
		n := NewNCE[T](nil, fl("ratio"))
		if ctx.Data != nil {
			if err := n.FitNoise(ctx.Data); err != nil {
				return nil, nil, fmt.Errorf("train: nce: %w", err)
			}
		}
		est = n
	case "fce":
		if est, err = parseFCE[T](v, ctx, here); err != nil {
			return nil, nil, err
		}
	case "adv":
		if est, err = parseAdv[T](v, ctx, here); err != nil {
			return nil, nil, err
		}
	}
	if ns := NegSamplerOf(est); ns != nil {
		if err := ns.Validate(); err != nil {
			return nil, nil, spec.Errorf(here, "%v", err)
		}
	}
	v["name"] = sp.Name
	return est, v, nil
}

// NegSamplerOf returns the sampler settings of a CD, PCD or Replay estimator
// (nil for the others).
func NegSamplerOf[T tensor.Float](e Estimator[T]) *NegSampler {
	switch v := e.(type) {
	case *CD[T]:
		return &v.Sampler
	case *PCD[T]:
		return &v.Sampler
	case *Replay[T]:
		return &v.Sampler
	}
	return nil
}

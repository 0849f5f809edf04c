package train

import (
	"errors"
	"fmt"

	"github.com/ebm-go/ebm/gen"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// The settings of the two estimators that train a sampler network.
var (
	flowSettings = []settingDef{
		{key: "flow", def: "realnvp", help: "flow kind of the sampler (a flow spec name)"},
		{key: "layers", def: 8, min: 1, help: "flow layers"},
		{key: "hidden", def: 64, min: 1, help: "hidden units (two layers) of each flow layer's network"},
	}
	fceDef = &estimatorDef{name: "fce", summary: "flow-contrastive estimation: NCE against a flow trained adversarially; log Z is learned",
		settings: append(append([]settingDef(nil), flowSettings...),
			settingDef{key: "flow_lr", def: 5.0, open: true, help: "flow learning rate / energy learning rate"},
			settingDef{key: "ratio", def: 1.0, open: true, help: "flow draws per data point"},
			settingDef{key: "acc_lo", def: 0.5, max: 1, hasMax: true, help: "below this classifier accuracy the flow skips its step"},
			settingDef{key: "acc_hi", def: 0.9, max: 1, hasMax: true, help: "above it the energy skips its step"})}
	advDef = &estimatorDef{name: "adv", summary: "adversarial training: max over E, min over a sampler q of E_q[E] - E_data[E] - H(q); no MCMC",
		settings: append(append([]settingDef{
			{key: "sampler", def: "flow", enum: []string{"flow", "noisy"}, help: "q: a flow (exact entropy) or x = g(z) + sigma*eps (entropy gradient estimated)"},
			{key: "alpha", def: -1.0, defText: "0.01 with importance weights, else 0.1", help: "weight of the E^2 regularizer"},
			{key: "energy_lr", def: -1.0, open: true, defText: "2 with importance weights, else 1", help: "energy learning rate / --lr"},
			{key: "sampler_lr", def: 3.0, open: true, help: "sampler learning rate / energy learning rate"},
			{key: "sampler_steps", def: 1, min: 1, help: "sampler updates per energy update"},
			{key: "importance", def: "auto", enum: []string{"auto", "on", "off"}, help: "weigh the energy's negatives by self-normalized importance weights exp(-E)/q (auto: on without refine, off with it)"},
			{key: "box", def: DefaultBox, help: "confine the sampler to (-box, box)^d by box*tanh(x/box), entropy corrected; 0: off"},
		}, flowSettings...),
			settingDef{key: "gen_hidden", def: "128x128", help: "noisy: hidden layers of g"},
			settingDef{key: "latent", def: 2, min: 1, help: "noisy: dimension of z"},
			settingDef{key: "sigma", def: 0.1, open: true, help: "noisy: initial (or fixed) sigma"},
			settingDef{key: "learn_sigma", def: true, help: "noisy: learn sigma"},
			settingDef{key: "is", def: gen.DefaultK, min: 1, help: "noisy: latent importance samples per draw of the entropy-gradient and density estimates"},
			settingDef{key: "refine", def: 0, help: "MCMC steps (ula) moving the draws before the energy's step; 0: off"},
			settingDef{key: "refine_step", def: 0.005, open: true, help: "step size of the refinement"})}
)

func init() {
	estimatorOrder = append(estimatorOrder, "fce", "adv")
	estimatorDefs["fce"] = fceDef
	estimatorDefs["adv"] = advDef
}

// flowSpec returns the spec string of the flow that the fce and adv settings
// v describe, as handed to a SamplerFactory.
func flowSpec(v map[string]any) string {
	return fmt.Sprintf("%s:layers=%d,hidden=%d", v["flow"], v["layers"], v["hidden"])
}

// noisySpec returns the spec string of the noisy sampler of adv settings v.
func noisySpec(v map[string]any) string {
	return fmt.Sprintf("noisy:hidden=%s,latent=%d,sigma=%v,learn_sigma=%v,is=%d",
		v["gen_hidden"], v["latent"], v["sigma"], v["learn_sigma"], v["is"])
}

// buildSampler calls the context's factory and checks what it returns.
func buildSampler[T tensor.Float](ctx EstimatorContext, here, s string, d int) (any, error) {
	if ctx.Sampler == nil {
		return nil, errors.New("train: " + here + ": no sampler factory (EstimatorContext.Sampler) to build " + s)
	}
	if d < 1 {
		return nil, errors.New("train: " + here + ": the data dimension is unknown (EstimatorContext.Data or Dim)")
	}
	q, err := ctx.Sampler(s, d, ctx.Seed)
	if err != nil {
		if spec.IsInvalid(err) {
			return nil, err
		}
		return nil, fmt.Errorf("train: %s: %w", here, err)
	}
	return q, nil
}

func (ctx EstimatorContext) dim() int {
	if ctx.Dim > 0 {
		return ctx.Dim
	}
	if ctx.Data != nil {
		return ctx.Data.Cols
	}
	return 0
}

// parseFCE builds FCE from its settings v.
func parseFCE[T tensor.Float](v map[string]any, ctx EstimatorContext, here string) (Estimator[T], error) {
	lo, hi := v["acc_lo"].(float64), v["acc_hi"].(float64)
	if err := fceCheck(lo, hi); err != nil {
		return nil, spec.Errorf(here, "%v", err)
	}
	fs := flowSpec(v)
	v["flow_spec"] = fs
	q, err := buildSampler[T](ctx, here, fs, ctx.dim())
	if err != nil {
		return nil, err
	}
	ls, ok := q.(LearnedSampler[T])
	if !ok {
		return nil, fmt.Errorf("train: %s: %s is not a sampler with a density (%T)", here, fs, q)
	}
	e := NewFCE[T](ls)
	e.AccLo, e.AccHi, e.FlowLR, e.Ratio = lo, hi, v["flow_lr"].(float64), v["ratio"].(float64)
	return e, nil
}

// parseAdv builds Adversarial from its settings v.
func parseAdv[T tensor.Float](v map[string]any, ctx EstimatorContext, here string) (Estimator[T], error) {
	s := flowSpec(v)
	if v["sampler"] == "noisy" {
		s = noisySpec(v)
	}
	v["sampler_spec"] = s
	q, err := buildSampler[T](ctx, here, s, ctx.dim())
	if err != nil {
		return nil, err
	}
	var es EntropySampler[T]
	switch q := q.(type) {
	case EntropySampler[T]:
		es = q
	case LearnedSampler[T]:
		es = FlowEntropy[T]{q}
	default:
		return nil, fmt.Errorf("train: %s: %s is not a sampler network (%T)", here, s, q)
	}
	a := NewAdversarial[T](es)
	a.SamplerLR, a.Box = v["sampler_lr"].(float64), v["box"].(float64)
	a.SamplerSteps = v["sampler_steps"].(int)
	switch v["importance"] {
	case "on":
		a.Importance = true
	case "off":
		a.Importance = false
	case "auto":
		_, density := es.(DensitySampler)
		a.Importance = density && v["refine"].(int) == 0
	}
	v["importance"] = map[bool]string{true: "on", false: "off"}[a.Importance]
	if a.Importance && v["refine"].(int) > 0 {
		return nil, fmt.Errorf("train: %s: importance weights and refine exclude each other (refined draws have no known density); set importance=off", here)
	}
	alpha, elr := advDefaults(a.Importance)
	if a.Alpha = v["alpha"].(float64); a.Alpha < 0 {
		a.Alpha = alpha
		v["alpha"] = alpha
	}
	if a.EnergyLR = v["energy_lr"].(float64); a.EnergyLR < 0 {
		a.EnergyLR = elr
		v["energy_lr"] = elr
	}
	if k := v["refine"].(int); k > 0 {
		a.Refine = NegSampler{Kind: "ula", Steps: k, Step: v["refine_step"].(float64), Clamp: sample.ScalarBox(-DefaultBox, DefaultBox)}
	}
	return a, nil
}

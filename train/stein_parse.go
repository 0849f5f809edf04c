package train

import (
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// The Stein-discrepancy and KL-contraction estimators join the estimator
// table here, so that ParseEstimator and EstimatorHelp know them.
func init() {
	estimatorOrder = append(estimatorOrder, "ksd", "lsd", "klc")
	estimatorDefs["ksd"] = &estimatorDef{name: "ksd", summary: "kernel Stein discrepancy (needs no samples and no second derivative of E)",
		settings: []settingDef{
			{key: "kernel", def: "imq", enum: []string{"imq", "rbf"}, help: "imq: (c^2+|a-b|^2)^beta; rbf: exp(-|a-b|^2/(2h^2))"},
			{key: "stat", def: "u", enum: []string{"u", "v"}, help: "U-statistic (unbiased) or V-statistic"},
			{key: "c", def: 1.0, open: true, help: "imq scale"},
			{key: "beta", def: -0.5, min: -1, max: 0, hasMax: true, help: "imq exponent, < 0"},
			{key: "bandwidth", def: 0.0, help: "rbf h; 0: median distance of each batch"}}}
	estimatorDefs["lsd"] = &estimatorDef{name: "lsd", summary: "learned Stein discrepancy: a critic network f trained against the energy (second parameter group)",
		settings: []settingDef{
			{key: "hidden", def: "64x64", help: "critic hidden widths"},
			{key: "act", def: "silu", enum: []string{"silu", "softplus", "tanh", "elu"}, help: "critic activation"},
			{key: "lambda", def: 0.5, open: true, help: "weight of the critic's L2 penalty"},
			{key: "critic_lr", def: 3e-3, open: true, help: "critic learning rate (Adam)"},
			{key: "critic_steps", def: 5, min: 1, help: "critic updates per energy update"},
			{key: "trace", def: "auto", enum: []string{"auto", "exact", "hutchinson"}, help: "tr of the critic's Jacobian: auto is exact for d <= 10"},
			{key: "probes", def: 1, min: 1, help: "Hutchinson probes"}}}
	estimatorDefs["klc"] = &estimatorDef{name: "klc", summary: "minimum KL contraction with Gaussian smoothing (small sigma: score matching)",
		settings: []settingDef{
			{key: "sigma", def: 0.1, open: true, help: "smoothing width"},
			{key: "k", def: 10, min: 1, help: "posterior sampler steps"},
			{key: "sampler", def: "mala", enum: []string{"mala", "ula"}},
			{key: "step", def: 0.3, open: true, help: "sampler step as a fraction of sigma^2"},
			{key: "start", def: "data", enum: []string{"data", "noisy"}, help: "posterior chains start at the clean or the noisy point"}}}
}

// steinEstimator builds ksd, lsd or klc from the settings ParseEstimator read.
func steinEstimator[T tensor.Float](name string, v map[string]any, where string) (Estimator[T], error) {
	fl := func(k string) float64 { return v[k].(float64) }
	in := func(k string) int { return v[k].(int) }
	str := func(k string) string { return v[k].(string) }
	switch name {
	case "ksd":
		if !(fl("beta") < 0) {
			return nil, spec.Errorf(where, "setting beta=%v must be < 0", fl("beta"))
		}
		return &KSD[T]{Kernel: str("kernel"), C: fl("c"), Beta: fl("beta"), Bandwidth: fl("bandwidth"), V: str("stat") == "v"}, nil
	case "lsd":
		var hidden []int
		for _, h := range strings.Split(str("hidden"), "x") {
			w, err := strconv.Atoi(h)
			if err != nil || w < 1 || w > 1<<16 {
				return nil, spec.Errorf(where, "setting hidden=%q: want positive widths like 64x64", str("hidden"))
			}
			hidden = append(hidden, w)
		}
		act, err := nn.ActivationByName(str("act"))
		if err != nil {
			return nil, spec.Errorf(where, "%v", err)
		}
		l := &LSD[T]{Hidden: hidden, Act: act, Lambda: fl("lambda"), CriticLR: fl("critic_lr"),
			CriticSteps: in("critic_steps"), Probes: in("probes")}
		switch str("trace") {
		case "exact":
			l.ExactMax = 1 << 30
		case "hutchinson":
			l.ExactMax = -1
		}
		return l, nil
	default: // klc
		s := fl("sigma")
		return &KLC[T]{Channel: GaussianSmoothing{s}, Start: str("start"),
			Sampler: NegSampler{Kind: str("sampler"), Steps: in("k"), Step: fl("step") * s * s}}, nil
	}
}

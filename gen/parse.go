package gen

import (
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/spec"
)

// SpecHelp describes the specs Parse accepts.
const SpecHelp = `noisy[:hidden=128x128,latent=2,sigma=0.1,learn_sigma=true,is=200,act=silu]
    x = g(z) + sigma*eps, g an MLP (hidden "" or 0: affine), is latent importance
    samples per draw of the entropy-gradient and density estimates
affine     the Gaussian x = mu + Lz (exact density), initialized to N(0, I)`

// Parse builds a float32 sampler network for data of dimension d from a spec
// (see SpecHelp), its weights drawn from seed. It returns a *Noisy[float32]
// or an *Affine[float32]; bad settings give a *spec.Error.
func Parse(s string, d int, seed uint64) (any, error) {
	const where = "sampler"
	sp, err := spec.Parse(where, s)
	if err != nil {
		return nil, err
	}
	switch sp.Name {
	case "noisy":
		c := NoisyConfig{Dim: d}
		hidden := sp.String("hidden", "128x128")
		if hidden != "" && hidden != "0" {
			for _, h := range strings.Split(hidden, "x") {
				v, err := strconv.Atoi(h)
				if err != nil || v < 1 {
					return nil, spec.Errorf(where+" noisy", "hidden=%q: want positive widths like 128x128", hidden)
				}
				c.Hidden = append(c.Hidden, v)
			}
		}
		if c.Latent, err = sp.Int("latent", 2); err != nil {
			return nil, err
		}
		if err := sp.AtLeast("latent", c.Latent, 1); err != nil {
			return nil, err
		}
		if c.Sigma, err = sp.Float("sigma", 0.1); err != nil {
			return nil, err
		}
		if err := sp.Positive("sigma", c.Sigma); err != nil {
			return nil, err
		}
		if c.LearnSigma, err = sp.Bool("learn_sigma", true); err != nil {
			return nil, err
		}
		if c.K, err = sp.Int("is", DefaultK); err != nil {
			return nil, err
		}
		if err := sp.AtLeast("is", c.K, 1); err != nil {
			return nil, err
		}
		c.Act = sp.String("act", "silu")
		if err := sp.CheckUnused(); err != nil {
			return nil, err
		}
		q, err := NewNoisy[float32](c, seed)
		if err != nil {
			return nil, spec.Errorf(where+" noisy", "%v", err)
		}
		return q, nil
	case "affine":
		if err := sp.CheckUnused(); err != nil {
			return nil, err
		}
		q, err := NewAffine[float32](d)
		if err != nil {
			return nil, spec.Errorf(where+" affine", "%v", err)
		}
		return q, nil
	}
	return nil, spec.Errorf(where, "unknown sampler %q (valid: noisy, affine)", sp.Name)
}

// Kinds are the sampler names Parse knows.
var Kinds = []string{"noisy", "affine"}

// IsKind reports whether spec s names one of Kinds.
func IsKind(s string) bool {
	name, _, _ := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	for _, k := range Kinds {
		if k == name {
			return true
		}
	}
	return false
}

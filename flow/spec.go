package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// SpecHelp lists the flow kinds and their settings with the defaults.
const SpecHelp = `Flows (--flow kind:k=v,...):
  realnvp  affine couplings (RealNVP) with alternating masks
           layers=8 hidden=64x64 act=relu bound=2 actnorm=false
  nice     additive couplings (NICE) and a final diagonal scaling
           layers=4 hidden=64x64 act=relu actnorm=false
  maf      masked autoregressive layers (MADE), reversed between layers
           layers=5 hidden=64x64 act=relu bound=2 actnorm=false
  planar   planar layers f(z) = z + û·tanh(wᵀz + b)
           layers=16 constrain=true
  radial   radial layers f(z) = z + β(z − z₀)/(α + ‖z − z₀‖)
           layers=16
  bound=c bounds the log-scales to (−c, c) by c·tanh(·/c) (0: unbounded);
  actnorm adds an ActNorm (data-initialized) before every coupling or MAF layer;
  box=c (any kind) ends the flow with x = c·tanh(·/c), confining it to (−c, c)^d
  (0: no box, the default);
  hidden=64 means one hidden width repeated twice (64x64).`

// Kinds lists the flow kinds Parse knows.
func Kinds() []string { return []string{"realnvp", "nice", "maf", "planar", "radial"} }

// Config is a parsed flow spec.
type Config struct {
	Kind      string
	Layers    int
	Net       Net
	Bound     float64
	ActNorm   bool
	Constrain bool
	// Box, if positive, appends a Box layer of that half-width.
	Box       float64
	Canonical string
}

// ParseConfig parses a flow spec (see SpecHelp); errors are *spec.Error.
func ParseConfig(s string) (*Config, error) {
	sp, err := spec.Parse("--flow", s)
	if err != nil {
		return nil, err
	}
	where := "flow " + sp.Name
	c := &Config{Kind: sp.Name, Canonical: sp.Canonical()}
	defLayers := map[string]int{"realnvp": 8, "nice": 4, "maf": 5, "planar": 16, "radial": 16}
	dl, ok := defLayers[sp.Name]
	if !ok {
		return nil, spec.Errorf("--flow", "unknown flow %q (valid: %s)", sp.Name, strings.Join(Kinds(), ", "))
	}
	if c.Layers, err = sp.Int("layers", dl); err != nil {
		return nil, err
	}
	if c.Layers < 1 || c.Layers > 1000 {
		return nil, spec.Errorf(where, "layers=%d: want 1..1000", c.Layers)
	}
	switch sp.Name {
	case "realnvp", "nice", "maf":
		hidden := sp.String("hidden", "64x64")
		parts := strings.Split(hidden, "x")
		if len(parts) == 1 {
			parts = append(parts, parts[0])
		}
		for _, h := range parts {
			v, err := strconv.Atoi(strings.TrimSpace(h))
			if err != nil || v < 1 || v > 1<<16 {
				return nil, spec.Errorf(where, "hidden=%q: want positive widths like 64x64", hidden)
			}
			c.Net.Hidden = append(c.Net.Hidden, v)
		}
		if err := tensor.CheckAllocOf[float64]("flow hidden layers", c.Layers, len(c.Net.Hidden), c.Net.Hidden[0], c.Net.Hidden[len(c.Net.Hidden)-1]); err != nil {
			return nil, &spec.Error{Where: where, Msg: err.Error()}
		}
		if c.Net.Act, err = nn.ActivationByName(sp.String("act", "relu")); err != nil {
			return nil, &spec.Error{Where: where, Msg: strings.TrimPrefix(err.Error(), "nn: ")}
		}
		if c.ActNorm, err = sp.Bool("actnorm", false); err != nil {
			return nil, err
		}
		if sp.Name != "nice" {
			if c.Bound, err = sp.Float("bound", 2); err != nil {
				return nil, err
			}
			if c.Bound < 0 {
				return nil, spec.Errorf(where, "bound=%g: want ≥ 0 (0: unbounded)", c.Bound)
			}
		}
	case "planar":
		if c.Constrain, err = sp.Bool("constrain", true); err != nil {
			return nil, err
		}
	}
	if c.Box, err = sp.Float("box", 0); err != nil {
		return nil, err
	}
	if !(c.Box >= 0) || math.IsInf(c.Box, 0) {
		return nil, spec.Errorf(where, "box=%g: want a finite half-width ≥ 0 (0: no box)", c.Box)
	}
	if err := sp.CheckUnused(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse builds the flow that spec s describes over d dimensions, its weights
// drawn from seed. Spec errors are *spec.Error.
func Parse[T tensor.Float](s string, d int, seed uint64) (*Flow[T], error) {
	c, err := ParseConfig(s)
	if err != nil {
		return nil, err
	}
	return Build[T](c, d, seed)
}

// Build builds the flow of c over d dimensions, its weights drawn from seed.
func Build[T tensor.Float](c *Config, d int, seed uint64) (*Flow[T], error) {
	if d < 1 {
		return nil, fmt.Errorf("flow: dimension %d < 1", d)
	}
	rng := rand.New(rand.NewPCG(seed, 0xf10))
	var ls []Transform[T]
	for k := 0; k < c.Layers; k++ {
		name := fmt.Sprintf("%d", k)
		if c.ActNorm {
			ls = append(ls, NewActNorm[T](name+".actnorm", d))
		}
		switch c.Kind {
		case "realnvp":
			l, err := NewAffine[T](name+".affine", d, k%2, c.Bound, c.Net, rng)
			if err != nil {
				return nil, err
			}
			ls = append(ls, l)
		case "nice":
			l, err := NewAdditive[T](name+".additive", d, k%2, c.Net, rng)
			if err != nil {
				return nil, err
			}
			ls = append(ls, l)
		case "maf":
			if k > 0 {
				ls = append(ls, NewReverse[T](d))
			}
			l, err := NewMAF[T](name+".maf", d, c.Bound, c.Net, rng)
			if err != nil {
				return nil, err
			}
			ls = append(ls, l)
		case "planar":
			p := NewPlanar[T](name+".planar", d, rng)
			p.Constrain = c.Constrain
			ls = append(ls, p)
		case "radial":
			ls = append(ls, NewRadial[T](name+".radial", d, rng))
		default:
			return nil, fmt.Errorf("flow: unknown kind %q", c.Kind)
		}
	}
	if c.Kind == "nice" {
		ls = append(ls, NewScale[T]("scale", d))
	}
	if c.Box > 0 {
		ls = append(ls, NewBox[T](d, c.Box))
	}
	f, err := New(d, ls...)
	if err != nil {
		return nil, err
	}
	f.Spec = c.Canonical
	return f, nil
}

// NewSampler builds a float32 flow from a spec over d dimensions: a function
// of the shape of train.SamplerFactory, so that flow-contrastive and
// adversarial training can take flows as their samplers.
func NewSampler(s string, d int, seed uint64) (any, error) {
	return Parse[float32](s, d, seed)
}

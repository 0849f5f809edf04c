package energy

import (
	"strings"
	"testing"

	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

func TestParseModelSpec(t *testing.T) {
	m, err := ParseModelSpec("mlp")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Hidden) != 2 || m.Hidden[0] != 128 || m.Act.Name != "silu" || m.SpecNorm || m.Init != nn.InitTorch {
		t.Errorf("defaults %+v", m)
	}
	m, err = ParseModelSpec("mlp:hidden=8x4,act=tanh,specnorm,init=xavier_normal")
	if err != nil {
		t.Fatal(err)
	}
	e, err := m.Build(3, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.(*MLPEnergy[float32]).Net.Sizes(); len(got) != 4 || got[0] != 3 || got[1] != 8 || got[2] != 4 || got[3] != 1 {
		t.Errorf("sizes %v", got)
	}
	nc, err := BuildModel[float64](m, 3, 1, []float64{1, 0.1})
	if err != nil || nc.Dim() != 3 {
		t.Fatalf("noise-conditional: %v", err)
	}
	// Same seed, same weights.
	e2, _ := m.Build(3, 1, nil)
	p1, p2 := e.Params()[0].Value.Data, e2.Params()[0].Value.Data
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Fatal("same seed, different weights")
		}
	}
	for _, c := range []struct{ s, want string }{
		{"cnn", "unknown model"},
		{"mlp:hidden=12xx3", "hidden"},
		{"mlp:hidden=0", "hidden"},
		{"mlp:act=gelu", "unknown activation"},
		{"mlp:init=zeros", "unknown initialization"},
		{"mlp:specnorm=maybe", "true or false"},
		{"mlp:hiden=3", "unknown setting"},
		{"mlp:hidden=100000x100000", "limit"},
	} {
		_, err := ParseModelSpec(c.s)
		if err == nil || !spec.IsInvalid(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want a *spec.Error saying %q", c.s, err, c.want)
		}
	}
	// A huge input layer is caught by Build.
	old := tensor.MaxAllocBytes
	tensor.MaxAllocBytes = 1 << 20
	defer func() { tensor.MaxAllocBytes = old }()
	m, _ = ParseModelSpec("mlp:hidden=1024")
	if _, err := m.Build(1<<20, 1, nil); err == nil || !spec.IsInvalid(err) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("huge input: %v", err)
	}
}

package ising

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/spec"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{L: 4, J: 1, T: 2, Algo: Wolff, Sweeps: 10}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit  func(*Config)
		where string
	}{
		{func(c *Config) { c.L = 1 }, "size 1"},
		{func(c *Config) { c.L = MaxL + 1 }, "size"},
		{func(c *Config) { c.T = 0 }, "temp 0"},
		{func(c *Config) { c.T = math.Inf(1) }, "temp"},
		{func(c *Config) { c.Sweeps = 0 }, "sweeps 0"},
		{func(c *Config) { c.Burn = -1 }, "burn -1"},
		{func(c *Config) { c.H = math.NaN() }, "field NaN"},
		{func(c *Config) { c.J = math.Inf(-1) }, "coupling -Inf"},
		{func(c *Config) { c.Algo = "x" }, `algo "x"`},
	} {
		c := ok
		tc.edit(&c)
		err := c.Validate()
		var se *spec.Error
		if !spec.IsInvalid(err) || !asSpec(err, &se) || !strings.HasPrefix(se.Where, tc.where) {
			t.Errorf("%+v: got %v, want a settings error at %q", c, err, tc.where)
		}
	}
}

func asSpec(err error, se **spec.Error) bool {
	e, ok := err.(*spec.Error)
	*se = e
	return ok
}

func TestPottsConfigValidate(t *testing.T) {
	ok := PottsConfig{L: 4, Q: 3, J: 1, T: 1, Algo: SW, Sweeps: 10}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit  func(*PottsConfig)
		where string
	}{
		{func(c *PottsConfig) { c.Q = 1 }, "potts 1"},
		{func(c *PottsConfig) { c.Q = MaxQ + 1 }, "potts"},
		{func(c *PottsConfig) { c.Algo = Wolff }, `algo "wolff"`},
		{func(c *PottsConfig) { c.J = -1 }, "coupling -1"},
		{func(c *PottsConfig) { c.L = 0 }, "size 0"},
	} {
		c := ok
		tc.edit(&c)
		var se *spec.Error
		if err := c.Validate(); !asSpec(err, &se) || !strings.HasPrefix(se.Where, tc.where) {
			t.Errorf("%+v: got %v, want a settings error at %q", c, err, tc.where)
		}
	}
	c := ok
	c.J, c.Algo = -1, Gibbs // an antiferromagnetic Potts model is fine for heat bath
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreConfigValidate(t *testing.T) {
	ok := DefaultRestoreConfig(ICM)
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit  func(*RestoreConfig)
		where string
	}{
		{func(c *RestoreConfig) { c.Method = "x" }, `method "x"`},
		{func(c *RestoreConfig) { c.Burn = -1 }, "burn -1"},
		{func(c *RestoreConfig) { c.MaxIter = -2 }, "max-iter -2"},
		{func(c *RestoreConfig) { c.Beta = math.NaN() }, "beta NaN"},
		{func(c *RestoreConfig) { c.Eta = math.Inf(1) }, "eta +Inf"},
		{func(c *RestoreConfig) { c.H = math.Inf(-1) }, "field -Inf"},
	} {
		c := ok
		tc.edit(&c)
		var se *spec.Error
		if err := c.Validate(); !asSpec(err, &se) || se.Where != tc.where {
			t.Errorf("got %v, want a settings error at %q", err, tc.where)
		}
	}
}

// Simulate with q = 0 gives Run's numbers and with q ≥ 2 RunPotts's, for the
// same settings and seed.
func TestSimulateDispatch(t *testing.T) {
	ctx := context.Background()
	cfg := Config{L: 6, J: 1, T: 2.5, Algo: Gibbs, Sweeps: 50, Burn: 5, Seed: 3}
	got, err := Simulate(ctx, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Run(ctx, cfg)
	if g := got.(*Result); g.EnergyPerSite != want.EnergyPerSite || g.Magnetization != want.Magnetization {
		t.Fatalf("Simulate(q=0) = %v, Run = %v", g.EnergyPerSite, want.EnergyPerSite)
	}
	gp, err := Simulate(ctx, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	wp, _ := RunPotts(ctx, PottsConfig{L: 6, Q: 3, J: 1, T: 2.5, Algo: Gibbs, Sweeps: 50, Burn: 5, Seed: 3})
	if g := gp.(*PottsResult); g.EnergyPerSite != wp.EnergyPerSite || g.Q != 3 {
		t.Fatalf("Simulate(q=3) = %v, RunPotts = %v", g.EnergyPerSite, wp.EnergyPerSite)
	}
	cfg.Algo = Wolff
	if _, err := Simulate(ctx, cfg, 3); !spec.IsInvalid(err) {
		t.Fatalf("Potts with wolff: %v", err)
	}
}

// ReadPNG returns what EncodePNG wrote, pixel for pixel.
func TestReadPNG(t *testing.T) {
	img, err := ImageFromRows([][]int8{{1, -1, 1}, {-1, -1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.png")
	var buf bytes.Buffer
	if err := EncodePNG(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o666); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPNG(path)
	if err != nil || got.W != 3 || got.H != 2 || !bytes.Equal(int8Bytes(got.Pix), int8Bytes(img.Pix)) {
		t.Fatalf("ReadPNG: %+v, %v", got, err)
	}
	if _, err := ReadPNG(filepath.Join(t.TempDir(), "none.png")); err == nil {
		t.Fatal("a missing file was read")
	}
}

package train

import (
	"math"
	"testing"

	"github.com/ebm-go/ebm/spec"
)

func TestCheckConfig(t *testing.T) {
	ok := Config{Iters: 1, Batch: 1, LR: 1e-3, LogEvery: 1}
	if err := CheckConfig(ok); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit  func(*Config)
		where string
	}{
		{func(c *Config) { c.Iters = 0 }, "iters 0"},
		{func(c *Config) { c.Batch = 0 }, "batch 0"},
		{func(c *Config) { c.LR = 0 }, "lr 0"},
		{func(c *Config) { c.LR = math.Inf(1) }, "lr +Inf"},
		{func(c *Config) { c.EMA = 1 }, "ema 1"},
		{func(c *Config) { c.EMA = math.NaN() }, "ema NaN"},
		{func(c *Config) { c.ClipNorm = -1 }, "clip-grad -1"},
		{func(c *Config) { c.LogEvery = 0 }, "log-every 0"},
		{func(c *Config) { c.SnapshotEvery = -1 }, "checkpoint-every -1"},
	} {
		c := ok
		tc.edit(&c)
		if se, isSpec := CheckConfig(c).(*spec.Error); !isSpec || se.Where != tc.where {
			t.Errorf("want a settings error at %q, got %v", tc.where, CheckConfig(c))
		}
	}
}

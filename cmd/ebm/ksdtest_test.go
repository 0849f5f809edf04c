package main

import (
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/metric"
)

// gaussCSV writes n independent N(0, I₂) points (with a chain column when
// chains > 0, as ebm sample writes them).
func gaussCSV(t *testing.T, n int, shift float64, chains int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	if chains > 0 {
		b.WriteString("chain,x0,x1\n")
	} else {
		b.WriteString("x0,x1\n")
	}
	for i := 0; i < n; i++ {
		if chains > 0 {
			b.WriteString(string(rune('0'+i*chains/n)) + ",") // chain by chain, as ebm sample writes
		}
		b.WriteString(strings.Join([]string{ftoa(rng.NormFloat64() + shift), ftoa(rng.NormFloat64())}, ",") + "\n")
	}
	return writeCSV(t, b.String())
}

func ftoa(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestKSDTestCommand(t *testing.T) {
	out, err := run(t, "ksd-test", "--energy", "gauss:dim=2", "--samples", gaussCSV(t, 300, 0, 0), "--bootstrap", "300", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep metric.KSDTestReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.N != 300 || rep.Chains != 1 || rep.Bootstrap != 300 || !(rep.PValue > 0 && rep.PValue <= 1) {
		t.Errorf("report %+v", rep)
	}
	// A shift of one standard deviation is rejected; the chain column is
	// recognized and thinning keeps every 3rd row of each chain.
	out, err = run(t, "ksd-test", "--energy", "gauss:dim=2", "--samples", gaussCSV(t, 300, 1, 2), "--thin", "3", "--bootstrap", "300")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "REJECTED") || !strings.Contains(out, "100 of 300 rows, 2 chain(s)") {
		t.Errorf("output:\n%s", out)
	}
}

func TestKSDTestBadInput(t *testing.T) {
	good := gaussCSV(t, 20, 0, 0)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--samples", good}, "exactly one of --model or --energy"},
		{[]string{"--energy", "gauss:dim=2"}, "--samples is required"},
		{[]string{"--energy", "gauss:dim=3", "--samples", good}, "dimension 3"},
		{[]string{"--energy", "gauss:dim=2", "--samples", good, "--kernel", "poly"}, "--kernel"},
		{[]string{"--energy", "gauss:dim=2", "--samples", good, "--thin", "0"}, "--thin"},
		{[]string{"--energy", "gauss:dim=2", "--samples", good, "--thin", "20"}, "need at least 2"},
		{[]string{"--energy", "gauss:dim=2", "--samples", good, "--alpha", "1"}, "--alpha"},
		{[]string{"--energy", "gauss:dim=2", "--samples", filepath.Join(t.TempDir(), "none.csv")}, "none.csv"},
		{[]string{"--energy", "gauss:dim=2", "--samples", writeCSV(t, "x0,x1\n1,2\n3,abc\n")}, "abc"},
		{[]string{"--model", t.TempDir(), "--samples", good}, ""},
	} {
		_, err := run(t, append([]string{"ksd-test"}, c.args...)...)
		wantUsage(t, err, c.want)
	}
}

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHopfieldStoreRecall stores ten digits by the pseudo-inverse rule and by
// the modern network, recalls them from cues with 10% of the bits flipped
// (every pattern back, since the pseudo-inverse makes the patterns fixed
// points with wide basins at P/N = 10/64) and writes the PNG.
func TestHopfieldStoreRecall(t *testing.T) {
	tmp := t.TempDir()
	for _, rule := range []string{"pinv", "modern", "storkey", "hebbian"} {
		dir := filepath.Join(tmp, rule)
		rep := rbmJSON(t, "hopfield", "store", "--data", "digits", "--patterns", "10", "--rule", rule, "--out", dir, "--json")
		if rbmNum(t, rep, "n") != 64 || rbmNum(t, rep, "p") != 10 {
			t.Errorf("%s: %v", rule, rep)
		}
		png := filepath.Join(tmp, rule+".png")
		rec := rbmJSON(t, "hopfield", "recall", "--model", dir, "--corrupt", "0.1", "--out", png, "--json")
		acc := rbmNum(t, rec, "bit_accuracy")
		if (rule == "pinv" || rule == "modern") && acc != 1 {
			t.Errorf("%s: bit accuracy %v", rule, acc)
		}
		if rbmNum(t, rec, "energy_recalled") > rbmNum(t, rec, "energy_cue") {
			t.Errorf("%s: recall raised the mean energy: %v", rule, rec)
		}
		if fi, err := os.Stat(png); err != nil || fi.Size() == 0 {
			t.Errorf("%s: PNG: %v", rule, err)
		}
	}
	// Stochastic recall at a low temperature.
	rec := rbmJSON(t, "hopfield", "recall", "--model", filepath.Join(tmp, "pinv"), "--temp", "0.05", "--sweeps", "3", "--json")
	if rbmNum(t, rec, "bit_accuracy") < 0.9 {
		t.Errorf("recall at T = 0.05: %v", rec)
	}
}

func TestHopfieldBadInput(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "net")
	_, err := run(t, "hopfield", "store", "--rule", "oja", "--out", out)
	wantUsage(t, err, "--rule")
	_, err = run(t, "hopfield", "store", "--patterns", "0", "--out", out)
	wantUsage(t, err, "--patterns")
	_, err = run(t, "hopfield", "store", "--patterns", "5000", "--out", out)
	wantUsage(t, err, "5000 patterns")
	csv := filepath.Join(tmp, "x.csv")
	if err := os.WriteFile(csv, []byte("0,1,2\n1,0,1\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, "hopfield", "store", "--data", "csv:"+csv, "--patterns", "2", "--out", out)
	wantUsage(t, err, "row 0, column 2")
	_, err = run(t, "hopfield", "store", "--data", "digits", "--patterns", "70", "--rule", "pinv", "--out", out)
	wantUsage(t, err, "fewer patterns than units")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused store left %s behind: %v", out, err)
	}
	_, err = run(t, "hopfield", "recall", "--model", filepath.Join(tmp, "missing"))
	wantUsage(t, err, "missing")
	_, err = run(t, "hopfield", "recall")
	wantUsage(t, err, "--model")
	_, err = run(t, "hopfield", "capacity", "--rules", "hebbian,oja")
	wantUsage(t, err, "oja")
	_, err = run(t, "hopfield", "capacity", "--loads", "0.1,x")
	wantUsage(t, err, "--loads")
}

func TestHopfieldCapacity(t *testing.T) {
	rep := rbmJSON(t, "hopfield", "capacity", "--n", "100", "--loads", "0.05,0.3", "--rules", "hebbian,pinv", "--trials", "2", "--json")
	pts, ok := rep["points"].([]any)
	if !ok || len(pts) != 4 {
		t.Fatalf("points: %v", rep)
	}
	hebb30 := pts[1].(map[string]any)["bit_accuracy"].(float64)
	pinv30 := pts[3].(map[string]any)["bit_accuracy"].(float64)
	if hebb30 > 0.9 || pinv30 < 0.99 {
		t.Errorf("at P/N = 0.3: Hebbian %.4f, pseudo-inverse %.4f", hebb30, pinv30)
	}
}

// TestMPFPLMethods trains an RBM and an FVBM on the digits by MPF and PL for
// one epoch, an FVBM by KLC, and refuses them where they do not apply (and
// bad KLC settings, as usage errors).
func TestMPFPLMethods(t *testing.T) {
	tmp := t.TempDir()
	for _, m := range []string{"mpf", "pl"} {
		rep := rbmJSON(t, "rbm", "train", "--data", "digits", "--hidden", "8", "--method", m, "--epochs", "1",
			"--samples", "4", "--sample-steps", "5", "--out", filepath.Join(tmp, "rbm-"+m), "--json")
		if rep["method"] != m {
			t.Errorf("rbm %s: %v", m, rep)
		}
		rep = rbmJSON(t, "bm", "train", "--data", "digits", "--method", m, "--epochs", "1", "--out", filepath.Join(tmp, "bm-"+m), "--json")
		if rep["method"] != m {
			t.Errorf("bm %s: %v", m, rep)
		}
	}
	rep := rbmJSON(t, "bm", "train", "--data", "digits", "--method", "klc", "--eps", "0.05", "--k", "2", "--epochs", "1",
		"--out", filepath.Join(tmp, "bm-klc"), "--json")
	if rep["method"] != "klc" || rbmNum(t, rep, "pl_train") >= 0 {
		t.Errorf("bm klc: %v", rep)
	}
	for _, eps := range []string{"0", "0.5", "-0.1", "nan"} {
		_, err := run(t, "bm", "train", "--data", "digits", "--method", "klc", "--eps", eps, "--out", filepath.Join(tmp, "k"))
		wantUsage(t, err, "eps")
	}
	_, err := run(t, "bm", "train", "--data", "digits", "--method", "klc", "--k", "0", "--out", filepath.Join(tmp, "k"))
	wantUsage(t, err, "k 0")
	_, err = run(t, "bm", "train", "--data", "digits", "--method", "klc", "--klc-start", "middle", "--out", filepath.Join(tmp, "k"))
	wantUsage(t, err, "--klc-start")
	rep = rbmJSON(t, "bm", "train", "--data", "digits", "--method", "klc", "--klc-start", "clean", "--epochs", "1",
		"--out", filepath.Join(tmp, "bm-klc-clean"), "--json")
	if rep["method"] != "klc" {
		t.Errorf("bm klc clean: %v", rep)
	}
	if _, err := os.Stat(filepath.Join(tmp, "k")); err == nil {
		t.Error("a refused klc run left its output folder")
	}
	_, err = run(t, "rbm", "train", "--visible", "gaussian", "--method", "mpf", "--out", filepath.Join(tmp, "g"))
	wantUsage(t, err, "Bernoulli")
	_, err = run(t, "dbn", "train", "--method", "pl", "--out", filepath.Join(tmp, "d"))
	wantUsage(t, err, "--method pl")
	_, err = run(t, "rbm", "train", "--method", "nce", "--out", filepath.Join(tmp, "n"))
	wantUsage(t, err, "mpf")
}

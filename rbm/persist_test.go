package rbm

import (
	"encoding/json"
	"errors"

	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/model"
)

func TestSaveLoadRBM(t *testing.T) {
	for _, kind := range []Visible{Bernoulli, Gaussian} {
		r := randomRBM(t, kind, 6, 4, 0.5, 3)
		r.Data = &DataInfo{Image: [2]int{2, 3}, Preprocessing: "test", BaseBias: []float32{1, 2, 3, 4, 5, 6}}
		if kind == Gaussian {
			r.Data.Mean = []float64{0, 1, 2, 3, 4, 5}
			r.Data.Std = []float64{1, 1, 2, 2, 3, 3}
		}
		dir := filepath.Join(t.TempDir(), "m")
		if err := r.Save(dir, &model.Meta{Seed: 7}); err != nil {
			t.Fatal(err)
		}
		got, meta, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if meta.Kind != KindRBM || meta.Seed != 7 {
			t.Errorf("meta kind %q seed %d", meta.Kind, meta.Seed)
		}
		if got.Visible != kind || !slices.Equal(got.W.Data, r.W.Data) || !slices.Equal(got.B, r.B) ||
			!slices.Equal(got.C, r.C) || !slices.Equal(got.LogVar, r.LogVar) {
			t.Errorf("%v: parameters differ after a round trip", kind)
		}
		if got.Data == nil || got.Data.Image != r.Data.Image || got.Data.Preprocessing != "test" ||
			!slices.Equal(got.Data.BaseBias, r.Data.BaseBias) || !slices.Equal(got.Data.Mean, r.Data.Mean) ||
			!slices.Equal(got.Data.Std, r.Data.Std) {
			t.Errorf("%v: data info %+v, want %+v", kind, got.Data, r.Data)
		}
		// Through the registry, the same concrete type.
		if m, _, err := model.Load(dir); err != nil {
			t.Error(err)
		} else if _, ok := m.(*RBM); !ok {
			t.Errorf("model.Load gave %T", m)
		}
		// A typed loader of another kind refuses it.
		var ke *KindError
		if _, _, err := LoadDBN(dir); !errors.As(err, &ke) {
			t.Errorf("LoadDBN of an rbm folder: %v", err)
		}
	}
}

func TestSaveLoadOthers(t *testing.T) {
	net, err := NewDBN(Bernoulli, []int{6, 4, 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	net.Data = &DataInfo{Image: [2]int{2, 3}}
	dir := filepath.Join(t.TempDir(), "dbn")
	if err := net.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	gn, _, err := LoadDBN(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gn.Sizes(), net.Sizes()) || !slices.Equal(gn.Layers[1].W.Data, net.Layers[1].W.Data) || gn.Data.Image != [2]int{2, 3} {
		t.Error("DBN differs after a round trip")
	}

	m, _ := NewDBM(5, 4, 3, 2)
	dir = filepath.Join(t.TempDir(), "dbm")
	if err := m.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	gm, _, err := LoadDBM(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gm.W2.Data, m.W2.Data) || !slices.Equal(gm.C2, m.C2) {
		t.Error("DBM differs after a round trip")
	}

	bm, _ := NewFVBM(4)
	bm.W.Set(0, 1, 0.5)
	bm.W.Set(1, 0, 0.5)
	bm.B[2] = -1
	dir = filepath.Join(t.TempDir(), "fvbm")
	if err := bm.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	gb, _, err := LoadFVBM(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gb.W.Data, bm.W.Data) || !slices.Equal(gb.B, bm.B) {
		t.Error("FVBM differs after a round trip")
	}
}

// A model.json that claims more units than the tensors hold, or a size above
// the limit, is an error, not an allocation.
func TestLoadRejectsSizes(t *testing.T) {
	r := randomRBM(t, Bernoulli, 6, 4, 0.5, 3)
	dir := filepath.Join(t.TempDir(), "m")
	if err := r.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	for _, nh := range []int{1_000_000_000, 5} {
		meta, ts, err := model.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		var arch map[string]any
		if err := json.Unmarshal(meta.Architecture, &arch); err != nil {
			t.Fatal(err)
		}
		arch["n_hidden"] = nh
		meta.Architecture, _ = json.Marshal(arch)
		var list []model.Tensor
		for _, tn := range ts {
			list = append(list, tn)
		}
		bad := filepath.Join(t.TempDir(), "bad")
		meta.WeightsSHA256 = ""
		if err := model.Save(bad, meta, list); err != nil {
			t.Fatal(err)
		}
		_, _, err = Load(bad)
		if err == nil {
			t.Fatalf("n_hidden %d: loaded", nh)
		}
		var se *SizeError
		if nh > MaxWeights && !errors.As(err, &se) {
			t.Errorf("n_hidden %d: %v, want a *SizeError", nh, err)
		}
		if nh == 5 && !strings.Contains(err.Error(), "shape") {
			t.Errorf("n_hidden 5: %v", err)
		}
	}
}

func TestNewRejectsHugeSizes(t *testing.T) {
	var se *SizeError
	if _, err := New(Bernoulli, 64, 100_000_000, 1); !errors.As(err, &se) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("New with 10^8 hidden units: %v", err)
	}
	if _, err := NewDBN(Bernoulli, []int{784, 1 << 20, 1 << 10}, 1); !errors.As(err, &se) {
		t.Errorf("NewDBN: %v", err)
	}
	if _, err := NewDBM(784, 1<<20, 10, 1); !errors.As(err, &se) {
		t.Errorf("NewDBM: %v", err)
	}
	if _, err := NewFVBM(1 << 15); !errors.As(err, &se) {
		t.Errorf("NewFVBM: %v", err)
	}
}

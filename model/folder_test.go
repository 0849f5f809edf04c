package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

func testMeta() *Meta {
	return &Meta{
		Kind:         "mlp-energy",
		Seed:         1<<63 + 12345, // needs all 64 bits
		Architecture: json.RawMessage(`{"layers":[2,64,64,1],"activation":"silu"}`),
		Training:     json.RawMessage(`{"estimator":"dsm","sigma":0.1}`),
		Data:         json.RawMessage(`{"name":"8gaussians","n":10000}`),
		Metrics:      map[string]float64{"nll": 2.91, "mmd2": 0.0012},
		Created:      "2026-11-22T10:00:00Z",
	}
}

// leftovers returns the names in dir other than keep: temporary folders or
// files that Save should have removed.
func leftovers(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range entries {
		found := false
		for _, k := range keep {
			found = found || e.Name() == k
		}
		if !found {
			extra = append(extra, e.Name())
		}
	}
	return extra
}

func TestSaveLoad(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "runs", "m1") // parents are created
	meta := testMeta()
	before := *meta
	if err := Save(dir, meta, sampleTensors()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*meta, before) {
		t.Error("Save modified its meta argument")
	}
	m, ts, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.FormatVersion != FormatVersion || m.Kind != "mlp-energy" || m.Seed != meta.Seed ||
		m.Created != meta.Created || m.EbmVersion == "" || len(m.WeightsSHA256) != 64 {
		t.Errorf("meta = %+v", m)
	}
	if !reflect.DeepEqual(m.Metrics, meta.Metrics) {
		t.Errorf("metrics = %v", m.Metrics)
	}
	for _, raw := range []struct{ got, want json.RawMessage }{{m.Architecture, meta.Architecture}, {m.Training, meta.Training}, {m.Data, meta.Data}} {
		var g, w any
		json.Unmarshal(raw.got, &g)
		json.Unmarshal(raw.want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("raw JSON %s, want %s", raw.got, raw.want)
		}
	}
	if len(ts) != len(sampleTensors()) {
		t.Errorf("loaded %d tensors", len(ts))
	}
	for _, want := range sampleTensors() {
		if !reflect.DeepEqual(normalize(ts[want.Name]), normalize(want)) {
			t.Errorf("tensor %q differs", want.Name)
		}
	}
	if extra := leftovers(t, filepath.Join(root, "runs"), "m1"); extra != nil {
		t.Errorf("leftovers: %v", extra)
	}
	if extra := leftovers(t, dir, MetaFile, WeightsFile); extra != nil {
		t.Errorf("model folder holds extra files: %v", extra)
	}
	// Created defaults to now in RFC 3339.
	fresh := testMeta()
	fresh.Created = ""
	if err := Save(dir, fresh, nil); err != nil {
		t.Fatal(err)
	}
	if m, _, err := Read(dir); err != nil || !strings.HasSuffix(m.Created, "Z") || len(m.Created) != len("2006-01-02T15:04:05Z") {
		t.Errorf("Created = %q, err %v", m.Created, err)
	}
}

func TestSaveReplaces(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "m")
	if err := Save(dir, testMeta(), sampleTensors()); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("old"), 0o644)
	second := testMeta()
	second.Kind = "rbm"
	w := Tensor{Name: "W", DType: "F32", Shape: []int{1}, F32: []float32{42}}
	if err := Save(dir, second, []Tensor{w}); err != nil {
		t.Fatal(err)
	}
	m, ts, err := Read(dir)
	if err != nil || m.Kind != "rbm" || len(ts) != 1 || ts["W"].F32[0] != 42 {
		t.Fatalf("after replace: %+v %v %v", m, ts, err)
	}
	if extra := leftovers(t, dir, MetaFile, WeightsFile); extra != nil {
		t.Errorf("old files survived the replace: %v", extra)
	}

	// A failing save (invalid tensor, NaN metric) leaves the model untouched.
	bad := []Tensor{{Name: "W", DType: "F32", Shape: []int{2}, F32: []float32{1}}}
	if err := Save(dir, testMeta(), bad); err == nil {
		t.Fatal("no error for an invalid tensor")
	}
	nan := testMeta()
	nan.Metrics["nll"] = math.NaN()
	if err := Save(dir, nan, nil); err == nil || !strings.Contains(err.Error(), `metric "nll" is NaN`) {
		t.Fatalf("NaN metric: %v", err)
	}
	badRaw := testMeta()
	badRaw.Training = json.RawMessage(`{"unclosed":`)
	if err := Save(dir, badRaw, nil); err == nil {
		t.Fatal("no error for invalid raw JSON")
	}
	if m, _, err := Read(dir); err != nil || m.Kind != "rbm" {
		t.Errorf("model damaged by failed saves: %v", err)
	}
	if extra := leftovers(t, root, "m"); extra != nil {
		t.Errorf("leftovers after failed saves: %v", extra)
	}
}

func TestSaveRefuses(t *testing.T) {
	root := t.TempDir()
	other := filepath.Join(root, "docs")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "thesis.tex"), []byte("precious"), 0o644)
	err := Save(other, testMeta(), nil)
	if err == nil || !strings.Contains(err.Error(), "refusing to replace") {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "thesis.tex")); string(b) != "precious" {
		t.Error("unrelated folder was touched")
	}
	afile := filepath.Join(root, "afile")
	os.WriteFile(afile, nil, 0o644)
	if err := Save(afile, testMeta(), nil); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("file: %v", err)
	}
	if err := Save(filepath.Join(root, "x"), &Meta{}, nil); err == nil || !strings.Contains(err.Error(), "Kind is empty") {
		t.Errorf("empty kind: %v", err)
	}
	if err := Save(filepath.Join(root, "x"), nil, nil); err == nil {
		t.Error("nil meta accepted")
	}
	// An empty existing folder is fine.
	empty := filepath.Join(root, "empty")
	os.Mkdir(empty, 0o755)
	if err := Save(empty, testMeta(), nil); err != nil {
		t.Errorf("empty folder: %v", err)
	}
	if extra := leftovers(t, root, "docs", "afile", "empty"); extra != nil {
		t.Errorf("leftovers: %v", extra)
	}
}

func TestLoadErrors(t *testing.T) {
	root := t.TempDir()
	good := filepath.Join(root, "good")
	if err := Save(good, testMeta(), sampleTensors()); err != nil {
		t.Fatal(err)
	}
	goodJSON, _ := os.ReadFile(filepath.Join(good, MetaFile))
	goodWeights, _ := os.ReadFile(filepath.Join(good, WeightsFile))

	// variant copies the good folder and lets f damage it.
	n := 0
	variant := func(f func(dir string)) string {
		n++
		dir := filepath.Join(root, "v"+string(rune('a'+n)))
		os.Mkdir(dir, 0o755)
		os.WriteFile(filepath.Join(dir, MetaFile), goodJSON, 0o644)
		os.WriteFile(filepath.Join(dir, WeightsFile), goodWeights, 0o644)
		f(dir)
		return dir
	}
	editJSON := func(edit func(map[string]any)) func(string) {
		return func(dir string) {
			var doc map[string]any
			json.Unmarshal(goodJSON, &doc)
			edit(doc)
			b, _ := json.Marshal(doc)
			os.WriteFile(filepath.Join(dir, MetaFile), b, 0o644)
		}
	}
	cases := []struct {
		name string
		dir  string
		want []string
	}{
		{"no folder", filepath.Join(root, "nope"), []string{"no such file"}},
		{"missing json", variant(func(d string) { os.Remove(filepath.Join(d, MetaFile)) }), []string{"model.json is missing"}},
		{"corrupt json", variant(func(d string) { os.WriteFile(filepath.Join(d, MetaFile), goodJSON[:len(goodJSON)/2], 0o644) }), []string{MetaFile, "not valid JSON"}},
		{"no version", variant(editJSON(func(m map[string]any) { delete(m, "format_version") })), []string{"no format_version"}},
		{"bad version", variant(editJSON(func(m map[string]any) { m["format_version"] = "one" })), []string{`format_version is "\"one\"", want a positive integer`}},
		{"newer version", variant(editJSON(func(m map[string]any) { m["format_version"] = 2; m["new_field"] = 1 })), []string{"format version 2 was written by a newer ebm", "up to 1"}},
		{"unknown field", variant(editJSON(func(m map[string]any) { m["colour"] = "red" })), []string{`unknown field "colour"`}},
		{"empty kind", variant(editJSON(func(m map[string]any) { m["kind"] = "" })), []string{"kind is empty"}},
		{"missing weights", variant(func(d string) { os.Remove(filepath.Join(d, WeightsFile)) }), []string{"model.safetensors is missing"}},
		{"other weights", variant(func(d string) {
			WriteSafetensorsFile(filepath.Join(d, WeightsFile), []Tensor{{Name: "x", DType: "U8", Shape: []int{1}, U8: []byte{1}}}, nil)
		}), []string{WeightsFile, "does not match model.json"}},
		{"truncated weights", variant(func(d string) {
			os.WriteFile(filepath.Join(d, WeightsFile), goodWeights[:len(goodWeights)-3], 0o644)
		}), []string{"does not match"}},
		{"corrupt weights without hash", variant(func(d string) {
			editJSON(func(m map[string]any) { delete(m, "weights_sha256") })(d)
			os.WriteFile(filepath.Join(d, WeightsFile), goodWeights[:len(goodWeights)-3], 0o644)
		}), []string{WeightsFile, "run past the end"}},
		{"kind mismatch", variant(editJSON(func(m map[string]any) { m["kind"] = "rbm"; delete(m, "weights_sha256") })), []string{`weights are for kind "mlp-energy" but model.json says "rbm"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Read(c.dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestExpect(t *testing.T) {
	ts := map[string]Tensor{}
	for _, x := range sampleTensors() {
		ts[x.Name] = x
	}
	if w, err := Expect(ts, "w1", "F32", 2, 3); err != nil || w.Name != "w1" {
		t.Errorf("exact: %v", err)
	}
	if _, err := Expect(ts, "w1", "F32", -1, 3); err != nil {
		t.Errorf("wildcard: %v", err)
	}
	if _, err := Expect(ts, "scale", "F64"); err != nil {
		t.Errorf("scalar: %v", err)
	}
	if _, err := Expect(ts, "w1", "", 2, 3); err != nil {
		t.Errorf("any dtype: %v", err)
	}
	for _, c := range []struct {
		name, dtype string
		shape       []int
		want        string
	}{
		{"w9", "F32", []int{2, 3}, `tensor "w9" is missing (have: b1, empty, idx, mask, pixels, scale, steps, w1, w2)`},
		{"w1", "F64", []int{2, 3}, `tensor "w1" has dtype F32, want F64`},
		{"w1", "F32", []int{3, 2}, `tensor "w1" has shape [2 3], want [3 2]`},
		{"w1", "F32", []int{2, 3, 1}, `has shape [2 3], want [2 3 1]`},
		{"w1", "F32", []int{-1, 4}, `want [* 4]`},
	} {
		if _, err := Expect(ts, c.name, c.dtype, c.shape...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Expect(%s, %s, %v) error %v, want %q", c.name, c.dtype, c.shape, err, c.want)
		}
	}
}

func TestDense(t *testing.T) {
	m := tensor.FromSlice(2, 3, []float32{1, 2, 3, 4, 5, 6})
	x := FromDense("w", m)
	if x.DType != "F32" || !reflect.DeepEqual(x.Shape, []int{2, 3}) || len(x.F32) != 6 {
		t.Fatalf("FromDense = %+v", x)
	}
	m.Data[0] = 99 // FromDense copies
	if x.F32[0] != 1 {
		t.Error("FromDense aliases its input")
	}
	d, err := ToDense[float64](x)
	if err != nil || d.Rows != 2 || d.Cols != 3 || d.At(1, 2) != 6 {
		t.Fatalf("ToDense = %v, %v", d, err)
	}
	y := FromDense("b", tensor.FromSlice(1, 2, []float64{0.5, -1}))
	if y.DType != "F64" {
		t.Errorf("float64 Dense gave dtype %s", y.DType)
	}
	v, err := ToDense[float32](Tensor{Name: "v", DType: "F64", Shape: []int{3}, F64: []float64{1, 2, 3}})
	if err != nil || v.Rows != 1 || v.Cols != 3 {
		t.Errorf("rank 1: %v %v", v, err)
	}
	s, err := ToDense[float64](Tensor{Name: "s", DType: "F32", F32: []float32{7}})
	if err != nil || s.Rows != 1 || s.Cols != 1 || s.Data[0] != 7 {
		t.Errorf("scalar: %v %v", s, err)
	}
	for _, bad := range []Tensor{
		{Name: "r3", DType: "F32", Shape: []int{1, 1, 1}, F32: []float32{1}},
		{Name: "int", DType: "I64", Shape: []int{1}, I64: []int64{1}},
		{Name: "short", DType: "F32", Shape: []int{2}, F32: []float32{1}},
	} {
		if _, err := ToDense[float64](bad); err == nil || !strings.Contains(err.Error(), bad.Name) {
			t.Errorf("ToDense(%s) error %v", bad.Name, err)
		}
	}
}

package train

import (
	"reflect"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/tensor"
)

func TestReconcileSettings(t *testing.T) {
	keys := []string{"a", "b", "c", "d"}
	rec := map[string]string{"a": "1", "b": "2", "c": "3"}
	cur := map[string]string{"a": "1", "b": "9", "c": "8", "d": "4"}
	given := func(k string) bool { return k == "b" || k == "d" }
	adopt, conflicts := ReconcileSettings(keys, rec, cur, given)
	if !reflect.DeepEqual(adopt, []string{"c"}) {
		t.Errorf("adopt %v, want [c]", adopt)
	}
	if want := []Conflict{{Key: "b", Given: "9", Recorded: "2"}}; !reflect.DeepEqual(conflicts, want) {
		t.Errorf("conflicts %v, want %v", conflicts, want)
	}
	if a, c := ReconcileSettings(keys, nil, cur, given); a != nil || c != nil {
		t.Errorf("nil record: %v, %v", a, c)
	}
}

func TestCheckRecorded(t *testing.T) {
	rec := map[string]string{"a": "1", "b": "2"}
	if err := CheckRecorded(rec, map[string]string{"a": "1", "b": "2", "new": "x"}); err != nil {
		t.Errorf("an unrecorded setting was compared: %v", err)
	}
	if err := CheckRecorded(rec, map[string]string{"a": "1", "b": "3"}); err == nil {
		t.Error("a differing setting passed")
	}
	if err := CheckRecorded(rec, map[string]string{"a": "1"}); err == nil {
		t.Error("a missing recorded setting passed")
	}
	if err := CheckRecorded(nil, map[string]string{"a": "1"}); err != nil {
		t.Error(err)
	}
}

func TestPointsSource(t *testing.T) {
	toy, err := data.LoadPoints("8gaussians", data.PointsOptions{TestN: 10})
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := PointsSource(toy, 3).(*Generator); !ok || g.D != 2 || g.Seed != 3 {
		t.Fatalf("toy data: %T", PointsSource(toy, 3))
	}
	file := &data.Points{Name: "f.csv", Dim: 2, X: tensor.New[float64](4, 2)}
	if d, ok := PointsSource(file, 5).(*Dataset); !ok || d.X != file.X || d.Seed != 5 {
		t.Fatalf("file data: %T", PointsSource(file, 5))
	}
}

func TestNoiseScales(t *testing.T) {
	sig := []float64{1, 0.5}
	if got := NoiseScales[float32](&DenoisingSM[float32]{Sigmas: sig}); !reflect.DeepEqual(got, sig) {
		t.Fatalf("dsm: %v", got)
	}
	if got := NoiseScales[float32](&SlicedSM[float32]{}); got != nil {
		t.Fatalf("ssm: %v", got)
	}
}

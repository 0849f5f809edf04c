package model_test

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/tensor"
)

// Save a small model folder, load it back and check the weights' shapes.
func ExampleSave() {
	root, err := os.MkdirTemp("", "ebm-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	dir := filepath.Join(root, "rbm-digits")

	w := tensor.New[float32](784, 64) // visible × hidden weights
	arch, _ := json.Marshal(map[string]int{"visible": 784, "hidden": 64})
	meta := &model.Meta{
		Kind:         "rbm",
		Seed:         42,
		Architecture: arch,
		Training:     json.RawMessage(`{"estimator":"pcd","k":1,"lr":0.01}`),
		Metrics:      map[string]float64{"ais_ll": -86.3},
	}
	tensors := []model.Tensor{
		model.FromDense("W", w),
		{Name: "b", DType: "F32", Shape: []int{784}, F32: make([]float32, 784)},
		{Name: "c", DType: "F32", Shape: []int{64}, F32: make([]float32, 64)},
	}
	if err := model.Save(dir, meta, tensors); err != nil {
		log.Fatal(err)
	}

	loaded, ts, err := model.Read(dir)
	if err != nil {
		log.Fatal(err)
	}
	var a struct{ Visible, Hidden int }
	if err := json.Unmarshal(loaded.Architecture, &a); err != nil {
		log.Fatal(err)
	}
	wt, err := model.Expect(ts, "W", "F32", a.Visible, a.Hidden)
	if err != nil {
		log.Fatal(err)
	}
	W, err := model.ToDense[float32](wt)
	if err != nil {
		log.Fatal(err)
	}
	_, err = model.Expect(ts, "c", "F32", 100)
	fmt.Println(loaded.Kind, loaded.FormatVersion, loaded.Seed)
	fmt.Println(W.Shape())
	fmt.Println(err)
	// Output:
	// rbm 1 42
	// 784×64
	// model: tensor "c" has shape [64], want [100]
}

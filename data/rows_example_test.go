package data_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/tensor"
)

// Rows written as CSV and streamed back in batches of two.
func ExampleOpenRows() {
	dir, _ := os.MkdirTemp("", "rows")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "points.csv")
	w, err := data.CreateRows(path, "", []string{"x", "y", "label"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Abort()
	w.Write(tensor.FromSlice(3, 3, []float64{0.5, 1, 0, -2, 3, 1, 4, -1, 0}))
	if err := w.Commit(); err != nil {
		fmt.Println(err)
		return
	}
	r, err := data.OpenRows(path, data.RowOptions{Label: "label", BinaryLabels: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	fmt.Println(r.Names(), r.Cols())
	for {
		b, err := r.Next(2)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(b.First, b.X.Data, b.Labels)
	}
	// Output:
	// [x y] 2
	// 0 [0.5 1 -2 3] [0 1]
	// 2 [4 -1] [0]
}

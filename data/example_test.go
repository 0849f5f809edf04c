package data_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/ebm-go/ebm/data"
)

func ExampleToy() {
	rng := rand.New(rand.NewPCG(1, 2))
	x, err := data.Toy("8gaussians", 1000, rng)
	if err != nil {
		panic(err)
	}
	fmt.Println("shape:", x.Shape())

	// The average negative log-likelihood of the data under the true density
	// is close to the entropy, the best any model can do.
	var nll float64
	for i := range x.Rows {
		nll -= data.EightGaussiansLogPDF(x.Row(i))
	}
	fmt.Printf("NLL %.1f nats, entropy %.3f nats\n", nll/float64(x.Rows), data.EightGaussiansEntropy)

	_, err = data.Toy("spiral", 10, rng)
	fmt.Println(err)
	// Output:
	// shape: 1000×2
	// NLL 2.8 nats, entropy 2.832 nats
	// data: unknown toy data set "spiral" (valid: 8gaussians, checkerboard, 2spirals, swissroll, moons, rings, pinwheel, circles, 25gaussians)
}

func ExampleLoadCSV() {
	// testdata/flowers.csv has a header line and the class in the last column.
	ds, err := data.LoadCSV("testdata/flowers.csv", data.CSVOptions{LabelColumn: data.LastColumn})
	if err != nil {
		panic(err)
	}
	fmt.Println(ds.X.Shape(), ds.Names, ds.LabelName, ds.Labels)
	fmt.Println(ds.X.Row(1))

	// Errors name the file, the line and the column.
	bad := "a,b\n1,2\n3,oops\n"
	_, err = data.ReadCSV(strings.NewReader(bad), "bad.csv", data.CSVOptions{LabelColumn: data.NoLabel})
	fmt.Println(err)
	var pe *data.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Line, pe.Column)
	}
	// Output:
	// 4×2 [petal_length petal_width] species [0 1 2 0]
	// [4.7 1.4]
	// bad.csv:3: column 2: "oops" is not a number
	// 3 2
}

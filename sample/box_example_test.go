package sample_test

import (
	"fmt"

	"github.com/ebm-go/ebm/sample"
)

// ParseBox reads a --clamp style "LO,HI" box.
func ExampleParseBox() {
	b, err := sample.ParseBox("-4, 4")
	fmt.Println(b.Lo, b.Hi, err)
	_, err = sample.ParseBox("4,-4")
	fmt.Println(err)
	// Output:
	// [-4] [4] <nil>
	// clamp: want LO,HI with LO < HI, got "4,-4"
}

//go:build ebmdeps

// This file only pins the project's module dependencies while packages that use
// them are being written.
package internal

import (
	_ "github.com/viterin/vek/vek32"
	_ "gonum.org/v1/gonum/blas/blas64"
	_ "gonum.org/v1/gonum/mat"
	_ "gonum.org/v1/plot"
)

//go:build openblas

package tensor

// With the openblas build tag, float64 (by default: see SetFloat64Backend)
// and gonum-backend float32 GEMM go to OpenBLAS through cgo (gonum.org/v1/netlib). Build with
//
//	CGO_LDFLAGS="-lopenblas" go build -tags openblas ./...
//
// after installing OpenBLAS (Debian: apt-get install libopenblas-dev).

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

func init() {
	blas64.Use(netlib.Implementation{})
	blas32.Use(netlib.Implementation{})
}

// BLASBackend names the BLAS behind gonum's blas64 (the Float64Gonum back
// end).
const BLASBackend = "openblas"

// defaultFloat64Backend keeps float64 GEMM on OpenBLAS when it is linked in.
const defaultFloat64Backend = Float64Gonum

//go:build openblas

package tensor

// With the openblas build tag, float64 and gonum-backend float32 GEMM go to
// OpenBLAS through cgo (gonum.org/v1/netlib). Build with
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

// BLASBackend names the BLAS that float64 GEMM uses.
const BLASBackend = "openblas"

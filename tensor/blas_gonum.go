//go:build !openblas

package tensor

// BLASBackend names the BLAS that float64 GEMM uses: gonum's pure-Go
// implementation by default, OpenBLAS with the openblas build tag.
const BLASBackend = "gonum"

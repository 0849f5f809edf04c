//go:build !openblas

package tensor

// BLASBackend names the BLAS behind gonum's blas64 (the Float64Gonum back
// end): gonum's pure-Go implementation by default, OpenBLAS with the openblas
// build tag.
const BLASBackend = "gonum"

// defaultFloat64Backend is ebm's own kernel unless OpenBLAS is linked in.
const defaultFloat64Backend = Float64SIMD

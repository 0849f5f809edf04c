package tensor

import (
	"runtime"

	"github.com/ebm-go/ebm/internal/gemm"
)

// RowJob is a unit of row-parallel work for ParallelRows: Run(lo, hi) handles
// rows [lo, hi) and must write only what belongs to those rows. Jobs are
// meant to be long-lived values (fields of a sampler or trainer), so handing
// one to ParallelRows does not allocate.
type RowJob interface{ Run(lo, hi int) }

// ParallelRows runs j over [0, n) split into contiguous chunks of at least
// grain rows, one per core, on the caller's goroutine and on the idle workers
// of the matrix products (internal/gemm.Split): unlike ParallelFor with a
// closure it does not allocate, so sampler and training steps can call it
// every iteration. Jobs may call ParallelRows themselves. The split depends
// only on n, grain and GOMAXPROCS, and jobs write disjoint rows, so results
// do not depend on scheduling.
func ParallelRows(j RowJob, n, grain int) {
	grain = max(grain, 1)
	gemm.Split(j, n, min(runtime.GOMAXPROCS(0), n/grain))
}

// GrainFor returns a chunk size in rows that gives each chunk of ParallelRows
// about 32k multiply-adds when a row costs workPerRow, so that small products
// are not split.
func GrainFor(workPerRow int) int {
	return max(1, (1<<15)/max(workPerRow, 1))
}

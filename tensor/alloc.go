package tensor

import (
	"bufio"
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"strings"
)

// MaxAllocBytes is the largest single allocation, in bytes, that CheckAlloc
// accepts. It defaults to half the physical memory (MemTotal in /proc/meminfo),
// or to FallbackMaxAllocBytes where that cannot be read. Programs may change it
// before any work starts; it is not synchronized.
var MaxAllocBytes = defaultMaxAlloc()

// FallbackMaxAllocBytes is the MaxAllocBytes default where the physical memory
// size is unknown: 8 GiB.
const FallbackMaxAllocBytes int64 = 8 << 30

// AllocError reports an allocation that CheckAlloc refused: its size in bytes
// (or an overflow of int64) against MaxAllocBytes.
type AllocError struct {
	What     string // what the allocation is for, for example "MLP layer 1 weights"
	Elems    []int  // the dimensions whose product was asked for
	Bytes    int64  // the requested size; meaningless if Overflow
	Limit    int64  // MaxAllocBytes at the time of the check
	Overflow bool   // the size overflows int64
	Negative bool   // a dimension is negative
}

// Error names the allocation, its size and the limit.
func (e *AllocError) Error() string {
	dims := make([]string, len(e.Elems))
	for i, n := range e.Elems {
		dims[i] = strconv.Itoa(n)
	}
	shape := strings.Join(dims, "×")
	switch {
	case e.Negative:
		return fmt.Sprintf("%s: negative size %s", e.What, shape)
	case e.Overflow:
		return fmt.Sprintf("%s: size %s overflows (limit %s)", e.What, shape, FormatBytes(e.Limit))
	}
	return fmt.Sprintf("%s: %s elements need %s, more than the limit of %s", e.What, shape,
		FormatBytes(e.Bytes), FormatBytes(e.Limit))
}

// CheckAlloc checks that an array of prod(elems) elements of 8 bytes (float64,
// the widest element; a float32 request is thus bounded conservatively) fits
// in MaxAllocBytes. The product is computed with overflow checks, so a
// hostile or mistyped size gives an *AllocError naming the size and the limit
// instead of a makeslice panic or an out-of-memory kill. Negative dimensions
// are refused too; an empty product (no elems) is one element.
func CheckAlloc(what string, elems ...int) error {
	return CheckAllocSize(what, 8, elems...)
}

// CheckAllocOf is CheckAlloc for elements of type T (4 bytes for float32, 8
// for float64).
func CheckAllocOf[T Float](what string, elems ...int) error {
	var z T
	size := 8
	if _, ok := any(z).(float32); ok {
		size = 4
	}
	return CheckAllocSize(what, size, elems...)
}

// CheckAllocSize is CheckAlloc for elements of elemSize bytes:
// prod(elems)·elemSize ≤ MaxAllocBytes, computed without overflow.
func CheckAllocSize(what string, elemSize int, elems ...int) error {
	limit := MaxAllocBytes
	ec := append([]int(nil), elems...)
	bytes := uint64(max(elemSize, 1))
	overflow := false
	for _, n := range elems {
		if n < 0 {
			return &AllocError{What: what, Elems: ec, Limit: limit, Negative: true}
		}
		hi, lo := bits.Mul64(bytes, uint64(n))
		if hi != 0 || lo > 1<<62 {
			overflow = true
			bytes = 1 << 62
			continue
		}
		bytes = lo
	}
	// A zero dimension makes the product zero whatever the others are.
	for _, n := range elems {
		if n == 0 {
			return nil
		}
	}
	if overflow {
		return &AllocError{What: what, Elems: ec, Limit: limit, Overflow: true}
	}
	if int64(bytes) > limit {
		return &AllocError{What: what, Elems: ec, Bytes: int64(bytes), Limit: limit}
	}
	return nil
}

// FormatBytes writes a byte count with a binary unit (B, KiB, MiB, GiB, TiB,
// PiB, EiB) and three significant figures.
func FormatBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n)
	u := -1
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + " " + units[u]
}

// defaultMaxAlloc is half of MemTotal from /proc/meminfo, or the fallback.
func defaultMaxAlloc() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return FallbackMaxAllocBytes
	}
	defer f.Close()
	if kb, ok := parseMemTotal(bufio.NewScanner(f)); ok {
		return kb * 1024 / 2
	}
	return FallbackMaxAllocBytes
}

// parseMemTotal reads the "MemTotal: N kB" line.
func parseMemTotal(sc *bufio.Scanner) (int64, bool) {
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) != 2 || fs[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseInt(fs[0], 10, 64)
		if err != nil || kb <= 0 || kb > 1<<50 {
			return 0, false
		}
		return kb, true
	}
	return 0, false
}

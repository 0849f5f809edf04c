package gemm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// kernel is a register-blocked microkernel with its cache blocking.
type kernel[T Float] struct {
	name   string
	mr, nr int // register tile of C
	// mc×kc is the packed block of A (kept in L2); kc×nr the packed micro-panel
	// of B (kept in L1 while the kernel sweeps the A block); kc×nc the packed
	// block of B.
	mc, kc, nc int
	// micro computes the mr×nr tile c = alpha·Σ_p a[p]ᵀb[p] + beta·c from an A
	// panel (mr elements per k-step) and a B panel (nr elements per k-step); c is
	// row-major with leading dimension ldc. beta == 0 must not read c.
	micro microFunc[T]
	// edges (optional, by increasing rows < mr) are kernels for the last
	// rows of an A block: a partial panel of mv rows is packed rows wide for
	// the first edge kernel with rows ≥ mv (mr wide if none).
	edges []edge[T]
	// dot and axpy serve the matrix–vector cases (few columns or rows).
	dot  func(x, y []T) T
	axpy func(alpha T, x, y []T)
	// dot4 (optional) computes four dot products with one vector:
	// y[r] = Σ_{p<k} a[r*lda+p]·x[p] for r < 4, k a multiple of 8.
	dot4 func(k int, a *T, lda int, x *T, y *T)
	// gemvT (optional) adds k axpys: y[j] += Σ_{p<k} x[p]·a[p*lda+j] for
	// j < m, m a multiple of 8, k ≥ 1.
	gemvT func(k, m int, x, a *T, lda int, y *T)
	// tr8 and tr4 (optional) transpose 8 or 4 rows into a packed panel:
	// dst[p*w+r] = src[r*ld+p] for p < np (a multiple of 8).
	tr8, tr4 func(np int, src *T, ld int, dst *T, w int)
	// copy (optional) copies w-float rows into a packed panel:
	// dst[p*w : p*w+w] = src[p*ld : p*ld+w] for p < np.
	copy func(np int, src *T, ld int, dst *T, w int)
}

type microFunc[T Float] func(k int, a, b, c *T, ldc int, alpha, beta T)

// edge is a microkernel for a tile of fewer rows than mr.
type edge[T Float] struct {
	rows  int
	micro microFunc[T]
}

// edgeFor returns the kernel and panel width for a tile of mv ≤ mr rows.
func (kn *kernel[T]) edgeFor(mv int) (int, microFunc[T]) {
	if mv < kn.mr {
		for _, e := range kn.edges {
			if e.rows >= mv {
				return e.rows, e.micro
			}
		}
	}
	return kn.mr, kn.micro
}

// Float is the element type of a product.
type Float interface{ float32 | float64 }

// impl is the state of the GEMM for one element type: its kernels, buffer
// pools and worker goroutines.
type impl[T Float] struct {
	name string // prefix of panic messages
	// kernels lists the kernels this CPU can run, portable first.
	kernels []*kernel[T]
	// active is the kernel Gemm uses: the widest one available.
	active *kernel[T]

	wsPool      sync.Pool // *workspace[T]
	scratchPool sync.Pool // *[]T
	jobPool     sync.Pool // *job[T]
	workersMu   sync.Mutex
	workers     atomic.Pointer[[]*worker[T]]
}

func newImpl[T Float](name string, kn *kernel[T]) *impl[T] {
	im := &impl[T]{name: name, kernels: []*kernel[T]{kn}, active: kn}
	im.wsPool.New = func() any { return new(workspace[T]) }
	im.scratchPool.New = func() any { return new([]T) }
	im.jobPool.New = func() any { return &job[T]{im: im, done: make(chan struct{}, 1)} }
	return im
}

// add makes kn available, and the active kernel.
func (im *impl[T]) add(kn *kernel[T]) {
	im.kernels = append(im.kernels, kn)
	im.active = kn
}

var (
	f32 = newImpl("sgemm", kernelGo32)
	f64 = newImpl("dgemm", kernelGo64)
)

// Kernel32 and Kernel64 name the microkernels selected for this CPU (e.g.
// "avx512-12x32" and "avx512-12x16").
func Kernel32() string { return f32.active.name }

// Kernel64: see Kernel32.
func Kernel64() string { return f64.active.name }

// Products with m·n·k ≥ parallelFlops are split across goroutines (see
// parallel.go).
var parallelFlops float64 = 1 << 17

// Products with at most gemvMaxN columns (or gemvMaxM rows) are computed as
// matrix–vector products, which do not pad n (or m) to the register tile.
var gemvMaxN, gemvMaxM = 7, 3

// Gemm32 computes C = alpha·op(A)·op(B) + beta·C for row-major float32 matrices
// with BLAS semantics: op(A) is m×k (A is stored m×k, or k×m when transA),
// op(B) is k×n (B is stored k×n, or n×k when transB), C is m×n; element (i, j)
// of a stored matrix X is x[i*ldx+j]. When beta == 0, C is only written, so NaN
// or Inf in C does not propagate. Gemm panics on inconsistent sizes.
//
// Large products run on up to GOMAXPROCS goroutines; A, B and C must not be
// modified concurrently. Steady-state calls do not allocate.
func Gemm32(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	f32.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, true)
}

// Gemm64 is Gemm32 for float64 matrices.
func Gemm64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	f64.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, true)
}

// Serial64 is Gemm64 on the calling goroutine alone, for callers that already
// keep every core busy with products of their own (one per goroutine): there
// the workers of a parallel product would only compete with them.
func Serial64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	f64.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, false)
}

func (im *impl[T]) gemm(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int, par bool) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("%s: negative dimension m=%d n=%d k=%d", im.name, m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	im.checkMatrix("A", ar, ac, a, lda)
	im.checkMatrix("B", br, bc, b, ldb)
	im.checkMatrix("C", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	kn := im.active
	if n <= gemvMaxN {
		// Few columns: one matrix–vector product per column of C.
		for j := 0; j < n; j++ {
			bj := b[j:] // column j of op(B)
			if transB {
				bj = b[j*ldb:]
			}
			im.gemv(kn, transA, transB, m, k, alpha, a, lda, bj, ldb, beta, c[j:], ldc)
		}
		return
	}
	if m <= gemvMaxM {
		// Few rows: row i of C is the column Cᵢᵀ = op(B)ᵀ·op(A)[i, :]ᵀ.
		for i := 0; i < m; i++ {
			ai := a[i*lda:] // row i of op(A)
			if transA {
				ai = a[i:]
			}
			im.gemv(kn, !transB, !transA, n, k, alpha, b, ldb, ai, lda, beta, c[i*ldc:], 1)
		}
		return
	}
	p := problem[T]{transA, transB, m, n, k, alpha, beta, a, b, c, lda, ldb, ldc}
	size := float64(m) * float64(n) * float64(k)
	if nw := min(runtime.GOMAXPROCS(0), maxProcs); par && nw > 1 && size >= parallelFlops {
		im.parallel(kn, &p, nw, nil)
		return
	}
	ws := im.getWorkspace()
	p.run(kn, ws, nil, nil)
	im.wsPool.Put(ws)
}

func (im *impl[T]) checkMatrix(name string, r, c int, x []T, ld int) {
	if ld < max(1, c) {
		panic(fmt.Sprintf("%s: ld%s = %d < max(1, %d)", im.name, name, ld, c))
	}
	if r > 0 && c > 0 && len(x) < (r-1)*ld+c {
		panic(fmt.Sprintf("%s: %s has %d elements, want ≥ %d for %d×%d with ld %d", im.name, name, len(x), (r-1)*ld+c, r, c, ld))
	}
}

// scale sets C = beta·C (C = 0 when beta == 0).
func scale[T Float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemv computes the m×1 product c = alpha·op(A)·op(B) + beta·c, where op(B)
// is k×1 (b[p*ldb], or b[p] when transB) and c is strided by ldc.
func (im *impl[T]) gemv(kn *kernel[T], transA, transB bool, m, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	// x = op(B)[:, 0].
	var xp *[]T
	var x []T
	switch {
	case transB: // B is 1×k
		x = b[:k]
	case ldb == 1: // B is k×1, contiguous
		x = b[:k]
	default:
		xp = im.getScratch(k)
		x = *xp
		for p := range x {
			x[p] = b[p*ldb]
		}
	}
	if !transA {
		// Rows of A are contiguous: one dot product per element of c, four
		// at a time where possible.
		i := 0
		if k8 := k &^ 7; kn.dot4 != nil && k8 > 0 && m >= 4 {
			yp := im.getScratch(4) // not a local array: it would escape through kn.dot4
			y := (*yp)[:4]
			for ; i+4 <= m; i += 4 {
				o := i * lda
				_ = a[o+3*lda+k-1]
				kn.dot4(k8, &a[o], lda, &x[0], &y[0])
				for r, s := range y {
					row := a[o+r*lda : o+r*lda+k]
					for p := k8; p < k; p++ {
						s += row[p] * x[p]
					}
					s *= alpha
					if beta != 0 {
						s += beta * c[(i+r)*ldc]
					}
					c[(i+r)*ldc] = s
				}
			}
			im.scratchPool.Put(yp)
		}
		for ; i < m; i++ {
			s := alpha * kn.dot(a[i*lda:i*lda+k], x)
			if beta != 0 {
				s += beta * c[i*ldc]
			}
			c[i*ldc] = s
		}
	} else {
		// A is stored k×m: accumulate alpha·x[p]·A[p, :] into y.
		var yp *[]T
		y := c[:m]
		if ldc != 1 {
			yp = im.getScratch(m)
			y = *yp
			clear(y)
		} else if beta != 1 {
			scale(1, m, beta, y, m)
		}
		j0 := 0 // columns done by gemvT
		if m8 := m &^ 7; kn.gemvT != nil && m8 > 0 {
			xa := x
			if alpha != 1 {
				xs := im.getScratch(k)
				xa = *xs
				for p, v := range x {
					xa[p] = alpha * v
				}
				defer im.scratchPool.Put(xs)
			}
			_ = a[(k-1)*lda+m-1]
			kn.gemvT(k, m8, &xa[0], &a[0], lda, &y[0])
			j0 = m8
		}
		if j0 < m {
			for p := 0; p < k; p++ {
				kn.axpy(alpha*x[p], a[p*lda+j0:p*lda+m], y[j0:])
			}
		}
		if yp != nil {
			for i, v := range y {
				if beta != 0 {
					v += beta * c[i*ldc]
				}
				c[i*ldc] = v
			}
			im.scratchPool.Put(yp)
		}
	}
	if xp != nil {
		im.scratchPool.Put(xp)
	}
}

// problem is one (sub)product handed to a worker.
type problem[T Float] struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    T
	a, b, c        []T
	lda, ldb, ldc  int
}

// rows returns the subproblem for rows [i0, i1) of C.
func (p problem[T]) rows(i0, i1 int) problem[T] {
	q := p
	q.m = i1 - i0
	if p.transA {
		q.a = p.a[i0:]
	} else {
		q.a = p.a[i0*p.lda:]
	}
	q.c = p.c[i0*p.ldc:]
	return q
}

// cols returns the subproblem for columns [j0, j1) of C.
func (p problem[T]) cols(j0, j1 int) problem[T] {
	q := p
	q.n = j1 - j0
	if p.transB {
		q.b = p.b[j0*p.ldb:]
	} else {
		q.b = p.b[j0:]
	}
	q.c = p.c[j0:]
	return q
}

func (im *impl[T]) getWorkspace() *workspace[T] { return im.wsPool.Get().(*workspace[T]) }

func (im *impl[T]) getScratch(n int) *[]T {
	p := im.scratchPool.Get().(*[]T)
	if cap(*p) < n {
		*p = make([]T, n)
	}
	*p = (*p)[:n]
	return p
}

// workspace holds the packing buffers of one goroutine.
type workspace[T Float] struct {
	a, b, tile []T
}

// grow returns buf with length n, reallocated (64-byte aligned) if too short.
func grow[T Float](buf []T, n int) []T {
	if cap(buf) >= n {
		return buf[:n]
	}
	var zero T
	size := int(unsafe.Sizeof(zero))
	s := make([]T, n+64/size)
	off := 0
	if r := uintptr(unsafe.Pointer(&s[0])) & 63; r != 0 {
		off = int(64-r) / size
	}
	return s[off : off+n : off+n]
}

// blocks splits n into ⌈n/size⌉ nearly equal blocks, each a multiple of unit
// (except the last), and returns the block size.
func blocks(n, size, unit int) int {
	if n <= size {
		return n
	}
	nb := (n + size - 1) / size
	bs := (n + nb - 1) / nb
	return (bs + unit - 1) / unit * unit
}

// run computes the product with the GotoBLAS loop nest:
//
//	for jc (nc columns of C):            B block kc×nc packed (L3/L2)
//	  for pc (kc of the k dimension):
//	    for ic (mc rows of C):            A block mc×kc packed (L2)
//	      for jr (nr), ir (mr): microkernel on a kc×nr B panel (L1)
//
// sa (or sb), if not nil, holds all of op(A) (op(B)) already packed by
// packShared, and the corresponding packing steps are skipped.
func (p *problem[T]) run(kn *kernel[T], ws *workspace[T], sa, sb []T) {
	mr, nr := kn.mr, kn.nr
	m, n, k := p.m, p.n, p.k
	nc := blocks(n, kn.nc, nr)
	kc := blocks(k, kn.kc, 1)
	mc := blocks(m, kn.mc, mr)
	if sb == nil {
		ws.b = grow(ws.b, kc*((min(nc, n)+nr-1)/nr*nr))
	}
	if sa == nil {
		ws.a = grow(ws.a, kc*((min(mc, m)+mr-1)/mr*mr))
	}
	ws.tile = grow(ws.tile, mr*nr)
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			beta := p.beta
			if pc > 0 {
				beta = 1
			}
			// B block: rows pc.. of op(B), columns jc.. as nr-wide panels.
			switch {
			case sb != nil:
			case p.transB:
				packT(kn, ws.b, p.b, p.ldb, jc, nb, pc, kb, nr, nr)
			default:
				packN(kn, ws.b, p.b, p.ldb, jc, nb, pc, kb, nr, nr)
			}
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				if sa == nil {
					// The last, partial panel is packed for its edge kernel.
					wl, _ := kn.edgeFor(mb - (mb-1)/mr*mr)
					if p.transA {
						packN(kn, ws.a, p.a, p.lda, ic, mb, pc, kb, mr, wl)
					} else {
						packT(kn, ws.a, p.a, p.lda, ic, mb, pc, kb, mr, wl)
					}
				}
				p.macro(kn, ws, ic, jc, mb, nb, pc, kb, beta, sa, sb)
			}
		}
	}
}

// packShared packs all of op(A) (if a) or op(B) into dst, in the layout run
// expects of sa or sb: one panel per mr rows (nr columns) spanning all of k.
func (p *problem[T]) packShared(kn *kernel[T], dst []T, a bool) []T {
	if a {
		mr := kn.mr
		wl, _ := kn.edgeFor(p.m - (p.m-1)/mr*mr)
		dst = grow(dst, (p.m+mr-1)/mr*mr*p.k)
		if p.transA {
			packN(kn, dst, p.a, p.lda, 0, p.m, 0, p.k, mr, wl)
		} else {
			packT(kn, dst, p.a, p.lda, 0, p.m, 0, p.k, mr, wl)
		}
		return dst
	}
	nr := kn.nr
	dst = grow(dst, (p.n+nr-1)/nr*nr*p.k)
	if p.transB {
		packT(kn, dst, p.b, p.ldb, 0, p.n, 0, p.k, nr, nr)
	} else {
		packN(kn, dst, p.b, p.ldb, 0, p.n, 0, p.k, nr, nr)
	}
	return dst
}

// macro runs the microkernel over the mb×kb block of op(A) at (ic, pc) and the
// kb×nb block of op(B) at (pc, jc), both packed (in ws, or in sa and sb),
// updating C[ic:ic+mb, jc:jc+nb].
func (p *problem[T]) macro(kn *kernel[T], ws *workspace[T], ic, jc, mb, nb, pc, kb int, beta T, sa, sb []T) {
	mr, nr, k := kn.mr, kn.nr, p.k
	alpha, c, ldc := p.alpha, p.c, p.ldc
	tile := ws.tile
	for jr := 0; jr < nb; jr += nr {
		nv := min(nr, nb-jr)
		var bp *T
		if sb != nil {
			bp = &sb[(jc+jr)*k+pc*nr]
		} else {
			bp = &ws.b[jr*kb]
		}
		for ir := 0; ir < mb; ir += mr {
			mv := min(mr, mb-ir)
			rows, fn := kn.edgeFor(mv)
			var ap *T
			if sa != nil {
				ap = &sa[(ic+ir)*k+pc*rows]
			} else {
				ap = &ws.a[ir*kb]
			}
			ci := (ic+ir)*ldc + jc + jr
			if rows == mv && nv == nr {
				fn(kb, ap, bp, &c[ci], ldc, alpha, beta)
				continue
			}
			// Edge tile: compute the whole tile from the zero-padded panels,
			// then write back its valid part.
			fn(kb, ap, bp, &tile[0], nr, alpha, 0)
			for i := 0; i < mv; i++ {
				row := c[ci+i*ldc : ci+i*ldc+nv]
				t := tile[i*nr : i*nr+nv]
				switch beta {
				case 0:
					copy(row, t)
				case 1:
					for j, v := range t {
						row[j] += v
					}
				default:
					for j, v := range t {
						row[j] = v + beta*row[j]
					}
				}
			}
		}
	}
}

// packN packs the block X[x0:x0+xn, p0:p0+pn] of a matrix stored with X[x, p]
// at src[p*ld+x] (contiguous along x) into panels of w = wFull values per p:
// the panel at x offset q holds, for each p, X[x0+q : x0+q+w, p0+p]; the last
// panel, if partial, is wLast wide and zero padded past xn.
func packN[T Float](kn *kernel[T], dst, src []T, ld, x0, xn, p0, pn, wFull, wLast int) {
	for q := 0; q < xn; q += wFull {
		wv, w := wFull, wFull
		if xn-q < wFull {
			wv, w = xn-q, wLast
		}
		d := dst[q*pn : q*pn+pn*w]
		s := src[p0*ld+x0+q:]
		if wv == w && kn.copy != nil {
			_ = s[(pn-1)*ld+w-1]
			kn.copy(pn, &s[0], ld, &d[0], w)
			continue
		}
		if wv == w {
			for p := 0; p < pn; p++ {
				copy(d[p*w:p*w+w], s[p*ld:p*ld+w])
			}
			continue
		}
		for p := 0; p < pn; p++ {
			dd := d[p*w : p*w+w]
			copy(dd, s[p*ld:p*ld+wv])
			clear(dd[wv:])
		}
	}
}

// packT packs like packN for a matrix stored with X[x, p] at src[x*ld+p]
// (contiguous along p), transposing on the fly.
func packT[T Float](kn *kernel[T], dst, src []T, ld, x0, xn, p0, pn, wFull, wLast int) {
	np := pn &^ 7 // columns the assembly transposes
	if kn.tr8 == nil {
		np = 0
	}
	for q := 0; q < xn; q += wFull {
		wv, w := wFull, wFull
		if xn-q < wFull {
			wv, w = xn-q, wLast
		}
		d := dst[q*pn : q*pn+pn*w]
		xx := 0
		if np > 0 {
			for ; xx+8 <= wv; xx += 8 {
				o := (x0+q+xx)*ld + p0
				_ = src[o+7*ld+pn-1]
				kn.tr8(np, &src[o], ld, &d[xx], w)
				packRows(d[xx:], src[o:], ld, 8, np, pn, w)
			}
			for ; xx+4 <= wv; xx += 4 {
				o := (x0+q+xx)*ld + p0
				_ = src[o+3*ld+pn-1]
				kn.tr4(np, &src[o], ld, &d[xx], w)
				packRows(d[xx:], src[o:], ld, 4, np, pn, w)
			}
		}
		for ; xx+4 <= wv; xx += 4 {
			o := (x0+q+xx)*ld + p0
			r0 := src[o : o+pn]
			r1 := src[o+ld : o+ld+pn]
			r2 := src[o+2*ld : o+2*ld+pn]
			r3 := src[o+3*ld : o+3*ld+pn]
			for p := range r0 {
				dd := d[p*w+xx : p*w+xx+4]
				dd[0], dd[1], dd[2], dd[3] = r0[p], r1[p], r2[p], r3[p]
			}
		}
		for ; xx < wv; xx++ {
			o := (x0+q+xx)*ld + p0
			for p, v := range src[o : o+pn] {
				d[p*w+xx] = v
			}
		}
		if wv < w {
			for p := 0; p < pn; p++ {
				clear(d[p*w+wv : p*w+w])
			}
		}
	}
}

// packRows does dst[p*w+r] = src[r*ld+p] for r < rows and p in [p0, p1).
func packRows[T Float](dst, src []T, ld, rows, p0, p1, w int) {
	for r := 0; r < rows; r++ {
		for p := p0; p < p1; p++ {
			dst[p*w+r] = src[r*ld+p]
		}
	}
}

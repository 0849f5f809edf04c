package sample

import "math"

// Calibration constants (see the package documentation, "Calibration").
const (
	// calPercent is the default share of warm-up spent calibrating with
	// three chains or more, in percent; one chain gets twice as much, two
	// chains 4/3 as much (see calibrationSteps).
	calPercent = 15
	// calPooled is the number of acceptance statistics, pooled over the
	// chains and the transitions of a block, behind one evaluation of the
	// mean acceptance: a block has ⌈calPooled/n⌉ transitions for n chains.
	calPooled = 32
	// calSlope0 is the prior slope β₀ = −dā/du of the mean acceptance with
	// respect to the log step factor u (about 0.4–0.6 at the default targets
	// on high-dimensional Gaussians for all three kernels).
	calSlope0 = 0.5
	// calPrior is the weight of the prior slope in the slope's ridge
	// regression, in units of Σ(u − ū)².
	calPrior = 0.05
	// calMaxMove bounds the change of u after one block (a factor 2).
	calMaxMove = math.Ln2
	// calMaxLog bounds |u| (a factor e³ ≈ 20 either way).
	calMaxLog = 3.0
)

// calibrationSteps returns the number of final warm-up steps spent
// calibrating n chains: steps, or when steps is 0 ⌊f·warmup⌋ with f = 15%
// for n ≥ 3 chains, 20% for 2 and 30% for 1 (fewer chains pool fewer
// statistics per step); at most ⌊warmup/2⌋.
func calibrationSteps(warmup, steps, n int) int {
	if steps == 0 {
		pct := calPercent
		switch n {
		case 1:
			pct *= 2
		case 2:
			pct = pct * 4 / 3
		}
		steps = warmup * pct / 100
	}
	return min(steps, warmup/2)
}

// calibrator solves ā(u) = δ for the log u of a common factor of every
// chain's step size, ε_c = base_c·e^u, where ā(u) is the mean acceptance
// probability pooled over the chains at that factor. It runs blocks of real
// transitions at a fixed u and, after each block, takes a Robbins–Monro step
//
//	u ← u + (ā_block − δ)/(β·k),
//
// bounded by calMaxMove, with |u| ≤ calMaxLog. β is a ridge-regression
// estimate of the slope −dā/du (penalty calPrior·(β − β₀)², result within
// [β₀/4, 4β₀]) over the blocks since the root was first bracketed (before
// that, over the search's blocks), and k is Kesten's counter, one plus the
// number of sign changes of ā_block − δ so far: Newton-like steps while the
// error keeps its sign (the search for a bracket), steps shrinking like the
// inverse of the number of crossings once the root is bracketed, so that u
// converges to the root while the noise of the blocks averages out. The
// result is the average of the iterates over the second half of the blocks
// (Polyak–Ruppert averaging, which also makes up for a misestimated slope),
// counted from the second crossing on, so that with few blocks (one chain)
// the approach to the root stays out of the average; the last iterate if
// there were fewer than two crossings.
type calibrator struct {
	n      int
	target float64
	base   []float64 // each chain's step size from dual averaging
	u      float64   // log of the common factor

	perBlock         int     // nominal transitions per block
	left, block, in  int     // steps left; length of the current block; steps done in it
	sum              float64 // acceptance probabilities summed over the block
	k, sign          int     // Kesten's counter; sign of the last error
	blocks           int     // blocks in the slope regression
	su, sa, suu, sua float64 // regression sums over them
	prevU, prevA     float64 // the last block's u and ā
	done, total      int     // blocks done and planned
	avgSum           float64 // sum of the iterates averaged for the result,
	avgN             int     // and their number
}

func newCalibrator(n, steps int, target float64) *calibrator {
	per := (calPooled + n - 1) / n
	per = max(1, min(per, steps/4))
	c := &calibrator{n: n, target: target, base: make([]float64, n), perBlock: per, left: steps, k: 1, total: max(1, steps/per)}
	c.nextBlock()
	return c
}

// nextBlock sets the length of the next block; the last one absorbs the
// remainder.
func (c *calibrator) nextBlock() {
	c.block = c.perBlock
	if c.left < 2*c.perBlock {
		c.block = c.left
	}
	c.in, c.sum = 0, 0
}

// apply sets every chain's step size to base·e^u.
func (c *calibrator) apply(step []float64) {
	f := math.Exp(c.u)
	for i, b := range c.base {
		step[i] = b * f
	}
}

// finish sets u to its final value: the average of the iterates over the
// second half of the blocks (from the second crossing on), or the last
// iterate when there were none.
func (c *calibrator) finish() {
	if c.avgN > 0 {
		c.u = c.avgSum / float64(c.avgN)
	}
}

// scale returns the common factor e^u.
func (c *calibrator) scale() float64 { return math.Exp(c.u) }

// learn adds one transition's acceptance probabilities; at the end of a
// block it updates u and the step sizes.
func (c *calibrator) learn(step []float64, info []Info) {
	for i := range info {
		c.sum += min(info[i].AcceptProb, 1)
	}
	c.in++
	c.left--
	if c.in < c.block {
		return
	}
	c.update(c.sum / float64(c.n*c.in))
	c.apply(step)
	if c.left > 0 {
		c.nextBlock()
	}
}

// update takes the Robbins–Monro step for a block whose pooled mean
// acceptance was abar.
func (c *calibrator) update(abar float64) {
	e := abar - c.target
	sign := 0
	if e > 0 {
		sign = 1
	} else if e < 0 {
		sign = -1
	}
	if sign != 0 {
		if c.sign != 0 && sign != c.sign {
			if c.k == 1 {
				// First crossing: the slope regression restarts from the
				// two blocks that bracket the root, dropping the search's
				// blocks, whose acceptance may have saturated at 0 or 1.
				c.blocks, c.su, c.sa, c.suu, c.sua = 0, 0, 0, 0, 0
				c.addPoint(c.prevU, c.prevA)
			}
			c.k++
		}
		c.sign = sign
	}
	c.addPoint(c.u, abar)
	c.prevU, c.prevA = c.u, abar
	b := float64(c.blocks)
	sxx := c.suu - c.su*c.su/b
	sxy := c.sua - c.su*c.sa/b
	beta := (calPrior*calSlope0 - sxy) / (calPrior + max(sxx, 0))
	beta = min(max(beta, calSlope0/4), 4*calSlope0)

	du := e / (beta * float64(c.k))
	du = min(max(du, -calMaxMove), calMaxMove)
	c.u = min(max(c.u+du, -calMaxLog), calMaxLog)
	c.done++
	if c.k > 2 && 2*c.done >= c.total {
		c.avgSum += c.u
		c.avgN++
	}
}

// addPoint adds a block's (u, ā) to the slope regression.
func (c *calibrator) addPoint(u, a float64) {
	c.blocks++
	c.su += u
	c.sa += a
	c.suu += u * u
	c.sua += u * a
}

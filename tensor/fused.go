package tensor

import (
	"fmt"
	"math"

	"github.com/viterin/vek/vek32"
)

// AddRowVector adds the row vector b (length Cols) to every row of m in place.
func AddRowVector[T Float](m *Dense[T], b []T) {
	if len(b) != m.Cols {
		panic(fmt.Sprintf("tensor: AddRowVector of %d values to %s", len(b), m.Shape()))
	}
	if md, ok := any(m.Data).([]float32); ok && m.Cols >= 16 {
		bd := any(b).([]float32)
		for i := 0; i < m.Rows; i++ {
			vek32.Add_Inplace(md[i*m.Cols:(i+1)*m.Cols], bd)
		}
		return
	}
	for i := 0; i < m.Rows; i++ {
		row := m.Data[i*m.Cols : (i+1)*m.Cols]
		for j, v := range b {
			row[j] += v
		}
	}
}

// SiLUForward computes s = σ(z) and h = z·σ(z) in one pass over z (fused SiLU
// with the sigmoid kept for the backward pass). h, s and z have equal lengths.
func SiLUForward[T Float](h, s, z []T) {
	if sd, ok := any(s).([]float32); ok {
		zd, hd := any(z).([]float32), any(h).([]float32)
		k := siluForward32(hd, sd, zd)
		hd, sd, zd = hd[k:], sd[k:], zd[k:]
		if len(hd) > 0 {
			sigmoidInto32(sd, zd)
			vek32.Mul_Into(hd, zd, sd)
		}
		return
	}
	z = z[:len(h)]
	s = s[:len(h)]
	for i, v := range z {
		sg := sigmoid(float64(v))
		s[i] = T(sg)
		h[i] = T(float64(v) * sg)
	}
}

// SiLUBackward multiplies g in place by SiLU′(z) = σ(z)·(1 + z·(1 − σ(z))), given
// s = σ(z) from SiLUForward.
func SiLUBackward[T Float](g, z, s []T) {
	z = z[:len(g)]
	s = s[:len(g)]
	if g32, ok := any(g).([]float32); ok {
		k := siluDeriv32(1, g32, any(z).([]float32), any(s).([]float32), g32)
		g, z, s = g[k:], z[k:], s[k:]
	}
	for i, sv := range s {
		g[i] *= sv * (1 + z[i]*(1-sv))
	}
}

// SiLUBackwardBroadcast sets g[r, j] = v[j]·SiLU′(z[r, j]) for every row r of
// the matrices g, z and s = σ(z) (len(v) columns): the backward step of a SiLU
// layer whose incoming gradient is the same row v for every example, as below
// the output of a scalar network.
func SiLUBackwardBroadcast[T Float](g, z, s, v []T) {
	c := len(v)
	if c == 0 || len(z) < len(g) || len(s) < len(g) || len(g)%c != 0 {
		panic(fmt.Sprintf("tensor: SiLUBackwardBroadcast of %d, %d, %d values by a row of %d", len(g), len(z), len(s), c))
	}
	g32, is32 := any(g).([]float32)
	for r := 0; r < len(g); r += c {
		gr, zr, sr := g[r:r+c], z[r:r+c], s[r:r+c]
		k := 0
		if is32 {
			k = siluDeriv32(1, g32[r:r+c], any(zr).([]float32), any(sr).([]float32), any(v).([]float32))
		}
		for j := k; j < c; j++ {
			sv := sr[j]
			gr[j] = v[j] * sv * (1 + zr[j]*(1-sv))
		}
	}
}

// LogSigmoid returns log σ(x) = −softplus(−x), stably.
func LogSigmoid(x float64) float64 {
	if x < -30 {
		return x
	}
	return -math.Log1p(math.Exp(-x))
}

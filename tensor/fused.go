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
		sigmoidInto32(sd, zd)
		vek32.Mul_Into(hd, zd, sd)
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
	for i, sv := range s {
		g[i] *= sv * (1 + z[i]*(1-sv))
	}
}

// LogSigmoid returns log σ(x) = −softplus(−x), stably.
func LogSigmoid(x float64) float64 {
	if x < -30 {
		return x
	}
	return -math.Log1p(math.Exp(-x))
}

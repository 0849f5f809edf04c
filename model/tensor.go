package model

import (
	"fmt"
	"sort"
	"strings"
	"unsafe"

	"github.com/ebm-go/ebm/tensor"
)

// FromDense copies m into a Tensor named name with shape [Rows, Cols]: dtype
// F32 if the element type is 32-bit, F64 otherwise.
func FromDense[T tensor.Float](name string, m *tensor.Dense[T]) Tensor {
	t := Tensor{Name: name, Shape: []int{m.Rows, m.Cols}}
	var zero T
	if unsafe.Sizeof(zero) == 4 {
		t.DType = "F32"
		t.F32 = make([]float32, len(m.Data))
		for i, v := range m.Data {
			t.F32[i] = float32(v)
		}
	} else {
		t.DType = "F64"
		t.F64 = make([]float64, len(m.Data))
		for i, v := range m.Data {
			t.F64[i] = float64(v)
		}
	}
	return t
}

// ToDense copies a floating-point tensor (F32 or F64) into a new Dense with
// element type T, converting precision if the types differ. A rank-2 tensor
// [r, c] becomes r×c, a rank-1 tensor [n] becomes the row vector 1×n and a
// scalar becomes 1×1; higher ranks are an error.
func ToDense[T tensor.Float](t Tensor) (*tensor.Dense[T], error) {
	var r, c int
	switch len(t.Shape) {
	case 0:
		r, c = 1, 1
	case 1:
		r, c = 1, t.Shape[0]
	case 2:
		r, c = t.Shape[0], t.Shape[1]
	default:
		return nil, fmt.Errorf("model: tensor %q: shape %v has rank %d; a Dense holds rank 2 at most", t.Name, t.Shape, len(t.Shape))
	}
	if r < 0 || c < 0 {
		return nil, fmt.Errorf("model: tensor %q: negative dimension in shape %v", t.Name, t.Shape)
	}
	m := tensor.New[T](r, c)
	switch t.DType {
	case "F32":
		if len(t.F32) != r*c {
			return nil, fmt.Errorf("model: tensor %q: shape %v needs %d elements, F32 data has %d", t.Name, t.Shape, r*c, len(t.F32))
		}
		for i, v := range t.F32 {
			m.Data[i] = T(v)
		}
	case "F64":
		if len(t.F64) != r*c {
			return nil, fmt.Errorf("model: tensor %q: shape %v needs %d elements, F64 data has %d", t.Name, t.Shape, r*c, len(t.F64))
		}
		for i, v := range t.F64 {
			m.Data[i] = T(v)
		}
	default:
		return nil, fmt.Errorf("model: tensor %q: dtype %s is not floating point (want F32 or F64)", t.Name, t.DType)
	}
	return m, nil
}

// Expect looks up name in ts and checks its dtype and shape. In shape, -1
// matches any size of that dimension. An empty dtype matches any dtype. The
// error says which tensor is missing (listing the ones present) or how its
// dtype or shape differs.
func Expect(ts map[string]Tensor, name, dtype string, shape ...int) (Tensor, error) {
	t, ok := ts[name]
	if !ok {
		names := make([]string, 0, len(ts))
		for n := range ts {
			names = append(names, n)
		}
		sort.Strings(names)
		have := strings.Join(names, ", ")
		if len(names) > 20 {
			have = strings.Join(names[:20], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
		}
		if have == "" {
			have = "none"
		}
		return Tensor{}, fmt.Errorf("model: tensor %q is missing (have: %s)", name, have)
	}
	if dtype != "" && t.DType != dtype {
		return t, fmt.Errorf("model: tensor %q has dtype %s, want %s", name, t.DType, dtype)
	}
	match := len(t.Shape) == len(shape)
	for i := 0; match && i < len(shape); i++ {
		match = shape[i] == -1 || shape[i] == t.Shape[i]
	}
	if !match {
		return t, fmt.Errorf("model: tensor %q has shape %s, want %s", name, fmtShape(t.Shape), fmtShape(shape))
	}
	return t, nil
}

// fmtShape prints a shape as [2 3], with -1 shown as "*".
func fmtShape(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d == -1 {
			parts[i] = "*"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

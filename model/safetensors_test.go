package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sampleTensors covers every writable dtype, a scalar and an empty tensor.
func sampleTensors() []Tensor {
	return []Tensor{
		{Name: "w1", DType: "F32", Shape: []int{2, 3}, F32: []float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.25}},
		{Name: "b1", DType: "F32", Shape: []int{3}, F32: []float32{0.1, 0.2, 0.3}},
		{Name: "w2", DType: "F64", Shape: []int{3, 1}, F64: []float64{math.Pi, -math.E, 1e-300}},
		{Name: "scale", DType: "F64", Shape: nil, F64: []float64{2.5}},
		{Name: "steps", DType: "I64", Shape: []int{2}, I64: []int64{-1, math.MaxInt64}},
		{Name: "idx", DType: "I32", Shape: []int{1, 2}, I32: []int32{7, math.MinInt32}},
		{Name: "pixels", DType: "U8", Shape: []int{2, 2}, U8: []uint8{0, 255, 17, 3}},
		{Name: "mask", DType: "BOOL", Shape: []int{3}, U8: []uint8{1, 0, 1}},
		{Name: "empty", DType: "F32", Shape: []int{0, 4}, F32: []float32{}},
	}
}

func encode(t *testing.T, ts []Tensor, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, ts, meta); err != nil {
		t.Fatalf("WriteSafetensors: %v", err)
	}
	return buf.Bytes()
}

func decode(b []byte) (map[string]Tensor, map[string]string, error) {
	return ReadSafetensors(bytes.NewReader(b), int64(len(b)))
}

// normalize makes a written tensor comparable with a read one (nil vs empty
// slices, nil vs empty shape).
func normalize(t Tensor) Tensor {
	if len(t.Shape) == 0 {
		t.Shape = []int{}
	}
	if t.F32 != nil && len(t.F32) == 0 {
		t.F32 = []float32{}
	}
	return t
}

func TestRoundTrip(t *testing.T) {
	in := sampleTensors()
	meta := map[string]string{"framework": "ebm", "note": "<html> & ünïcode"}
	b := encode(t, in, meta)
	got, gotMeta, err := decode(b)
	if err != nil {
		t.Fatalf("ReadSafetensors: %v", err)
	}
	if !reflect.DeepEqual(gotMeta, meta) {
		t.Errorf("metadata = %v, want %v", gotMeta, meta)
	}
	if len(got) != len(in) {
		t.Fatalf("read %d tensors, want %d", len(got), len(in))
	}
	for _, want := range in {
		g, ok := got[want.Name]
		if !ok {
			t.Errorf("tensor %q missing", want.Name)
			continue
		}
		if !reflect.DeepEqual(normalize(g), normalize(want)) {
			t.Errorf("tensor %q = %+v, want %+v", want.Name, g, want)
		}
	}
	// Deterministic: same input, same bytes, whatever the input order.
	rev := sampleTensors()
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if b2 := encode(t, rev, meta); !bytes.Equal(b, b2) {
		t.Error("output depends on the order of the input tensors")
	}
}

func TestRoundTripNaNBits(t *testing.T) {
	nan32 := math.Float32frombits(0x7fc00123)
	nan64 := math.Float64frombits(0x7ff8000000000abc)
	b := encode(t, []Tensor{
		{Name: "a", DType: "F32", Shape: []int{1}, F32: []float32{nan32}},
		{Name: "b", DType: "F64", Shape: []int{1}, F64: []float64{nan64}},
	}, nil)
	got, meta, err := decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if meta != nil {
		t.Errorf("metadata = %v, want nil", meta)
	}
	if bits := math.Float32bits(got["a"].F32[0]); bits != 0x7fc00123 {
		t.Errorf("F32 NaN bits %#x", bits)
	}
	if bits := math.Float64bits(got["b"].F64[0]); bits != 0x7ff8000000000abc {
		t.Errorf("F64 NaN bits %#x", bits)
	}
}

// TestGoldenBytes checks the writer against byte sequences built by hand from
// the format's definition.
func TestGoldenBytes(t *testing.T) {
	// One F32 tensor "attn0" of shape [1,1,2,3] holding 0..5. The JSON header is
	// 65 bytes, padded with 7 spaces to 72 so the data starts at 8+72 = 80.
	header := `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}` + "       "
	want := []byte{72, 0, 0, 0, 0, 0, 0, 0}
	want = append(want, header...)
	want = append(want,
		0x00, 0x00, 0x00, 0x00, // 0.0
		0x00, 0x00, 0x80, 0x3f, // 1.0
		0x00, 0x00, 0x00, 0x40, // 2.0
		0x00, 0x00, 0x40, 0x40, // 3.0
		0x00, 0x00, 0x80, 0x40, // 4.0
		0x00, 0x00, 0xa0, 0x40, // 5.0
	)
	got := encode(t, []Tensor{{Name: "attn0", DType: "F32", Shape: []int{1, 1, 2, 3}, F32: []float32{0, 1, 2, 3, 4, 5}}}, nil)
	if !bytes.Equal(got, want) {
		t.Errorf("golden mismatch:\n got %q\nwant %q", got, want)
	}
	ts, _, err := decode(want)
	if err != nil {
		t.Fatal(err)
	}
	if a := ts["attn0"]; !reflect.DeepEqual(a.F32, []float32{0, 1, 2, 3, 4, 5}) || !reflect.DeepEqual(a.Shape, []int{1, 1, 2, 3}) {
		t.Errorf("golden decoded as %+v", a)
	}

	// No tensors, metadata only: 35 bytes of JSON padded to 40.
	wantMeta := append([]byte{40, 0, 0, 0, 0, 0, 0, 0}, `{"__metadata__":{"framework":"pt"}}     `...)
	if got := encode(t, nil, map[string]string{"framework": "pt"}); !bytes.Equal(got, wantMeta) {
		t.Errorf("metadata-only golden mismatch:\n got %q\nwant %q", got, wantMeta)
	}
	// Nothing at all: "{}" padded to 8.
	wantEmpty := append([]byte{8, 0, 0, 0, 0, 0, 0, 0}, "{}      "...)
	if got := encode(t, nil, nil); !bytes.Equal(got, wantEmpty) {
		t.Errorf("empty golden mismatch: got %q", got)
	}
}

func TestLayout(t *testing.T) {
	b := encode(t, sampleTensors(), map[string]string{"k": "v"})
	n := binary.LittleEndian.Uint64(b[:8])
	if (8+n)%8 != 0 {
		t.Errorf("data starts at %d, not a multiple of 8", 8+n)
	}
	header := b[8 : 8+n]
	if trimmed := bytes.TrimRight(header, " "); !bytes.HasSuffix(trimmed, []byte("}")) || len(header)-len(trimmed) >= 8 {
		t.Errorf("header padding: %q", header[len(trimmed):])
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(header, &h); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(header, []byte(`{"__metadata__":{"k":"v"},`)) {
		t.Errorf("header does not start with the metadata: %.40q", header)
	}
	type info struct {
		DType       string  `json:"dtype"`
		Shape       []int   `json:"shape"`
		DataOffsets []int64 `json:"data_offsets"`
	}
	// Expected order: 8-byte dtypes (I64 before F64), then F32, I32, U8, BOOL;
	// by name within a dtype. Each tensor starts at a multiple of its size.
	order := []string{"steps", "scale", "w2", "b1", "empty", "w1", "idx", "pixels", "mask"}
	var pos int64
	for _, name := range order {
		var in info
		if err := json.Unmarshal(h[name], &in); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if in.DataOffsets[0] != pos {
			t.Errorf("%s begins at %d, want %d", name, in.DataOffsets[0], pos)
		}
		if size := int64(dtypes[in.DType].size); in.DataOffsets[0]%size != 0 {
			t.Errorf("%s (%s) is misaligned at %d", name, in.DType, in.DataOffsets[0])
		}
		pos = in.DataOffsets[1]
	}
	if pos != int64(len(b))-8-int64(n) {
		t.Errorf("tensors end at %d, data buffer is %d bytes", pos, int64(len(b))-8-int64(n))
	}
	if len(h) != len(order)+1 {
		t.Errorf("header has %d keys, want %d", len(h), len(order)+1)
	}
}

// file builds a safetensors file from a raw header and data, without checks.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func TestReadErrors(t *testing.T) {
	valid := encode(t, []Tensor{{Name: "w", DType: "F32", Shape: []int{2}, F32: []float32{1, 2}}}, nil)
	huge := binary.LittleEndian.AppendUint64(nil, MaxHeaderBytes+1)
	huge = append(huge, "{}"...)
	eight := make([]byte, 8)
	cases := []struct {
		name   string
		data   []byte
		tensor string // tensor the error must name, if any
		want   string
	}{
		{"empty file", nil, "", "shorter than the 8-byte header length"},
		{"short file", []byte{1, 2, 3}, "", "shorter than the 8-byte header length"},
		{"truncated header", valid[:20], "", "exceeds the 12 bytes after the length prefix"},
		{"truncated data", valid[:len(valid)-1], "w", "run past the end of the 7-byte data buffer"},
		{"trailing bytes", append(append([]byte{}, valid...), 0), "", "tensors cover 8 bytes of the 9-byte data buffer"},
		{"header too large", huge, "", "exceeds the 100000000-byte limit"},
		{"zero header", eight, "", "does not start with '{'"},
		{"not utf8", file("{\"\xff\":1}", nil), "", "not valid UTF-8"},
		{"corrupt JSON", file(`{"w":{"dtype":"F32",`, nil), "", "header is not valid JSON"},
		{"array header", file(`[1,2]`, nil), "", "does not start with '{'"},
		{"trailing JSON", file(`{} {}`, nil), "", "trailing data"},
		{"duplicate names", file(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, []byte{1, 2}), "", `duplicate key "w"`},
		{"unknown dtype", file(`{"w":{"dtype":"F12","shape":[1],"data_offsets":[0,1]}}`, []byte{1}), "w", `unknown dtype "F12"`},
		{"unsupported dtype", file(`{"w":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, []byte{1, 2}), "w", "dtype F16 is not supported"},
		{"wrong dtype size", file(`{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,4]}}`, []byte{1, 2, 3, 4}), "w", "shape [1] of F64 needs 8 bytes but data_offsets [0, 4] span 4"},
		{"shape mismatch", file(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), "w", "shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8"},
		{"negative dim", file(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)), "w", "shape: element 0 is negative"},
		{"fractional dim", file(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, make([]byte, 4)), "w", "not an integer"},
		{"overflowing shape", file(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, make([]byte, 4)), "w", "overflows a 64-bit byte count"},
		{"huge shape", file(`{"w":{"dtype":"F32","shape":[4294967296,4],"data_offsets":[0,4]}}`, make([]byte, 4)), "w", "needs 68719476736 bytes but data_offsets [0, 4] span 4"},
		{"huge dim", file(`{"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}`, make([]byte, 4)), "w", "not an integer in range"},
		{"offsets out of range", file(`{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}`, make([]byte, 2)), "w", "run past the end"},
		{"offsets reversed", file(`{"w":{"dtype":"U8","shape":[0],"data_offsets":[2,1]}}`, make([]byte, 2)), "w", "end before they begin"},
		{"three offsets", file(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`, make([]byte, 2)), "w", "want 2"},
		{"missing shape", file(`{"w":{"dtype":"U8","data_offsets":[0,1]}}`, make([]byte, 1)), "w", "missing shape"},
		{"unknown field", file(`{"w":{"dtype":"U8","shape":[1],"offsets":[0,1]}}`, make([]byte, 1)), "w", `unknown field "offsets"`},
		{"case-folded field", file(`{"w":{"DTYPE":"U8","shape":[1],"data_offsets":[0,1]}}`, make([]byte, 1)), "w", `unknown field "DTYPE"`},
		{"gap", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}`, make([]byte, 3)), "b", "leave a gap"},
		{"overlap", file(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, make([]byte, 3)), "b", "overlap the previous tensor"},
		{"not starting at 0", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, make([]byte, 2)), "a", "leave a gap"},
		{"metadata not strings", file(`{"__metadata__":{"k":1}}`, nil), "", `value of "k" is not a string`},
		{"metadata not object", file(`{"__metadata__":[1]}`, nil), "", "__metadata__ is not a JSON object"},
		{"bad bool", file(`{"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 2}), "m", "BOOL element 1 is 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := decode(c.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError", err)
			}
			if fe.Tensor != c.tensor {
				t.Errorf("error names tensor %q, want %q (%v)", fe.Tensor, c.tensor, err)
			}
		})
	}
}

func TestReadAcceptsValidVariants(t *testing.T) {
	// Any key order, whitespace, offsets listed out of order, zero-size tensors
	// sharing an offset, a null metadata object.
	h := ` { "b" : {"shape":[2],"data_offsets":[1,3],"dtype":"U8"}, "z":{"dtype":"F64","shape":[0],"data_offsets":[1,1]},
	"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]}, "__metadata__": null }   `
	ts, meta, err := decode(file(h, []byte{9, 8, 7}))
	if err != nil {
		t.Fatal(err)
	}
	if meta != nil || len(ts) != 3 || !bytes.Equal(ts["b"].U8, []byte{8, 7}) || !bytes.Equal(ts["a"].U8, []byte{9}) || len(ts["z"].F64) != 0 {
		t.Errorf("got %+v, meta %v", ts, meta)
	}
}

// eofReaderAt reports io.EOF together with a full read, which io.ReaderAt allows.
type eofReaderAt struct{ b []byte }

func (r eofReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := bytes.NewReader(r.b).ReadAt(p, off)
	if err == nil && off+int64(n) == int64(len(r.b)) {
		err = io.EOF
	}
	return n, err
}

func TestReadAtEOFWithFullRead(t *testing.T) {
	b := encode(t, sampleTensors(), nil)
	ts, _, err := ReadSafetensors(eofReaderAt{b}, int64(len(b)))
	if err != nil || len(ts) != len(sampleTensors()) {
		t.Fatalf("err %v, %d tensors", err, len(ts))
	}
	// A size larger than the data is a read error, not a panic.
	if _, _, err := ReadSafetensors(bytes.NewReader(b), int64(len(b))+8); err == nil {
		t.Error("no error for a size beyond the data")
	}
}

func TestLargeTensorChunks(t *testing.T) {
	n := 3*chunkBytes/4 + 5 // several chunks, and a partial one
	w := Tensor{Name: "big", DType: "F64", Shape: []int{n}, F64: make([]float64, n)}
	v := Tensor{Name: "v", DType: "F32", Shape: []int{n}, F32: make([]float32, n)}
	for i := range n {
		w.F64[i] = float64(i) * 0.5
		v.F32[i] = float32(-i)
	}
	ts, _, err := decode(encode(t, []Tensor{w, v}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ts["big"].F64, w.F64) || !reflect.DeepEqual(ts["v"].F32, v.F32) {
		t.Error("large tensors differ after the round trip")
	}
}

func TestWriteErrors(t *testing.T) {
	f32 := func(name string, shape []int, n int) Tensor {
		return Tensor{Name: name, DType: "F32", Shape: shape, F32: make([]float32, n)}
	}
	cases := []struct {
		name string
		ts   []Tensor
		meta map[string]string
		want string
	}{
		{"duplicate", []Tensor{f32("a", []int{1}, 1), f32("a", []int{1}, 1)}, nil, `tensor "a": duplicate name`},
		{"empty name", []Tensor{f32("", []int{1}, 1)}, nil, "empty name"},
		{"reserved", []Tensor{f32("__metadata__", []int{1}, 1)}, nil, "reserved"},
		{"length", []Tensor{f32("a", []int{2, 2}, 3)}, nil, "shape [2 2] needs 4 elements, data has 3"},
		{"negative", []Tensor{f32("a", []int{-1}, 0)}, nil, "negative dimension"},
		{"dtype", []Tensor{{Name: "a", DType: "F16", Shape: []int{1}, U8: []byte{1, 2}}}, nil, `cannot write dtype "F16"`},
		{"stray field", []Tensor{{Name: "a", DType: "F32", Shape: []int{1}, F32: []float32{1}, F64: []float64{1}}}, nil, "dtype is F32 but the F64 field is set"},
		{"bool", []Tensor{{Name: "a", DType: "BOOL", Shape: []int{1}, U8: []byte{3}}}, nil, "BOOL element 0 is 3"},
		{"meta utf8", nil, map[string]string{"k": "\xff"}, "not valid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteSafetensors(&buf, c.ts, c.meta)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

func TestSafetensorsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	if err := WriteSafetensorsFile(path, sampleTensors(), nil); err != nil {
		t.Fatal(err)
	}
	ts, _, err := ReadSafetensorsFile(path)
	if err != nil || len(ts) != len(sampleTensors()) {
		t.Fatalf("err %v, %d tensors", err, len(ts))
	}
	// A failed write leaves the old file and no temporary file.
	if err := WriteSafetensorsFile(path, []Tensor{{Name: "x", DType: "F32", Shape: []int{2}}}, nil); err == nil {
		t.Fatal("no error for a tensor without data")
	}
	if _, _, err := ReadSafetensorsFile(path); err != nil {
		t.Errorf("old file damaged: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want 1", len(entries))
	}
	// Errors name the file.
	bad := filepath.Join(dir, "bad.safetensors")
	os.WriteFile(bad, []byte("not a safetensors file"), 0o644)
	if _, _, err := ReadSafetensorsFile(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("error %v does not name %s", err, bad)
	}
}

// FuzzReadSafetensors checks that reading arbitrary bytes never panics and that
// whatever it accepts can be written back and read again to the same bytes.
func FuzzReadSafetensors(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 8))
	f.Add(file("{}", nil))
	f.Add(file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, []byte{0, 0, 128, 63}))
	f.Add(file(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(file(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, make([]byte, 3)))
	f.Add(file(`{"__metadata__":{"k":"v"},"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 0}))
	var buf bytes.Buffer
	WriteSafetensors(&buf, sampleTensors(), map[string]string{"a": "b"})
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, meta, err := ReadSafetensors(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FormatError: %v", err, err)
			}
			return
		}
		list := make([]Tensor, 0, len(ts))
		for _, x := range ts {
			if x.Name == "" {
				return // legal in the format, refused by the writer
			}
			list = append(list, x)
		}
		var w1 bytes.Buffer
		if err := WriteSafetensors(&w1, list, meta); err != nil {
			t.Fatalf("rewriting an accepted file: %v", err)
		}
		ts2, meta2, err := decode(w1.Bytes())
		if err != nil {
			t.Fatalf("reading a rewritten file: %v", err)
		}
		list2 := make([]Tensor, 0, len(ts2))
		for _, x := range ts2 {
			list2 = append(list2, x)
		}
		var w2 bytes.Buffer
		if err := WriteSafetensors(&w2, list2, meta2); err != nil || !bytes.Equal(w1.Bytes(), w2.Bytes()) {
			t.Fatalf("write∘read is not idempotent (err %v)", err)
		}
	})
}

// Package model reads and writes ebm model files: the weights in safetensors
// (readable from PyTorch, NumPy and other tools) beside a JSON document that
// records the model's kind, architecture, training configuration, data
// description, seed, metrics and format version.
//
// A saved model is a folder:
//
//	dir/model.safetensors   the tensors
//	dir/model.json          the Meta document
//
// Save writes both into a temporary folder next to dir and renames it into
// place, so a crash never leaves a half-written model. Load checks every
// length, offset, dtype and shape, and the weights' SHA-256 recorded in
// model.json, before it trusts a byte.
//
// The safetensors layout is an 8-byte little-endian header length N, N bytes of
// a JSON object {"name": {"dtype", "shape", "data_offsets"}, ...,
// "__metadata__": {string: string}}, then the raw little-endian data, with
// offsets relative to the start of the data. WriteSafetensors produces the same
// bytes as the reference implementation (tensors ordered by dtype alignment,
// then name; header padded with spaces to a multiple of 8 bytes).
package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ebm-go/ebm/internal/atomicfile"
)

// MaxHeaderBytes caps the JSON header of a safetensors file that ReadSafetensors
// accepts (100 MB, as in the reference implementation), so a corrupt length
// prefix cannot make the reader allocate without bound.
const MaxHeaderBytes = 100_000_000

// metadataKey is the reserved header key for the string-to-string metadata.
const metadataKey = "__metadata__"

// dtypeInfo describes one safetensors dtype: its element size in bytes and its
// rank in the reference writer's ordering (higher ranks are written first, so
// every tensor stays aligned to its element size).
type dtypeInfo struct {
	size int
	rank int
	// decoded reports whether this package can hold the values in a Tensor.
	decoded bool
}

// dtypes lists every dtype of the safetensors format. Only the decoded ones can
// be read into a Tensor; the others are recognized so that their sizes can be
// checked and the error can say precisely what is missing.
var dtypes = map[string]dtypeInfo{
	"BOOL":    {1, 0, true},
	"U8":      {1, 1, true},
	"I8":      {1, 2, false},
	"F8_E5M2": {1, 3, false},
	"F8_E4M3": {1, 4, false},
	"I16":     {2, 5, false},
	"U16":     {2, 6, false},
	"F16":     {2, 7, false},
	"BF16":    {2, 8, false},
	"I32":     {4, 9, true},
	"U32":     {4, 10, false},
	"F32":     {4, 11, true},
	"F64":     {8, 12, true},
	"I64":     {8, 13, true},
	"U64":     {8, 14, false},
}

// supportedDTypes is the human-readable list used in error messages.
const supportedDTypes = "F32, F64, I64, I32, U8, BOOL"

// Tensor is one named array of a safetensors file. DType is the safetensors
// dtype name; exactly one of the data fields is used, according to DType:
//
//	F32 → F32, F64 → F64, I64 → I64, I32 → I32, U8 and BOOL → U8 (BOOL values are 0 or 1)
//
// The data is row-major (C order) with len = product of Shape (1 for a scalar,
// Shape == nil).
type Tensor struct {
	Name  string
	DType string
	Shape []int
	F32   []float32
	F64   []float64
	I64   []int64
	I32   []int32
	U8    []uint8
}

// NumElements returns the product of t.Shape (1 for a scalar). It does not
// check for overflow; it is meant for shapes that have been validated.
func (t Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// dataLen returns the length of the data field selected by t.DType, and
// whether any other data field is non-nil.
func (t Tensor) dataLen() (n int, stray string) {
	fields := []struct {
		name string
		n    int
		set  bool
	}{
		{"F32", len(t.F32), t.F32 != nil},
		{"F64", len(t.F64), t.F64 != nil},
		{"I64", len(t.I64), t.I64 != nil},
		{"I32", len(t.I32), t.I32 != nil},
		{"U8", len(t.U8), t.U8 != nil},
	}
	want := t.DType
	if want == "BOOL" {
		want = "U8"
	}
	for _, f := range fields {
		if f.name == want {
			n = f.n
		} else if f.set && stray == "" {
			stray = f.name
		}
	}
	return n, stray
}

// FormatError reports a malformed or inconsistent safetensors file. File is
// empty when the data did not come from a named file; Tensor is empty when the
// problem is not tied to one tensor.
type FormatError struct {
	File    string
	Tensor  string
	Problem string
}

// Error formats the error as "model: FILE: tensor "NAME": PROBLEM".
func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("model: ")
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("safetensors")
	}
	b.WriteString(": ")
	if e.Tensor != "" {
		fmt.Fprintf(&b, "tensor %q: ", e.Tensor)
	}
	b.WriteString(e.Problem)
	return b.String()
}

func formatErr(tensor, format string, args ...any) *FormatError {
	return &FormatError{Tensor: tensor, Problem: fmt.Sprintf(format, args...)}
}

// withFile sets the file name of a *FormatError (if err is one) and returns err.
func withFile(err error, file string) error {
	var fe *FormatError
	if errors.As(err, &fe) && fe.File == "" {
		fe.File = file
	}
	return err
}

// writeOrder returns the indices of tensors in the order the reference writer
// uses: descending dtype rank (largest, most aligned elements first), then name.
func writeOrder(tensors []Tensor) []int {
	idx := make([]int, len(tensors))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ta, tb := tensors[idx[a]], tensors[idx[b]]
		ra, rb := dtypes[ta.DType].rank, dtypes[tb.DType].rank
		if ra != rb {
			return ra > rb
		}
		return ta.Name < tb.Name
	})
	return idx
}

// checkWritable validates tensors for WriteSafetensors and returns their byte sizes.
func checkWritable(tensors []Tensor, meta map[string]string) ([]int64, error) {
	seen := make(map[string]bool, len(tensors))
	sizes := make([]int64, len(tensors))
	for i, t := range tensors {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("model: writing safetensors: tensor %q: %s", t.Name, fmt.Sprintf(format, args...))
		}
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("model: writing safetensors: tensor %d has an empty name", i)
		case t.Name == metadataKey:
			return nil, fail("the name %s is reserved", metadataKey)
		case !utf8.ValidString(t.Name):
			return nil, fail("name is not valid UTF-8")
		case seen[t.Name]:
			return nil, fail("duplicate name")
		}
		seen[t.Name] = true
		info, ok := dtypes[t.DType]
		if !ok || !info.decoded {
			return nil, fail("cannot write dtype %q (supported: %s)", t.DType, supportedDTypes)
		}
		n := int64(1)
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fail("negative dimension in shape %v", t.Shape)
			}
			if d != 0 && n > math.MaxInt64/8/int64(d) {
				return nil, fail("shape %v is too large", t.Shape)
			}
			n *= int64(d)
		}
		got, stray := t.dataLen()
		if stray != "" {
			return nil, fail("dtype is %s but the %s field is set", t.DType, stray)
		}
		if int64(got) != n {
			return nil, fail("shape %v needs %d elements, data has %d", t.Shape, n, got)
		}
		if t.DType == "BOOL" {
			for j, v := range t.U8 {
				if v > 1 {
					return nil, fail("BOOL element %d is %d, want 0 or 1", j, v)
				}
			}
		}
		sizes[i] = n * int64(info.size)
	}
	for k, v := range meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("model: writing safetensors: metadata %q is not valid UTF-8", k)
		}
	}
	return sizes, nil
}

// jsonString encodes s as a JSON string without HTML escaping.
func jsonString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // drop the encoder's newline
}

// encodeHeader builds the JSON header for tensors in the given order, padded
// with spaces to a multiple of 8 bytes.
func encodeHeader(tensors []Tensor, order []int, sizes []int64, meta map[string]string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	if len(meta) > 0 {
		b.WriteString(`"` + metadataKey + `":{`)
		keys := make([]string, 0, len(meta))
		for k := range meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(&b, k)
			b.WriteByte(':')
			jsonString(&b, meta[k])
		}
		b.WriteByte('}')
		first = false
	}
	var off int64
	for _, i := range order {
		t := tensors[i]
		if !first {
			b.WriteByte(',')
		}
		first = false
		jsonString(&b, t.Name)
		b.WriteString(`:{"dtype":`)
		jsonString(&b, t.DType)
		b.WriteString(`,"shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		b.WriteString(`],"data_offsets":[`)
		b.WriteString(strconv.FormatInt(off, 10))
		b.WriteByte(',')
		off += sizes[i]
		b.WriteString(strconv.FormatInt(off, 10))
		b.WriteString("]}")
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes()
}

// chunkBytes is the size of the buffer used to encode and decode tensor data.
const chunkBytes = 64 << 10

// encodeData writes t's elements little-endian to w, a chunk at a time.
func encodeData(w io.Writer, t Tensor) error {
	if t.DType == "U8" || t.DType == "BOOL" {
		_, err := w.Write(t.U8)
		return err
	}
	size := dtypes[t.DType].size
	buf := make([]byte, 0, chunkBytes)
	n := t.NumElements()
	le := binary.LittleEndian
	for i := 0; i < n; i++ {
		switch t.DType {
		case "F32":
			buf = le.AppendUint32(buf, math.Float32bits(t.F32[i]))
		case "F64":
			buf = le.AppendUint64(buf, math.Float64bits(t.F64[i]))
		case "I64":
			buf = le.AppendUint64(buf, uint64(t.I64[i]))
		case "I32":
			buf = le.AppendUint32(buf, uint32(t.I32[i]))
		}
		if len(buf)+size > chunkBytes {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		_, err := w.Write(buf)
		return err
	}
	return nil
}

// WriteSafetensors writes tensors and the string metadata meta (may be nil) to
// w in the safetensors format. Tensors are laid out as the reference
// implementation does: by descending dtype alignment (I64, F64, F32, I32, U8,
// BOOL), then by name, so the same input always gives the same bytes and every
// tensor starts at a multiple of its element size. Names must be non-empty,
// unique and not "__metadata__"; each tensor's data length must equal the
// product of its shape. Nothing is written if a tensor is invalid.
func WriteSafetensors(w io.Writer, tensors []Tensor, meta map[string]string) error {
	sizes, err := checkWritable(tensors, meta)
	if err != nil {
		return err
	}
	order := writeOrder(tensors)
	header := encodeHeader(tensors, order, sizes, meta)
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(header)))
	if _, err := w.Write(prefix[:]); err != nil {
		return fmt.Errorf("model: writing safetensors: %w", err)
	}
	if _, err := w.Write(header); err != nil {
		return fmt.Errorf("model: writing safetensors: %w", err)
	}
	for _, i := range order {
		if err := encodeData(w, tensors[i]); err != nil {
			return fmt.Errorf("model: writing safetensors: tensor %q: %w", tensors[i].Name, err)
		}
	}
	return nil
}

// WriteSafetensorsFile writes a safetensors file at path atomically: into a
// temporary file in the same folder, synced, then renamed over path.
func WriteSafetensorsFile(path string, tensors []Tensor, meta map[string]string) error {
	if _, err := checkWritable(tensors, meta); err != nil {
		return err
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		return WriteSafetensors(w, tensors, meta)
	})
}

// headerEntry is one tensor's description, parsed from the header.
type headerEntry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64
}

// keyValue is one member of a JSON object, in document order.
type keyValue struct {
	key   string
	value json.RawMessage
}

// decodeObject parses data as a single JSON object and returns its members in
// order. It fails on anything else, on trailing data and on duplicate keys
// (which encoding/json would silently collapse).
func decodeObject(data []byte) ([]keyValue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want a JSON object, found %v", describeToken(tok))
	}
	var kvs []keyValue
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("want an object key, found %v", describeToken(tok))
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		kvs = append(kvs, keyValue{key, raw})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON object")
	}
	return kvs, nil
}

func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return fmt.Sprintf("string %q", v)
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%v", v)
	}
}

// parseInts decodes a JSON array of non-negative integers that fit in int64.
func parseInts(raw json.RawMessage) ([]int64, error) {
	var nums []json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&nums); err != nil || nums == nil {
		return nil, fmt.Errorf("want an array of integers, found %s", truncate(raw))
	}
	out := make([]int64, len(nums))
	for i, n := range nums {
		v, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("element %d (%s) is not an integer in range", i, n)
		}
		if v < 0 {
			return nil, fmt.Errorf("element %d is negative (%d)", i, v)
		}
		out[i] = v
	}
	return out, nil
}

// truncate returns a short printable excerpt of raw JSON for error messages.
func truncate(raw []byte) string {
	const max = 40
	s := string(raw)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}

// parseEntry validates one tensor description against the data buffer length.
func parseEntry(name string, raw json.RawMessage, bufLen int64) (headerEntry, error) {
	e := headerEntry{name: name}
	kvs, err := decodeObject(raw)
	if err != nil {
		return e, formatErr(name, "description is not a JSON object: %v", err)
	}
	var haveDType, haveShape, haveOffsets bool
	var offsets []int64
	for _, kv := range kvs {
		switch kv.key {
		case "dtype":
			if err := json.Unmarshal(kv.value, &e.dtype); err != nil {
				return e, formatErr(name, "dtype is not a string: %s", truncate(kv.value))
			}
			haveDType = true
		case "shape":
			dims, err := parseInts(kv.value)
			if err != nil {
				return e, formatErr(name, "shape: %v", err)
			}
			e.shape = make([]int, len(dims))
			for i, d := range dims {
				if int64(int(d)) != d {
					return e, formatErr(name, "shape: dimension %d is too large (%d)", i, d)
				}
				e.shape[i] = int(d)
			}
			haveShape = true
		case "data_offsets":
			offsets, err = parseInts(kv.value)
			if err != nil {
				return e, formatErr(name, "data_offsets: %v", err)
			}
			if len(offsets) != 2 {
				return e, formatErr(name, "data_offsets has %d elements, want 2 ([begin, end])", len(offsets))
			}
			haveOffsets = true
		default:
			return e, formatErr(name, "unknown field %q (want dtype, shape, data_offsets)", kv.key)
		}
	}
	switch {
	case !haveDType:
		return e, formatErr(name, "missing dtype")
	case !haveShape:
		return e, formatErr(name, "missing shape")
	case !haveOffsets:
		return e, formatErr(name, "missing data_offsets")
	}
	info, ok := dtypes[e.dtype]
	if !ok {
		return e, formatErr(name, "unknown dtype %q", e.dtype)
	}
	if !info.decoded {
		return e, formatErr(name, "dtype %s is not supported by ebm (supported: %s)", e.dtype, supportedDTypes)
	}
	e.begin, e.end = offsets[0], offsets[1]
	if e.begin > e.end {
		return e, formatErr(name, "data_offsets [%d, %d] end before they begin", e.begin, e.end)
	}
	if e.end > bufLen {
		return e, formatErr(name, "data_offsets [%d, %d] run past the end of the %d-byte data buffer", e.begin, e.end, bufLen)
	}
	// Byte count, with overflow checked; the span check below then bounds it
	// by the buffer.
	limit := math.MaxInt64 / int64(info.size)
	n := int64(1)
	zero := slices.Contains(e.shape, 0)
	if zero {
		n = 0
	} else {
		for _, d := range e.shape {
			if int64(d) > limit/n {
				return e, formatErr(name, "shape %v of %s overflows a 64-bit byte count", e.shape, e.dtype)
			}
			n *= int64(d)
		}
	}
	if want := n * int64(info.size); e.end-e.begin != want {
		return e, formatErr(name, "shape %v of %s needs %d bytes but data_offsets [%d, %d] span %d",
			e.shape, e.dtype, want, e.begin, e.end, e.end-e.begin)
	}
	return e, nil
}

// ReadSafetensors reads a safetensors file of size bytes from r and returns its
// tensors by name and its string metadata (nil if the file has none).
//
// Nothing is trusted before it is checked: the header length against the file
// size and MaxHeaderBytes; the header as UTF-8 JSON with no duplicate keys; each
// tensor's dtype (F32, F64, I64, I32, U8 or BOOL), shape (non-negative
// integers) and data_offsets (in range, span = elements × element size); and
// that the tensors, sorted by offset, tile the data buffer exactly, with no gap
// or overlap. Errors are *FormatError values naming the tensor and the problem
// (ReadSafetensorsFile and Load add the file name).
func ReadSafetensors(r io.ReaderAt, size int64) (map[string]Tensor, map[string]string, error) {
	if size < 8 {
		return nil, nil, formatErr("", "file is %d bytes, shorter than the 8-byte header length", size)
	}
	var prefix [8]byte
	if err := readAt(r, prefix[:], 0); err != nil {
		return nil, nil, formatErr("", "reading header length: %v", err)
	}
	hlen := binary.LittleEndian.Uint64(prefix[:])
	if hlen > MaxHeaderBytes {
		return nil, nil, formatErr("", "header length %d exceeds the %d-byte limit (corrupt or not a safetensors file)", hlen, MaxHeaderBytes)
	}
	if hlen > uint64(size-8) {
		return nil, nil, formatErr("", "header length %d exceeds the %d bytes after the length prefix (truncated file?)", hlen, size-8)
	}
	header := make([]byte, hlen)
	if err := readAt(r, header, 8); err != nil {
		return nil, nil, formatErr("", "reading header: %v", err)
	}
	if !utf8.Valid(header) {
		return nil, nil, formatErr("", "header is not valid UTF-8")
	}
	trimmed := bytes.TrimLeft(header, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, formatErr("", "header does not start with '{' (not a safetensors file?)")
	}
	kvs, err := decodeObject(header)
	if err != nil {
		return nil, nil, formatErr("", "header is not valid JSON: %v", err)
	}
	dataStart := 8 + int64(hlen)
	bufLen := size - dataStart

	var meta map[string]string
	entries := make([]headerEntry, 0, len(kvs))
	for _, kv := range kvs {
		if kv.key == metadataKey {
			if meta, err = parseMetadata(kv.value); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := parseEntry(kv.key, kv.value, bufLen)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}

	// The tensors, sorted by offset, must tile [0, bufLen) exactly.
	sorted := slices.Clone(entries)
	sort.SliceStable(sorted, func(a, b int) bool {
		if sorted[a].begin != sorted[b].begin {
			return sorted[a].begin < sorted[b].begin
		}
		return sorted[a].end < sorted[b].end
	})
	var pos int64
	for _, e := range sorted {
		switch {
		case e.begin < pos:
			return nil, nil, formatErr(e.name, "data_offsets [%d, %d] overlap the previous tensor, which ends at %d", e.begin, e.end, pos)
		case e.begin > pos:
			return nil, nil, formatErr(e.name, "data_offsets [%d, %d] leave a gap: the previous tensor ends at %d", e.begin, e.end, pos)
		}
		pos = e.end
	}
	if pos != bufLen {
		return nil, nil, formatErr("", "tensors cover %d bytes of the %d-byte data buffer (truncated file or trailing bytes)", pos, bufLen)
	}

	tensors := make(map[string]Tensor, len(entries))
	for _, e := range entries {
		t, err := readTensor(r, dataStart, e)
		if err != nil {
			return nil, nil, err
		}
		tensors[e.name] = t
	}
	return tensors, meta, nil
}

// readAt fills p from r at off. io.ReaderAt may report io.EOF along with a
// full read at the end of the input; that is not an error here.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// parseMetadata decodes the __metadata__ object: string keys to string values.
func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	kvs, err := decodeObject(raw)
	if err != nil {
		return nil, formatErr("", "%s is not a JSON object: %v", metadataKey, err)
	}
	meta := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		var s string
		if err := json.Unmarshal(kv.value, &s); err != nil {
			return nil, formatErr("", "%s value of %q is not a string: %s", metadataKey, kv.key, truncate(kv.value))
		}
		meta[kv.key] = s
	}
	return meta, nil
}

// readTensor reads and decodes one validated tensor, a chunk at a time.
func readTensor(r io.ReaderAt, dataStart int64, e headerEntry) (Tensor, error) {
	t := Tensor{Name: e.name, DType: e.dtype, Shape: e.shape}
	size := int64(dtypes[e.dtype].size)
	n := int((e.end - e.begin) / size)
	switch e.dtype {
	case "F32":
		t.F32 = make([]float32, n)
	case "F64":
		t.F64 = make([]float64, n)
	case "I64":
		t.I64 = make([]int64, n)
	case "I32":
		t.I32 = make([]int32, n)
	case "U8", "BOOL":
		t.U8 = make([]uint8, n)
	}
	le := binary.LittleEndian
	var buf []byte
	if t.U8 == nil {
		buf = make([]byte, min(int64(chunkBytes), e.end-e.begin))
	}
	for done := 0; done < n; {
		off := dataStart + e.begin + int64(done)*size
		if t.U8 != nil {
			if err := readAt(r, t.U8, off); err != nil {
				return t, formatErr(e.name, "reading data: %v", err)
			}
			break
		}
		k := min(n-done, len(buf)/int(size))
		chunk := buf[:k*int(size)]
		if err := readAt(r, chunk, off); err != nil {
			return t, formatErr(e.name, "reading data: %v", err)
		}
		for i := range k {
			switch e.dtype {
			case "F32":
				t.F32[done+i] = math.Float32frombits(le.Uint32(chunk[4*i:]))
			case "F64":
				t.F64[done+i] = math.Float64frombits(le.Uint64(chunk[8*i:]))
			case "I64":
				t.I64[done+i] = int64(le.Uint64(chunk[8*i:]))
			case "I32":
				t.I32[done+i] = int32(le.Uint32(chunk[4*i:]))
			}
		}
		done += k
	}
	if e.dtype == "BOOL" {
		for i, v := range t.U8 {
			if v > 1 {
				return t, formatErr(e.name, "BOOL element %d is %d, want 0 or 1", i, v)
			}
		}
	}
	return t, nil
}

// ReadSafetensorsFile reads the safetensors file at path (see ReadSafetensors);
// errors name the file.
func ReadSafetensorsFile(path string) (map[string]Tensor, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, &FormatError{File: path, Problem: "not a regular file"}
	}
	ts, meta, err := ReadSafetensors(f, st.Size())
	return ts, meta, withFile(err, path)
}

// writeFileAtomic creates path by writing into a temporary file in the same
// folder, syncing it and renaming it over path (atomicfile.WriteFile). On
// failure the temporary file is removed and path is untouched.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	if err := atomicfile.WriteFile(path, write); err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			return err
		}
		return fmt.Errorf("model: %w", err)
	}
	return nil
}

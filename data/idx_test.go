package data

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// idxBytes encodes an unsigned-byte IDX file.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// testImages returns n images of r×c pixels with pixel (k, i) = (7k + i) mod 256.
func testImages(n, r, c int) []byte {
	data := make([]byte, n*r*c)
	for k := range n {
		for i := range r * c {
			data[k*r*c+i] = byte(7*k + i)
		}
	}
	return data
}

func TestReadIDXRoundTrip(t *testing.T) {
	data := testImages(5, 3, 4)
	raw := idxBytes([]int{5, 3, 4}, data)
	for name, b := range map[string][]byte{"raw.idx": raw, "gz.idx": gz(t, string(raw))} {
		p := writeFile(t, name, b)
		m, err := ReadIDX(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(m.Dims, []int{5, 3, 4}) || !bytes.Equal(m.Data, data) {
			t.Errorf("%s: dims %v, data %v", name, m.Dims, m.Data[:8])
		}
		x, err := LoadMNISTImages(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if x.Rows != 5 || x.Cols != 12 {
			t.Fatalf("%s: images shape %s", name, x.Shape())
		}
		for i, v := range data {
			if x.Data[i] != float32(v)/255 {
				t.Fatalf("%s: pixel %d = %v, want %v/255", name, i, x.Data[i], v)
			}
		}
		lim, err := LoadMNISTImages(p, 2)
		if err != nil {
			t.Fatal(err)
		}
		if lim.Rows != 2 || lim.Cols != 12 || !slices.Equal(lim.Data, x.Data[:24]) {
			t.Errorf("%s: limit 2 gave %s", name, lim.Shape())
		}
		if big, err := LoadMNISTImages(p, 99); err != nil || big.Rows != 5 {
			t.Errorf("%s: limit above n: %v", name, err)
		}
	}
	labels := []byte{3, 1, 4, 1, 5, 9}
	p := writeFile(t, "labels.idx", gz(t, string(idxBytes([]int{6}, labels))))
	got, err := LoadIDXLabels(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int{3, 1, 4, 1, 5, 9}) {
		t.Errorf("labels %v", got)
	}
	// A 2-D file is valid IDX but neither images nor labels.
	m, err := DecodeIDX(bytes.NewReader(idxBytes([]int{2, 3}, []byte{1, 2, 3, 4, 5, 6})), "m")
	if err != nil || !slices.Equal(m.Dims, []int{2, 3}) {
		t.Errorf("2-D: %v %v", m, err)
	}
	// Empty data sets are allowed.
	m, err = DecodeIDX(bytes.NewReader(idxBytes([]int{0, 28, 28}, nil)), "empty")
	if err != nil || m.Dims[0] != 0 || len(m.Data) != 0 {
		t.Errorf("empty: %v %v", m, err)
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := idxBytes([]int{4, 2, 2}, testImages(4, 2, 2))
	cut := func(b []byte, n int) []byte { return b[:len(b)-n] }
	gzCut := gz(t, string(good))
	gzCut = gzCut[:len(gzCut)-12] // drop the CRC, size and some data
	cases := []struct {
		name string
		b    []byte
		want []string // substrings of the message
	}{
		{"truncated data", cut(good, 3), []string{"truncated", "16 data bytes", "found 13"}},
		{"trailing data", append(slices.Clone(good), 1, 2), []string{"trailing data", "16 data bytes", "found 18"}},
		{"truncated gzip", gzCut, []string{"truncated"}},
		{"truncated gzip payload", gz(t, string(cut(good, 5))), []string{"truncated", "found 11"}},
		{"gzip trailing", gz(t, string(append(slices.Clone(good), 0))), []string{"trailing data"}},
		{"bad magic", append([]byte{1, 0}, good[2:]...), []string{"bad magic", "not an IDX file"}},
		{"float type", append([]byte{0, 0, 0x0d}, good[3:]...), []string{"data type 0x0d"}},
		{"no dimensions", []byte{0, 0, 8, 0}, []string{"0 dimensions"}},
		{"too many dimensions", []byte{0, 0, 8, 200}, []string{"200 dimensions"}},
		{"short header", []byte{0, 0}, []string{"truncated", "2 of 4"}},
		{"short dims", good[:9], []string{"truncated", "5 of 12"}},
		{"empty file", nil, []string{"truncated"}},
		{"huge dims", idxBytes([]int{1 << 30, 1 << 30, 1 << 30}, nil), []string{"declare more than"}},
		{"huge dims, short file", idxBytes([]int{1 << 20, 1 << 10}, []byte{1, 2, 3}), []string{"truncated", "1073741824 data bytes", "found 3"}},
	}
	for _, c := range cases {
		p := writeFile(t, "bad.idx", c.b)
		_, err := ReadIDX(p)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, p+": ") {
			t.Errorf("%s: message %q does not start with the file name", c.name, msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %q does not contain %q", c.name, msg, w)
			}
		}
	}
	// The typed loaders check the magic number: labels are not images and vice versa.
	labels := writeFile(t, "l.idx", idxBytes([]int{3}, []byte{1, 2, 3}))
	images := writeFile(t, "i.idx", good)
	if _, err := LoadMNISTImages(labels, 0); err == nil || !strings.Contains(err.Error(), "want 0x00000803") {
		t.Errorf("labels as images: %v", err)
	}
	if _, err := LoadIDXLabels(images); err == nil || !strings.Contains(err.Error(), "want 0x00000801") {
		t.Errorf("images as labels: %v", err)
	}
	// With a limit the rest of the file is still checked.
	if _, err := LoadMNISTImages(writeFile(t, "c.idx", cut(good, 1)), 1); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated file with limit: %v", err)
	}
	if _, err := ReadIDX(filepath.Join(t.TempDir(), "missing")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

// TestMNISTFiles reads the real MNIST test set when it is present.
func TestMNISTFiles(t *testing.T) {
	dir := "/work/shared/data/mnist"
	if d := os.Getenv("EBM_MNIST_DIR"); d != "" {
		dir = d
	}
	images := filepath.Join(dir, "t10k-images-idx3-ubyte.gz")
	labelsPath := filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")
	if _, err := os.Stat(images); err != nil {
		t.Skipf("MNIST not found at %s (set EBM_MNIST_DIR): %v", dir, err)
	}
	if _, err := os.Stat(labelsPath); err != nil {
		t.Skipf("MNIST labels not found: %v", err)
	}
	x, err := LoadMNISTImages(images, 0)
	if err != nil {
		t.Fatal(err)
	}
	if x.Rows != 10000 || x.Cols != 784 {
		t.Fatalf("images shape %s", x.Shape())
	}
	var sum float64
	for _, v := range x.Data {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %v outside [0, 1]", v)
		}
		sum += float64(v)
	}
	// MNIST's mean pixel intensity is about 0.13.
	if m := sum / float64(len(x.Data)); m < 0.12 || m > 0.14 {
		t.Errorf("mean pixel %.4f, want about 0.13", m)
	}
	labels, err := LoadIDXLabels(labelsPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 10000 || !slices.Equal(labels[:10], []int{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}) {
		t.Errorf("%d labels, first %v", len(labels), labels[:min(10, len(labels))])
	}
	if got, want := classCounts(labels, 10), []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}; !slices.Equal(got, want) {
		t.Errorf("class counts %v, want %v", got, want)
	}
	head, err := LoadMNISTImages(images, 100)
	if err != nil || head.Rows != 100 || !slices.Equal(head.Data, x.Data[:100*784]) {
		t.Errorf("limit 100: %v", err)
	}
	b := Binarize(x, float32(128)/255)
	raw, err := ReadIDX(images)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range raw.Data {
		if (v > 127) != (b.Data[i] == 1) {
			t.Fatalf("pixel %d = %d binarized to %v with threshold 128/255", i, v, b.Data[i])
		}
	}
}

package model

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/ebm-go/ebm/internal/atomicfile"
)

// FormatVersion is the version of the model folder format that this package
// writes and the newest one it reads.
const FormatVersion = 1

// File names inside a model folder.
const (
	WeightsFile = "model.safetensors"
	MetaFile    = "model.json"
)

// maxMetaBytes caps the size of model.json that Load reads.
const maxMetaBytes = 64 << 20

// modulePath is this module's path, used to find its version in the build info.
const modulePath = "github.com/ebm-go/ebm"

// Meta is the JSON document saved beside the weights (model.json). The
// free-form parts (Architecture, Training, Data) are raw JSON so each model
// family and estimator can marshal its own configuration struct into them.
type Meta struct {
	// FormatVersion is the folder format version; Save sets it to FormatVersion
	// and Load refuses files from a newer version.
	FormatVersion int `json:"format_version"`
	// Kind names the model family, for example "mlp-energy" or "rbm".
	Kind string `json:"kind"`
	// EbmVersion is the ebm module version that wrote the folder; Save fills it
	// from the build information when empty.
	EbmVersion string `json:"ebm_version,omitempty"`
	// Created is the save time in RFC 3339; Save fills it (UTC) when empty.
	Created string `json:"created,omitempty"`
	// Seed is the seed of the run that produced the model.
	Seed uint64 `json:"seed"`
	// Architecture describes the model's structure (layer sizes, activations…).
	Architecture json.RawMessage `json:"architecture,omitempty"`
	// Training holds the estimator and its settings.
	Training json.RawMessage `json:"training,omitempty"`
	// Data describes the training data.
	Data json.RawMessage `json:"data,omitempty"`
	// Metrics holds final evaluation numbers (for example "nll", "mmd2").
	// JSON cannot hold NaN or ±Inf, so Save rejects them.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// WeightsSHA256 is the hex SHA-256 of model.safetensors, set by Save and
	// checked by Load, so weights and document from different saves are caught.
	WeightsSHA256 string `json:"weights_sha256,omitempty"`
}

// ebmVersion returns the version of this module in the running binary, or
// "(devel)" when it is built from a checkout.
func ebmVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if bi.Main.Path == modulePath {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == modulePath {
			return d.Version
		}
	}
	return "(devel)"
}

// Save writes a model folder at dir: model.safetensors with the tensors and
// model.json with meta (see Meta for the fields Save fills in; meta itself is
// not modified).
//
// The folder is built in a temporary folder next to dir and renamed into place
// only when both files are written and synced, so dir never holds a
// half-written model. If dir already exists it must be empty or a model folder
// (it holds model.json); it is replaced as a whole, on success only. Any other
// non-empty folder is left alone and reported as an error, so a mistyped path
// cannot delete unrelated files.
func Save(dir string, meta *Meta, tensors []Tensor) (err error) {
	if meta == nil {
		return errors.New("model: Save: meta is nil")
	}
	if meta.Kind == "" {
		return errors.New("model: Save: meta.Kind is empty (name the model family, e.g. \"rbm\")")
	}
	for k, v := range meta.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("model: Save: metric %q is %v, which JSON cannot hold", k, v)
		}
	}
	if _, err := checkWritable(tensors, nil); err != nil {
		return err
	}
	if dir == "" {
		return errors.New("model: Save: empty folder name")
	}
	dir = filepath.Clean(dir)
	if err := checkReplaceable(dir); err != nil {
		return err
	}
	parent, base := filepath.Split(dir)
	if base == "" || base == "." || base == ".." {
		return fmt.Errorf("model: Save: %q does not name a folder that can be replaced", dir)
	}
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("model: Save: %w", err)
	}
	tmp, err := atomicfile.TempDir(dir)
	if err != nil {
		return fmt.Errorf("model: Save: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()

	m := *meta
	m.FormatVersion = FormatVersion
	if m.Created == "" {
		m.Created = time.Now().UTC().Format(time.RFC3339)
	}
	if m.EbmVersion == "" {
		m.EbmVersion = ebmVersion()
	}
	stMeta := map[string]string{
		"ebm.kind":           m.Kind,
		"ebm.format_version": strconv.Itoa(FormatVersion),
	}
	h := sha256.New()
	err = writeSyncedFile(filepath.Join(tmp, WeightsFile), func(w io.Writer) error {
		return WriteSafetensors(io.MultiWriter(w, h), tensors, stMeta)
	})
	if err != nil {
		return err
	}
	m.WeightsSHA256 = hex.EncodeToString(h.Sum(nil))
	doc, err := json.MarshalIndent(&m, "", "  ")
	if err != nil {
		return fmt.Errorf("model: Save: encoding %s: %w", MetaFile, err)
	}
	doc = append(doc, '\n')
	err = writeSyncedFile(filepath.Join(tmp, MetaFile), func(w io.Writer) error {
		_, err := w.Write(doc)
		return err
	})
	if err != nil {
		return err
	}
	if err = atomicfile.ReplaceDir(tmp, dir); err != nil {
		return fmt.Errorf("model: Save: %w", err)
	}
	return nil
}

// checkReplaceable reports an error if dir exists and may not be replaced.
func checkReplaceable(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("model: Save: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("model: Save: %s is a symbolic link; pass the folder it points to", dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("model: Save: %s exists and is not a folder", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("model: Save: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Lstat(filepath.Join(dir, MetaFile)); err != nil {
		return fmt.Errorf("model: Save: refusing to replace %s: it is not empty and holds no %s", dir, MetaFile)
	}
	return nil
}

// writeSyncedFile creates path, writes it through a buffer, and syncs it.
func writeSyncedFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("model: Save: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("model: Save: %w", cerr)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("model: Save: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("model: Save: %w", err)
	}
	return nil
}

// Read reads the raw contents of the model folder at dir written by Save: its
// document and its tensors, whatever the kind (Load builds the model itself). It checks model.json
// (valid JSON with only known fields, a format version this package can read,
// a kind), then that model.safetensors has the SHA-256 recorded in model.json,
// then every header entry of the safetensors file (see ReadSafetensors). Each
// error names the folder or file and the problem.
func Read(dir string) (*Meta, map[string]Tensor, error) {
	metaPath := filepath.Join(dir, MetaFile)
	doc, err := readMetaFile(dir, metaPath)
	if err != nil {
		return nil, nil, err
	}
	m, err := parseMeta(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %s: %w", metaPath, err)
	}

	wPath := filepath.Join(dir, WeightsFile)
	f, err := os.Open(wPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("model: %s: %s is missing", dir, WeightsFile)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, &FormatError{File: wPath, Problem: "not a regular file"}
	}
	if m.WeightsSHA256 != "" {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size())); err != nil {
			return nil, nil, fmt.Errorf("model: %s: %w", wPath, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != m.WeightsSHA256 {
			return nil, nil, &FormatError{File: wPath, Problem: fmt.Sprintf(
				"SHA-256 %s does not match %s (which records %s): the weights are corrupt or come from another save",
				got, MetaFile, m.WeightsSHA256)}
		}
	}
	ts, stMeta, err := ReadSafetensors(f, st.Size())
	if err != nil {
		return nil, nil, withFile(err, wPath)
	}
	if k, ok := stMeta["ebm.kind"]; ok && k != m.Kind {
		return nil, nil, &FormatError{File: wPath, Problem: fmt.Sprintf(
			"weights are for kind %q but %s says %q", k, MetaFile, m.Kind)}
	}
	return m, ts, nil
}

// readMetaFile reads model.json with a size cap.
func readMetaFile(dir, path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, derr := os.Stat(dir); derr != nil {
			return nil, fmt.Errorf("model: %w", derr)
		}
		return nil, fmt.Errorf("model: %s: %s is missing (not an ebm model folder?)", dir, MetaFile)
	}
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer f.Close()
	doc, err := io.ReadAll(io.LimitReader(f, maxMetaBytes+1))
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", path, err)
	}
	if len(doc) > maxMetaBytes {
		return nil, fmt.Errorf("model: %s: larger than %d bytes", path, maxMetaBytes)
	}
	return doc, nil
}

// parseMeta decodes and checks a model.json document.
func parseMeta(doc []byte) (*Meta, error) {
	// Read the version first, leniently: a newer format may have new fields,
	// and "written by a newer ebm" is the useful error then.
	var probe struct {
		FormatVersion *json.RawMessage `json:"format_version"`
	}
	if err := json.Unmarshal(doc, &probe); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if probe.FormatVersion == nil {
		return nil, errors.New("no format_version (not an ebm model document?)")
	}
	var version int
	if err := json.Unmarshal(*probe.FormatVersion, &version); err != nil || version < 1 {
		return nil, fmt.Errorf("format_version is %s, want a positive integer", truncate(*probe.FormatVersion))
	}
	if version > FormatVersion {
		return nil, fmt.Errorf("format version %d was written by a newer ebm; this build reads versions up to %d", version, FormatVersion)
	}
	var m Meta
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("invalid: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON document")
	}
	if m.Kind == "" {
		return nil, errors.New("kind is empty")
	}
	return &m, nil
}

package model

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseMeta feeds arbitrary bytes to the model.json parser and, through a
// folder, to Read: neither may panic, and an accepted document has a kind and
// a supported format version.
func FuzzParseMeta(f *testing.F) {
	f.Add([]byte(`{"format_version":1,"kind":"mlp-energy","architecture":{"sizes":[2,8,1],"activation":"silu","dtype":"F32"}}`))
	f.Add([]byte(`{"format_version":1,"kind":"rbm","seed":7,"architecture":{"sizes":[2,1000000000,1000000000,1]}}`))
	f.Add([]byte(`{"format_version":99,"kind":"x"}`))
	f.Add([]byte(`{"format_version":1}`))
	f.Add([]byte(`{"format_version":"1","kind":"x"}`))
	f.Add([]byte(`{"format_version":1,"kind":"x"} trailing`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := parseMeta(doc)
		if err == nil && (m == nil || m.Kind == "" || m.FormatVersion < 1 || m.FormatVersion > FormatVersion) {
			t.Fatalf("accepted %q as %+v", doc, m)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, MetaFile), doc, 0o644); err != nil {
			t.Fatal(err)
		}
		if meta, _, err := Read(dir); err == nil && meta == nil {
			t.Fatalf("Read accepted %q without a model", doc)
		}
	})
}

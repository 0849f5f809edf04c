//go:build unix

package plot

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

// Figures and the folders created for them get 0666 and 0777 minus the umask.
func TestWritePermissionsFollowUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "new", "grid.png")
	if err := ImageGrid(path, tensor.Full(1, 4, 0.5), 2, 2, 1, 1); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o640, filepath.Dir(path): 0o750} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v, want mode %v under umask 027", p, err, want)
		}
	}
	noTemp(t, filepath.Dir(path), "grid.png")
}

// Package atomicfile writes files and folders so that they appear whole or not
// at all: content goes into a temporary name beside its final path, is synced,
// and is renamed into place in one step. Temporary names record the writing
// process (".BASE.tmp-p<PID>-<random>"), so a later run can remove the
// leftovers of a killed one (CleanStale) without touching a live run's work.
//
// Files and folders are created with the usual permissions: 0666 and 0777
// minus the process umask (the kernel applies it at creation).
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tmpTag separates a base name from the temporary suffix.
const tmpTag = ".tmp-p"

// TempName returns a fresh temporary name for base, hidden and recording the
// PID: ".BASE.tmp-p<PID>-<random>".
func TempName(base string) string {
	return "." + base + tmpTag + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(rand.Uint64()&0xffffffffff, 36)
}

// split returns the folder and base name of path ("." for a bare name).
func split(path string) (dir, base string) {
	dir, base = filepath.Split(filepath.Clean(path))
	if dir == "" {
		dir = "."
	}
	return dir, base
}

// WriteFile creates or replaces the file at path with what write produces,
// through a temporary file in the same folder that is synced and renamed over
// path. The file gets mode 0666 minus the umask. On failure the temporary file
// is removed and path is untouched.
func WriteFile(path string, write func(io.Writer) error) (err error) {
	dir, base := split(path)
	var f *os.File
	for i := 0; ; i++ {
		f, err = os.OpenFile(filepath.Join(dir, TempName(base)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil || !errors.Is(err, fs.ErrExist) || i == 10 {
			break
		}
	}
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	SyncDir(dir)
	return nil
}

// WriteBytes is WriteFile for a byte slice.
func WriteBytes(path string, data []byte) error {
	return WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// TempDir creates an empty temporary folder beside path (mode 0777 minus the
// umask) and returns its path; the caller fills it and renames it into place
// with ReplaceDir, or removes it.
func TempDir(path string) (string, error) {
	dir, base := split(path)
	for i := 0; ; i++ {
		tmp := filepath.Join(dir, TempName(base))
		err := os.Mkdir(tmp, 0o777)
		if err == nil {
			return tmp, nil
		}
		if !errors.Is(err, fs.ErrExist) || i == 10 {
			return "", err
		}
	}
}

// ReplaceDir renames the finished folder tmp to dir. An existing dir is first
// moved aside under a temporary name, restored if the final rename fails, and
// removed once it succeeds; so dir holds the old or the new folder at every
// moment, never a mixture.
func ReplaceDir(tmp, dir string) error {
	parent, base := split(dir)
	SyncDir(tmp)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(tmp, dir); err != nil {
			return err
		}
		SyncDir(parent)
		return nil
	}
	old, err := TempDir(filepath.Join(parent, base+".old"))
	if err != nil {
		return err
	}
	prev := filepath.Join(old, "prev")
	if err := os.Rename(dir, prev); err != nil {
		os.Remove(old)
		return fmt.Errorf("moving the previous %s aside: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(prev, dir); rerr != nil {
			return fmt.Errorf("%w (and restoring the previous folder from %s failed: %v)", err, prev, rerr)
		}
		os.Remove(old)
		return err
	}
	os.RemoveAll(old)
	SyncDir(parent)
	return nil
}

// SyncDir flushes a folder's entries to disk where the platform allows it.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not supported everywhere; best effort
		d.Close()
	}
}

// legacyAge is how old a temporary entry without a recorded PID must be
// before CleanStale removes it.
const legacyAge = 24 * time.Hour

// CleanStale removes the temporary files and folders that killed runs left
// beside path: entries named ".BASE.tmp-p<PID>-*" or ".BASE.old.tmp-p<PID>-*"
// whose process no longer exists (on platforms where that can be asked), and
// entries of the older form ".BASE.tmp-<digits>" untouched for a day. It
// returns the paths it removed; errors are ignored (cleaning is best effort).
func CleanStale(path string) []string {
	dir, base := split(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		name := e.Name()
		if !stale(name, base, filepath.Join(dir, name)) {
			continue
		}
		p := filepath.Join(dir, name)
		if os.RemoveAll(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// stale reports whether name is a leftover temporary entry of base.
func stale(name, base, full string) bool {
	for _, prefix := range []string{"." + base + tmpTag, "." + base + ".old" + tmpTag} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			pidStr, _, ok := strings.Cut(rest, "-")
			pid, err := strconv.Atoi(pidStr)
			if !ok || err != nil || pid <= 0 {
				return false
			}
			return pid != os.Getpid() && !processAlive(pid)
		}
	}
	// Older form, from os.MkdirTemp: ".BASE.tmp-<digits>".
	if rest, ok := strings.CutPrefix(name, "."+base+".tmp-"); ok && rest != "" && allDigits(rest) {
		if fi, err := os.Lstat(full); err == nil && time.Since(fi.ModTime()) > legacyAge {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

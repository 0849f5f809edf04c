package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ebm-go/ebm/internal/atomicfile"
)

// MarkerFile is the file ebm puts in every folder it writes (outputs and
// checkpoint folders). --force replaces only folders that hold it, or hold
// model.json (model folders written before the marker existed).
const MarkerFile = ".ebm-output"

const markerText = "This folder was written by ebm; ebm --force may replace it.\n"

// legacyMarker marks model folders written before MarkerFile existed.
const legacyMarker = "model.json"

// The output rule, shared by every command that writes a folder or a file:
//
//   - a path that does not exist is created;
//   - an existing empty folder is used;
//   - anything else is refused with a usage error unless force is set, and
//     force replaces only a folder that ebm wrote (it holds MarkerFile or
//     model.json), never a regular file, a symbolic link or another folder;
//   - the working directory, any folder above it, an input, and any folder
//     holding an input are refused even with force.
//
// The check happens before any work, and again just before the folder is
// replaced.

// OutDir builds an output folder under a temporary name next to its final path
// and renames it into place on Commit, so a failed run leaves nothing
// half-written. The temporary folder starts empty; Commit adds MarkerFile.
type OutDir struct {
	Final, Tmp string
	force      bool
	inputs     []string
	done       bool
}

// NewOutDir applies the output rule to dir (see the package's rule above;
// overwrite is the --force flag; inputs are the paths the command reads, which
// dir must neither be nor contain), removes temporary folders left beside dir
// by killed runs, and creates the temporary folder. Every refusal is a usage
// error.
func NewOutDir(dir string, overwrite bool, inputs ...string) (*OutDir, error) {
	if dir == "" {
		return nil, Usagef("--out: empty folder name")
	}
	dir = filepath.Clean(dir)
	if err := CheckOutDir(dir, overwrite, inputs...); err != nil {
		return nil, err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o777); err != nil {
		return nil, err
	}
	atomicfile.CleanStale(dir)
	tmp, err := atomicfile.TempDir(dir)
	if err != nil {
		return nil, err
	}
	return &OutDir{Final: dir, Tmp: tmp, force: overwrite, inputs: inputs}, nil
}

// Path returns the temporary path of a file inside the folder being built.
func (o *OutDir) Path(name string) string { return filepath.Join(o.Tmp, name) }

// Commit checks the output rule again (the final path may have changed during
// the run) and moves the finished folder into place, replacing what the rule
// allows.
func (o *OutDir) Commit() error {
	if err := CheckOutDir(o.Final, o.force, o.inputs...); err != nil {
		return err
	}
	if err := writeMarker(o.Tmp); err != nil {
		return err
	}
	if err := atomicfile.ReplaceDir(o.Tmp, o.Final); err != nil {
		return err
	}
	o.done = true
	return nil
}

// Abort removes the temporary folder unless Commit succeeded; safe to defer.
func (o *OutDir) Abort() {
	if o != nil && !o.done {
		os.RemoveAll(o.Tmp)
	}
}

// CheckOutDir reports, as a usage error, why the output rule forbids writing
// a folder at dir, or nil.
func CheckOutDir(dir string, force bool, inputs ...string) error {
	return checkDir("--out", dir, force, inputs)
}

// checkDir is CheckOutDir for the folder named by flag.
func checkDir(flag, dir string, force bool, inputs []string) error {
	if err := checkNotAboveCwdOrInput(flag, dir, inputs); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return Usagef("%s %s: %v", flag, dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return Usagef("%s %s: is a symbolic link; name the folder it points to", flag, dir)
	}
	if !fi.IsDir() {
		return Usagef("%s %s: a file of that name exists; the output is a folder, and ebm does not replace a file, even with --force", flag, dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return Usagef("%s %s: %v", flag, dir, err)
	}
	if len(ents) == 0 {
		return nil
	}
	if !IsEbmFolder(dir) {
		return Usagef("%s %s: folder exists, is not empty and was not written by ebm; ebm will not replace it, even with --force", flag, dir)
	}
	if !force {
		return Usagef("%s %s: folder exists and holds an earlier output (pass --force to replace it, or choose another folder)", flag, dir)
	}
	return nil
}

// IsEbmFolder reports whether dir is a folder that ebm wrote: it holds
// MarkerFile, or model.json (a model folder from before the marker).
func IsEbmFolder(dir string) bool {
	for _, m := range []string{MarkerFile, legacyMarker} {
		if fi, err := os.Lstat(filepath.Join(dir, m)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// CheckOutFile reports, as a usage error, why the output rule forbids writing
// a single file at path (a PNG, say), or nil: a new path is fine; an existing
// regular file is replaced only with force; a folder, a symbolic link or an
// input (the same file under any name) is refused even with force.
func CheckOutFile(path string, force bool, inputs ...string) error {
	if path == "" {
		return Usagef("--out: empty file name")
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return Usagef("--out %s: %v", path, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return Usagef("--out %s: is a symbolic link; name the file it points to", path)
	}
	if fi.IsDir() {
		return Usagef("--out %s: is a folder; the output is a file", path)
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		if ii, err := os.Stat(in); err == nil && os.SameFile(fi, ii) {
			return Usagef("--out %s: is the input %s; ebm does not overwrite its input", path, in)
		}
	}
	if !force {
		return Usagef("--out %s: file exists (pass --force to replace it)", path)
	}
	return nil
}

// ClaimDir (flag names the option, for messages) applies the output rule to a folder that is written in place, file
// by file (a checkpoint folder): a new folder is created, an empty one is
// used, and an earlier ebm folder is emptied when force is set; every other
// case is refused as by CheckOutDir. The folder then holds MarkerFile.
func ClaimDir(flag, dir string, force bool, inputs ...string) error {
	if dir == "" {
		return Usagef("%s: empty folder name", flag)
	}
	dir = filepath.Clean(dir)
	if err := checkDir(flag, dir, force, inputs); err != nil {
		return err
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		// CheckOutDir allowed it: force is set and ebm wrote the folder.
		for _, e := range ents {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	return writeMarker(dir)
}

// EnsureMarker creates dir if needed and puts MarkerFile in it.
func EnsureMarker(dir string) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	if _, err := os.Lstat(filepath.Join(dir, MarkerFile)); err == nil {
		return nil
	}
	return writeMarker(dir)
}

func writeMarker(dir string) error {
	return os.WriteFile(filepath.Join(dir, MarkerFile), []byte(markerText), 0o666)
}

// checkNotAboveCwdOrInput refuses dir when it is the working directory or a
// folder above it, or an input or a folder holding one.
func checkNotAboveCwdOrInput(flag, dir string, inputs []string) error {
	d := realAbs(dir)
	if d == "" {
		return nil
	}
	if cwd, err := os.Getwd(); err == nil && within(realAbs(cwd), d) {
		if realAbs(cwd) == d {
			return Usagef("%s %s: is the working directory; name a new folder for the output", flag, dir)
		}
		return Usagef("%s %s: holds the working directory; name a new folder for the output", flag, dir)
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		if within(realAbs(in), d) {
			if realAbs(in) == d {
				return Usagef("%s %s: is the input %s; ebm does not overwrite its input", flag, dir, in)
			}
			return Usagef("%s %s: holds the input %s; ebm does not replace a folder holding its input", flag, dir, in)
		}
	}
	return nil
}

// Contains reports whether path p is dir itself or lies inside it, after
// making both absolute and resolving symbolic links.
func Contains(dir, p string) bool { return within(realAbs(p), realAbs(dir)) }

// within reports whether path p is dir itself or lies inside it.
func within(p, dir string) bool {
	if p == "" || dir == "" {
		return false
	}
	if p == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(p, dir)
}

// realAbs returns the absolute path of p with symbolic links resolved in the
// part of it that exists ("" if the working directory cannot be found).
func realAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	rest := ""
	for cur := a; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return a
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

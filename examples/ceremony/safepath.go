package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errSymlink and errNotRegular mark a ceremony repository entry that the
// tool refuses to read: a pull request could otherwise add
// staged/signatures/x.json (or a whole directory) as a symbolic link to a
// file outside the repository, or a FIFO that blocks every reader.
var (
	errSymlink    = errors.New("is a symbolic link, which a ceremony repository must not contain")
	errNotRegular = errors.New("is not a regular file")
	errNotDir     = errors.New("is not a directory")
)

// checkInside refuses name when it, or any directory between base and
// it, is a symbolic link, when a directory on the way is not a
// directory, and when name is not a directory (wantDir) or regular file.
// base itself, which the user chose, is not checked. A missing element
// returns its Lstat error, so errors.Is(err, fs.ErrNotExist) holds.
func checkInside(base, name string, wantDir bool) (fs.FileInfo, error) {
	rel, err := filepath.Rel(base, name)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("%s is outside %s", filepath.ToSlash(name), filepath.ToSlash(base))
	}
	if rel == "." {
		fi, err := os.Stat(base)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s %w", filepath.ToSlash(base), errNotDir)
		}
		return fi, nil
	}
	elems := strings.Split(rel, string(filepath.Separator))
	cur := base
	var fi fs.FileInfo
	for i, el := range elems {
		cur = filepath.Join(cur, el)
		fi, err = os.Lstat(cur)
		if err != nil {
			return nil, err
		}
		last := i == len(elems)-1
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			return nil, fmt.Errorf("%s %w", filepath.ToSlash(cur), errSymlink)
		case (!last || wantDir) && !fi.IsDir():
			return nil, fmt.Errorf("%s %w", filepath.ToSlash(cur), errNotDir)
		case last && !wantDir && !fi.Mode().IsRegular():
			return nil, fmt.Errorf("%s %w", filepath.ToSlash(cur), errNotRegular)
		}
	}
	return fi, nil
}

// readInside is readBounded for a file of a ceremony repository (or of a
// -chain directory) at base: it refuses symbolic links and non-regular
// files (see checkInside) and a file swapped between the check and the
// open.
func readInside(base, name string, limit int64) ([]byte, error) {
	fi, err := checkInside(base, name, false)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ofi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !os.SameFile(fi, ofi) {
		return nil, fmt.Errorf("%s changed while it was being opened", filepath.ToSlash(name))
	}
	return readLimited(f, name, limit)
}

// readDirInside is os.ReadDir for a directory of a ceremony repository,
// refusing a symbolic link on the way (see checkInside).
func readDirInside(base, dir string) ([]os.DirEntry, error) {
	if _, err := checkInside(base, dir, true); err != nil {
		return nil, err
	}
	return os.ReadDir(dir)
}

// read reads a file of the repository; name is a path from r.path.
func (r *repo) read(name string, limit int64) ([]byte, error) {
	return readInside(r.dir, name, limit)
}

// readDir lists a directory of the repository; dir is a path from r.path.
func (r *repo) readDir(dir string) ([]os.DirEntry, error) {
	return readDirInside(r.dir, dir)
}

// readLimited reads f, refusing more than limit bytes.
func readLimited(f io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", filepath.ToSlash(name), limit)
	}
	return data, nil
}

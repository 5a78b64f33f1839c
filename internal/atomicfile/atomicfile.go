package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// TempPrefix starts the name of every temporary file WriteFile creates.
// Loaders skip files with this prefix: they are the remains of a write that
// was interrupted before its rename.
const TempPrefix = ".atomicfile-"

// File is an open temporary file.
type File interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// FS is the set of file-system operations WriteFile needs.
type FS interface {
	// CreateTemp creates a new temporary file in dir, like os.CreateTemp.
	CreateTemp(dir, pattern string) (File, error)
	// Chmod sets a file's permissions.
	Chmod(name string, perm os.FileMode) error
	// Rename renames oldpath to newpath, replacing newpath.
	Rename(oldpath, newpath string) error
	// Remove removes a file.
	Remove(name string) error
	// SyncDir flushes a directory's entries to stable storage.
	SyncDir(dir string) error
	// MkdirAll creates a directory and its parents.
	MkdirAll(dir string, perm os.FileMode) error
}

// OS returns the FS backed by the operating system.
func OS() FS { return osFS{} }

type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (File, error) { return os.CreateTemp(dir, pattern) }
func (osFS) Chmod(name string, perm os.FileMode) error    { return os.Chmod(name, perm) }
func (osFS) Rename(o, n string) error                     { return os.Rename(o, n) }
func (osFS) Remove(name string) error                     { return os.Remove(name) }
func (osFS) MkdirAll(dir string, perm os.FileMode) error  { return os.MkdirAll(dir, perm) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	// Some file systems do not support syncing a directory; the rename
	// itself has happened, so that is not a failure of the write.
	if errors.Is(err, os.ErrInvalid) {
		return nil
	}
	return err
}

// WriteFile writes data to name atomically with the operating system's file
// system. See [WriteFileFS].
func WriteFile(name string, data []byte, perm os.FileMode) error {
	return WriteFileFS(OS(), name, data, perm)
}

// WriteFileFS writes data to name atomically through fsys: it creates the
// parent directory if needed, writes a temporary file beside name, syncs and
// closes it, sets perm, renames it over name and syncs the directory. If any
// step before the rename fails, the temporary file is removed and name is
// untouched. Errors name the file and the step that failed.
func WriteFileFS(fsys FS, name string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(name)
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("atomicfile: create directory for %s: %w", name, err)
	}
	f, err := fsys.CreateTemp(dir, TempPrefix+filepath.Base(name)+"-*")
	if err != nil {
		return fmt.Errorf("atomicfile: create temporary file for %s: %w", name, err)
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = f.Close()
			}
			_ = fsys.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: sync %s: %w", name, err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: close %s: %w", name, err)
	}
	if err := fsys.Chmod(tmp, perm); err != nil {
		return fmt.Errorf("atomicfile: set permissions of %s: %w", name, err)
	}
	if err := fsys.Rename(tmp, name); err != nil {
		return fmt.Errorf("atomicfile: rename into %s: %w", name, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		// The new content is in place; report that it may not be durable.
		return fmt.Errorf("atomicfile: sync directory of %s: %w", name, err)
	}
	return nil
}

// IsTemp reports whether a file name (base name or path) is a temporary file
// left by an interrupted WriteFile.
func IsTemp(name string) bool {
	return strings.HasPrefix(filepath.Base(name), TempPrefix)
}

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// tempPrefix starts the name of every temporary file writeFileFS creates.
// Loaders skip such files: they are what a write interrupted before its
// rename leaves behind.
const tempPrefix = ".tmp-"

// isTempName reports whether a file name (base name or path) is a
// temporary file left by an interrupted atomic write.
func isTempName(name string) bool { return strings.HasPrefix(filepath.Base(name), tempPrefix) }

// tmpFile is an open temporary file.
type tmpFile interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// fileSystem is every file-system operation an atomic write makes; the
// tests substitute one that fails a chosen step.
type fileSystem interface {
	CreateTemp(dir, pattern string) (tmpFile, error)
	Chmod(name string, perm os.FileMode) error
	Rename(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error
	MkdirAll(dir string, perm os.FileMode) error
}

// osFS is the operating system's file system.
type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (tmpFile, error) { return os.CreateTemp(dir, pattern) }
func (osFS) Chmod(name string, perm os.FileMode) error       { return os.Chmod(name, perm) }
func (osFS) Rename(o, n string) error                        { return os.Rename(o, n) }
func (osFS) Remove(name string) error                        { return os.Remove(name) }
func (osFS) MkdirAll(dir string, perm os.FileMode) error     { return os.MkdirAll(dir, perm) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	// Some file systems cannot sync a directory; the rename has happened,
	// so that is no failure of the write.
	if errors.Is(err, os.ErrInvalid) {
		return nil
	}
	return err
}

// writeFileFS writes data to name atomically through fsys: a temporary
// file beside name, written, synced and closed, renamed over name, then
// the directory synced. If a step before the rename fails the temporary
// file is removed and name is untouched. Errors name the step.
func writeFileFS(fsys fileSystem, name string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(name)
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the directory: %w", err)
	}
	f, err := fsys.CreateTemp(dir, tempPrefix+filepath.Base(name)+"-*")
	if err != nil {
		return fmt.Errorf("creating a temporary file: %w", err)
	}
	tmp, closed := f.Name(), false
	defer func() {
		if err != nil {
			if !closed {
				_ = f.Close()
			}
			_ = fsys.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing: %w", err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing: %w", err)
	}
	if err := fsys.Chmod(tmp, perm); err != nil {
		return fmt.Errorf("setting permissions: %w", err)
	}
	if err := fsys.Rename(tmp, name); err != nil {
		return fmt.Errorf("renaming into place: %w", err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("syncing the directory (the new content is in place): %w", err)
	}
	return nil
}

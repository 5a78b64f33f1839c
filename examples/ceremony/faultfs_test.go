package main

import (
	"errors"
	"os"
	"slices"
	"sync"
)

// fsOp names a file-system step that faultFS can fail.
type fsOp string

const (
	opCreate  fsOp = "create"
	opWrite   fsOp = "write"
	opSync    fsOp = "sync"
	opClose   fsOp = "close"
	opChmod   fsOp = "chmod"
	opRename  fsOp = "rename"
	opSyncDir fsOp = "syncdir"
	opMkdir   fsOp = "mkdir"
)

// errInjected is what faultFS returns at the failing step by default.
var errInjected = errors.New("injected fault")

// faultFS wraps a fileSystem and fails the failAt-th step (from 1) whose
// operation is in ops (every step when ops is empty). With crash set, that
// step and every later one fail and no clean-up happens, as if the process
// had died there.
type faultFS struct {
	base   fileSystem
	failAt int
	ops    []fsOp
	err    error
	crash  bool

	mu      sync.Mutex
	n       int
	fired   bool
	crashed bool
	log     []string
}

func (f *faultFS) step(op fsOp, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.crashed {
		return f.errLocked(op, name)
	}
	if len(f.ops) > 0 && !slices.Contains(f.ops, op) {
		return nil
	}
	f.n++
	f.log = append(f.log, string(op)+" "+name)
	if f.failAt > 0 && f.n == f.failAt {
		f.fired, f.crashed = true, f.crash
		return f.errLocked(op, name)
	}
	return nil
}

func (f *faultFS) errLocked(op fsOp, name string) error {
	err := f.err
	if err == nil {
		err = errInjected
	}
	return &os.PathError{Op: string(op), Path: name, Err: err}
}

// Fired reports whether the fault was injected.
func (f *faultFS) Fired() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// Log returns the counted steps in order.
func (f *faultFS) Log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

func (f *faultFS) CreateTemp(dir, pattern string) (tmpFile, error) {
	if err := f.step(opCreate, dir); err != nil {
		return nil, err
	}
	file, err := f.base.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{tmpFile: file, fs: f}, nil
}

func (f *faultFS) Chmod(name string, perm os.FileMode) error {
	if err := f.step(opChmod, name); err != nil {
		return err
	}
	return f.base.Chmod(name, perm)
}

func (f *faultFS) Rename(oldpath, newpath string) error {
	if err := f.step(opRename, newpath); err != nil {
		return err
	}
	return f.base.Rename(oldpath, newpath)
}

// Remove does nothing after a crash, leaving the temporary file behind as
// a dead process would.
func (f *faultFS) Remove(name string) error {
	f.mu.Lock()
	crashed := f.crashed
	f.mu.Unlock()
	if crashed {
		return f.errLocked("remove", name)
	}
	return f.base.Remove(name)
}

func (f *faultFS) SyncDir(dir string) error {
	if err := f.step(opSyncDir, dir); err != nil {
		return err
	}
	return f.base.SyncDir(dir)
}

func (f *faultFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := f.step(opMkdir, dir); err != nil {
		return err
	}
	return f.base.MkdirAll(dir, perm)
}

type faultFile struct {
	tmpFile
	fs *faultFS
}

func (ff *faultFile) Write(p []byte) (int, error) {
	if err := ff.fs.step(opWrite, ff.Name()); err != nil {
		// A full disk typically writes part of the data first.
		n, _ := ff.tmpFile.Write(p[:len(p)/2])
		return n, err
	}
	return ff.tmpFile.Write(p)
}

func (ff *faultFile) Sync() error {
	if err := ff.fs.step(opSync, ff.Name()); err != nil {
		return err
	}
	return ff.tmpFile.Sync()
}

func (ff *faultFile) Close() error {
	if err := ff.fs.step(opClose, ff.Name()); err != nil {
		_ = ff.tmpFile.Close()
		return err
	}
	return ff.tmpFile.Close()
}

package atomicfile

import (
	"errors"
	"os"
	"sync"
)

// Op names a file-system step that [FaultFS] can fail.
type Op string

// The steps FaultFS counts.
const (
	OpCreate  Op = "create"
	OpWrite   Op = "write"
	OpSync    Op = "sync"
	OpClose   Op = "close"
	OpChmod   Op = "chmod"
	OpRename  Op = "rename"
	OpSyncDir Op = "syncdir"
	OpMkdir   Op = "mkdir"
)

// ErrInjected is the error FaultFS returns by default at the failing step.
var ErrInjected = errors.New("atomicfile: injected fault")

// FaultFS wraps an FS and fails the FailAt-th step (counting from 1) whose
// Op is in Ops (every step when Ops is empty). It is a test aid: a loop
// that sets FailAt to 1, 2, 3... until [FaultFS.Fired] stays false has
// failed every step of an operation once.
//
// When Crash is true the failing step and every later step fail, and no
// clean-up (Remove) succeeds either, as if the process had died there.
type FaultFS struct {
	// Base is the file system to delegate to; nil means OS().
	Base FS
	// FailAt is the 1-based index of the step to fail; 0 never fails.
	FailAt int
	// Ops restricts which steps count; empty means all.
	Ops []Op
	// Err is returned at the failing step; nil means ErrInjected.
	Err error
	// Crash makes the failure permanent, as if the process stopped.
	Crash bool

	mu      sync.Mutex
	n       int
	fired   bool
	crashed bool
	// Log records each counted step, e.g. "rename repository/1.root.json".
	log []string
}

func (f *FaultFS) base() FS {
	if f.Base == nil {
		return OS()
	}
	return f.Base
}

// step counts one operation and returns the injected error if it is the
// one to fail.
func (f *FaultFS) step(op Op, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.crashed {
		return f.errLocked(op, name)
	}
	if len(f.Ops) > 0 {
		match := false
		for _, o := range f.Ops {
			if o == op {
				match = true
			}
		}
		if !match {
			return nil
		}
	}
	f.n++
	f.log = append(f.log, string(op)+" "+name)
	if f.FailAt > 0 && f.n == f.FailAt {
		f.fired = true
		if f.Crash {
			f.crashed = true
		}
		return f.errLocked(op, name)
	}
	return nil
}

func (f *FaultFS) errLocked(op Op, name string) error {
	err := f.Err
	if err == nil {
		err = ErrInjected
	}
	return &os.PathError{Op: string(op), Path: name, Err: err}
}

// Fired reports whether the fault was injected.
func (f *FaultFS) Fired() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// Steps returns how many steps were counted.
func (f *FaultFS) Steps() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// Log returns the counted steps in order.
func (f *FaultFS) Log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// CreateTemp implements FS.
func (f *FaultFS) CreateTemp(dir, pattern string) (File, error) {
	if err := f.step(OpCreate, dir); err != nil {
		return nil, err
	}
	file, err := f.base().CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

// Chmod implements FS.
func (f *FaultFS) Chmod(name string, perm os.FileMode) error {
	if err := f.step(OpChmod, name); err != nil {
		return err
	}
	return f.base().Chmod(name, perm)
}

// Rename implements FS.
func (f *FaultFS) Rename(oldpath, newpath string) error {
	if err := f.step(OpRename, newpath); err != nil {
		return err
	}
	return f.base().Rename(oldpath, newpath)
}

// Remove implements FS. After a crash it does nothing, leaving the
// temporary file behind as a dead process would.
func (f *FaultFS) Remove(name string) error {
	f.mu.Lock()
	crashed := f.crashed
	f.mu.Unlock()
	if crashed {
		return f.errLocked("remove", name)
	}
	return f.base().Remove(name)
}

// SyncDir implements FS.
func (f *FaultFS) SyncDir(dir string) error {
	if err := f.step(OpSyncDir, dir); err != nil {
		return err
	}
	return f.base().SyncDir(dir)
}

// MkdirAll implements FS.
func (f *FaultFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := f.step(OpMkdir, dir); err != nil {
		return err
	}
	return f.base().MkdirAll(dir, perm)
}

type faultFile struct {
	File
	fs *FaultFS
}

func (ff *faultFile) Write(p []byte) (int, error) {
	if err := ff.fs.step(OpWrite, ff.Name()); err != nil {
		// A full disk typically writes part of the data first.
		n, _ := ff.File.Write(p[:len(p)/2])
		return n, err
	}
	return ff.File.Write(p)
}

func (ff *faultFile) Sync() error {
	if err := ff.fs.step(OpSync, ff.Name()); err != nil {
		return err
	}
	return ff.File.Sync()
}

func (ff *faultFile) Close() error {
	if err := ff.fs.step(OpClose, ff.Name()); err != nil {
		_ = ff.File.Close()
		return err
	}
	return ff.File.Close()
}

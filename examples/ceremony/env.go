package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/trustroot/trustroot/signer"
)

// env is everything a command touches outside its arguments, so tests run
// the tool in-process with their own output buffers, file system seam,
// clock and PIN source.
type env struct {
	stdout io.Writer
	stderr io.Writer
	// stdin is where an interactive PIN prompt reads when it is not a
	// terminal (tests and scripts).
	stdin io.Reader
	// fs performs every write; tests substitute one that fails a chosen
	// step.
	fs fileSystem
	// now returns the current time.
	now func() time.Time
	// openFD opens an inherited file descriptor (for -pin-fd).
	openFD func(fd int) (io.ReadCloser, error)
	// readPassword reads a PIN from the terminal without echo; it fails
	// with errNotTerminal when stdin is not a terminal.
	readPassword func(ctx context.Context) ([]byte, error)
	// tokens holds the fake tokens "plugged in" for this process.
	tokens *fakeTokens
	// wrapSigner, when set, wraps every online or delegated signer the
	// tool opens (a test seam for misbehaving backends).
	wrapSigner func(spec string, s signer.Signer) signer.Signer
	// signTimeout bounds opening a KMS key and one online signature;
	// zero means 2 minutes.
	signTimeout time.Duration
	// sflags are the signer flags of the running command, nil when it
	// has none.
	sflags *signerFlags
	// opened holds the signers the running command opened, by spec.
	opened map[string]signer.Signer
}

func osEnv() *env {
	return &env{
		stdout: os.Stdout,
		stderr: os.Stderr,
		stdin:  os.Stdin,
		fs:     osFS{},
		now:    time.Now,
		openFD: func(fd int) (io.ReadCloser, error) {
			if err := checkPINFD(fd); err != nil {
				return nil, err
			}
			f := os.NewFile(uintptr(fd), fmt.Sprintf("fd %d", fd))
			if f == nil {
				return nil, fmt.Errorf("file descriptor %d is not open", fd)
			}
			return f, nil
		},
		readPassword: terminalPassword,
		tokens:       newFakeTokens(),
	}
}

// exitError carries an exit status through the command functions.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr reports bad command-line use (exit status 2).
func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// errSilent is returned by commands that already printed their failure
// (for instance verify -json) and only need a non-zero exit status.
var errSilent = errors.New("failed")

func (e *env) writeFile(name string, data []byte) error {
	if err := writeFileFS(e.fs, name, data, 0o644); err != nil {
		return fmt.Errorf("ceremony: writing %s: %w", filepath.ToSlash(name), err)
	}
	return nil
}

func (e *env) removeFile(name string) error {
	if err := e.fs.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("ceremony: removing %s: %w", filepath.ToSlash(name), err)
	}
	return nil
}

func (e *env) printf(format string, args ...any) {
	fmt.Fprintf(e.stdout, format, args...)
}

func (e *env) currentTime() time.Time {
	if e.now == nil {
		return time.Now()
	}
	return e.now()
}

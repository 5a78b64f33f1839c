package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// maxPIN bounds what is read as a PIN (PIV PINs are 6-8 bytes).
const maxPIN = 64

// pinSource returns a PIN callback reading from the file descriptor fd
// (when fd >= 0) or else from an interactive prompt. The PIN is read only
// when the token asks for it, after the key check, and at most once per
// call; it is never stored beyond the callback's return.
func pinSource(e *env, fd int, what string) func(ctx context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if fd >= 0 {
			if e.openFD == nil {
				return nil, fmt.Errorf("ceremony: cannot open file descriptor %d", fd)
			}
			rc, err := e.openFD(fd)
			if err != nil {
				return nil, fmt.Errorf("ceremony: reading the %s from file descriptor %d: %w", what, fd, err)
			}
			defer rc.Close()
			return readSecretLine(rc, what)
		}
		fmt.Fprintf(e.stderr, "Enter the %s: ", what)
		if e.readPassword != nil {
			p, err := interruptible(ctx, func() ([]byte, error) { return e.readPassword(ctx) })
			if err == nil || !errors.Is(err, errNotTerminal) {
				fmt.Fprintln(e.stderr)
				if err != nil {
					if ctx.Err() != nil {
						return nil, fmt.Errorf("ceremony: interrupted while waiting for the %s: %w", what, err)
					}
					return nil, fmt.Errorf("ceremony: reading the %s: %w", what, err)
				}
				if len(p) == 0 || len(p) > maxPIN {
					clear(p)
					return nil, fmt.Errorf("ceremony: the %s must be 1..%d characters", what, maxPIN)
				}
				return p, nil
			}
		}
		if e.stdin == nil {
			return nil, fmt.Errorf("ceremony: no terminal to ask for the %s; use -pin-fd", what)
		}
		p, err := interruptible(ctx, func() ([]byte, error) { return readSecretLine(e.stdin, what) })
		if err != nil && ctx.Err() != nil {
			fmt.Fprintln(e.stderr)
			return nil, fmt.Errorf("ceremony: interrupted while waiting for the %s: %w", what, err)
		}
		return p, err
	}
}

// interruptible returns read's result, or ctx's error as soon as ctx is
// done: a prompt blocks in a read that a signal cannot interrupt, and
// main turns Ctrl-C into a cancelled context, so without this an
// interrupted prompt would wait for Enter. A secret read after the
// return is cleared.
func interruptible(ctx context.Context, read func() ([]byte, error)) ([]byte, error) {
	type result struct {
		p   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		p, err := read()
		ch <- result{p, err}
	}()
	select {
	case r := <-ch:
		return r.p, r.err
	case <-ctx.Done():
		go func() { clear((<-ch).p) }()
		return nil, ctx.Err()
	}
}

func readSecretLine(r io.Reader, what string) ([]byte, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxPIN+2), maxPIN+2)
	line, err := br.ReadSlice('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("ceremony: reading the %s: %w", what, err)
	}
	p := make([]byte, 0, len(line))
	for _, c := range line {
		if c != '\n' && c != '\r' {
			p = append(p, c)
		}
	}
	if len(p) == 0 {
		return nil, fmt.Errorf("ceremony: no %s given", what)
	}
	if len(p) > maxPIN {
		return nil, fmt.Errorf("ceremony: the %s is longer than %d characters", what, maxPIN)
	}
	return p, nil
}

var errNotTerminal = errors.New("stdin is not a terminal")

// terminalPassword reads a line from the terminal without echo. If ctx is
// done first (Ctrl-C), it turns echo back on at once, because the blocked
// read never returns to do so before the process exits.
func terminalPassword(ctx context.Context) ([]byte, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, errNotTerminal
	}
	if old, err := term.GetState(fd); err == nil {
		stop := context.AfterFunc(ctx, func() { _ = term.Restore(fd, old) })
		defer stop()
	}
	return term.ReadPassword(fd)
}

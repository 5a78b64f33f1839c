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
			if p, err := e.readPassword(""); err == nil || !errors.Is(err, errNotTerminal) {
				fmt.Fprintln(e.stderr)
				if err != nil {
					return nil, fmt.Errorf("ceremony: reading the %s: %w", what, err)
				}
				if len(p) == 0 || len(p) > maxPIN {
					return nil, fmt.Errorf("ceremony: the %s must be 1..%d characters", what, maxPIN)
				}
				return p, nil
			}
		}
		if e.stdin == nil {
			return nil, fmt.Errorf("ceremony: no terminal to ask for the %s; use -pin-fd", what)
		}
		return readSecretLine(e.stdin, what)
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

func terminalPassword(string) ([]byte, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, errNotTerminal
	}
	return term.ReadPassword(fd)
}

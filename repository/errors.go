package repository

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by every error about bad input to a builder:
	// a version below 1, a missing expiry, a target name that is not a
	// clean relative path, a bad role name, threshold or custom
	// metadata, a snapshot not yet signed. Files that cannot be read wrap
	// root.ErrMalformed instead; refused signatures are a
	// *root.SignatureError.
	ErrInvalid = errors.New("repository: invalid input")
	// ErrHashMismatch means content does not match the hashes that
	// metadata lists for it.
	ErrHashMismatch = errors.New("hash mismatch")
	// ErrLengthMismatch means content does not have the length that
	// metadata lists for it.
	ErrLengthMismatch = errors.New("length mismatch")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// sentinelError is an error with its own message that wraps a sentinel,
// so the sentinel's text is not repeated in the message.
type sentinelError struct {
	msg string
	err error
}

func (e *sentinelError) Error() string { return e.msg }
func (e *sentinelError) Unwrap() error { return e.err }

func errf(sentinel error, format string, args ...any) error {
	return &sentinelError{msg: fmt.Sprintf(format, args...), err: sentinel}
}

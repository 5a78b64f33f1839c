package repository

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by every error about bad input: a version
	// below 1, a missing expiry, a target name that is not a clean
	// relative path, a bad role name, threshold or custom metadata.
	ErrInvalid = errors.New("repository: invalid input")
	// ErrMalformed is wrapped when ParseTargets cannot read a file.
	ErrMalformed = errors.New("repository: malformed metadata")
	// ErrKeyNotInRole means a signer's public key is not among the keys
	// of the role whose metadata it was asked to sign.
	ErrKeyNotInRole = errors.New("repository: signer's key is not a key of the role")
	// ErrBadSignature means a signer returned a signature that does not
	// verify under its key; nothing was added.
	ErrBadSignature = errors.New("repository: signature does not verify")
	// ErrUnsigned means metadata that must be signed first is not, e.g.
	// a snapshot handed to NewTimestamp.
	ErrUnsigned = errors.New("repository: metadata is not signed")
)

// SignError reports a failed signature over a role's metadata. It wraps
// the signer's error, [ErrKeyNotInRole] or [ErrBadSignature].
type SignError struct {
	// Role is the role whose metadata was being signed.
	Role string
	// KeyID is the role key the signer holds, or "" when it holds none.
	KeyID string
	// Err is the cause.
	Err error
}

// Error describes the failure.
func (e *SignError) Error() string {
	if e.KeyID == "" {
		return fmt.Sprintf("repository: signing %s: %v", e.Role, e.Err)
	}
	return fmt.Sprintf("repository: signing %s with key %s: %v", e.Role, e.KeyID, e.Err)
}

// Unwrap returns the cause.
func (e *SignError) Unwrap() error { return e.Err }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

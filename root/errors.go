package root

import (
	"errors"
	"fmt"

	"github.com/trustroot/trustroot/internal/tufmeta"
)

var (
	// ErrMalformed is wrapped by every error about metadata that cannot
	// be read or breaks a structural rule, in every package of this
	// module: root.Parse, the repository parsers and package verify.
	ErrMalformed = tufmeta.ErrMalformed
	// ErrInvalidPolicy is wrapped by errors about an impossible policy or
	// rotation: thresholds out of range, unknown or missing roles, one
	// public key listed under two key IDs, a key ID meaning different keys
	// in N and N+1, a key object publishing its private key, a missing
	// expiry. Such errors are also a [*PolicyError].
	ErrInvalidPolicy = errors.New("root: invalid policy")
	// ErrInvalidKey is wrapped by errors about a key that cannot be used.
	ErrInvalidKey = errors.New("root: invalid key")
	// ErrBadSignature is wrapped when a signature does not verify. Such
	// errors are also a [*SignatureError].
	ErrBadSignature = errors.New("signature does not verify")
	// ErrUnknownKey is wrapped when a signature's key ID is not a key of
	// the role that must sign (for a root: a root key of the root or of
	// the previous root). Such errors are also a [*SignatureError].
	ErrUnknownKey = errors.New("signature key is not a key of the role")
)

// PolicyError describes why a policy or rotation was refused. It unwraps
// to [ErrInvalidPolicy].
type PolicyError struct {
	// Role is the role at fault, or "" when the problem is not tied to
	// one role.
	Role Role
	// KeyID is the key at fault, if any.
	KeyID KeyID
	// Reason explains the problem.
	Reason string
}

// Error describes the failure; it never includes secrets.
func (e *PolicyError) Error() string {
	s := "root: invalid policy"
	if e.Role != "" {
		s += fmt.Sprintf(": role %q", string(e.Role))
	}
	if e.KeyID != "" {
		s += fmt.Sprintf(": key %s", shortID(e.KeyID))
	}
	return s + ": " + e.Reason
}

// Unwrap returns ErrInvalidPolicy.
func (e *PolicyError) Unwrap() error { return ErrInvalidPolicy }

func policyErr(role Role, id KeyID, format string, args ...any) error {
	return &PolicyError{Role: role, KeyID: id, Reason: fmt.Sprintf(format, args...)}
}

// SignatureError reports a signature that was refused, by this package or
// by package repository. It unwraps to the reason: [ErrBadSignature],
// [ErrUnknownKey], or a signer's error.
type SignatureError struct {
	// Role is the role whose metadata was signed.
	Role Role
	// KeyID is the signature's key ID, "" when the signer's key is none
	// of the role's.
	KeyID KeyID
	// Err is the reason.
	Err error
}

// Error describes the failure; it never includes secrets.
func (e *SignatureError) Error() string {
	if e.KeyID == "" {
		return fmt.Sprintf("%s: signing: %v", e.Role, e.Err)
	}
	return fmt.Sprintf("%s: signature under key %s refused: %v", e.Role, shortID(e.KeyID), e.Err)
}

// Unwrap returns the reason.
func (e *SignatureError) Unwrap() error { return e.Err }

// shortID shortens a key ID for messages; full IDs are available from the
// typed errors.
func shortID(id KeyID) string { return tufmeta.ShortID(string(id)) }

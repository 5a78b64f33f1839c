package signer

import (
	"context"
	"crypto"
	"errors"
)

// Signer signs messages with one private key.
//
// # Contract
//
// Public must return the signer's public key (*ecdsa.PublicKey,
// ed25519.PublicKey or *rsa.PublicKey) without blocking and without touching
// hardware; callers use it to find the key in a root before they ask anyone
// for a PIN.
//
// Sign signs message itself, not a digest: the implementation hashes it as
// the key requires (see [HashFor]): SHA-256 for ECDSA P-256 and RSASSA-PSS,
// SHA-384 for ECDSA P-384, SHA-512 for ECDSA P-521, and none for Ed25519,
// which signs the message directly. ECDSA signatures are ASN.1 DER, RSA signatures are PSS with a
// salt as long as the hash.
//
// Sign may block for as long as a person needs to type a PIN or touch a
// token. It must return promptly once ctx is done, with an error that wraps
// ctx.Err(). Implementations must be safe for concurrent use; a backend that
// can only do one operation at a time (a smart card) serialises internally.
//
// Errors wrap their cause, so callers can test them with errors.Is and
// errors.As through any number of layers: a wrong PIN wraps [ErrWrongPIN]
// (and is a [*PINError] carrying the retries left), a blocked PIN wraps
// [ErrPINBlocked], a key that is not where it should be wraps
// [ErrKeyNotFound], and a token holding a different key than expected wraps
// [ErrWrongKey]. No error ever contains a PIN, a management key or private
// key material.
type Signer interface {
	Public() crypto.PublicKey
	Sign(ctx context.Context, message []byte) ([]byte, error)
}

var (
	// ErrWrongPIN means the token rejected the PIN. The error is also a
	// *PINError that says how many tries are left.
	ErrWrongPIN = errors.New("signer: wrong PIN")
	// ErrPINBlocked means the token has no PIN tries left; it must be
	// unblocked with the PUK or reset.
	ErrPINBlocked = errors.New("signer: PIN blocked")
	// ErrKeyNotFound means there is no key where the signer expected one
	// (an empty slot, a deleted KMS key, a missing file).
	ErrKeyNotFound = errors.New("signer: key not found")
	// ErrWrongKey means the signer holds a different key from the one the
	// caller expected, for instance the wrong YubiKey was plugged in.
	ErrWrongKey = errors.New("signer: wrong key")
)

// PINError reports a PIN the token refused. It unwraps to [ErrWrongPIN], or
// to [ErrPINBlocked] once Retries reaches zero. It never holds the PIN.
type PINError struct {
	// Retries is how many PIN tries the token has left.
	Retries int
}

// Error describes the failure; it never includes secrets.
func (e *PINError) Error() string {
	if e.Retries <= 0 {
		return "signer: PIN blocked: no tries left"
	}
	if e.Retries == 1 {
		return "signer: wrong PIN: 1 try left"
	}
	return "signer: wrong PIN: " + itoa(e.Retries) + " tries left"
}

// Unwrap returns ErrPINBlocked when no tries are left and ErrWrongPIN
// otherwise.
func (e *PINError) Unwrap() error {
	if e.Retries <= 0 {
		return ErrPINBlocked
	}
	return ErrWrongPIN
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

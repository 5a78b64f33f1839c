package signer

import "errors"

var (
	// ErrUnsupportedKey means a key is not one a TUF root can hold: ECDSA
	// P-256, P-384 or P-521, Ed25519, or RSA of 2048 to 8192 bits.
	ErrUnsupportedKey = errors.New("signer: unsupported key")
	// ErrInvalidSignature means a backend returned a signature that does
	// not verify under its own public key (a wrong hash, PKCS #1 v1.5
	// instead of PSS, a fault). The adapters in this package and in
	// signer/sigstore check every signature before they return it.
	ErrInvalidSignature = errors.New("signer: invalid signature")
	// ErrWrongPassword means an encrypted private key could not be
	// decrypted with the password given, or needs a password and none was
	// given.
	ErrWrongPassword = errors.New("signer: wrong or missing password")
)

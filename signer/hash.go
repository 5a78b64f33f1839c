package signer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
)

// Bounds on the keys this package accepts.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// HashFor returns the hash a signature by pub is made over: SHA-256 for
// ECDSA P-256 and for RSA (RSASSA-PSS, salt as long as the hash), SHA-384
// for ECDSA P-384, SHA-512 for ECDSA P-521, and zero for Ed25519, which
// signs the message itself.
//
// It rejects every other key: other curves, RSA keys shorter than 2048 or
// longer than 8192 bits, and public keys of any other type (including
// pointers to ed25519.PublicKey). The error wraps [ErrUnsupportedKey].
func HashFor(pub crypto.PublicKey) (crypto.Hash, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil {
			return 0, fmt.Errorf("signer: nil ECDSA public key: %w", ErrUnsupportedKey)
		}
		switch k.Curve {
		case elliptic.P256():
			return crypto.SHA256, nil
		case elliptic.P384():
			return crypto.SHA384, nil
		case elliptic.P521():
			return crypto.SHA512, nil
		}
		name := "unknown"
		if k.Curve != nil && k.Curve.Params() != nil {
			name = k.Curve.Params().Name
		}
		return 0, fmt.Errorf("signer: ECDSA curve %s (want P-256, P-384 or P-521): %w", name, ErrUnsupportedKey)
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return 0, fmt.Errorf("signer: Ed25519 public key of %d bytes (want %d): %w", len(k), ed25519.PublicKeySize, ErrUnsupportedKey)
		}
		return 0, nil
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return 0, fmt.Errorf("signer: nil RSA public key: %w", ErrUnsupportedKey)
		}
		if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return 0, fmt.Errorf("signer: RSA key of %d bits (want %d to %d): %w", bits, minRSABits, maxRSABits, ErrUnsupportedKey)
		}
		return crypto.SHA256, nil
	case nil:
		return 0, fmt.Errorf("signer: no public key: %w", ErrUnsupportedKey)
	}
	return 0, fmt.Errorf("signer: public key type %T (want *ecdsa.PublicKey, ed25519.PublicKey or *rsa.PublicKey): %w", pub, ErrUnsupportedKey)
}

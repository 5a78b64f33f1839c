package signer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// Bounds on the keys this package accepts.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// HashFor returns the hash a signature by pub is made over: SHA-256 for
// ECDSA P-256 and for RSA (RSASSA-PSS, salt as long as the hash), SHA-384
// for ECDSA P-384, and zero for Ed25519, which signs the message itself.
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
		}
		name := "unknown"
		if k.Curve != nil && k.Curve.Params() != nil {
			name = k.Curve.Params().Name
		}
		return 0, fmt.Errorf("signer: ECDSA curve %s (want P-256 or P-384): %w", name, ErrUnsupportedKey)
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

// signerOpts returns the crypto.SignerOpts a crypto.Signer needs to make
// the signature this package's contract describes for pub.
func signerOpts(pub crypto.PublicKey, h crypto.Hash) crypto.SignerOpts {
	if _, ok := pub.(*rsa.PublicKey); ok {
		return &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	return h
}

// digest hashes message with h; h == 0 returns message unchanged.
func digest(h crypto.Hash, message []byte) []byte {
	if h == 0 {
		return message
	}
	d := h.New()
	d.Write(message)
	return d.Sum(nil)
}

// errBadSignature is the cause verify reports; callers wrap it with
// ErrInvalidSignature.
var errBadSignature = errors.New("signature does not verify")

// verify checks sig over message under pub exactly as the contract
// requires: ECDSA ASN.1 DER with the key's hash, RSASSA-PSS with SHA-256
// and a salt as long as the hash, pure Ed25519.
func verify(pub crypto.PublicKey, message, sig []byte) error {
	h, err := HashFor(pub)
	if err != nil {
		return err
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest(h, message), sig) {
			return errBadSignature
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(k, message, sig) {
			return errBadSignature
		}
	case *rsa.PublicKey:
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
		if err := rsa.VerifyPSS(k, h, digest(h, message), sig, opts); err != nil {
			return errBadSignature
		}
	}
	return nil
}

// checkSignature verifies sig made by a backend. An ECDSA signature in the
// fixed-size IEEE P1363 form (r || s), which some KMS and HSM backends
// return, is converted to DER first. It returns the signature to hand out.
func checkSignature(pub crypto.PublicKey, message, sig []byte) ([]byte, error) {
	if k, ok := pub.(*ecdsa.PublicKey); ok {
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) == 2*size && verify(pub, message, sig) != nil {
			sig = p1363ToDER(sig[:size], sig[size:])
		}
	}
	if err := verify(pub, message, sig); err != nil {
		return nil, fmt.Errorf("signer: the backend's signature does not verify under its public key: %w", ErrInvalidSignature)
	}
	return sig, nil
}

func p1363ToDER(r, s []byte) []byte {
	out, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(r), new(big.Int).SetBytes(s)})
	if err != nil {
		return nil
	}
	return out
}

// Package adapter holds what package signer and its adapter subpackages
// (signer/sigstore, signer/pemfile) share: the check every signature a
// backend returns goes through before it is handed out, the
// crypto.SignerOpts a key needs, and a mutex that gives up when a context
// ends. It uses the standard library only.
//
// The functions take the hash signer.HashFor chose for the key and return
// bare causes; the callers wrap them with their package prefix and the
// signer sentinels.
package adapter

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// ErrBadSignature means a signature does not verify.
var ErrBadSignature = errors.New("signature does not verify")

// Opts returns the crypto.SignerOpts a crypto.Signer needs to make the
// signature the signer contract describes for pub: RSASSA-PSS with a salt
// as long as the hash for RSA keys, the hash alone otherwise.
func Opts(pub crypto.PublicKey, h crypto.Hash) crypto.SignerOpts {
	if _, ok := pub.(*rsa.PublicKey); ok {
		return &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	return h
}

// Digest hashes message with h; h == 0 (Ed25519) returns message itself.
func Digest(h crypto.Hash, message []byte) []byte {
	if h == 0 {
		return message
	}
	d := h.New()
	d.Write(message)
	return d.Sum(nil)
}

// Verify checks sig over message under pub exactly as the signer contract
// requires, with h the hash signer.HashFor returned for pub: ECDSA ASN.1
// DER over the hash, RSASSA-PSS with a salt as long as the hash, pure
// Ed25519. It fails with ErrBadSignature, also for a key of another type.
func Verify(pub crypto.PublicKey, h crypto.Hash, message, sig []byte) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if h == 0 || !ecdsa.VerifyASN1(k, Digest(h, message), sig) {
			return ErrBadSignature
		}
	case ed25519.PublicKey:
		if h != 0 || !ed25519.Verify(k, message, sig) {
			return ErrBadSignature
		}
	case *rsa.PublicKey:
		if h == 0 {
			return ErrBadSignature
		}
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
		if err := rsa.VerifyPSS(k, h, Digest(h, message), sig, opts); err != nil {
			return ErrBadSignature
		}
	default:
		return ErrBadSignature
	}
	return nil
}

// Check verifies sig made by a backend and returns the signature to hand
// out. An ECDSA signature in the fixed-size IEEE P1363 form (r || s),
// which some KMS and HSM backends return, is converted to DER first. It
// fails with ErrBadSignature.
func Check(pub crypto.PublicKey, h crypto.Hash, message, sig []byte) ([]byte, error) {
	if k, ok := pub.(*ecdsa.PublicKey); ok && k.Curve != nil {
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) == 2*size && Verify(pub, h, message, sig) != nil {
			if der, err := p1363ToDER(sig[:size], sig[size:]); err == nil {
				sig = der
			}
		}
	}
	if err := Verify(pub, h, message, sig); err != nil {
		return nil, err
	}
	return sig, nil
}

func p1363ToDER(r, s []byte) ([]byte, error) {
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(r), new(big.Int).SetBytes(s)})
}

// Lock is a mutex whose Lock gives up when a context ends, so a Sign
// waiting behind another one still returns promptly when cancelled. Make
// one with NewLock.
type Lock chan struct{}

// NewLock returns an unlocked Lock.
func NewLock() Lock { return make(Lock, 1) }

// Lock takes the lock, or fails with an error wrapping ctx.Err() once ctx
// is done; it never takes the lock for a context that has ended.
func (l Lock) Lock(ctx context.Context) error {
	select {
	case l <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for the signer: %w", ctx.Err())
	}
	// Both cases can be ready at once; never sign for an ended context.
	if err := ctx.Err(); err != nil {
		l.Unlock()
		return err
	}
	return nil
}

// Unlock releases the lock.
func (l Lock) Unlock() { <-l }

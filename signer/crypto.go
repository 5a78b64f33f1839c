package signer

import (
	"context"
	"crypto"
	"crypto/rand"
	"fmt"
)

// FromCryptoSigner returns a Signer that signs with s, hashing as the
// contract requires for s's public key (see [HashFor]): ECDSA signatures
// are ASN.1 DER over SHA-256 (P-256) or SHA-384 (P-384), RSA signatures
// are RSASSA-PSS over SHA-256 with a 32-byte salt, Ed25519 signs the
// message itself. s may be a software key (*ecdsa.PrivateKey,
// ed25519.PrivateKey, *rsa.PrivateKey) or any hardware- or KMS-backed
// crypto.Signer.
//
// The public key is read once, here. Every signature is checked under it
// before it is returned, so a backend that hashes or pads differently, or
// signs with another key, fails with [ErrInvalidSignature] instead of
// producing a signature nobody will accept. An ECDSA backend that returns
// the raw r||s form is converted to DER.
//
// A crypto.Signer cannot be interrupted: Sign checks ctx before it calls
// s and again afterwards (discarding the signature if ctx ended
// meanwhile), but cannot return while s.Sign is running. Calls to s are
// serialised, so s need not be safe for concurrent use.
func FromCryptoSigner(s crypto.Signer) (Signer, error) {
	if s == nil {
		return nil, fmt.Errorf("signer: nil crypto.Signer")
	}
	pub := s.Public()
	h, err := HashFor(pub)
	if err != nil {
		return nil, err
	}
	return &cryptoSigner{s: s, pub: pub, hash: h, opts: signerOpts(pub, h), lock: newLock()}, nil
}

type cryptoSigner struct {
	lock ctxLock
	s    crypto.Signer
	pub  crypto.PublicKey
	hash crypto.Hash
	opts crypto.SignerOpts
}

var _ Signer = (*cryptoSigner)(nil)

func (c *cryptoSigner) Public() crypto.PublicKey { return c.pub }

func (c *cryptoSigner) Sign(ctx context.Context, message []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	d := digest(c.hash, message)
	if err := c.lock.lock(ctx); err != nil {
		return nil, err
	}
	sig, err := c.s.Sign(rand.Reader, d, c.opts)
	c.lock.unlock()
	if err != nil {
		return nil, fmt.Errorf("signer: signing: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	return checkSignature(c.pub, message, sig)
}

// ctxLock is a mutex whose Lock gives up when a context ends, so a Sign
// waiting behind another one still returns promptly when cancelled.
type ctxLock chan struct{}

func newLock() ctxLock { return make(ctxLock, 1) }

func (l ctxLock) lock(ctx context.Context) error {
	select {
	case l <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("signer: waiting for the signer: %w", ctx.Err())
	}
	// Both cases can be ready at once; never sign for an ended context.
	if err := ctx.Err(); err != nil {
		l.unlock()
		return fmt.Errorf("signer: %w", err)
	}
	return nil
}

func (l ctxLock) unlock() { <-l }

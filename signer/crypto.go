package signer

import (
	"context"
	"crypto"
	"crypto/rand"
	"fmt"

	"github.com/trustroot/trustroot/signer/internal/adapter"
)

// FromCryptoSigner returns a Signer that signs with s, hashing as the
// contract requires for s's public key (see [HashFor]): ECDSA signatures
// are ASN.1 DER over SHA-256 (P-256), SHA-384 (P-384) or SHA-512
// (P-521), RSA signatures are RSASSA-PSS over SHA-256 with a 32-byte
// salt, Ed25519 signs the message itself. s may be a software key (*ecdsa.PrivateKey,
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
	return &cryptoSigner{s: s, pub: pub, hash: h, opts: adapter.Opts(pub, h), lock: adapter.NewLock()}, nil
}

type cryptoSigner struct {
	lock adapter.Lock
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
	d := adapter.Digest(c.hash, message)
	if err := c.lock.Lock(ctx); err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	sig, err := c.s.Sign(rand.Reader, d, c.opts)
	c.lock.Unlock()
	if err != nil {
		return nil, fmt.Errorf("signer: signing: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	out, err := adapter.Check(c.pub, c.hash, message, sig)
	if err != nil {
		return nil, fmt.Errorf("signer: the backend's signature does not verify under its public key: %w", ErrInvalidSignature)
	}
	return out, nil
}

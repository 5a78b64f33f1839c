package signer

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// maxMessageSize bounds the messages the sigstore adapters read from an
// io.Reader. Metadata is far smaller; the bound keeps a mistaken reader
// from exhausting memory.
const maxMessageSize = 64 << 20

// maxSignatureSize bounds a signature read from an io.Reader (an RSA-8192
// signature is 1 KiB).
const maxSignatureSize = 4 << 10

// FromSigstore returns a Signer that signs through a sigstore/sigstore
// signature.Signer, such as one from sigstore's kms.Get or
// signature.LoadSigner. Sign passes its ctx to the backend with
// options.WithContext and asks for the key's hash with
// options.WithCryptoSignerOpts; backends that honour the context (the KMS
// providers do) stop when it ends.
//
// The public key is read once, here, without a context; use [LoadKMS] to
// pass one. Every signature is checked under it before it is returned: a
// backend that signs RSA keys with PKCS #1 v1.5 (signature.LoadSigner
// does) or hashes with the wrong function fails with
// [ErrInvalidSignature]. Backend errors are wrapped, never replaced.
// Calls to s are serialised, because sigstore does not promise that its
// signers are safe for concurrent use (its RSAPSSSigner is not).
func FromSigstore(s signature.Signer) (Signer, error) {
	return fromSigstore(context.Background(), s)
}

func fromSigstore(ctx context.Context, s signature.Signer) (*sigstoreSigner, error) {
	if s == nil {
		return nil, errors.New("signer: nil sigstore signer")
	}
	pub, err := s.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signer: reading the sigstore signer's public key: %w", err)
	}
	h, err := HashFor(pub)
	if err != nil {
		return nil, err
	}
	return &sigstoreSigner{s: s, pub: pub, hash: h, lock: newLock()}, nil
}

type sigstoreSigner struct {
	s    signature.Signer
	pub  crypto.PublicKey
	hash crypto.Hash
	lock ctxLock
}

var _ Signer = (*sigstoreSigner)(nil)

func (s *sigstoreSigner) Public() crypto.PublicKey { return s.pub }

func (s *sigstoreSigner) Sign(ctx context.Context, message []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	opts := []signature.SignOption{options.WithContext(ctx)}
	if s.hash != 0 {
		opts = append(opts, options.WithCryptoSignerOpts(signerOpts(s.pub, s.hash)))
	}
	if err := s.lock.lock(ctx); err != nil {
		return nil, err
	}
	sig, err := s.s.SignMessage(bytes.NewReader(message), opts...)
	s.lock.unlock()
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			return nil, fmt.Errorf("signer: sigstore signer: %w (%w)", err, cerr)
		}
		return nil, fmt.Errorf("signer: sigstore signer: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	return checkSignature(s.pub, message, sig)
}

// ToSigstore returns s as a sigstore/sigstore signature.SignerVerifier, so
// a trustroot signer can be used wherever sigstore's are expected, for
// instance go-tuf's metadata.Sign. Signatures it makes verify with go-tuf's
// VerifyDelegate. (go-tuf's Sign computes the key ID from the public key
// with its own default scheme, which for P-384 keys is wrong; the root
// package's Sign does not have that problem.)
//
// SignMessage and VerifySignature read at most 64 MiB.
// SignMessage takes its context from options.WithContext (default
// context.Background()); it refuses a precomputed digest
// (options.WithDigest) and a hash other than the key's, because a Signer
// signs messages, not digests. VerifySignature checks exactly the
// signature form Sign produces and ignores options other than those.
func ToSigstore(s Signer) signature.SignerVerifier {
	return &toSigstore{s: s}
}

type toSigstore struct{ s Signer }

var _ signature.SignerVerifier = (*toSigstore)(nil)

func (t *toSigstore) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	pub := t.s.Public()
	if _, err := HashFor(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// messageOptions applies sigstore options and rejects what a message signer
// cannot honour.
func messageOptions(pub crypto.PublicKey, opts []signature.MessageOption) error {
	h, err := HashFor(pub)
	if err != nil {
		return err
	}
	var d []byte
	var so crypto.SignerOpts = h
	for _, o := range opts {
		o.ApplyDigest(&d)
		o.ApplyCryptoSignerOpts(&so)
	}
	if d != nil {
		return errors.New("signer: cannot sign or verify a precomputed digest; pass the message")
	}
	if so == nil || so.HashFunc() != h {
		return fmt.Errorf("signer: hash %v requested, but this key uses %v", hashName(so), hashName(h))
	}
	return nil
}

func hashName(o crypto.SignerOpts) string {
	if o == nil || o.HashFunc() == 0 {
		return "none (pure Ed25519)"
	}
	return o.HashFunc().String()
}

func readMessage(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, errors.New("signer: nil message reader")
	}
	b, err := io.ReadAll(io.LimitReader(r, maxMessageSize+1))
	if err != nil {
		return nil, fmt.Errorf("signer: reading message: %w", err)
	}
	if len(b) > maxMessageSize {
		return nil, fmt.Errorf("signer: message longer than %d bytes", maxMessageSize)
	}
	return b, nil
}

func (t *toSigstore) SignMessage(message io.Reader, opts ...signature.SignOption) ([]byte, error) {
	ctx := context.Background()
	mopts := make([]signature.MessageOption, 0, len(opts))
	for _, o := range opts {
		o.ApplyContext(&ctx)
		mopts = append(mopts, o)
	}
	if err := messageOptions(t.s.Public(), mopts); err != nil {
		return nil, err
	}
	m, err := readMessage(message)
	if err != nil {
		return nil, err
	}
	return t.s.Sign(ctx, m)
}

func (t *toSigstore) VerifySignature(sig, message io.Reader, opts ...signature.VerifyOption) error {
	pub := t.s.Public()
	mopts := make([]signature.MessageOption, 0, len(opts))
	for _, o := range opts {
		mopts = append(mopts, o)
	}
	if err := messageOptions(pub, mopts); err != nil {
		return err
	}
	if sig == nil {
		return errors.New("signer: nil signature reader")
	}
	s, err := io.ReadAll(io.LimitReader(sig, maxSignatureSize+1))
	if err != nil {
		return fmt.Errorf("signer: reading signature: %w", err)
	}
	if len(s) > maxSignatureSize {
		return fmt.Errorf("signer: signature longer than %d bytes: %w", maxSignatureSize, ErrInvalidSignature)
	}
	m, err := readMessage(message)
	if err != nil {
		return err
	}
	if err := verify(pub, m, s); err != nil {
		return fmt.Errorf("signer: %w: %w", ErrInvalidSignature, err)
	}
	return nil
}

package sigstore

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/internal/adapter"
)

// maxMessageSize bounds the messages the adapters read from an io.Reader.
// Metadata is far smaller; the bound keeps a mistaken reader from
// exhausting memory.
const maxMessageSize = 64 << 20

// maxSignatureSize bounds a signature read from an io.Reader (an RSA-8192
// signature is 1 KiB).
const maxSignatureSize = 4 << 10

// FromSigner returns a [signer.Signer] that signs through a
// sigstore/sigstore signature.Signer, such as one from sigstore's kms.Get
// or signature.LoadSigner. Sign passes its ctx to the backend with
// options.WithContext and asks for the key's hash (see [signer.HashFor])
// with options.WithCryptoSignerOpts; backends that honour the context (the
// KMS providers do) stop when it ends.
//
// The public key is read once, here, without a context; use [LoadKMS] to
// pass one. Every signature is checked under it before it is returned: a
// backend that signs RSA keys with PKCS #1 v1.5 (signature.LoadSigner
// does) or hashes with the wrong function fails with
// [signer.ErrInvalidSignature]. Backend errors are wrapped, never
// replaced. Calls to s are serialised, because sigstore does not promise
// that its signers are safe for concurrent use (its RSAPSSSigner is not).
func FromSigner(s signature.Signer) (signer.Signer, error) {
	return fromSigner(context.Background(), s)
}

func fromSigner(ctx context.Context, s signature.Signer) (*sigstoreSigner, error) {
	if s == nil {
		return nil, errors.New("signer/sigstore: nil sigstore signer")
	}
	pub, err := s.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signer/sigstore: reading the sigstore signer's public key: %w", err)
	}
	h, err := signer.HashFor(pub)
	if err != nil {
		return nil, err
	}
	return &sigstoreSigner{s: s, pub: pub, hash: h, lock: adapter.NewLock()}, nil
}

type sigstoreSigner struct {
	s    signature.Signer
	pub  crypto.PublicKey
	hash crypto.Hash
	lock adapter.Lock
}

var _ signer.Signer = (*sigstoreSigner)(nil)

func (s *sigstoreSigner) Public() crypto.PublicKey { return s.pub }

func (s *sigstoreSigner) Sign(ctx context.Context, message []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signer/sigstore: %w", err)
	}
	opts := []signature.SignOption{options.WithContext(ctx)}
	if s.hash != 0 {
		opts = append(opts, options.WithCryptoSignerOpts(adapter.Opts(s.pub, s.hash)))
	}
	if err := s.lock.Lock(ctx); err != nil {
		return nil, fmt.Errorf("signer/sigstore: %w", err)
	}
	sig, err := s.s.SignMessage(bytes.NewReader(message), opts...)
	s.lock.Unlock()
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			return nil, fmt.Errorf("signer/sigstore: sigstore signer: %w (%w)", err, cerr)
		}
		return nil, fmt.Errorf("signer/sigstore: sigstore signer: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signer/sigstore: %w", err)
	}
	out, err := adapter.Check(s.pub, s.hash, message, sig)
	if err != nil {
		return nil, fmt.Errorf("signer/sigstore: the backend's signature does not verify under its public key: %w", signer.ErrInvalidSignature)
	}
	return out, nil
}

// ToSignerVerifier returns s as a sigstore/sigstore
// signature.SignerVerifier, so a trustroot signer can be used wherever
// sigstore's are expected, for instance go-tuf's metadata.Sign. Signatures
// it makes verify with go-tuf's VerifyDelegate. (go-tuf's Sign computes the
// key ID from the public key with its own default scheme, which for P-384
// keys is wrong; the root package's Sign does not have that problem.)
//
// SignMessage and VerifySignature read at most 64 MiB. SignMessage takes
// its context from options.WithContext (default context.Background()); it
// refuses a precomputed digest (options.WithDigest) and a hash other than
// the key's, because a Signer signs messages, not digests.
// VerifySignature checks exactly the signature form Sign produces and
// ignores options other than those.
func ToSignerVerifier(s signer.Signer) signature.SignerVerifier {
	return &toSigstore{s: s}
}

type toSigstore struct{ s signer.Signer }

var _ signature.SignerVerifier = (*toSigstore)(nil)

func (t *toSigstore) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	pub := t.s.Public()
	if _, err := signer.HashFor(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// messageOptions applies sigstore options, rejects what a message signer
// cannot honour and returns the key's hash.
func messageOptions(pub crypto.PublicKey, opts []signature.MessageOption) (crypto.Hash, error) {
	h, err := signer.HashFor(pub)
	if err != nil {
		return 0, err
	}
	var d []byte
	var so crypto.SignerOpts = h
	for _, o := range opts {
		o.ApplyDigest(&d)
		o.ApplyCryptoSignerOpts(&so)
	}
	if d != nil {
		return 0, errors.New("signer/sigstore: cannot sign or verify a precomputed digest; pass the message")
	}
	if so == nil || so.HashFunc() != h {
		return 0, fmt.Errorf("signer/sigstore: hash %v requested, but this key uses %v", hashName(so), hashName(h))
	}
	return h, nil
}

func hashName(o crypto.SignerOpts) string {
	if o == nil || o.HashFunc() == 0 {
		return "none (pure Ed25519)"
	}
	return o.HashFunc().String()
}

func readMessage(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, errors.New("signer/sigstore: nil message reader")
	}
	b, err := io.ReadAll(io.LimitReader(r, maxMessageSize+1))
	if err != nil {
		return nil, fmt.Errorf("signer/sigstore: reading message: %w", err)
	}
	if len(b) > maxMessageSize {
		return nil, fmt.Errorf("signer/sigstore: message longer than %d bytes", maxMessageSize)
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
	if _, err := messageOptions(t.s.Public(), mopts); err != nil {
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
	h, err := messageOptions(pub, mopts)
	if err != nil {
		return err
	}
	if sig == nil {
		return errors.New("signer/sigstore: nil signature reader")
	}
	s, err := io.ReadAll(io.LimitReader(sig, maxSignatureSize+1))
	if err != nil {
		return fmt.Errorf("signer/sigstore: reading signature: %w", err)
	}
	if len(s) > maxSignatureSize {
		return fmt.Errorf("signer/sigstore: signature longer than %d bytes: %w", maxSignatureSize, signer.ErrInvalidSignature)
	}
	m, err := readMessage(message)
	if err != nil {
		return err
	}
	if err := adapter.Verify(pub, h, m, s); err != nil {
		return fmt.Errorf("signer/sigstore: %w: %w", signer.ErrInvalidSignature, err)
	}
	return nil
}

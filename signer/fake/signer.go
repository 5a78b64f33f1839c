package fake

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"

	"github.com/trustroot/trustroot/signer"
)

// Fault is a misbehaviour a fake [Signer] can be told to show on every
// signature until it is cleared with SetFault(NoFault).
type Fault int

// Faults a Signer can inject.
const (
	// NoFault signs correctly.
	NoFault Fault = iota
	// WrongKey signs with a different key from the one Public returns, as
	// a wrong token in the right reader would.
	WrongKey
	// Malformed returns bytes that are not a valid signature of the key's
	// form (a truncated signature).
	Malformed
	// Block blocks until the context ends, as a token waiting for a touch
	// that never comes, and then returns an error wrapping ctx.Err().
	Block
)

// ErrInjected is the error a [Signer] told to fail with FailNext returns
// when it was given no error of its own.
var ErrInjected = errors.New("fake: injected failure")

// Signer is a deterministic, INSECURE in-memory signer for tests and demos.
// Its private key is derived from a public name or seed, so anyone can
// recompute it. It implements [signer.Signer] and is safe for concurrent
// use.
type Signer struct {
	name string
	kt   KeyType
	key  crypto.Signer
	pub  crypto.PublicKey
	hash crypto.Hash

	mu      sync.Mutex
	fault   Fault
	failN   int
	failErr error
	calls   int
	wrong   crypto.Signer
}

var _ signer.Signer = (*Signer)(nil)

// New returns a P-256 signer whose key is derived from name: the same name
// gives the same key on every run. Its key is the one
// NewSeed([]byte(name), P256) derives.
func New(name string) *Signer {
	// Deriving a P-256 key never fails.
	s, _ := NewSeed([]byte(name), P256)
	s.name = name
	return s
}

// NewType returns a signer of key type kt whose key is derived from name.
// RSA keys take a fraction of a second to derive the first time; they are
// cached for the life of the process.
func NewType(name string, kt KeyType) (*Signer, error) {
	s, err := NewSeed([]byte(name), kt)
	if err != nil {
		return nil, err
	}
	s.name = name
	return s, nil
}

// NewSeed returns a signer of key type kt whose key is derived from seed.
func NewSeed(seed []byte, kt KeyType) (*Signer, error) {
	key, err := deriveKey(kt, seed)
	if err != nil {
		return nil, err
	}
	return newSigner(fmt.Sprintf("seed %x", seed), kt, key)
}

func newSigner(name string, kt KeyType, key crypto.Signer) (*Signer, error) {
	pub := key.Public()
	h, err := signer.HashFor(pub)
	if err != nil {
		return nil, fmt.Errorf("fake: %w", err)
	}
	return &Signer{name: name, kt: kt, key: key, pub: pub, hash: h}, nil
}

// Public returns the signer's public key.
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// KeyType returns the signer's key type.
func (s *Signer) KeyType() KeyType { return s.kt }

// PrivateKey returns the derived private key (*ecdsa.PrivateKey,
// ed25519.PrivateKey or *rsa.PrivateKey), for tests that need to write it
// to a file or hand it to another library. It is public knowledge.
func (s *Signer) PrivateKey() crypto.Signer { return s.key }

// SetFault makes every later signature show f, until SetFault(NoFault).
func (s *Signer) SetFault(f Fault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// FailNext makes the next n calls to Sign fail with an error wrapping err
// (or [ErrInjected] when err is nil), as a backend error would. A
// *signer.PINError passed here is found with errors.As on the result.
// FailNext(0, nil) cancels a pending failure.
func (s *Signer) FailNext(n int, err error) {
	if err == nil {
		err = ErrInjected
	}
	s.mu.Lock()
	s.failN, s.failErr = n, err
	s.mu.Unlock()
}

// Calls returns how many times Sign has been called, including calls that
// failed.
func (s *Signer) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Sign signs message as the [signer.Signer] contract requires, unless a
// fault was injected.
func (s *Signer) Sign(ctx context.Context, message []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fake: signer %s: %w", s.name, err)
	}
	s.mu.Lock()
	s.calls++
	fault := s.fault
	var failErr error
	if s.failN > 0 {
		s.failN--
		failErr = s.failErr
	}
	s.mu.Unlock()
	if failErr != nil {
		return nil, fmt.Errorf("fake: signer %s: %w", s.name, failErr)
	}

	key := s.key
	switch fault {
	case Block:
		<-ctx.Done()
		return nil, fmt.Errorf("fake: signer %s: gave up waiting: %w", s.name, ctx.Err())
	case WrongKey:
		w, err := s.wrongKey()
		if err != nil {
			return nil, err
		}
		key = w
	}
	sig, err := signWith(key, s.hash, message)
	if err != nil {
		return nil, fmt.Errorf("fake: signer %s: %w", s.name, err)
	}
	if fault == Malformed {
		sig = sig[:len(sig)-1]
	}
	return sig, nil
}

func (s *Signer) wrongKey() (crypto.Signer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wrong == nil {
		w, err := deriveKey(s.kt, append([]byte("wrong key for "), s.name...))
		if err != nil {
			return nil, err
		}
		s.wrong = w
	}
	return s.wrong, nil
}

// signWith signs message with a software key the way the signer.Signer
// contract describes.
func signWith(key crypto.Signer, h crypto.Hash, message []byte) ([]byte, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		d := h.New()
		d.Write(message)
		return ecdsa.SignASN1(rand.Reader, k, d.Sum(nil))
	case ed25519.PrivateKey:
		return ed25519.Sign(k, message), nil
	case *rsa.PrivateKey:
		d := h.New()
		d.Write(message)
		return rsa.SignPSS(rand.Reader, k, h, d.Sum(nil), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h})
	}
	return nil, fmt.Errorf("unsupported private key %T: %w", key, signer.ErrUnsupportedKey)
}

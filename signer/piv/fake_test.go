//go:build cgo && pivkey

package piv

// An in-memory card for the unit tier: it answers like piv-go does over a
// real YubiKey (same error types and messages), without pcscd.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pivgo "github.com/go-piv/piv-go/v2/piv"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
)

type fakeKey struct {
	priv  *ecdsa.PrivateKey
	pin   pivgo.PINPolicy
	touch pivgo.TouchPolicy
}

type fakeCard struct {
	mu       sync.Mutex
	serial   uint32
	version  pivgo.Version
	ff       pivgo.Formfactor
	dev      *pivattest.Device
	pin      string
	retries  int
	verified bool
	mgmKey   []byte
	keys     map[uint32]*fakeKey
	closed   bool
	inUse    atomic.Int32
	overlaps atomic.Int32
	signs    int

	// Faults.
	attestOtherKey bool          // Attest certifies a fresh key
	ignorePolicies bool          // GenerateKey stores PIN never / touch never
	signErr        error         // returned by every signature
	signDelay      time.Duration // how long a signature takes
	started        chan struct{} // if set, told when a signature starts
	gate           chan struct{} // if set, a signature waits for it
}

func newFakeCard(t *testing.T, ca *pivattest.CA, serial uint32) *fakeCard {
	t.Helper()
	dev, err := ca.NewDevice(serial, attestation.Firmware{Major: 5, Minor: 7, Patch: 1}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return &fakeCard{
		serial: serial, version: pivgo.Version{Major: 5, Minor: 7, Patch: 1},
		ff: pivgo.FormfactorUSBCKeychain, dev: dev, pin: "123456", retries: 3,
		mgmKey: defaultManagementKey(), keys: map[uint32]*fakeKey{},
	}
}

func (c *fakeCard) enter() func() {
	if c.inUse.Add(1) != 1 {
		c.overlaps.Add(1)
	}
	c.mu.Lock()
	return func() { c.mu.Unlock(); c.inUse.Add(-1) }
}

func (c *fakeCard) Serial() (uint32, error) { defer c.enter()(); return c.serial, nil }
func (c *fakeCard) Version() pivgo.Version  { return c.version }
func (c *fakeCard) FormFactor() (pivgo.Formfactor, error) {
	defer c.enter()()
	return c.ff, nil
}

func (c *fakeCard) Retries() (int, error) {
	defer c.enter()()
	if c.verified {
		return 0, errors.New("expected error code from empty pin")
	}
	return c.retries, nil
}

func (c *fakeCard) GenerateKey(mk []byte, slot pivgo.Slot, opts pivgo.Key) (crypto.PublicKey, error) {
	defer c.enter()()
	if !bytes.Equal(mk, c.mgmKey) {
		return nil, errors.New("authenticating with management key: auth challenge: smart card error 6982: security status not satisfied")
	}
	var curve elliptic.Curve
	switch opts.Algorithm {
	case pivgo.AlgorithmEC256:
		curve = elliptic.P256()
	case pivgo.AlgorithmEC384:
		curve = elliptic.P384()
	default:
		return nil, errors.New("unsupported algorithm")
	}
	priv, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return nil, err
	}
	k := &fakeKey{priv: priv, pin: opts.PINPolicy, touch: opts.TouchPolicy}
	if c.ignorePolicies {
		k.pin, k.touch = pivgo.PINPolicyNever, pivgo.TouchPolicyNever
	}
	c.keys[slot.Key] = k
	return &priv.PublicKey, nil
}

func (c *fakeCard) KeyInfo(slot pivgo.Slot) (pivgo.KeyInfo, error) {
	defer c.enter()()
	k, ok := c.keys[slot.Key]
	if !ok {
		return pivgo.KeyInfo{}, fmt.Errorf("command failed: %w", pivgo.ErrNotFound)
	}
	return pivgo.KeyInfo{PublicKey: &k.priv.PublicKey, PINPolicy: k.pin, TouchPolicy: k.touch, Origin: pivgo.OriginGenerated}, nil
}

var pinPolicyByte = map[pivgo.PINPolicy]attestation.PINPolicy{pivgo.PINPolicyNever: attestation.PINPolicyNever, pivgo.PINPolicyOnce: attestation.PINPolicyOnce, pivgo.PINPolicyAlways: attestation.PINPolicyAlways}
var touchPolicyByte = map[pivgo.TouchPolicy]attestation.TouchPolicy{pivgo.TouchPolicyNever: attestation.TouchPolicyNever, pivgo.TouchPolicyAlways: attestation.TouchPolicyAlways, pivgo.TouchPolicyCached: attestation.TouchPolicyCached}

func (c *fakeCard) Attest(slot pivgo.Slot) (*x509.Certificate, error) {
	defer c.enter()()
	k, ok := c.keys[slot.Key]
	if !ok {
		return nil, pivgo.ErrNotFound
	}
	pub := crypto.PublicKey(&k.priv.PublicKey)
	if c.attestOtherKey {
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		pub = &other.PublicKey
	}
	return c.dev.Attest(pivattest.Slot{Slot: attestation.Slot(slot.Key), PINPolicy: pinPolicyByte[k.pin], TouchPolicy: touchPolicyByte[k.touch],
		FormFactor: attestation.FormFactor(c.ff), Public: pub})
}

func (c *fakeCard) AttestationCertificate() (*x509.Certificate, error) {
	defer c.enter()()
	return x509.ParseCertificate(c.dev.Cert.Raw)
}

func (c *fakeCard) Close() error {
	defer c.enter()()
	c.closed = true
	c.verified = false
	return nil
}

func (c *fakeCard) PrivateKey(slot pivgo.Slot, pub crypto.PublicKey, auth pivgo.KeyAuth) (crypto.PrivateKey, error) {
	return &fakePriv{c: c, slot: slot, pub: pub, auth: auth}, nil
}

type fakePriv struct {
	c    *fakeCard
	slot pivgo.Slot
	pub  crypto.PublicKey
	auth pivgo.KeyAuth
}

func (p *fakePriv) Public() crypto.PublicKey { return p.pub }

// Sign follows piv-go's KeyAuth: a PIN for every signature under policy
// always, once per session under policy once.
func (p *fakePriv) Sign(_ io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	c := p.c
	defer c.enter()()
	if p.auth.PINPolicy != pivgo.PINPolicyNever && (p.auth.PINPolicy == pivgo.PINPolicyAlways || !c.verified) {
		if p.auth.PIN == "" {
			return nil, errors.New("pin required but wasn't provided")
		}
		if c.retries == 0 {
			return nil, fmt.Errorf("verify pin: %w", pivgo.AuthErr{Retries: 0})
		}
		if p.auth.PIN != c.pin {
			c.retries--
			c.verified = false
			return nil, fmt.Errorf("verify pin: %w", pivgo.AuthErr{Retries: c.retries})
		}
		c.retries = 3
		c.verified = true
	}
	if c.started != nil {
		c.started <- struct{}{}
	}
	if c.gate != nil {
		<-c.gate
	}
	if c.signDelay > 0 {
		time.Sleep(c.signDelay)
	}
	if c.signErr != nil {
		return nil, c.signErr
	}
	k, ok := c.keys[p.slot.Key]
	if !ok {
		return nil, fmt.Errorf("command failed: %w", pivgo.ErrNotFound)
	}
	c.signs++
	return ecdsa.SignASN1(rand.Reader, k.priv, digest)
}

// fakeReader is one PC/SC reader of the fake backend.
type fakeReader struct {
	name    string
	card    *fakeCard
	openErr error
}

func fakeBackend(ca *pivattest.CA, readers ...fakeReader) backend {
	return backend{
		cards: func() ([]string, error) {
			var names []string
			for _, r := range readers {
				names = append(names, r.name)
			}
			return names, nil
		},
		open: func(name string) (card, error) {
			for _, r := range readers {
				if r.name == name {
					if r.openErr != nil {
						return nil, r.openErr
					}
					r.card.closed = false
					return r.card, nil
				}
			}
			return nil, errors.New("connecting to smart card: the specified reader name is not recognized")
		},
	}
}

package fake

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
	"github.com/trustroot/trustroot/signer"
)

// KeyPolicy is the PIN and touch policy of a key in a slot. The zero
// values mean the YubiKey defaults: PIN always for slot 9c and once for
// the others, touch never. A fake token supports the policies never, once
// and always (PIN) and never, always and cached (touch, remembered for the
// token's session here); the YubiKey Bio match policies are refused.
type KeyPolicy struct {
	PIN   attestation.PINPolicy   // when the key needs the PIN
	Touch attestation.TouchPolicy // when the key needs a touch
}

// TokenOptions configure a fake token. The zero value gives a YubiKey 5
// (firmware 5.7.1, USB-A keychain) with PIN "123456", 3 PIN tries and a
// serial number derived from the token's name.
type TokenOptions struct {
	// Serial is the serial number; zero derives one from the name.
	Serial uint32
	// Firmware is the firmware version; zero means 5.7.1.
	Firmware attestation.Firmware
	// FormFactor is the form factor, or-ed with
	// attestation.FormFactorFIPS for a FIPS model; zero means USB-A
	// keychain.
	FormFactor attestation.FormFactor
	// PIN is the PIN; empty means "123456", the YubiKey default.
	PIN string
	// PINRetries is how many wrong PINs block the PIN; zero means 3.
	PINRetries int
	// PUK unblocks a blocked PIN; empty means "12345678", the YubiKey
	// default. Three wrong PUKs block it for good.
	PUK string
	// CAName is the common name of the test attestation root; empty
	// means "trustroot Fake YubiKey Root CA". Tokens with the same CA
	// name chain to the same root.
	CAName string
	// NotBefore starts the attestation certificates' validity; zero
	// means now.
	NotBefore time.Time
}

// DefaultPIN is the PIN of a token made with an empty TokenOptions.PIN.
const DefaultPIN = "123456"

// DefaultPUK is the PUK of a token made with an empty TokenOptions.PUK.
const DefaultPUK = "12345678"

const pukRetries = 3

const defaultCAName = "trustroot Fake YubiKey Root CA"

// Token is a fake PIV hardware token (a YubiKey stand-in) for tests of
// enrolment, signing and attestation. Like a real token it holds keys in
// slots, has a PIN with a retry counter, a serial number, a firmware
// version and a form factor, and attests the keys it generated with
// certificates shaped exactly like a YubiKey's (Yubico extension OIDs
// 1.3.6.1.4.1.41482.3.3, .7, .8 and .9; subject "YubiKey PIV Attestation
// 9c"), issued under a test CA through the token's own "f9" device
// certificate. Keys are derived from the token's name: INSECURE, tests
// only. A Token is safe for concurrent use; like a card, it performs one
// operation at a time.
type Token struct {
	name       string
	serial     uint32
	firmware   attestation.Firmware
	formFactor attestation.FormFactor
	ca         *pivattest.CA
	dev        *pivattest.Device

	// op serialises operations, as a card does; it is a channel so
	// waiting for it honours a context.
	op chan struct{}

	mu          sync.Mutex
	pin         string
	maxRetries  int
	retries     int
	puk         string
	pukRetries  int
	pinVerified bool
	touched     bool
	removed     bool
	slots       map[attestation.Slot]*slotKey
	generation  int
}

type slotKey struct {
	key       *Signer
	policy    KeyPolicy
	generated bool
}

// NewToken returns a fake token. Its keys and serial (unless given) are
// derived from name, so a test that uses the same name and generates the
// same keys gets the same public keys on every run.
func NewToken(name string, opts TokenOptions) (*Token, error) {
	t := &Token{
		name:       name,
		serial:     opts.Serial,
		firmware:   opts.Firmware,
		formFactor: opts.FormFactor,
		pin:        opts.PIN,
		maxRetries: opts.PINRetries,
		puk:        opts.PUK,
		pukRetries: pukRetries,
		op:         make(chan struct{}, 1),
		slots:      make(map[attestation.Slot]*slotKey),
	}
	if t.serial == 0 {
		h := sha256.Sum256([]byte("trustroot signer/fake serial\x00" + name))
		t.serial = 10_000_000 + binary.BigEndian.Uint32(h[:4])%80_000_000
	}
	if t.firmware == (attestation.Firmware{}) {
		t.firmware = attestation.Firmware{Major: 5, Minor: 7, Patch: 1}
	}
	if t.formFactor == 0 {
		t.formFactor = attestation.FormFactorUSBAKeychain
	}
	if t.pin == "" {
		t.pin = DefaultPIN
	}
	if !validPIN(t.pin) {
		return nil, errors.New("fake: a PIV PIN has 6 to 8 characters")
	}
	if t.puk == "" {
		t.puk = DefaultPUK
	}
	if !validPIN(t.puk) {
		return nil, errors.New("fake: a PIV PUK has 6 to 8 characters")
	}
	if t.maxRetries == 0 {
		t.maxRetries = 3
	}
	if t.maxRetries < 1 || t.maxRetries > 255 {
		return nil, fmt.Errorf("fake: PIN retries %d out of range 1..255", t.maxRetries)
	}
	t.retries = t.maxRetries
	caName := opts.CAName
	if caName == "" {
		caName = defaultCAName
	}
	var err error
	if t.ca, err = pivattest.NewCA(caName, opts.NotBefore); err != nil {
		return nil, fmt.Errorf("fake: attestation CA: %w", err)
	}
	if t.dev, err = t.ca.NewDevice(t.serial, t.firmware, opts.NotBefore); err != nil {
		return nil, fmt.Errorf("fake: attestation device certificate: %w", err)
	}
	return t, nil
}

// Serial returns the token's serial number.
func (t *Token) Serial() uint32 { return t.serial }

// Firmware returns the firmware version.
func (t *Token) Firmware() attestation.Firmware { return t.firmware }

// FormFactor returns the form factor.
func (t *Token) FormFactor() attestation.FormFactor { return t.formFactor }

// AttestationRoot returns the test CA certificate that attestations chain
// to, for a verifier's root pool.
func (t *Token) AttestationRoot() *x509.Certificate { return t.ca.Cert }

// AttestationCertificate returns the token's device ("f9") certificate,
// issued by [Token.AttestationRoot]; it issues the slot attestations.
func (t *Token) AttestationCertificate() *x509.Certificate { return t.dev.Cert }

// Remove simulates pulling the token out: until [Token.Insert], every
// operation fails with an error wrapping signer.ErrKeyNotFound, and the
// PIN must be verified again afterwards.
func (t *Token) Remove() {
	t.mu.Lock()
	t.removed = true
	t.pinVerified, t.touched = false, false
	t.mu.Unlock()
}

// Insert puts a removed token back.
func (t *Token) Insert() {
	t.mu.Lock()
	t.removed = false
	t.mu.Unlock()
}

// PINRetries returns how many PIN tries are left.
func (t *Token) PINRetries() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.retries
}

// VerifyPIN checks pin as the token would: a wrong PIN costs a try and
// fails with a *signer.PINError (wrapping signer.ErrWrongPIN, or
// signer.ErrPINBlocked when no tries are left); a right one restores the
// tries and opens the session for keys with PIN policy once.
func (t *Token) VerifyPIN(pin string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.removed {
		return t.removedErr()
	}
	return t.verifyPINLocked(pin)
}

func (t *Token) verifyPINLocked(pin string) error {
	if t.retries <= 0 {
		return fmt.Errorf("fake: token %d: %w", t.serial, &signer.PINError{Retries: 0})
	}
	if subtle.ConstantTimeCompare([]byte(pin), []byte(t.pin)) != 1 {
		t.retries--
		t.pinVerified = false
		return fmt.Errorf("fake: token %d: %w", t.serial, &signer.PINError{Retries: t.retries})
	}
	t.retries = t.maxRetries
	t.pinVerified = true
	return nil
}

func validPIN(p string) bool { return len(p) >= 6 && len(p) <= 8 }

// ChangePIN changes the PIN. A wrong old PIN costs a try, as in
// [Token.VerifyPIN].
func (t *Token) ChangePIN(oldPIN, newPIN string) error {
	if !validPIN(newPIN) {
		return errors.New("fake: a PIV PIN has 6 to 8 characters")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.removed {
		return t.removedErr()
	}
	if err := t.verifyPINLocked(oldPIN); err != nil {
		return err
	}
	t.pin = newPIN
	return nil
}

// ErrPUKBlocked means the token's PUK has no tries left: a blocked PIN
// can then only be cleared by resetting the PIV application.
var ErrPUKBlocked = errors.New("fake: PUK blocked")

// Unblock sets a new PIN and restores the PIN tries using the PUK, as
// piv-go's Unblock does. A wrong PUK costs one of its three tries; when
// none are left Unblock fails with [ErrPUKBlocked].
func (t *Token) Unblock(puk, newPIN string) error {
	if !validPIN(newPIN) {
		return errors.New("fake: a PIV PIN has 6 to 8 characters")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.removed {
		return t.removedErr()
	}
	if t.pukRetries <= 0 {
		return fmt.Errorf("fake: token %d: %w", t.serial, ErrPUKBlocked)
	}
	if subtle.ConstantTimeCompare([]byte(puk), []byte(t.puk)) != 1 {
		t.pukRetries--
		if t.pukRetries == 0 {
			return fmt.Errorf("fake: token %d: wrong PUK: %w", t.serial, ErrPUKBlocked)
		}
		return fmt.Errorf("fake: token %d: wrong PUK, %d tries left", t.serial, t.pukRetries)
	}
	t.pukRetries = pukRetries
	t.pin = newPIN
	t.retries = t.maxRetries
	t.pinVerified = false
	return nil
}

func (t *Token) removedErr() error {
	return fmt.Errorf("fake: token %d is not inserted: %w", t.serial, signer.ErrKeyNotFound)
}

// GenerateKey generates a key of type kt in slot, replacing any key there,
// and returns its public key. The key is derived from the token's name,
// the slot and how many keys the token has generated, so a fresh token
// given the same calls makes the same keys. Generated keys can be
// attested.
func (t *Token) GenerateKey(slot attestation.Slot, kt KeyType, policy KeyPolicy) (crypto.PublicKey, error) {
	if !slot.Attestable() {
		return nil, fmt.Errorf("fake: invalid PIV slot %s", slot)
	}
	if err := policy.check(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.removed {
		return nil, t.removedErr()
	}
	t.generation++
	seed := fmt.Sprintf("token %s serial %d slot %s generation %d", t.name, t.serial, slot, t.generation)
	k, err := NewSeed([]byte(seed), kt)
	if err != nil {
		return nil, err
	}
	k.name = fmt.Sprintf("token %d slot %s", t.serial, slot)
	t.slots[slot] = &slotKey{key: k, policy: policy.withDefaults(slot), generated: true}
	return k.Public(), nil
}

// ImportKey puts an existing key into slot, as piv-go's SetPrivateKey
// does. Imported keys sign but cannot be attested.
func (t *Token) ImportKey(slot attestation.Slot, key *Signer, policy KeyPolicy) error {
	if !slot.Attestable() {
		return fmt.Errorf("fake: invalid PIV slot %s", slot)
	}
	if key == nil {
		return errors.New("fake: nil key")
	}
	if err := policy.check(); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.removed {
		return t.removedErr()
	}
	t.slots[slot] = &slotKey{key: key, policy: policy.withDefaults(slot)}
	return nil
}

func (p KeyPolicy) check() error {
	switch p.PIN {
	case 0, attestation.PINPolicyNever, attestation.PINPolicyOnce, attestation.PINPolicyAlways:
	default:
		return fmt.Errorf("fake: unsupported PIN policy %s", p.PIN)
	}
	switch p.Touch {
	case 0, attestation.TouchPolicyNever, attestation.TouchPolicyAlways, attestation.TouchPolicyCached:
	default:
		return fmt.Errorf("fake: unsupported touch policy %s", p.Touch)
	}
	return nil
}

func (p KeyPolicy) withDefaults(slot attestation.Slot) KeyPolicy {
	if p.PIN == 0 {
		p.PIN = attestation.PINPolicyOnce
		if slot == attestation.SlotSignature {
			p.PIN = attestation.PINPolicyAlways
		}
	}
	if p.Touch == 0 {
		p.Touch = attestation.TouchPolicyNever
	}
	return p
}

// PublicKey returns the public key in slot, or an error wrapping
// signer.ErrKeyNotFound when the slot is empty.
func (t *Token) PublicKey(slot attestation.Slot) (crypto.PublicKey, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sk, err := t.slotLocked(slot)
	if err != nil {
		return nil, err
	}
	return sk.key.Public(), nil
}

// Policy returns the PIN and touch policy of the key in slot.
func (t *Token) Policy(slot attestation.Slot) (KeyPolicy, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sk, err := t.slotLocked(slot)
	if err != nil {
		return KeyPolicy{}, err
	}
	return sk.policy, nil
}

func (t *Token) slotLocked(slot attestation.Slot) (*slotKey, error) {
	if t.removed {
		return nil, t.removedErr()
	}
	sk, ok := t.slots[slot]
	if !ok {
		return nil, fmt.Errorf("fake: token %d: slot %s is empty: %w", t.serial, slot, signer.ErrKeyNotFound)
	}
	return sk, nil
}

// Attest returns the attestation certificate for the key in slot, issued
// by the token's device certificate: subject "YubiKey PIV Attestation
// <slot>", with the firmware, serial, PIN/touch policy and form factor
// extensions. Only generated keys can be attested.
func (t *Token) Attest(slot attestation.Slot) (*x509.Certificate, error) {
	t.mu.Lock()
	sk, err := t.slotLocked(slot)
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !sk.generated {
		return nil, fmt.Errorf("fake: token %d: the key in slot %s was imported and cannot be attested", t.serial, slot)
	}
	c, err := t.dev.Attest(pivattest.Slot{
		Slot:        slot,
		PINPolicy:   sk.policy.PIN,
		TouchPolicy: sk.policy.Touch,
		FormFactor:  t.formFactor,
		Public:      sk.key.Public(),
	})
	if err != nil {
		return nil, fmt.Errorf("fake: token %d: attesting slot %s: %w", t.serial, slot, err)
	}
	return c, nil
}

// SignerOptions configure a signer for a token slot.
type SignerOptions struct {
	// Expect is the public key the caller expects in the slot, typically
	// read from the root being signed. When set, Public returns it, and
	// Sign fails with an error wrapping signer.ErrWrongKey if the slot
	// holds another key. Nil accepts the key the slot holds when
	// [Token.Signer] is called.
	Expect crypto.PublicKey
	// PIN is called when the key's PIN policy needs the PIN. Nil makes a
	// signature that needs the PIN fail.
	PIN func(ctx context.Context) (string, error)
	// Touch is called when the key's touch policy needs a touch; it
	// should return once the (simulated) touch happened, or ctx's error.
	// Nil means the touch happens at once.
	Touch func(ctx context.Context) error
}

// Signer returns a [signer.Signer] for the key in slot. It never touches
// the token until Sign is called.
func (t *Token) Signer(slot attestation.Slot, opts SignerOptions) (signer.Signer, error) {
	pub := opts.Expect
	if pub == nil {
		var err error
		if pub, err = t.PublicKey(slot); err != nil {
			return nil, err
		}
	}
	if _, err := signer.HashFor(pub); err != nil {
		return nil, fmt.Errorf("fake: %w", err)
	}
	return &tokenSigner{t: t, slot: slot, pub: pub, opts: opts}, nil
}

type tokenSigner struct {
	t    *Token
	slot attestation.Slot
	pub  crypto.PublicKey
	opts SignerOptions
}

var _ signer.Signer = (*tokenSigner)(nil)

func (s *tokenSigner) Public() crypto.PublicKey { return s.pub }

func (s *tokenSigner) Sign(ctx context.Context, message []byte) ([]byte, error) {
	t := s.t
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fake: token %d: %w", t.serial, err)
	}
	select {
	case t.op <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("fake: token %d: waiting for the token: %w", t.serial, ctx.Err())
	}
	defer func() { <-t.op }()

	t.mu.Lock()
	sk, err := t.slotLocked(s.slot)
	var needPIN, needTouch bool
	if err == nil {
		needPIN = sk.policy.PIN == attestation.PINPolicyAlways || (sk.policy.PIN == attestation.PINPolicyOnce && !t.pinVerified)
		needTouch = sk.policy.Touch == attestation.TouchPolicyAlways || (sk.policy.Touch == attestation.TouchPolicyCached && !t.touched)
	}
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(sk.key.Public(), s.pub) {
		return nil, fmt.Errorf("fake: token %d: slot %s holds a different key than expected: %w", t.serial, s.slot, signer.ErrWrongKey)
	}
	if needPIN {
		if s.opts.PIN == nil {
			return nil, fmt.Errorf("fake: token %d: slot %s needs the PIN and no PIN callback was given", t.serial, s.slot)
		}
		pin, err := s.opts.PIN(ctx)
		if err != nil {
			return nil, fmt.Errorf("fake: token %d: reading PIN: %w", t.serial, err)
		}
		t.mu.Lock()
		if t.removed {
			err = t.removedErr()
		} else {
			err = t.verifyPINLocked(pin)
		}
		t.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	if needTouch && s.opts.Touch != nil {
		if err := s.opts.Touch(ctx); err != nil {
			return nil, fmt.Errorf("fake: token %d: waiting for touch: %w", t.serial, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fake: token %d: %w", t.serial, err)
	}
	t.mu.Lock()
	if needTouch {
		t.touched = true
	}
	t.mu.Unlock()
	return sk.key.Sign(ctx, message)
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

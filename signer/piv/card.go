//go:build cgo && pivkey

package piv

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	pivgo "github.com/go-piv/piv-go/v2/piv"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/signer"
)

// card is the part of *pivgo.YubiKey this package uses. Tests drive the
// package logic through an in-memory implementation.
type card interface {
	Serial() (uint32, error)
	Version() pivgo.Version
	Retries() (int, error)
	FormFactor() (pivgo.Formfactor, error)
	GenerateKey(mgmKey []byte, slot pivgo.Slot, opts pivgo.Key) (crypto.PublicKey, error)
	PrivateKey(slot pivgo.Slot, pub crypto.PublicKey, auth pivgo.KeyAuth) (crypto.PrivateKey, error)
	KeyInfo(slot pivgo.Slot) (pivgo.KeyInfo, error)
	Attest(slot pivgo.Slot) (*x509.Certificate, error)
	AttestationCertificate() (*x509.Certificate, error)
	Close() error
}

var _ card = (*pivgo.YubiKey)(nil)

// backend is how the package reaches tokens: PC/SC through piv-go in
// production, a fake in unit tests.
type backend struct {
	cards func() ([]string, error)
	open  func(reader string) (card, error)
}

func pcscBackend() backend {
	return backend{
		cards: pivgo.Cards,
		open: func(reader string) (card, error) {
			yk, err := pivgo.Open(reader)
			if err != nil {
				return nil, err // not yk: a nil *YubiKey in a card is not a nil card
			}
			return yk, nil
		},
	}
}

// verifyAttestation checks that slot chains through device (and
// intermediates, if any) to roots, or to Yubico's roots built into piv-go
// when roots is nil, and returns what it attests. piv-go's Verifier takes
// no intermediates for caller roots, which Yubico's 2024 chain (firmware
// 5.7.4 and later) needs, so with intermediates the chain is checked here
// and piv-go only parses the attestation, anchored at the checked device
// certificate.
func verifyAttestation(roots, intermediates *x509.CertPool, device, slot *x509.Certificate) (*pivgo.Attestation, error) {
	if roots == nil || intermediates == nil {
		v := pivgo.Verifier{Roots: roots}
		return v.Verify(device, slot)
	}
	dev := *device // piv-go-style fix-up on a copy: old f9 certificates lack basicConstraints
	if !dev.BasicConstraintsValid {
		dev.BasicConstraintsValid = true
		dev.IsCA = true
	}
	pool := intermediates.Clone()
	pool.AddCert(&dev)
	if _, err := slot.Verify(x509.VerifyOptions{Roots: roots, Intermediates: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("error verifying attestation certificate: %w", err)
	}
	anchor := x509.NewCertPool()
	anchor.AddCert(&dev)
	v := pivgo.Verifier{Roots: anchor}
	return v.Verify(&dev, slot)
}

// isYubiKeyReader reports whether a PC/SC reader name looks like a
// YubiKey's CCID interface.
func isYubiKeyReader(name string) bool {
	return strings.Contains(strings.ToLower(name), "yubikey")
}

// classify maps a card-layer error to the package's sentinels. It returns
// nil when the error is not one it knows.
func classify(err error) error {
	var ae pivgo.AuthErr
	if errors.As(err, &ae) {
		return &signer.PINError{Retries: ae.Retries}
	}
	if errors.Is(err, pivgo.ErrNotFound) {
		return signer.ErrKeyNotFound
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "other connections outstanding"),
		strings.Contains(msg, "sharing violation"):
		return ErrTokenBusy
	case strings.Contains(msg, "has been removed"),
		strings.Contains(msg, "no Smart Card is currently in the device"),
		strings.Contains(msg, "reader name is not recognized"),
		strings.Contains(msg, "not currently available for use"),
		strings.Contains(msg, "power has been removed"),
		strings.Contains(msg, "smart card has been reset"),
		strings.Contains(msg, "the supplied handle was invalid"),
		// pcsc-lite's answer inside a transaction on a card that was
		// removed or reset meanwhile (SCARD_E_NOT_TRANSACTED).
		strings.Contains(msg, "end a non-existent transaction"):
		return ErrTokenRemoved
	case strings.Contains(msg, "resource manager is not running"),
		strings.Contains(msg, "Resource Manager has shut down"),
		strings.Contains(msg, "resource manager has shut down"):
		return ErrNoPCSC
	}
	return nil
}

// tokenErr wraps err for op on the token with the given serial, adding the
// package sentinel the error corresponds to, if any.
func tokenErr(op string, serial uint32, err error) error {
	if err == nil {
		return nil
	}
	var te *TokenError
	if errors.As(err, &te) {
		return err
	}
	if kind := classify(err); kind != nil {
		var pe *signer.PINError
		if errors.As(kind, &pe) {
			// The PIN error's message says all there is to say.
			err = kind
		} else if !errors.Is(err, kind) {
			err = fmt.Errorf("%w: %w", kind, err)
		}
	}
	return &TokenError{Op: op, Serial: serial, Err: err}
}

// openToken opens the token with the given serial, or the only YubiKey
// when serial is zero.
func openToken(ctx context.Context, b backend, serial uint32) (card, uint32, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("signer/piv: open token: %w", err)
	}
	readers, err := yubiKeyReaders(b)
	if err != nil {
		return nil, 0, err
	}
	if len(readers) == 0 {
		return nil, 0, ErrNoToken
	}
	if serial == 0 {
		if len(readers) > 1 {
			return nil, 0, fmt.Errorf("%w (%d readers: %s)", ErrSeveralTokens, len(readers), strings.Join(readers, ", "))
		}
		c, err := b.open(readers[0])
		if err != nil {
			return nil, 0, tokenErr("open "+readers[0], 0, err)
		}
		s, err := c.Serial()
		if err != nil {
			c.Close()
			return nil, 0, tokenErr("read serial", 0, err)
		}
		return c, s, nil
	}
	var failures []error
	for _, r := range readers {
		if err := ctx.Err(); err != nil {
			return nil, 0, fmt.Errorf("signer/piv: open token: %w", err)
		}
		c, err := b.open(r)
		if err != nil {
			failures = append(failures, tokenErr("open "+r, 0, err))
			continue
		}
		s, err := c.Serial()
		if err != nil {
			c.Close()
			failures = append(failures, tokenErr("read serial of "+r, 0, err))
			continue
		}
		if s == serial {
			return c, s, nil
		}
		c.Close()
	}
	err = fmt.Errorf("%w with serial %d", ErrNoToken, serial)
	if len(failures) > 0 {
		err = fmt.Errorf("%w (some readers could not be checked: %w)", err, errors.Join(failures...))
	}
	return nil, 0, err
}

func yubiKeyReaders(b backend) ([]string, error) {
	all, err := b.cards()
	if err != nil {
		return nil, tokenErr("list readers", 0, err)
	}
	var readers []string
	for _, r := range all {
		if isYubiKeyReader(r) {
			readers = append(readers, r)
		}
	}
	return readers, nil
}

// List returns the plugged-in YubiKeys. Readers that could not be opened
// (for instance because another program holds the token) are left out
// and reported in the returned error, next to the tokens that could be
// read.
func List(ctx context.Context) ([]Token, error) {
	return list(ctx, pcscBackend())
}

func list(ctx context.Context, b backend) ([]Token, error) {
	readers, err := yubiKeyReaders(b)
	if err != nil {
		return nil, err
	}
	var (
		tokens   []Token
		failures []error
	)
	for _, r := range readers {
		if err := ctx.Err(); err != nil {
			return tokens, fmt.Errorf("signer/piv: list: %w", err)
		}
		t, err := describe(b, r)
		if err != nil {
			failures = append(failures, err)
			continue
		}
		tokens = append(tokens, t)
	}
	return tokens, errors.Join(failures...)
}

func describe(b backend, reader string) (Token, error) {
	c, err := b.open(reader)
	if err != nil {
		return Token{}, tokenErr("open "+reader, 0, err)
	}
	defer c.Close()
	s, err := c.Serial()
	if err != nil {
		return Token{}, tokenErr("read serial of "+reader, 0, err)
	}
	t := Token{Serial: s, Firmware: fromPivVersion(c.Version()), Reader: reader}
	if ff, err := c.FormFactor(); err == nil {
		t.FormFactor = attestation.FormFactor(ff) // piv-go keeps Yubico's byte
	}
	return t, nil
}

func fromPivVersion(v pivgo.Version) attestation.Firmware {
	return attestation.Firmware{Major: clampUint8(v.Major), Minor: clampUint8(v.Minor), Patch: clampUint8(v.Patch)}
}

func clampUint8(n int) uint8 {
	return uint8(min(max(n, 0), 255))
}

func versionAtLeast(v pivgo.Version, major, minor, patch int) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Patch >= patch
}

// slotOrDefault returns s, or attestation.SlotSignature for zero.
func slotOrDefault(s attestation.Slot) attestation.Slot {
	if s == 0 {
		return attestation.SlotSignature
	}
	return s
}

// pinPolicyOrDefault returns p, or attestation.PINPolicyAlways for zero:
// the safe default for root keys.
func pinPolicyOrDefault(p attestation.PINPolicy) attestation.PINPolicy {
	if p == 0 {
		return attestation.PINPolicyAlways
	}
	return p
}

// touchPolicyOrDefault returns t, or attestation.TouchPolicyAlways for
// zero.
func touchPolicyOrDefault(t attestation.TouchPolicy) attestation.TouchPolicy {
	if t == 0 {
		return attestation.TouchPolicyAlways
	}
	return t
}

func pivSlot(s attestation.Slot) (pivgo.Slot, error) {
	if !s.Attestable() {
		return pivgo.Slot{}, fmt.Errorf("signer/piv: invalid slot %s", s)
	}
	switch s {
	case attestation.SlotAuthentication:
		return pivgo.SlotAuthentication, nil
	case attestation.SlotSignature:
		return pivgo.SlotSignature, nil
	case attestation.SlotKeyManagement:
		return pivgo.SlotKeyManagement, nil
	case attestation.SlotCardAuthentication:
		return pivgo.SlotCardAuthentication, nil
	}
	ps, ok := pivgo.RetiredKeyManagementSlot(uint32(s))
	if !ok {
		return pivgo.Slot{}, fmt.Errorf("signer/piv: invalid slot %s", s)
	}
	return ps, nil
}

func pivAlgorithm(a Algorithm) (pivgo.Algorithm, error) {
	switch a {
	case AlgorithmECP256:
		return pivgo.AlgorithmEC256, nil
	case AlgorithmECP384:
		return pivgo.AlgorithmEC384, nil
	case AlgorithmEd25519:
		return pivgo.AlgorithmEd25519, nil
	}
	return 0, fmt.Errorf("signer/piv: unsupported algorithm %v", a)
}

func pivPINPolicy(p attestation.PINPolicy) (pivgo.PINPolicy, error) {
	switch pinPolicyOrDefault(p) {
	case attestation.PINPolicyNever:
		return pivgo.PINPolicyNever, nil
	case attestation.PINPolicyOnce:
		return pivgo.PINPolicyOnce, nil
	case attestation.PINPolicyAlways:
		return pivgo.PINPolicyAlways, nil
	}
	return 0, fmt.Errorf("signer/piv: unsupported PIN policy %s", p)
}

// fromPivPINPolicy returns piv-go's policy as Yubico's value, zero for
// one piv-go does not name.
func fromPivPINPolicy(p pivgo.PINPolicy) attestation.PINPolicy {
	switch p {
	case pivgo.PINPolicyNever:
		return attestation.PINPolicyNever
	case pivgo.PINPolicyOnce:
		return attestation.PINPolicyOnce
	case pivgo.PINPolicyAlways:
		return attestation.PINPolicyAlways
	}
	return 0
}

func pivTouchPolicy(t attestation.TouchPolicy) (pivgo.TouchPolicy, error) {
	switch touchPolicyOrDefault(t) {
	case attestation.TouchPolicyNever:
		return pivgo.TouchPolicyNever, nil
	case attestation.TouchPolicyAlways:
		return pivgo.TouchPolicyAlways, nil
	case attestation.TouchPolicyCached:
		return pivgo.TouchPolicyCached, nil
	}
	return 0, fmt.Errorf("signer/piv: unsupported touch policy %s", t)
}

// fromPivTouchPolicy returns piv-go's policy as Yubico's value, zero for
// one piv-go does not name.
func fromPivTouchPolicy(t pivgo.TouchPolicy) attestation.TouchPolicy {
	switch t {
	case pivgo.TouchPolicyNever:
		return attestation.TouchPolicyNever
	case pivgo.TouchPolicyAlways:
		return attestation.TouchPolicyAlways
	case pivgo.TouchPolicyCached:
		return attestation.TouchPolicyCached
	}
	return 0
}

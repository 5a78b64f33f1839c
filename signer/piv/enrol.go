//go:build cgo && pivkey

package piv

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	pivgo "github.com/go-piv/piv-go/v2/piv"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/signer"
)

// defaultManagementKey returns the factory default management key
// (3DES, or AES-192 from firmware 5.7: the same 24 bytes).
func defaultManagementKey() []byte {
	return []byte{
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	}
}

// Enrol generates a key on a YubiKey, has the token attest it, verifies
// the attestation and returns what the keyholder publishes.
//
// It refuses the factory default management key unless
// opts.AllowDefaultManagementKey is set, and refuses to overwrite a key
// already in the slot unless opts.Replace is set. The attestation must
// chain to opts.Roots (Yubico's roots when nil), name the token's serial,
// the slot and the requested policies, and certify the generated key.
func Enrol(ctx context.Context, opts EnrolOptions) (*Enrolment, error) {
	return enrol(ctx, pcscBackend(), opts)
}

func enrol(ctx context.Context, b backend, opts EnrolOptions) (*Enrolment, error) {
	slot := slotOrDefault(opts.Slot)
	ps, err := pivSlot(slot)
	if err != nil {
		return nil, err
	}
	alg, err := pivAlgorithm(opts.Algorithm)
	if err != nil {
		return nil, err
	}
	pp, err := pivPINPolicy(opts.PINPolicy)
	if err != nil {
		return nil, err
	}
	tp, err := pivTouchPolicy(opts.TouchPolicy)
	if err != nil {
		return nil, err
	}
	mk := opts.ManagementKey
	isDefault := subtle.ConstantTimeCompare(mk, defaultManagementKey()) == 1
	switch {
	case len(mk) == 0 && !opts.AllowDefaultManagementKey:
		return nil, ErrManagementKeyRequired
	case len(mk) == 0:
		mk = defaultManagementKey()
	case isDefault && !opts.AllowDefaultManagementKey:
		return nil, ErrDefaultManagementKey
	}
	switch len(mk) {
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("%w: a management key is 16, 24 or 32 bytes, got %d", ErrManagementKey, len(mk))
	}

	c, serial, err := openToken(ctx, b, opts.Serial)
	if err != nil {
		return nil, err
	}
	defer c.Close()

	if !opts.Replace {
		switch _, err := slotKey(c, ps); {
		case err == nil:
			return nil, &TokenError{Op: "enrol", Serial: serial, Err: fmt.Errorf("%w: slot %s (set Replace to overwrite it)", ErrSlotInUse, slot)}
		case errors.Is(err, signer.ErrKeyNotFound):
		default:
			return nil, tokenErr("inspect slot "+slot.String(), serial, err)
		}
	}
	if opts.Algorithm == AlgorithmEd25519 && !versionAtLeast(c.Version(), 5, 7, 0) {
		v := c.Version()
		return nil, &TokenError{Op: "generate key", Serial: serial,
			Err: fmt.Errorf("%w: Ed25519 needs YubiKey firmware 5.7 or later; the token has %d.%d.%d", signer.ErrUnsupportedKey, v.Major, v.Minor, v.Patch)}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signer/piv: enrol: %w", err)
	}
	pub, err := c.GenerateKey(mk, ps, pivgo.Key{Algorithm: alg, PINPolicy: pp, TouchPolicy: tp})
	if err != nil {
		if isManagementKeyFailure(err) {
			return nil, &TokenError{Op: "generate key", Serial: serial, Err: ErrManagementKey}
		}
		return nil, tokenErr("generate key", serial, err)
	}
	slotCert, err := c.Attest(ps)
	if err != nil {
		return nil, tokenErr("attest slot "+slot.String(), serial, err)
	}
	device, err := c.AttestationCertificate()
	if err != nil {
		return nil, tokenErr("read device attestation certificate", serial, err)
	}
	// Verify may mark the device certificate as a CA in place; keep the
	// DER we publish exactly as the token gave it.
	slotDER := append([]byte(nil), slotCert.Raw...)
	deviceDER := append([]byte(nil), device.Raw...)
	att, err := verifyAttestation(opts.Roots, opts.Intermediates, device, slotCert)
	if err != nil {
		return nil, &TokenError{Op: "verify attestation", Serial: serial, Err: fmt.Errorf("%w: %w", ErrAttestation, err)}
	}
	check := func(what string, ok bool) error {
		if ok {
			return nil
		}
		return &TokenError{Op: "verify attestation", Serial: serial, Err: fmt.Errorf("%w: %s", ErrAttestation, what)}
	}
	if err := errors.Join(
		check(fmt.Sprintf("attested serial %d is not the token's", att.Serial), att.Serial == serial),
		check(fmt.Sprintf("attested slot %x is not slot %s", att.Slot.Key, slot), att.Slot.Key == uint32(slot)),
		check(fmt.Sprintf("attested PIN policy %v is not %v", fromPivPINPolicy(att.PINPolicy), pinPolicyOrDefault(opts.PINPolicy)), att.PINPolicy == pp),
		check(fmt.Sprintf("attested touch policy %v is not %v", fromPivTouchPolicy(att.TouchPolicy), touchPolicyOrDefault(opts.TouchPolicy)), att.TouchPolicy == tp),
		check("attested key is not the generated key", samePublicKey(slotCert.PublicKey, pub)),
		check(fmt.Sprintf("attested firmware %d.%d.%d is not the token's", att.Version.Major, att.Version.Minor, att.Version.Patch), att.Version == c.Version()),
	); err != nil {
		return nil, err
	}
	e := &Enrolment{
		Public:            pub,
		Serial:            serial,
		Firmware:          fromPivVersion(att.Version),
		FormFactor:        attestation.FormFactor(att.Formfactor),
		Slot:              slot,
		Algorithm:         opts.Algorithm,
		PINPolicy:         fromPivPINPolicy(att.PINPolicy),
		TouchPolicy:       fromPivTouchPolicy(att.TouchPolicy),
		SlotCertificate:   slotDER,
		DeviceCertificate: deviceDER,
	}
	return e, nil
}

// isManagementKeyFailure reports whether err is piv-go's report of a
// management key the card refused.
func isManagementKeyFailure(err error) bool {
	msg := err.Error()
	if !containsAny(msg, "authenticating with management key") {
		return false
	}
	return containsAny(msg, "challenge failed", "security status not satisfied", "smart card error 6982", "auth challenge", "invalid management key length")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// slotInfo is what the signer needs to know about a slot's key.
type slotInfo struct {
	pub   crypto.PublicKey
	pin   pivgo.PINPolicy
	touch pivgo.TouchPolicy
}

// slotKey reads the key in a slot: through GET METADATA on firmware 5.3
// and later, else through an attestation. An empty slot gives an error
// wrapping signer.ErrKeyNotFound.
func slotKey(c card, ps pivgo.Slot) (slotInfo, error) {
	if versionAtLeast(c.Version(), 5, 3, 0) {
		ki, err := c.KeyInfo(ps)
		if err != nil {
			if errors.Is(err, pivgo.ErrNotFound) {
				return slotInfo{}, fmt.Errorf("%w: slot %x is empty", signer.ErrKeyNotFound, ps.Key)
			}
			return slotInfo{}, err
		}
		if ki.PublicKey == nil {
			return slotInfo{}, fmt.Errorf("%w: slot %x is empty", signer.ErrKeyNotFound, ps.Key)
		}
		return slotInfo{pub: ki.PublicKey, pin: ki.PINPolicy, touch: ki.TouchPolicy}, nil
	}
	cert, err := c.Attest(ps)
	if err != nil {
		if errors.Is(err, pivgo.ErrNotFound) {
			return slotInfo{}, fmt.Errorf("%w: slot %x is empty or holds an imported key", signer.ErrKeyNotFound, ps.Key)
		}
		return slotInfo{}, err
	}
	pin, touch, err := policiesFromCert(cert)
	if err != nil {
		return slotInfo{}, err
	}
	return slotInfo{pub: cert.PublicKey, pin: pin, touch: touch}, nil
}

// policiesFromCert reads the PIN and touch policy extension of a slot
// attestation certificate.
func policiesFromCert(cert *x509.Certificate) (pivgo.PINPolicy, pivgo.TouchPolicy, error) {
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal([]int{1, 3, 6, 1, 4, 1, 41482, 3, 8}) {
			continue
		}
		if len(ext.Value) != 2 {
			return 0, 0, fmt.Errorf("signer/piv: malformed policy extension in slot attestation")
		}
		pins := map[byte]pivgo.PINPolicy{1: pivgo.PINPolicyNever, 2: pivgo.PINPolicyOnce, 3: pivgo.PINPolicyAlways}
		touches := map[byte]pivgo.TouchPolicy{1: pivgo.TouchPolicyNever, 2: pivgo.TouchPolicyAlways, 3: pivgo.TouchPolicyCached}
		p, ok1 := pins[ext.Value[0]]
		t, ok2 := touches[ext.Value[1]]
		if !ok1 || !ok2 {
			return 0, 0, fmt.Errorf("signer/piv: unsupported policy %x in slot attestation", ext.Value)
		}
		return p, t, nil
	}
	// No policy extension: assume the strictest PIN policy so a PIN is
	// always offered, and no touch.
	return pivgo.PINPolicyAlways, pivgo.TouchPolicyNever, nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	ad, err1 := x509.MarshalPKIXPublicKey(a)
	bd, err2 := x509.MarshalPKIXPublicKey(b)
	return err1 == nil && err2 == nil && subtle.ConstantTimeCompare(ad, bd) == 1
}

// hashFor returns the hash a key signs: SHA-256 for P-256, SHA-384 for
// P-384, none (0) for Ed25519, which signs the whole message.
func hashFor(pub crypto.PublicKey) (crypto.Hash, error) {
	if _, ok := pub.(ed25519.PublicKey); ok {
		return 0, nil
	}
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return 0, fmt.Errorf("signer/piv: unsupported key type %T (only ECDSA P-256, P-384 and Ed25519)", pub)
	}
	switch k.Curve {
	case elliptic.P256():
		return crypto.SHA256, nil
	case elliptic.P384():
		return crypto.SHA384, nil
	}
	return 0, fmt.Errorf("signer/piv: unsupported curve %s (only P-256 and P-384)", k.Curve.Params().Name)
}

package piv

// This file holds the exported API shared by both builds: with cgo and the
// pivkey tag (card.go and friends) and without (stub.go).

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"

	"github.com/trustroot/trustroot/attestation"
)

var (
	// ErrNotSupported is returned by every entry point of a build without
	// PIV support.
	ErrNotSupported = errors.New("signer/piv: built without PIV support (rebuild with CGO_ENABLED=1 -tags pivkey and pcsc-lite)")
	// ErrNoToken means no YubiKey was found, or none with the requested
	// serial.
	ErrNoToken = errors.New("signer/piv: no YubiKey found")
	// ErrSeveralTokens means several YubiKeys are plugged in and no serial
	// says which one to use.
	ErrSeveralTokens = errors.New("signer/piv: several YubiKeys plugged in; choose one by serial")
	// ErrTokenRemoved means the token went away during an operation.
	ErrTokenRemoved = errors.New("signer/piv: token removed")
	// ErrTokenBusy means another program (gpg-agent, scdaemon, another
	// signer) holds the token exclusively.
	ErrTokenBusy = errors.New("signer/piv: token in use by another program")
	// ErrNoPCSC means the PC/SC daemon (pcscd) is not running.
	ErrNoPCSC = errors.New("signer/piv: PC/SC daemon not running")
	// ErrLastPINTry means the token has a single PIN try left and the
	// caller did not set ForceLastPINTry; a wrong PIN would block it.
	ErrLastPINTry = errors.New("signer/piv: only one PIN try left; refusing to risk blocking the PIN")
	// ErrManagementKeyRequired means Enrol was given no management key and
	// was not allowed to use the factory default one.
	ErrManagementKeyRequired = errors.New("signer/piv: management key required")
	// ErrDefaultManagementKey means the management key given is the
	// factory default and AllowDefaultManagementKey is not set.
	ErrDefaultManagementKey = errors.New("signer/piv: refusing the factory default management key")
	// ErrManagementKey means the token rejected the management key.
	ErrManagementKey = errors.New("signer/piv: management key rejected")
	// ErrSlotInUse means Enrol found a key in the slot and Replace is not
	// set.
	ErrSlotInUse = errors.New("signer/piv: slot already holds a key")
	// ErrAttestation means a slot attestation did not verify or does not
	// match what was generated.
	ErrAttestation = errors.New("signer/piv: attestation check failed")
	// ErrNoPIN means a PIN is needed but Options.PIN is nil.
	ErrNoPIN = errors.New("signer/piv: PIN required but no PIN callback given")
	// ErrNotTouched means a key with a touch policy refused to sign
	// because nobody touched the YubiKey in time (it waits 15 seconds).
	ErrNotTouched = errors.New("signer/piv: the YubiKey was not touched in time (it waits 15 seconds)")
)

// Algorithm is a key algorithm. The zero value is ECDSA P-256.
type Algorithm int

// Key algorithms supported for root keys.
const (
	AlgorithmECP256  Algorithm = iota // ECDSA P-256 (the default)
	AlgorithmECP384                   // ECDSA P-384
	AlgorithmEd25519                  // Ed25519, from YubiKey firmware 5.7
)

// String returns "ecdsa-p256", "ecdsa-p384" or "ed25519".
func (a Algorithm) String() string {
	switch a {
	case AlgorithmECP256:
		return "ecdsa-p256"
	case AlgorithmECP384:
		return "ecdsa-p384"
	case AlgorithmEd25519:
		return "ed25519"
	}
	return "unknown(" + strconv.Itoa(int(a)) + ")"
}

// Token describes a plugged-in YubiKey.
type Token struct {
	// Serial is the YubiKey's serial number.
	Serial uint32
	// Firmware is the firmware version.
	Firmware attestation.Firmware
	// FormFactor is e.g. attestation.FormFactorUSBCKeychain, or
	// attestation.FormFactorUnknown when the token does not say.
	FormFactor attestation.FormFactor
	// Reader is the PC/SC reader name.
	Reader string
}

// EnrolOptions configure [Enrol]. The zero value generates an ECDSA P-256
// key in slot 9c with PIN policy always and touch policy always on the
// only plugged-in YubiKey, but needs a management key (or
// AllowDefaultManagementKey).
type EnrolOptions struct {
	// Serial picks the token; zero means the only one plugged in.
	Serial uint32
	// Slot is where the key goes; zero means
	// attestation.SlotSignature (9c).
	Slot attestation.Slot
	// Algorithm is the key algorithm; zero means ECDSA P-256.
	Algorithm Algorithm
	// PINPolicy is set on the generated key: never, once or always; zero
	// means always. The YubiKey Bio match policies are not supported.
	PINPolicy attestation.PINPolicy
	// TouchPolicy is set on the generated key: never, always or cached;
	// zero means always (the YubiKey's own default would be never).
	TouchPolicy attestation.TouchPolicy
	// ManagementKey authenticates key generation (24 bytes for 3DES or
	// AES-192, 16 or 32 for AES). It is used and forgotten; Enrol never
	// copies it anywhere.
	ManagementKey []byte
	// AllowDefaultManagementKey permits the factory default management
	// key, either given explicitly or implied by a nil ManagementKey.
	// Only for tests and throwaway tokens.
	AllowDefaultManagementKey bool
	// Replace permits overwriting a key already in the slot. Without
	// it Enrol refuses with ErrSlotInUse.
	Replace bool
	// Roots verify the attestation. Nil means the Yubico roots and
	// intermediates built into piv-go. Tests with a simulated token pass
	// its test root.
	Roots *x509.CertPool
	// Intermediates are extra intermediate certificates for Roots, such
	// as Yubico's "Attestation Intermediate" and "PIV Attestation" CAs,
	// which firmware 5.7.4 and later chain through when Roots holds
	// Yubico's 2024 root. The device certificate is always used.
	Intermediates *x509.CertPool
}

// Enrolment is what a keyholder publishes after generating a key: the
// public key and the attestation that proves it lives on a YubiKey.
type Enrolment struct {
	// Public is the generated public key (*ecdsa.PublicKey).
	Public crypto.PublicKey
	// Serial is the token's serial number, as attested.
	Serial uint32
	// Firmware is the token's firmware version, as attested.
	Firmware attestation.Firmware
	// FormFactor is the token's form factor, as attested;
	// attestation.FormFactorUnknown when the attestation does not state
	// it.
	FormFactor attestation.FormFactor
	// Slot is the slot holding the key, as attested.
	Slot attestation.Slot
	// Algorithm is the key's algorithm.
	Algorithm Algorithm
	// PINPolicy is the key's PIN policy, as attested.
	PINPolicy attestation.PINPolicy
	// TouchPolicy is the key's touch policy, as attested.
	TouchPolicy attestation.TouchPolicy
	// SlotCertificate is the DER attestation certificate for the key,
	// signed by the device certificate.
	SlotCertificate []byte
	// DeviceCertificate is the DER device attestation certificate
	// (slot f9), signed by the attestation root.
	DeviceCertificate []byte
}

// SlotCertificatePEM returns SlotCertificate PEM-encoded.
func (e *Enrolment) SlotCertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.SlotCertificate})
}

// DeviceCertificatePEM returns DeviceCertificate PEM-encoded.
func (e *Enrolment) DeviceCertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.DeviceCertificate})
}

// Options configure [New]. The zero value uses slot 9c of the only
// plugged-in YubiKey, but signing then fails unless the key's PIN policy
// is never: set PIN.
type Options struct {
	// Serial picks the token; zero means the only one plugged in.
	Serial uint32
	// Slot holds the key; zero means attestation.SlotSignature (9c).
	Slot attestation.Slot
	// Expected is the public key the caller expects in the slot, e.g. a
	// key listed in the root being signed. If set and the slot holds a
	// different key, New fails with an error wrapping
	// signer.ErrWrongKey before any PIN is asked for.
	Expected crypto.PublicKey
	// PIN returns the PIN when the token needs it. The returned slice is
	// zeroed after use. It is not called when the PIN is already
	// verified and the key's policy allows reuse, nor when the check
	// before a PIN attempt fails.
	PIN func(ctx context.Context) ([]byte, error)
	// Touch, if set, is called just before an operation that needs the
	// token touched, so a tool can tell its user.
	Touch func()
	// ForceLastPINTry allows a PIN attempt when only one try is left.
	ForceLastPINTry bool
}

// Signer is a [signer.Signer] backed by a key in a YubiKey PIV slot. It
// holds the token open (exclusively) until Close. It is safe for
// concurrent use; card operations are serialised.
//
// [signer.Signer]: github.com/trustroot/trustroot/signer.Signer
type Signer struct {
	pub  crypto.PublicKey
	slot attestation.Slot
	st   *state
}

// Public returns the key in the slot, read when the signer was created.
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// Slot returns the slot the signer uses.
func (s *Signer) Slot() attestation.Slot { return s.slot }

// TokenError reports a failed operation on a specific token. It wraps the
// cause, so errors.Is works through it; it never holds a PIN or a
// management key.
type TokenError struct {
	// Op is the operation, e.g. "sign" or "generate key".
	Op string
	// Serial identifies the token, or is zero when it is not known yet.
	Serial uint32
	// Err is the cause.
	Err error
}

// Error describes the failure; it never includes secrets.
func (e *TokenError) Error() string {
	if e.Serial == 0 {
		return fmt.Sprintf("signer/piv: %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("signer/piv: %s on YubiKey %d: %v", e.Op, e.Serial, e.Err)
}

// Unwrap returns the cause.
func (e *TokenError) Unwrap() error { return e.Err }

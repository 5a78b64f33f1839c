package attestation

import (
	"fmt"
	"strconv"
)

// This file is the YubiKey vocabulary trustroot shares: signer/piv,
// signer/fake and the test attestation CA use these types, so a slot, a
// policy or a firmware version means the same thing everywhere.

// Slot is a PIV key slot, identified by its key reference.
type Slot uint8

// The PIV slots. A key can be generated and attested in
// [SlotAuthentication], [SlotSignature], [SlotKeyManagement],
// [SlotCardAuthentication] and the twenty retired key-management slots
// 0x82 to 0x95. [SlotAttestation] holds the token's own attestation key.
const (
	SlotAuthentication     Slot = 0x9a
	SlotSignature          Slot = 0x9c // digital signature: the slot for root keys
	SlotKeyManagement      Slot = 0x9d
	SlotCardAuthentication Slot = 0x9e
	SlotAttestation        Slot = 0xf9 // the device's attestation key (the f9 certificate)

	// SlotRetiredFirst and SlotRetiredLast bound the retired
	// key-management slots.
	SlotRetiredFirst Slot = 0x82
	SlotRetiredLast  Slot = 0x95
)

// Attestable reports whether s can hold a key the token generates and
// attests: 9a, 9c, 9d, 9e or a retired slot 82 to 95.
func (s Slot) Attestable() bool {
	switch s {
	case SlotAuthentication, SlotSignature, SlotKeyManagement, SlotCardAuthentication:
		return true
	}
	return s >= SlotRetiredFirst && s <= SlotRetiredLast
}

// String returns the slot in lower-case hex, e.g. "9c", as Yubico's tools
// and attestation certificates write it.
func (s Slot) String() string {
	b := strconv.FormatUint(uint64(s), 16)
	if len(b) == 1 {
		b = "0" + b
	}
	return b
}

// PINPolicy says when a key needs the PIN, with Yubico's values (as in
// the attestation's policy extension and the PIV generate command).
//
// Where a policy is chosen (signer/piv's and signer/fake's options) the
// zero value means that package's default, which its documentation
// names; in [Options] a zero minimum means [PINPolicyAlways].
type PINPolicy uint8

// PIN policies. From weakest to strongest: never; once and match-once;
// always and match-always (the match policies are YubiKey Bio's
// fingerprint-or-PIN variants).
const (
	PINPolicyNever       PINPolicy = 0x01 // never asks
	PINPolicyOnce        PINPolicy = 0x02 // once per session
	PINPolicyAlways      PINPolicy = 0x03 // before every signature
	PINPolicyMatchOnce   PINPolicy = 0x04 // YubiKey Bio: fingerprint or PIN, once per session
	PINPolicyMatchAlways PINPolicy = 0x05 // YubiKey Bio: fingerprint or PIN, before every signature
)

// String returns the conventional name of the policy ("always"), "default"
// for the zero value.
func (p PINPolicy) String() string {
	switch p {
	case 0:
		return "default"
	case PINPolicyNever:
		return "never"
	case PINPolicyOnce:
		return "once"
	case PINPolicyAlways:
		return "always"
	case PINPolicyMatchOnce:
		return "match-once"
	case PINPolicyMatchAlways:
		return "match-always"
	}
	return fmt.Sprintf("PINPolicy(%#02x)", uint8(p))
}

// strength orders policies: 1 for never, 2 for once and match-once, 3 for
// always and match-always, 0 for the zero value and unknown values.
func (p PINPolicy) strength() int {
	switch p {
	case PINPolicyNever:
		return 1
	case PINPolicyOnce, PINPolicyMatchOnce:
		return 2
	case PINPolicyAlways, PINPolicyMatchAlways:
		return 3
	}
	return 0
}

// TouchPolicy says when a key needs the token touched, with Yubico's
// values. Where a policy is chosen, the zero value means the choosing
// package's default; in [Options] a zero minimum means
// [TouchPolicyAlways].
type TouchPolicy uint8

// Touch policies, from weakest to strongest: never, cached (a touch is
// remembered for 15 seconds), always.
const (
	TouchPolicyNever  TouchPolicy = 0x01
	TouchPolicyAlways TouchPolicy = 0x02
	TouchPolicyCached TouchPolicy = 0x03
)

// String returns the conventional name of the policy ("always"), "default"
// for the zero value.
func (p TouchPolicy) String() string {
	switch p {
	case 0:
		return "default"
	case TouchPolicyNever:
		return "never"
	case TouchPolicyAlways:
		return "always"
	case TouchPolicyCached:
		return "cached"
	}
	return fmt.Sprintf("TouchPolicy(%#02x)", uint8(p))
}

// strength orders policies: 1 for never, 2 for cached, 3 for always, 0
// for the zero value and unknown values.
func (p TouchPolicy) strength() int {
	switch p {
	case TouchPolicyNever:
		return 1
	case TouchPolicyCached:
		return 2
	case TouchPolicyAlways:
		return 3
	}
	return 0
}

// FormFactor is a YubiKey form factor as the attestation encodes it: the
// model in the low 7 bits, bit 0x80 ([FormFactorFIPS]) set on FIPS
// models.
type FormFactor uint8

// Form factors (low 7 bits) and the FIPS flag.
const (
	FormFactorUnknown       FormFactor = 0x00
	FormFactorUSBAKeychain  FormFactor = 0x01
	FormFactorUSBANano      FormFactor = 0x02
	FormFactorUSBCKeychain  FormFactor = 0x03
	FormFactorUSBCNano      FormFactor = 0x04
	FormFactorUSBCLightning FormFactor = 0x05
	FormFactorUSBABio       FormFactor = 0x06 // YubiKey Bio, USB-A keychain
	FormFactorUSBCBio       FormFactor = 0x07 // YubiKey Bio, USB-C keychain
	FormFactorFIPS          FormFactor = 0x80 // flag, or-ed with a model
)

// FIPS reports whether the FIPS bit is set.
func (f FormFactor) FIPS() bool { return f&FormFactorFIPS != 0 }

// Model returns the form factor without the FIPS bit.
func (f FormFactor) Model() FormFactor { return f &^ FormFactorFIPS }

// String returns the conventional name of the form factor, e.g. "USB-C
// keychain" or "USB-A nano FIPS".
func (f FormFactor) String() string {
	var s string
	switch f.Model() {
	case FormFactorUnknown:
		s = "unknown"
	case FormFactorUSBAKeychain:
		s = "USB-A keychain"
	case FormFactorUSBANano:
		s = "USB-A nano"
	case FormFactorUSBCKeychain:
		s = "USB-C keychain"
	case FormFactorUSBCNano:
		s = "USB-C nano"
	case FormFactorUSBCLightning:
		s = "USB-C/Lightning"
	case FormFactorUSBABio:
		s = "USB-A Bio"
	case FormFactorUSBCBio:
		s = "USB-C Bio"
	default:
		s = fmt.Sprintf("form factor %#02x", uint8(f.Model()))
	}
	if f.FIPS() {
		s += " FIPS"
	}
	return s
}

// Firmware is a YubiKey firmware version, e.g. 5.7.1. The zero value
// means unknown, or no minimum in [Options].
type Firmware struct {
	Major uint8 // e.g. 5
	Minor uint8 // e.g. 7
	Patch uint8 // e.g. 1
}

// String returns the version as major.minor.patch, e.g. "5.7.1".
func (v Firmware) String() string {
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// Less reports whether v is older than w.
func (v Firmware) Less(w Firmware) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

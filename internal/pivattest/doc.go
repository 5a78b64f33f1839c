// Package pivattest is a test attestation CA that issues certificates shaped
// like YubiKey PIV attestations, for the fake token (signer/fake), the YubiKey
// simulator (internal/pivsim) and the tests of package attestation. Slots,
// policies, form factors and firmware versions are package attestation's
// types.
//
// A real YubiKey holds a per-device attestation key and certificate in slot
// f9 ("Yubico PIV Attestation", issued by a Yubico root). When asked to
// attest a key it generated, the token signs a fresh certificate for that key
// with the f9 key: subject "YubiKey PIV Attestation <slot>", issuer the f9
// subject, validity copied from the f9 certificate, and four Yubico
// extensions (arc 1.3.6.1.4.1.41482.3) carrying the firmware version, the
// serial number, the PIN and touch policies and the form factor. This package
// reproduces that format byte for byte in the parts that matter (names as
// UTF8String, extension encodings and order, no key usage, no key
// identifiers), so certificates it issues are accepted by piv-go's
// Verifier when its Roots pool holds the test root.
//
// Use it like this:
//
//	ca, err := pivattest.NewCA("trustroot Test PIV Root CA", notBefore)
//	dev, err := ca.NewDevice(12345678, attestation.Firmware{Major: 5, Minor: 7, Patch: 1}, notBefore)
//	slotCert, err := dev.Attest(pivattest.Slot{Slot: attestation.SlotSignature, Public: pub})
//	// verify slotCert with dev.Cert as intermediate and ca.Cert as root.
//
// Keys are ECDSA P-256 derived deterministically from the CA name (and the
// device serial), so a CA of a given name always has the same key and the
// same root fingerprint across runs; certificate serial numbers and
// signatures are random. Real Yubico attestation keys are RSA-2048; the key
// type does not change the attestation format.
//
// The keys are public knowledge by construction: never use this package
// outside tests.
package pivattest

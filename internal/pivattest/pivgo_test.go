//go:build cgo && pivkey

package pivattest

// This file checks the generated certificates against piv-go itself. It
// needs cgo and pcsc-lite headers (piv-go links libpcsclite), so it builds
// only with the pivkey tag, like signer/piv:
//
//	CGO_ENABLED=1 go test -tags pivkey ./internal/pivattest/

import (
	"testing"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/trustroot/trustroot/attestation"
)

func TestPivGoVerifierAcceptsGeneratedCertificates(t *testing.T) {
	ca, err := NewCA("trustroot Test PIV Root CA", t0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("another root", t0)
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	for _, legacy := range []bool{false, true} {
		newDev := ca.NewDevice
		if legacy {
			newDev = ca.NewLegacyDevice
		}
		dev, err := newDev(12345678, attestation.Firmware{Major: 5, Minor: 4, Patch: 3}, t0)
		if err != nil {
			t.Fatal(err)
		}
		slot, err := dev.Attest(Slot{Slot: attestation.SlotCardAuthentication, PINPolicy: attestation.PINPolicyOnce, TouchPolicy: attestation.TouchPolicyCached,
			FormFactor: attestation.FormFactorUSBCKeychain | attestation.FormFactorFIPS, Public: key.Public()})
		if err != nil {
			t.Fatal(err)
		}
		f9 := *dev.Cert // piv-go patches basicConstraints in place
		a, err := (&piv.Verifier{Roots: ca.Pool()}).Verify(&f9, slot)
		if err != nil {
			t.Fatalf("legacy=%v: piv-go rejects the generated attestation: %v", legacy, err)
		}
		if a.Serial != 12345678 || a.Version != (piv.Version{Major: 5, Minor: 4, Patch: 3}) ||
			a.PINPolicy != piv.PINPolicyOnce || a.TouchPolicy != piv.TouchPolicyCached ||
			a.Formfactor != piv.FormfactorUSBCKeychainFIPS || a.Slot != piv.SlotCardAuthentication {
			t.Errorf("legacy=%v: piv-go read %+v", legacy, a)
		}
		f9 = *dev.Cert
		if _, err := (&piv.Verifier{Roots: other.Pool()}).Verify(&f9, slot); err == nil {
			t.Errorf("legacy=%v: piv-go accepted the attestation under another root", legacy)
		}
	}
	// The 2024-style chain, with the intermediates in the root pool as
	// piv-go's Verifier adds no intermediates of its own beyond f9.
	i1, err := ca.NewIntermediate("Test Attestation Intermediate A 1", t0)
	if err != nil {
		t.Fatal(err)
	}
	i2, err := i1.NewIntermediate("Test PIV Attestation A 1", t0)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := i2.NewDevice(7, attestation.Firmware{Major: 5, Minor: 7, Patch: 4}, t0)
	if err != nil {
		t.Fatal(err)
	}
	slot, err := dev.Attest(Slot{Public: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&piv.Verifier{Roots: ca.Pool()}).Verify(dev.Cert, slot); err == nil {
		t.Errorf("piv-go verified the 2024-style chain without its intermediates")
	}
	if a, err := (&piv.Verifier{Roots: pool(ca.Cert, i1.Cert, i2.Cert)}).Verify(dev.Cert, slot); err != nil || a.Serial != 7 {
		t.Errorf("piv-go on the 2024-style chain: %+v, %v", a, err)
	}
}

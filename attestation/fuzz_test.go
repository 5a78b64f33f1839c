package attestation_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"testing"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
)

// FuzzVerifyPEM feeds arbitrary bytes as the slot and device
// certificates: no panic, and an error never comes with a result.
func FuzzVerifyPEM(f *testing.F) {
	roots := yubicoPool(f)
	seeds := 0
	for _, rk := range realKeys {
		slot, dev := rk.certs(f)
		f.Add(slot, dev)
		sb, _ := pem.Decode(slot)
		db, _ := pem.Decode(dev)
		if sb == nil || db == nil {
			f.Fatalf("%s: no PEM", rk.dir)
		}
		f.Add(sb.Bytes, db.Bytes)
		seeds += 2
	}
	if seeds == 0 {
		f.Fatal("empty seed corpus")
	}
	f.Fuzz(func(t *testing.T, slot, dev []byte) {
		a, err := attestation.VerifyPEM(slot, dev, attestation.Options{Roots: roots, Now: attTime,
			MinPINPolicy: attestation.PINPolicyNever, MinTouchPolicy: attestation.TouchPolicyNever})
		if (a == nil) == (err == nil) {
			t.Fatalf("result %v with error %v", a, err)
		}
		if err == nil && (a.KeyFingerprint == "" || len(a.Chain) < 2 || a.RootFingerprint != attestation.YubicoPIVRootCA263751SHA256) {
			t.Fatalf("incomplete result %+v", a)
		}
	})
}

// FuzzExtensions feeds arbitrary Yubico extension values and
// subject names to the extension parser (signing a certificate per input
// would only slow the fuzzer; the chain is checked by
// FuzzVerifyPEM): no panic, an error never comes with a result,
// and a result reports exactly what was encoded.
func FuzzExtensions(f *testing.F) {
	c := newTestChain(f, 1, attestation.Firmware{Major: 5, Minor: 7, Patch: 1})
	seeds := 0
	for _, rk := range realKeys {
		slotPEM, _ := rk.certs(f)
		blk, _ := pem.Decode(slotPEM)
		if blk == nil {
			f.Fatalf("%s: no PEM", rk.dir)
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			f.Fatal(err)
		}
		vals := map[string][]byte{}
		for _, e := range cert.Extensions {
			vals[e.Id.String()] = e.Value
		}
		f.Add(vals[pivattest.OIDFirmwareVersion], vals[pivattest.OIDSerialNumber], vals[pivattest.OIDPolicy], vals[pivattest.OIDFormFactor], cert.Subject.CommonName)
		seeds++
	}
	if seeds == 0 {
		f.Fatal("empty seed corpus")
	}
	f.Fuzz(func(t *testing.T, fw, serial, policy, ff []byte, cn string) {
		exts := []pkix.Extension{
			{Id: attestation.OIDYubicoFirmware, Value: fw},
			{Id: attestation.OIDYubicoSerial, Value: serial},
			{Id: attestation.OIDYubicoPolicy, Value: policy},
			{Id: attestation.OIDYubicoFormFactor, Value: ff},
		}
		tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, Extensions: exts, PublicKey: c.key.Public()}
		// Parse without the chain (fast path, every input reaches it).
		a, err := attestation.ParseSlotCertificate(tmpl)
		if (a == nil) == (err == nil) {
			t.Fatalf("parse: result %v with error %v", a, err)
		}
		if err == nil {
			if len(fw) != 3 || a.Firmware != (attestation.Firmware{Major: fw[0], Minor: fw[1], Patch: fw[2]}) ||
				len(policy) != 2 || byte(a.PINPolicy) != policy[0] || byte(a.TouchPolicy) != policy[1] ||
				len(ff) != 1 || byte(a.FormFactor) != ff[0] {
				t.Fatalf("parse result %+v does not match input", a)
			}
		}
	})
}

package pivattest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/sharedtestdata"

	"github.com/trustroot/trustroot/attestation"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// shape describes the parts of a certificate the attestation format fixes:
// version, the ASN.1 tag of each name's CN value, the serial's length class,
// and each extension's OID, criticality and value shape (length for raw
// values, DER tag+length class for the serial INTEGER, full value for
// basicConstraints).
func shape(t *testing.T, c *x509.Certificate) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "v%d issuerCN=%s subjectCN=%s", c.Version, cnTag(t, c.RawIssuer), cnTag(t, c.RawSubject))
	for _, e := range c.Extensions {
		fmt.Fprintf(&b, " [%s crit=%v ", e.Id, e.Critical)
		switch e.Id.String() {
		case OIDSerialNumber:
			var n int64
			rest, err := asn1.Unmarshal(e.Value, &n)
			if err != nil || len(rest) != 0 || e.Value[0] != 0x02 {
				fmt.Fprintf(&b, "bad-integer")
			} else {
				b.WriteString("INTEGER")
			}
		case "2.5.29.19":
			fmt.Fprintf(&b, "%x", e.Value)
		default:
			fmt.Fprintf(&b, "len=%d", len(e.Value))
		}
		b.WriteString("]")
	}
	return b.String()
}

type atv struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

type atvSET []atv

func cnTag(t *testing.T, rawName []byte) string {
	t.Helper()
	var rdn []atvSET
	if rest, err := asn1.Unmarshal(rawName, &rdn); err != nil || len(rest) != 0 {
		t.Fatalf("bad name: %v", err)
	}
	if len(rdn) != 1 || len(rdn[0]) != 1 || !rdn[0][0].Type.Equal(oidCommonName) {
		return fmt.Sprintf("not-a-single-CN(%d)", len(rdn))
	}
	return fmt.Sprintf("tag%d", rdn[0][0].Value.Tag)
}

// TestShapeMatchesRealYubiKeys compares generated certificates with the real
// ones from the 2021 and 2022 Sigstore ceremonies.
func TestShapeMatchesRealYubiKeys(t *testing.T) {
	root := sharedtestdata.SigstoreRoot(t)
	ca, err := NewCA("trustroot Test PIV Root CA", t0)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := ca.NewDevice(13078778, attestation.Firmware{Major: 5, Minor: 2, Patch: 6}, t0)
	if err != nil {
		t.Fatal(err)
	}
	slot, err := dev.Attest(Slot{Slot: attestation.SlotSignature, PINPolicy: attestation.PINPolicyAlways, TouchPolicy: attestation.TouchPolicyAlways,
		FormFactor: attestation.FormFactorUSBCKeychain, Public: newKey(t).Public()})
	if err != nil {
		t.Fatal(err)
	}
	for _, serial := range []string{"13078778", "14470876", "keys-2022/18158855"} {
		dir := filepath.Join(root, "keys-2021", serial)
		if strings.HasPrefix(serial, "keys-2022/") {
			dir = filepath.Join(root, serial)
		}
		base := filepath.Base(dir)
		realDev := readCert(t, filepath.Join(dir, base+"_device_cert.pem"))
		realSlot := readCert(t, filepath.Join(dir, base+"_key_cert.pem"))
		if got, want := shape(t, dev.Cert), shape(t, realDev); got != want {
			t.Errorf("%s device cert shape:\n got %s\nwant %s", base, got, want)
		}
		if got, want := shape(t, slot), shape(t, realSlot); got != want {
			t.Errorf("%s slot cert shape:\n got %s\nwant %s", base, got, want)
		}
		if slot.Subject.CommonName != realSlot.Subject.CommonName {
			t.Errorf("slot CN %q, real %q", slot.Subject.CommonName, realSlot.Subject.CommonName)
		}
		if dev.Cert.Subject.CommonName != realDev.Subject.CommonName {
			t.Errorf("device CN %q, real %q", dev.Cert.Subject.CommonName, realDev.Subject.CommonName)
		}
		if !bytes.Equal(slot.RawIssuer, dev.Cert.RawSubject) || !bytes.Equal(realSlot.RawIssuer, realDev.RawSubject) {
			t.Errorf("slot issuer is not the device subject")
		}
		// Real slot certs copy the device cert's validity.
		if !realSlot.NotBefore.Equal(realDev.NotBefore) || !slot.NotBefore.Equal(dev.Cert.NotBefore) ||
			!realSlot.NotAfter.Equal(realDev.NotAfter) || !slot.NotAfter.Equal(dev.Cert.NotAfter) {
			t.Errorf("slot validity not copied from device")
		}
		if len(realSlot.SerialNumber.Bytes()) > 16 || len(slot.SerialNumber.Bytes()) != 16 {
			t.Errorf("serial sizes: real %d, generated %d bytes", len(realSlot.SerialNumber.Bytes()), len(slot.SerialNumber.Bytes()))
		}
	}
	// Exact extension bytes for the same inputs as the real 13078778 cert.
	realSlot := readCert(t, filepath.Join(root, "keys-2021", "13078778", "13078778_key_cert.pem"))
	for i, e := range realSlot.Extensions {
		g := slot.Extensions[i]
		if !g.Id.Equal(e.Id) || !bytes.Equal(g.Value, e.Value) || g.Critical != e.Critical {
			t.Errorf("extension %d: got %s %x, real %s %x", i, g.Id, g.Value, e.Id, e.Value)
		}
	}
	realDev := readCert(t, filepath.Join(root, "keys-2021", "13078778", "13078778_device_cert.pem"))
	for i, e := range realDev.Extensions {
		g := dev.Cert.Extensions[i]
		if !g.Id.Equal(e.Id) || !bytes.Equal(g.Value, e.Value) || g.Critical != e.Critical {
			t.Errorf("device extension %d: got %s %x, real %s %x", i, g.Id, g.Value, e.Id, e.Value)
		}
	}
	if len(slot.SubjectKeyId)+len(slot.AuthorityKeyId)+len(dev.Cert.SubjectKeyId)+len(dev.Cert.AuthorityKeyId) != 0 {
		t.Errorf("generated certs carry key identifiers")
	}
}

func verifyChain(slot, dev *x509.Certificate, roots *x509.CertPool, extra ...*x509.Certificate) error {
	inter := x509.NewCertPool()
	d := *dev
	if !d.BasicConstraintsValid { // as piv-go does, on a copy
		d.BasicConstraintsValid, d.IsCA = true, true
	}
	inter.AddCert(&d)
	for _, c := range extra {
		inter.AddCert(c)
	}
	_, err := slot.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: t0.Add(time.Hour)})
	return err
}

func TestChains(t *testing.T) {
	ca, err := NewCA("trustroot Test PIV Root CA", t0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("another root", t0)
	if err != nil {
		t.Fatal(err)
	}
	pub := newKey(t).Public()
	dev, err := ca.NewDevice(1, attestation.Firmware{Major: 5, Minor: 7, Patch: 1}, t0)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := ca.NewLegacyDevice(2, attestation.Firmware{Major: 4, Minor: 3, Patch: 5}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if legacy.Cert.BasicConstraintsValid || !dev.Cert.BasicConstraintsValid || !dev.Cert.IsCA || dev.Cert.MaxPathLen != 0 || !dev.Cert.MaxPathLenZero {
		t.Fatalf("basicConstraints: legacy valid=%v, device valid=%v ca=%v pathlen=%d",
			legacy.Cert.BasicConstraintsValid, dev.Cert.BasicConstraintsValid, dev.Cert.IsCA, dev.Cert.MaxPathLen)
	}
	inter1, err := ca.NewIntermediate("Test Attestation Intermediate A 1", t0)
	if err != nil {
		t.Fatal(err)
	}
	inter2, err := inter1.NewIntermediate("Test PIV Attestation A 1", t0)
	if err != nil {
		t.Fatal(err)
	}
	newDev, err := inter2.NewDevice(3, attestation.Firmware{Major: 5, Minor: 7, Patch: 4}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if inter1.Cert.MaxPathLen != 2 || inter2.Cert.MaxPathLen != 1 || ca.Cert.MaxPathLen != 3 {
		t.Errorf("path lengths root %d, inter1 %d, inter2 %d", ca.Cert.MaxPathLen, inter1.Cert.MaxPathLen, inter2.Cert.MaxPathLen)
	}
	inter3, err := inter2.NewIntermediate("one too many", t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inter3.NewIntermediate("none left", t0); err == nil {
		t.Errorf("NewIntermediate under a pathlen-0 CA succeeded")
	}
	attest := func(d *Device) *x509.Certificate {
		c, err := d.Attest(Slot{Public: pub})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	s, sl, sn := attest(dev), attest(legacy), attest(newDev)
	if err := verifyChain(s, dev.Cert, ca.Pool()); err != nil {
		t.Errorf("device chain: %v", err)
	}
	if err := verifyChain(s, dev.Cert, other.Pool()); err == nil {
		t.Errorf("device chain verified under another root")
	}
	if err := verifyChain(sl, legacy.Cert, ca.Pool()); err != nil {
		t.Errorf("legacy chain: %v", err)
	}
	if legacy.Cert.BasicConstraintsValid {
		t.Errorf("verifyChain mutated the legacy cert")
	}
	if err := verifyChain(sn, newDev.Cert, ca.Pool()); err == nil {
		t.Errorf("new-style chain verified without intermediates")
	}
	if err := verifyChain(sn, newDev.Cert, ca.Pool(), inter1.Cert, inter2.Cert); err != nil {
		t.Errorf("new-style chain with intermediates: %v", err)
	}
	if err := verifyChain(s, legacy.Cert, ca.Pool()); err == nil {
		t.Errorf("slot cert verified under the wrong device")
	}
	// Expired: verify after the CA's end.
	if _, err := s.Verify(x509.VerifyOptions{Roots: ca.Pool(), Intermediates: pool(dev.Cert),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: ca.Cert.NotAfter.Add(time.Hour)}); err == nil {
		t.Errorf("chain verified after expiry")
	}
}

func pool(cs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}

func TestDeterministicKeys(t *testing.T) {
	a1, err := NewCA("A", t0)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := NewCA("A", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewCA("B", t0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a1.Cert.RawSubjectPublicKeyInfo, a2.Cert.RawSubjectPublicKeyInfo) {
		t.Errorf("same name, different keys")
	}
	if bytes.Equal(a1.Cert.RawSubjectPublicKeyInfo, b.Cert.RawSubjectPublicKeyInfo) {
		t.Errorf("different names, same key")
	}
	d1, _ := a1.NewDevice(7, attestation.Firmware{Major: 5, Minor: 4, Patch: 3}, t0)
	d2, _ := a2.NewDevice(7, attestation.Firmware{Major: 5, Minor: 4, Patch: 3}, t0)
	d3, _ := a1.NewDevice(8, attestation.Firmware{Major: 5, Minor: 4, Patch: 3}, t0)
	if d1 == nil || d2 == nil || d3 == nil {
		t.Fatal("NewDevice failed")
	}
	if !bytes.Equal(d1.Cert.RawSubjectPublicKeyInfo, d2.Cert.RawSubjectPublicKeyInfo) {
		t.Errorf("same CA and serial, different device keys")
	}
	if bytes.Equal(d1.Cert.RawSubjectPublicKeyInfo, d3.Cert.RawSubjectPublicKeyInfo) {
		t.Errorf("different serials, same device key")
	}
	if got := a1.Cert.Subject.CommonName; got != "A" {
		t.Errorf("CA CN %q", got)
	}
	if !a1.Cert.NotBefore.Equal(t0) || !a1.Cert.NotAfter.Equal(t0.AddDate(36, 0, 0)) {
		t.Errorf("CA validity %v..%v", a1.Cert.NotBefore, a1.Cert.NotAfter)
	}
	blk, _ := pem.Decode(a1.PEM())
	if blk == nil || !bytes.Equal(blk.Bytes, a1.Cert.Raw) {
		t.Errorf("CA PEM does not round-trip")
	}
	blk, _ = pem.Decode(d1.PEM())
	if blk == nil || !bytes.Equal(blk.Bytes, d1.Cert.Raw) {
		t.Errorf("device PEM does not round-trip")
	}
}

func ext(c *x509.Certificate, oid string) []byte {
	for _, e := range c.Extensions {
		if e.Id.String() == oid {
			return e.Value
		}
	}
	return nil
}

func TestAttestValues(t *testing.T) {
	ca, err := NewCA("values", t0)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := ca.NewDevice(0xFFFFFFFF, attestation.Firmware{Major: 5, Minor: 7, Patch: 2}, t0)
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	tests := []struct {
		in                 Slot
		cn                 string
		policy, formFactor []byte
		wantErr            string
	}{
		{in: Slot{Public: key.Public()}, cn: "YubiKey PIV Attestation 9c", policy: []byte{3, 1}, formFactor: []byte{0}},
		{in: Slot{Slot: attestation.SlotAuthentication, Public: key.Public()}, cn: "YubiKey PIV Attestation 9a", policy: []byte{2, 1}, formFactor: []byte{0}},
		{in: Slot{Slot: 0x95, PINPolicy: attestation.PINPolicyMatchAlways, TouchPolicy: attestation.TouchPolicyCached,
			FormFactor: attestation.FormFactorUSBCNano | attestation.FormFactorFIPS, Public: key.Public()},
			cn: "YubiKey PIV Attestation 95", policy: []byte{5, 3}, formFactor: []byte{0x84}},
		{in: Slot{Slot: 0xf9, Public: key.Public()}, wantErr: "slot f9 cannot"},
		{in: Slot{Slot: 0x81, Public: key.Public()}, wantErr: "slot 81 cannot"},
		{in: Slot{}, wantErr: "no public key"},
	}
	for _, tc := range tests {
		c, err := dev.Attest(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || c != nil {
				t.Errorf("Attest(%+v) = %v, %v; want error containing %q", tc.in, c, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Attest(%+v): %v", tc.in, err)
		}
		if c.Subject.CommonName != tc.cn {
			t.Errorf("CN %q, want %q", c.Subject.CommonName, tc.cn)
		}
		if got := ext(c, OIDPolicy); !bytes.Equal(got, tc.policy) {
			t.Errorf("%s: policy %x, want %x", tc.cn, got, tc.policy)
		}
		if got := ext(c, OIDFormFactor); !bytes.Equal(got, tc.formFactor) {
			t.Errorf("%s: form factor %x, want %x", tc.cn, got, tc.formFactor)
		}
		if got := ext(c, OIDFirmwareVersion); !bytes.Equal(got, []byte{5, 7, 2}) {
			t.Errorf("firmware %x", got)
		}
		var serial int64
		if _, err := asn1.Unmarshal(ext(c, OIDSerialNumber), &serial); err != nil || serial != 0xFFFFFFFF {
			t.Errorf("serial %d, %v", serial, err)
		}
		if !key.PublicKey.Equal(c.PublicKey) {
			t.Errorf("attested key differs")
		}
	}
}

func TestOverride(t *testing.T) {
	ca, err := NewCA("override", t0)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := ca.NewDevice(5, attestation.Firmware{Major: 5, Minor: 2, Patch: 7}, t0)
	if err != nil {
		t.Fatal(err)
	}
	extra := asn1.ObjectIdentifier{1, 2, 3}
	c, err := dev.Attest(Slot{Public: newKey(t).Public(), Override: []pkix.Extension{
		{Id: oidPolicy, Value: []byte{9}},
		{Id: extra, Value: []byte{0x05, 0x00}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ext(c, OIDPolicy); !bytes.Equal(got, []byte{9}) {
		t.Errorf("policy not overridden: %x", got)
	}
	if len(c.Extensions) != 5 || !c.Extensions[4].Id.Equal(extra) {
		t.Errorf("extensions %v", c.Extensions)
	}
}

func TestBadInput(t *testing.T) {
	if _, err := NewCA("", t0); err == nil {
		t.Error("NewCA accepted an empty name")
	}
	ca, err := NewCA("x", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(ca.Cert.NotBefore); d < 0 || d > time.Minute {
		t.Errorf("zero notBefore gave %v", ca.Cert.NotBefore)
	}
	if _, err := ca.NewIntermediate("", t0); err == nil {
		t.Error("NewIntermediate accepted an empty name")
	}
}

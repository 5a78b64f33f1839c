package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/pivattest"
	"github.com/trustroot/trustroot/internal/sharedtestdata"
	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/root"
)

// attTime is a reference time inside every real and generated chain.
var attTime = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// genStart is when generated test chains start.
var genStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type realKey struct {
	serial   uint32
	dir      string // under sigstore-root
	rootFile string // prod root listing the key
	keyID    string // prefix of its v1-4 key ID (README table)
	firmware FirmwareVersion
	form     FormFactor
}

var realKeys = []realKey{
	{13078778, "keys-2021/13078778", "1.root.json", "2f64fb5e", FirmwareVersion{5, 2, 6}, FormFactorUSBCKeychain},
	{14454335, "keys-2021/14454335", "1.root.json", "bdde902f", FirmwareVersion{5, 2, 7}, FormFactorUSBCKeychain},
	{14470876, "keys-2021/14470876", "1.root.json", "eaf22372", FirmwareVersion{5, 2, 7}, FormFactorUSBCKeychain},
	{15938765, "keys-2021/15938765", "1.root.json", "f40f3204", FirmwareVersion{5, 2, 7}, FormFactorUSBCKeychain},
	{15938791, "keys-2021/15938791", "1.root.json", "f5055951", FirmwareVersion{5, 2, 7}, FormFactorUSBCKeychain},
	{18158855, "keys-2022/18158855", "4.root.json", "75e867ab", FirmwareVersion{5, 4, 3}, FormFactorUSBAKeychain},
}

func readShared(t testing.TB, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(sharedtestdata.Path(t, elem...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (k realKey) certs(t testing.TB) (slot, dev []byte) {
	t.Helper()
	parts := append(strings.Split(k.dir, "/"), "")
	base := filepath.Base(k.dir)
	parts[len(parts)-1] = base + "_key_cert.pem"
	slot = readShared(t, parts...)
	parts[len(parts)-1] = base + "_device_cert.pem"
	return slot, readShared(t, parts...)
}

func yubicoRootPEM(t testing.TB) []byte {
	return readShared(t, "yubico", "yubico-piv-root-ca-263751.pem")
}

func yubicoPool(t testing.TB) *x509.CertPool {
	t.Helper()
	roots, _, err := YubicoAttestationPools(yubicoRootPEM(t))
	if err != nil {
		t.Fatal(err)
	}
	return roots
}

// rootKeys decodes the keys of a prod root file, by key ID.
func rootKeys(t *testing.T, file string) map[string]crypto.PublicKey {
	t.Helper()
	var doc struct {
		Signed struct {
			Keys map[string]map[string]any `json:"keys"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(readShared(t, "prod", file), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]crypto.PublicKey{}
	for id, obj := range doc.Signed.Keys {
		data, _ := json.Marshal(obj)
		k, err := tufkey.DecodeJSON(data)
		if err != nil {
			t.Fatalf("%s key %s: %v", file, id, err)
		}
		out[id] = k.Public
	}
	if len(out) == 0 {
		t.Fatalf("%s: no keys", file)
	}
	return out
}

func pkixFP(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(der)
	return hex.EncodeToString(s[:])
}

func TestAttestationRealCeremonyKeys(t *testing.T) {
	roots := yubicoPool(t)
	keysByFile := map[string]map[string]crypto.PublicKey{}
	for _, rk := range realKeys {
		t.Run(filepath.Base(rk.dir), func(t *testing.T) {
			keys, ok := keysByFile[rk.rootFile]
			if !ok {
				keys = rootKeys(t, rk.rootFile)
				keysByFile[rk.rootFile] = keys
			}
			// The root key whose ID the README lists for this serial.
			var want crypto.PublicKey
			for id, pub := range keys {
				if strings.HasPrefix(id, rk.keyID) {
					want = pub
				}
			}
			if want == nil {
				t.Fatalf("%s lists no key %s…", rk.rootFile, rk.keyID)
			}
			slotPEM, devPEM := rk.certs(t)
			a, err := VerifyAttestationPEM(slotPEM, devPEM, AttestationOptions{Roots: roots, Time: attTime, PublicKey: want,
				Serial: rk.serial, Slot: 0x9c})
			if err != nil {
				t.Fatalf("VerifyAttestationPEM: %v", err)
			}
			if a.Serial != rk.serial || a.Firmware != rk.firmware || a.FormFactor != rk.form || a.FormFactor.FIPS() ||
				a.PINPolicy != PINPolicyAlways || a.TouchPolicy != TouchPolicyAlways || a.Slot != 0x9c {
				t.Errorf("got serial %d fw %s form %s pin %s touch %s slot %02x; want %d %s %s always always 9c",
					a.Serial, a.Firmware, a.FormFactor, a.PINPolicy, a.TouchPolicy, a.Slot, rk.serial, rk.firmware, rk.form)
			}
			if a.RootFingerprint != YubicoPIVRootCA263751SHA256 || len(a.Chain) != 3 {
				t.Errorf("root %s, chain length %d", a.RootFingerprint, len(a.Chain))
			}
			if a.KeyFingerprint != pkixFP(t, want) {
				t.Errorf("key fingerprint %s, want %s", a.KeyFingerprint, pkixFP(t, want))
			}
			// Exactly one key of the root file is this token's.
			matches := 0
			for _, pub := range keys {
				if pkixFP(t, pub) == a.KeyFingerprint {
					matches++
				}
			}
			if matches != 1 {
				t.Errorf("attested key matches %d keys of %s", matches, rk.rootFile)
			}
			// And it is the published _pubkey.pem.
			base := filepath.Base(rk.dir)
			blk, _ := pem.Decode(readShared(t, append(strings.Split(rk.dir, "/"), base+"_pubkey.pem")...))
			if blk == nil {
				t.Fatal("no PEM in _pubkey.pem")
			}
			pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if pkixFP(t, pub) != a.KeyFingerprint {
				t.Errorf("attested key is not %s_pubkey.pem", base)
			}
			if len(a.Warnings) != 1 || a.Warnings[0].Code != "firmware-ysa-2024-03" || !strings.Contains(a.Warnings[0].Message, rk.firmware.String()) {
				t.Errorf("warnings %+v, want one firmware-ysa-2024-03", a.Warnings)
			}
		})
	}
}

func TestAttestationRealNegative(t *testing.T) {
	roots := yubicoPool(t)
	slot13, dev13 := realKeys[0].certs(t)
	slot18, dev18 := realKeys[5].certs(t)
	other := rootKeys(t, "1.root.json")
	var otherKey crypto.PublicKey
	for id, pub := range other {
		if strings.HasPrefix(id, "eaf22372") {
			otherKey = pub
		}
	}
	testCA, err := pivattest.NewCA("trustroot Test PIV Root CA", genStart)
	if err != nil {
		t.Fatal(err)
	}
	// Flip the touch policy in the DER (policy extension value 03 02 -> 03 01).
	tampered := tamper(t, slot13, []byte{0x04, 0x02, 0x03, 0x02}, []byte{0x04, 0x02, 0x03, 0x01})
	// Change the serial (C7 90 FA -> C7 90 FB).
	tamperedSerial := tamper(t, slot13, []byte{0x00, 0xc7, 0x90, 0xfa}, []byte{0x00, 0xc7, 0x90, 0xfb})

	tests := []struct {
		name      string
		slot, dev []byte
		opts      AttestationOptions
		want      error
	}{
		{"nil roots", slot13, dev13, AttestationOptions{Time: attTime}, ErrNoAttestationRoots},
		{"wrong device", slot13, dev18, AttestationOptions{Roots: roots, Time: attTime}, ErrAttestationChain},
		{"wrong device 2", slot18, dev13, AttestationOptions{Roots: roots, Time: attTime}, ErrAttestationChain},
		{"different key", slot13, dev13, AttestationOptions{Roots: roots, Time: attTime, PublicKey: otherKey}, ErrAttestationKeyMismatch},
		{"serial", slot13, dev13, AttestationOptions{Roots: roots, Time: attTime, Serial: 14470876}, ErrAttestationSerial},
		{"slot", slot13, dev13, AttestationOptions{Roots: roots, Time: attTime, Slot: 0x9a}, ErrAttestationSlot},
		{"min firmware", slot13, dev13, AttestationOptions{Roots: roots, Time: attTime, MinFirmware: FirmwareVersion{5, 7, 0}}, ErrAttestationFirmware},
		{"min firmware patch", slot13, dev13, AttestationOptions{Roots: roots, Time: attTime, MinFirmware: FirmwareVersion{5, 2, 7}}, ErrAttestationFirmware},
		{"expired", slot13, dev13, AttestationOptions{Roots: roots, Time: time.Date(2052, 5, 1, 0, 0, 0, 0, time.UTC)}, ErrAttestationChain},
		{"not yet valid", slot13, dev13, AttestationOptions{Roots: roots, Time: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)}, ErrAttestationChain},
		{"test root", slot13, dev13, AttestationOptions{Roots: testCA.Pool(), Time: attTime}, ErrAttestationChain},
		{"tampered policy", tampered, dev13, AttestationOptions{Roots: roots, Time: attTime, MinTouchPolicy: TouchPolicyNever}, ErrAttestationChain},
		{"tampered serial", tamperedSerial, dev13, AttestationOptions{Roots: roots, Time: attTime}, ErrAttestationChain},
		{"device as slot", dev13, dev13, AttestationOptions{Roots: roots, Time: attTime}, ErrAttestationMalformed},
		{"empty", nil, dev13, AttestationOptions{Roots: roots, Time: attTime}, ErrAttestationMalformed},
		{"garbage", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), dev13, AttestationOptions{Roots: roots, Time: attTime}, ErrAttestationMalformed},
		{"truncated", slot13[:len(slot13)/2], dev13, AttestationOptions{Roots: roots, Time: attTime}, ErrAttestationMalformed},
		{"bad device", slot13, []byte{0x30, 0x03, 0x02, 0x01, 0x01}, AttestationOptions{Roots: roots, Time: attTime}, ErrAttestationMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := VerifyAttestationPEM(tc.slot, tc.dev, tc.opts)
			if a != nil || err == nil {
				t.Fatalf("got %+v, %v; want error %v", a, err, tc.want)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var ae *AttestationError
			if !errors.As(err, &ae) || !strings.HasPrefix(err.Error(), "verify: attestation: ") {
				t.Errorf("error %q is not an *AttestationError with the package prefix", err)
			}
		})
	}
	// The expired case says so through the cause.
	_, err = VerifyAttestationPEM(slot13, dev13, AttestationOptions{Roots: roots, Time: time.Date(2052, 5, 1, 0, 0, 0, 0, time.UTC)})
	var inv x509.CertificateInvalidError
	if !errors.As(err, &inv) || inv.Reason != x509.Expired {
		t.Errorf("expired chain error %v does not carry x509.Expired", err)
	}
}

// tamper re-encodes a PEM certificate with one occurrence of from replaced.
func tamper(t *testing.T, pemCert, from, to []byte) []byte {
	t.Helper()
	blk, _ := pem.Decode(pemCert)
	if blk == nil || bytes.Count(blk.Bytes, from) != 1 {
		t.Fatalf("tamper: %x not found exactly once", from)
	}
	der := bytes.Replace(blk.Bytes, from, to, 1)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testChain is a generated attestation hierarchy.
type testChain struct {
	ca  *pivattest.CA
	dev *pivattest.Device
	key *ecdsa.PrivateKey
}

func newTestChain(t testing.TB, serial uint32, fw [3]byte) testChain {
	t.Helper()
	ca, err := pivattest.NewCA("trustroot Test PIV Root CA", genStart)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := ca.NewDevice(serial, fw, genStart)
	if err != nil {
		t.Fatal(err)
	}
	return testChain{ca: ca, dev: dev, key: newECKey(t)}
}

func (c testChain) attest(t testing.TB, s pivattest.Slot) *x509.Certificate {
	t.Helper()
	if s.Public == nil {
		s.Public = c.key.Public()
	}
	cert, err := c.dev.Attest(s)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// craft issues a slot certificate from the device key with arbitrary
// subject and extensions (for formats pivattest will not produce).
func craft(t *testing.T, dev *pivattest.Device, cn string, exts []pkix.Extension, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(42),
		Subject:         pkix.Name{CommonName: cn},
		NotBefore:       dev.Cert.NotBefore,
		NotAfter:        dev.Cert.NotAfter,
		ExtraExtensions: exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, dev.Cert, pub, dev.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ext(oid asn1.ObjectIdentifier, v ...byte) pkix.Extension {
	return pkix.Extension{Id: oid, Value: v}
}

func TestAttestationGenerated(t *testing.T) {
	c := newTestChain(t, 12345678, [3]byte{5, 7, 1})
	base := AttestationOptions{Roots: c.ca.Pool(), Time: attTime}
	always := pivattest.Slot{PINPolicy: pivattest.PINPolicyAlways, TouchPolicy: pivattest.TouchPolicyAlways,
		FormFactor: pivattest.FormFactorUSBCNano | pivattest.FormFactorFIPS}

	a, err := VerifyAttestation(c.attest(t, always), c.dev.Cert, func() AttestationOptions {
		o := base
		o.PublicKey = c.key.Public()
		o.Serial = 12345678
		o.Slot = 0x9c
		o.MinFirmware = FirmwareVersion{5, 7, 0}
		return o
	}())
	if err != nil {
		t.Fatalf("VerifyAttestation: %v", err)
	}
	if a.Serial != 12345678 || a.Firmware != (FirmwareVersion{5, 7, 1}) || a.FormFactor.Model() != FormFactorUSBCNano ||
		!a.FormFactor.FIPS() || a.FormFactor.String() != "USB-C nano FIPS" || len(a.Warnings) != 0 {
		t.Errorf("got %+v", a)
	}
	if a.Chain[1] != c.dev.Cert || a.Chain[2] != c.ca.Cert && !a.Chain[2].Equal(c.ca.Cert) {
		t.Errorf("chain does not end device -> root")
	}
	if a.RootFingerprint != pkixCertFP(c.ca.Cert) {
		t.Errorf("root fingerprint %s", a.RootFingerprint)
	}

	// Under Yubico's root the generated chain must not verify.
	o := base
	o.Roots = yubicoPool(t)
	if _, err := VerifyAttestation(c.attest(t, always), c.dev.Cert, o); !errors.Is(err, ErrAttestationChain) {
		t.Errorf("generated chain under the Yubico root: %v", err)
	}

	type polCase struct {
		name       string
		pin, touch byte
		minPIN     PINPolicy
		minTouch   TouchPolicy
		ok         bool
	}
	pols := []polCase{
		{"default needs always/always", pivattest.PINPolicyAlways, pivattest.TouchPolicyAlways, 0, 0, true},
		{"default rejects pin once", pivattest.PINPolicyOnce, pivattest.TouchPolicyAlways, 0, 0, false},
		{"default rejects touch cached", pivattest.PINPolicyAlways, pivattest.TouchPolicyCached, 0, 0, false},
		{"default rejects never", pivattest.PINPolicyNever, pivattest.TouchPolicyNever, 0, 0, false},
		{"match-always counts as always", pivattest.PINPolicyMatchAlways, pivattest.TouchPolicyAlways, 0, 0, true},
		{"match-once is not always", pivattest.PINPolicyMatchOnce, pivattest.TouchPolicyAlways, 0, 0, false},
		{"once accepted when asked", pivattest.PINPolicyOnce, pivattest.TouchPolicyCached, PINPolicyOnce, TouchPolicyCached, true},
		{"never rejected at once", pivattest.PINPolicyNever, pivattest.TouchPolicyAlways, PINPolicyOnce, TouchPolicyNever, false},
		{"cached rejected at always", pivattest.PINPolicyAlways, pivattest.TouchPolicyCached, PINPolicyNever, TouchPolicyAlways, false},
		{"anything at never", pivattest.PINPolicyNever, pivattest.TouchPolicyNever, PINPolicyNever, TouchPolicyNever, true},
		{"invalid minimum", pivattest.PINPolicyAlways, pivattest.TouchPolicyAlways, PINPolicy(9), 0, false},
	}
	for _, p := range pols {
		o := base
		o.MinPINPolicy, o.MinTouchPolicy = p.minPIN, p.minTouch
		a, err := VerifyAttestation(c.attest(t, pivattest.Slot{PINPolicy: p.pin, TouchPolicy: p.touch}), c.dev.Cert, o)
		if p.ok && (err != nil || a == nil || byte(a.PINPolicy) != p.pin || byte(a.TouchPolicy) != p.touch) {
			t.Errorf("%s: %+v, %v", p.name, a, err)
		}
		if !p.ok && (a != nil || !errors.Is(err, ErrAttestationPolicy)) {
			t.Errorf("%s: got %v, %v; want ErrAttestationPolicy", p.name, a, err)
		}
	}

	// Slots.
	for _, s := range []byte{0x9a, 0x9d, 0x9e, 0x82, 0x95} {
		o := base
		o.MinPINPolicy, o.MinTouchPolicy, o.Slot = PINPolicyNever, TouchPolicyNever, s
		a, err := VerifyAttestation(c.attest(t, pivattest.Slot{Slot: s}), c.dev.Cert, o)
		if err != nil || a.Slot != s {
			t.Errorf("slot %02x: %+v, %v", s, a, err)
		}
	}
}

func pkixCertFP(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}

func TestAttestationGeneratedChains(t *testing.T) {
	ca, err := pivattest.NewCA("trustroot Test PIV Root CA", genStart)
	if err != nil {
		t.Fatal(err)
	}
	key := newECKey(t)
	opts := AttestationOptions{Roots: ca.Pool(), Time: attTime, PublicKey: key.Public()}

	// Legacy device certificate without basicConstraints: accepted, and the
	// caller's certificate is left alone.
	legacy, err := ca.NewLegacyDevice(100, [3]byte{4, 3, 3}, genStart)
	if err != nil {
		t.Fatal(err)
	}
	slot, err := legacy.Attest(pivattest.Slot{PINPolicy: pivattest.PINPolicyAlways, TouchPolicy: pivattest.TouchPolicyAlways, Public: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	before := *legacy.Cert
	if a, err := VerifyAttestation(slot, legacy.Cert, opts); err != nil || a.Serial != 100 {
		t.Errorf("legacy device: %+v, %v", a, err)
	}
	if legacy.Cert.BasicConstraintsValid || legacy.Cert.IsCA || legacy.Cert.MaxPathLen != before.MaxPathLen {
		t.Errorf("VerifyAttestation modified the caller's device certificate")
	}

	// 2024-style chain: root -> intermediate -> PIV CA -> device -> slot.
	i1, err := ca.NewIntermediate("Test Attestation Intermediate A 1", genStart)
	if err != nil {
		t.Fatal(err)
	}
	i2, err := i1.NewIntermediate("Test PIV Attestation A 1", genStart)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := i2.NewDevice(200, [3]byte{5, 7, 4}, genStart)
	if err != nil {
		t.Fatal(err)
	}
	slot2, err := dev.Attest(pivattest.Slot{PINPolicy: pivattest.PINPolicyAlways, TouchPolicy: pivattest.TouchPolicyAlways, Public: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyAttestation(slot2, dev.Cert, opts); !errors.Is(err, ErrAttestationChain) {
		t.Errorf("2024 chain without intermediates: %v", err)
	}
	inter := x509.NewCertPool()
	inter.AddCert(i1.Cert)
	inter.AddCert(i2.Cert)
	o := opts
	o.Intermediates = inter
	a, err := VerifyAttestation(slot2, dev.Cert, o)
	if err != nil || len(a.Chain) != 5 || len(a.Warnings) != 0 {
		t.Fatalf("2024 chain: %+v, %v", a, err)
	}

	// A slot certificate issued by an intermediate directly, offered with
	// some unrelated device certificate, proves nothing about that device.
	direct := &pivattest.Device{Cert: i2.Cert, Key: i2.Key, Serial: 200, Firmware: [3]byte{5, 7, 4}}
	slot3, err := direct.Attest(pivattest.Slot{PINPolicy: pivattest.PINPolicyAlways, TouchPolicy: pivattest.TouchPolicyAlways, Public: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := VerifyAttestation(slot3, dev.Cert, o); !errors.Is(err, ErrAttestationChain) || a != nil {
		t.Errorf("slot cert not issued by the device: %+v, %v", a, err)
	}

	// Expired generated chain.
	o.Time = ca.Cert.NotAfter.Add(time.Second)
	if _, err := VerifyAttestation(slot2, dev.Cert, o); !errors.Is(err, ErrAttestationChain) {
		t.Errorf("expired generated chain: %v", err)
	}

	// Warnings: EUCLEAK below 5.7.0, ROCA for RSA keys on 4.2.6-4.3.4.
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fw    [3]byte
		pub   crypto.PublicKey
		codes string
	}{
		{[3]byte{5, 7, 0}, key.Public(), ""},
		{[3]byte{5, 6, 9}, key.Public(), "firmware-ysa-2024-03"},
		{[3]byte{4, 3, 4}, key.Public(), "firmware-ysa-2024-03"},
		{[3]byte{4, 3, 4}, &rsaKey.PublicKey, "firmware-ysa-2024-03 firmware-ysa-2017-01"},
		{[3]byte{4, 2, 6}, &rsaKey.PublicKey, "firmware-ysa-2024-03 firmware-ysa-2017-01"},
		{[3]byte{4, 3, 5}, &rsaKey.PublicKey, "firmware-ysa-2024-03"},
		{[3]byte{5, 7, 2}, &rsaKey.PublicKey, ""},
	} {
		d, err := ca.NewDevice(300, tc.fw, genStart)
		if err != nil {
			t.Fatal(err)
		}
		s, err := d.Attest(pivattest.Slot{PINPolicy: pivattest.PINPolicyAlways, TouchPolicy: pivattest.TouchPolicyAlways, Public: tc.pub})
		if err != nil {
			t.Fatal(err)
		}
		a, err := VerifyAttestation(s, d.Cert, AttestationOptions{Roots: ca.Pool(), Time: attTime})
		if err != nil {
			t.Fatalf("fw %v: %v", tc.fw, err)
		}
		var codes []string
		for _, w := range a.Warnings {
			codes = append(codes, w.Code)
		}
		if got := strings.Join(codes, " "); got != tc.codes {
			t.Errorf("fw %v %T: warnings %q, want %q", tc.fw, tc.pub, got, tc.codes)
		}
	}
}

func TestAttestationMalformedExtensions(t *testing.T) {
	c := newTestChain(t, 7, [3]byte{5, 7, 1})
	opts := AttestationOptions{Roots: c.ca.Pool(), Time: attTime, MinPINPolicy: PINPolicyNever, MinTouchPolicy: TouchPolicyNever}
	fw := ext(oidYubicoFirmware, 5, 7, 1)
	serial := ext(oidYubicoSerial, 0x02, 0x01, 0x07)
	pol := ext(oidYubicoPolicy, 3, 2)
	ff := ext(oidYubicoFormFactor, 3)
	cn := "YubiKey PIV Attestation 9c"
	tests := []struct {
		name string
		cn   string
		exts []pkix.Extension
		want error
	}{
		{"well-formed", cn, []pkix.Extension{fw, serial, pol, ff}, nil},
		{"no form factor", cn, []pkix.Extension{fw, serial, pol}, nil},
		{"firmware short", cn, []pkix.Extension{ext(oidYubicoFirmware, 5, 7), serial, pol, ff}, ErrAttestationMalformed},
		{"firmware long", cn, []pkix.Extension{ext(oidYubicoFirmware, 5, 7, 1, 0), serial, pol, ff}, ErrAttestationMalformed},
		{"no firmware", cn, []pkix.Extension{serial, pol, ff}, ErrAttestationMalformed},
		{"serial raw", cn, []pkix.Extension{fw, ext(oidYubicoSerial, 0, 0, 0, 7), pol, ff}, ErrAttestationMalformed},
		{"serial negative", cn, []pkix.Extension{fw, ext(oidYubicoSerial, 0x02, 0x01, 0xff), pol, ff}, ErrAttestationMalformed},
		{"serial too big", cn, []pkix.Extension{fw, ext(oidYubicoSerial, 0x02, 0x05, 0x01, 0, 0, 0, 0), pol, ff}, ErrAttestationMalformed},
		{"serial non-minimal", cn, []pkix.Extension{fw, ext(oidYubicoSerial, 0x02, 0x02, 0x00, 0x07), pol, ff}, ErrAttestationMalformed},
		{"serial trailing", cn, []pkix.Extension{fw, ext(oidYubicoSerial, 0x02, 0x01, 0x07, 0x00), pol, ff}, ErrAttestationMalformed},
		{"no serial", cn, []pkix.Extension{fw, pol, ff}, ErrAttestationMalformed},
		{"policy short", cn, []pkix.Extension{fw, serial, ext(oidYubicoPolicy, 3), ff}, ErrAttestationMalformed},
		{"unknown pin policy", cn, []pkix.Extension{fw, serial, ext(oidYubicoPolicy, 0, 2), ff}, ErrAttestationMalformed},
		{"unknown touch policy", cn, []pkix.Extension{fw, serial, ext(oidYubicoPolicy, 3, 4), ff}, ErrAttestationMalformed},
		{"no policy", cn, []pkix.Extension{fw, serial, ff}, ErrAttestationMalformed},
		{"form factor long", cn, []pkix.Extension{fw, serial, pol, ext(oidYubicoFormFactor, 3, 0)}, ErrAttestationMalformed},
		{"cn other", "Yubico PIV Attestation", []pkix.Extension{fw, serial, pol, ff}, ErrAttestationMalformed},
		{"cn no slot", "YubiKey PIV Attestation ", []pkix.Extension{fw, serial, pol, ff}, ErrAttestationMalformed},
		{"cn bad hex", "YubiKey PIV Attestation zz", []pkix.Extension{fw, serial, pol, ff}, ErrAttestationMalformed},
		{"cn f9", "YubiKey PIV Attestation f9", []pkix.Extension{fw, serial, pol, ff}, ErrAttestationMalformed},
		{"cn long", "YubiKey PIV Attestation 09c", []pkix.Extension{fw, serial, pol, ff}, ErrAttestationMalformed},
		{"unknown critical extension", cn, []pkix.Extension{fw, serial, pol, ff, {Id: asn1.ObjectIdentifier{1, 2, 3}, Critical: true, Value: []byte{5, 0}}}, ErrAttestationChain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := craft(t, c.dev, tc.cn, tc.exts, c.key.Public())
			a, err := VerifyAttestation(s, c.dev.Cert, opts)
			if tc.want == nil {
				if err != nil || a.Serial != 7 {
					t.Fatalf("got %+v, %v", a, err)
				}
				return
			}
			if a != nil || !errors.Is(err, tc.want) {
				t.Fatalf("got %+v, %v; want %v", a, err, tc.want)
			}
		})
	}
	// Nil certificates.
	if a, err := VerifyAttestation(nil, c.dev.Cert, opts); a != nil || !errors.Is(err, ErrAttestationMalformed) {
		t.Errorf("nil slot cert: %v, %v", a, err)
	}
	if a, err := VerifyAttestation(c.attest(t, pivattest.Slot{}), nil, opts); a != nil || !errors.Is(err, ErrAttestationMalformed) {
		t.Errorf("nil device cert: %v, %v", a, err)
	}
	// An expected key that cannot be encoded.
	o := opts
	o.PublicKey = struct{}{}
	if a, err := VerifyAttestation(c.attest(t, pivattest.Slot{}), c.dev.Cert, o); a != nil || !errors.Is(err, ErrAttestationKeyMismatch) {
		t.Errorf("unencodable expected key: %v, %v", a, err)
	}
}

func TestParseAttestationCertificate(t *testing.T) {
	slotPEM, _ := realKeys[0].certs(t)
	blk, _ := pem.Decode(slotPEM)
	if blk == nil {
		t.Fatal("no PEM")
	}
	for name, in := range map[string][]byte{"pem": slotPEM, "der": blk.Bytes, "pem with spaces": append(append([]byte("\n  "), slotPEM...), "\n\n"...)} {
		c, err := ParseAttestationCertificate(in)
		if err != nil || !bytes.Equal(c.Raw, blk.Bytes) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := map[string][]byte{
		"nil":          nil,
		"too large":    bytes.Repeat([]byte{'a'}, MaxAttestationCertSize+1),
		"two blocks":   append(append([]byte{}, slotPEM...), slotPEM...),
		"trailing":     append(append([]byte{}, slotPEM...), "junk"...),
		"wrong type":   pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: blk.Bytes}),
		"broken PEM":   []byte("-----BEGIN CERTIFICATE-----\n!!!\n"),
		"trailing DER": append(append([]byte{}, blk.Bytes...), 0),
	}
	for name, in := range bad {
		c, err := ParseAttestationCertificate(in)
		if c != nil || !errors.Is(err, ErrAttestationMalformed) {
			t.Errorf("%s: %v, %v", name, c, err)
		}
	}
	if _, err := ParseAttestationCertificate(bad["too large"]); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v does not wrap ErrTooLarge", err)
	}
}

func TestYubicoAttestationPools(t *testing.T) {
	yub := yubicoRootPEM(t)
	ca, err := pivattest.NewCA("trustroot Test PIV Root CA", genStart)
	if err != nil {
		t.Fatal(err)
	}
	i1, err := ca.NewIntermediate("inter", genStart)
	if err != nil {
		t.Fatal(err)
	}
	_, dev13 := realKeys[0].certs(t)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, []byte("\n")) }

	roots, inter, err := YubicoAttestationPools(cat([]byte("Yubico PIV root:\n"), yub, dev13))
	if err != nil {
		t.Fatal(err)
	}
	slot13, _ := realKeys[0].certs(t)
	if _, err := VerifyAttestationPEM(slot13, dev13, AttestationOptions{Roots: roots, Intermediates: inter, Time: attTime}); err != nil {
		t.Errorf("verify with pools: %v", err)
	}
	if _, _, err := YubicoAttestationPools(cat(yub, ca.PEM())); !errors.Is(err, ErrNoAttestationRoots) || !strings.Contains(err.Error(), pkixCertFP(ca.Cert)) {
		t.Errorf("bundle with the test root: %v", err)
	}
	for name, in := range map[string][]byte{
		"empty":               nil,
		"only intermediates":  cat(i1.PEM(), dev13),
		"only the test root":  ca.PEM(),
		"not PEM":             []byte("hello"),
		"non-certificate PEM": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}}),
	} {
		if r, i, err := YubicoAttestationPools(in); r != nil || i != nil || !errors.Is(err, ErrNoAttestationRoots) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0}})
	if _, _, err := YubicoAttestationPools(cat(yub, bad)); !errors.Is(err, ErrAttestationMalformed) {
		t.Errorf("bad certificate in bundle: %v", err)
	}
	if _, _, err := YubicoAttestationPools(make([]byte, MaxAttestationBundleSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized bundle: %v", err)
	}
	many := bytes.Repeat(cat(dev13), MaxAttestationBundleCerts+1)
	if _, _, err := YubicoAttestationPools(cat(yub, many)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too many certificates: %v", err)
	}
	// The fingerprint constant is the shared copy's.
	blk, _ := pem.Decode(yub)
	if s := sha256.Sum256(blk.Bytes); hex.EncodeToString(s[:]) != YubicoPIVRootCA263751SHA256 {
		t.Errorf("YubicoPIVRootCA263751SHA256 does not match the shared Yubico root")
	}
}

func TestAttestationStrings(t *testing.T) {
	cases := map[string]string{
		PINPolicyNever.String():                             "never",
		PINPolicyMatchAlways.String():                       "match-always",
		PINPolicy(9).String():                               "PINPolicy(0x09)",
		TouchPolicyCached.String():                          "cached",
		TouchPolicy(0).String():                             "TouchPolicy(0x00)",
		FormFactorUSBAKeychain.String():                     "USB-A keychain",
		(FormFactorUSBCLightning | FormFactorFIPS).String(): "USB-C/Lightning FIPS",
		FormFactor(0x7e).String():                           "form factor 0x7e",
		(FirmwareVersion{5, 7, 4}).String():                 "5.7.4",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if !(FirmwareVersion{5, 6, 9}).Less(FirmwareVersion{5, 7, 0}) || (FirmwareVersion{5, 7, 0}).Less(FirmwareVersion{5, 7, 0}) ||
		(FirmwareVersion{6, 0, 0}).Less(FirmwareVersion{5, 9, 9}) {
		t.Error("FirmwareVersion.Less")
	}
}

// TestAttestationCoversRootKeys parses the real prod roots with package root
// and checks that every root-role key of v1 (five keyholders) and the key
// added in v4 (18158855) is attested by exactly one ceremony YubiKey.
func TestAttestationCoversRootKeys(t *testing.T) {
	roots := yubicoPool(t)
	type attested struct {
		serial uint32
		fp     string
	}
	var all []attested
	for _, rk := range realKeys {
		slot, dev := rk.certs(t)
		a, err := VerifyAttestationPEM(slot, dev, AttestationOptions{Roots: roots, Time: attTime})
		if err != nil {
			t.Fatalf("%d: %v", rk.serial, err)
		}
		all = append(all, attested{a.Serial, a.KeyFingerprint})
	}
	for _, tc := range []struct {
		file string
		want []uint32 // serials whose keys the root role must hold
	}{
		{"1.root.json", []uint32{13078778, 14454335, 14470876, 15938765, 15938791}},
		{"4.root.json", []uint32{13078778, 14470876, 15938765, 15938791, 18158855}},
	} {
		r, err := root.Parse(readShared(t, "prod", tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		rk, ok := r.Role(root.RoleRoot)
		if !ok || len(rk.Keys) != 5 {
			t.Fatalf("%s: root role %+v", tc.file, rk)
		}
		var got []uint32
		for _, k := range rk.Keys {
			fp := pkixFP(t, k.Public())
			n := 0
			for _, a := range all {
				if a.fp == fp {
					got = append(got, a.serial)
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s: key %s matches %d attestations", tc.file, k.ID(), n)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: root keys attested by %v, want %v", tc.file, got, tc.want)
		}
	}
}

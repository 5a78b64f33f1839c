package attestation_test

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

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
	"github.com/trustroot/trustroot/internal/sharedtestdata"
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
	firmware attestation.Firmware
	form     attestation.FormFactor
}

var realKeys = []realKey{
	{13078778, "keys-2021/13078778", "1.root.json", "2f64fb5e", attestation.Firmware{Major: 5, Minor: 2, Patch: 6}, attestation.FormFactorUSBCKeychain},
	{14454335, "keys-2021/14454335", "1.root.json", "bdde902f", attestation.Firmware{Major: 5, Minor: 2, Patch: 7}, attestation.FormFactorUSBCKeychain},
	{14470876, "keys-2021/14470876", "1.root.json", "eaf22372", attestation.Firmware{Major: 5, Minor: 2, Patch: 7}, attestation.FormFactorUSBCKeychain},
	{15938765, "keys-2021/15938765", "1.root.json", "f40f3204", attestation.Firmware{Major: 5, Minor: 2, Patch: 7}, attestation.FormFactorUSBCKeychain},
	{15938791, "keys-2021/15938791", "1.root.json", "f5055951", attestation.Firmware{Major: 5, Minor: 2, Patch: 7}, attestation.FormFactorUSBCKeychain},
	{18158855, "keys-2022/18158855", "4.root.json", "75e867ab", attestation.Firmware{Major: 5, Minor: 4, Patch: 3}, attestation.FormFactorUSBAKeychain},
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
	roots, _, err := attestation.YubicoPools(yubicoRootPEM(t))
	if err != nil {
		t.Fatal(err)
	}
	return roots
}

// prodRoot decodes the keys of a Sigstore prod root file by key ID, and
// the key IDs of its root role. Every key there is ecdsa-sha2-nistp256
// with a hex-encoded uncompressed point; anything else fails the test.
// (The test reads the JSON itself, so package attestation's tests do not
// depend on package root.)
func prodRoot(t *testing.T, file string) (keys map[string]crypto.PublicKey, rootKeyIDs []string) {
	t.Helper()
	var doc struct {
		Signed struct {
			Keys map[string]struct {
				KeyType string `json:"keytype"`
				Scheme  string `json:"scheme"`
				KeyVal  struct {
					Public string `json:"public"`
				} `json:"keyval"`
			} `json:"keys"`
			Roles map[string]struct {
				KeyIDs []string `json:"keyids"`
			} `json:"roles"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(readShared(t, "prod", file), &doc); err != nil {
		t.Fatal(err)
	}
	keys = map[string]crypto.PublicKey{}
	for id, k := range doc.Signed.Keys {
		if k.KeyType != "ecdsa-sha2-nistp256" || k.Scheme != "ecdsa-sha2-nistp256" {
			t.Fatalf("%s key %s: keytype %q scheme %q, want ecdsa-sha2-nistp256", file, id, k.KeyType, k.Scheme)
		}
		point, err := hex.DecodeString(k.KeyVal.Public)
		if err != nil {
			t.Fatalf("%s key %s: %v", file, id, err)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
		if err != nil {
			t.Fatalf("%s key %s: %v", file, id, err)
		}
		keys[id] = pub
	}
	if len(keys) == 0 {
		t.Fatalf("%s: no keys", file)
	}
	return keys, doc.Signed.Roles["root"].KeyIDs
}

// rootKeys decodes the keys of a prod root file, by key ID.
func rootKeys(t *testing.T, file string) map[string]crypto.PublicKey {
	t.Helper()
	keys, _ := prodRoot(t, file)
	return keys
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

func TestRealCeremonyKeys(t *testing.T) {
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
			a, err := attestation.VerifyPEM(slotPEM, devPEM, attestation.Options{Roots: roots, Now: attTime, PublicKey: want,
				Serial: rk.serial, Slot: 0x9c})
			if err != nil {
				t.Fatalf("VerifyPEM: %v", err)
			}
			if a.Serial != rk.serial || a.Firmware != rk.firmware || a.FormFactor != rk.form || a.FormFactor.FIPS() ||
				a.PINPolicy != attestation.PINPolicyAlways || a.TouchPolicy != attestation.TouchPolicyAlways || a.Slot != 0x9c {
				t.Errorf("got serial %d fw %s form %s pin %s touch %s slot %s; want %d %s %s always always 9c",
					a.Serial, a.Firmware, a.FormFactor, a.PINPolicy, a.TouchPolicy, a.Slot, rk.serial, rk.firmware, rk.form)
			}
			if a.RootFingerprint != attestation.YubicoPIVRootCA263751SHA256 || len(a.Chain) != 3 {
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

func TestRealNegative(t *testing.T) {
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
		opts      attestation.Options
		want      error
	}{
		{"nil roots", slot13, dev13, attestation.Options{Now: attTime}, attestation.ErrNoRoots},
		{"wrong device", slot13, dev18, attestation.Options{Roots: roots, Now: attTime}, attestation.ErrChain},
		{"wrong device 2", slot18, dev13, attestation.Options{Roots: roots, Now: attTime}, attestation.ErrChain},
		{"different key", slot13, dev13, attestation.Options{Roots: roots, Now: attTime, PublicKey: otherKey}, attestation.ErrKeyMismatch},
		{"serial", slot13, dev13, attestation.Options{Roots: roots, Now: attTime, Serial: 14470876}, attestation.ErrSerial},
		{"slot", slot13, dev13, attestation.Options{Roots: roots, Now: attTime, Slot: 0x9a}, attestation.ErrSlot},
		{"min firmware", slot13, dev13, attestation.Options{Roots: roots, Now: attTime, MinFirmware: attestation.Firmware{Major: 5, Minor: 7, Patch: 0}}, attestation.ErrFirmware},
		{"min firmware patch", slot13, dev13, attestation.Options{Roots: roots, Now: attTime, MinFirmware: attestation.Firmware{Major: 5, Minor: 2, Patch: 7}}, attestation.ErrFirmware},
		{"expired", slot13, dev13, attestation.Options{Roots: roots, Now: time.Date(2052, 5, 1, 0, 0, 0, 0, time.UTC)}, attestation.ErrChain},
		{"not yet valid", slot13, dev13, attestation.Options{Roots: roots, Now: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)}, attestation.ErrChain},
		{"test root", slot13, dev13, attestation.Options{Roots: testCA.Pool(), Now: attTime}, attestation.ErrChain},
		{"tampered policy", tampered, dev13, attestation.Options{Roots: roots, Now: attTime, MinTouchPolicy: attestation.TouchPolicyNever}, attestation.ErrChain},
		{"tampered serial", tamperedSerial, dev13, attestation.Options{Roots: roots, Now: attTime}, attestation.ErrChain},
		{"device as slot", dev13, dev13, attestation.Options{Roots: roots, Now: attTime}, attestation.ErrBadCertificate},
		{"empty", nil, dev13, attestation.Options{Roots: roots, Now: attTime}, attestation.ErrBadCertificate},
		{"garbage", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), dev13, attestation.Options{Roots: roots, Now: attTime}, attestation.ErrBadCertificate},
		{"truncated", slot13[:len(slot13)/2], dev13, attestation.Options{Roots: roots, Now: attTime}, attestation.ErrBadCertificate},
		{"bad device", slot13, []byte{0x30, 0x03, 0x02, 0x01, 0x01}, attestation.Options{Roots: roots, Now: attTime}, attestation.ErrBadCertificate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := attestation.VerifyPEM(tc.slot, tc.dev, tc.opts)
			if a != nil || err == nil {
				t.Fatalf("got %+v, %v; want error %v", a, err, tc.want)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var ae *attestation.Error
			if !errors.As(err, &ae) || !strings.HasPrefix(err.Error(), "attestation: ") {
				t.Errorf("error %q is not an *attestation.Error with the package prefix", err)
			}
		})
	}
	// The expired case says so through the cause.
	_, err = attestation.VerifyPEM(slot13, dev13, attestation.Options{Roots: roots, Now: time.Date(2052, 5, 1, 0, 0, 0, 0, time.UTC)})
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

func newTestChain(t testing.TB, serial uint32, fw attestation.Firmware) testChain {
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

func TestGenerated(t *testing.T) {
	c := newTestChain(t, 12345678, attestation.Firmware{Major: 5, Minor: 7, Patch: 1})
	base := attestation.Options{Roots: c.ca.Pool(), Now: attTime}
	always := pivattest.Slot{PINPolicy: attestation.PINPolicyAlways, TouchPolicy: attestation.TouchPolicyAlways,
		FormFactor: attestation.FormFactorUSBCNano | attestation.FormFactorFIPS}

	a, err := attestation.Verify(c.attest(t, always), c.dev.Cert, func() attestation.Options {
		o := base
		o.PublicKey = c.key.Public()
		o.Serial = 12345678
		o.Slot = 0x9c
		o.MinFirmware = attestation.Firmware{Major: 5, Minor: 7, Patch: 0}
		return o
	}())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if a.Serial != 12345678 || a.Firmware != (attestation.Firmware{Major: 5, Minor: 7, Patch: 1}) || a.FormFactor.Model() != attestation.FormFactorUSBCNano ||
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
	if _, err := attestation.Verify(c.attest(t, always), c.dev.Cert, o); !errors.Is(err, attestation.ErrChain) {
		t.Errorf("generated chain under the Yubico root: %v", err)
	}

	type polCase struct {
		name     string
		pin      attestation.PINPolicy
		touch    attestation.TouchPolicy
		minPIN   attestation.PINPolicy
		minTouch attestation.TouchPolicy
		ok       bool
	}
	pols := []polCase{
		{"default needs always/always", attestation.PINPolicyAlways, attestation.TouchPolicyAlways, 0, 0, true},
		{"default rejects pin once", attestation.PINPolicyOnce, attestation.TouchPolicyAlways, 0, 0, false},
		{"default rejects touch cached", attestation.PINPolicyAlways, attestation.TouchPolicyCached, 0, 0, false},
		{"default rejects never", attestation.PINPolicyNever, attestation.TouchPolicyNever, 0, 0, false},
		{"match-always counts as always", attestation.PINPolicyMatchAlways, attestation.TouchPolicyAlways, 0, 0, true},
		{"match-once is not always", attestation.PINPolicyMatchOnce, attestation.TouchPolicyAlways, 0, 0, false},
		{"once accepted when asked", attestation.PINPolicyOnce, attestation.TouchPolicyCached, attestation.PINPolicyOnce, attestation.TouchPolicyCached, true},
		{"never rejected at once", attestation.PINPolicyNever, attestation.TouchPolicyAlways, attestation.PINPolicyOnce, attestation.TouchPolicyNever, false},
		{"cached rejected at always", attestation.PINPolicyAlways, attestation.TouchPolicyCached, attestation.PINPolicyNever, attestation.TouchPolicyAlways, false},
		{"anything at never", attestation.PINPolicyNever, attestation.TouchPolicyNever, attestation.PINPolicyNever, attestation.TouchPolicyNever, true},
		{"invalid minimum", attestation.PINPolicyAlways, attestation.TouchPolicyAlways, attestation.PINPolicy(9), 0, false},
	}
	for _, p := range pols {
		o := base
		o.MinPINPolicy, o.MinTouchPolicy = p.minPIN, p.minTouch
		a, err := attestation.Verify(c.attest(t, pivattest.Slot{PINPolicy: p.pin, TouchPolicy: p.touch}), c.dev.Cert, o)
		if p.ok && (err != nil || a == nil || a.PINPolicy != p.pin || a.TouchPolicy != p.touch) {
			t.Errorf("%s: %+v, %v", p.name, a, err)
		}
		if !p.ok && (a != nil || !errors.Is(err, attestation.ErrPolicy)) {
			t.Errorf("%s: got %v, %v; want attestation.ErrPolicy", p.name, a, err)
		}
	}

	// Slots.
	for _, s := range []attestation.Slot{attestation.SlotAuthentication, attestation.SlotKeyManagement,
		attestation.SlotCardAuthentication, attestation.SlotRetiredFirst, attestation.SlotRetiredLast} {
		o := base
		o.MinPINPolicy, o.MinTouchPolicy, o.Slot = attestation.PINPolicyNever, attestation.TouchPolicyNever, s
		a, err := attestation.Verify(c.attest(t, pivattest.Slot{Slot: s}), c.dev.Cert, o)
		if err != nil || a.Slot != s {
			t.Errorf("slot %s: %+v, %v", s, a, err)
		}
	}
}

func pkixCertFP(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}

func TestGeneratedChains(t *testing.T) {
	ca, err := pivattest.NewCA("trustroot Test PIV Root CA", genStart)
	if err != nil {
		t.Fatal(err)
	}
	key := newECKey(t)
	opts := attestation.Options{Roots: ca.Pool(), Now: attTime, PublicKey: key.Public()}

	// Legacy device certificate without basicConstraints: accepted, and the
	// caller's certificate is left alone.
	legacy, err := ca.NewLegacyDevice(100, attestation.Firmware{Major: 4, Minor: 3, Patch: 3}, genStart)
	if err != nil {
		t.Fatal(err)
	}
	slot, err := legacy.Attest(pivattest.Slot{PINPolicy: attestation.PINPolicyAlways, TouchPolicy: attestation.TouchPolicyAlways, Public: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	before := *legacy.Cert
	if a, err := attestation.Verify(slot, legacy.Cert, opts); err != nil || a.Serial != 100 {
		t.Errorf("legacy device: %+v, %v", a, err)
	}
	if legacy.Cert.BasicConstraintsValid || legacy.Cert.IsCA || legacy.Cert.MaxPathLen != before.MaxPathLen {
		t.Errorf("Verify modified the caller's device certificate")
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
	dev, err := i2.NewDevice(200, attestation.Firmware{Major: 5, Minor: 7, Patch: 4}, genStart)
	if err != nil {
		t.Fatal(err)
	}
	slot2, err := dev.Attest(pivattest.Slot{PINPolicy: attestation.PINPolicyAlways, TouchPolicy: attestation.TouchPolicyAlways, Public: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attestation.Verify(slot2, dev.Cert, opts); !errors.Is(err, attestation.ErrChain) {
		t.Errorf("2024 chain without intermediates: %v", err)
	}
	inter := x509.NewCertPool()
	inter.AddCert(i1.Cert)
	inter.AddCert(i2.Cert)
	o := opts
	o.Intermediates = inter
	a, err := attestation.Verify(slot2, dev.Cert, o)
	if err != nil || len(a.Chain) != 5 || len(a.Warnings) != 0 {
		t.Fatalf("2024 chain: %+v, %v", a, err)
	}

	// A slot certificate issued by an intermediate directly, offered with
	// some unrelated device certificate, proves nothing about that device.
	direct := &pivattest.Device{Cert: i2.Cert, Key: i2.Key, Serial: 200, Firmware: attestation.Firmware{Major: 5, Minor: 7, Patch: 4}}
	slot3, err := direct.Attest(pivattest.Slot{PINPolicy: attestation.PINPolicyAlways, TouchPolicy: attestation.TouchPolicyAlways, Public: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := attestation.Verify(slot3, dev.Cert, o); !errors.Is(err, attestation.ErrChain) || a != nil {
		t.Errorf("slot cert not issued by the device: %+v, %v", a, err)
	}

	// Expired generated chain.
	o.Now = ca.Cert.NotAfter.Add(time.Second)
	if _, err := attestation.Verify(slot2, dev.Cert, o); !errors.Is(err, attestation.ErrChain) {
		t.Errorf("expired generated chain: %v", err)
	}

	// Warnings: EUCLEAK below 5.7.0, ROCA for RSA keys on 4.2.6-4.3.4.
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fw    attestation.Firmware
		pub   crypto.PublicKey
		codes string
	}{
		{attestation.Firmware{Major: 5, Minor: 7, Patch: 0}, key.Public(), ""},
		{attestation.Firmware{Major: 5, Minor: 6, Patch: 9}, key.Public(), "firmware-ysa-2024-03"},
		{attestation.Firmware{Major: 4, Minor: 3, Patch: 4}, key.Public(), "firmware-ysa-2024-03"},
		{attestation.Firmware{Major: 4, Minor: 3, Patch: 4}, &rsaKey.PublicKey, "firmware-ysa-2024-03 firmware-ysa-2017-01"},
		{attestation.Firmware{Major: 4, Minor: 2, Patch: 6}, &rsaKey.PublicKey, "firmware-ysa-2024-03 firmware-ysa-2017-01"},
		{attestation.Firmware{Major: 4, Minor: 3, Patch: 5}, &rsaKey.PublicKey, "firmware-ysa-2024-03"},
		{attestation.Firmware{Major: 5, Minor: 7, Patch: 2}, &rsaKey.PublicKey, ""},
	} {
		d, err := ca.NewDevice(300, tc.fw, genStart)
		if err != nil {
			t.Fatal(err)
		}
		s, err := d.Attest(pivattest.Slot{PINPolicy: attestation.PINPolicyAlways, TouchPolicy: attestation.TouchPolicyAlways, Public: tc.pub})
		if err != nil {
			t.Fatal(err)
		}
		a, err := attestation.Verify(s, d.Cert, attestation.Options{Roots: ca.Pool(), Now: attTime})
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

func TestMalformedExtensions(t *testing.T) {
	c := newTestChain(t, 7, attestation.Firmware{Major: 5, Minor: 7, Patch: 1})
	opts := attestation.Options{Roots: c.ca.Pool(), Now: attTime, MinPINPolicy: attestation.PINPolicyNever, MinTouchPolicy: attestation.TouchPolicyNever}
	fw := ext(attestation.OIDYubicoFirmware, 5, 7, 1)
	serial := ext(attestation.OIDYubicoSerial, 0x02, 0x01, 0x07)
	pol := ext(attestation.OIDYubicoPolicy, 3, 2)
	ff := ext(attestation.OIDYubicoFormFactor, 3)
	cn := "YubiKey PIV Attestation 9c"
	tests := []struct {
		name string
		cn   string
		exts []pkix.Extension
		want error
	}{
		{"well-formed", cn, []pkix.Extension{fw, serial, pol, ff}, nil},
		{"no form factor", cn, []pkix.Extension{fw, serial, pol}, nil},
		{"firmware short", cn, []pkix.Extension{ext(attestation.OIDYubicoFirmware, 5, 7), serial, pol, ff}, attestation.ErrBadCertificate},
		{"firmware long", cn, []pkix.Extension{ext(attestation.OIDYubicoFirmware, 5, 7, 1, 0), serial, pol, ff}, attestation.ErrBadCertificate},
		{"no firmware", cn, []pkix.Extension{serial, pol, ff}, attestation.ErrBadCertificate},
		{"serial raw", cn, []pkix.Extension{fw, ext(attestation.OIDYubicoSerial, 0, 0, 0, 7), pol, ff}, attestation.ErrBadCertificate},
		{"serial negative", cn, []pkix.Extension{fw, ext(attestation.OIDYubicoSerial, 0x02, 0x01, 0xff), pol, ff}, attestation.ErrBadCertificate},
		{"serial too big", cn, []pkix.Extension{fw, ext(attestation.OIDYubicoSerial, 0x02, 0x05, 0x01, 0, 0, 0, 0), pol, ff}, attestation.ErrBadCertificate},
		{"serial non-minimal", cn, []pkix.Extension{fw, ext(attestation.OIDYubicoSerial, 0x02, 0x02, 0x00, 0x07), pol, ff}, attestation.ErrBadCertificate},
		{"serial trailing", cn, []pkix.Extension{fw, ext(attestation.OIDYubicoSerial, 0x02, 0x01, 0x07, 0x00), pol, ff}, attestation.ErrBadCertificate},
		{"no serial", cn, []pkix.Extension{fw, pol, ff}, attestation.ErrBadCertificate},
		{"policy short", cn, []pkix.Extension{fw, serial, ext(attestation.OIDYubicoPolicy, 3), ff}, attestation.ErrBadCertificate},
		{"unknown pin policy", cn, []pkix.Extension{fw, serial, ext(attestation.OIDYubicoPolicy, 0, 2), ff}, attestation.ErrBadCertificate},
		{"unknown touch policy", cn, []pkix.Extension{fw, serial, ext(attestation.OIDYubicoPolicy, 3, 4), ff}, attestation.ErrBadCertificate},
		{"no policy", cn, []pkix.Extension{fw, serial, ff}, attestation.ErrBadCertificate},
		{"form factor long", cn, []pkix.Extension{fw, serial, pol, ext(attestation.OIDYubicoFormFactor, 3, 0)}, attestation.ErrBadCertificate},
		{"cn other", "Yubico PIV Attestation", []pkix.Extension{fw, serial, pol, ff}, attestation.ErrBadCertificate},
		{"cn no slot", "YubiKey PIV Attestation ", []pkix.Extension{fw, serial, pol, ff}, attestation.ErrBadCertificate},
		{"cn bad hex", "YubiKey PIV Attestation zz", []pkix.Extension{fw, serial, pol, ff}, attestation.ErrBadCertificate},
		{"cn f9", "YubiKey PIV Attestation f9", []pkix.Extension{fw, serial, pol, ff}, attestation.ErrBadCertificate},
		{"cn long", "YubiKey PIV Attestation 09c", []pkix.Extension{fw, serial, pol, ff}, attestation.ErrBadCertificate},
		{"unknown critical extension", cn, []pkix.Extension{fw, serial, pol, ff, {Id: asn1.ObjectIdentifier{1, 2, 3}, Critical: true, Value: []byte{5, 0}}}, attestation.ErrChain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := craft(t, c.dev, tc.cn, tc.exts, c.key.Public())
			a, err := attestation.Verify(s, c.dev.Cert, opts)
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
	if a, err := attestation.Verify(nil, c.dev.Cert, opts); a != nil || !errors.Is(err, attestation.ErrBadCertificate) {
		t.Errorf("nil slot cert: %v, %v", a, err)
	}
	if a, err := attestation.Verify(c.attest(t, pivattest.Slot{}), nil, opts); a != nil || !errors.Is(err, attestation.ErrBadCertificate) {
		t.Errorf("nil device cert: %v, %v", a, err)
	}
	// An expected key that cannot be encoded.
	o := opts
	o.PublicKey = struct{}{}
	if a, err := attestation.Verify(c.attest(t, pivattest.Slot{}), c.dev.Cert, o); a != nil || !errors.Is(err, attestation.ErrKeyMismatch) {
		t.Errorf("unencodable expected key: %v, %v", a, err)
	}
}

func TestParseCertificate(t *testing.T) {
	slotPEM, _ := realKeys[0].certs(t)
	blk, _ := pem.Decode(slotPEM)
	if blk == nil {
		t.Fatal("no PEM")
	}
	for name, in := range map[string][]byte{"pem": slotPEM, "der": blk.Bytes, "pem with spaces": append(append([]byte("\n  "), slotPEM...), "\n\n"...)} {
		c, err := attestation.ParseCertificate(in)
		if err != nil || !bytes.Equal(c.Raw, blk.Bytes) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := map[string][]byte{
		"nil":          nil,
		"too large":    bytes.Repeat([]byte{'a'}, attestation.MaxCertSize+1),
		"two blocks":   append(append([]byte{}, slotPEM...), slotPEM...),
		"trailing":     append(append([]byte{}, slotPEM...), "junk"...),
		"wrong type":   pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: blk.Bytes}),
		"broken PEM":   []byte("-----BEGIN CERTIFICATE-----\n!!!\n"),
		"trailing DER": append(append([]byte{}, blk.Bytes...), 0),
	}
	for name, in := range bad {
		c, err := attestation.ParseCertificate(in)
		if c != nil || !errors.Is(err, attestation.ErrBadCertificate) {
			t.Errorf("%s: %v, %v", name, c, err)
		}
	}
	if _, err := attestation.ParseCertificate(bad["too large"]); !errors.Is(err, attestation.ErrTooLarge) {
		t.Errorf("too large: %v does not wrap attestation.ErrTooLarge", err)
	}
}

func TestYubicoPools(t *testing.T) {
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

	roots, inter, err := attestation.YubicoPools(cat([]byte("Yubico PIV root:\n"), yub, dev13))
	if err != nil {
		t.Fatal(err)
	}
	slot13, _ := realKeys[0].certs(t)
	if _, err := attestation.VerifyPEM(slot13, dev13, attestation.Options{Roots: roots, Intermediates: inter, Now: attTime}); err != nil {
		t.Errorf("verify with pools: %v", err)
	}
	if _, _, err := attestation.YubicoPools(cat(yub, ca.PEM())); !errors.Is(err, attestation.ErrNoRoots) || !strings.Contains(err.Error(), pkixCertFP(ca.Cert)) {
		t.Errorf("bundle with the test root: %v", err)
	}
	for name, in := range map[string][]byte{
		"empty":               nil,
		"only intermediates":  cat(i1.PEM(), dev13),
		"only the test root":  ca.PEM(),
		"not PEM":             []byte("hello"),
		"non-certificate PEM": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}}),
	} {
		if r, i, err := attestation.YubicoPools(in); r != nil || i != nil || !errors.Is(err, attestation.ErrNoRoots) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0}})
	if _, _, err := attestation.YubicoPools(cat(yub, bad)); !errors.Is(err, attestation.ErrBadCertificate) {
		t.Errorf("bad certificate in bundle: %v", err)
	}
	if _, _, err := attestation.YubicoPools(make([]byte, attestation.MaxBundleSize+1)); !errors.Is(err, attestation.ErrTooLarge) {
		t.Errorf("oversized bundle: %v", err)
	}
	many := bytes.Repeat(cat(dev13), attestation.MaxBundleCerts+1)
	if _, _, err := attestation.YubicoPools(cat(yub, many)); !errors.Is(err, attestation.ErrTooLarge) {
		t.Errorf("too many certificates: %v", err)
	}
	// The fingerprint constant is the shared copy's.
	blk, _ := pem.Decode(yub)
	if s := sha256.Sum256(blk.Bytes); hex.EncodeToString(s[:]) != attestation.YubicoPIVRootCA263751SHA256 {
		t.Errorf("attestation.YubicoPIVRootCA263751SHA256 does not match the shared Yubico root")
	}
}

func TestStrings(t *testing.T) {
	fw := func(major, minor, patch uint8) attestation.Firmware {
		return attestation.Firmware{Major: major, Minor: minor, Patch: patch}
	}
	for _, c := range []struct{ got, want string }{
		{attestation.PINPolicyNever.String(), "never"},
		{attestation.PINPolicyMatchAlways.String(), "match-always"},
		{attestation.PINPolicy(9).String(), "PINPolicy(0x09)"},
		{attestation.PINPolicy(0).String(), "default"},
		{attestation.TouchPolicyCached.String(), "cached"},
		{attestation.TouchPolicy(0).String(), "default"},
		{attestation.TouchPolicy(9).String(), "TouchPolicy(0x09)"},
		{attestation.FormFactorUSBAKeychain.String(), "USB-A keychain"},
		{(attestation.FormFactorUSBCLightning | attestation.FormFactorFIPS).String(), "USB-C/Lightning FIPS"},
		{(attestation.FormFactorUSBCBio | attestation.FormFactorFIPS).String(), "USB-C Bio FIPS"},
		{attestation.FormFactorUSBABio.String(), "USB-A Bio"},
		{attestation.FormFactor(0x7e).String(), "form factor 0x7e"},
		{fw(5, 7, 4).String(), "5.7.4"},
		{attestation.SlotSignature.String(), "9c"},
		{attestation.SlotAttestation.String(), "f9"},
		{attestation.Slot(0x05).String(), "05"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if !fw(5, 6, 9).Less(fw(5, 7, 0)) || fw(5, 7, 0).Less(fw(5, 7, 0)) || fw(6, 0, 0).Less(fw(5, 9, 9)) || !fw(5, 7, 0).Less(fw(5, 7, 1)) {
		t.Error("Firmware.Less")
	}
	for s := range 256 {
		slot := attestation.Slot(s)
		want := slot == 0x9a || slot == 0x9c || slot == 0x9d || slot == 0x9e || (s >= 0x82 && s <= 0x95)
		if slot.Attestable() != want {
			t.Errorf("Slot(%#02x).Attestable() = %v", s, !want)
		}
	}
}

// TestCoversRootKeys reads the real prod roots and checks that every
// root-role key of v1 (five keyholders) and the key added in v4 (18158855)
// is attested by exactly one ceremony YubiKey.
func TestCoversRootKeys(t *testing.T) {
	roots := yubicoPool(t)
	type attested struct {
		serial uint32
		fp     string
	}
	var all []attested
	for _, rk := range realKeys {
		slot, dev := rk.certs(t)
		a, err := attestation.VerifyPEM(slot, dev, attestation.Options{Roots: roots, Now: attTime})
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
		keys, ids := prodRoot(t, tc.file)
		if len(ids) != 5 {
			t.Fatalf("%s: root role lists %d keys, want 5", tc.file, len(ids))
		}
		var got []uint32
		for _, id := range ids {
			pub, ok := keys[id]
			if !ok {
				t.Fatalf("%s: no key %s", tc.file, id)
			}
			fp := pkixFP(t, pub)
			n := 0
			for _, a := range all {
				if a.fp == fp {
					got = append(got, a.serial)
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s: key %s matches %d attestations", tc.file, id, n)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: root keys attested by %v, want %v", tc.file, got, tc.want)
		}
	}
}

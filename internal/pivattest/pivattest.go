package pivattest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/trustroot/trustroot/attestation"
)

// Object identifiers of the Yubico attestation extensions, in dotted form
// (compare with [asn1.ObjectIdentifier.String]).
const (
	// OIDFirmwareVersion holds the firmware version as 3 raw bytes
	// (major, minor, patch). It appears on both the device (f9) and the slot
	// certificate.
	OIDFirmwareVersion = "1.3.6.1.4.1.41482.3.3"
	// OIDSerialNumber holds the token serial number as a DER INTEGER.
	OIDSerialNumber = "1.3.6.1.4.1.41482.3.7"
	// OIDPolicy holds 2 raw bytes: the PIN policy, then the touch policy.
	OIDPolicy = "1.3.6.1.4.1.41482.3.8"
	// OIDFormFactor holds 1 raw byte: the form factor, with bit 0x80 set on
	// FIPS models.
	OIDFormFactor = "1.3.6.1.4.1.41482.3.9"
)

// Subject common names used by YubiKeys.
const (
	// DeviceCommonName is the subject CN of every device (f9) certificate.
	DeviceCommonName = "Yubico PIV Attestation"
	// SlotCommonNamePrefix precedes the slot number in lower-case hex in the
	// subject CN of a slot attestation certificate, e.g.
	// "YubiKey PIV Attestation 9c".
	SlotCommonNamePrefix = "YubiKey PIV Attestation "
)

// rootMaxPathLen is the root's basicConstraints path length, as on
// "Yubico Attestation Root 1": room for two intermediates and the f9
// certificate.
const rootMaxPathLen = 3

// caValidity is how long a CA certificate is valid; Yubico's PIV root runs
// from 2016-03-14 to 2052-04-17.
const caValidityYears = 36

var (
	oidFirmware   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 3}
	oidSerial     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 7}
	oidPolicy     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 8}
	oidFormFactor = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 9}
	oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidBasicCons  = asn1.ObjectIdentifier{2, 5, 29, 19}
)

// CA is a test attestation root (or intermediate) certificate authority.
type CA struct {
	// Cert is the CA certificate: self-signed for [NewCA], issued by the
	// parent for [CA.NewIntermediate].
	Cert *x509.Certificate
	// Key is the CA's private key (ECDSA P-256, derived from the name).
	Key crypto.Signer

	name string
}

// NewCA returns a self-signed test root "CN=<name>" valid from notBefore
// (zero means now) for 36 years, like Yubico's PIV root, with path length 3
// like "Yubico Attestation Root 1". Its key is derived from name, so the same
// name always gives the same public key.
func NewCA(name string, notBefore time.Time) (*CA, error) {
	if name == "" {
		return nil, errors.New("pivattest: empty CA name")
	}
	notBefore = normTime(notBefore)
	key, err := deriveKey("ca", name)
	if err != nil {
		return nil, err
	}
	tmpl, err := caTemplate(name, notBefore, notBefore.AddDate(caValidityYears, 0, 0), rootMaxPathLen)
	if err != nil {
		return nil, err
	}
	cert, err := issue(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, name: name}, nil
}

// NewIntermediate returns an intermediate CA "CN=<name>" issued by ca, like
// the "Yubico Attestation Intermediate" and "Yubico PIV Attestation A 1"
// certificates of Yubico's 2024 chain, with a path length one below ca's
// (root 3, intermediate 2, PIV attestation CA 1, f9 0, as Yubico's). It is
// valid from notBefore (zero means now) until ca expires. Its key is derived from ca's name and name.
func (ca *CA) NewIntermediate(name string, notBefore time.Time) (*CA, error) {
	if name == "" {
		return nil, errors.New("pivattest: empty intermediate CA name")
	}
	notBefore = normTime(notBefore)
	key, err := deriveKey("intermediate", ca.name+"\x00"+name)
	if err != nil {
		return nil, err
	}
	if ca.Cert.MaxPathLen < 1 {
		return nil, errors.New("pivattest: CA path length allows no further intermediate")
	}
	tmpl, err := caTemplate(name, notBefore, ca.Cert.NotAfter, ca.Cert.MaxPathLen-1)
	if err != nil {
		return nil, err
	}
	cert, err := issue(tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, name: ca.name + "\x00" + name}, nil
}

// PEM returns the CA certificate PEM-encoded.
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// Pool returns a new certificate pool holding only the CA certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Device is one simulated YubiKey's attestation identity: the slot f9
// certificate and key.
type Device struct {
	// Cert is the device (f9) certificate, CN "Yubico PIV Attestation",
	// issued by the CA, carrying the firmware extension and, unless made by
	// [CA.NewLegacyDevice], critical basicConstraints CA:TRUE, pathlen 0.
	Cert *x509.Certificate
	// Key is the f9 attestation key (ECDSA P-256, derived from the CA name
	// and the serial).
	Key crypto.Signer
	// Serial is the token serial number written into slot certificates.
	Serial uint32
	// Firmware is the firmware version.
	Firmware attestation.Firmware
}

// NewDevice returns a device (f9) attestation identity for a token with the
// given serial and firmware, issued by ca, valid from notBefore (zero means
// now) until ca expires. The certificate is shaped like a real f9
// certificate: UTF8String names, a 64-bit serial, the firmware extension
// and critical basicConstraints (CA:TRUE, pathlen 0), and no key usage or
// key identifiers.
func (ca *CA) NewDevice(serial uint32, firmware attestation.Firmware, notBefore time.Time) (*Device, error) {
	return ca.newDevice(serial, firmware, notBefore, true)
}

// NewLegacyDevice is like [CA.NewDevice] but leaves out basicConstraints, as
// on YubiKey 4 tokens made before 2017 (and some in 2018); verifiers must
// treat such an f9 certificate as a CA themselves, as piv-go does.
func (ca *CA) NewLegacyDevice(serial uint32, firmware attestation.Firmware, notBefore time.Time) (*Device, error) {
	return ca.newDevice(serial, firmware, notBefore, false)
}

func (ca *CA) newDevice(serial uint32, firmware attestation.Firmware, notBefore time.Time, basicConstraints bool) (*Device, error) {
	notBefore = normTime(notBefore)
	var sb [4]byte
	binary.BigEndian.PutUint32(sb[:], serial)
	key, err := deriveKey("device", ca.name+"\x00"+string(sb[:]))
	if err != nil {
		return nil, err
	}
	sn, err := randomSerial(8)
	if err != nil {
		return nil, err
	}
	subject, err := utf8Name(DeviceCommonName)
	if err != nil {
		return nil, err
	}
	exts := []pkix.Extension{{Id: oidFirmware, Value: []byte{firmware.Major, firmware.Minor, firmware.Patch}}}
	if basicConstraints {
		// Encoded by hand: x509.CreateCertificate adds a subject key
		// identifier to every template with IsCA set, and f9 certificates
		// carry none.
		bc, err := asn1.Marshal(struct {
			IsCA       bool
			MaxPathLen int
		}{true, 0})
		if err != nil {
			return nil, fmt.Errorf("pivattest: encode basicConstraints: %w", err)
		}
		exts = append(exts, pkix.Extension{Id: oidBasicCons, Critical: true, Value: bc})
	}
	tmpl := &x509.Certificate{
		SerialNumber:    sn,
		RawSubject:      subject,
		NotBefore:       notBefore,
		NotAfter:        ca.Cert.NotAfter,
		ExtraExtensions: exts,
	}
	cert, err := issue(tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	return &Device{Cert: cert, Key: key, Serial: serial, Firmware: firmware}, nil
}

// PEM returns the device (f9) certificate PEM-encoded.
func (d *Device) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d.Cert.Raw})
}

// Slot describes the key a token attests. Zero values give the token's
// defaults.
type Slot struct {
	// Slot is the PIV slot, one that [attestation.Slot.Attestable] accepts.
	// Zero means [attestation.SlotSignature] (9c).
	Slot attestation.Slot
	// PINPolicy is the key's PIN policy; zero means the YubiKey default
	// for the slot (always for 9c, once otherwise). Any value is written
	// as given, so tests can encode unknown ones.
	PINPolicy attestation.PINPolicy
	// TouchPolicy is the key's touch policy; zero means never, the
	// YubiKey default.
	TouchPolicy attestation.TouchPolicy
	// FormFactor is the token's form factor, optionally or-ed with
	// attestation.FormFactorFIPS; zero is "unknown", written as is.
	FormFactor attestation.FormFactor
	// Public is the attested public key (*ecdsa.PublicKey, *rsa.PublicKey
	// or ed25519.PublicKey). Required.
	Public crypto.PublicKey
	// Override replaces the Yubico extension with the same OID, or is
	// appended when there is none; for negative tests only (malformed or
	// tampered extensions).
	Override []pkix.Extension
}

// Attest returns the slot attestation certificate a YubiKey would produce
// for s: issued by the device's f9 key, subject
// "YubiKey PIV Attestation <slot>", validity copied from the f9 certificate,
// a random 128-bit serial, and the firmware, serial, policy and form-factor
// extensions in that order, nothing else.
func (d *Device) Attest(s Slot) (*x509.Certificate, error) {
	if s.Public == nil {
		return nil, errors.New("pivattest: attest: no public key")
	}
	if s.Slot == 0 {
		s.Slot = attestation.SlotSignature
	}
	if !s.Slot.Attestable() {
		return nil, fmt.Errorf("pivattest: attest: slot %s cannot be attested", s.Slot)
	}
	if s.PINPolicy == 0 {
		s.PINPolicy = attestation.PINPolicyOnce
		if s.Slot == attestation.SlotSignature {
			s.PINPolicy = attestation.PINPolicyAlways
		}
	}
	if s.TouchPolicy == 0 {
		s.TouchPolicy = attestation.TouchPolicyNever
	}
	serial, err := asn1.Marshal(int64(d.Serial))
	if err != nil {
		return nil, fmt.Errorf("pivattest: attest: encode serial: %w", err)
	}
	exts := []pkix.Extension{
		{Id: oidFirmware, Value: []byte{d.Firmware.Major, d.Firmware.Minor, d.Firmware.Patch}},
		{Id: oidSerial, Value: serial},
		{Id: oidPolicy, Value: []byte{byte(s.PINPolicy), byte(s.TouchPolicy)}},
		{Id: oidFormFactor, Value: []byte{byte(s.FormFactor)}},
	}
	for _, o := range s.Override {
		replaced := false
		for i := range exts {
			if exts[i].Id.Equal(o.Id) {
				exts[i] = o
				replaced = true
			}
		}
		if !replaced {
			exts = append(exts, o)
		}
	}
	sn, err := randomSerial(16)
	if err != nil {
		return nil, err
	}
	subject, err := utf8Name(SlotCommonNamePrefix + s.Slot.String())
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:    sn,
		RawSubject:      subject,
		NotBefore:       d.Cert.NotBefore,
		NotAfter:        d.Cert.NotAfter,
		ExtraExtensions: exts,
	}
	return issue(tmpl, d.Cert, s.Public, d.Key)
}

func caTemplate(name string, notBefore, notAfter time.Time, maxPathLen int) (*x509.Certificate, error) {
	subject, err := utf8Name(name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte("trustroot pivattest serial\x00" + name))
	sn := new(big.Int).SetBytes(sum[:3]) // small, like Yubico's 263751
	sn.Add(sn, big.NewInt(1))
	return &x509.Certificate{
		SerialNumber:          sn,
		RawSubject:            subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            maxPathLen,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, nil
}

// issue signs tmpl with signer under parent. The parent is copied without
// its subject key identifier so that, like Yubico's certificates, issued
// certificates carry no authority key identifier.
func issue(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	p := *parent
	if p.Raw != nil {
		p.SubjectKeyId = nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, &p, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("pivattest: create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pivattest: parse created certificate: %w", err)
	}
	return cert, nil
}

// utf8Name encodes "CN=<cn>" with the value as UTF8String, as YubiKeys do
// (Go would pick PrintableString).
func utf8Name(cn string) ([]byte, error) {
	rdn := pkix.RDNSequence{{{
		Type:  oidCommonName,
		Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(cn)},
	}}}
	der, err := asn1.Marshal(rdn)
	if err != nil {
		return nil, fmt.Errorf("pivattest: encode name %q: %w", cn, err)
	}
	return der, nil
}

// deriveKey derives an ECDSA P-256 key from label and seed.
func deriveKey(label, seed string) (*ecdsa.PrivateKey, error) {
	for i := 0; i < 16; i++ {
		h := sha256.New()
		fmt.Fprintf(h, "trustroot pivattest %s key\x00%d\x00", label, i)
		h.Write([]byte(seed))
		if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), h.Sum(nil)); err == nil {
			return k, nil
		}
	}
	return nil, errors.New("pivattest: could not derive a key") // probability ~2^-512
}

// randomSerial returns a positive serial of n bytes with the top byte
// non-zero, so its DER encoding is n or n+1 bytes like Yubico's.
func randomSerial(n int) (*big.Int, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("pivattest: random serial: %w", err)
	}
	if b[0] == 0 {
		b[0] = 1
	}
	return new(big.Int).SetBytes(b), nil
}

func normTime(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Truncate(time.Second)
}

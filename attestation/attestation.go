package attestation

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SHA-256 fingerprints (hex, lower case, of the DER certificate) of the roots
// Yubico publishes for PIV attestation. The project ships none of these
// certificates: callers supply them (for instance Yubico's published PEM
// files) as Options.Roots, and [YubicoPools] checks a bundle against these
// fingerprints.
const (
	// YubicoPIVRootCA263751SHA256 is "Yubico PIV Root CA Serial 263751"
	// (RSA-2048, 2016-03-14 to 2052-04-17), the root of YubiKey 4 and 5
	// attestations before firmware 5.7.4.
	YubicoPIVRootCA263751SHA256 = "63ece914e54dd87915f34033c85af4c0696ba1512f8add66ced738331207b546"
	// YubicoAttestationRoot1SHA256 is "Yubico Attestation Root 1"
	// (2024-12-01 to 9999-12-31), the root of firmware 5.7.4 and later:
	// root -> "Yubico Attestation Intermediate A 1"/"B 1" -> "Yubico PIV
	// Attestation A 1"/"B 1" -> device (f9) -> slot certificate. The two
	// intermediate levels must be supplied as Options.Intermediates.
	YubicoAttestationRoot1SHA256 = "62760c6a6ef91679f454c8902b80fd009825b3f25da90f1fbace2ec6586cd5a8"
	// YubicoU2FRootCA457200631SHA256 is "Yubico U2F Root CA Serial
	// 457200631", which issued the device certificates of YubiKey 4 tokens
	// made before mid-2017 (and some in 2018). Its basicConstraints path
	// length is 0, so [YubicoPools] relaxes it to 1 on its own parsed copy,
	// as piv-go does.
	YubicoU2FRootCA457200631SHA256 = "0fa1386f80eb8713263ae5c1d84deb455bdf08aea50ab05503cefee82b092d42"
)

// Bounds on attestation inputs.
const (
	// MaxCertSize bounds one PEM or DER certificate given to
	// [ParseCertificate] and [VerifyPEM]. Real attestation certificates
	// are under 1 KiB.
	MaxCertSize = 16 << 10
	// MaxBundleSize bounds a PEM bundle given to [YubicoPools].
	MaxBundleSize = 1 << 20
	// MaxBundleCerts bounds the number of certificates in such a bundle.
	MaxBundleCerts = 64
)

// Sentinel errors. Every error [Verify], [VerifyPEM], [ParseCertificate]
// and [YubicoPools] return is an [*Error] wrapping exactly one of the
// first eight; [ErrTooLarge] comes as the Cause of an [ErrBadCertificate]
// error.
var (
	// ErrNoRoots means Options.Roots is nil, or a bundle holds no known
	// Yubico root.
	ErrNoRoots = errors.New("attestation: no trusted attestation roots")
	// ErrBadCertificate means a certificate or a Yubico extension could not be
	// parsed or breaks the attestation format.
	ErrBadCertificate = errors.New("attestation: malformed certificate")
	// ErrChain means the slot certificate does not chain through the
	// device certificate to a trusted root.
	ErrChain = errors.New("attestation: certificate chain does not verify")
	// ErrKeyMismatch means the attested key is not the expected key.
	ErrKeyMismatch = errors.New("attestation: attested key is not the expected key")
	// ErrPolicy means the PIN or touch policy is weaker than required.
	ErrPolicy = errors.New("attestation: policy too weak")
	// ErrFirmware means the firmware is older than required.
	ErrFirmware = errors.New("attestation: firmware too old")
	// ErrSlot means the attested slot is not the expected one.
	ErrSlot = errors.New("attestation: unexpected slot")
	// ErrSerial means the token serial is not the expected one.
	ErrSerial = errors.New("attestation: unexpected serial")
	// ErrTooLarge means an input exceeds [MaxCertSize], [MaxBundleSize] or
	// [MaxBundleCerts].
	ErrTooLarge = errors.New("attestation: input too large")
)

// Error reports a failed attestation check. It unwraps to its sentinel
// (Err) and, when there is one, to the underlying cause.
type Error struct {
	// Check names what failed: "roots", "certificate", "extension",
	// "chain", "key", "pin policy", "touch policy", "firmware", "slot",
	// "serial".
	Check string
	// Detail describes the failure, e.g. "PIN policy once, need at least
	// always".
	Detail string
	// Err is the sentinel: ErrChain, ErrPolicy, ...
	Err error
	// Cause is the underlying error (from crypto/x509 or encoding/asn1,
	// or ErrTooLarge), or nil.
	Cause error
}

// Error describes the failure; it never includes secrets.
func (e *Error) Error() string {
	msg := "attestation: " + e.Check
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap returns the sentinel and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

func attErr(sentinel error, check, format string, args ...any) *Error {
	return &Error{Check: check, Detail: fmt.Sprintf(format, args...), Err: sentinel}
}

// Warning codes, stable identifiers for [Warning.Code].
const (
	// WarningEUCLEAK: firmware older than 5.7.0 is affected by
	// YSA-2024-03 (EUCLEAK), a side channel that lets an attacker with
	// lengthy physical access and lab equipment recover ECDSA keys.
	WarningEUCLEAK = "firmware-ysa-2024-03"
	// WarningROCA: firmware 4.2.6 to 4.3.4 generates weak RSA keys
	// (YSA-2017-01, ROCA); an RSA key made there must be replaced.
	WarningROCA = "firmware-ysa-2017-01"
)

// firmwareEUCLEAK is the first firmware not affected by YSA-2024-03.
var firmwareEUCLEAK = Firmware{5, 7, 0}

// Options configure [Verify]. The zero value of every field except Roots is
// safe: it requires PIN policy always and touch policy always, and checks
// no key, serial, slot or firmware.
type Options struct {
	// Roots are the trusted attestation roots. Required: nil fails with
	// ErrNoRoots. For real YubiKeys use Yubico's published roots (see
	// [YubicoPools]); for tests, the test CA's.
	Roots *x509.CertPool
	// Intermediates are extra intermediate certificates, such as Yubico's
	// "Attestation Intermediate" and "PIV Attestation" CAs of the 2024
	// chain (firmware 5.7.4 and later). The device certificate is always
	// used; it need not be listed here.
	Intermediates *x509.CertPool
	// Now is the time at which certificates must be valid; zero means the
	// current time.
	Now time.Time
	// PublicKey, when not nil, must equal the attested key (compared by
	// PKIX DER encoding).
	PublicKey crypto.PublicKey
	// Serial, when not zero, must equal the attested token serial.
	Serial uint32
	// Slot, when not zero, must equal the attested PIV slot (e.g.
	// SlotSignature).
	Slot Slot
	// MinPINPolicy is the weakest acceptable PIN policy; zero means
	// PINPolicyAlways. Set PINPolicyNever to accept any.
	MinPINPolicy PINPolicy
	// MinTouchPolicy is the weakest acceptable touch policy; zero means
	// TouchPolicyAlways. Set TouchPolicyNever to accept any.
	MinTouchPolicy TouchPolicy
	// MinFirmware, when not zero, is the oldest acceptable firmware.
	// Firmware older than 5.7.0 always yields a warning (YSA-2024-03).
	MinFirmware Firmware
}

// Attestation is a verified YubiKey PIV attestation.
type Attestation struct {
	// Serial is the token's serial number.
	Serial uint32
	// Firmware is the token's firmware version.
	Firmware Firmware
	// PINPolicy is the key's PIN policy.
	PINPolicy PINPolicy
	// TouchPolicy is the key's touch policy.
	TouchPolicy TouchPolicy
	// FormFactor is the token's form factor; FormFactorUnknown when the
	// certificate does not state it.
	FormFactor FormFactor
	// Slot is the PIV slot holding the key, e.g. SlotSignature.
	Slot Slot
	// PublicKey is the attested public key.
	PublicKey crypto.PublicKey
	// KeyFingerprint is the hex SHA-256 of the attested key's PKIX DER
	// encoding.
	KeyFingerprint string
	// Chain is the verified chain: slot certificate, device certificate,
	// any intermediates, root.
	Chain []*x509.Certificate
	// RootFingerprint is the hex SHA-256 of the root certificate.
	RootFingerprint string
	// Warnings are findings that did not fail verification.
	Warnings []Warning
}

// Warning is a finding that did not fail attestation verification.
type Warning struct {
	// Code is a stable identifier: WarningEUCLEAK or WarningROCA.
	Code string
	// Message explains the finding.
	Message string
}

// Object identifiers of the Yubico attestation extensions.
var (
	oidYubicoFirmware   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 3}
	oidYubicoSerial     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 7}
	oidYubicoPolicy     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 8}
	oidYubicoFormFactor = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 9}
)

const slotCNPrefix = "YubiKey PIV Attestation "

// Verify verifies that slotCert is a YubiKey PIV attestation issued by
// deviceCert (the token's f9 certificate) under one of opts.Roots, and
// that it meets opts. It never modifies its arguments: a device
// certificate lacking basicConstraints (older YubiKey 4 tokens) is treated
// as a CA on a private copy, as piv-go does. Path validation is Go's
// (crypto/x509, any extended key usage), which accepts Yubico's real
// certificates although they break some strict RFC 5280 rules.
//
// On success it returns the attested facts; on failure a nil Attestation
// and an [*Error].
func Verify(slotCert, deviceCert *x509.Certificate, opts Options) (*Attestation, error) {
	a, err := verify(slotCert, deviceCert, opts)
	if err != nil {
		return nil, err
	}
	return a, nil
}

func verify(slotCert, deviceCert *x509.Certificate, opts Options) (*Attestation, error) {
	if opts.Roots == nil {
		return nil, &Error{Check: "roots", Detail: "Options.Roots is nil", Err: ErrNoRoots}
	}
	if slotCert == nil || deviceCert == nil {
		return nil, attErr(ErrBadCertificate, "certificate", "missing slot or device certificate")
	}
	a, err := parseYubicoAttestation(slotCert)
	if err != nil {
		return nil, err
	}

	// Chain: slot -> device -> [intermediates] -> root.
	dev := *deviceCert
	if !dev.BasicConstraintsValid {
		dev.BasicConstraintsValid = true
		dev.IsCA = true
	}
	inter := x509.NewCertPool()
	if opts.Intermediates != nil {
		inter = opts.Intermediates.Clone()
	}
	inter.AddCert(&dev)
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	chains, err := slotCert.Verify(x509.VerifyOptions{
		Roots:         opts.Roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, &Error{Check: "chain", Detail: "slot certificate does not chain through the device certificate to a trusted root",
			Err: ErrChain, Cause: err}
	}
	// The device certificate must be the slot certificate's issuer: a
	// chain that reaches a root without it proves nothing about the token.
	var chain []*x509.Certificate
	for _, c := range chains {
		if len(c) >= 2 && bytes.Equal(c[1].Raw, deviceCert.Raw) {
			chain = c
			break
		}
	}
	if chain == nil {
		return nil, attErr(ErrChain, "chain", "slot certificate is not issued by the given device certificate")
	}
	a.Chain = make([]*x509.Certificate, len(chain))
	copy(a.Chain, chain)
	a.Chain[1] = deviceCert
	rootSum := sha256.Sum256(chain[len(chain)-1].Raw)
	a.RootFingerprint = hex.EncodeToString(rootSum[:])

	if err := check(a, opts); err != nil {
		return nil, err
	}
	return a, nil
}

func check(a *Attestation, opts Options) error {
	if opts.PublicKey != nil {
		want, err := x509.MarshalPKIXPublicKey(opts.PublicKey)
		if err != nil {
			return &Error{Check: "key", Detail: fmt.Sprintf("expected key of type %T cannot be encoded", opts.PublicKey),
				Err: ErrKeyMismatch, Cause: err}
		}
		wantSum := sha256.Sum256(want)
		if hex.EncodeToString(wantSum[:]) != a.KeyFingerprint {
			return attErr(ErrKeyMismatch, "key", "attested key %s, expected %s", short(a.KeyFingerprint), short(hex.EncodeToString(wantSum[:])))
		}
	}
	if opts.Serial != 0 && opts.Serial != a.Serial {
		return attErr(ErrSerial, "serial", "token serial %d, expected %d", a.Serial, opts.Serial)
	}
	if opts.Slot != 0 && opts.Slot != a.Slot {
		return attErr(ErrSlot, "slot", "slot %s, expected %s", a.Slot, opts.Slot)
	}
	minPIN := opts.MinPINPolicy
	if minPIN == 0 {
		minPIN = PINPolicyAlways
	}
	if minPIN.strength() == 0 {
		return attErr(ErrPolicy, "pin policy", "unknown minimum PIN policy %s", minPIN)
	}
	if a.PINPolicy.strength() < minPIN.strength() {
		return attErr(ErrPolicy, "pin policy", "PIN policy %s, need at least %s", a.PINPolicy, minPIN)
	}
	minTouch := opts.MinTouchPolicy
	if minTouch == 0 {
		minTouch = TouchPolicyAlways
	}
	if minTouch.strength() == 0 {
		return attErr(ErrPolicy, "touch policy", "unknown minimum touch policy %s", minTouch)
	}
	if a.TouchPolicy.strength() < minTouch.strength() {
		return attErr(ErrPolicy, "touch policy", "touch policy %s, need at least %s", a.TouchPolicy, minTouch)
	}
	if a.Firmware.Less(opts.MinFirmware) {
		return attErr(ErrFirmware, "firmware", "firmware %s, need at least %s", a.Firmware, opts.MinFirmware)
	}
	if a.Firmware.Less(firmwareEUCLEAK) {
		a.Warnings = append(a.Warnings, Warning{
			Code: WarningEUCLEAK,
			Message: fmt.Sprintf("firmware %s is older than 5.7.0 and affected by YSA-2024-03 (EUCLEAK): "+
				"an attacker with lengthy physical access and lab equipment may recover ECDSA keys", a.Firmware),
		})
	}
	if _, isRSA := a.PublicKey.(*rsa.PublicKey); isRSA &&
		!a.Firmware.Less(Firmware{4, 2, 6}) && a.Firmware.Less(Firmware{4, 3, 5}) {
		a.Warnings = append(a.Warnings, Warning{
			Code:    WarningROCA,
			Message: fmt.Sprintf("firmware %s generates weak RSA keys (YSA-2017-01, ROCA): replace this key", a.Firmware),
		})
	}
	return nil
}

func short(fp string) string {
	if len(fp) > 16 {
		return fp[:16]
	}
	return fp
}

// parseYubicoAttestation reads the Yubico extensions, the slot and the key
// of a slot certificate without checking its chain.
func parseYubicoAttestation(c *x509.Certificate) (*Attestation, error) {
	a := &Attestation{PublicKey: c.PublicKey}
	var seenFW, seenSerial, seenPolicy bool
	for _, e := range c.Extensions {
		switch {
		case e.Id.Equal(oidYubicoFirmware):
			if len(e.Value) != 3 {
				return nil, attErr(ErrBadCertificate, "extension", "firmware (%s) is %d bytes, want 3", e.Id, len(e.Value))
			}
			a.Firmware = Firmware{e.Value[0], e.Value[1], e.Value[2]}
			seenFW = true
		case e.Id.Equal(oidYubicoSerial):
			s, err := parseSerial(e.Value)
			if err != nil {
				return nil, &Error{Check: "extension", Detail: fmt.Sprintf("serial (%s)", e.Id), Err: ErrBadCertificate, Cause: err}
			}
			a.Serial = s
			seenSerial = true
		case e.Id.Equal(oidYubicoPolicy):
			if len(e.Value) != 2 {
				return nil, attErr(ErrBadCertificate, "extension", "policy (%s) is %d bytes, want 2", e.Id, len(e.Value))
			}
			a.PINPolicy, a.TouchPolicy = PINPolicy(e.Value[0]), TouchPolicy(e.Value[1])
			if a.PINPolicy.strength() == 0 {
				return nil, attErr(ErrBadCertificate, "extension", "unknown PIN policy %#02x", e.Value[0])
			}
			if a.TouchPolicy.strength() == 0 {
				return nil, attErr(ErrBadCertificate, "extension", "unknown touch policy %#02x", e.Value[1])
			}
			seenPolicy = true
		case e.Id.Equal(oidYubicoFormFactor):
			if len(e.Value) != 1 {
				return nil, attErr(ErrBadCertificate, "extension", "form factor (%s) is %d bytes, want 1", e.Id, len(e.Value))
			}
			a.FormFactor = FormFactor(e.Value[0])
		}
	}
	switch {
	case !seenFW:
		return nil, attErr(ErrBadCertificate, "extension", "no firmware extension (%s)", oidYubicoFirmware)
	case !seenSerial:
		return nil, attErr(ErrBadCertificate, "extension", "no serial extension (%s)", oidYubicoSerial)
	case !seenPolicy:
		return nil, attErr(ErrBadCertificate, "extension", "no policy extension (%s)", oidYubicoPolicy)
	}
	slot, err := parseSlotCN(c.Subject.CommonName)
	if err != nil {
		return nil, err
	}
	a.Slot = slot
	der, err := x509.MarshalPKIXPublicKey(c.PublicKey)
	if err != nil {
		return nil, &Error{Check: "certificate", Detail: fmt.Sprintf("attested key of type %T unsupported", c.PublicKey),
			Err: ErrBadCertificate, Cause: err}
	}
	sum := sha256.Sum256(der)
	a.KeyFingerprint = hex.EncodeToString(sum[:])
	return a, nil
}

func parseSerial(v []byte) (uint32, error) {
	var n int64
	rest, err := asn1.Unmarshal(v, &n)
	if err != nil {
		return 0, err
	}
	if len(rest) != 0 {
		return 0, errors.New("trailing data after INTEGER")
	}
	if n < 0 || n > 0xFFFFFFFF {
		return 0, fmt.Errorf("serial %d out of range", n)
	}
	return uint32(n), nil
}

func parseSlotCN(cn string) (Slot, error) {
	s, ok := strings.CutPrefix(cn, slotCNPrefix)
	if !ok || len(s) != 2 {
		return 0, attErr(ErrBadCertificate, "certificate", "subject %q is not %q followed by a slot", truncate(cn), slotCNPrefix)
	}
	n, err := strconv.ParseUint(s, 16, 8)
	if err != nil {
		return 0, attErr(ErrBadCertificate, "certificate", "subject %q names no slot", truncate(cn))
	}
	slot := Slot(n)
	if !slot.Attestable() {
		return 0, attErr(ErrBadCertificate, "certificate", "subject %q names slot %s, which holds no attestable key", truncate(cn), slot)
	}
	return slot, nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// ParseCertificate parses one certificate given as PEM (a single
// CERTIFICATE block, surrounding whitespace allowed) or DER, of at most
// [MaxCertSize] bytes. Errors are [*Error] wrapping [ErrBadCertificate].
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	return parseCert(data, "certificate")
}

func parseCert(data []byte, what string) (*x509.Certificate, error) {
	if len(data) > MaxCertSize {
		return nil, &Error{Check: "certificate", Detail: fmt.Sprintf("%s of %d bytes exceeds the %d-byte limit", what, len(data), MaxCertSize),
			Err: ErrBadCertificate, Cause: ErrTooLarge}
	}
	der := data
	if trimmed := bytes.TrimSpace(data); bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		blk, rest := pem.Decode(trimmed)
		if blk == nil {
			return nil, attErr(ErrBadCertificate, "certificate", "%s: invalid PEM", what)
		}
		if blk.Type != "CERTIFICATE" {
			return nil, attErr(ErrBadCertificate, "certificate", "%s: PEM block %q, want CERTIFICATE", what, truncate(blk.Type))
		}
		if len(bytes.TrimSpace(rest)) != 0 {
			return nil, attErr(ErrBadCertificate, "certificate", "%s: data after the PEM block", what)
		}
		der = blk.Bytes
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, &Error{Check: "certificate", Detail: what + ": cannot parse", Err: ErrBadCertificate, Cause: err}
	}
	return c, nil
}

// VerifyPEM is [Verify] on certificates given as PEM or DER (see
// [ParseCertificate]), as a keyholder publishes them.
func VerifyPEM(slotCert, deviceCert []byte, opts Options) (*Attestation, error) {
	s, err := parseCert(slotCert, "slot certificate")
	if err != nil {
		return nil, err
	}
	d, err := parseCert(deviceCert, "device certificate")
	if err != nil {
		return nil, err
	}
	return Verify(s, d, opts)
}

// YubicoPools reads a caller-supplied PEM bundle of Yubico's published
// attestation certificates (such as Yubico's PIV root file and its 2024
// root and intermediates) and returns the self-signed ones as roots and the
// others as intermediates, ready for [Options]. It fails with [ErrNoRoots]
// unless every self-signed certificate is a known Yubico root (see the
// fingerprint constants) and at least one is present, so a tool can rely on
// "Yubico's roots" without shipping them. Blocks other than CERTIFICATE are
// skipped. The pools are new; the U2F root's path length is relaxed to 1
// on this function's own parsed copy.
func YubicoPools(pemBundle []byte) (roots, intermediates *x509.CertPool, err error) {
	if len(pemBundle) > MaxBundleSize {
		return nil, nil, &Error{Check: "roots", Detail: fmt.Sprintf("bundle of %d bytes exceeds the %d-byte limit", len(pemBundle), MaxBundleSize),
			Err: ErrBadCertificate, Cause: ErrTooLarge}
	}
	roots, intermediates = x509.NewCertPool(), x509.NewCertPool()
	known, n := 0, 0
	rest := pemBundle
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		n++
		if n > MaxBundleCerts {
			return nil, nil, &Error{Check: "roots", Detail: fmt.Sprintf("more than %d certificates in bundle", MaxBundleCerts),
				Err: ErrBadCertificate, Cause: ErrTooLarge}
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, nil, &Error{Check: "roots", Detail: fmt.Sprintf("certificate %d in bundle", n), Err: ErrBadCertificate, Cause: err}
		}
		if !bytes.Equal(c.RawIssuer, c.RawSubject) || c.CheckSignatureFrom(c) != nil {
			intermediates.AddCert(c)
			continue
		}
		sum := sha256.Sum256(c.Raw)
		fp := hex.EncodeToString(sum[:])
		switch fp {
		case YubicoPIVRootCA263751SHA256, YubicoAttestationRoot1SHA256:
		case YubicoU2FRootCA457200631SHA256:
			// Its path length 0 would forbid the device certificate
			// below it; piv-go relaxes it the same way.
			c.MaxPathLen = 1
		default:
			return nil, nil, attErr(ErrNoRoots, "roots", "self-signed certificate %q (SHA-256 %s) is not a known Yubico root",
				truncate(c.Subject.CommonName), fp)
		}
		roots.AddCert(c)
		known++
	}
	if known == 0 {
		return nil, nil, attErr(ErrNoRoots, "roots", "bundle holds no known Yubico root (%d certificates)", n)
	}
	return roots, intermediates, nil
}

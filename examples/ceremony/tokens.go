package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/piv"
)

// tokenOpts are the flags that choose a keyholder's token.
type tokenOpts struct {
	kind      string
	serial    string
	fakeName  string
	forceLast bool
}

func tokenFlags(f *flag.FlagSet) *tokenOpts {
	t := &tokenOpts{}
	f.StringVar(&t.kind, "token", "", "the token kind: piv (a YubiKey) or fake (a deterministic, INSECURE test token; the "+fakePINNote+")")
	f.StringVar(&t.serial, "serial", "", "piv: the YubiKey `serial` to use when several are plugged in")
	f.StringVar(&t.fakeName, "fake-token", "", "fake: the `name` of the fake token plugged in (default: the holder's name)")
	f.BoolVar(&t.forceLast, "force-last-pin-try", false, "allow a PIN attempt when only one try is left (a wrong PIN then blocks the token)")
	return t
}

func (t *tokenOpts) check() error {
	switch t.kind {
	case "piv":
		return nil
	case "fake":
		if t.serial != "" {
			// Without this, "-serial" naming another holder's token was
			// silently ignored and the holder's own fake token used.
			return usageErr("-serial %q selects a YubiKey (-token piv); a fake token is chosen with -fake-token NAME", t.serial)
		}
		return nil
	case "":
		return usageErr("-token piv|fake is required")
	}
	return usageErr("-token %q: want piv or fake", t.kind)
}

func (t *tokenOpts) pivSerial() (uint32, error) {
	if t.serial == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(t.serial, 10, 32)
	if err != nil {
		return 0, usageErr("-serial %q is not a YubiKey serial number", t.serial)
	}
	return uint32(n), nil
}

// fakePINNote names the fake tokens' PIN, which is no secret: every
// message about fake tokens says it in these words.
const fakePINNote = "fake tokens' PIN is " + fake.DefaultPIN

// fakeTokens are the fake tokens "plugged in" to this process. A fake
// token's keys derive from its name, so a fresh token with the same name
// in another process holds the same key: enrol in one run, sign in the
// next, as with a real token.
type fakeTokens struct {
	mu sync.Mutex
	m  map[string]*fake.Token
}

func newFakeTokens() *fakeTokens { return &fakeTokens{m: map[string]*fake.Token{}} }

// get returns the fake token called name with a key in slot 9c.
func (ft *fakeTokens) get(name string) (*fake.Token, error) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if t, ok := ft.m[name]; ok {
		return t, nil
	}
	t, err := fake.NewToken("ceremony-token-"+name, fake.TokenOptions{})
	if err != nil {
		return nil, fmt.Errorf("ceremony: fake token %s: %w", name, err)
	}
	if _, err := t.GenerateKey(attestation.SlotSignature, fake.P256, fake.KeyPolicy{PIN: attestation.PINPolicyAlways, Touch: attestation.TouchPolicyAlways}); err != nil {
		return nil, fmt.Errorf("ceremony: fake token %s: %w", name, err)
	}
	ft.m[name] = t
	return t, nil
}

// fakeAttestationRoot returns the test CA every fake token chains to.
func fakeAttestationRoot() (*x509.Certificate, error) {
	t, err := fake.NewToken("ceremony-attestation-root", fake.TokenOptions{})
	if err != nil {
		return nil, err
	}
	return t.AttestationRoot(), nil
}

// enrolled is the outcome of generating a key on a token.
type enrolled struct {
	pub         crypto.PublicKey
	serial      string
	slot        string
	slotCert    []byte // PEM
	deviceCert  []byte // PEM
	firmware    string
	pinPolicy   string
	touchPolicy string
}

// pivAlgorithms are the -algorithm values of enroll.
var pivAlgorithms = map[string]piv.Algorithm{
	piv.AlgorithmECP256.String():  piv.AlgorithmECP256,
	piv.AlgorithmECP384.String():  piv.AlgorithmECP384,
	piv.AlgorithmEd25519.String(): piv.AlgorithmEd25519,
}

func (t *tokenOpts) enroll(ctx context.Context, e *env, holder string, alg piv.Algorithm, roots *x509.CertPool, mgmtKey func(context.Context) ([]byte, error), allowDefaultMgmt, replace bool) (*enrolled, error) {
	switch t.kind {
	case "fake":
		name := t.fakeName
		if name == "" {
			name = holder
		}
		tok, err := e.tokens.get(name)
		if err != nil {
			return nil, err
		}
		pub, err := tok.PublicKey(attestation.SlotSignature)
		if err != nil {
			return nil, fmt.Errorf("ceremony: fake token %s: %w", name, err)
		}
		cert, err := tok.Attest(attestation.SlotSignature)
		if err != nil {
			return nil, fmt.Errorf("ceremony: attesting the key on fake token %s: %w", name, err)
		}
		return &enrolled{
			pub:         pub,
			serial:      strconv.FormatUint(uint64(tok.Serial()), 10),
			slot:        attestation.SlotSignature.String(),
			slotCert:    pemCert(cert.Raw),
			deviceCert:  pemCert(tok.AttestationCertificate().Raw),
			firmware:    tok.Firmware().String(),
			pinPolicy:   "always",
			touchPolicy: "always",
		}, nil
	case "piv":
		serial, err := t.pivSerial()
		if err != nil {
			return nil, err
		}
		opts := piv.EnrolOptions{Serial: serial, Algorithm: alg, AllowDefaultManagementKey: allowDefaultMgmt, Replace: replace, Roots: roots}
		// A build without PIV support fails before the management key
		// is asked for, not after the keyholder has typed it.
		if _, err := piv.List(ctx); errors.Is(err, piv.ErrNotSupported) {
			return nil, fmt.Errorf("ceremony: enrolling on the YubiKey: %w", err)
		}
		if !allowDefaultMgmt {
			mk, err := mgmtKey(ctx)
			if err != nil {
				return nil, err
			}
			defer clear(mk)
			opts.ManagementKey = mk
		}
		en, err := piv.Enrol(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("ceremony: enrolling on the YubiKey: %w", err)
		}
		return &enrolled{
			pub:         en.Public,
			serial:      strconv.FormatUint(uint64(en.Serial), 10),
			slot:        en.Slot.String(),
			slotCert:    en.SlotCertificatePEM(),
			deviceCert:  en.DeviceCertificatePEM(),
			firmware:    en.Firmware.String(),
			pinPolicy:   en.PINPolicy.String(),
			touchPolicy: en.TouchPolicy.String(),
		}, nil
	}
	return nil, t.check()
}

// open returns a signer for kf's key on the chosen token. It checks that
// the token holds kf's key before any PIN is asked for.
func (t *tokenOpts) open(ctx context.Context, e *env, kf *KeyFile, pin func(context.Context) ([]byte, error)) (signer.Signer, func(), error) {
	want := kf.public()
	switch t.kind {
	case "fake":
		name := t.fakeName
		if name == "" {
			name = kf.Holder
		}
		tok, err := e.tokens.get(name)
		if err != nil {
			return nil, nil, err
		}
		got, err := tok.PublicKey(attestation.SlotSignature)
		if err != nil {
			return nil, nil, fmt.Errorf("ceremony: fake token %s: %w", name, err)
		}
		if fingerprint(got) != kf.Fingerprint {
			return nil, nil, fmt.Errorf("ceremony: %w: fake token %s (serial %d) holds key %s, but %s enrolled key %s from token %s; plug in %s's token",
				signer.ErrWrongKey, name, tok.Serial(), shortFP(fingerprint(got)), kf.Holder, shortFP(kf.Fingerprint), kf.Serial, kf.Holder)
		}
		// Like signer/piv, never risk the last PIN try without an
		// explicit -force-last-pin-try: a wrong PIN would block the token.
		if tok.PINRetries() <= 1 && !t.forceLast {
			return nil, nil, fmt.Errorf("ceremony: fake token %s has %d PIN try left; refusing to risk blocking it (check the PIN, then use -force-last-pin-try)", name, tok.PINRetries())
		}
		s, err := tok.Signer(attestation.SlotSignature, fake.SignerOptions{
			Expect: want,
			PIN: func(ctx context.Context) (string, error) {
				p, err := pin(ctx)
				if err != nil {
					return "", err
				}
				defer clear(p)
				return string(p), nil
			},
		})
		if err != nil {
			return nil, nil, fmt.Errorf("ceremony: fake token %s: %w", name, err)
		}
		return s, func() {}, nil
	case "piv":
		serial, err := t.pivSerial()
		if err != nil {
			return nil, nil, err
		}
		s, err := piv.New(ctx, piv.Options{Serial: serial, Expected: want, PIN: pin, ForceLastPINTry: t.forceLast,
			Touch: func() { fmt.Fprintln(e.stderr, "Touch the YubiKey now.") }})
		if err != nil {
			if errors.Is(err, signer.ErrWrongKey) {
				return nil, nil, fmt.Errorf("ceremony: the YubiKey plugged in does not hold %s's key %s (token %s): %w", kf.Holder, shortFP(kf.Fingerprint), kf.Serial, err)
			}
			return nil, nil, fmt.Errorf("ceremony: opening the YubiKey: %w", err)
		}
		return s, func() { _ = s.Close() }, nil
	}
	return nil, nil, t.check()
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// rehearsalCAPrefix starts the common name of the rehearsal attestation
// CA of the YubiKey simulator (internal/pivsim/cmd/pivsim). Its key is
// public, so its roots are accepted only under "rehearsal:FILE".
const rehearsalCAPrefix = "trustroot rehearsal"

// isRehearsal reports whether an attestation_roots spec is a rehearsal's.
func isRehearsal(spec string) bool { return strings.HasPrefix(spec, "rehearsal:") }

// attestationPools returns the roots (and intermediates) that attestations
// must chain to, from ceremony.json's attestation_roots or a flag:
// "fake", "yubico" (needs yubicoBundle, Yubico's published PEM bundle),
// "rehearsal:FILE" (the YubiKey simulator's rehearsal CA in FILE, and
// nothing else) or the path of a PEM file of roots, which must not hold
// the rehearsal CA.
func attestationPools(spec, yubicoBundle string) (roots, inter *x509.CertPool, err error) {
	if file, ok := strings.CutPrefix(spec, "rehearsal:"); ok {
		if file == "" {
			return nil, nil, usageErr("attestation roots %q: name the file the simulator wrote (pivsim -roots FILE)", spec)
		}
		roots, inter, rs, err := pemRoots(file)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range rs {
			if !strings.HasPrefix(c.Subject.CommonName, rehearsalCAPrefix) {
				return nil, nil, fmt.Errorf("ceremony: %s: %q is not the YubiKey simulator's rehearsal CA; rehearsal:FILE takes only that CA (pivsim -roots FILE)", file, c.Subject.CommonName)
			}
		}
		return roots, inter, nil
	}
	switch {
	case spec == "fake":
		c, err := fakeAttestationRoot()
		if err != nil {
			return nil, nil, err
		}
		roots = x509.NewCertPool()
		roots.AddCert(c)
		return roots, nil, nil
	case spec == "" || spec == "yubico":
		if yubicoBundle == "" {
			return nil, nil, nil // not available: the caller reports it
		}
		data, err := readBounded(yubicoBundle, attestation.MaxBundleSize)
		if err != nil {
			return nil, nil, fmt.Errorf("ceremony: reading Yubico's attestation roots: %w", err)
		}
		return attestation.YubicoPools(data)
	}
	roots, inter, rs, err := pemRoots(spec)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range rs {
		if strings.HasPrefix(c.Subject.CommonName, rehearsalCAPrefix) {
			return nil, nil, fmt.Errorf("ceremony: %s holds %q, the YubiKey simulator's rehearsal CA, whose key is public: only a rehearsal may use it, and says so with -attestation-roots rehearsal:%s", spec, c.Subject.CommonName, spec)
		}
	}
	return roots, inter, nil
}

// pemRoots reads a PEM file of certificates: the self-signed ones are
// roots (also returned as a list), the others intermediates.
func pemRoots(file string) (roots, inter *x509.CertPool, list []*x509.Certificate, err error) {
	data, err := readBounded(file, maxSmallFile)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ceremony: reading attestation roots: %w", err)
	}
	roots, inter = x509.NewCertPool(), x509.NewCertPool()
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("ceremony: %s: %w", file, err)
		}
		if c.CheckSignatureFrom(c) == nil {
			roots.AddCert(c)
			list = append(list, c)
		} else {
			inter.AddCert(c)
		}
	}
	if len(list) == 0 {
		return nil, nil, nil, fmt.Errorf("ceremony: %s holds no self-signed root certificate", file)
	}
	return roots, inter, list, nil
}

// checkAttestation verifies a key file's attestation against the pools.
func checkAttestation(kf *KeyFile, roots, inter *x509.CertPool) (*attestation.Attestation, error) {
	if kf.Attestation == nil {
		return nil, fmt.Errorf("ceremony: %s's key has no attestation", kf.Holder)
	}
	serial, _ := strconv.ParseUint(kf.Serial, 10, 32)
	opts := attestation.Options{Roots: roots, Intermediates: inter, PublicKey: kf.public(), Serial: uint32(serial)}
	a, err := attestation.VerifyPEM([]byte(kf.Attestation.SlotCertificate), []byte(kf.Attestation.DeviceCertificate), opts)
	if err != nil {
		return nil, fmt.Errorf("ceremony: attestation of %s's key (keys/%s.json): %w", kf.Holder, kf.Holder, err)
	}
	return a, nil
}

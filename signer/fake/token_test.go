package fake

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/signertest"
)

func newToken(t *testing.T, name string, opts TokenOptions) *Token {
	t.Helper()
	tok, err := NewToken(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func generate(t *testing.T, tok *Token, slot attestation.Slot, kt KeyType, p KeyPolicy) crypto.PublicKey {
	t.Helper()
	pub, err := tok.GenerateKey(slot, kt, p)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func pinFunc(pin string, calls *atomic.Int32) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		if calls != nil {
			calls.Add(1)
		}
		return pin, nil
	}
}

func TestTokenDefaults(t *testing.T) {
	a := newToken(t, "yubikey-a", TokenOptions{})
	b := newToken(t, "yubikey-a", TokenOptions{})
	if a.Serial() != b.Serial() || a.Serial() < 10_000_000 || a.Serial() >= 90_000_000 {
		t.Errorf("serials %d, %d; want equal 8-digit serials", a.Serial(), b.Serial())
	}
	if a.Firmware() != (attestation.Firmware{Major: 5, Minor: 7, Patch: 1}) || a.FormFactor() != attestation.FormFactorUSBAKeychain || a.PINRetries() != 3 {
		t.Errorf("defaults: firmware %v, form factor %v, retries %d", a.Firmware(), a.FormFactor(), a.PINRetries())
	}
	// The same name and the same calls give the same keys.
	for _, kt := range KeyTypes() {
		pa := generate(t, a, attestation.SlotSignature, kt, KeyPolicy{})
		pb := generate(t, b, attestation.SlotSignature, kt, KeyPolicy{})
		if !pa.(interface{ Equal(crypto.PublicKey) bool }).Equal(pb) {
			t.Errorf("%v: tokens of the same name generated different keys", kt)
		}
	}
	// Regenerating a slot makes a new key.
	p1, _ := a.PublicKey(attestation.SlotSignature)
	p2 := generate(t, a, attestation.SlotSignature, RSA2048, KeyPolicy{})
	if p1.(interface{ Equal(crypto.PublicKey) bool }).Equal(p2) {
		t.Error("regenerating a slot kept the old key")
	}
	if p, err := a.Policy(attestation.SlotSignature); err != nil || p != (KeyPolicy{attestation.PINPolicyAlways, attestation.TouchPolicyNever}) {
		t.Errorf("9c default policy = %+v, %v", p, err)
	}
	generate(t, a, attestation.SlotAuthentication, P256, KeyPolicy{})
	if p, _ := a.Policy(attestation.SlotAuthentication); p.PIN != attestation.PINPolicyOnce {
		t.Errorf("9a default PIN policy = %v; want once", p.PIN)
	}
}

func TestTokenOptionsRejected(t *testing.T) {
	for _, o := range []TokenOptions{{PIN: "12345"}, {PIN: "123456789"}, {PINRetries: -1}, {PINRetries: 256}} {
		if _, err := NewToken("bad", o); err == nil {
			t.Errorf("NewToken(%+v) succeeded", o)
		} else if strings.Contains(err.Error(), o.PIN) && o.PIN != "" {
			t.Errorf("error %q contains the PIN", err)
		}
	}
	tok := newToken(t, "bad-slot", TokenOptions{})
	if _, err := tok.GenerateKey(attestation.Slot(0x42), P256, KeyPolicy{}); err == nil {
		t.Error("GenerateKey in slot 42 succeeded")
	}
	for _, p := range []KeyPolicy{{PIN: 9}, {PIN: attestation.PINPolicyMatchAlways}, {Touch: 4}} {
		if _, err := tok.GenerateKey(attestation.SlotSignature, P256, p); err == nil {
			t.Errorf("GenerateKey with policy %+v succeeded", p)
		}
	}
	if _, err := tok.GenerateKey(attestation.SlotAttestation, P256, KeyPolicy{}); err == nil {
		t.Error("GenerateKey in slot f9 succeeded")
	}
}

func TestTokenPIN(t *testing.T) {
	tok := newToken(t, "pin", TokenOptions{PIN: "246810", PINRetries: 3})
	err := tok.VerifyPIN("000000")
	var pe *signer.PINError
	if !errors.As(err, &pe) || pe.Retries != 2 || !errors.Is(err, signer.ErrWrongPIN) {
		t.Fatalf("wrong PIN: %v; want *PINError with 2 tries left", err)
	}
	if strings.Contains(err.Error(), "000000") || strings.Contains(err.Error(), "246810") {
		t.Fatalf("error %q contains a PIN", err)
	}
	if err := tok.VerifyPIN("246810"); err != nil || tok.PINRetries() != 3 {
		t.Fatalf("right PIN: %v, %d tries left; want nil, 3", err, tok.PINRetries())
	}
	for i := 2; i >= 0; i-- {
		err := tok.VerifyPIN("111111")
		if !errors.As(err, &pe) || pe.Retries != i {
			t.Fatalf("wrong PIN: %v; want %d tries left", err, i)
		}
	}
	if err := tok.VerifyPIN("246810"); !errors.Is(err, signer.ErrPINBlocked) {
		t.Fatalf("right PIN on a blocked token: %v; want ErrPINBlocked", err)
	}
}

func TestTokenSignerPINPolicies(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		policy attestation.PINPolicy
		want   int32 // PIN prompts for three signatures
	}{{attestation.PINPolicyNever, 0}, {attestation.PINPolicyOnce, 1}, {attestation.PINPolicyAlways, 3}} {
		tok := newToken(t, "policies", TokenOptions{})
		generate(t, tok, attestation.SlotSignature, P256, KeyPolicy{PIN: c.policy})
		var calls atomic.Int32
		s, err := tok.Signer(attestation.SlotSignature, SignerOptions{PIN: pinFunc(DefaultPIN, &calls)})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			m := []byte("policy")
			sig, err := s.Sign(ctx, m)
			if err != nil || !verifies(s.Public(), m, sig) {
				t.Fatalf("policy %v: Sign = %x, %v", c.policy, sig, err)
			}
		}
		if got := calls.Load(); got != c.want {
			t.Errorf("PIN policy %v: %d PIN prompts for 3 signatures; want %d", c.policy, got, c.want)
		}
	}
}

func TestTokenSignerWrongPIN(t *testing.T) {
	tok := newToken(t, "wrong-pin", TokenOptions{PINRetries: 2})
	generate(t, tok, attestation.SlotSignature, Ed25519, KeyPolicy{})
	s, _ := tok.Signer(attestation.SlotSignature, SignerOptions{PIN: pinFunc("999999", nil)})
	_, err := s.Sign(context.Background(), []byte("m"))
	var pe *signer.PINError
	if !errors.As(err, &pe) || pe.Retries != 1 {
		t.Fatalf("Sign with a wrong PIN: %v; want *PINError, 1 try left", err)
	}
	_, err = s.Sign(context.Background(), []byte("m"))
	if !errors.Is(err, signer.ErrPINBlocked) {
		t.Fatalf("second wrong PIN: %v; want ErrPINBlocked", err)
	}
	good, _ := tok.Signer(attestation.SlotSignature, SignerOptions{PIN: pinFunc(DefaultPIN, nil)})
	if _, err := good.Sign(context.Background(), []byte("m")); !errors.Is(err, signer.ErrPINBlocked) {
		t.Fatalf("right PIN after blocking: %v; want ErrPINBlocked", err)
	}
	noPIN, _ := tok.Signer(attestation.SlotSignature, SignerOptions{})
	if _, err := noPIN.Sign(context.Background(), []byte("m")); err == nil || !strings.Contains(err.Error(), "PIN callback") {
		t.Fatalf("Sign without a PIN callback: %v", err)
	}
}

func TestTokenSignerWrongKeyBeforePIN(t *testing.T) {
	tok := newToken(t, "wrong-key", TokenOptions{})
	generate(t, tok, attestation.SlotSignature, P256, KeyPolicy{})
	var calls atomic.Int32
	s, err := tok.Signer(attestation.SlotSignature, SignerOptions{Expect: New("someone else").Public(), PIN: pinFunc(DefaultPIN, &calls)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sign(context.Background(), []byte("m")); !errors.Is(err, signer.ErrWrongKey) {
		t.Fatalf("Sign = %v; want ErrWrongKey", err)
	}
	if calls.Load() != 0 {
		t.Error("the PIN was asked for although the key was wrong")
	}
	// A key replaced after the signer was made is noticed too.
	s, _ = tok.Signer(attestation.SlotSignature, SignerOptions{PIN: pinFunc(DefaultPIN, nil)})
	generate(t, tok, attestation.SlotSignature, P256, KeyPolicy{})
	if _, err := s.Sign(context.Background(), []byte("m")); !errors.Is(err, signer.ErrWrongKey) {
		t.Fatalf("Sign after regeneration = %v; want ErrWrongKey", err)
	}
}

func TestTokenEmptySlotAndRemoval(t *testing.T) {
	tok := newToken(t, "removal", TokenOptions{})
	if _, err := tok.Signer(attestation.SlotSignature, SignerOptions{}); !errors.Is(err, signer.ErrKeyNotFound) {
		t.Fatalf("Signer on an empty slot: %v; want ErrKeyNotFound", err)
	}
	if _, err := tok.Attest(attestation.SlotSignature); !errors.Is(err, signer.ErrKeyNotFound) {
		t.Fatalf("Attest on an empty slot: %v; want ErrKeyNotFound", err)
	}
	generate(t, tok, attestation.SlotSignature, P256, KeyPolicy{PIN: attestation.PINPolicyOnce})
	s, _ := tok.Signer(attestation.SlotSignature, SignerOptions{PIN: pinFunc(DefaultPIN, nil)})
	tok.Remove()
	if _, err := s.Sign(context.Background(), []byte("m")); !errors.Is(err, signer.ErrKeyNotFound) {
		t.Fatalf("Sign on a removed token: %v; want ErrKeyNotFound", err)
	}
	tok.Insert()
	if _, err := s.Sign(context.Background(), []byte("m")); err != nil {
		t.Fatalf("Sign after reinsertion: %v", err)
	}
}

func TestTokenTouch(t *testing.T) {
	tok := newToken(t, "touch", TokenOptions{})
	generate(t, tok, attestation.SlotSignature, P384, KeyPolicy{PIN: attestation.PINPolicyNever, Touch: attestation.TouchPolicyCached})
	var touches atomic.Int32
	s, _ := tok.Signer(attestation.SlotSignature, SignerOptions{Touch: func(context.Context) error { touches.Add(1); return nil }})
	for range 3 {
		if _, err := s.Sign(context.Background(), []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	if touches.Load() != 1 {
		t.Errorf("cached touch policy: %d touches for 3 signatures; want 1", touches.Load())
	}
}

func TestTokenConformance(t *testing.T) {
	for _, kt := range KeyTypes() {
		t.Run(kt.String(), func(t *testing.T) {
			var wrongPIN atomic.Bool
			var block atomic.Bool
			signertest.RunWith(t, func(t *testing.T) signer.Signer {
				wrongPIN.Store(false)
				block.Store(false)
				tok := newToken(t, "conformance "+kt.String(), TokenOptions{})
				pub := generate(t, tok, attestation.SlotSignature, kt, KeyPolicy{PIN: attestation.PINPolicyAlways, Touch: attestation.TouchPolicyAlways})
				s, err := tok.Signer(attestation.SlotSignature, SignerOptions{
					Expect: pub,
					PIN: func(context.Context) (string, error) {
						if wrongPIN.Load() {
							return "000000", nil
						}
						return DefaultPIN, nil
					},
					Touch: func(ctx context.Context) error {
						if block.Load() {
							<-ctx.Done()
							return ctx.Err()
						}
						return nil
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}, signertest.Options{
				Block: func(*testing.T, signer.Signer) { block.Store(true) },
				Fail: func(*testing.T, signer.Signer) error {
					wrongPIN.Store(true)
					return signer.ErrWrongPIN
				},
			})
		})
	}
}

func extension(c *x509.Certificate, oid string) []byte {
	for _, e := range c.Extensions {
		if e.Id.String() == oid {
			return e.Value
		}
	}
	return nil
}

func TestTokenAttestation(t *testing.T) {
	tok := newToken(t, "attest", TokenOptions{Serial: 12345678, Firmware: attestation.Firmware{Major: 5, Minor: 4, Patch: 3}, FormFactor: attestation.FormFactorUSBCNano | attestation.FormFactorFIPS})
	pub := generate(t, tok, attestation.SlotSignature, P256, KeyPolicy{PIN: attestation.PINPolicyAlways, Touch: attestation.TouchPolicyCached})
	cert, err := tok.Attest(attestation.SlotSignature)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(tok.AttestationRoot())
	inter := x509.NewCertPool()
	inter.AddCert(tok.AttestationCertificate())
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: cert.NotBefore}); err != nil {
		t.Fatalf("slot certificate does not chain to the test root: %v", err)
	}
	if cert.Subject.CommonName != "YubiKey PIV Attestation 9c" {
		t.Errorf("CN = %q", cert.Subject.CommonName)
	}
	if tok.AttestationCertificate().Subject.CommonName != "Yubico PIV Attestation" {
		t.Errorf("f9 CN = %q", tok.AttestationCertificate().Subject.CommonName)
	}
	if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(cert.PublicKey) {
		t.Error("attested key differs from the slot key")
	}
	if got := extension(cert, "1.3.6.1.4.1.41482.3.3"); string(got) != "\x05\x04\x03" {
		t.Errorf("firmware extension = %x", got)
	}
	var serial int64
	if _, err := asn1.Unmarshal(extension(cert, "1.3.6.1.4.1.41482.3.7"), &serial); err != nil || serial != 12345678 {
		t.Errorf("serial extension = %d, %v", serial, err)
	}
	if got := extension(cert, "1.3.6.1.4.1.41482.3.8"); string(got) != "\x03\x03" {
		t.Errorf("policy extension = %x; want 0303", got)
	}
	if got := extension(cert, "1.3.6.1.4.1.41482.3.9"); string(got) != "\x84" {
		t.Errorf("form factor extension = %x; want 84", got)
	}
	// Another token under the default CA chains to the same root.
	other := newToken(t, "attest-2", TokenOptions{})
	if !other.AttestationRoot().Equal(tok.AttestationRoot()) && !other.AttestationRoot().PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(tok.AttestationRoot().PublicKey) {
		t.Error("tokens with the default CA name have different root keys")
	}
	// Imported keys cannot be attested.
	if err := tok.ImportKey(attestation.SlotAuthentication, New("imported"), KeyPolicy{}); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Attest(attestation.SlotAuthentication); err == nil || !strings.Contains(err.Error(), "imported") {
		t.Errorf("Attest of an imported key = %v; want an error", err)
	}
}

// A fake YubiKey Bio (FIPS) attests its form factor, and package
// attestation reads back exactly what the token holds.
func TestTokenAttestationVerifies(t *testing.T) {
	tok := newToken(t, "bio", TokenOptions{FormFactor: attestation.FormFactorUSBCBio | attestation.FormFactorFIPS})
	pub := generate(t, tok, attestation.SlotSignature, P384, KeyPolicy{PIN: attestation.PINPolicyAlways, Touch: attestation.TouchPolicyAlways})
	cert, err := tok.Attest(attestation.SlotSignature)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(tok.AttestationRoot())
	a, err := attestation.Verify(cert, tok.AttestationCertificate(), attestation.Options{
		Roots: roots, Now: cert.NotBefore, PublicKey: pub, Serial: tok.Serial(), Slot: attestation.SlotSignature,
		MinFirmware: tok.Firmware(),
	})
	if err != nil {
		t.Fatalf("attestation.Verify: %v", err)
	}
	if a.FormFactor != tok.FormFactor() || a.FormFactor.String() != "USB-C Bio FIPS" || a.Firmware != tok.Firmware() ||
		a.PINPolicy != attestation.PINPolicyAlways || a.TouchPolicy != attestation.TouchPolicyAlways {
		t.Errorf("attested %s, firmware %s, PIN %s, touch %s", a.FormFactor, a.Firmware, a.PINPolicy, a.TouchPolicy)
	}
}

func TestTokenChangePINAndUnblock(t *testing.T) {
	tok := newToken(t, "unblock", TokenOptions{PINRetries: 1})
	if err := tok.ChangePIN("000000", "654321"); !errors.Is(err, signer.ErrPINBlocked) {
		t.Fatalf("ChangePIN with a wrong PIN and 1 try: %v; want ErrPINBlocked", err)
	}
	if err := tok.Unblock("87654321", "654321"); err == nil || errors.Is(err, ErrPUKBlocked) || strings.Contains(err.Error(), "87654321") {
		t.Fatalf("Unblock with a wrong PUK: %v", err)
	}
	if err := tok.Unblock(DefaultPUK, "654321"); err != nil {
		t.Fatalf("Unblock: %v", err)
	}
	if err := tok.VerifyPIN("654321"); err != nil {
		t.Fatalf("new PIN after Unblock: %v", err)
	}
	if err := tok.ChangePIN("654321", "1234567"); err != nil {
		t.Fatalf("ChangePIN: %v", err)
	}
	if err := tok.VerifyPIN("1234567"); err != nil {
		t.Fatalf("changed PIN: %v", err)
	}
	if err := tok.ChangePIN("1234567", "123"); err == nil {
		t.Fatal("ChangePIN to a 3-digit PIN succeeded")
	}
	for range 2 {
		if err := tok.Unblock("00000000", "111111"); errors.Is(err, ErrPUKBlocked) {
			t.Fatalf("PUK blocked too early: %v", err)
		}
	}
	if err := tok.Unblock("00000000", "111111"); !errors.Is(err, ErrPUKBlocked) {
		t.Fatalf("third wrong PUK: %v; want ErrPUKBlocked", err)
	}
	if err := tok.Unblock(DefaultPUK, "111111"); !errors.Is(err, ErrPUKBlocked) {
		t.Fatalf("right PUK after blocking: %v; want ErrPUKBlocked", err)
	}
}

//go:build cgo && pivkey

package piv

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	pivgo "github.com/go-piv/piv-go/v2/piv"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
	"github.com/trustroot/trustroot/signer"
)

func testCA(t *testing.T) *pivattest.CA {
	t.Helper()
	ca, err := pivattest.NewCA("trustroot signer/piv unit Test CA", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

const busyErr = "connecting to smart card: the smart card cannot be accessed because of other connections outstanding"

func TestUnitOpenToken(t *testing.T) {
	ca := testCA(t)
	a, b := newFakeCard(t, ca, 1001), newFakeCard(t, ca, 1002)
	ctx := context.Background()
	other := fakeReader{name: "Alcor Micro AU9540 00 00", openErr: errors.New("should never be opened")}

	if _, _, err := openToken(ctx, fakeBackend(ca, other), 0); !errors.Is(err, ErrNoToken) {
		t.Errorf("no YubiKey: %v", err)
	}
	c, serial, err := openToken(ctx, fakeBackend(ca, other, fakeReader{name: "Yubico YubiKey OTP+FIDO+CCID 00 00", card: a}), 0)
	if err != nil || serial != 1001 || c != card(a) {
		t.Errorf("one YubiKey: serial %d, %v", serial, err)
	}
	two := fakeBackend(ca, fakeReader{name: "Yubico YubiKey CCID 00 00", card: a}, fakeReader{name: "Yubico YubiKey CCID 01 00", card: b})
	if _, _, err := openToken(ctx, two, 0); !errors.Is(err, ErrSeveralTokens) {
		t.Errorf("two YubiKeys, no serial: %v", err)
	}
	if _, serial, err := openToken(ctx, two, 1002); err != nil || serial != 1002 {
		t.Errorf("by serial: %d, %v", serial, err)
	}
	if !a.closed {
		t.Error("the token that was not chosen was left open")
	}
	// A busy reader is skipped when looking for a serial, and reported
	// when the serial is not found.
	busy := fakeBackend(ca, fakeReader{name: "Yubico YubiKey CCID 00 00", openErr: errors.New(busyErr)}, fakeReader{name: "Yubico YubiKey CCID 01 00", card: b})
	if _, serial, err := openToken(ctx, busy, 1002); err != nil || serial != 1002 {
		t.Errorf("by serial past a busy reader: %d, %v", serial, err)
	}
	_, _, err = openToken(ctx, busy, 1001)
	if !errors.Is(err, ErrNoToken) || !errors.Is(err, ErrTokenBusy) {
		t.Errorf("serial behind a busy reader: %v, want ErrNoToken and ErrTokenBusy", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := openToken(cctx, two, 1002); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestUnitList(t *testing.T) {
	ca := testCA(t)
	a := newFakeCard(t, ca, 1001)
	b := fakeBackend(ca, fakeReader{name: "Yubico YubiKey CCID 00 00", card: a},
		fakeReader{name: "Yubico YubiKey CCID 01 00", openErr: errors.New(busyErr)})
	tokens, err := list(context.Background(), b)
	if len(tokens) != 1 || tokens[0].Serial != 1001 || tokens[0].Firmware != (attestation.Firmware{Major: 5, Minor: 7, Patch: 1}) ||
		tokens[0].FormFactor != attestation.FormFactorUSBCKeychain || tokens[0].Reader != "Yubico YubiKey CCID 00 00" {
		t.Errorf("List = %+v", tokens)
	}
	if !errors.Is(err, ErrTokenBusy) || !strings.Contains(err.Error(), "CCID 01 00") {
		t.Errorf("List error = %v, want the busy reader named", err)
	}
	if !a.closed {
		t.Error("List left a token open")
	}
}

func TestUnitEnrol(t *testing.T) {
	ca := testCA(t)
	ctx := context.Background()
	setup := func() (*fakeCard, backend) {
		c := newFakeCard(t, ca, 2001)
		return c, fakeBackend(ca, fakeReader{name: "Yubico YubiKey 00 00", card: c})
	}
	c, b := setup()
	e, err := enrol(ctx, b, EnrolOptions{AllowDefaultManagementKey: true, Roots: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	k := c.keys[0x9c]
	if k == nil || k.pin != pivgo.PINPolicyAlways || k.touch != pivgo.TouchPolicyAlways || k.priv.Curve.Params().Name != "P-256" {
		t.Fatalf("default key = %+v, want P-256, PIN always, touch always in 9c", k)
	}
	if !samePublicKey(e.Public, &k.priv.PublicKey) || e.Serial != 2001 || e.Slot != attestation.SlotSignature ||
		e.PINPolicy != attestation.PINPolicyAlways || e.TouchPolicy != attestation.TouchPolicyAlways || e.FormFactor != attestation.FormFactorUSBCKeychain {
		t.Errorf("enrolment = %+v", e)
	}
	if !bytes.Contains(e.SlotCertificatePEM(), []byte("BEGIN CERTIFICATE")) || !bytes.Contains(e.DeviceCertificatePEM(), []byte("BEGIN CERTIFICATE")) {
		t.Error("PEM forms missing")
	}
	if !c.closed {
		t.Error("Enrol left the token open")
	}

	// Options are passed through.
	c, b = setup()
	e, err = enrol(ctx, b, EnrolOptions{AllowDefaultManagementKey: true, Roots: ca.Pool(), Slot: attestation.SlotAuthentication,
		Algorithm: AlgorithmECP384, PINPolicy: attestation.PINPolicyOnce, TouchPolicy: attestation.TouchPolicyCached})
	if err != nil {
		t.Fatal(err)
	}
	if k := c.keys[0x9a]; k == nil || k.pin != pivgo.PINPolicyOnce || k.touch != pivgo.TouchPolicyCached || k.priv.Curve.Params().Name != "P-384" {
		t.Errorf("custom key = %+v", k)
	}
	if e.Slot != attestation.SlotAuthentication || e.Algorithm != AlgorithmECP384 || e.PINPolicy != attestation.PINPolicyOnce || e.TouchPolicy != attestation.TouchPolicyCached {
		t.Errorf("custom enrolment = %+v", e)
	}

	for _, tc := range []struct {
		name  string
		opts  EnrolOptions
		fault func(*fakeCard)
		want  error
	}{
		{"no management key", EnrolOptions{Roots: ca.Pool()}, nil, ErrManagementKeyRequired},
		{"default key not allowed", EnrolOptions{Roots: ca.Pool(), ManagementKey: defaultManagementKey()}, nil, ErrDefaultManagementKey},
		{"bad key length", EnrolOptions{Roots: ca.Pool(), ManagementKey: []byte{1, 2, 3}}, nil, ErrManagementKey},
		{"wrong management key", EnrolOptions{Roots: ca.Pool(), ManagementKey: bytes.Repeat([]byte{7}, 24)}, nil, ErrManagementKey},
		{"bad slot", EnrolOptions{AllowDefaultManagementKey: true, Slot: 0x42}, nil, nil},
		{"bad algorithm", EnrolOptions{AllowDefaultManagementKey: true, Algorithm: 9}, nil, nil},
		{"foreign root", EnrolOptions{AllowDefaultManagementKey: true, Roots: testCAName(t, "other")}, nil, ErrAttestation},
		{"attests another key", EnrolOptions{AllowDefaultManagementKey: true, Roots: ca.Pool()}, func(c *fakeCard) { c.attestOtherKey = true }, ErrAttestation},
		{"policies ignored", EnrolOptions{AllowDefaultManagementKey: true, Roots: ca.Pool()}, func(c *fakeCard) { c.ignorePolicies = true }, ErrAttestation},
		{"device of another serial", EnrolOptions{AllowDefaultManagementKey: true, Roots: ca.Pool()}, func(c *fakeCard) {
			c.dev, _ = ca.NewDevice(9999, attestation.Firmware{Major: 5, Minor: 7, Patch: 1}, time.Time{})
		}, ErrAttestation},
		{"slot in use", EnrolOptions{AllowDefaultManagementKey: true, Roots: ca.Pool()}, func(c *fakeCard) {
			c.keys[0x9c] = &fakeKey{priv: mustKey(t), pin: pivgo.PINPolicyAlways, touch: pivgo.TouchPolicyAlways}
		}, ErrSlotInUse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, b := setup()
			if tc.fault != nil {
				tc.fault(c)
			}
			e, err := enrol(ctx, b, tc.opts)
			if err == nil || e != nil {
				t.Fatalf("enrol succeeded: %+v", e)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "signer/piv: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if strings.Contains(err.Error(), "0707070707") || strings.Contains(err.Error(), "\x07\x07") {
				t.Errorf("error %q shows the management key", err)
			}
		})
	}
	// Replace overwrites.
	c, b = setup()
	old := mustKey(t)
	c.keys[0x9c] = &fakeKey{priv: old, pin: pivgo.PINPolicyAlways, touch: pivgo.TouchPolicyAlways}
	e, err = enrol(ctx, b, EnrolOptions{AllowDefaultManagementKey: true, Roots: ca.Pool(), Replace: true})
	if err != nil || samePublicKey(e.Public, &old.PublicKey) {
		t.Fatalf("Replace: %v", err)
	}
}

func testCAName(t *testing.T, name string) *x509.CertPool {
	t.Helper()
	ca, err := pivattest.NewCA(name, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return ca.Pool()
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// unitSigner enrols a key on a fake card and returns a signer for it.
func unitSigner(t *testing.T, pin attestation.PINPolicy, touch attestation.TouchPolicy, opts Options) (*fakeCard, *Signer) {
	t.Helper()
	ca := testCA(t)
	c := newFakeCard(t, ca, 3001)
	b := fakeBackend(ca, fakeReader{name: "Yubico YubiKey 00 00", card: c})
	e, err := enrol(context.Background(), b, EnrolOptions{AllowDefaultManagementKey: true, Roots: ca.Pool(), PINPolicy: pin, TouchPolicy: touch})
	if err != nil {
		t.Fatal(err)
	}
	opts.Expected = e.Public
	s, err := newSigner(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c, s
}

func TestUnitSignPINHandling(t *testing.T) {
	ctx := context.Background()
	msg := []byte("payload")
	digest := sha256.Sum256(msg)

	var calls, touches int
	c, s := unitSigner(t, attestation.PINPolicyAlways, attestation.TouchPolicyAlways, Options{PIN: pinFunc("123456", &calls), Touch: func() { touches++ }})
	sig, err := s.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(s.Public().(*ecdsa.PublicKey), digest[:], sig) {
		t.Fatal("signature does not verify")
	}
	// Second signature: the card says "already verified", policy always
	// still needs the PIN.
	if _, err := s.Sign(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if calls != 2 || touches != 2 || c.signs != 2 {
		t.Errorf("policy always: %d PIN calls, %d touches, %d signatures; want 2 each", calls, touches, c.signs)
	}

	calls, touches = 0, 0
	c, s = unitSigner(t, attestation.PINPolicyOnce, attestation.TouchPolicyNever, Options{PIN: pinFunc("123456", &calls), Touch: func() { touches++ }})
	for range 3 {
		if _, err := s.Sign(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 || touches != 0 || c.signs != 3 {
		t.Errorf("policy once: %d PIN calls, %d touches, %d signatures; want 1, 0, 3", calls, touches, c.signs)
	}

	calls = 0
	_, s = unitSigner(t, attestation.PINPolicyNever, attestation.TouchPolicyNever, Options{PIN: pinFunc("123456", &calls)})
	if _, err := s.Sign(ctx, msg); err != nil || calls != 0 {
		t.Errorf("policy never: %v, %d PIN calls", err, calls)
	}

	_, s = unitSigner(t, attestation.PINPolicyAlways, attestation.TouchPolicyNever, Options{})
	if _, err := s.Sign(ctx, msg); !errors.Is(err, ErrNoPIN) {
		t.Errorf("no PIN callback: %v", err)
	}

	// Wrong PINs count down, then the last try is refused, then forced.
	calls = 0
	c, s = unitSigner(t, attestation.PINPolicyAlways, attestation.TouchPolicyNever, Options{PIN: pinFunc("000000", &calls)})
	for want := 2; want >= 1; want-- {
		_, err := s.Sign(ctx, msg)
		var pe *signer.PINError
		if !errors.As(err, &pe) || pe.Retries != want || !errors.Is(err, signer.ErrWrongPIN) {
			t.Fatalf("wrong PIN: %v, want %d retries", err, want)
		}
		if strings.Contains(err.Error(), "000000") {
			t.Fatalf("error %q shows the PIN", err)
		}
	}
	_, err = s.Sign(ctx, msg)
	if !errors.Is(err, ErrLastPINTry) || calls != 2 || c.retries != 1 {
		t.Fatalf("last try: %v (PIN calls %d, retries %d)", err, calls, c.retries)
	}
	s.st.opts.ForceLastPINTry = true
	if _, err = s.Sign(ctx, msg); !errors.Is(err, signer.ErrPINBlocked) {
		t.Fatalf("forced last try: %v", err)
	}
	calls = 0
	s.st.opts.PIN = pinFunc("123456", &calls)
	if _, err = s.Sign(ctx, msg); !errors.Is(err, signer.ErrPINBlocked) || calls != 0 {
		t.Fatalf("blocked: %v, %d PIN calls", err, calls)
	}

	// A failing PIN callback is reported as such.
	_, s = unitSigner(t, attestation.PINPolicyAlways, attestation.TouchPolicyNever, Options{PIN: func(context.Context) ([]byte, error) {
		return nil, errors.New("prompt closed")
	}})
	if _, err := s.Sign(ctx, msg); err == nil || !strings.Contains(err.Error(), "prompt closed") {
		t.Errorf("PIN callback error: %v", err)
	}
}

func TestUnitSignerKeyChecks(t *testing.T) {
	ca := testCA(t)
	c := newFakeCard(t, ca, 4001)
	b := fakeBackend(ca, fakeReader{name: "Yubico YubiKey 00 00", card: c})
	ctx := context.Background()
	if _, err := newSigner(ctx, b, Options{}); !errors.Is(err, signer.ErrKeyNotFound) {
		t.Errorf("empty slot: %v", err)
	}
	if _, err := newSigner(ctx, b, Options{Slot: 0x01}); err == nil {
		t.Error("invalid slot accepted")
	}
	c.keys[0x9c] = &fakeKey{priv: mustKey(t), pin: pivgo.PINPolicyAlways, touch: pivgo.TouchPolicyNever}
	other := mustKey(t)
	_, err := newSigner(ctx, b, Options{Expected: &other.PublicKey})
	if !errors.Is(err, signer.ErrWrongKey) || !strings.Contains(err.Error(), "SHA256:") {
		t.Errorf("wrong key: %v", err)
	}
	if !c.closed {
		t.Error("token left open after a refused key")
	}
	// Firmware below 5.3 has no metadata: the key is read from an
	// attestation.
	c.version = pivgo.Version{Major: 5, Minor: 2, Patch: 7}
	s, err := newSigner(ctx, b, Options{Expected: &c.keys[0x9c].priv.PublicKey})
	if err != nil {
		t.Fatalf("firmware 5.2: %v", err)
	}
	if s.st.info.pin != pivgo.PINPolicyAlways {
		t.Errorf("PIN policy from the attestation = %v", s.st.info.pin)
	}
	s.Close()
	if _, err := s.Sign(ctx, []byte("m")); err == nil {
		t.Error("Sign after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestUnitErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{errors.New(busyErr), ErrTokenBusy},
		{errors.New("transmitting request: the smart card has been removed, so further communication is not possible"), ErrTokenRemoved},
		{errors.New("connecting to smart card: the operation requires a Smart Card, but no Smart Card is currently in the device"), ErrTokenRemoved},
		{errors.New("connecting to pcsc: the Smart card resource manager is not running"), ErrNoPCSC},
		{errors.New("invalid response: transmitting request: an attempt was made to end a non-existent transaction"), ErrTokenRemoved},
		{errors.New("command failed: " + pivgo.ErrNotFound.Error()), nil},
		{pivgo.ErrNotFound, signer.ErrKeyNotFound},
		{pivgo.AuthErr{Retries: 2}, signer.ErrWrongPIN},
		{pivgo.AuthErr{Retries: 0}, signer.ErrPINBlocked},
	} {
		err := tokenErr("sign", 7, tc.err)
		var te *TokenError
		if !errors.As(err, &te) || te.Serial != 7 || te.Op != "sign" {
			t.Errorf("%v: not a *TokenError: %v", tc.err, err)
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%v: got %v, want it to wrap %v", tc.err, err, tc.want)
		}
		if tc.want == nil {
			for _, s := range []error{ErrTokenBusy, ErrTokenRemoved, ErrNoPCSC, signer.ErrKeyNotFound, signer.ErrWrongPIN} {
				if errors.Is(err, s) {
					t.Errorf("%v: wrongly classified as %v", tc.err, s)
				}
			}
		}
	}
	// A sign failure because the token went away.
	ca := testCA(t)
	c := newFakeCard(t, ca, 5001)
	_, s := func() (*fakeCard, *Signer) { return unitSignerOn(t, ca, c) }()
	c.signErr = errors.New("command failed: transmitting request: the smart card has been removed, so further communication is not possible")
	if _, err := s.Sign(context.Background(), []byte("m")); !errors.Is(err, ErrTokenRemoved) {
		t.Errorf("removed during sign: %v", err)
	}
}

func unitSignerOn(t *testing.T, ca *pivattest.CA, c *fakeCard) (*fakeCard, *Signer) {
	t.Helper()
	b := fakeBackend(ca, fakeReader{name: "Yubico YubiKey 00 00", card: c})
	if _, err := enrol(context.Background(), b, EnrolOptions{AllowDefaultManagementKey: true, Roots: ca.Pool(), PINPolicy: attestation.PINPolicyNever}); err != nil {
		t.Fatal(err)
	}
	s, err := newSigner(context.Background(), b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c, s
}

func TestUnitConcurrentAndCancel(t *testing.T) {
	c, s := unitSigner(t, attestation.PINPolicyOnce, attestation.TouchPolicyNever, Options{PIN: pinFunc("123456", nil)})
	c.signDelay = 2 * time.Millisecond
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			sig, err := s.Sign(context.Background(), []byte("m"))
			if err == nil {
				d := sha256.Sum256([]byte("m"))
				if !ecdsa.VerifyASN1(s.Public().(*ecdsa.PublicKey), d[:], sig) {
					err = errors.New("bad signature")
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := c.overlaps.Load(); n != 0 {
		t.Errorf("card used by %d overlapping operations", n)
	}

	// A Sign waiting for the card gives up when its context ends, while
	// another Sign holds the card.
	c.signDelay = 0
	c.gate = make(chan struct{})
	c.started = make(chan struct{}, 1)
	first := make(chan error, 1)
	go func() {
		_, err := s.Sign(context.Background(), []byte("slow"))
		first <- err
	}()
	<-c.started
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := s.Sign(ctx, []byte("m"))
		second <- err
	}()
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting Sign: %v", err)
	}
	close(c.gate)
	if err := <-first; err != nil {
		t.Fatalf("the Sign holding the card: %v", err)
	}
}

// Yubico's 2024 chain has intermediates between the root and the device
// certificate; with caller roots they must be passed explicitly.
func TestUnitEnrolIntermediates(t *testing.T) {
	ca := testCA(t)
	inter, err := ca.NewIntermediate("trustroot unit Test PIV Attestation A 1", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	interPool := x509.NewCertPool()
	interPool.AddCert(inter.Cert)
	for _, legacy := range []bool{false, true} {
		c := newFakeCard(t, ca, 6001)
		if legacy {
			c.dev, err = inter.NewLegacyDevice(6001, attestation.Firmware{Major: 5, Minor: 7, Patch: 1}, time.Time{})
		} else {
			c.dev, err = inter.NewDevice(6001, attestation.Firmware{Major: 5, Minor: 7, Patch: 1}, time.Time{})
		}
		if err != nil {
			t.Fatal(err)
		}
		b := fakeBackend(ca, fakeReader{name: "Yubico YubiKey 00 00", card: c})
		opts := EnrolOptions{AllowDefaultManagementKey: true, Roots: ca.Pool(), Replace: true}
		if _, err := enrol(context.Background(), b, opts); !errors.Is(err, ErrAttestation) {
			t.Fatalf("legacy=%v without intermediates: %v, want ErrAttestation", legacy, err)
		}
		opts.Intermediates = interPool
		e, err := enrol(context.Background(), b, opts)
		if err != nil {
			t.Fatalf("legacy=%v with intermediates: %v", legacy, err)
		}
		if e.Serial != 6001 || e.PINPolicy != attestation.PINPolicyAlways {
			t.Errorf("legacy=%v: enrolment %+v", legacy, e)
		}
		dev, _ := x509.ParseCertificate(e.DeviceCertificate)
		if legacy && dev.BasicConstraintsValid {
			t.Error("published legacy device certificate gained basicConstraints")
		}
		// The intermediates do not stand in for the root.
		opts.Roots = testCAName(t, "unrelated root")
		if _, err := enrol(context.Background(), b, opts); !errors.Is(err, ErrAttestation) {
			t.Fatalf("legacy=%v under an unrelated root: %v", legacy, err)
		}
	}
}

//go:build cgo && pivkey

package piv

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	pivgo "github.com/go-piv/piv-go/v2/piv"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
	"github.com/trustroot/trustroot/internal/pivsim"
	"github.com/trustroot/trustroot/signer"
)

func newSim(t *testing.T, opts Options) *Signer {
	t.Helper()
	s, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestSimList(t *testing.T) {
	s := needSim(t)
	tokens, err := List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 2 {
		t.Fatalf("List = %d tokens, want 2: %+v", len(tokens), tokens)
	}
	for i, tok := range tokens {
		if tok.Serial != s.cards[i].Serial() {
			t.Errorf("token %d serial %d, want %d", i, tok.Serial, s.cards[i].Serial())
		}
		if tok.Firmware != (attestation.Firmware{Major: 5, Minor: 7, Patch: 1}) {
			t.Errorf("token %d version %v, want 5.7.1", i, tok.Firmware)
		}
		if tok.FormFactor != attestation.FormFactorUSBCKeychain {
			t.Errorf("token %d form factor %v", i, tok.FormFactor)
		}
		if tok.Reader == "" {
			t.Errorf("token %d has no reader name", i)
		}
	}
}

func TestSimEnrolSignAttest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alg   Algorithm
		curve elliptic.Curve
	}{
		{"P256", AlgorithmECP256, elliptic.P256()},
		{"P384", AlgorithmECP384, elliptic.P384()},
		{"Ed25519", AlgorithmEd25519, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := needSim(t)
			card := s.cards[0]
			e := s.enrol(t, card.Serial(), EnrolOptions{Algorithm: tc.alg})
			pub, ok := e.Public.(*ecdsa.PublicKey)
			edPub, isEd := e.Public.(ed25519.PublicKey)
			if tc.curve == nil && !isEd || tc.curve != nil && (!ok || pub.Curve != tc.curve) {
				t.Fatalf("enrolled key %T, want %s", e.Public, tc.alg)
			}
			if e.Algorithm != tc.alg {
				t.Errorf("enrolment algorithm %v, want %v", e.Algorithm, tc.alg)
			}
			if e.Serial != card.Serial() || e.Slot != attestation.SlotSignature || e.PINPolicy != attestation.PINPolicyAlways || e.TouchPolicy != attestation.TouchPolicyAlways {
				t.Errorf("enrolment = serial %d slot %v pin %v touch %v", e.Serial, e.Slot, e.PINPolicy, e.TouchPolicy)
			}
			if e.Firmware != (attestation.Firmware{Major: 5, Minor: 7, Patch: 1}) || e.FormFactor != attestation.FormFactorUSBCKeychain {
				t.Errorf("enrolment firmware %v form factor %v", e.Firmware, e.FormFactor)
			}
			// The published certificates verify independently of Enrol.
			slotCert, err := x509.ParseCertificate(e.SlotCertificate)
			if err != nil {
				t.Fatal(err)
			}
			devCert, err := x509.ParseCertificate(e.DeviceCertificate)
			if err != nil {
				t.Fatal(err)
			}
			att, err := (&pivgo.Verifier{Roots: s.roots()}).Verify(devCert, slotCert)
			if err != nil {
				t.Fatalf("published attestation does not verify: %v", err)
			}
			if att.Serial != card.Serial() || !samePublicKey(slotCert.PublicKey, e.Public) {
				t.Errorf("published attestation: serial %d, key match %v", att.Serial, samePublicKey(slotCert.PublicKey, e.Public))
			}

			var pinCalls, touches int
			sg := newSim(t, Options{
				Serial:   card.Serial(),
				Expected: e.Public,
				PIN:      pinFunc("123456", &pinCalls),
				Touch:    func() { touches++ },
			})
			if !samePublicKey(sg.Public(), e.Public) || sg.Serial() != card.Serial() {
				t.Fatal("signer reports another key or token")
			}
			msg := []byte("trustroot simulated root payload")
			for i := range 2 {
				sig, err := sg.Sign(context.Background(), msg)
				if err != nil {
					t.Fatalf("Sign #%d: %v", i, err)
				}
				var digest []byte
				switch tc.alg {
				case AlgorithmEd25519:
					if !ed25519.Verify(edPub, msg, sig) {
						t.Fatalf("Ed25519 signature #%d does not verify", i)
					}
					continue
				case AlgorithmECP384:
					d := sha512.Sum384(msg)
					digest = d[:]
				default:
					d := sha256.Sum256(msg)
					digest = d[:]
				}
				if !ecdsa.VerifyASN1(pub, digest, sig) {
					t.Fatalf("signature #%d does not verify", i)
				}
			}
			// PIN policy always: a PIN for every signature; touch always.
			if pinCalls != 2 || touches != 2 || card.Touches() != 2 || card.Signatures() != 2 {
				t.Errorf("pin calls %d, touch callbacks %d, card touches %d, card signatures %d; want 2 each",
					pinCalls, touches, card.Touches(), card.Signatures())
			}
			sc, dc, err := sg.Attestation(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(dc, e.DeviceCertificate) {
				t.Error("re-read device certificate differs")
			}
			c2, err := x509.ParseCertificate(sc)
			if err != nil || !samePublicKey(c2.PublicKey, e.Public) {
				t.Errorf("re-attested key differs (%v)", err)
			}
		})
	}
}

func TestSimPINOnceAsksOnce(t *testing.T) {
	s := needSim(t)
	card := s.cards[0]
	e := s.enrol(t, card.Serial(), EnrolOptions{PINPolicy: attestation.PINPolicyOnce, TouchPolicy: attestation.TouchPolicyNever})
	var calls, touches int
	sg := newSim(t, Options{Serial: card.Serial(), Expected: e.Public, PIN: pinFunc("123456", &calls), Touch: func() { touches++ }})
	for range 3 {
		if _, err := sg.Sign(context.Background(), []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 || touches != 0 || card.Touches() != 0 {
		t.Errorf("PIN asked %d times (want 1), touch callbacks %d, card touches %d (want 0)", calls, touches, card.Touches())
	}
}

func TestSimWrongPINThenLastTryThenBlocked(t *testing.T) {
	s := needSim(t)
	card := s.cards[0]
	e := s.enrol(t, card.Serial(), EnrolOptions{})
	var calls int
	wrong := newSim(t, Options{Serial: card.Serial(), Expected: e.Public, PIN: pinFunc("999999", &calls)})
	for want := 2; want >= 1; want-- {
		_, err := wrong.Sign(context.Background(), []byte("m"))
		var pe *signer.PINError
		if !errors.As(err, &pe) || pe.Retries != want || !errors.Is(err, signer.ErrWrongPIN) {
			t.Fatalf("wrong PIN: got %v, want a *signer.PINError with %d retries", err, want)
		}
		if got := card.PINRetries(); got != want {
			t.Fatalf("card has %d tries left, want %d", got, want)
		}
		if bytes.Contains([]byte(err.Error()), []byte("999999")) {
			t.Fatalf("error %q contains the PIN", err)
		}
	}
	// One try left: refused before the PIN callback runs.
	before := calls
	_, err := wrong.Sign(context.Background(), []byte("m"))
	if !errors.Is(err, ErrLastPINTry) {
		t.Fatalf("with one try left: %v, want ErrLastPINTry", err)
	}
	if calls != before || card.PINRetries() != 1 {
		t.Fatalf("PIN callback called (%d -> %d) or try spent (%d left)", before, calls, card.PINRetries())
	}
	wrong.Close()
	// Forced, the last (wrong) try blocks the PIN.
	forced := newSim(t, Options{Serial: card.Serial(), Expected: e.Public, PIN: pinFunc("999999", nil), ForceLastPINTry: true})
	_, err = forced.Sign(context.Background(), []byte("m"))
	if !errors.Is(err, signer.ErrPINBlocked) {
		t.Fatalf("forced last try: %v, want ErrPINBlocked", err)
	}
	forced.Close()
	// Now even the right PIN is not tried.
	calls = 0
	right := newSim(t, Options{Serial: card.Serial(), Expected: e.Public, PIN: pinFunc("123456", &calls), ForceLastPINTry: true})
	_, err = right.Sign(context.Background(), []byte("m"))
	var pe *signer.PINError
	if !errors.Is(err, signer.ErrPINBlocked) || !errors.As(err, &pe) || pe.Retries != 0 || calls != 0 {
		t.Fatalf("blocked PIN: %v (PIN callback called %d times), want ErrPINBlocked without asking", err, calls)
	}
}

func TestSimSelectBySerial(t *testing.T) {
	s := needSim(t)
	e0 := s.enrol(t, s.cards[0].Serial(), EnrolOptions{})
	e1 := s.enrol(t, s.cards[1].Serial(), EnrolOptions{})
	if samePublicKey(e0.Public, e1.Public) {
		t.Fatal("two tokens generated the same key")
	}
	if _, err := New(context.Background(), Options{PIN: pinFunc("123456", nil)}); !errors.Is(err, ErrSeveralTokens) {
		t.Fatalf("New without serial, two tokens: %v, want ErrSeveralTokens", err)
	}
	if _, err := Enrol(context.Background(), EnrolOptions{AllowDefaultManagementKey: true, Roots: s.roots()}); !errors.Is(err, ErrSeveralTokens) {
		t.Fatalf("Enrol without serial, two tokens: %v, want ErrSeveralTokens", err)
	}
	if _, err := New(context.Background(), Options{Serial: 424242}); !errors.Is(err, ErrNoToken) {
		t.Fatalf("New with an absent serial: %v, want ErrNoToken", err)
	}
	sg := newSim(t, Options{Serial: s.cards[1].Serial(), PIN: pinFunc("123456", nil)})
	if sg.Serial() != s.cards[1].Serial() || !samePublicKey(sg.Public(), e1.Public) {
		t.Fatalf("picked token %d with another key", sg.Serial())
	}
	if _, err := sg.Sign(context.Background(), []byte("m")); err != nil {
		t.Fatal(err)
	}
	if s.cards[1].Signatures() != 1 || s.cards[0].Signatures() != 0 {
		t.Errorf("signatures: card0 %d card1 %d, want 0 and 1", s.cards[0].Signatures(), s.cards[1].Signatures())
	}
	// The signer holds its token exclusively: another program cannot
	// use it meanwhile.
	_, err := New(context.Background(), Options{Serial: s.cards[1].Serial()})
	if !errors.Is(err, ErrTokenBusy) {
		t.Fatalf("second New on an open token: %v, want ErrTokenBusy", err)
	}
}

func TestSimWrongKeyAndEmptySlot(t *testing.T) {
	s := needSim(t)
	s.enrol(t, s.cards[0].Serial(), EnrolOptions{})
	other := s.enrol(t, s.cards[1].Serial(), EnrolOptions{})
	var calls int
	_, err := New(context.Background(), Options{Serial: s.cards[0].Serial(), Expected: other.Public, PIN: pinFunc("123456", &calls)})
	if !errors.Is(err, signer.ErrWrongKey) || calls != 0 {
		t.Fatalf("wrong expected key: %v (PIN asked %d times), want ErrWrongKey before any PIN", err, calls)
	}
	_, err = New(context.Background(), Options{Serial: s.cards[0].Serial(), Slot: attestation.SlotAuthentication, PIN: pinFunc("123456", &calls)})
	if !errors.Is(err, signer.ErrKeyNotFound) || calls != 0 {
		t.Fatalf("empty slot: %v, want ErrKeyNotFound", err)
	}
}

func TestSimEnrolRefusals(t *testing.T) {
	s := needSim(t)
	serial := s.cards[0].Serial()
	ctx := context.Background()
	if _, err := Enrol(ctx, EnrolOptions{Serial: serial, Roots: s.roots()}); !errors.Is(err, ErrManagementKeyRequired) {
		t.Errorf("no management key: %v", err)
	}
	if _, err := Enrol(ctx, EnrolOptions{Serial: serial, Roots: s.roots(), ManagementKey: pivsimDefaultKey()}); !errors.Is(err, ErrDefaultManagementKey) {
		t.Errorf("default management key not allowed: %v", err)
	}
	wrongKey := bytes.Repeat([]byte{0x42}, 24)
	_, err := Enrol(ctx, EnrolOptions{Serial: serial, Roots: s.roots(), ManagementKey: wrongKey})
	if !errors.Is(err, ErrManagementKey) {
		t.Errorf("wrong management key: %v, want ErrManagementKey", err)
	}
	if err != nil && bytes.Contains([]byte(err.Error()), []byte("4242")) {
		t.Errorf("error %q shows the management key", err)
	}
	first := s.enrol(t, serial, EnrolOptions{})
	_, err = Enrol(ctx, EnrolOptions{Serial: serial, Roots: s.roots(), AllowDefaultManagementKey: true})
	if !errors.Is(err, ErrSlotInUse) {
		t.Fatalf("second enrolment: %v, want ErrSlotInUse", err)
	}
	second := s.enrol(t, serial, EnrolOptions{Replace: true})
	if samePublicKey(first.Public, second.Public) {
		t.Error("Replace kept the old key")
	}
	// An attestation under another root is refused.
	otherCA, err := pivattest.NewCA("some other root", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Enrol(ctx, EnrolOptions{Serial: serial, Roots: otherCA.Pool(), AllowDefaultManagementKey: true, Replace: true})
	if !errors.Is(err, ErrAttestation) {
		t.Fatalf("attestation under a foreign root: %v, want ErrAttestation", err)
	}
	// And with Yubico's roots (the default) a simulator can never pass.
	_, err = Enrol(ctx, EnrolOptions{Serial: serial, AllowDefaultManagementKey: true, Replace: true})
	if !errors.Is(err, ErrAttestation) {
		t.Fatalf("simulated attestation under Yubico roots: %v, want ErrAttestation", err)
	}
}

func pivsimDefaultKey() []byte { return defaultManagementKey() }

func TestSimContext(t *testing.T) {
	s := needSim(t)
	card := s.cards[0]
	e := s.enrol(t, card.Serial(), EnrolOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sg := newSim(t, Options{Serial: card.Serial(), Expected: e.Public, PIN: pinFunc("123456", nil)})
	if _, err := sg.Sign(ctx, []byte("m")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
	sg.Close()
	// Cancelled while the PIN prompt is open: no PIN try is spent.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	sg2 := newSim(t, Options{Serial: card.Serial(), Expected: e.Public, PIN: func(context.Context) ([]byte, error) {
		cancel()
		return []byte("000000"), nil
	}})
	if _, err := sg2.Sign(ctx, []byte("m")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled during the PIN prompt: %v", err)
	}
	if got := card.PINRetries(); got != 3 {
		t.Fatalf("a PIN try was spent after cancellation: %d left", got)
	}
	// The signer still works afterwards.
	sg2.Close()
	sg3 := newSim(t, Options{Serial: card.Serial(), Expected: e.Public, PIN: pinFunc("123456", nil)})
	if _, err := sg3.Sign(context.Background(), []byte("m")); err != nil {
		t.Fatal(err)
	}
}

// TestSimEd25519NeedsFirmware57: Enrol refuses Ed25519 on a token older
// than firmware 5.7 before asking it to generate anything, and a 5.7
// token signs a long message (a TUF root is several kilobytes) whole.
func TestSimEd25519NeedsFirmware57(t *testing.T) {
	s := needSim(t)
	old, err := newSimCard(s.ca, 10000001, [3]byte{5, 4, 3})
	if err != nil {
		t.Fatal(err)
	}
	s.env.Slots[0].Insert(old)
	_, err = Enrol(context.Background(), EnrolOptions{Serial: 10000001, AllowDefaultManagementKey: true, Roots: s.roots(), Algorithm: AlgorithmEd25519})
	if !errors.Is(err, signer.ErrUnsupportedKey) || !strings.Contains(err.Error(), "5.4.3") {
		t.Fatalf("Enrol Ed25519 on firmware 5.4.3 = %v, want ErrUnsupportedKey naming the firmware", err)
	}
	if old.Signatures() != 0 {
		t.Fatal("the token was used")
	}
	card := s.cards[1]
	e := s.enrol(t, card.Serial(), EnrolOptions{Algorithm: AlgorithmEd25519})
	sg := newSim(t, Options{Serial: card.Serial(), Expected: e.Public, PIN: pinFunc("123456", nil)})
	msg := bytes.Repeat([]byte(`{"keytype":"ed25519","scheme":"ed25519"},`), 200) // 8 KB
	sig, err := sg.Sign(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(e.Public.(ed25519.PublicKey), msg, sig) {
		t.Fatal("signature of a long message does not verify")
	}
}

// TestSimTouchTimeout: a key with touch policy always that nobody touches
// fails after the YubiKey's 15-second wait with ErrNotTouched, and no
// signature is made. The card's clock is a FakeClock, so nobody waits.
func TestSimTouchTimeout(t *testing.T) {
	s := needSim(t)
	clock := pivsim.NewFakeClock(time.Unix(1e9, 0))
	dev, err := s.ca.NewDevice(10000001, attestation.Firmware{Major: 5, Minor: 7, Patch: 1}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	card, err := pivsim.NewCard(pivsim.Config{Serial: 10000001, Attestation: dev, Touch: pivsim.NoTouch{}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	s.env.Slots[0].Insert(card)
	e := s.enrol(t, card.Serial(), EnrolOptions{TouchPolicy: attestation.TouchPolicyAlways})
	var touchCalls int
	sg := newSim(t, Options{Serial: card.Serial(), Expected: e.Public, PIN: pinFunc("123456", nil), Touch: func() { touchCalls++ }})
	done := make(chan error, 1)
	go func() {
		_, err := sg.Sign(context.Background(), []byte("root"))
		done <- err
	}()
	for clock.Pending() == 0 { // the card waits for the touch
		select {
		case err := <-done:
			t.Fatalf("Sign returned before the card waited for a touch: %v", err)
		default:
			time.Sleep(time.Millisecond)
		}
	}
	clock.Advance(pivsim.TouchTimeout)
	err = <-done
	if !errors.Is(err, ErrNotTouched) {
		t.Fatalf("Sign without a touch = %v, want ErrNotTouched", err)
	}
	if touchCalls != 1 || card.Signatures() != 0 {
		t.Errorf("touch callbacks %d, signatures %d; want 1, 0", touchCalls, card.Signatures())
	}
}

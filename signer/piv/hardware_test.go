//go:build cgo && pivkey && yubikey

package piv

// The hardware tier: what only a real YubiKey shows. It WIPES the PIV
// applet of the YubiKey whose serial is in YUBIKEY_TEST_SERIAL (PIN,
// PUK, management key and every key back to factory defaults), and needs
// a person to touch the key. Run it with:
//
//	YUBIKEY_TEST_SERIAL=12345678 go test -tags pivkey,yubikey -run Hardware -v ./signer/piv/

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"os"
	"strconv"
	"testing"

	pivgo "github.com/go-piv/piv-go/v2/piv"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/signer"
)

const hardwareGate = "YUBIKEY_TEST_SERIAL"

// hardwareSerial returns the serial of the key the test may wipe, after
// resetting its PIV applet.
func hardwareSerial(t *testing.T) uint32 {
	t.Helper()
	v := os.Getenv(hardwareGate)
	if v == "" {
		t.Skipf("hardware tier not enabled: set %s to the serial of a YubiKey whose PIV applet may be wiped", hardwareGate)
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		t.Fatalf("%s=%q: %v", hardwareGate, v, err)
	}
	serial := uint32(n)
	c, _, err := openToken(context.Background(), pcscBackend(), serial)
	if err != nil {
		t.Fatalf("%s=%d set but the YubiKey cannot be opened: %v", hardwareGate, serial, err)
	}
	yk, ok := c.(*pivgo.YubiKey)
	if !ok {
		t.Fatalf("unexpected card type %T", c)
	}
	if err := yk.Reset(); err != nil {
		yk.Close()
		t.Fatalf("resetting the PIV applet of %d: %v", serial, err)
	}
	yk.Close()
	return serial
}

// TestHardwareYubicoAttestation enrols under Yubico's own roots (built
// into piv-go, including the 2024 chain of firmware 5.7.4+), then signs
// with touch and PIN policy always.
func TestHardwareYubicoAttestation(t *testing.T) {
	serial := hardwareSerial(t)
	ctx := context.Background()
	e, err := Enrol(ctx, EnrolOptions{Serial: serial, AllowDefaultManagementKey: true})
	if err != nil {
		t.Fatalf("Enrol with Yubico's roots: %v", err)
	}
	t.Logf("YubiKey %d firmware %v form factor %v attested", e.Serial, e.Firmware, e.FormFactor)
	touched := 0
	s, err := New(ctx, Options{
		Serial: serial, Expected: e.Public,
		PIN:   func(context.Context) ([]byte, error) { return []byte(pivgo.DefaultPIN), nil },
		Touch: func() { touched++; t.Log("touch the YubiKey now") },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sig, err := s.Sign(ctx, []byte("hardware"))
	if err != nil {
		t.Fatalf("Sign (did you touch the key?): %v", err)
	}
	d := sha256.Sum256([]byte("hardware"))
	if !ecdsa.VerifyASN1(e.Public.(*ecdsa.PublicKey), d[:], sig) || touched != 1 {
		t.Fatalf("signature verifies %v, touch callbacks %d", ecdsa.VerifyASN1(e.Public.(*ecdsa.PublicKey), d[:], sig), touched)
	}
}

// TestHardwarePINPolicy checks the firmware enforces PIN policy always
// and counts wrong PINs as the signer reports them.
func TestHardwarePINPolicy(t *testing.T) {
	serial := hardwareSerial(t)
	ctx := context.Background()
	e, err := Enrol(ctx, EnrolOptions{Serial: serial, AllowDefaultManagementKey: true, TouchPolicy: attestation.TouchPolicyNever})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, Options{Serial: serial, Expected: e.Public,
		PIN: func(context.Context) ([]byte, error) { return []byte("00000000"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Sign(ctx, []byte("m"))
	var pe *signer.PINError
	if !errors.As(err, &pe) || pe.Retries != 2 {
		t.Fatalf("wrong PIN on hardware: %v, want 2 tries left", err)
	}
	// Lie to piv-go about the policy: the firmware must still refuse to
	// sign without a PIN.
	s.st.info.pin = pivgo.PINPolicyNever
	if _, err := s.Sign(ctx, []byte("m")); err == nil {
		t.Fatal("the YubiKey signed without a PIN under PIN policy always")
	}
	s.Close()
}

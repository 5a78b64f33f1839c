//go:build cgo && pivkey

package main

// The PIV tier: the tool's -token piv path against simulated YubiKeys
// (internal/pivsim) through the real piv-go, libpcsclite and a private
// pcscd. It runs when CEREMONY_PIV_SIM=1 (root, Debian packages pcscd and
// vsmartcard-vpcd, no other pcscd or simulator running):
//
//	CEREMONY_PIV_SIM=1 CGO_ENABLED=1 go test -tags pivkey -run TestPIVSimulator ./examples/ceremony
//
// With the gate set, a simulator that cannot start fails the test.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
	"github.com/trustroot/trustroot/internal/pivsim"
	"github.com/trustroot/trustroot/signer/piv"
)

const pivSimGate = "CEREMONY_PIV_SIM"

func TestPIVSimulator(t *testing.T) {
	if os.Getenv(pivSimGate) != "1" {
		t.Skipf("%s is not set; the PIV simulator tier does not run", pivSimGate)
	}
	ca, err := pivattest.NewCA("trustroot ceremony Test PIV Root CA", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var cards [2]*pivsim.Card
	for i := range cards {
		dev, err := ca.NewDevice(uint32(20000001+i), attestation.Firmware{Major: 5, Minor: 7, Patch: 1}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if cards[i], err = pivsim.NewCard(pivsim.Config{Serial: uint32(20000001 + i), Firmware: [3]byte{5, 7, 1}, Attestation: dev}); err != nil {
			t.Fatal(err)
		}
	}
	env, err := pivsim.Start(cards[0], cards[1])
	if err != nil {
		t.Fatalf("%s=1 but the PIV simulator could not start: %v", pivSimGate, err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping the simulator: %v", err)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		toks, err := piv.List(context.Background())
		if err == nil && len(toks) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("simulated YubiKeys not visible after 15s (%v, %v); pcscd log: %s", toks, err, env.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}

	tl := newTool(t)
	roots := filepath.Join(t.TempDir(), "sim-roots.pem")
	if err := os.WriteFile(roots, ca.PEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	tl.must("init", "-name", "sim", "-threshold", "2", "-attestation-roots", roots)
	r := tl.must("enroll", "-holder", "alice", "-token", "piv", "-serial", "20000001", "-default-management-key")
	if !strings.Contains(r.stdout, "Attestation verified: key generated on token 20000001") {
		t.Fatalf("enroll alice: %v", r)
	}
	tl.must("enroll", "-holder", "bob", "-token", "piv", "-serial", "20000002", "-default-management-key")
	tl.must("stage")

	// Bob's YubiKey offered for alice: refused before any PIN is read.
	r = tl.in("sign", "-holder", "alice", "-token", "piv", "-serial", "20000002", "-pin-fd", "3")
	if r.code != 1 || !strings.Contains(r.stderr, "wrong key") {
		t.Fatalf("sign with the wrong YubiKey: %v", r)
	}
	if n := tl.pinReads.Load(); n != 0 {
		t.Fatalf("a PIN was read %d times for the wrong YubiKey", n)
	}
	before := cards[0].Signatures() + cards[1].Signatures()
	tl.must("sign", "-holder", "alice", "-token", "piv", "-serial", "20000001", "-pin-fd", "3")
	tl.must("sign", "-holder", "bob", "-token", "piv", "-serial", "20000002", "-pin-fd", "3")
	if after := cards[0].Signatures() + cards[1].Signatures(); after-before < 2 {
		t.Fatalf("the simulated YubiKeys made %d signatures, want at least 2", after-before)
	}
	tl.must("publish")
	r = tl.must("verify")
	if !strings.Contains(r.stdout, "keys/alice.json: key") || !strings.Contains(r.stdout, "attested on token 20000001") {
		t.Fatalf("verify does not report alice's attestation: %v", r)
	}
}

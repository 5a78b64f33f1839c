//go:build !cgo || !pivkey

package main

import (
	"strings"
	"testing"
)

// TestEnrollPIVWithoutPIVSupport: in a build without PIV support, enroll
// -token piv fails with "built without PIV support" (as the README says)
// before it asks for the management key, a secret the keyholder would
// otherwise type for nothing.
func TestEnrollPIVWithoutPIVSupport(t *testing.T) {
	tl := newTool(t)
	tl.must("init", "-name", "test", "-threshold", "1", "-attestation-roots", "fake", "-online-signers", "fake")
	for _, args := range [][]string{
		{"enroll", "-holder", "alice", "-token", "piv"},
		{"enroll", "-holder", "alice", "-token", "piv", "-management-key-fd", "3"},
	} {
		r := tl.in(args...)
		if r.code != 1 || !strings.Contains(r.stderr, "built without PIV support") {
			t.Errorf("%v: %v", args, r)
		}
		if strings.Contains(r.stderr, "management key") {
			t.Errorf("%v: asked for the management key in a build without PIV support: %v", args, r)
		}
		if tl.exists("keys/alice.json") {
			t.Fatalf("%v: wrote keys/alice.json", args)
		}
	}
	if n := tl.pinReads.Load(); n != 0 {
		t.Errorf("read file descriptor 3 %d times", n)
	}
}

// TestDelegationSignWithYubiKey: delegation sign -key piv reaches the
// YubiKey backend; in a build without PIV support it says so.
func TestDelegationSignWithYubiKey(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	tl.must("publish")
	tl.must("delegation", "add", "-role", "acme", "-key", "fake:acme", "-paths", "acme/*")
	before := tl.pinReads.Load()
	r := tl.in("delegation", "sign", "-role", "acme", "-key", "piv:12345678", "-pin-fd", "3")
	if r.code != 1 || !strings.Contains(r.stderr, "built without PIV support") {
		t.Fatalf("delegation sign -key piv: %v", r)
	}
	if n := tl.pinReads.Load() - before; n != 0 {
		t.Fatalf("a PIN was read %d times", n)
	}
}

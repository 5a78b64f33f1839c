package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSignedCAPEM writes a self-signed CA certificate named cn to a file.
func selfSignedCAPEM(t *testing.T, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRehearsalAttestationRoots: the YubiKey simulator's rehearsal CA
// (recognised by its name) is accepted only under rehearsal:FILE, which
// accepts nothing else, and a rehearsal says so.
func TestRehearsalAttestationRoots(t *testing.T) {
	rehearsalCA := selfSignedCAPEM(t, "trustroot rehearsal PIV attestation CA (not Yubico)")
	otherCA := selfSignedCAPEM(t, "Example Corp PIV attestation root")

	tl := newTool(t)
	if r := tl.in("init", "-online-signers", "fake", "-attestation-roots", rehearsalCA); r.code != 1 || !strings.Contains(r.stderr, "rehearsal CA") || !strings.Contains(r.stderr, "rehearsal:"+rehearsalCA) {
		t.Errorf("init with the rehearsal CA as a plain roots file: %v", r)
	}
	if r := tl.in("init", "-online-signers", "fake", "-attestation-roots", "rehearsal:"+otherCA); r.code != 1 || !strings.Contains(r.stderr, "not the YubiKey simulator's rehearsal CA") {
		t.Errorf("init with another CA as rehearsal roots: %v", r)
	}
	if r := tl.in("init", "-online-signers", "fake", "-attestation-roots", "rehearsal:"); r.code != 2 {
		t.Errorf("init with rehearsal: and no file: %v", r)
	}
	if tl.exists(policyFile) {
		t.Fatal("a refused init wrote ceremony.json")
	}
	r := tl.must("init", "-online-signers", "fake", "-attestation-roots", "rehearsal:"+rehearsalCA)
	if !strings.Contains(r.stdout, "REHEARSAL") {
		t.Errorf("init does not say it is a rehearsal: %v", r)
	}
	var p Policy
	if err := json.Unmarshal(tl.read(policyFile), &p); err != nil {
		t.Fatal(err)
	}
	if p.AttestationRoots != "rehearsal:"+rehearsalCA {
		t.Errorf("ceremony.json attestation_roots = %q", p.AttestationRoots)
	}
	// An ordinary roots file still works, and enroll's override checks
	// the rehearsal CA the same way.
	tl2 := newTool(t)
	tl2.must("init", "-online-signers", "fake", "-attestation-roots", otherCA)
	if r := tl2.in("enroll", "-holder", "alice", "-token", "piv", "-attestation-roots", rehearsalCA); r.code != 1 || !strings.Contains(r.stderr, "rehearsal CA") {
		t.Errorf("enroll overriding with the rehearsal CA as a plain file: %v", r)
	}
	// verify of a rehearsal warns on every run.
	r = tl.in("verify")
	if !strings.Contains(r.stdout+r.stderr, "REHEARSAL") {
		t.Errorf("verify of a rehearsal does not say so: %v", r)
	}
}

func TestEnrollAlgorithmFlag(t *testing.T) {
	tl := newTool(t)
	tl.must("init", "-online-signers", "fake", "-attestation-roots", "fake")
	if r := tl.in("enroll", "-holder", "alice", "-token", "piv", "-algorithm", "rsa2048"); r.code != 2 || !strings.Contains(r.stderr, "ed25519") {
		t.Errorf("enroll -algorithm rsa2048: %v", r)
	}
	if r := tl.in("enroll", "-holder", "alice", "-token", "fake", "-algorithm", "ed25519"); r.code != 2 || !strings.Contains(r.stderr, "-token piv") {
		t.Errorf("enroll -algorithm ed25519 with a fake token: %v", r)
	}
	if tl.exists("keys/alice.json") {
		t.Error("a refused enroll wrote keys/alice.json")
	}
}

package tufkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"testing"
)

// TestFingerprintMatchesX509: the fingerprint of every key type is the
// SHA-256 of what x509.MarshalPKIXPublicKey writes, and PEM keys parse to
// what x509.ParsePKIXPublicKey returns.
func TestFingerprintMatchesX509(t *testing.T) {
	var keys []crypto.PublicKey
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		for range 4 {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k.Public())
		}
	}
	for range 4 {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, pub)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keys = append(keys, rk.Public())
	for _, pub := range keys {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(der)
		got, err := Fingerprint(pub)
		if err != nil || got != hex.EncodeToString(sum[:]) {
			t.Fatalf("Fingerprint(%T) = %s, %v; want the SHA-256 of its PKIX DER", pub, got, err)
		}
		want, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			t.Fatal(err)
		}
		fast, ok := parseKnownSPKI(der)
		if _, isEC := pub.(*ecdsa.PublicKey); ok != isEC {
			t.Fatalf("parseKnownSPKI(%T) ok = %v", pub, ok)
		}
		if ok && !fast.(*ecdsa.PublicKey).Equal(want) {
			t.Fatalf("parseKnownSPKI = %v, x509 %v", fast, want)
		}
	}
}

// TestKnownSPKIOffCurve: a P-256 prefix with a point off the curve is left
// to parseSPKI, which refuses it, as x509 does.
func TestKnownSPKIOffCurve(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	der[len(der)-1] ^= 1
	if _, ok := parseKnownSPKI(der); ok {
		t.Fatal("parseKnownSPKI accepted a point off the curve")
	}
	if _, err := parseSPKI(der); err == nil {
		t.Fatal("parseSPKI accepted a point off the curve")
	}
	if _, err := x509.ParsePKIXPublicKey(der); err == nil {
		t.Fatal("x509 accepted a point off the curve")
	}
}

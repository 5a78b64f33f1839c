package tufkey

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"testing"
)

// spkiSamples returns public keys of every type this package reads, and
// their DER from crypto/x509.
func spkiSamples(t testing.TB) (keys []crypto.PublicKey, ders [][]byte) {
	for _, c := range []elliptic.Curve{elliptic.P224(), elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.Public())
	}
	ed, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys = append(keys, ed)
	rk := rsaKey(t)
	keys = append(keys, rk.Public(), &rsa.PublicKey{N: rk.N, E: 3}, &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 4095), E: 1<<31 - 1})
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range append(keys, x.PublicKey()) {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		ders = append(ders, der)
	}
	return keys, ders
}

func TestSPKIMatchesX509(t *testing.T) {
	keys, ders := spkiSamples(t)
	for i, k := range keys {
		got, err := marshalSPKI(k)
		if err != nil || !bytes.Equal(got, ders[i]) {
			t.Fatalf("marshalSPKI(%T) = %x, %v; x509 writes %x", k, got, err, ders[i])
		}
		back, err := parseSPKI(got)
		if err != nil || !back.(interface{ Equal(crypto.PublicKey) bool }).Equal(k) {
			t.Fatalf("parseSPKI of a %T: %v, %v", k, back, err)
		}
	}
	// An X25519 key (x509 reads it) is not a key this package reads.
	if _, err := parseSPKI(ders[len(ders)-1]); err == nil {
		t.Fatal("parseSPKI read an X25519 key")
	}
	if _, err := marshalSPKI(struct{}{}); err == nil {
		t.Fatal("marshalSPKI wrote an unknown key type")
	}
}

// FuzzParseSPKIMatchesX509: on any bytes, parseSPKI returns the RSA, ECDSA
// or Ed25519 key x509.ParsePKIXPublicKey returns, and fails where x509
// fails or returns a key of another type.
func FuzzParseSPKIMatchesX509(f *testing.F) {
	_, ders := spkiSamples(f)
	for _, d := range ders {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		want, werr := x509.ParsePKIXPublicKey(der)
		got, err := parseSPKI(der)
		switch want.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			if werr == nil {
				if err != nil || !got.(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
					t.Fatalf("x509 reads %T %v; parseSPKI %v, %v", want, want, got, err)
				}
				return
			}
		}
		if err == nil {
			t.Fatalf("parseSPKI read %T %v where x509 says %T, %v", got, got, want, werr)
		}
	})
}

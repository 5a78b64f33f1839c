package tufkey

import (
	"crypto/rsa"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// TestUnusableRSAKeys: x509 parses RSA keys that crypto/rsa
// will never verify with (an exponent below 3 or even, an even modulus).
// A root must not list a key that can never sign; with exponent 1 anyone
// could "sign" if a verifier ever accepted it.
func TestUnusableRSAKeys(t *testing.T) {
	good := rsaKey(t).PublicKey
	cases := map[string]*rsa.PublicKey{
		"exponent 1":     {N: good.N, E: 1},
		"exponent 2":     {N: good.N, E: 2},
		"exponent 65536": {N: good.N, E: 65536},
		"even modulus":   {N: new(big.Int).Lsh(big.NewInt(1), 2047), E: 65537},
	}
	for name, pub := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := pemEncode(pub)
			if err != nil {
				t.Fatal(err)
			}
			k, err := decodeObj(t, obj("rsa", "rsassa-pss-sha256", s))
			if err != nil || k.Supported() || !strings.Contains(k.Unsupported, "RSA") {
				t.Fatalf("Decode = %v, unsupported %q; want an unsupported key naming RSA", err, k.Unsupported)
			}
			if _, err := New(pub, nil); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("New = %v, want ErrInvalidKey", err)
			}
		})
	}
	// pem.Decode alone would skip text before the block.
	s, err := pemEncode(&good)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := decodeObj(t, obj("rsa", "rsassa-pss-sha256", "held by alice\n"+s)); err != nil || !strings.Contains(k.Unsupported, "before the PEM") {
		t.Fatalf("Decode of a key with text before the PEM block = %v, %q", err, k.Unsupported)
	}
	for _, e := range []int{3, 65537} {
		s, err := pemEncode(&rsa.PublicKey{N: good.N, E: e})
		if err != nil {
			t.Fatal(err)
		}
		if k, err := decodeObj(t, obj("rsa", "rsassa-pss-sha256", s)); err != nil || !k.Supported() {
			t.Fatalf("exponent %d: %v %q", e, err, k.Unsupported)
		}
	}
}

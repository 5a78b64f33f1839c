package fake

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/signertest"
)

func pkix(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestDerivationIsDeterministic(t *testing.T) {
	for _, kt := range KeyTypes() {
		// Derive twice without the cache: the key depends only on the
		// seed and the type.
		a, err := newKey(kt, []byte("alice"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := newKey(kt, []byte("alice"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pkix(t, a.Public()), pkix(t, b.Public())) {
			t.Errorf("%v: two derivations from the same seed differ", kt)
		}
		c, err := newKey(kt, []byte("bob"))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(pkix(t, a.Public()), pkix(t, c.Public())) {
			t.Errorf("%v: different seeds give the same key", kt)
		}
	}
	// Types are domain-separated: the same name gives unrelated keys.
	p256, _ := NewType("carol", P256)
	p384, _ := NewType("carol", P384)
	b256, err := p256.PrivateKey().(*ecdsa.PrivateKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b384, err := p384.PrivateKey().(*ecdsa.PrivateKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(b256, b384[:len(b256)]) {
		t.Error("P-256 and P-384 keys of one name come from the same stream")
	}
	if !New("carol").Public().(*ecdsa.PublicKey).Equal(p256.Public()) {
		t.Error(`New("carol") differs from NewType("carol", P256)`)
	}
}

func TestKeyTypes(t *testing.T) {
	checks := map[KeyType]func(crypto.PublicKey) bool{
		P256: func(p crypto.PublicKey) bool {
			k, ok := p.(*ecdsa.PublicKey)
			return ok && k.Curve == elliptic.P256()
		},
		P384: func(p crypto.PublicKey) bool {
			k, ok := p.(*ecdsa.PublicKey)
			return ok && k.Curve == elliptic.P384()
		},
		Ed25519: func(p crypto.PublicKey) bool {
			k, ok := p.(ed25519.PublicKey)
			return ok && len(k) == ed25519.PublicKeySize
		},
		RSA2048: func(p crypto.PublicKey) bool {
			k, ok := p.(*rsa.PublicKey)
			return ok && k.N.BitLen() == 2048 && k.E == 65537
		},
	}
	for _, kt := range KeyTypes() {
		s, err := NewType("types", kt)
		if err != nil {
			t.Fatal(err)
		}
		if s.KeyType() != kt || !checks[kt](s.Public()) {
			t.Errorf("%v: got key %T", kt, s.Public())
		}
	}
	if rk, ok := mustType(t, "validate", RSA2048).PrivateKey().(*rsa.PrivateKey); !ok || rk.Validate() != nil {
		t.Error("derived RSA key does not validate")
	}
	if _, err := NewType("x", KeyType(99)); err == nil {
		t.Error("NewType with an unknown key type succeeded")
	}
	if KeyType(99).String() != "KeyType(99)" {
		t.Errorf("KeyType(99).String() = %q", KeyType(99).String())
	}
}

func mustType(t *testing.T, name string, kt KeyType) *Signer {
	t.Helper()
	s, err := NewType(name, kt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	for _, kt := range KeyTypes() {
		t.Run(kt.String(), func(t *testing.T) {
			signertest.RunWith(t, func(t *testing.T) signer.Signer {
				return mustType(t, "conformance", kt)
			}, signertest.Options{
				Block: func(_ *testing.T, s signer.Signer) { s.(*Signer).SetFault(Block) },
				Fail: func(_ *testing.T, s signer.Signer) error {
					err := &signer.PINError{Retries: 1}
					s.(*Signer).FailNext(1, err)
					return err
				},
			})
		})
	}
}

func verifies(pub crypto.PublicKey, m, sig []byte) bool {
	h, err := signer.HashFor(pub)
	if err != nil {
		return false
	}
	var d []byte
	if h != 0 {
		hh := h.New()
		hh.Write(m)
		d = hh.Sum(nil)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, d, sig)
	case ed25519.PublicKey:
		return ed25519.Verify(k, m, sig)
	case *rsa.PublicKey:
		return rsa.VerifyPSS(k, h, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	}
	return false
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	m := []byte("fault")
	for _, kt := range KeyTypes() {
		s := mustType(t, "faults", kt)
		s.SetFault(WrongKey)
		sig, err := s.Sign(ctx, m)
		if err != nil {
			t.Fatalf("%v: WrongKey: %v", kt, err)
		}
		if verifies(s.Public(), m, sig) {
			t.Errorf("%v: WrongKey signature verifies under Public()", kt)
		}
		w, _ := s.wrongKey()
		if !verifies(w.Public(), m, sig) {
			t.Errorf("%v: WrongKey signature is not a valid signature by another key", kt)
		}

		s.SetFault(Malformed)
		sig, err = s.Sign(ctx, m)
		if err != nil {
			t.Fatalf("%v: Malformed: %v", kt, err)
		}
		if verifies(s.Public(), m, sig) {
			t.Errorf("%v: Malformed signature verifies", kt)
		}

		s.SetFault(NoFault)
		sig, err = s.Sign(ctx, m)
		if err != nil || !verifies(s.Public(), m, sig) {
			t.Errorf("%v: after NoFault: %x, %v", kt, sig, err)
		}
	}
}

func TestFailNext(t *testing.T) {
	s := New("fail-next")
	ctx := context.Background()
	s.FailNext(2, nil)
	for i := range 2 {
		if _, err := s.Sign(ctx, []byte("m")); !errors.Is(err, ErrInjected) {
			t.Fatalf("call %d: err = %v; want ErrInjected", i, err)
		}
	}
	if _, err := s.Sign(ctx, []byte("m")); err != nil {
		t.Fatalf("third call: %v", err)
	}
	boom := errors.New("backend exploded")
	s.FailNext(1, boom)
	if _, err := s.Sign(ctx, []byte("m")); !errors.Is(err, boom) {
		t.Fatalf("err = %v; want it to wrap %v", err, boom)
	}
	if got := s.Calls(); got != 4 {
		t.Errorf("Calls() = %d; want 4", got)
	}
}

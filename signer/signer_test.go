package signer_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/signertest"
)

func fakeKey(t testing.TB, name string, kt fake.KeyType) crypto.Signer {
	t.Helper()
	s, err := fake.NewType(name, kt)
	if err != nil {
		t.Fatal(err)
	}
	return s.PrivateKey()
}

func TestHashFor(t *testing.T) {
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	edPub := fakeKey(t, "ed", fake.Ed25519).Public().(ed25519.PublicKey)
	good := []struct {
		name string
		pub  crypto.PublicKey
		want crypto.Hash
	}{
		{"P-256", fakeKey(t, "a", fake.P256).Public(), crypto.SHA256},
		{"P-384", fakeKey(t, "a", fake.P384).Public(), crypto.SHA384},
		{"Ed25519", edPub, 0},
		{"RSA-2048", fakeKey(t, "a", fake.RSA2048).Public(), crypto.SHA256},
		{"P-521", &p521.PublicKey, crypto.SHA512},
	}
	for _, c := range good {
		got, err := signer.HashFor(c.pub)
		if err != nil || got != c.want {
			t.Errorf("HashFor(%s) = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	bad := []struct {
		name string
		pub  crypto.PublicKey
	}{
		{"nil", nil},
		{"P-224", &p224.PublicKey},
		{"RSA-1024", &rsa1024.PublicKey},
		{"nil ECDSA", (*ecdsa.PublicKey)(nil)},
		{"nil RSA", (*rsa.PublicKey)(nil)},
		{"*ed25519.PublicKey", &edPub},
		{"short Ed25519", edPub[:31]},
		{"private key", p224},
		{"string", "key"},
	}
	for _, c := range bad {
		if h, err := signer.HashFor(c.pub); !errors.Is(err, signer.ErrUnsupportedKey) {
			t.Errorf("HashFor(%s) = %v, %v; want ErrUnsupportedKey", c.name, h, err)
		} else if !strings.HasPrefix(err.Error(), "signer: ") {
			t.Errorf("HashFor(%s) error %q lacks the package prefix", c.name, err)
		}
	}
}

func TestFromCryptoSignerConformance(t *testing.T) {
	for _, kt := range fake.KeyTypes() {
		t.Run(kt.String(), func(t *testing.T) {
			signertest.Run(t, func(t *testing.T) signer.Signer {
				s, err := signer.FromCryptoSigner(fakeKey(t, "crypto "+kt.String(), kt))
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

// funcSigner is a crypto.Signer whose Sign is a test's function.
type funcSigner struct {
	pub  crypto.PublicKey
	sign func(digest []byte, opts crypto.SignerOpts) ([]byte, error)
}

func (f funcSigner) Public() crypto.PublicKey { return f.pub }
func (f funcSigner) Sign(_ io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return f.sign(d, o)
}

func TestFromCryptoSignerWrapsBackendErrors(t *testing.T) {
	key := fakeKey(t, "pin", fake.P256)
	pinErr := &signer.PINError{Retries: 2}
	s, err := signer.FromCryptoSigner(funcSigner{key.Public(), func([]byte, crypto.SignerOpts) ([]byte, error) {
		return nil, pinErr
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Sign(context.Background(), []byte("m"))
	var got *signer.PINError
	if !errors.As(err, &got) || got.Retries != 2 || !errors.Is(err, signer.ErrWrongPIN) {
		t.Fatalf("Sign error = %v; want a wrapped *PINError with 2 retries", err)
	}
}

func TestFromCryptoSignerChecksSignatures(t *testing.T) {
	key := fakeKey(t, "right", fake.P256).(*ecdsa.PrivateKey)
	other := fakeKey(t, "other", fake.P256)
	cases := map[string]func(d []byte, o crypto.SignerOpts) ([]byte, error){
		"wrong key": func(d []byte, o crypto.SignerOpts) ([]byte, error) {
			return other.Sign(rand.Reader, d, o)
		},
		"garbage": func([]byte, crypto.SignerOpts) ([]byte, error) {
			return []byte{0x30, 0x02, 0x01, 0x01}, nil
		},
		"empty": func([]byte, crypto.SignerOpts) ([]byte, error) { return nil, nil },
		"wrong hash": func(d []byte, _ crypto.SignerOpts) ([]byte, error) {
			h := crypto.SHA384.New()
			h.Write(d)
			return ecdsa.SignASN1(rand.Reader, key, h.Sum(nil))
		},
	}
	for name, f := range cases {
		s, err := signer.FromCryptoSigner(funcSigner{key.Public(), f})
		if err != nil {
			t.Fatal(err)
		}
		sig, err := s.Sign(context.Background(), []byte("m"))
		if !errors.Is(err, signer.ErrInvalidSignature) || sig != nil {
			t.Errorf("%s: Sign = %x, %v; want ErrInvalidSignature", name, sig, err)
		}
	}
}

func TestFromCryptoSignerConvertsP1363(t *testing.T) {
	key := fakeKey(t, "p1363", fake.P384).(*ecdsa.PrivateKey)
	s, err := signer.FromCryptoSigner(funcSigner{key.Public(), func(d []byte, o crypto.SignerOpts) ([]byte, error) {
		if o.HashFunc() != crypto.SHA384 || len(d) != 48 {
			t.Errorf("crypto.Signer got %v and a %d-byte digest; want SHA-384", o.HashFunc(), len(d))
		}
		r, ss, err := ecdsa.Sign(rand.Reader, key, d)
		if err != nil {
			return nil, err
		}
		raw := make([]byte, 96)
		r.FillBytes(raw[:48])
		ss.FillBytes(raw[48:])
		return raw, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	m := []byte("raw r||s")
	sig, err := s.Sign(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	h := crypto.SHA384.New()
	h.Write(m)
	if !ecdsa.VerifyASN1(&key.PublicKey, h.Sum(nil), sig) {
		t.Fatal("converted signature is not valid DER")
	}
}

func TestFromCryptoSignerChecksContextAfterSigning(t *testing.T) {
	key := fakeKey(t, "slow", fake.Ed25519)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := signer.FromCryptoSigner(funcSigner{key.Public(), func(d []byte, o crypto.SignerOpts) ([]byte, error) {
		cancel() // the user gives up while the device works
		return key.Sign(rand.Reader, d, o)
	}})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign(ctx, []byte("m"))
	if !errors.Is(err, context.Canceled) || sig != nil {
		t.Fatalf("Sign = %x, %v; want context.Canceled", sig, err)
	}
}

func TestFromCryptoSignerRejects(t *testing.T) {
	if _, err := signer.FromCryptoSigner(nil); err == nil {
		t.Error("FromCryptoSigner(nil) succeeded")
	}
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if _, err := signer.FromCryptoSigner(p224); !errors.Is(err, signer.ErrUnsupportedKey) {
		t.Errorf("FromCryptoSigner(P-224) = %v; want ErrUnsupportedKey", err)
	}
}

// P-521 keys sign over SHA-512 (TUF scheme ecdsa-sha2-nistp521); a backend
// returning the raw 132-byte r||s form is converted to DER.
func TestFromCryptoSignerP521(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signertest.Run(t, func(t *testing.T) signer.Signer {
		s, err := signer.FromCryptoSigner(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	raw, err := signer.FromCryptoSigner(funcSigner{key.Public(), func(d []byte, o crypto.SignerOpts) ([]byte, error) {
		if o.HashFunc() != crypto.SHA512 || len(d) != 64 {
			t.Errorf("crypto.Signer got %v and a %d-byte digest; want SHA-512", o.HashFunc(), len(d))
		}
		r, ss, err := ecdsa.Sign(rand.Reader, key, d)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 132)
		r.FillBytes(out[:66])
		ss.FillBytes(out[66:])
		return out, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	m := []byte("P-521 message")
	sig, err := raw.Sign(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	d := sha512.Sum512(m)
	if !ecdsa.VerifyASN1(&key.PublicKey, d[:], sig) {
		t.Fatal("converted P-521 signature is not DER over SHA-512")
	}
}

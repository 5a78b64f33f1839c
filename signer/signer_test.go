package signer_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	fakekms "github.com/sigstore/sigstore/pkg/signature/kms/fake"
	"github.com/sigstore/sigstore/pkg/signature/options"
	"github.com/theupdateframework/go-tuf/v2/metadata"

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
		{"P-521", &p521.PublicKey},
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
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if _, err := signer.FromCryptoSigner(p521); !errors.Is(err, signer.ErrUnsupportedKey) {
		t.Errorf("FromCryptoSigner(P-521) = %v; want ErrUnsupportedKey", err)
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8PEM(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("PRIVATE KEY", der)
}

func TestLoadPEMConformance(t *testing.T) {
	p256 := fakeKey(t, "pem", fake.P256).(*ecdsa.PrivateKey)
	rsaKey := fakeKey(t, "pem", fake.RSA2048).(*rsa.PrivateKey)
	sec1, err := x509.MarshalECPrivateKey(p256)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"PKCS8-P256":    pkcs8PEM(t, p256),
		"PKCS8-P384":    pkcs8PEM(t, fakeKey(t, "pem", fake.P384)),
		"PKCS8-Ed25519": pkcs8PEM(t, fakeKey(t, "pem", fake.Ed25519)),
		"PKCS8-RSA":     pkcs8PEM(t, rsaKey),
		"SEC1":          pemBlock("EC PRIVATE KEY", sec1),
		"PKCS1":         pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)),
		// A public key or certificate before the private key is skipped.
		"with-public": append(pemBlock("PUBLIC KEY", []byte{1, 2, 3}), pkcs8PEM(t, p256)...),
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			signertest.Run(t, func(t *testing.T) signer.Signer {
				s, err := signer.LoadPEM(data, nil)
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

func encryptedPEM(t testing.TB, k crypto.Signer, password []byte) []byte {
	t.Helper()
	plain, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	// The format cryptoutils.MarshalPrivateKeyToEncryptedDER writes, with
	// the cheapest of the scrypt parameter sets LoadPEM accepts, to keep
	// the tests fast under -race.
	der, err := encrypted.EncryptWithCustomKDFParameters(plain, password, encrypted.Legacy)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock(string(cryptoutils.EncryptedSigstorePrivateKeyPEMType), der)
}

func TestLoadPEMEncrypted(t *testing.T) {
	t.Parallel()
	key := fakeKey(t, "encrypted", fake.P256)
	password := []byte("correct horse battery staple")
	data := encryptedPEM(t, key, password)

	s, err := signer.LoadPEM(data, password)
	if err != nil {
		t.Fatalf("LoadPEM with the right password: %v", err)
	}
	if !key.Public().(*ecdsa.PublicKey).Equal(s.Public()) {
		t.Fatal("LoadPEM returned a different key")
	}
	signertest.Run(t, func(*testing.T) signer.Signer { return s })

	// cosign's older block type holds the same format.
	cosign := bytes.Replace(data, []byte("ENCRYPTED SIGSTORE PRIVATE KEY"), []byte("ENCRYPTED COSIGN PRIVATE KEY"), 2)
	if _, err := signer.LoadPEM(cosign, password); err != nil {
		t.Errorf("LoadPEM(ENCRYPTED COSIGN PRIVATE KEY): %v", err)
	}

	// A key pair exactly as sigstore's cryptoutils (and so cosign)
	// generates it.
	privPEM, pubPEM, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		t.Fatal(err)
	}
	fromCosign, err := signer.LoadPEM(privPEM, password)
	if err != nil {
		t.Fatalf("LoadPEM of a cryptoutils-generated key: %v", err)
	}
	wantPub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !wantPub.(*ecdsa.PublicKey).Equal(fromCosign.Public()) {
		t.Fatal("LoadPEM of a cryptoutils-generated key returned another key")
	}

	for name, pw := range map[string][]byte{"wrong": []byte("Tr0ub4dor&3"), "missing": nil} {
		_, err := signer.LoadPEM(data, pw)
		if !errors.Is(err, signer.ErrWrongPassword) {
			t.Errorf("%s password: err = %v; want ErrWrongPassword", name, err)
			continue
		}
		if pw != nil && strings.Contains(err.Error(), string(pw)) {
			t.Errorf("%s password: error %q contains the password", name, err)
		}
	}
}

func TestLoadPEMRejects(t *testing.T) {
	key := fakeKey(t, "reject", fake.P256).(*ecdsa.PrivateKey)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	legacy := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{
		"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF",
	}, Bytes: der})
	cases := []struct {
		name string
		data []byte
		want string
		is   error
	}{
		{"empty", nil, "empty PEM", nil},
		{"not PEM", []byte("hello"), "no PEM block", nil},
		{"public only", pemBlock("PUBLIC KEY", []byte{1}), `no private key PEM block (found "PUBLIC KEY")`, nil},
		{"garbage PKCS8", pemBlock("PRIVATE KEY", []byte{1, 2, 3}), "parsing PKCS #8", nil},
		{"garbage SEC1", pemBlock("EC PRIVATE KEY", []byte{1, 2, 3}), "parsing SEC 1", nil},
		{"garbage PKCS1", pemBlock("RSA PRIVATE KEY", []byte{1, 2, 3}), "parsing PKCS #1", nil},
		{"legacy encryption", legacy, "legacy OpenSSL encryption", nil},
		{"encrypted PKCS8", pemBlock("ENCRYPTED PRIVATE KEY", []byte{1}), "not supported", nil},
		{"unknown type", pemBlock("DSA PRIVATE KEY", []byte{1}), `unsupported private key PEM type "DSA PRIVATE KEY"`, nil},
		{"P-521", pkcs8PEM(t, p521), "P-521", signer.ErrUnsupportedKey},
		{"damaged encrypted", pemBlock("ENCRYPTED SIGSTORE PRIVATE KEY", []byte("{}")), "damaged", nil},
		{"too large", make([]byte, 2<<20), "larger than", nil},
	}
	for _, c := range cases {
		s, err := signer.LoadPEM(c.data, []byte("pw123456"))
		if err == nil {
			t.Errorf("%s: LoadPEM succeeded with %T", c.name, s)
			continue
		}
		if !strings.HasPrefix(err.Error(), "signer: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q; want it to start with \"signer: \" and mention %q", c.name, err, c.want)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error %q does not wrap %v", c.name, err, c.is)
		}
		if strings.Contains(err.Error(), "pw123456") {
			t.Errorf("%s: error %q contains the password", c.name, err)
		}
	}
}

func fakeKMSContext(k crypto.PrivateKey) context.Context {
	return context.WithValue(context.Background(), fakekms.KmsCtxKey{}, k)
}

func TestLoadKMSConformance(t *testing.T) {
	for _, kt := range []fake.KeyType{fake.P256, fake.P384, fake.Ed25519} {
		t.Run(kt.String(), func(t *testing.T) {
			key := fakeKey(t, "kms", kt)
			s, err := signer.LoadKMS(fakeKMSContext(key), "fakekms://"+kt.String())
			if err != nil {
				t.Fatal(err)
			}
			if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(s.Public()) {
				t.Fatal("LoadKMS returned a different key")
			}
			signertest.Run(t, func(*testing.T) signer.Signer { return s })
		})
	}
	t.Run("random key", func(t *testing.T) {
		// Without a key in the context fakekms makes a fresh P-256 key.
		s, err := signer.LoadKMS(context.Background(), "fakekms://fresh")
		if err != nil {
			t.Fatal(err)
		}
		signertest.Run(t, func(*testing.T) signer.Signer { return s })
	})
}

func TestLoadKMSRefusesPKCS1v15RSA(t *testing.T) {
	// fakekms signs RSA keys with PKCS #1 v1.5, which TUF's
	// rsassa-pss-sha256 verifiers reject; the adapter must notice.
	key := fakeKey(t, "kms", fake.RSA2048)
	s, err := signer.LoadKMS(fakeKMSContext(key), "fakekms://rsa")
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign(context.Background(), []byte("m"))
	if !errors.Is(err, signer.ErrInvalidSignature) {
		t.Fatalf("Sign = %x, %v; want ErrInvalidSignature", sig, err)
	}
}

func TestLoadKMSRejects(t *testing.T) {
	for uri, want := range map[string]string{
		"":                         "no scheme",
		"projects/x/keys/y":        "no scheme",
		"nosuchkms://key":          `no KMS provider for "nosuchkms://" is registered`,
		"gcpkms://projects/p/keys": `no KMS provider for "gcpkms://"`,
	} {
		_, err := signer.LoadKMS(context.Background(), uri)
		if err == nil || !strings.HasPrefix(err.Error(), "signer: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadKMS(%q) = %v; want an error mentioning %q", uri, err, want)
		}
	}
}

func TestFromSigstoreConformance(t *testing.T) {
	for _, kt := range fake.KeyTypes() {
		t.Run(kt.String(), func(t *testing.T) {
			var (
				sv  signature.Signer
				err error
			)
			key := fakeKey(t, "sigstore", kt)
			if rk, ok := key.(*rsa.PrivateKey); ok {
				sv, err = signature.LoadRSAPSSSigner(rk, crypto.SHA256, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
			} else {
				sv, err = signature.LoadSigner(key, crypto.SHA256) // P-384 gets SHA-384 from the adapter
			}
			if err != nil {
				t.Fatal(err)
			}
			signertest.Run(t, func(t *testing.T) signer.Signer {
				s, err := signer.FromSigstore(sv)
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

// errSigstore is a sigstore signer whose SignMessage fails with err.
type errSigstore struct {
	signature.Signer
	err error
}

func (e errSigstore) SignMessage(io.Reader, ...signature.SignOption) ([]byte, error) {
	return nil, e.err
}

func TestFromSigstoreWrapsErrors(t *testing.T) {
	sv, err := signature.LoadSigner(fakeKey(t, "sigstore", fake.P256), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	pinErr := &signer.PINError{Retries: 0}
	s, err := signer.FromSigstore(errSigstore{sv, pinErr})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Sign(context.Background(), []byte("m"))
	var got *signer.PINError
	if !errors.As(err, &got) || !errors.Is(err, signer.ErrPINBlocked) {
		t.Fatalf("Sign error = %v; want a wrapped blocked *PINError", err)
	}
	if _, err := signer.FromSigstore(nil); err == nil {
		t.Error("FromSigstore(nil) succeeded")
	}
}

func TestToSigstoreConformance(t *testing.T) {
	for _, kt := range fake.KeyTypes() {
		t.Run(kt.String(), func(t *testing.T) {
			f, err := fake.NewType("to-sigstore", kt)
			if err != nil {
				t.Fatal(err)
			}
			// Through sigstore and back: both adapters at once.
			signertest.Run(t, func(t *testing.T) signer.Signer {
				s, err := signer.FromSigstore(signer.ToSigstore(f))
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

func TestToSigstoreWithGoTUF(t *testing.T) {
	// go-tuf's own Sign computes key IDs with its default scheme, which
	// is right for P-256, Ed25519 and RSA.
	for _, kt := range []fake.KeyType{fake.P256, fake.Ed25519, fake.RSA2048} {
		f, err := fake.NewType("go-tuf", kt)
		if err != nil {
			t.Fatal(err)
		}
		key, err := metadata.KeyFromPublicKey(f.Public())
		if err != nil {
			t.Fatal(err)
		}
		md := metadata.Root(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		if err := md.Signed.AddKey(key, metadata.ROOT); err != nil {
			t.Fatal(err)
		}
		sv := signer.ToSigstore(f)
		if _, err := md.Sign(sv); err != nil {
			t.Fatalf("%v: go-tuf Sign: %v", kt, err)
		}
		if err := md.VerifyDelegate(metadata.ROOT, md); err != nil {
			t.Fatalf("%v: go-tuf VerifyDelegate: %v", kt, err)
		}
	}
}

func TestToSigstoreOptions(t *testing.T) {
	f := fake.New("options")
	sv := signer.ToSigstore(f)
	m := []byte("message")

	sig, err := sv.SignMessage(bytes.NewReader(m), options.WithContext(context.Background()), options.WithCryptoSignerOpts(crypto.SHA256))
	if err != nil {
		t.Fatal(err)
	}
	if err := sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(m)); err != nil {
		t.Fatalf("VerifySignature: %v", err)
	}
	if err := sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader([]byte("other"))); !errors.Is(err, signer.ErrInvalidSignature) {
		t.Fatalf("VerifySignature over another message = %v; want ErrInvalidSignature", err)
	}
	if _, err := sv.SignMessage(bytes.NewReader(m), options.WithDigest(make([]byte, 32))); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Errorf("SignMessage(WithDigest) = %v; want a digest error", err)
	}
	if _, err := sv.SignMessage(bytes.NewReader(m), options.WithCryptoSignerOpts(crypto.SHA384)); err == nil || !strings.Contains(err.Error(), "SHA-384") {
		t.Errorf("SignMessage(SHA-384) on a P-256 key = %v; want a hash error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sv.SignMessage(bytes.NewReader(m), options.WithContext(ctx)); !errors.Is(err, context.Canceled) {
		t.Errorf("SignMessage with a cancelled context = %v; want context.Canceled", err)
	}
	pub, err := sv.PublicKey()
	if err != nil || !f.Public().(*ecdsa.PublicKey).Equal(pub) {
		t.Errorf("PublicKey() = %v, %v", pub, err)
	}
	if _, err := sv.SignMessage(io.LimitReader(zeros{}, 65<<20)); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("SignMessage of 65 MiB = %v; want a size error", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

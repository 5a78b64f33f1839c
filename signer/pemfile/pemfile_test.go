package pemfile_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/pemfile"
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

func TestLoadConformance(t *testing.T) {
	p256 := fakeKey(t, "pem", fake.P256).(*ecdsa.PrivateKey)
	rsaKey := fakeKey(t, "pem", fake.RSA2048).(*rsa.PrivateKey)
	sec1, err := x509.MarshalECPrivateKey(p256)
	if err != nil {
		t.Fatal(err)
	}
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"PKCS8-P256":    pkcs8PEM(t, p256),
		"PKCS8-P384":    pkcs8PEM(t, fakeKey(t, "pem", fake.P384)),
		"PKCS8-P521":    pkcs8PEM(t, p521),
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
				s, err := pemfile.Load(data, nil)
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
	// the cheapest of the scrypt parameter sets Load accepts, to keep
	// the tests fast under -race.
	der, err := encrypted.EncryptWithCustomKDFParameters(plain, password, encrypted.Legacy)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock(string(cryptoutils.EncryptedSigstorePrivateKeyPEMType), der)
}

func TestLoadEncrypted(t *testing.T) {
	t.Parallel()
	key := fakeKey(t, "encrypted", fake.P256)
	password := []byte("correct horse battery staple")
	data := encryptedPEM(t, key, password)

	s, err := pemfile.Load(data, password)
	if err != nil {
		t.Fatalf("Load with the right password: %v", err)
	}
	if !key.Public().(*ecdsa.PublicKey).Equal(s.Public()) {
		t.Fatal("Load returned a different key")
	}
	signertest.Run(t, func(*testing.T) signer.Signer { return s })

	// cosign's older block type holds the same format.
	cosign := bytes.Replace(data, []byte("ENCRYPTED SIGSTORE PRIVATE KEY"), []byte("ENCRYPTED COSIGN PRIVATE KEY"), 2)
	if _, err := pemfile.Load(cosign, password); err != nil {
		t.Errorf("Load(ENCRYPTED COSIGN PRIVATE KEY): %v", err)
	}

	// A key pair exactly as sigstore's cryptoutils (and so cosign)
	// generates it.
	privPEM, pubPEM, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		t.Fatal(err)
	}
	fromCosign, err := pemfile.Load(privPEM, password)
	if err != nil {
		t.Fatalf("Load of a cryptoutils-generated key: %v", err)
	}
	wantPub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !wantPub.(*ecdsa.PublicKey).Equal(fromCosign.Public()) {
		t.Fatal("Load of a cryptoutils-generated key returned another key")
	}

	for name, pw := range map[string][]byte{"wrong": []byte("Tr0ub4dor&3"), "missing": nil} {
		_, err := pemfile.Load(data, pw)
		if !errors.Is(err, signer.ErrWrongPassword) {
			t.Errorf("%s password: err = %v; want ErrWrongPassword", name, err)
			continue
		}
		if pw != nil && strings.Contains(err.Error(), string(pw)) {
			t.Errorf("%s password: error %q contains the password", name, err)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	key := fakeKey(t, "reject", fake.P256).(*ecdsa.PrivateKey)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
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
		{"P-224", pkcs8PEM(t, p224), "P-224", signer.ErrUnsupportedKey},
		{"damaged encrypted", pemBlock("ENCRYPTED SIGSTORE PRIVATE KEY", []byte("{}")), "damaged", nil},
		{"too large", make([]byte, 2<<20), "larger than", nil},
	}
	for _, c := range cases {
		s, err := pemfile.Load(c.data, []byte("pw123456"))
		if err == nil {
			t.Errorf("%s: Load succeeded with %T", c.name, s)
			continue
		}
		if !strings.HasPrefix(err.Error(), "signer/pemfile: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q; want it to start with \"signer/pemfile: \" and mention %q", c.name, err, c.want)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error %q does not wrap %v", c.name, err, c.is)
		}
		if strings.Contains(err.Error(), "pw123456") {
			t.Errorf("%s: error %q contains the password", c.name, err)
		}
	}
}

package sigstore_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	fakekms "github.com/sigstore/sigstore/pkg/signature/kms/fake"
	"github.com/sigstore/sigstore/pkg/signature/options"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/signertest"
	"github.com/trustroot/trustroot/signer/sigstore"
)

func fakeKey(t testing.TB, name string, kt fake.KeyType) crypto.Signer {
	t.Helper()
	s, err := fake.NewType(name, kt)
	if err != nil {
		t.Fatal(err)
	}
	return s.PrivateKey()
}

func fakeKMSContext(k crypto.PrivateKey) context.Context {
	return context.WithValue(context.Background(), fakekms.KmsCtxKey{}, k)
}

func TestLoadKMSConformance(t *testing.T) {
	for _, kt := range []fake.KeyType{fake.P256, fake.P384, fake.Ed25519} {
		t.Run(kt.String(), func(t *testing.T) {
			key := fakeKey(t, "kms", kt)
			s, err := sigstore.LoadKMS(fakeKMSContext(key), "fakekms://"+kt.String())
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
		s, err := sigstore.LoadKMS(context.Background(), "fakekms://fresh")
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
	s, err := sigstore.LoadKMS(fakeKMSContext(key), "fakekms://rsa")
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
		_, err := sigstore.LoadKMS(context.Background(), uri)
		if err == nil || !strings.HasPrefix(err.Error(), "signer/sigstore: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadKMS(%q) = %v; want an error mentioning %q", uri, err, want)
		}
	}
}

func TestFromSignerConformance(t *testing.T) {
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
				s, err := sigstore.FromSigner(sv)
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

func TestFromSignerWrapsErrors(t *testing.T) {
	sv, err := signature.LoadSigner(fakeKey(t, "sigstore", fake.P256), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	pinErr := &signer.PINError{Retries: 0}
	s, err := sigstore.FromSigner(errSigstore{sv, pinErr})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Sign(context.Background(), []byte("m"))
	var got *signer.PINError
	if !errors.As(err, &got) || !errors.Is(err, signer.ErrPINBlocked) {
		t.Fatalf("Sign error = %v; want a wrapped blocked *PINError", err)
	}
	if _, err := sigstore.FromSigner(nil); err == nil {
		t.Error("FromSigner(nil) succeeded")
	}
}

func TestToSignerVerifierConformance(t *testing.T) {
	for _, kt := range fake.KeyTypes() {
		t.Run(kt.String(), func(t *testing.T) {
			f, err := fake.NewType("to-sigstore", kt)
			if err != nil {
				t.Fatal(err)
			}
			// Through sigstore and back: both adapters at once.
			signertest.Run(t, func(t *testing.T) signer.Signer {
				s, err := sigstore.FromSigner(sigstore.ToSignerVerifier(f))
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

func TestToSignerVerifierWithGoTUF(t *testing.T) {
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
		sv := sigstore.ToSignerVerifier(f)
		if _, err := md.Sign(sv); err != nil {
			t.Fatalf("%v: go-tuf Sign: %v", kt, err)
		}
		if err := md.VerifyDelegate(metadata.ROOT, md); err != nil {
			t.Fatalf("%v: go-tuf VerifyDelegate: %v", kt, err)
		}
	}
}

func TestToSignerVerifierOptions(t *testing.T) {
	f := fake.New("options")
	sv := sigstore.ToSignerVerifier(f)
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

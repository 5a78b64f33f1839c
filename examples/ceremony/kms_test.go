package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"
	sigkms "github.com/sigstore/sigstore/pkg/signature/kms"

	"github.com/trustroot/trustroot/signer/fake"
)

// testKMSScheme is a KMS provider for the tests: a stand-in for a cloud
// KMS key that stays the same across commands and processes, as a real
// one does (sigstore's fakekms:// makes a new key in every process, so a
// repository it signed could never be refreshed). testkms://NAME holds
// the key derived from NAME. It goes through the same path as a real
// provider: sigstore's registry, signer/sigstore.LoadKMS and FromSigner.
const testKMSScheme = "testkms://"

// testKMSSignatures counts the signatures testkms keys made.
var testKMSSignatures atomic.Int64

var registerTestKMS sync.Once

func init() {
	registerTestKMS.Do(func() {
		sigkms.AddProvider(testKMSScheme, func(_ context.Context, ref string, hf crypto.Hash, _ ...signature.RPCOption) (sigkms.SignerVerifier, error) {
			key := fake.New("testkms-" + strings.TrimPrefix(ref, testKMSScheme)).PrivateKey().(*ecdsa.PrivateKey)
			sv, err := signature.LoadECDSASignerVerifier(key, hf)
			if err != nil {
				return nil, err
			}
			return &testKMSKey{ECDSASignerVerifier: sv}, nil
		})
	})
}

// testKMSKey is a testkms:// key.
type testKMSKey struct {
	*signature.ECDSASignerVerifier
}

func (k *testKMSKey) SignMessage(message io.Reader, opts ...signature.SignOption) ([]byte, error) {
	testKMSSignatures.Add(1)
	return k.ECDSASignerVerifier.SignMessage(message, opts...)
}

func (k *testKMSKey) CreateKey(context.Context, string) (crypto.PublicKey, error) {
	return k.PublicKey()
}

func (k *testKMSKey) CryptoSigner(context.Context, func(error)) (crypto.Signer, crypto.SignerOpts, error) {
	return nil, nil, io.ErrUnexpectedEOF // not used by the tool
}

func (k *testKMSKey) SupportedAlgorithms() []string { return []string{"ecdsa-p256-sha256"} }
func (k *testKMSKey) DefaultAlgorithm() string      { return "ecdsa-p256-sha256" }

// testKMSSigners is an -online-signers value with a testkms key per role.
func testKMSSigners(name string) string {
	return "targets=" + testKMSScheme + name + "-targets,snapshot=" + testKMSScheme + name + "-snapshot,timestamp=" + testKMSScheme + name + "-timestamp"
}

// writeKeyFile writes an unencrypted PKCS #8 PEM private key derived from
// name and returns its path.
func writeKeyFile(t *testing.T, name string) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(fake.New("keyfile-" + name).PrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name+".key")
	writeFile(t, p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	return p
}

// TestKMSProvidersAreLinked: a URI of each cloud KMS the tool supports
// reaches that provider, whose own error (no credentials, no network in
// the test) comes back; never "no KMS provider registered". It used to:
// the tool linked no provider, so a ceremony with real online keys could
// not stage.
func TestKMSProvidersAreLinked(t *testing.T) {
	// Keep every provider off the network: endpoints on a closed port,
	// credentials that are obviously fake, no retries.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIATEST", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
		"AWS_MAX_ATTEMPTS": "1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"GOOGLE_APPLICATION_CREDENTIALS": filepath.Join(t.TempDir(), "no-such-credentials.json"),
		"AZURE_TENANT_ID":                "00000000-0000-0000-0000-000000000000", "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000000",
		"AZURE_CLIENT_SECRET": "test", "AZURE_AUTHORITY_HOST": "https://127.0.0.1:1/",
		"VAULT_ADDR": "http://127.0.0.1:1", "VAULT_TOKEN": "test", "VAULT_MAX_RETRIES": "0",
	} {
		t.Setenv(k, v)
	}
	for _, c := range []struct {
		provider, uri string
		// want is a word of the provider's own error.
		want []string
	}{
		{"aws", "awskms://127.0.0.1:1/alias/trustroot-test", []string{"connect", "refused", "aws", "AWS", "KMS"}},
		{"gcp", "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1", []string{"credentials", "no-such-credentials.json"}},
		// Azure's client retries the refused connection for about ten
		// seconds before it gives up.
		{"azure", "azurekms://127.0.0.1:1/trustroot-test", []string{"127.0.0.1:1/keys/trustroot-test"}},
		{"hashivault", "hashivault://trustroot-test", []string{"refused", "127.0.0.1:1", "vault", "Vault"}},
	} {
		t.Run(c.provider, func(t *testing.T) {
			tl := newTool(t)
			tl.must("init", "-name", "kms", "-threshold", "1", "-attestation-roots", "fake",
				"-online-signers", "targets="+c.uri+",snapshot="+c.uri+",timestamp="+c.uri)
			tl.must("enroll", "-holder", "alice", "-token", "fake")
			r := tl.in("stage")
			t.Logf("%s: %s", c.provider, r.stderr)
			if r.code != 1 || strings.Contains(r.stderr, "no KMS provider") || strings.Contains(r.stderr, "no kms provider") {
				t.Fatalf("stage with a %s key: %v", c.provider, r)
			}
			found := false
			for _, w := range c.want {
				found = found || strings.Contains(r.stderr, w)
			}
			if !found || !strings.Contains(r.stderr, redactURI(c.uri)) {
				t.Fatalf("stage with a %s key: the error names neither the key nor the provider's failure: %v", c.provider, r)
			}
			if tl.exists("staged/root.json") {
				t.Fatal("a failed stage wrote staged/root.json")
			}
		})
	}
}

// TestTestKMSKeysPersist: the test stand-in for a KMS key is the same key
// in every command, so a repository signed by it can be re-signed later.
func TestTestKMSKeysPersist(t *testing.T) {
	tl := newTool(t)
	tl.must("init", "-name", "kms", "-threshold", "1", "-attestation-roots", "fake", "-online-signers", testKMSSigners("persist"))
	tl.must("enroll", "-holder", "alice", "-token", "fake")
	tl.must("stage")
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	before := testKMSSignatures.Load()
	tl.must("publish")
	if n := testKMSSignatures.Load() - before; n < 3 {
		t.Fatalf("publish made %d signatures with testkms keys, want at least 3 (targets, snapshot, timestamp)", n)
	}
	src := filepath.Join(t.TempDir(), "f.txt")
	writeFile(t, src, []byte("x"))
	tl.must("targets", "add", "f.txt", src)
	tl.must("verify")
}

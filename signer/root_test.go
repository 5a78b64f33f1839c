package signer_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	fakekms "github.com/sigstore/sigstore/pkg/signature/kms/fake"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/pemfile"
	"github.com/trustroot/trustroot/signer/sigstore"
)

// encryptedPEM encrypts k the way cosign does, with the cheapest scrypt
// parameters pemfile accepts.
func encryptedPEM(t testing.TB, k crypto.Signer, password []byte) []byte {
	t.Helper()
	plain, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	der, err := encrypted.EncryptWithCustomKDFParameters(plain, password, encrypted.Legacy)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: string(cryptoutils.EncryptedSigstorePrivateKeyPEMType), Bytes: der})
}

// fakeKMSContext carries the key sigstore's fakekms provider signs with.
func fakeKMSContext(k crypto.PrivateKey) context.Context {
	return context.WithValue(context.Background(), fakekms.KmsCtxKey{}, k)
}

// TestRootSignedByMixedBackends builds a 3-of-5 root whose root keys live
// in five different places, signs it with a fake signer, an encrypted PEM
// file (signer/pemfile) and a fakekms:// key (signer/sigstore), and has
// go-tuf's own VerifyDelegate check it.
func TestRootSignedByMixedBackends(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	alice := fake.New("alice") // fake, P-256

	// A PEM file on disk, encrypted the way cosign writes it.
	dir := t.TempDir()
	password := []byte("bob's passphrase")
	pemPath := filepath.Join(dir, "bob.key")
	if err := os.WriteFile(pemPath, encryptedPEM(t, fakeKey(t, "bob", fake.Ed25519), password), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(pemPath)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := pemfile.Load(data, password)
	if err != nil {
		t.Fatal(err)
	}

	// A fakekms:// key, P-384 so the KMS adapter has to pick SHA-384.
	carol, err := sigstore.LoadKMS(fakeKMSContext(fakeKey(t, "carol", fake.P384)), "fakekms://carol")
	if err != nil {
		t.Fatal(err)
	}

	// Two keyholders who do not sign this time.
	dave, err := fake.NewType("dave", fake.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	erin, err := signer.FromCryptoSigner(fakeKey(t, "erin", fake.P256))
	if err != nil {
		t.Fatal(err)
	}

	var rootKeys []root.Key
	for i, s := range []signer.Signer{alice, bob, carol, dave, erin} {
		k, err := root.NewKey(s.Public(), root.KeyOptions{Holder: []string{"alice", "bob", "carol", "dave", "erin"}[i]})
		if err != nil {
			t.Fatal(err)
		}
		rootKeys = append(rootKeys, k)
	}
	online, err := root.NewKey(fake.New("online").Public(), root.KeyOptions{Holder: "online"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot:      {Keys: rootKeys, Threshold: 3},
			root.RoleTargets:   {Keys: rootKeys, Threshold: 3},
			root.RoleSnapshot:  {Keys: []root.Key{online}, Threshold: 1},
			root.RoleTimestamp: {Keys: []root.Key{online}, Threshold: 1},
		},
		Expires:            time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
		ConsistentSnapshot: true,
	})
	if err != nil {
		t.Fatal(err)
	}

	goTUFVerify := func() error {
		t.Helper()
		file, err := r.MarshalFile()
		if err != nil {
			t.Fatal(err)
		}
		md, err := metadata.Root().FromBytes(file)
		if err != nil {
			t.Fatalf("go-tuf cannot parse the root: %v", err)
		}
		return md.VerifyDelegate(metadata.ROOT, md)
	}

	for i, s := range []signer.Signer{alice, bob, carol} {
		sigs, err := r.Sign(ctx, s, nil)
		if err != nil {
			t.Fatalf("signer %d: %v", i, err)
		}
		if len(sigs) != 1 {
			t.Fatalf("signer %d made %d signatures; want 1", i, len(sigs))
		}
		err = goTUFVerify()
		if i < 2 && err == nil {
			t.Fatalf("go-tuf accepts the root with %d of 3 signatures", i+1)
		}
		if i == 2 && err != nil {
			t.Fatalf("go-tuf rejects the 3-of-5 root: %v", err)
		}
	}
	if got := len(r.Signatures()); got != 3 {
		t.Fatalf("root has %d signatures; want 3", got)
	}
	// The other two sign as well (RSA-PSS and a crypto.Signer); go-tuf
	// still accepts the root.
	for _, s := range []signer.Signer{dave, erin} {
		if _, err := r.Sign(ctx, s, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := goTUFVerify(); err != nil || len(r.Signatures()) != 5 {
		t.Fatalf("5 of 5: go-tuf says %v with %d signatures", err, len(r.Signatures()))
	}
}

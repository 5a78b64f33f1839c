package signer_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	fakekms "github.com/sigstore/sigstore/pkg/signature/kms/fake"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
)

func ExampleFromCryptoSigner() {
	// Any crypto.Signer works: a software key here, an HSM or KMS client
	// in real use. (A fixed seed keeps the output stable; never do that.)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	s, err := signer.FromCryptoSigner(key)
	if err != nil {
		fmt.Println(err)
		return
	}
	message := []byte("signed root payload")
	sig, err := s.Sign(context.Background(), message)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("signature %x...\n", sig[:8])
	fmt.Println("verifies:", ed25519.Verify(key.Public().(ed25519.PublicKey), message, sig))
	// Output:
	// signature c200baca9dc762af...
	// verifies: true
}

func ExampleHashFor() {
	for _, kt := range fake.KeyTypes() {
		s, err := fake.NewType("example", kt)
		if err != nil {
			fmt.Println(err)
			return
		}
		h, err := signer.HashFor(s.Public())
		if err != nil {
			fmt.Println(err)
			return
		}
		if h == 0 {
			fmt.Println(kt, "signs the message itself")
			continue
		}
		fmt.Println(kt, "signs a", h, "digest")
	}
	// Output:
	// p256 signs a SHA-256 digest
	// p384 signs a SHA-384 digest
	// ed25519 signs the message itself
	// rsa2048 signs a SHA-256 digest
}

func ExampleLoadPEM() {
	// A PKCS #8 file as openssl genpkey or cosign (unencrypted) write it.
	der, err := x509.MarshalPKCS8PrivateKey(fake.New("pem example").PrivateKey())
	if err != nil {
		fmt.Println(err)
		return
	}
	file := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	s, err := signer.LoadPEM(file, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	spki, _ := x509.MarshalPKIXPublicKey(s.Public())
	fmt.Printf("key fingerprint %x\n", sha256.Sum256(spki))

	_, err = signer.LoadPEM([]byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"), nil)
	fmt.Println(errors.Is(err, signer.ErrWrongPassword), err)
	// Output:
	// key fingerprint 6eb6963577d00360dfabf5b7a63deefb72b271f3e372b76cce20749fafbab5d1
	// true signer: ENCRYPTED SIGSTORE PRIVATE KEY needs a password: signer: wrong or missing password
}

func ExampleLoadKMS() {
	// Tests use sigstore's fakekms provider, registered by importing
	// github.com/sigstore/sigstore/pkg/signature/kms/fake; it takes its
	// key from the context. Real code imports .../kms/aws, gcp, azure or
	// hashivault and names a real key.
	key, err := fake.NewType("kms example", fake.P384)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.WithValue(context.Background(), fakekms.KmsCtxKey{}, key.PrivateKey())
	s, err := signer.LoadKMS(ctx, "fakekms://example")
	if err != nil {
		fmt.Println(err)
		return
	}
	h, _ := signer.HashFor(s.Public())
	fmt.Println("hash chosen from the KMS key:", h)
	if _, err := s.Sign(ctx, []byte("payload")); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("signed")
	// Output:
	// hash chosen from the KMS key: SHA-384
	// signed
}

func ExampleToSigstore() {
	// A trustroot signer passed where sigstore's signature.Signer is
	// expected: here go-tuf's own metadata.Sign.
	s, err := fake.NewType("go-tuf example", fake.Ed25519)
	if err != nil {
		fmt.Println(err)
		return
	}
	key, err := metadata.KeyFromPublicKey(s.Public())
	if err != nil {
		fmt.Println(err)
		return
	}
	md := metadata.Root(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := md.Signed.AddKey(key, metadata.ROOT); err != nil {
		fmt.Println(err)
		return
	}
	sig, err := md.Sign(signer.ToSigstore(s))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("signed by key", sig.KeyID)
	fmt.Println("go-tuf VerifyDelegate:", md.VerifyDelegate(metadata.ROOT, md))
	// Output:
	// signed by key f2a42a54873c90cf4c7acdf34059cf8f36e57cd0bee77352d95f9b4388fb0c35
	// go-tuf VerifyDelegate: <nil>
}

package sigstore_test

import (
	"context"
	"fmt"
	"time"

	fakekms "github.com/sigstore/sigstore/pkg/signature/kms/fake"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/sigstore"
)

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
	s, err := sigstore.LoadKMS(ctx, "fakekms://example")
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

func ExampleToSignerVerifier() {
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
	sig, err := md.Sign(sigstore.ToSignerVerifier(s))
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

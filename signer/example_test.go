package signer_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"

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

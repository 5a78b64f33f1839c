package signer_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
)

// BenchmarkSignP256 compares the adapter with a bare ecdsa.SignASN1 (the
// anchor): FromCryptoSigner also verifies each signature before returning
// it, and an ECDSA verification costs more than a signature, so expect
// several times the anchor's cost. The fake signer does not verify and
// should stay close to the anchor. (signer/sigstore has the same benchmark
// for its adapters.)
func BenchmarkSignP256(b *testing.B) {
	f := fake.New("bench")
	key := f.PrivateKey().(*ecdsa.PrivateKey)
	message := make([]byte, 4<<10)
	ctx := context.Background()

	b.Run("anchor=ecdsa.SignASN1", func(b *testing.B) {
		for b.Loop() {
			d := sha256.Sum256(message)
			if _, err := ecdsa.SignASN1(rand.Reader, key, d[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	adapters := map[string]func() (signer.Signer, error){
		"fake":             func() (signer.Signer, error) { return f, nil },
		"FromCryptoSigner": func() (signer.Signer, error) { return signer.FromCryptoSigner(crypto.Signer(key)) },
	}
	for name, mk := range adapters {
		s, err := mk()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Sign(ctx, message); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package sigstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/sigstore"
)

// BenchmarkSignP256 compares FromSigner(ToSignerVerifier(...)) with a bare
// ecdsa.SignASN1 (the anchor). FromSigner verifies each signature before
// returning it, and an ECDSA verification costs more than a signature, so
// expect several times the anchor's cost.
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
	s, err := sigstore.FromSigner(sigstore.ToSignerVerifier(f))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("FromSigner(ToSignerVerifier)", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Sign(ctx, message); err != nil {
				b.Fatal(err)
			}
		}
	})
}

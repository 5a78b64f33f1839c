package root_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"testing"

	"github.com/trustroot/trustroot/root"
)

// TestKeyPublicIsACopy: Key is documented as immutable, and Parse shares
// decoded keys between roots that list the same key object. Changing what
// Public returns must not change the key for this root or for any other.
func TestKeyPublicIsACopy(t *testing.T) {
	f := newFixture(t)
	data, err := f.r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	a, err := root.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := root.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	id := f.keys[0].ID()
	ka, _ := a.Key(id)
	// A caller changing the coordinates (a field deprecated since Go 1.26) is
	// the case under test.
	ka.Public().(*ecdsa.PublicKey).X.SetInt64(1)
	kb, _ := b.Key(id)
	sigs, err := b.Sign(context.Background(), mustSigner(t, f.privs[0]), nil)
	if err != nil {
		t.Fatalf("signing the second root after the first root's key was changed: %v", err)
	}
	for _, k := range []root.Key{ka, kb} {
		if err := k.Verify(b.SigningPayload(), sigs[0].Value); err != nil {
			t.Fatalf("key %s no longer verifies: %v", k.ID(), err)
		}
	}

	ek := mustKey(t, ed("x").Public(), "")
	pub := ek.Public().(ed25519.PublicKey)
	pub[0] ^= 0xff
	if ek.Public().(ed25519.PublicKey)[0] == pub[0] {
		t.Fatal("changing the bytes Public returned changed the Ed25519 key")
	}
}

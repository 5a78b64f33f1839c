package root_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/trustroot/trustroot/internal/link"
	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/root"
)

// TestVerifyThroughDigests: the verifier's path through shared digests
// (link.VerifyDigests) gives Key.Verify's result and error, and refuses
// what is not a Key.
func TestVerifyThroughDigests(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := root.NewKey(priv.Public(), root.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("payload")
	sum := sha256.Sum256(msg)
	good, err := priv.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), good...)
	bad[5] ^= 1
	d := tufkey.NewDigests(msg)
	for _, c := range []struct {
		k   root.Key
		sig []byte
	}{{k, good}, {k, bad}, {k, nil}, {root.Key{}, good}} {
		want := c.k.Verify(msg, c.sig)
		got, ok := link.VerifyDigests(c.k, d, c.sig)
		if !ok || (want == nil) != (got == nil) || want != nil && want.Error() != got.Error() {
			t.Errorf("link.VerifyDigests = %v, %v; Key.Verify = %v", got, ok, want)
		}
	}
	if _, ok := link.VerifyDigests("not a key", d, good); ok {
		t.Error("link.VerifyDigests accepted a string as a key")
	}
}

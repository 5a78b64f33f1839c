package tufkey

import (
	"crypto"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/hex"
	"sync"
	"testing"
)

// TestVerifyDigests: through a Digests shared by several keys (and
// goroutines), every scheme gives Verify's verdict and error.
func TestVerifyDigests(t *testing.T) {
	p256, p384 := ecKey(t, elliptic.P256(), "d256"), ecKey(t, elliptic.P384(), "d384")
	rk := rsaKey(t)
	pemOf := func(k crypto.PublicKey) string { s, _ := pemEncode(k); return s }
	ed := edKey("ded")
	msg := []byte("the canonical bytes of signed")
	d := NewDigests(msg)
	type pair struct {
		k   *Key
		sig []byte
	}
	var pairs []pair
	for _, c := range []struct {
		keytype, scheme, public string
		priv                    crypto.Signer
	}{
		{"rsa", SchemeRSAPSSSHA256, pemOf(rk.Public()), rk},
		{"rsa", SchemeRSAPKCS1SHA512, pemOf(rk.Public()), rk},
		{"rsa", SchemeRSAPSSSHA384, pemOf(rk.Public()), rk},
		{"ecdsa", SchemeECDSAP256, pemOf(p256.Public()), p256},
		{"ecdsa", SchemeECDSAP384, pemOf(p384.Public()), p384},
		{"ed25519", SchemeEd25519, hex.EncodeToString(ed.Public().(ed25519.PublicKey)), ed},
	} {
		k, err := decodeObj(t, obj(c.keytype, c.scheme, c.public))
		if err != nil {
			t.Fatal(err)
		}
		good := signFor(t, c.scheme, c.priv, msg)
		bad := append([]byte(nil), good...)
		bad[len(bad)/2] ^= 1
		pairs = append(pairs, pair{k, good}, pair{k, bad}, pair{k, nil})
	}
	// An ECDSA key checked against another key's signature.
	pairs = append(pairs, pair{pairs[9].k, pairs[12].sig})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, p := range pairs {
				want := p.k.Verify(msg, p.sig)
				got := p.k.VerifyDigests(d, p.sig)
				if (want == nil) != (got == nil) || want != nil && want.Error() != got.Error() {
					t.Errorf("pair %d (%s): VerifyDigests = %v, Verify = %v", i, p.k.Scheme, got, want)
				}
			}
		}()
	}
	wg.Wait()
	if string(d.Message()) != string(msg) {
		t.Fatal("Message changed")
	}
	if pairs[0].k.VerifyDigests(d, pairs[0].sig) != nil || pairs[9].k.VerifyDigests(d, pairs[9].sig) != nil {
		t.Fatal("good signatures no longer verify")
	}
}

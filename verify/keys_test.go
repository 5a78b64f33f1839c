package verify_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

var testRSA = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// rsaKey returns the test RSA key under scheme, signing with PKCS #1 v1.5
// (crypto.Signer's default for a hash) or PSS.
func rsaKey(scheme string, h crypto.Hash) *gen.Key {
	priv := testRSA()
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		panic(err)
	}
	obj := map[string]any{"keytype": "rsa", "scheme": scheme, "keyval": map[string]any{
		"public": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}
	var signer crypto.Signer = priv
	if strings.HasPrefix(scheme, "rsassa-pss") {
		signer = pssSigner{priv}
	}
	return gen.Custom(obj, signer, h)
}

// pssSigner signs with RSASSA-PSS whatever options it gets.
type pssSigner struct{ *rsa.PrivateKey }

func (s pssSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return rsa.SignPSS(r, s.PrivateKey, opts.HashFunc(), digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
}

// TestRSASchemesCount: a root key of each RSA scheme securesystemslib
// defines counts toward the root's threshold, as real repositories made
// with cloud-KMS RSA keys (tuf-on-ci) need; a signature of the wrong
// padding does not.
func TestRSASchemesCount(t *testing.T) {
	a := gen.Ed25519(80)
	for _, c := range []struct {
		scheme string
		h      crypto.Hash
	}{
		{"rsa-pkcs1v15-sha256", crypto.SHA256}, {"rsa-pkcs1v15-sha384", crypto.SHA384}, {"rsa-pkcs1v15-sha512", crypto.SHA512},
		{"rsassa-pss-sha256", crypto.SHA256}, {"rsassa-pss-sha384", crypto.SHA384}, {"rsassa-pss-sha512", crypto.SHA512},
	} {
		t.Run(c.scheme, func(t *testing.T) {
			k := rsaKey(c.scheme, c.h)
			file := rootFile(1, farAway, []*gen.Key{a, k}, 2, []*gen.Key{a, k})
			res, err := verify.Root(mustParse(t, file), verify.Options{Now: t0})
			checkVerdict(t, res, err, true, nil)
			// The same key under the other padding's scheme: its
			// signature does not verify.
			other := "rsassa-pss-sha256"
			if strings.HasPrefix(c.scheme, "rsassa-pss") {
				other = "rsa-pkcs1v15-sha256"
			}
			wrong := rsaKey(c.scheme, c.h).With("scheme", other)
			file = rootFile(1, farAway, []*gen.Key{a, wrong}, 2, []*gen.Key{a, gen.Custom(wrong.Object, k.Private(), c.h).WithID(wrong.ID)})
			_, err = verify.Root(mustParse(t, file), verify.Options{Now: t0})
			if !errors.Is(err, verify.ErrThreshold) {
				t.Fatalf("a %s signature under scheme %s: %v", c.scheme, other, err)
			}
		})
	}
}

// TestUnsupportedKeysKept: a key of a type or scheme this module does not
// know (tuf-on-ci's sigstore-oidc keys, a future scheme) leaves the file
// valid and byte for byte the same when written back; it never counts,
// and the result warns about it.
func TestUnsupportedKeysKept(t *testing.T) {
	a, b := gen.Ed25519(81), gen.Ed25519(82)
	oidc := gen.Custom(map[string]any{"keytype": "sigstore-oidc", "scheme": "Fulcio",
		"keyval":                 map[string]any{"identity": "alice@example.com", "issuer": "https://github.com/login/oauth"},
		"x-tuf-on-ci-online-uri": "x"}, nil, 0)
	future := gen.Custom(map[string]any{"keytype": "ecdsa", "scheme": "ecdsa-sha3-nistp256",
		"keyval": map[string]any{"public": "whatever"}, "keyid_hash_algorithms": "md5"}, nil, 0)
	file := rootFile(1, farAway, []*gen.Key{a, b, oidc, future}, 2, []*gen.Key{a, b})
	r := mustParse(t, file)
	res, err := verify.Root(r, verify.Options{Now: t0})
	checkVerdict(t, res, err, true, nil)
	warned := map[root.KeyID]bool{}
	for _, w := range res.Warnings {
		if w.Code == root.LintUnsupportedKey {
			warned[w.KeyID] = true
		}
	}
	if !warned[root.KeyID(oidc.ID)] || !warned[root.KeyID(future.ID)] || len(warned) != 2 {
		t.Fatalf("warnings %+v, want one per unsupported key", res.Warnings)
	}
	if k, _ := r.Key(root.KeyID(oidc.ID)); !strings.Contains(k.Unsupported(), "sigstore-oidc") || k.Public() != nil {
		t.Fatalf("the sigstore-oidc key: %q", k.Unsupported())
	}
	// Written back and read again, nothing changes.
	out, err := r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	again := mustParse(t, out)
	if !bytes.Equal(again.SigningPayload(), r.SigningPayload()) {
		t.Fatal("the payload changed")
	}
	if out2, _ := again.MarshalFile(); !bytes.Equal(out2, out) {
		t.Fatal("the file form changed")
	}
	// It never counts: with a threshold of 3, two good signatures and a
	// signature under the unsupported key's ID fall short.
	three := rootFile(1, farAway, []*gen.Key{a, b, oidc}, 3, []*gen.Key{a, b})
	signedAsIf := bytes.Replace(three, []byte(`"signatures": [`), []byte(`"signatures": [{"keyid": "`+oidc.ID+`", "sig": "00"}, `), 1)
	_, err = verify.Root(mustParse(t, signedAsIf), verify.Options{Now: t0})
	var te *verify.ThresholdError
	if !errors.As(err, &te) || te.Valid != 2 || te.Threshold != 3 {
		t.Fatalf("threshold 3 with an unsupported key: %v", err)
	}
	// Lint flags it before anyone signs.
	found := false
	for _, w := range root.Lint(r, root.LintOptions{Now: t0}) {
		found = found || w.Code == root.LintUnsupportedKey
	}
	if !found {
		t.Fatal("Lint does not flag the unsupported keys")
	}
}

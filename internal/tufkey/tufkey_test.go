package tufkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/sharedtestdata"
)

func ecKey(t testing.TB, curve elliptic.Curve, seed string) *ecdsa.PrivateKey {
	t.Helper()
	var raw []byte
	switch curve {
	case elliptic.P256():
		s := sha256.Sum256([]byte(seed))
		raw = s[:]
	case elliptic.P384():
		s := sha512.Sum384([]byte(seed))
		raw = s[:]
	}
	k, err := ecdsa.ParseRawPrivateKey(curve, raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func edKey(seed string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte(seed))
	return ed25519.NewKeyFromSeed(s[:])
}

var testRSA struct {
	k *rsa.PrivateKey
}

func rsaKey(t testing.TB) *rsa.PrivateKey {
	if testRSA.k == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		testRSA.k = k
	}
	return testRSA.k
}

func sign(t testing.TB, k *Key, priv crypto.Signer, msg []byte) []byte {
	t.Helper()
	h := k.HashFor()
	digest := msg
	var opts crypto.SignerOpts = h
	if h != 0 {
		hh := h.New()
		hh.Write(msg)
		digest = hh.Sum(nil)
	}
	if _, ok := priv.(*rsa.PrivateKey); ok {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	sig, err := priv.Sign(rand.Reader, digest, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestNewVerifyRoundTrip(t *testing.T) {
	cases := []struct {
		name       string
		priv       crypto.Signer
		kt, scheme string
	}{
		{"p256", ecKey(t, elliptic.P256(), "a"), "ecdsa", "ecdsa-sha2-nistp256"},
		{"p384", ecKey(t, elliptic.P384(), "b"), "ecdsa", "ecdsa-sha2-nistp384"},
		{"ed25519", edKey("c"), "ed25519", "ed25519"},
		{"rsa", rsaKey(t), "rsa", "rsassa-pss-sha256"},
	}
	msg := []byte(`{"signed":"payload"}`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := New(c.priv.Public(), map[string]any{"x-holder": "alice"})
			if err != nil {
				t.Fatal(err)
			}
			if k.Type != c.kt || k.Scheme != c.scheme {
				t.Fatalf("got %s/%s, want %s/%s", k.Type, k.Scheme, c.kt, c.scheme)
			}
			sig := sign(t, k, c.priv, msg)
			if err := k.Verify(msg, sig); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := k.Verify([]byte("other"), sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify of another message: %v, want ErrBadSignature", err)
			}
			bad := append([]byte(nil), sig...)
			bad[len(bad)-1] ^= 1
			if err := k.Verify(msg, bad); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify of a flipped signature: %v, want ErrBadSignature", err)
			}
			// The object survives a JSON round trip with the same ID
			// and fingerprint.
			c1, _ := cjson.EncodeCanonical(k.Object)
			file, err := cjson.EncodePretty(k.Object)
			if err != nil {
				t.Fatal(err)
			}
			k2, err := DecodeJSON(file)
			if err != nil {
				t.Fatal(err)
			}
			id1, _ := k.ContentID()
			id2, _ := k2.ContentID()
			if id1 != id2 || k.Fingerprint() != k2.Fingerprint() {
				t.Fatalf("round trip changed id %s->%s or fingerprint", id1, id2)
			}
			sum := sha256.Sum256(c1)
			if id1 != hex.EncodeToString(sum[:]) {
				t.Fatalf("ContentID %s is not the SHA-256 of the canonical object", id1)
			}
			if k2.Custom()["x-holder"] != "alice" {
				t.Fatalf("custom field lost: %v", k2.Custom())
			}
			// Custom fields change the key ID but not the fingerprint.
			k3, err := New(c.priv.Public(), nil)
			if err != nil {
				t.Fatal(err)
			}
			id3, _ := k3.ContentID()
			if id3 == id1 || k3.Fingerprint() != k.Fingerprint() {
				t.Fatalf("custom fields: id %s vs %s, fp %s vs %s", id3, id1, k3.Fingerprint(), k.Fingerprint())
			}
		})
	}
}

func TestVerifyEd25519NeverPanics(t *testing.T) {
	k, err := New(edKey("x").Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 63, 65, 4096} {
		if err := k.Verify([]byte("m"), make([]byte, n)); !errors.Is(err, ErrBadSignature) {
			t.Errorf("signature of %d bytes: %v", n, err)
		}
	}
}

func TestECDSAP1363Rejected(t *testing.T) {
	priv := ecKey(t, elliptic.P256(), "p1363")
	k, _ := New(priv.Public(), nil)
	d := sha256.Sum256([]byte("m"))
	r, s, err := ecdsa.Sign(rand.Reader, priv, d[:])
	if err != nil {
		t.Fatal(err)
	}
	raw := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	if err := k.Verify([]byte("m"), raw); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("raw r||s signature accepted: %v", err)
	}
}

func TestP384UsesSHA384(t *testing.T) {
	priv := ecKey(t, elliptic.P384(), "sha")
	k, _ := New(priv.Public(), nil)
	msg := []byte("message")
	d256 := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, priv, d256[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Verify(msg, sig); err == nil {
		t.Fatal("P-384 key accepted a signature over SHA-256")
	}
}

func obj(kt, scheme, pub string) map[string]any {
	return map[string]any{"keytype": kt, "scheme": scheme, "keyval": map[string]any{"public": pub}}
}

func TestDecodeRejects(t *testing.T) {
	p256 := ecKey(t, elliptic.P256(), "r")
	good, _ := New(p256.Public(), nil)
	pemStr := good.PublicValue()
	point := hex.EncodeToString(func() []byte { b, _ := p256.PublicKey.Bytes(); return b }())
	offCurve := "04" + strings.Repeat("11", 64)
	smallRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallPEM := func() string {
		k := &Key{}
		s, err := pemEncode(&smallRSA.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		_ = k
		return s
	}()
	edPEM, _ := pemEncode(edKey("e").Public())
	cases := map[string]struct {
		o    map[string]any
		want string
	}{
		"no keytype":         {map[string]any{"scheme": "ed25519", "keyval": map[string]any{"public": "00"}}, "keytype"},
		"unknown keytype":    {obj("dsa", "dsa", "00"), "unknown keytype"},
		"no keyval":          {map[string]any{"keytype": "ed25519", "scheme": "ed25519"}, "keyval"},
		"public not string":  {map[string]any{"keytype": "ed25519", "scheme": "ed25519", "keyval": map[string]any{"public": json.Number("1")}}, "keyval.public"},
		"ed25519 short":      {obj("ed25519", "ed25519", strings.Repeat("ab", 31)), "hex characters"},
		"ed25519 not hex":    {obj("ed25519", "ed25519", strings.Repeat("zz", 32)), "not hex"},
		"ed25519 bad scheme": {obj("ed25519", "ecdsa-sha2-nistp256", strings.Repeat("ab", 32)), "does not go with"},
		"off curve point":    {obj("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", offCurve), "hex ECDSA key"},
		"short point":        {obj("ecdsa", "ecdsa-sha2-nistp256", point[:128]), "bytes"},
		"garbage pem":        {obj("ecdsa", "ecdsa-sha2-nistp256", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), "PEM key"},
		"truncated pem":      {obj("ecdsa", "ecdsa-sha2-nistp256", pemStr[:40]), "not PEM"},
		"pem trailing data":  {obj("ecdsa", "ecdsa-sha2-nistp256", pemStr+"junk"), "after the PEM"},
		"rsa small":          {obj("rsa", "rsassa-pss-sha256", smallPEM), "1024 bits"},
		"rsa pkcs1 scheme":   {obj("rsa", "rsa-pkcs1v15-sha256", smallPEM), "not supported"},
		"ecdsa holds ed":     {obj("ecdsa", "ecdsa-sha2-nistp256", edPEM), "not an ECDSA key"},
		"p384 keytype p256":  {obj("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", pemStr), "holds a P-256 key"},
		"ecdsa with ed":      {obj("ecdsa", "ed25519", pemStr), "does not go with"},
		"hash algos bad":     {map[string]any{"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": map[string]any{"public": pemStr}, "keyid_hash_algorithms": "sha256"}, "keyid_hash_algorithms"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(c.o)
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("Decode = %v, want ErrInvalidKey", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
	// The hex form of the same key decodes to the same fingerprint.
	hk, err := Decode(obj("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", point))
	if err != nil {
		t.Fatal(err)
	}
	if hk.Fingerprint() != good.Fingerprint() {
		t.Fatal("hex and PEM encodings of one key have different fingerprints")
	}
}

func TestNewRejects(t *testing.T) {
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(&p521.PublicKey, nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("P-521: %v", err)
	}
	if _, err := New("not a key", nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("string: %v", err)
	}
	if _, err := New(edKey("a").Public(), map[string]any{"scheme": "x"}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("custom scheme: %v", err)
	}
	if _, err := New(edKey("a").Public(), map[string]any{"x": 1.5}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("float custom field: %v", err)
	}
}

// TestSigstoreKeys decodes every key of every real Sigstore root and checks
// the content IDs the notes document.
func TestSigstoreKeys(t *testing.T) {
	dir := sharedtestdata.SigstoreRoot(t)
	var files []string
	for _, sub := range []string{"prod", "staging", "staging-tuf-on-ci"} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, "*.root.json"))
		files = append(files, m...)
	}
	if len(files) < 30 {
		t.Fatalf("only %d files", len(files))
	}
	mismatches := map[string]bool{}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := cjson.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		keys := v.(map[string]any)["signed"].(map[string]any)["keys"].(map[string]any)
		for id, o := range keys {
			k, err := Decode(o.(map[string]any))
			if err != nil {
				t.Fatalf("%s: key %s: %v", f, id, err)
			}
			total++
			cid, err := k.ContentID()
			if err != nil {
				t.Fatal(err)
			}
			if cid != id {
				rel, _ := filepath.Rel(dir, f)
				mismatches[rel+":"+id[:8]] = true
			}
		}
	}
	// prod v11's online key 7247f0db is the one non-compliant key ID in
	// production; staging-tuf-on-ci v5-v8 hashed keys without custom fields.
	if !mismatches["prod/11.root.json:7247f0db"] {
		t.Errorf("expected prod v11 key 7247f0db to mismatch its content; mismatches: %v", mismatches)
	}
	for m := range mismatches {
		if strings.HasPrefix(m, "prod/") && m != "prod/11.root.json:7247f0db" {
			t.Errorf("unexpected key ID mismatch %s", m)
		}
		if strings.HasPrefix(m, "staging/") {
			t.Errorf("unexpected key ID mismatch %s", m)
		}
	}
	if total < 150 {
		t.Errorf("decoded only %d keys", total)
	}
}

func TestHexP384AndKeytypeSpellings(t *testing.T) {
	priv := ecKey(t, elliptic.P384(), "hex384")
	raw, err := priv.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	pemKey, _ := New(priv.Public(), nil)
	for _, o := range []map[string]any{
		obj("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", hex.EncodeToString(raw)),
		obj("ecdsa", "ecdsa-sha2-nistp384", hex.EncodeToString(raw)),
		obj("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", pemKey.PublicValue()),
	} {
		k, err := Decode(o)
		if err != nil {
			t.Fatalf("%v: %v", o["keytype"], err)
		}
		if k.Fingerprint() != pemKey.Fingerprint() {
			t.Fatal("fingerprint differs between encodings")
		}
		msg := []byte("p384 message")
		if err := k.Verify(msg, sign(t, k, priv, msg)); err != nil {
			t.Fatal(err)
		}
	}
}

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

// signFor signs msg with priv as the key's scheme requires.
func signFor(t testing.TB, scheme string, priv crypto.Signer, msg []byte) []byte {
	t.Helper()
	var h crypto.Hash
	pss := false
	switch scheme {
	case SchemeECDSAP256, SchemeRSAPSSSHA256, SchemeRSAPKCS1SHA256:
		h = crypto.SHA256
	case SchemeECDSAP384, SchemeRSAPSSSHA384, SchemeRSAPKCS1SHA384:
		h = crypto.SHA384
	case SchemeECDSAP521, SchemeRSAPSSSHA512, SchemeRSAPKCS1SHA512:
		h = crypto.SHA512
	}
	switch scheme {
	case SchemeRSAPSSSHA256, SchemeRSAPSSSHA384, SchemeRSAPSSSHA512:
		pss = true
	}
	digest := msg
	if h != 0 {
		hh := h.New()
		hh.Write(msg)
		digest = hh.Sum(nil)
	}
	var opts crypto.SignerOpts = h
	if pss {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	sig, err := priv.Sign(rand.Reader, digest, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func sign(t testing.TB, k *Key, priv crypto.Signer, msg []byte) []byte {
	t.Helper()
	return signFor(t, k.Scheme, priv, msg)
}

// decodeObj decodes a key object given as a tree.
func decodeObj(t testing.TB, o map[string]any) (*Key, error) {
	t.Helper()
	c, err := cjson.EncodeCanonical(o)
	if err != nil {
		t.Fatal(err)
	}
	return Decode(c)
}

func TestNewVerifyRoundTrip(t *testing.T) {
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		priv       crypto.Signer
		kt, scheme string
	}{
		{"p256", ecKey(t, elliptic.P256(), "a"), "ecdsa", "ecdsa-sha2-nistp256"},
		{"p384", ecKey(t, elliptic.P384(), "b"), "ecdsa", "ecdsa-sha2-nistp384"},
		{"p521", p521, "ecdsa", "ecdsa-sha2-nistp521"},
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
			if k.Type != c.kt || k.Scheme != c.scheme || !k.Supported() {
				t.Fatalf("got %s/%s (%s), want %s/%s", k.Type, k.Scheme, k.Unsupported, c.kt, c.scheme)
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
			file, err := cjson.EncodePretty(k.Object)
			if err != nil {
				t.Fatal(err)
			}
			k2, err := DecodeJSON(file)
			if err != nil {
				t.Fatal(err)
			}
			id1, id2 := k.ContentID(), k2.ContentID()
			if id1 != id2 || k.Fingerprint() != k2.Fingerprint() {
				t.Fatalf("round trip changed id %s->%s or fingerprint", id1, id2)
			}
			sum := sha256.Sum256(k.Object)
			if id1 != hex.EncodeToString(sum[:]) {
				t.Fatalf("ContentID %s is not the SHA-256 of the canonical object", id1)
			}
			if h, ok := k2.Field("x-holder").Str(); !ok || h != "alice" {
				t.Fatalf("custom field lost: %s", k2.Object)
			}
			// Custom fields change the key ID but not the fingerprint.
			k3, err := New(c.priv.Public(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if k3.ContentID() == id1 || k3.Fingerprint() != k.Fingerprint() {
				t.Fatalf("custom fields: id %s vs %s, fp %s vs %s", k3.ContentID(), id1, k3.Fingerprint(), k.Fingerprint())
			}
		})
	}
}

// TestSchemes verifies, for every scheme securesystemslib defines for the
// key types this package supports, a signature our own code made, and
// refuses the same key's signature made under another scheme.
func TestSchemes(t *testing.T) {
	p256, p384 := ecKey(t, elliptic.P256(), "s256"), ecKey(t, elliptic.P384(), "s384")
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk := rsaKey(t)
	rsaPEM, _ := pemEncode(rk.Public())
	pemOf := func(k crypto.PublicKey) string { s, _ := pemEncode(k); return s }
	hexOf := func(k *ecdsa.PublicKey) string { b, _ := k.Bytes(); return hex.EncodeToString(b) }
	ed := edKey("sed")
	cases := []struct {
		keytype, scheme, public string
		priv                    crypto.Signer
		other                   string // a scheme whose signature must not verify
	}{
		{"rsa", SchemeRSAPSSSHA256, rsaPEM, rk, SchemeRSAPKCS1SHA256},
		{"rsa", SchemeRSAPSSSHA384, rsaPEM, rk, SchemeRSAPSSSHA256},
		{"rsa", SchemeRSAPSSSHA512, rsaPEM, rk, SchemeRSAPKCS1SHA512},
		{"rsa", SchemeRSAPKCS1SHA256, rsaPEM, rk, SchemeRSAPSSSHA256},
		{"rsa", SchemeRSAPKCS1SHA384, rsaPEM, rk, SchemeRSAPKCS1SHA256},
		{"rsa", SchemeRSAPKCS1SHA512, rsaPEM, rk, SchemeRSAPSSSHA512},
		{"ecdsa", SchemeECDSAP256, pemOf(p256.Public()), p256, SchemeECDSAP384},
		{"ecdsa-sha2-nistp256", SchemeECDSAP256, hexOf(&p256.PublicKey), p256, SchemeECDSAP384},
		{"ecdsa", SchemeECDSAP384, pemOf(p384.Public()), p384, SchemeECDSAP256},
		{"ecdsa-sha2-nistp384", SchemeECDSAP384, hexOf(&p384.PublicKey), p384, SchemeECDSAP256},
		{"ecdsa", SchemeECDSAP521, pemOf(p521.Public()), p521, SchemeECDSAP384},
		{"ecdsa-sha2-nistp521", SchemeECDSAP521, hexOf(&p521.PublicKey), p521, SchemeECDSAP256},
		{"ed25519", SchemeEd25519, hex.EncodeToString(ed.Public().(ed25519.PublicKey)), ed, ""},
	}
	msg := []byte("the canonical bytes of signed")
	for _, c := range cases {
		t.Run(c.keytype+"/"+c.scheme, func(t *testing.T) {
			k, err := decodeObj(t, obj(c.keytype, c.scheme, c.public))
			if err != nil || !k.Supported() {
				t.Fatalf("Decode: %v, unsupported %q", err, k.Unsupported)
			}
			if err := k.Verify(msg, signFor(t, c.scheme, c.priv, msg)); err != nil {
				t.Fatalf("a %s signature did not verify: %v", c.scheme, err)
			}
			if c.other != "" {
				if err := k.Verify(msg, signFor(t, c.other, c.priv, msg)); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("a %s signature verified under %s: %v", c.other, c.scheme, err)
				}
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

func TestDecodeUnsupported(t *testing.T) {
	p256 := ecKey(t, elliptic.P256(), "r")
	good, _ := New(p256.Public(), nil)
	pemStr := good.PublicValue()
	point := hex.EncodeToString(func() []byte { b, _ := p256.PublicKey.Bytes(); return b }())
	offCurve := "04" + strings.Repeat("11", 64)
	smallRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallPEM, _ := pemEncode(&smallRSA.PublicKey)
	edPEM, _ := pemEncode(edKey("e").Public())
	// Shaped like keys, but unusable: they decode, keep their bytes, and
	// say why they cannot verify.
	unsupported := map[string]struct {
		o    map[string]any
		want string
	}{
		"unknown keytype":    {obj("dsa", "dsa", "00"), "unknown keytype"},
		"sigstore-oidc":      {map[string]any{"keytype": "sigstore-oidc", "scheme": "Fulcio", "keyval": map[string]any{"identity": "a@example.com", "issuer": "https://github.com/login/oauth"}}, "unknown keytype"},
		"future scheme":      {obj("ecdsa", "ecdsa-sha3-nistp256", pemStr), "does not go with"},
		"no public":          {map[string]any{"keytype": "ed25519", "scheme": "ed25519", "keyval": map[string]any{}}, "keyval.public is missing"},
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
		"rsa unknown scheme": {obj("rsa", "rsassa-pss-sha1", smallPEM), "does not go with"},
		"ecdsa holds ed":     {obj("ecdsa", "ecdsa-sha2-nistp256", edPEM), "ECDSA keytype holds"},
		"p384 keytype p256":  {obj("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", pemStr), "holds a P-256 key"},
		"ecdsa with ed":      {obj("ecdsa", "ed25519", pemStr), "does not go with"},
	}
	msg := []byte("m")
	sig := signFor(t, SchemeECDSAP256, p256, msg)
	for name, c := range unsupported {
		t.Run(name, func(t *testing.T) {
			k, err := decodeObj(t, c.o)
			if err != nil {
				t.Fatalf("Decode = %v, want an unsupported key", err)
			}
			if k.Supported() || k.Public != nil || k.Fingerprint() != "" {
				t.Fatalf("key is usable: %s/%s", k.Type, k.Scheme)
			}
			if !strings.Contains(k.Unsupported, c.want) {
				t.Fatalf("reason %q does not mention %q", k.Unsupported, c.want)
			}
			if err := k.Verify(msg, sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("an unsupported key verified: %v", err)
			}
			want, _ := cjson.EncodeCanonical(c.o)
			if string(k.Object) != string(want) {
				t.Fatalf("object not kept: %s", k.Object)
			}
		})
	}
	// Not shaped like a key: an error.
	malformed := map[string]map[string]any{
		"no keytype":     {"scheme": "ed25519", "keyval": map[string]any{"public": "00"}},
		"keytype number": {"keytype": json.Number("1"), "scheme": "ed25519", "keyval": map[string]any{}},
		"no scheme":      {"keytype": "ed25519", "keyval": map[string]any{"public": "00"}},
		"no keyval":      {"keytype": "ed25519", "scheme": "ed25519"},
		"keyval string":  {"keytype": "ed25519", "scheme": "ed25519", "keyval": "00"},
	}
	for name, o := range malformed {
		if _, err := decodeObj(t, o); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: Decode = %v, want ErrInvalidKey", name, err)
		}
	}
	if _, err := Decode(cjson.Raw(`[1]`)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("a list: %v", err)
	}
	// keyid_hash_algorithms is not part of the specification: any value
	// is an unknown field, kept.
	k, err := decodeObj(t, map[string]any{"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": map[string]any{"public": pemStr}, "keyid_hash_algorithms": "md5"})
	if err != nil || !k.Supported() {
		t.Fatalf("keyid_hash_algorithms \"md5\": %v %q", err, k.Unsupported)
	}
	// The hex form of the same key decodes to the same fingerprint.
	hk, err := decodeObj(t, obj("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", point))
	if err != nil {
		t.Fatal(err)
	}
	if hk.Fingerprint() != good.Fingerprint() {
		t.Fatal("hex and PEM encodings of one key have different fingerprints")
	}
}

func TestNewRejects(t *testing.T) {
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(&p224.PublicKey, nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("P-224: %v", err)
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
		v, err := cjson.Canonicalize(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		top, _ := v.Members()
		signed, _ := top[1].Value.Members()
		var keys []cjson.Member
		for _, m := range signed {
			if m.Key == "keys" {
				keys, _ = m.Value.Members()
			}
		}
		for _, m := range keys {
			id := m.Key
			k, err := Decode(m.Value)
			if err != nil || !k.Supported() {
				t.Fatalf("%s: key %s: %v %s", f, id, err, k.Unsupported)
			}
			total++
			if cid := k.ContentID(); cid != id {
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
		k, err := decodeObj(t, o)
		if err != nil || !k.Supported() {
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

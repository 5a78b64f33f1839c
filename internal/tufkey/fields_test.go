package tufkey

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/internal/cjson"
)

const testEd25519Public = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"

func decodeJSON(t *testing.T, s string) *Key {
	t.Helper()
	k, err := DecodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("DecodeJSON(%s): %v", s, err)
	}
	return k
}

func TestCaseVariant(t *testing.T) {
	for _, c := range []struct {
		obj  string
		want bool
	}{
		{`{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"` + testEd25519Public + `"}}`, false},
		{`{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"` + testEd25519Public + `"},"x-owner":"a"}`, false},
		{`{"keytype":"ed25519","KeyType":"rsa","scheme":"ed25519","keyval":{"public":"` + testEd25519Public + `"}}`, true},
		{`{"keytype":"ed25519","scheme":"ed25519","SCHEME":"x","keyval":{"public":"` + testEd25519Public + `"}}`, true},
		{`{"keytype":"ed25519","scheme":"ed25519","Keyval":{},"keyval":{"public":"` + testEd25519Public + `"}}`, true},
		{`{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"` + testEd25519Public + `","Public":"00"}}`, true},
		// The Kelvin sign folds to k, as encoding/json folds it.
		{`{"keytype":"ed25519","\u212aeytype":"rsa","scheme":"ed25519","keyval":{"public":"` + testEd25519Public + `"}}`, true},
	} {
		if got := decodeJSON(t, c.obj).CaseVariant(); got != c.want {
			t.Errorf("CaseVariant(%s) = %v, want %v", c.obj, got, c.want)
		}
	}
}

func TestStringFieldAndContentID(t *testing.T) {
	obj := `{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"` + testEd25519Public + `"},"x-owner":"a\"b","x-n":1}`
	k := decodeJSON(t, obj)
	if s, ok := k.StringField("x-owner"); !ok || s != `a"b` {
		t.Fatalf(`StringField("x-owner") = %q, %v`, s, ok)
	}
	if s, ok := k.StringField("x-n"); ok {
		t.Fatalf(`StringField("x-n") = %q for a number`, s)
	}
	if s, ok := k.StringField("x-missing"); ok {
		t.Fatalf(`StringField("x-missing") = %q`, s)
	}
	canon, err := cjson.Canonicalize([]byte(obj))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(canon)
	if got := k.ContentID(); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("ContentID = %s, want the SHA-256 of %s", got, canon)
	}
}

// TestResetCache: after a reset the cache decodes again (a new Key), and
// returns the same Key until then.
func TestResetCache(t *testing.T) {
	obj, err := cjson.Canonicalize([]byte(`{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"` + testEd25519Public + `"},"x-test":"` + strings.Repeat("r", 7) + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := DecodeCached(obj)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := DecodeCached(obj); b != a {
		t.Fatal("a second DecodeCached decoded again")
	}
	ResetCache()
	c, err := DecodeCached(obj)
	if err != nil {
		t.Fatal(err)
	}
	if c == a || c.Fingerprint() != a.Fingerprint() {
		t.Fatalf("after ResetCache: same Key %v, fingerprints %s and %s", c == a, c.Fingerprint(), a.Fingerprint())
	}
}

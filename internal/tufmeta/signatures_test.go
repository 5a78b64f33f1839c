package tufmeta

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/internal/cjson"
)

// TestSignaturesDecoded: every signature decodes to its own bytes, in
// file order, whatever the list's length, and appending to one never
// changes another.
func TestSignaturesDecoded(t *testing.T) {
	for _, n := range []int{1, 3, 16, 17, 40} {
		sigs := make([]any, n)
		want := make([][]byte, n)
		for i := range sigs {
			want[i] = bytes.Repeat([]byte{byte(i)}, 1+i%5)
			sigs[i] = map[string]any{"keyid": fmt.Sprintf("k%02d", i), "sig": hex.EncodeToString(want[i])}
		}
		env, err := ParseEnvelope(doc(TypeTimestamp, nil, sigs...), TypeTimestamp, 0)
		if err != nil {
			t.Fatalf("%d signatures: %v", n, err)
		}
		if len(env.Signatures) != n {
			t.Fatalf("%d signatures read, want %d", len(env.Signatures), n)
		}
		for i, s := range env.Signatures {
			if s.KeyID != fmt.Sprintf("k%02d", i) || !bytes.Equal(s.Sig, want[i]) {
				t.Fatalf("signature %d = %q %x, want k%02d %x", i, s.KeyID, s.Sig, i, want[i])
			}
		}
		_ = append(env.Signatures[0].Sig, 0xff, 0xff, 0xff)
		if n > 1 && !bytes.Equal(env.Signatures[1].Sig, want[1]) {
			t.Fatalf("appending to signature 0 changed signature 1 to %x", env.Signatures[1].Sig)
		}
	}
}

func TestSignaturesRejected(t *testing.T) {
	sig := func(id, s string) any { return map[string]any{"keyid": id, "sig": s} }
	long := make([]any, 0, 20)
	for i := range 19 {
		long = append(long, sig(fmt.Sprint(i), "00"))
	}
	long = append(long, sig("7", "01"))
	for name, c := range map[string]struct {
		sigs []any
		want string
	}{
		"odd length":                {[]any{sig("a", "abc")}, "not hex"},
		"escaped quote":             {[]any{sig("a", `ab"cd`)}, "not hex"},
		"escaped backslash":         {[]any{sig("a", `ab\cd`)}, "not hex"},
		"duplicate in a long list":  {long, "more than one signature under key ID 7"},
		"escaped and too long":      {[]any{sig("a", `"`+strings.Repeat("0", 2*MaxSignatureSize))}, "more than 2048"},
		"sig not a string":          {[]any{map[string]any{"keyid": "a", "sig": 1}}, "sig is missing or not a string"},
		"signature not an object":   {[]any{"x"}, "signature 0 is not an object"},
		"second not an object":      {[]any{sig("a", "00"), []any{}}, "signature 1 is not an object"},
		"Sig variant in second one": {[]any{sig("a", "00"), map[string]any{"keyid": "b", "sig": "00", "SIG": "00"}}, `signature 1: member "SIG" differs from "sig" only in case`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseEnvelope(doc(TypeTimestamp, nil, c.sigs...), TypeTimestamp, 0)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseEnvelope = %v, want ErrMalformed containing %q", err, c.want)
			}
		})
	}
}

// TestRoleKeyIDsShared: a role's key IDs are the strings of the keys
// object, and an ID the keys object does not list is still reported.
func TestRoleKeyIDsShared(t *testing.T) {
	key := map[string]any{"keytype": "ed25519", "scheme": "ed25519", "keyval": map[string]any{"public": strings.Repeat("ab", 32)}}
	role := func(ids ...any) map[string]any { return map[string]any{"keyids": ids, "threshold": 1} }
	roles := map[string]any{"root": role("k", "m"), "targets": role("k"), "snapshot": role("m"), "timestamp": role("k")}
	env, err := ParseEnvelope(doc(TypeRoot, map[string]any{"keys": map[string]any{"k": key, "m": key}, "roles": roles}), TypeRoot, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRoot(env)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Roles["root"].KeyIDs; len(got) != 2 || got[0] != "k" || got[1] != "m" {
		t.Fatalf("root role key IDs = %q", got)
	}
	roles["timestamp"] = role("z")
	env, err = ParseEnvelope(doc(TypeRoot, map[string]any{"keys": map[string]any{"k": key, "m": key}, "roles": roles}), TypeRoot, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseRoot(env); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), `role "timestamp" lists key z, which is not in keys`) {
		t.Fatalf("ParseRoot = %v, want the unlisted key named", err)
	}
}

// FuzzPlainSignature: whenever the fast reader of a signature entry
// accepts one, the general object reader reads the same key ID and
// signature from it and finds nothing else in it.
func FuzzPlainSignature(f *testing.F) {
	for _, s := range []string{`{"keyid":"abc","sig":"00ff"}`, `{"keyid":"","sig":""}`, `{"keyid":"a\"b","sig":"00"}`,
		`{"keyid":"a","sig":"00","x":1}`, `{"keyid":"a","sig":"0\"0"}`, `{"keyid":"a","sig":"00","z":"x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := cjson.Canonicalize(data)
		if err != nil {
			return
		}
		id, sig, ok := plainSignature(e)
		if !ok {
			return
		}
		ms, err := e.Members()
		if err != nil || len(ms) != 2 || ms[0].Key != "keyid" || ms[1].Key != "sig" {
			t.Fatalf("plainSignature accepted %s, whose members are %v (%v)", e, ms, err)
		}
		if s, _ := ms[0].Value.Str(); s != id || !bytes.Equal(ms[1].Value, sig) {
			t.Fatalf("plainSignature(%s) = %q %s, the reader says %q %s", e, id, sig, s, ms[1].Value)
		}
	})
}

package root_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/root"
)

// canonicalSigned returns the canonical bytes of a file's signed object,
// computed independently of package root.
func canonicalSigned(t testing.TB, data []byte) []byte {
	t.Helper()
	var generic map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		t.Fatal(err)
	}
	c, err := cjson.EncodeCanonical(generic["signed"])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSigstoreRoundTrip(t *testing.T) {
	for _, f := range sigstoreFiles(t) {
		name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data := readFile(t, f)
			want := canonicalSigned(t, data)
			r, err := root.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.SigningPayload(), want) {
				t.Fatal("SigningPayload differs from the canonical bytes of the file's signed object")
			}
			out, err := r.MarshalFile()
			if err != nil {
				t.Fatal(err)
			}
			r2, err := root.Parse(out)
			if err != nil {
				t.Fatalf("re-parse: %v", err)
			}
			if !bytes.Equal(r2.SigningPayload(), want) {
				t.Fatal("MarshalFile changed the signed content")
			}
			if !bytes.Equal(canonicalSigned(t, out), want) {
				t.Fatal("the written file's signed object is not canonically equal to the original")
			}
			out2, err := r2.MarshalFile()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, out2) {
				t.Fatal("MarshalFile is not stable across a round trip")
			}
			// Signatures survive in order, placeholders included.
			s1, s2 := r.Signatures(), r2.Signatures()
			if len(s1) != len(s2) || len(s1) == 0 {
				t.Fatalf("signatures: %d then %d", len(s1), len(s2))
			}
			for i := range s1 {
				if s1[i].KeyID != s2[i].KeyID || !bytes.Equal(s1[i].Value, s2[i].Value) {
					t.Fatalf("signature %d changed", i)
				}
			}
			// Every non-empty signature under a listed root key of this
			// root or an older one must be well formed; those under this
			// root's own root keys verify.
			rk, _ := r.Role(root.RoleRoot)
			verified := 0
			for _, s := range s1 {
				k, ok := r.Key(s.KeyID)
				if !ok || len(s.Value) == 0 {
					continue
				}
				for _, rkey := range rk.Keys {
					if rkey.ID() == s.KeyID {
						if err := k.Verify(r.SigningPayload(), s.Value); err != nil {
							t.Errorf("signature under %s does not verify: %v", s.KeyID, err)
						}
						verified++
					}
				}
			}
			if verified < rk.Threshold {
				t.Errorf("only %d signatures from the root's own root keys verify; threshold %d", verified, rk.Threshold)
			}
		})
	}
}

func TestSigstoreQuirks(t *testing.T) {
	v1 := parseFile(t, "prod", "1.root.json")
	if !bytes.Contains(v1.SigningPayload(), []byte(`"expires":"2021-12-18T13:28:12.99008-06:00"`)) {
		t.Error("v1's odd expires did not survive")
	}
	if got := v1.Expires().UTC().Format("2006-01-02T15:04:05.00000Z"); got != "2021-12-18T19:28:12.99008Z" {
		t.Errorf("v1 Expires = %s", got)
	}
	v2 := parseFile(t, "prod", "2.root.json")
	if !bytes.Contains(v2.SigningPayload(), []byte(`"expires":"2022-05-11T19:09:02.663975009Z"`)) {
		t.Error("v2's nanosecond expires did not survive")
	}
	for _, k := range v1.Keys() {
		if k.Type() != "ecdsa-sha2-nistp256" || k.Scheme() != "ecdsa-sha2-nistp256" {
			t.Errorf("v1 key %s: %s/%s", k.ID(), k.Type(), k.Scheme())
		}
		if !k.IDMatchesContent() {
			t.Errorf("v1 key %s should match its content (keyid_hash_algorithms included)", k.ID())
		}
	}
	v11 := parseFile(t, "prod", "11.root.json")
	mismatch := 0
	for _, k := range v11.Keys() {
		if !k.IDMatchesContent() {
			mismatch++
			if !strings.HasPrefix(string(k.ID()), "7247f0db") {
				t.Errorf("unexpected mismatching key %s", k.ID())
			}
		}
	}
	if mismatch != 1 {
		t.Errorf("v11: %d keys mismatch their content, want 1", mismatch)
	}
	v12 := parseFile(t, "prod", "12.root.json")
	empty := 0
	for _, s := range v12.Signatures() {
		if len(s.Value) == 0 {
			empty++
		}
	}
	if empty != 2 {
		t.Errorf("v12 has %d empty signatures, want 2", empty)
	}
	v15 := parseFile(t, "prod", "15.root.json")
	holders := map[string]bool{}
	for _, k := range v15.Keys() {
		holders[k.Holder()] = true
	}
	if !holders["@jku"] && !holders["@joshuagl"] {
		t.Errorf("Holder did not fall back to x-tuf-on-ci-keyowner: %v", holders)
	}
	if v15.SpecVersion() != "1.0" || !v15.ConsistentSnapshot() || v15.Version() != 15 {
		t.Errorf("v15 fields: %q %v %d", v15.SpecVersion(), v15.ConsistentSnapshot(), v15.Version())
	}
	// v5 carries signatures under v4's key IDs.
	v5 := parseFile(t, "prod", "5.root.json")
	unknown := 0
	for _, s := range v5.Signatures() {
		if _, ok := v5.Key(s.KeyID); !ok {
			unknown++
		}
	}
	if unknown != 4 {
		t.Errorf("v5 has %d signatures under unlisted key IDs, want 4", unknown)
	}
}

// mutate parses a file into a generic tree, applies fn and re-encodes it.
func mutate(t *testing.T, data []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	v, err := cjson.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	fn(m)
	out, err := cjson.EncodePretty(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func signedOf(m map[string]any) map[string]any { return m["signed"].(map[string]any) }

func TestParseRejects(t *testing.T) {
	f := newFixture(t)
	f.sign(t, f.r, 0, nil)
	base, err := f.r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.Parse(base); err != nil {
		t.Fatalf("base: %v", err)
	}
	someKey := string(f.keys[1].ID())
	cases := map[string]struct {
		data []byte
		want string
	}{
		"duplicate JSON key": {bytes.Replace(base, []byte(`"version": 1`), []byte(`"version": 1, "version": 1`), 1), "duplicate object key"},
		"wrong _type":        {mutate(t, base, func(m map[string]any) { signedOf(m)["_type"] = "targets" }), `_type is "targets"`},
		"version 0":          {mutate(t, base, func(m map[string]any) { signedOf(m)["version"] = json.Number("0") }), "below 1"},
		"oversize":           {append(bytes.TrimRight(base, "\n"), bytes.Repeat([]byte(" "), root.MaxRootSize)...), "more than the limit of 524288"},
		"duplicate signature key IDs": {mutate(t, base, func(m map[string]any) {
			s := m["signatures"].([]any)
			m["signatures"] = append(s, s[0])
		}), "more than one signature"},
		"missing role": {mutate(t, base, func(m map[string]any) {
			delete(signedOf(m)["roles"].(map[string]any), "timestamp")
		}), `role "timestamp" is missing`},
		"unknown role": {mutate(t, base, func(m map[string]any) {
			roles := signedOf(m)["roles"].(map[string]any)
			roles["mirror"] = roles["timestamp"]
		}), `unknown role "mirror"`},
		"role key not in keys": {mutate(t, base, func(m map[string]any) {
			delete(signedOf(m)["keys"].(map[string]any), someKey)
		}), "not in keys"},
		"threshold 0": {mutate(t, base, func(m map[string]any) {
			signedOf(m)["roles"].(map[string]any)["root"].(map[string]any)["threshold"] = json.Number("0")
		}), "below 1"},
		"threshold negative": {mutate(t, base, func(m map[string]any) {
			signedOf(m)["roles"].(map[string]any)["targets"].(map[string]any)["threshold"] = json.Number("-2")
		}), "below 1"},
		"role key twice": {mutate(t, base, func(m map[string]any) {
			r := signedOf(m)["roles"].(map[string]any)["root"].(map[string]any)
			r["keyids"] = append(r["keyids"].([]any), someKey)
		}), "twice"},
		"role without keys": {mutate(t, base, func(m map[string]any) {
			signedOf(m)["roles"].(map[string]any)["snapshot"].(map[string]any)["keyids"] = []any{}
		}), "no keys"},
		"key without keyval": {mutate(t, base, func(m map[string]any) {
			k := signedOf(m)["keys"].(map[string]any)[someKey].(map[string]any)
			k["keyval"] = "04abcd"
		}), "key " + someKey[:16]},
		"spec version 2": {mutate(t, base, func(m map[string]any) { signedOf(m)["spec_version"] = "2.0.0" }), "spec_version"},
		"not JSON":       {[]byte("not json"), "malformed"},
		"empty":          {nil, "malformed"},
		"array":          {[]byte("[]"), "the file is not an object"},
		"float custom":   {bytes.Replace(base, []byte(`"version": 1`), []byte(`"version": 1, "x-f": 1.5`), 1), "not an integer"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := root.Parse(c.data)
			if !errors.Is(err, root.ErrMalformed) {
				t.Fatalf("Parse = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "root: ") {
				t.Fatalf("error %q lacks the root: prefix", err)
			}
		})
	}
}

func TestMarshalFileForm(t *testing.T) {
	f := newFixture(t)
	f.sign(t, f.r, 2, nil)
	out, err := f.r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out, []byte("}\n")) || bytes.HasSuffix(out, []byte("\n\n")) {
		t.Error("file form must end with exactly one newline")
	}
	if !bytes.HasPrefix(out, []byte("{\n  \"signatures\": [\n    {\n      \"keyid\": ")) {
		t.Errorf("unexpected start of file form:\n%.120s", out)
	}
	if bytes.Contains(out, []byte("\t")) || bytes.Contains(out, []byte(`\u003c`)) {
		t.Error("file form has tabs or HTML escapes")
	}
	// Keys appear in sorted order.
	iSig, iSigned := bytes.Index(out, []byte(`"signatures"`)), bytes.Index(out, []byte(`"signed"`))
	iType, iVersion := bytes.Index(out, []byte(`"_type"`)), bytes.Index(out, []byte(`"version"`))
	if !(iSig < iSigned && iType < iVersion) {
		t.Error("keys are not sorted")
	}
	again, _ := f.r.MarshalFile()
	if !bytes.Equal(out, again) {
		t.Error("MarshalFile is not deterministic")
	}
	d, err := f.r.Digest()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(out)
	if d != hex.EncodeToString(sum[:]) {
		t.Errorf("Digest %s is not the SHA-256 of MarshalFile", d)
	}
}

func TestZeroRootDoesNotPanic(t *testing.T) {
	var r *root.Root
	z := &root.Root{}
	for _, x := range []*root.Root{r, z} {
		_ = x.Version()
		_ = x.Keys()
		_ = x.Signatures()
		_ = x.SigningPayload()
		if _, err := x.MarshalFile(); err == nil {
			t.Error("MarshalFile of an empty root succeeded")
		}
		if _, err := x.Next(root.Rotation{Expires: expiry}); err == nil {
			t.Error("Next of an empty root succeeded")
		}
		if err := x.AddSignature(root.Signature{KeyID: "a", Value: []byte{1}}, nil); err == nil {
			t.Error("AddSignature on an empty root succeeded")
		}
		if Lint := root.Lint(x, root.LintOptions{}); Lint != nil {
			t.Error("Lint of an empty root returned warnings")
		}
		if reqs := x.Requirements(nil); reqs != nil {
			t.Error("Requirements of an empty root")
		}
	}
	var k root.Key
	if k.ID() != "" || k.Public() != nil || k.Verify(nil, nil) == nil || k.IDMatchesContent() {
		t.Error("zero Key misbehaves")
	}
}

// TestParseErrorsQuoteKeyIDs: key IDs come from the file, and errors are
// printed to terminals; a control character in one must not reach the
// message raw, and a shortened ID must stay valid UTF-8.
func TestParseErrorsQuoteKeyIDs(t *testing.T) {
	f := newFixture(t)
	base, err := f.r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"\x1b]0;owned\x07", "\x1b[2J", "ééééééééé"} {
		data := mutate(t, base, func(m map[string]any) {
			r := signedOf(m)["roles"].(map[string]any)["targets"].(map[string]any)
			r["keyids"] = append(r["keyids"].([]any), id)
		})
		_, err := root.Parse(data)
		if !errors.Is(err, root.ErrMalformed) || !strings.Contains(err.Error(), "not in keys") {
			t.Fatalf("Parse = %v, want the unknown key ID refused", err)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\x1b\x07") || !utf8.ValidString(msg) {
			t.Fatalf("error %q carries a control character or invalid UTF-8", msg)
		}
	}
}

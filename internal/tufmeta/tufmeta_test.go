package tufmeta

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/sharedtestdata"
)

func sigstoreRoots(t testing.TB) []string {
	dir := sharedtestdata.SigstoreRoot(t)
	var files []string
	for _, sub := range []string{"prod", "staging", "staging-tuf-on-ci"} {
		m, err := filepath.Glob(filepath.Join(dir, sub, "*.root.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 30 {
		t.Fatalf("found only %d Sigstore root files under %s", len(files), dir)
	}
	return files
}

// sigstoreRepo returns a file of Sigstore's production repository as git
// holds it.
func sigstoreRepo(t testing.TB, name string) []byte {
	p := filepath.Join(sharedtestdata.SigstoreRoot(t), "..", "sigstore-repo", "prod-2026-08-21", "git", "metadata", name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func read(t testing.TB, p string) []byte {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSigstoreRoots: every real root parses, its payload is the canonical
// form of its own signed object, and a model re-encoded gives the same
// bytes wherever the expiry is already in the form Encode writes.
func TestSigstoreRoots(t *testing.T) {
	reencoded := 0
	for _, f := range sigstoreRoots(t) {
		data := read(t, f)
		env, err := ParseEnvelope(data, TypeRoot, 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		tree, _ := cjson.Decode(data)
		want, _ := cjson.EncodeCanonical(tree.(map[string]any)["signed"])
		if !bytes.Equal(env.Signed, want) {
			t.Fatalf("%s: payload differs from the canonical signed object", f)
		}
		r, err := ParseRoot(env)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(r.Keys) == 0 || r.Roles[TypeRoot].Threshold < 1 {
			t.Fatalf("%s: model not filled: %+v", f, r)
		}
		if FormatExpires(r.Expires) == r.Expires.Format(time.RFC3339Nano) {
			got, err := cjson.EncodeCanonical(r.Encode())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, env.Signed) {
				t.Fatalf("%s: re-encoded model differs:\n%s\n%s", f, got, env.Signed)
			}
			reencoded++
		}
	}
	if reencoded < 20 {
		t.Fatalf("only %d roots re-encoded", reencoded)
	}
}

func TestSigstoreRepository(t *testing.T) {
	for _, c := range []struct {
		name, typ string
		parse     func(*Envelope) (interface{ Encode() map[string]any }, error)
	}{
		{"timestamp.json", TypeTimestamp, func(e *Envelope) (interface{ Encode() map[string]any }, error) { return ParseTimestamp(e) }},
		{"snapshot.json", TypeSnapshot, func(e *Envelope) (interface{ Encode() map[string]any }, error) { return ParseSnapshot(e) }},
		{"targets.json", TypeTargets, func(e *Envelope) (interface{ Encode() map[string]any }, error) { return ParseTargets(e) }},
		{"registry.npmjs.org.json", TypeTargets, func(e *Envelope) (interface{ Encode() map[string]any }, error) { return ParseTargets(e) }},
	} {
		env, err := ParseEnvelope(sigstoreRepo(t, c.name), c.typ, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		m, err := c.parse(env)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := cjson.EncodeCanonical(m.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, env.Signed) {
			t.Fatalf("%s: re-encoded model differs:\n%s\n%s", c.name, got, env.Signed)
		}
	}
	env, _ := ParseEnvelope(sigstoreRepo(t, "targets.json"), TypeTargets, 0)
	tm, _ := ParseTargets(env)
	if d := tm.Delegations; d == nil || len(d.Roles) != 1 || d.Roles[0].Name != "registry.npmjs.org" || !d.Roles[0].Terminating {
		t.Fatalf("delegations = %+v", tm.Delegations)
	}
	custom := tm.Targets["fulcio_v1.crt.pem"].Custom
	if !bytes.Contains(custom, []byte(`"usage":"Fulcio"`)) {
		t.Fatalf("custom metadata = %s", custom)
	}
}

// doc builds a metadata file of type typ with signed members merged over
// a minimal valid signed object.
func doc(typ string, signed map[string]any, sigs ...any) []byte {
	s := map[string]any{"_type": typ, "spec_version": "1.0.31", "version": 1, "expires": "2030-01-01T00:00:00Z"}
	switch typ {
	case TypeTimestamp:
		s["meta"] = map[string]any{"snapshot.json": map[string]any{"version": 1}}
	case TypeSnapshot:
		s["meta"] = map[string]any{"targets.json": map[string]any{"version": 1}}
	case TypeTargets:
		s["targets"] = map[string]any{}
	}
	for k, v := range signed {
		if v == nil {
			delete(s, k)
		} else {
			s[k] = v
		}
	}
	if sigs == nil {
		sigs = []any{}
	}
	out, err := cjson.EncodePretty(map[string]any{"signed": s, "signatures": sigs})
	if err != nil {
		panic(err)
	}
	return out
}

func TestEnvelopeRejects(t *testing.T) {
	sig := func(id, hex string) any { return map[string]any{"keyid": id, "sig": hex} }
	cases := map[string]struct {
		data []byte
		typ  string
		want string
	}{
		"too large":           {append(doc(TypeTimestamp, nil), bytes.Repeat([]byte(" "), MaxTimestampSize)...), TypeTimestamp, "more than the limit"},
		"not json":            {[]byte(`{`), TypeTimestamp, "expected an object key"},
		"duplicate key":       {[]byte(`{"signed":{},"signed":{},"signatures":[]}`), TypeTimestamp, "duplicate object key"},
		"no signed":           {[]byte(`{"signatures":[]}`), TypeTimestamp, `"signed" is missing`},
		"signed list":         {[]byte(`{"signed":[],"signatures":[]}`), TypeTimestamp, `"signed" is missing or not an object`},
		"no signatures":       {[]byte(`{"signed":{}}`), TypeTimestamp, `"signatures" is missing`},
		"case variant":        {[]byte(`{"signed":{},"Signatures":[],"signatures":[]}`), TypeTimestamp, "only in case"},
		"wrong type":          {doc(TypeSnapshot, nil), TypeTimestamp, `_type is "snapshot"`},
		"spec 2":              {doc(TypeTimestamp, map[string]any{"spec_version": "2.0.0"}), TypeTimestamp, "not a 1.x"},
		"version 0":           {doc(TypeTimestamp, map[string]any{"version": 0}), TypeTimestamp, "below 1"},
		"version string":      {doc(TypeTimestamp, map[string]any{"version": "1"}), TypeTimestamp, "version is missing or not an integer"},
		"Version variant":     {doc(TypeTimestamp, map[string]any{"Version": 2}), TypeTimestamp, "only in case"},
		"expires bad":         {doc(TypeTimestamp, map[string]any{"expires": "tomorrow"}), TypeTimestamp, "not an RFC 3339"},
		"expires long form":   {doc(TypeTimestamp, map[string]any{"expires": "2030-01-01T00:00:00.000Z"}), TypeTimestamp, "shortest form"},
		"inexact number":      {doc(TypeTimestamp, map[string]any{"x-custom": []any{9007199254740993}}), TypeTimestamp, "not exact as a float64"},
		"duplicate sig keyid": {doc(TypeTimestamp, nil, sig("a", "00"), sig("a", "01")), TypeTimestamp, "more than one signature"},
		"sig not hex":         {doc(TypeTimestamp, nil, sig("a", "zz")), TypeTimestamp, "not hex"},
		"sig too long":        {doc(TypeTargets, nil, sig("a", strings.Repeat("00", MaxSignatureSize+1))), TypeTargets, "more than 2048"},
		"sig keyid missing":   {doc(TypeTimestamp, nil, map[string]any{"sig": "00"}), TypeTimestamp, "keyid is missing"},
		"sig Keyid variant":   {doc(TypeTimestamp, nil, map[string]any{"keyid": "a", "Keyid": "b", "sig": "00"}), TypeTimestamp, "only in case"},
		"signatures not list": {[]byte(`{"signed":{},"signatures":{}}`), TypeTimestamp, "not a list"},
		"too many signatures": {doc(TypeTargets, nil, manySigs(MaxSignatures+1)...), TypeTargets, "more than the limit of 256"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseEnvelope(c.data, c.typ, 0)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseEnvelope = %v, want ErrMalformed containing %q", err, c.want)
			}
		})
	}
	// An empty placeholder signature is kept as an empty signature.
	env, err := ParseEnvelope(doc(TypeTimestamp, nil, sig("a", "")), TypeTimestamp, 0)
	if err != nil || len(env.Signatures) != 1 || len(env.Signatures[0].Sig) != 0 {
		t.Fatalf("placeholder signature: %v %+v", err, env)
	}
}

func manySigs(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"keyid": fmt.Sprint(i), "sig": "00"}
	}
	return out
}

func TestModelRejects(t *testing.T) {
	key := map[string]any{"keytype": "ed25519", "scheme": "ed25519", "keyval": map[string]any{"public": strings.Repeat("ab", 32)}}
	role := func(ids ...any) map[string]any { return map[string]any{"keyids": ids, "threshold": 1} }
	roles := func(over map[string]any) map[string]any {
		r := map[string]any{"root": role("k"), "targets": role("k"), "snapshot": role("k"), "timestamp": role("k")}
		for k, v := range over {
			if v == nil {
				delete(r, k)
			} else {
				r[k] = v
			}
		}
		return r
	}
	rootDoc := func(over map[string]any) []byte {
		s := map[string]any{"keys": map[string]any{"k": key}, "roles": roles(nil), "consistent_snapshot": true}
		for k, v := range over {
			s[k] = v
		}
		return doc(TypeRoot, s)
	}
	delegated := func(r map[string]any) []byte {
		base := map[string]any{"name": "a", "keyids": []any{"k"}, "threshold": 1, "terminating": false, "paths": []any{"a/*"}}
		for k, v := range r {
			if v == nil {
				delete(base, k)
			} else {
				base[k] = v
			}
		}
		return doc(TypeTargets, map[string]any{"delegations": map[string]any{"keys": map[string]any{"k": key}, "roles": []any{base}}})
	}
	cases := map[string]struct {
		data []byte
		typ  string
		want string
	}{
		"role missing":          {rootDoc(map[string]any{"roles": roles(map[string]any{"timestamp": nil})}), TypeRoot, `role "timestamp" is missing`},
		"extra role":            {rootDoc(map[string]any{"roles": roles(map[string]any{"mirror": role("k")})}), TypeRoot, `unknown role "mirror"`},
		"role no keys":          {rootDoc(map[string]any{"roles": roles(map[string]any{"root": role()})}), TypeRoot, "has no keys"},
		"role unknown key":      {rootDoc(map[string]any{"roles": roles(map[string]any{"root": role("x")})}), TypeRoot, "not in keys"},
		"role key twice":        {rootDoc(map[string]any{"roles": roles(map[string]any{"root": role("k", "k")})}), TypeRoot, "twice"},
		"threshold 0":           {rootDoc(map[string]any{"roles": roles(map[string]any{"root": map[string]any{"keyids": []any{"k"}, "threshold": 0}})}), TypeRoot, "below 1"},
		"key not object":        {rootDoc(map[string]any{"keys": map[string]any{"k": "x"}}), TypeRoot, "key k is not an object"},
		"key Keytype variant":   {rootDoc(map[string]any{"keys": map[string]any{"k": map[string]any{"keytype": "ed25519", "Keytype": "x", "scheme": "ed25519", "keyval": map[string]any{}}}}), TypeRoot, "only in case"},
		"consistent not bool":   {rootDoc(map[string]any{"consistent_snapshot": "yes"}), TypeRoot, "not a boolean"},
		"null meta entry":       {doc(TypeSnapshot, map[string]any{"meta": map[string]any{"x.json": nil, "targets.json": map[string]any{"version": 1}}}), TypeSnapshot, `meta "x.json" is not an object`},
		"meta version 0":        {doc(TypeSnapshot, map[string]any{"meta": map[string]any{"targets.json": map[string]any{"version": 0}}}), TypeSnapshot, "below 1"},
		"meta negative length":  {doc(TypeSnapshot, map[string]any{"meta": map[string]any{"targets.json": map[string]any{"version": 1, "length": -1}}}), TypeSnapshot, "positive integer"},
		"meta length 0":         {doc(TypeSnapshot, map[string]any{"meta": map[string]any{"targets.json": map[string]any{"version": 1, "length": 0}}}), TypeSnapshot, "positive integer"},
		"meta hash not hex":     {doc(TypeSnapshot, map[string]any{"meta": map[string]any{"targets.json": map[string]any{"version": 1, "hashes": map[string]any{"sha256": "zz"}}}}), TypeSnapshot, "not hex"},
		"timestamp two entries": {doc(TypeTimestamp, map[string]any{"meta": map[string]any{"snapshot.json": map[string]any{"version": 1}, "x.json": map[string]any{"version": 1}}}), TypeTimestamp, "exactly snapshot.json"},
		"target escapes":        {doc(TypeTargets, map[string]any{"targets": map[string]any{"../x": map[string]any{"length": 1, "hashes": map[string]any{}}}}), TypeTargets, "not a clean relative path"},
		"target null":           {doc(TypeTargets, map[string]any{"targets": map[string]any{"x": nil}}), TypeTargets, "is not an object"},
		"target no hashes":      {doc(TypeTargets, map[string]any{"targets": map[string]any{"x": map[string]any{"length": 1}}}), TypeTargets, "hashes is missing"},
		"delegation top-level":  {delegated(map[string]any{"name": "snapshot"}), TypeTargets, "top-level role name"},
		"delegation both paths": {delegated(map[string]any{"path_hash_prefixes": []any{"ab"}}), TypeTargets, "both paths"},
		"delegation threshold":  {delegated(map[string]any{"threshold": 0}), TypeTargets, "below 1"},
		"delegation no name":    {delegated(map[string]any{"name": ""}), TypeTargets, "name is missing"},
		"delegation term":       {delegated(map[string]any{"terminating": nil}), TypeTargets, "terminating is missing"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			env, err := ParseEnvelope(c.data, c.typ, 0)
			if err != nil {
				t.Fatalf("envelope: %v", err)
			}
			switch c.typ {
			case TypeRoot:
				_, err = ParseRoot(env)
			case TypeTimestamp:
				_, err = ParseTimestamp(env)
			case TypeSnapshot:
				_, err = ParseSnapshot(env)
			case TypeTargets:
				_, err = ParseTargets(env)
			}
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("parse = %v, want ErrMalformed containing %q", err, c.want)
			}
		})
	}
	// A huge threshold in a delegation parses (it can never be met); it
	// must not size anything.
	env, err := ParseEnvelope(delegated(map[string]any{"threshold": 1 << 40}), TypeTargets, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTargets(env); err == nil || !strings.Contains(err.Error(), "more than any role can meet") {
		t.Fatalf("threshold 2^40: %v", err)
	}
}

// TestUnknownFieldsKept: members the model does not know, at every level,
// survive a parse and re-encode byte for byte.
func TestUnknownFieldsKept(t *testing.T) {
	key := map[string]any{"keytype": "sigstore-oidc", "scheme": "Fulcio", "keyval": map[string]any{"identity": "a@example.com"}, "keyid_hash_algorithms": "md5"}
	data := doc(TypeTargets, map[string]any{
		"x-top":   map[string]any{"n": 1},
		"targets": map[string]any{"a/b.txt": map[string]any{"length": 3, "hashes": map[string]any{"sha256": "00"}, "custom": []any{"any", "json"}, "x-entry": true}},
		"delegations": map[string]any{"keys": map[string]any{"k": key}, "x-deleg": "d", "roles": []any{
			map[string]any{"name": "a", "keyids": []any{"k"}, "threshold": 1, "terminating": true, "path_hash_prefixes": []any{"00"}, "x-role": nil},
		}},
	})
	env, err := ParseEnvelope(data, TypeTargets, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseTargets(env)
	if err != nil {
		t.Fatal(err)
	}
	if k := m.Delegations.Keys["k"]; k.Supported() || !strings.Contains(k.Unsupported, "sigstore-oidc") {
		t.Fatalf("opaque key: %+v", k)
	}
	got, err := cjson.EncodeCanonical(m.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, env.Signed) {
		t.Fatalf("re-encoded:\n%s\nwant\n%s", got, env.Signed)
	}
}

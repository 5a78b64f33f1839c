package verify

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/sharedtestdata"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify/internal/gen"
)

// stepCorpus returns root files to compare parseStep with root.Parse on:
// the real Sigstore chains, the adversarial vectors, generated roots and
// variants of them that break one rule each.
func stepCorpus(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	dir := sharedtestdata.SigstoreRoot(t)
	for _, sub := range []string{"prod", "staging", "staging-tuf-on-ci"} {
		files, _ := filepath.Glob(filepath.Join(dir, sub, "*.root.json"))
		if len(files) == 0 {
			t.Fatalf("no roots in %s", filepath.Join(dir, sub))
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[sub+"/"+filepath.Base(f)] = data
		}
	}
	vecs, _ := filepath.Glob(filepath.Join("..", "testdata", "vectors", "*", "*.json"))
	for _, f := range vecs {
		data, err := os.ReadFile(f)
		if err == nil && bytes.Contains(data, []byte(`"root"`)) {
			out["vectors/"+filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f)] = data
		}
	}
	ks := []*gen.Key{gen.Ed25519(1), gen.ECDSA(2), gen.Ed25519(3)}
	other := gen.Ed25519(9)
	base := func() map[string]any {
		return gen.Root(3, gen.ExpiryTime(2030), true, gen.TopRoles(ks, 2, other))
	}
	variants := map[string]func(map[string]any){
		"valid":                   func(s map[string]any) {},
		"no consistent_snapshot":  func(s map[string]any) { delete(s, "consistent_snapshot") },
		"consistent_snapshot str": func(s map[string]any) { s["consistent_snapshot"] = "true" },
		"expires fraction":        func(s map[string]any) { s["expires"] = "2030-01-01T00:00:00.5Z" },
		"expires trailing zero":   func(s map[string]any) { s["expires"] = "2030-01-01T00:00:00.50Z" },
		"expires offset":          func(s map[string]any) { s["expires"] = "2030-01-01T00:00:00-06:00" },
		"expires date only":       func(s map[string]any) { s["expires"] = "2030-01-01" },
		"expires lowercase":       func(s map[string]any) { s["expires"] = "2030-01-01t00:00:00z" },
		"version 0":               func(s map[string]any) { s["version"] = 0 },
		"version string":          func(s map[string]any) { s["version"] = "3" },
		"spec 2":                  func(s map[string]any) { s["spec_version"] = "2.0.0" },
		"type targets":            func(s map[string]any) { s["_type"] = "targets" },
		"custom field":            func(s map[string]any) { s["x-custom"] = map[string]any{"a": []any{"b", 1, true, nil}} },
		"extra role": func(s map[string]any) {
			s["roles"].(map[string]any)["mirrors"] = map[string]any{"keyids": []any{ks[0].ID}, "threshold": 1}
		},
		"missing role": func(s map[string]any) { delete(s["roles"].(map[string]any), "snapshot") },
		"threshold 0": func(s map[string]any) {
			s["roles"].(map[string]any)["root"].(map[string]any)["threshold"] = 0
		},
		"threshold above keys": func(s map[string]any) {
			s["roles"].(map[string]any)["root"].(map[string]any)["threshold"] = 4
		},
		"role key twice": func(s map[string]any) {
			s["roles"].(map[string]any)["root"].(map[string]any)["keyids"] = []any{ks[0].ID, ks[0].ID}
		},
		"role key unknown": func(s map[string]any) {
			s["roles"].(map[string]any)["root"].(map[string]any)["keyids"] = []any{strings.Repeat("ab", 32)}
		},
		"role without keys": func(s map[string]any) {
			s["roles"].(map[string]any)["root"].(map[string]any)["keyids"] = []any{}
		},
		"role extra field": func(s map[string]any) {
			s["roles"].(map[string]any)["root"].(map[string]any)["x-note"] = "hi"
		},
		"bad key": func(s map[string]any) {
			s["keys"].(map[string]any)[ks[0].ID] = map[string]any{"keytype": "ed25519", "scheme": "ed25519", "keyval": map[string]any{"public": "00"}}
		},
		"key ID mismatch": func(s map[string]any) {
			k := s["keys"].(map[string]any)
			k[strings.Repeat("cd", 32)] = k[ks[0].ID]
		},
		"no keys": func(s map[string]any) { delete(s, "keys") },
	}
	for name, mod := range variants {
		s := base()
		mod(s)
		out["gen/"+name] = gen.Sign(s, ks...)
	}
	valid := gen.Sign(base(), ks...)
	out["gen/duplicate JSON key"] = bytes.Replace(valid, []byte(`"_type": "root",`), []byte(`"_type": "root", "_type": "root",`), 1)
	out["gen/float version"] = bytes.Replace(valid, []byte(`"version": 3`), []byte(`"version": 3.0`), 1)
	out["gen/trailing data"] = append(append([]byte{}, valid...), []byte(" {}")...)
	out["gen/not an object"] = []byte(`[1]`)
	out["gen/empty"] = nil
	return out
}

// TestStepParseAgreesWithRootParse holds the chain walk's step parser to
// root.Parse's verdict and reading on every corpus file.
func TestStepParseAgreesWithRootParse(t *testing.T) {
	for name, data := range stepCorpus(t) {
		t.Run(name, func(t *testing.T) { compareParsers(t, data) })
	}
}

func compareParsers(t *testing.T, data []byte) {
	t.Helper()
	v, errStep := parseStep(data, keyCache{})
	r, errRoot := root.Parse(data)
	if (errStep == nil) != (errRoot == nil) {
		t.Fatalf("parsers disagree: parseStep error %v, root.Parse error %v", errStep, errRoot)
	}
	if errRoot != nil {
		return
	}
	want, err := viewOf(r)
	if err != nil {
		t.Fatal(err)
	}
	if got, exp := describeView(v), describeView(want); got != exp {
		t.Fatalf("parsers read the file differently:\nparseStep  %s\nroot.Parse %s", got, exp)
	}
}

func describeView(v *rootView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "v%d expires %s thr %d ids %v mismatched %v payload %x sigs", v.version, v.expires.UTC().Format("2006-01-02T15:04:05.999999999Z"),
		v.own.threshold, v.own.ids, v.mismatched, v.payload)
	for _, id := range sortedKeys(v.sigs) {
		fmt.Fprintf(&b, " %s=%x", id, v.sigs[id])
	}
	for i, k := range v.own.keys {
		fmt.Fprintf(&b, " key %s fp %s scheme %s holder %q", v.own.ids[i], k.Fingerprint(), k.Scheme(), v.own.holders[i])
	}
	return b.String()
}

// FuzzStepParse checks that parseStep and root.Parse agree on arbitrary
// input.
func FuzzStepParse(f *testing.F) {
	for _, data := range stepCorpus(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { compareParsers(t, data) })
}

// TestKeyCacheRequiresIdenticalObject checks that a key ID reused for a
// different key object is decoded afresh.
func TestKeyCacheRequiresIdenticalObject(t *testing.T) {
	c := keyCache{}
	a, b := gen.Ed25519(1), gen.Ed25519(2)
	ka, err := c.get("id", toTree(t, a.Object))
	if err != nil {
		t.Fatal(err)
	}
	kb, err := c.get("id", toTree(t, b.Object))
	if err != nil {
		t.Fatal(err)
	}
	if ka.Fingerprint() == kb.Fingerprint() {
		t.Fatal("cache returned the old key for a new object under the same ID")
	}
	ka2, _ := c.get("id", toTree(t, a.Object))
	kb2, _ := c.get("id", toTree(t, b.Object))
	if ka2.Fingerprint() != ka.Fingerprint() || kb2 != c["id"] {
		t.Fatal("cache lookups inconsistent")
	}
}

func toTree(t *testing.T, obj map[string]any) map[string]any {
	t.Helper()
	tree, err := cjson.Decode(gen.Canonical(obj))
	if err != nil {
		t.Fatal(err)
	}
	return tree.(map[string]any)
}

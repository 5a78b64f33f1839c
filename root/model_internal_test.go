package root

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/sharedtestdata"
	"github.com/trustroot/trustroot/internal/tufmeta"
)

// referenceParse is the parser Parse replaced: tufmeta.Parse, which builds
// go-tuf's typed model and requires it to re-encode to the canonical
// bytes of the signed object, followed by the policy checks read from the
// typed model. Parse reads the decoded tree directly and builds the model
// only lazily; these tests hold the two to the same verdicts and the same
// reading.
func referenceParse(data []byte) (*tufmeta.Doc[metadata.RootType], error) {
	if len(data) > MaxRootSize {
		return nil, fmt.Errorf("oversize")
	}
	doc, err := tufmeta.Parse[metadata.RootType](data, MaxRootSize)
	if err != nil {
		return nil, err
	}
	if len(doc.Signatures) > maxSignatures {
		return nil, fmt.Errorf("too many signatures")
	}
	for _, s := range doc.Signatures {
		if len(s.Sig) > maxSigLength {
			return nil, fmt.Errorf("long signature")
		}
	}
	if _, err := readKeys(doc.Signed["keys"]); err != nil {
		return nil, err
	}
	roles, _ := doc.Signed["roles"].(map[string]any)
	for name := range roles {
		if !slices.Contains(TopLevelRoles(), Role(name)) {
			return nil, fmt.Errorf("unknown role")
		}
	}
	keys, _ := doc.Signed["keys"].(map[string]any)
	for _, role := range TopLevelRoles() {
		r := doc.Meta.Signed.Roles[string(role)]
		if _, present := roles[string(role)]; !present || r == nil {
			return nil, fmt.Errorf("missing role")
		}
		if r.Threshold < 1 || len(r.KeyIDs) == 0 || len(r.KeyIDs) > maxRoleKeys {
			return nil, fmt.Errorf("bad role")
		}
		for i, id := range r.KeyIDs {
			if slices.Contains(r.KeyIDs[:i], id) {
				return nil, fmt.Errorf("key twice")
			}
			if _, ok := keys[id]; !ok {
				return nil, fmt.Errorf("key not in keys")
			}
		}
	}
	return doc, nil
}

// compareWithReference fails t if Parse and referenceParse disagree on
// data, or read it differently, or if a root Parse accepts fails the lazy
// model check. It reports whether data parsed.
func compareWithReference(t *testing.T, data []byte) bool {
	t.Helper()
	doc, refErr := referenceParse(data)
	r, err := Parse(data)
	// Parse refuses every member name that differs from a model field only
	// in case. The reference accepts some of them, depending on member
	// order (the later duplicate wins in Go's decoder), which a tree
	// cannot see; refusing them all is the one deliberate difference.
	tightened := err != nil && refErr == nil && strings.Contains(err.Error(), "only in case")
	if (err == nil) != (refErr == nil) && !tightened {
		t.Fatalf("verdicts differ: Parse error %v, reference error %v\n%.300s", err, refErr, data)
	}
	if err != nil {
		return false
	}
	if err := r.checkModel(); err != nil {
		t.Fatalf("Parse accepted a root whose typed model disagrees: %v", err)
	}
	m := doc.Meta.Signed
	if r.Version() != m.Version || !r.Expires().Equal(m.Expires) || r.Expires().Format(time3339) != m.Expires.Format(time3339) ||
		r.SpecVersion() != m.SpecVersion || r.ConsistentSnapshot() != m.ConsistentSnapshot {
		t.Fatalf("fields differ: v%d %s %q %v, model v%d %s %q %v", r.Version(), r.Expires(), r.SpecVersion(), r.ConsistentSnapshot(),
			m.Version, m.Expires, m.SpecVersion, m.ConsistentSnapshot)
	}
	if !bytes.Equal(r.SigningPayload(), doc.Payload) {
		t.Fatal("payloads differ")
	}
	for _, role := range TopLevelRoles() {
		rk, ok := r.Role(role)
		mr := m.Roles[string(role)]
		if !ok || rk.Threshold != mr.Threshold || len(rk.KeyIDs) != len(mr.KeyIDs) {
			t.Fatalf("role %s: %+v, model %+v", role, rk, mr)
		}
		for i, id := range rk.KeyIDs {
			if string(id) != mr.KeyIDs[i] {
				t.Fatalf("role %s key %d: %s, model %s", role, i, id, mr.KeyIDs[i])
			}
		}
	}
	if len(r.Keys()) != len(m.Keys) {
		t.Fatalf("%d keys, model %d", len(r.Keys()), len(m.Keys))
	}
	for _, k := range r.Keys() {
		mk, ok := m.Keys[string(k.ID())]
		if !ok || mk.Type != k.Type() || mk.Scheme != k.Scheme() {
			t.Fatalf("key %s: %s/%s, model %+v", k.ID(), k.Type(), k.Scheme(), mk)
		}
	}
	sigs := r.Signatures()
	if len(sigs) != len(doc.Signatures) {
		t.Fatalf("%d signatures, reference %d", len(sigs), len(doc.Signatures))
	}
	for i, s := range sigs {
		if string(s.KeyID) != doc.Signatures[i].KeyID || !bytes.Equal(s.Value, doc.Signatures[i].Sig) {
			t.Fatalf("signature %d differs", i)
		}
	}
	return true
}

const time3339 = "2006-01-02T15:04:05.999999999Z07:00"

// modelCorpus returns root files to compare Parse with the reference on:
// the real Sigstore roots, the adversarial vectors, and variants of a
// real root that each break or stretch one rule, several of them aimed at
// the places where Go's case-insensitive, null-tolerant decoder reads a
// document differently from the strict tree.
func modelCorpus(t testing.TB) map[string][]byte {
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
	baseData, err := os.ReadFile(filepath.Join(dir, "prod", "5.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	base := func() map[string]any {
		tree, err := cjson.Decode(baseData)
		if err != nil {
			t.Fatal(err)
		}
		return tree.(map[string]any)
	}
	sd := func(m map[string]any) map[string]any { return m["signed"].(map[string]any) }
	role := func(m map[string]any, name string) map[string]any {
		return sd(m)["roles"].(map[string]any)[name].(map[string]any)
	}
	firstKey := func(m map[string]any) (string, map[string]any) {
		keys := sd(m)["keys"].(map[string]any)
		id := slices.Sorted(func(yield func(string) bool) {
			for k := range keys {
				if !yield(k) {
					return
				}
			}
		})[0]
		return id, keys[id].(map[string]any)
	}
	variants := map[string]func(m map[string]any){
		"valid":                   func(m map[string]any) {},
		"no consistent_snapshot":  func(m map[string]any) { delete(sd(m), "consistent_snapshot") },
		"consistent_snapshot str": func(m map[string]any) { sd(m)["consistent_snapshot"] = "true" },
		"consistent_snapshot nil": func(m map[string]any) { sd(m)["consistent_snapshot"] = nil },
		"Consistent_Snapshot":     func(m map[string]any) { sd(m)["Consistent_Snapshot"] = true },
		"expires fraction":        func(m map[string]any) { sd(m)["expires"] = "2030-01-01T00:00:00.5Z" },
		"expires trailing zero":   func(m map[string]any) { sd(m)["expires"] = "2030-01-01T00:00:00.50Z" },
		"expires offset":          func(m map[string]any) { sd(m)["expires"] = "2030-01-01T00:00:00-06:00" },
		"expires offset 24":       func(m map[string]any) { sd(m)["expires"] = "2030-01-01T00:00:00+24:00" },
		"expires offset 23:59":    func(m map[string]any) { sd(m)["expires"] = "2030-01-01T00:00:00+23:59" },
		"expires zero offset":     func(m map[string]any) { sd(m)["expires"] = "2030-01-01T00:00:00+00:00" },
		"expires hour 24":         func(m map[string]any) { sd(m)["expires"] = "2030-01-01T24:00:00Z" },
		"expires leap second":     func(m map[string]any) { sd(m)["expires"] = "2030-01-01T23:59:60Z" },
		"expires date only":       func(m map[string]any) { sd(m)["expires"] = "2030-01-01" },
		"expires lowercase":       func(m map[string]any) { sd(m)["expires"] = "2030-01-01t00:00:00z" },
		"expires year 0":          func(m map[string]any) { sd(m)["expires"] = "0000-01-01T00:00:00Z" },
		"expires number":          func(m map[string]any) { sd(m)["expires"] = json.Number("5") },
		"expires null":            func(m map[string]any) { sd(m)["expires"] = nil },
		"version 0":               func(m map[string]any) { sd(m)["version"] = json.Number("0") },
		"version huge":            func(m map[string]any) { sd(m)["version"] = json.Number("9223372036854775807") },
		"version too big":         func(m map[string]any) { sd(m)["version"] = json.Number("9223372036854775808") },
		"version string":          func(m map[string]any) { sd(m)["version"] = "3" },
		"Version too":             func(m map[string]any) { sd(m)["Version"] = json.Number("5") },
		"spec 2":                  func(m map[string]any) { sd(m)["spec_version"] = "2.0.0" },
		"spec null":               func(m map[string]any) { sd(m)["spec_version"] = nil },
		"type targets":            func(m map[string]any) { sd(m)["_type"] = "targets" },
		"_TYPE":                   func(m map[string]any) { sd(m)["_TYPE"] = "root" },
		"custom field": func(m map[string]any) {
			sd(m)["x-custom"] = map[string]any{"a": []any{"b", json.Number("1"), true, nil}}
		},
		"custom null":           func(m map[string]any) { sd(m)["x-custom"] = nil },
		"Signed too":            func(m map[string]any) { m["Signed"] = sd(m) },
		"top-level custom":      func(m map[string]any) { m["x-top"] = "hi" },
		"SIGNATURES":            func(m map[string]any) { m["SIGNATURES"] = []any{} },
		"signatures null":       func(m map[string]any) { m["signatures"] = nil },
		"signature extra field": func(m map[string]any) { m["signatures"].([]any)[0].(map[string]any)["x"] = "y" },
		"signature Sig too": func(m map[string]any) {
			m["signatures"].([]any)[0].(map[string]any)["Sig"] = "00"
		},
		"signature not hex": func(m map[string]any) { m["signatures"].([]any)[0].(map[string]any)["sig"] = "zz" },
		"signature upper hex": func(m map[string]any) {
			s := m["signatures"].([]any)[0].(map[string]any)
			s["sig"] = strings.ToUpper(s["sig"].(string))
		},
		"signature long": func(m map[string]any) {
			m["signatures"].([]any)[0].(map[string]any)["sig"] = hex.EncodeToString(make([]byte, maxSigLength+1))
		},
		"extra role": func(m map[string]any) {
			sd(m)["roles"].(map[string]any)["mirrors"] = role(m, "root")
		},
		"Root role too":     func(m map[string]any) { sd(m)["roles"].(map[string]any)["Root"] = role(m, "root") },
		"missing role":      func(m map[string]any) { delete(sd(m)["roles"].(map[string]any), "snapshot") },
		"null role":         func(m map[string]any) { sd(m)["roles"].(map[string]any)["snapshot"] = nil },
		"string role":       func(m map[string]any) { sd(m)["roles"].(map[string]any)["snapshot"] = "x" },
		"threshold 0":       func(m map[string]any) { role(m, "root")["threshold"] = json.Number("0") },
		"threshold float":   func(m map[string]any) { role(m, "root")["threshold"] = json.Number("1.0") },
		"threshold exp":     func(m map[string]any) { role(m, "root")["threshold"] = json.Number("1e0") },
		"threshold huge":    func(m map[string]any) { role(m, "root")["threshold"] = json.Number("99999999999999999999") },
		"threshold null":    func(m map[string]any) { role(m, "root")["threshold"] = nil },
		"threshold missing": func(m map[string]any) { delete(role(m, "root"), "threshold") },
		"Threshold too":     func(m map[string]any) { role(m, "root")["Threshold"] = json.Number("1") },
		"threshold above":   func(m map[string]any) { role(m, "root")["threshold"] = json.Number("40") },
		"keyids null":       func(m map[string]any) { role(m, "root")["keyids"] = nil },
		"keyids missing":    func(m map[string]any) { delete(role(m, "root"), "keyids") },
		"keyids number":     func(m map[string]any) { role(m, "root")["keyids"] = []any{json.Number("1")} },
		"KeyIDs too":        func(m map[string]any) { role(m, "root")["KeyIDs"] = []any{} },
		"role key twice": func(m map[string]any) {
			r := role(m, "root")
			r["keyids"] = append(r["keyids"].([]any), r["keyids"].([]any)[0])
		},
		"role key unknown":   func(m map[string]any) { role(m, "root")["keyids"] = []any{strings.Repeat("ab", 32)} },
		"role without keys":  func(m map[string]any) { role(m, "root")["keyids"] = []any{} },
		"role extra field":   func(m map[string]any) { role(m, "root")["x-note"] = "hi" },
		"key extra field":    func(m map[string]any) { _, k := firstKey(m); k["x-note"] = "hi" },
		"key Scheme too":     func(m map[string]any) { _, k := firstKey(m); k["Scheme"] = k["scheme"] },
		"key KEYVAL too":     func(m map[string]any) { _, k := firstKey(m); k["KEYVAL"] = k["keyval"] },
		"keyval Public too":  func(m map[string]any) { _, k := firstKey(m); k["keyval"].(map[string]any)["Public"] = "x" },
		"keyval extra field": func(m map[string]any) { _, k := firstKey(m); k["keyval"].(map[string]any)["private"] = "" },
		"key scheme null":    func(m map[string]any) { _, k := firstKey(m); k["scheme"] = nil },
		"key keyval string":  func(m map[string]any) { _, k := firstKey(m); k["keyval"] = "x" },
		"key public null":    func(m map[string]any) { _, k := firstKey(m); k["keyval"].(map[string]any)["public"] = nil },
		"key null":           func(m map[string]any) { id, _ := firstKey(m); sd(m)["keys"].(map[string]any)[id] = nil },
		"key ID mismatch": func(m map[string]any) {
			id, k := firstKey(m)
			delete(sd(m)["keys"].(map[string]any), id)
			sd(m)["keys"].(map[string]any)[id+"00"] = k
		},
		"keys null":    func(m map[string]any) { sd(m)["keys"] = nil },
		"no keys":      func(m map[string]any) { delete(sd(m), "keys") },
		"float custom": func(m map[string]any) { sd(m)["x-f"] = json.Number("1.5") },
		// Go's decoder reads custom fields into float64, which holds
		// integers exactly only up to 2^53.
		"custom 2^53+1":     func(m map[string]any) { sd(m)["x-n"] = json.Number("9007199254740993") },
		"custom -(2^53+1)":  func(m map[string]any) { sd(m)["x-n"] = json.Number("-9007199254740993") },
		"custom 2^53":       func(m map[string]any) { sd(m)["x-n"] = json.Number("9007199254740992") },
		"custom 2^62":       func(m map[string]any) { sd(m)["x-n"] = json.Number("4611686018427387904") },
		"custom max int64":  func(m map[string]any) { sd(m)["x-n"] = json.Number("9223372036854775807") },
		"custom min int64":  func(m map[string]any) { sd(m)["x-n"] = json.Number("-9223372036854775808") },
		"custom minus zero": func(m map[string]any) { sd(m)["x-n"] = json.Number("-0") },
		"custom nested big": func(m map[string]any) { sd(m)["x-n"] = []any{map[string]any{"a": json.Number("12345678901234567")}} },
		"role custom big":   func(m map[string]any) { role(m, "root")["x-n"] = json.Number("12345678901234567") },
		"key custom big":    func(m map[string]any) { _, k := firstKey(m); k["x-n"] = json.Number("12345678901234567") },
		"keyval custom big": func(m map[string]any) {
			_, k := firstKey(m)
			k["keyval"].(map[string]any)["x-n"] = json.Number("12345678901234567")
		},
		"threshold 2^53+1":    func(m map[string]any) { role(m, "root")["threshold"] = json.Number("9007199254740993") },
		"version 2^53+1":      func(m map[string]any) { sd(m)["version"] = json.Number("9007199254740993") },
		"unicode key name":    func(m map[string]any) { sd(m)["ſpec_version"] = "1.0" },
		"kelvin key name":     func(m map[string]any) { _, k := firstKey(m); k["\u212aeyval"] = k["keyval"] },
		"escaped member name": func(m map[string]any) { sd(m)["x-\u2028"] = "x" },
	}
	for name, mod := range variants {
		m := base()
		mod(m)
		data, err := cjson.EncodePretty(m)
		if err != nil {
			// A variant the encoder refuses (a float) goes in raw.
			data, err = json.Marshal(m)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		out["variant/"+name] = data
	}
	out["raw/duplicate JSON key"] = bytes.Replace(baseData, []byte(`"_type": "root",`), []byte(`"_type": "root", "_type": "root",`), 1)
	out["raw/trailing data"] = append(slices.Clone(baseData), " {}"...)
	out["raw/not an object"] = []byte(`[1]`)
	out["raw/empty"] = nil
	out["raw/escaped field names"] = bytes.Replace(baseData, []byte(`"version"`), []byte(`"\u0076ersion"`), 1)
	return out
}

// TestParseAgreesWithTypedModel holds Parse to the typed-model parser it
// replaced, on every corpus file.
func TestParseAgreesWithTypedModel(t *testing.T) {
	accepted := 0
	corpus := modelCorpus(t)
	for name, data := range corpus {
		t.Run(name, func(t *testing.T) {
			if compareWithReference(t, data) {
				accepted++
			}
		})
	}
	if accepted < 20 {
		t.Fatalf("only %d of %d corpus files parsed; the corpus lost its valid roots", accepted, len(corpus))
	}
}

// FuzzParseAgreesWithTypedModel checks the same on arbitrary input.
func FuzzParseAgreesWithTypedModel(f *testing.F) {
	for _, data := range modelCorpus(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { compareWithReference(t, data) })
}

// TestCheckModelRefusesAmbiguousSigned checks the lazy model check itself
// on signed objects Parse would have refused: a root whose model disagrees
// can be read but not written out or rotated.
func TestCheckModelRefusesAmbiguousSigned(t *testing.T) {
	data, err := os.ReadFile(sharedtestdata.Path(t, "prod", "5.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(map[string]any){
		"threshold string": func(s map[string]any) {
			s["roles"].(map[string]any)["root"].(map[string]any)["threshold"] = "1"
		},
		"no consistent_snapshot": func(s map[string]any) { delete(s, "consistent_snapshot") },
		"long expires":           func(s map[string]any) { s["expires"] = "2030-01-01T00:00:00.500Z" },
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			mod(r.signed)
			if r.payload, err = cjson.EncodeCanonical(r.signed); err != nil {
				t.Fatal(err)
			}
			_, errFile := r.MarshalFile()
			_, errNext := r.Next(Rotation{Expires: r.Expires()})
			for _, err := range []error{errFile, errNext} {
				if err == nil || !strings.Contains(err.Error(), "can be verified but not edited or written out") {
					t.Fatalf("error %v, want the model check's refusal", err)
				}
			}
		})
	}
}

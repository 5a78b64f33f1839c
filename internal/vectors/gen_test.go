package vectors

// The corpus generator. Every case is built from correct metadata signed
// over canonical JSON, then mutated the way an attacker or a broken tool
// would. TestCorpusUpToDate compares the output with testdata/vectors;
// `go test ./internal/vectors -update` rewrites it.

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"path"
	"sort"
	"strings"
	"testing"
	"time"
)

var (
	refTime = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	future  = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	past    = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
)

// genCase is one generated case: its manifest and files.
type genCase struct {
	c     Case
	files map[string][]byte
}

type corpus struct {
	t     *testing.T
	cases map[string]*genCase
}

// keyset holds the generator's named keys.
type keyset struct {
	a, b, c, d, e, f, t, s, m, x *tkey
}

func newKeyset() keyset {
	return keyset{
		a: edKey("root-a"), b: edKey("root-b"), c: edKey("root-c"),
		d: edKey("root-d"), e: edKey("root-e"), f: edKey("root-f"),
		t: edKey("targets"), s: edKey("snapshot"), m: edKey("timestamp"),
		x: edKey("stranger"),
	}
}

// base is a 2-of-3 root over a, b, c with single online keys.
func (k keyset) base(version int, expires time.Time) rootSpec {
	return rootSpec{
		version: version, expires: expires,
		root:    role{keys: []*tkey{k.a, k.b, k.c}, threshold: 2},
		targets: role{keys: []*tkey{k.t}, threshold: 1},
		snap:    role{keys: []*tkey{k.s}, threshold: 1},
		ts:      role{keys: []*tkey{k.m}, threshold: 1},
	}
}

// rotated is base with the root keys replaced by d, e, f.
func (k keyset) rotated(version int, expires time.Time) rootSpec {
	s := k.base(version, expires)
	s.root = role{keys: []*tkey{k.d, k.e, k.f}, threshold: 2}
	return s
}

func (cp *corpus) add(c Case, files map[string][]byte) {
	cp.t.Helper()
	if _, dup := cp.cases[c.Name]; dup {
		cp.t.Fatalf("duplicate case %s", c.Name)
	}
	if c.At.IsZero() {
		c.At = refTime
	}
	cp.cases[c.Name] = &genCase{c: c, files: files}
}

// chain adds a chain case; files are given in order, the first is the
// trusted root.
func (cp *corpus) chain(name, expect, reason, gotuf string, advisories []string, names []string, files ...[]byte) {
	cp.t.Helper()
	if len(names) != len(files) {
		cp.t.Fatalf("case %s: %d names for %d files", name, len(names), len(files))
	}
	m := map[string][]byte{}
	for i, n := range names {
		m[n] = files[i]
	}
	cp.add(Case{
		Name: name, Kind: KindChain, Expect: expect, Reason: reason, GoTUF: gotuf,
		Trusted: names[0], Steps: names[1:], Advisories: advisories,
	}, m)
}

// names returns "1.root.json", "2.root.json", ... for n files starting at v.
func rootNames(v, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf("%d.root.json", v+i))
	}
	return out
}

// replaceOnce replaces exactly one occurrence of old, or fails.
func replaceOnce(t *testing.T, data []byte, old, new string) []byte {
	t.Helper()
	if n := bytes.Count(data, []byte(old)); n != 1 {
		t.Fatalf("replaceOnce: %q occurs %d times", old, n)
	}
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}

// reformat writes v as JSON with every object's keys in reverse order and
// tab indentation: same JSON value, different bytes.
func reformat(t *testing.T, data []byte, minify bool) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var write func(v any, depth int)
	nl := func(depth int) {
		if !minify {
			buf.WriteString("\r\n" + strings.Repeat("\t", depth))
		}
	}
	write = func(v any, depth int) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Sort(sort.Reverse(sort.StringSlice(keys)))
			buf.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					buf.WriteByte(',')
				}
				nl(depth + 1)
				kb, _ := json.Marshal(k)
				buf.Write(kb)
				buf.WriteByte(':')
				if !minify {
					buf.WriteString("  ")
				}
				write(v[k], depth+1)
			}
			if len(keys) > 0 {
				nl(depth)
			}
			buf.WriteByte('}')
		case []any:
			buf.WriteByte('[')
			for i, e := range v {
				if i > 0 {
					buf.WriteByte(',')
				}
				nl(depth + 1)
				write(e, depth+1)
			}
			if len(v) > 0 {
				nl(depth)
			}
			buf.WriteByte(']')
		default:
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(b)
		}
	}
	write(v, 0)
	return buf.Bytes()
}

func generate(t *testing.T) map[string]*genCase {
	cp := &corpus{t: t, cases: map[string]*genCase{}}
	k := newKeyset()
	chainCases(t, cp, k)
	keyCases(t, cp, k)
	encodingCases(t, cp, k)
	repositoryCases(t, cp, k)
	return cp.cases
}

// ---- chains, thresholds and versions ----

func chainCases(t *testing.T, cp *corpus, k keyset) {
	v1 := k.base(1, future).md().sign(k.a, k.b).file()
	v2 := k.base(2, future).md().sign(k.a, k.b).file()
	n2 := rootNames(1, 2)

	cp.chain("valid-bootstrap", Valid,
		"a 2-of-3 root signed by two of its keys is trusted", "agree", nil,
		rootNames(1, 1), v1)
	cp.chain("valid-rotation-same-keys", Valid,
		"v2 signed by a threshold of v1's keys, which are also its own", "agree", nil,
		n2, v1, v2)
	cp.chain("valid-rotation-new-keys", Valid,
		"v2 replaces every root key and is signed by two old and two new keys", "agree", nil,
		n2, v1, k.rotated(2, future).md().sign(k.a, k.b, k.d, k.e).file())
	cp.chain("valid-unknown-signer-ignored", Valid,
		"a signature under a key ID the root does not list is ignored", "agree", nil,
		rootNames(1, 1), k.base(1, future).md().sign(k.x, k.a, k.b).file())
	cp.chain("valid-bad-extra-signature-ignored", Valid,
		"a wrong signature from a listed key does not fail a root that meets its threshold", "agree", nil,
		rootNames(1, 1), k.base(1, future).md().sign(k.a, k.b).addSig(k.c.id, hex.EncodeToString(k.c.sign([]byte("other")))).file())

	// Duplicate signatures: the same key's signature entry twice.
	dup := k.base(2, future).md().sign(k.a)
	dup.sigs = append(dup.sigs, dup.sigs[0])
	cp.chain("dup-signature-entries", Parse,
		"two signature entries under one key ID: rejected, never counted twice", "agree",
		[]string{"GHSA-pwqf-9h7j-7mv8", "GHSA-5q2r-92f9-4m49"}, n2, v1, dup.file())

	// One key listed under two key IDs, signing under both. Counting key
	// IDs would meet the threshold of 2; counting keys gives 1.
	alias := k.a.withID(keyID(obj{"alias-of": k.a.id}))
	s := k.base(1, future)
	s.root = role{keys: []*tkey{k.a, alias, k.b}, threshold: 2}
	aliasV1 := s.md().sign(k.a, alias).file()
	cp.chain("one-key-two-keyids", Threshold,
		"one public key under two key IDs signs under both: one key, below the threshold of 2", "agree",
		[]string{"GHSA-3633-5h82-39pq"}, rootNames(1, 1), aliasV1)
	// The same, counted for the previous root's threshold in a rotation.
	cp.chain("one-key-two-keyids-previous", Threshold,
		"v1 lists one key under two key IDs; v2 signed under both meets v1's threshold of 2 only if key IDs are counted", "agree",
		[]string{"GHSA-3633-5h82-39pq"}, n2, s.md().sign(k.a, k.b).file(), func() []byte {
			next := k.base(2, future)
			next.root = role{keys: []*tkey{k.a, k.b, k.c}, threshold: 1}
			return next.md().sign(k.a, alias).file()
		}())

	upper := k.a.withID(strings.ToUpper(k.a.id))
	s = k.base(1, future)
	s.root = role{keys: []*tkey{k.a, upper, k.b}, threshold: 2}
	cp.chain("keyids-differ-in-case", Threshold,
		"one key under a key ID and its upper-case spelling counts once", "agree",
		[]string{"GHSA-3633-5h82-39pq"}, rootNames(1, 1), s.md().sign(k.a, upper).file())

	// One ECDSA key under both keytype spellings.
	p1, p2 := ecKey("root-p", "ecdsa"), ecKey("root-p", "ecdsa-sha2-nistp256")
	if p1.id == p2.id {
		t.Fatal("keytype spellings gave one key ID")
	}
	s = k.base(1, future)
	s.root = role{keys: []*tkey{p1, p2, k.b}, threshold: 2}
	cp.chain("one-key-two-keytypes", Threshold,
		"one ECDSA key as keytype ecdsa and ecdsa-sha2-nistp256 signs under both: one key, below the threshold of 2", "agree",
		[]string{"go-tuf#733", "python-tuf#920"}, rootNames(1, 1), s.md().sign(p1, p2).file())
	s = k.base(1, future)
	s.root = role{keys: []*tkey{p1, p2, k.b}, threshold: 2}
	cp.chain("one-key-two-keytypes-valid", Valid,
		"both keytype spellings of ECDSA P-256 are accepted; with a second key the threshold is met", "agree",
		nil, rootNames(1, 1), s.md().sign(p2, k.b).file())

	// Thresholds.
	for _, tc := range []struct {
		name string
		thr  int
	}{{"threshold-zero", 0}, {"threshold-negative", -1}} {
		s = k.base(1, future)
		s.root.threshold = tc.thr
		cp.chain(tc.name, Parse,
			fmt.Sprintf("an unsigned root with root threshold %d must not be trusted: thresholds are at least 1", tc.thr),
			"agree", []string{"GHSA-fphv-w9fq-2525"}, rootNames(1, 1), s.md().file())
	}
	s = k.base(2, future)
	s.root.threshold = 4
	cp.chain("threshold-above-key-count", Threshold,
		"a root threshold of 4 over 3 keys can never be met, even with all three signatures", "agree", nil,
		n2, v1, s.md().sign(k.a, k.b, k.c).file())
	s = k.base(2, future)
	s.root = role{keys: []*tkey{k.a, k.a, k.b}, threshold: 2}
	cp.chain("duplicate-keyid-in-role", Parse,
		"a role lists one key ID twice, so one key could look like two: the file is malformed",
		"stricter: go-tuf accepts the role and counts the key once",
		nil, n2, v1, s.md().sign(k.a, k.b).file())
	s = k.base(2, future)
	s.root = role{keys: []*tkey{k.a, k.b, k.c.withID(keyID(obj{"missing": true}))}, threshold: 2}
	m := s.md()
	delete(m.signed["keys"].(obj), keyID(obj{"missing": true}))
	cp.chain("role-keyid-not-listed", Parse,
		"the root role names a key ID that is not in keys", "agree", nil,
		n2, v1, m.sign(k.a, k.b).file())

	// Versions.
	cp.chain("version-skip", Version,
		"v1 to v3: the next root must be exactly version 2", "agree",
		[]string{"tough-load_root-exact-version"}, []string{"1.root.json", "3.root.json"},
		v1, k.base(3, future).md().sign(k.a, k.b).file())
	cp.chain("version-equal", Version,
		"a different, validly signed version 1 offered after version 1", "agree", nil,
		[]string{"1.root.json", "1b.root.json"}, v1, k.base(1, future.AddDate(1, 0, 0)).md().sign(k.a, k.b).file())
	cp.chain("version-rollback", Version,
		"version 1 offered to a client that trusts version 2", "agree",
		[]string{"GHSA-66x3-6cw3-v5gj"}, []string{"2.root.json", "1.root.json"}, v2, v1)
	cp.chain("version-zero", Parse,
		"version numbers start at 1", "stricter: go-tuf does not check that the version is at least 1", nil,
		[]string{"0.root.json"}, k.base(0, future).md().sign(k.a, k.b).file())

	// Rotations.
	cp.chain("rotation-only-old-keys", Threshold,
		"v2 with new root keys signed only by v1's keys lacks its own threshold", "agree",
		[]string{"CVE-2020-15163"}, n2, v1, k.rotated(2, future).md().sign(k.a, k.b, k.c).file())
	cp.chain("rotation-only-new-keys", Threshold,
		"v2 signed only by its own new keys lacks v1's threshold", "agree",
		[]string{"CVE-2020-15163"}, n2, v1, k.rotated(2, future).md().sign(k.d, k.e, k.f).file())
	cp.chain("rotation-old-threshold-short", Threshold,
		"v2 signed by one old key and two new ones: v1's threshold of 2 is not met", "agree", nil,
		n2, v1, k.rotated(2, future).md().sign(k.a, k.d, k.e).file())
	v1sig := k.base(1, future).md().sign(k.b).sigs[0]
	cp.chain("signature-replayed-from-v1", Threshold,
		"b's signature over v1 copied into v2 does not verify over v2", "agree", nil,
		n2, v1, k.base(2, future).md().sign(k.a).addSig(v1sig.KeyID, v1sig.Sig).file())

	// Expiry.
	cp.chain("expired-final", Expired,
		"the last root of the chain expired before the reference time", "agree", nil,
		n2, v1, k.base(2, past).md().sign(k.a, k.b).file())
	cp.chain("expired-intermediate", Valid,
		"an expired intermediate root does not matter when the final root is current", "agree", nil,
		rootNames(1, 3), v1, k.base(2, past).md().sign(k.a, k.b).file(), k.base(3, future).md().sign(k.a, k.b).file())
	cp.chain("expired-trusted-then-fresh", Valid,
		"the trusted root may be expired if the chain leads to a current one", "agree", nil,
		n2, k.base(1, past).md().sign(k.a, k.b).file(), v2)
	cp.chain("expired-trusted-only", Expired,
		"an expired root with nothing newer is not trusted", "agree", nil,
		rootNames(1, 1), k.base(1, past).md().sign(k.a, k.b).file())

	// Signature encodings.
	cp.chain("signature-empty-ignored", Valid,
		"an empty placeholder signature is ignored when the threshold is met", "agree", nil,
		rootNames(1, 1), k.base(1, future).md().sign(k.a, k.b).addSig(k.c.id, "").file())
	cp.chain("signature-empty-needed", Threshold,
		"an empty placeholder never counts", "agree", nil,
		rootNames(1, 1), k.base(1, future).md().sign(k.a).addSig(k.b.id, "").file())
	cp.chain("signature-not-hex", Parse,
		"a signature that is not hex is malformed", "agree", nil,
		rootNames(1, 1), k.base(1, future).md().sign(k.a, k.b).addSig(k.c.id, "zz-not-hex").file())
	tr := k.base(1, future).md().sign(k.a, k.b)
	tr.sigs[1].Sig = tr.sigs[1].Sig[:64]
	cp.chain("signature-truncated", Threshold,
		"a truncated signature does not verify and does not count", "agree", nil,
		rootNames(1, 1), tr.file())

	// ECDSA signatures must be ASN.1 DER; the same signature as raw r||s
	// (IEEE P1363) does not count.
	pk := ecKey("root-q", "ecdsa")
	s = k.base(1, future)
	s.root = role{keys: []*tkey{k.a, pk, k.b}, threshold: 2}
	pm := s.md().sign(k.a, pk)
	pm.sigs[1].Sig = hex.EncodeToString(derToP1363(t, mustHex(t, pm.sigs[1].Sig)))
	cp.chain("signature-ecdsa-p1363", Threshold,
		"an ECDSA signature as raw r||s instead of ASN.1 DER does not count",
		"stricter: go-tuf's sigstore verifier also accepts IEEE P1363 signatures", nil,
		rootNames(1, 1), pm.file())

	// Key IDs that are not the hash of their key are accepted (real roots
	// have them) and reported as warnings.
	s = k.base(1, future)
	s.root = role{keys: []*tkey{k.a.withID(keyID(obj{"legacy-id": "a"})), k.b.withID(keyID(obj{"legacy-id": "b"})), k.c}, threshold: 2}
	cp.chain("keyid-not-content-hash", Valid,
		"key IDs that are not the SHA-256 of their key object are accepted, with a warning, as Sigstore's v11 needs", "agree", nil,
		rootNames(1, 1), s.md().sign(s.root.keys[0], s.root.keys[1]).file())

	// Expiry spellings: an offset and a fraction, signed as written, are
	// accepted; a fraction with a trailing zero, which Go's time encoding
	// cannot reproduce, makes a document whose meaning depends on the
	// decoder.
	em := k.base(1, future).md()
	em.signed["expires"] = "2029-12-31T18:00:00.99008-06:00"
	cp.chain("expires-offset-fraction", Valid,
		"expires with a UTC offset and a fraction, as Sigstore's v1 to v3 use, is read as written", "agree", nil,
		rootNames(1, 1), em.sign(k.a, k.b).file())
	em = k.base(1, future).md()
	em.signed["expires"] = "2029-12-31T00:00:00.500Z"
	cp.chain("expires-trailing-zero-fraction", Parse,
		"expires .500Z does not survive Go's metadata model (it becomes .5Z), so the signed bytes are ambiguous", "agree", nil,
		rootNames(1, 1), em.sign(k.a, k.b).file())

	// Custom fields everywhere are signed and kept.
	cm := k.base(1, future).md()
	cm.signed["x-custom"] = obj{"nested": []any{1, "two", true, nil}}
	cm.signed["roles"].(obj)["root"].(obj)["x-role-note"] = "kept"
	for id, ko := range cm.signed["keys"].(obj) {
		o := obj{}
		for f, v := range ko.(obj) {
			o[f] = v
		}
		o["x-tuf-on-ci-keyowner"] = "@holder"
		cm.signed["keys"].(obj)[id] = o
	}
	cp.chain("custom-fields-everywhere", Valid,
		"unknown fields on signed, roles and keys are covered by the signatures and keep them valid", "agree", nil,
		rootNames(1, 1), cm.sign(k.a, k.b).file())
}

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// derToP1363 converts an ASN.1 DER ECDSA P-256 signature to r||s.
func derToP1363(t *testing.T, der []byte) []byte {
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	rs.R.FillBytes(out[:32])
	rs.S.FillBytes(out[32:])
	return out
}

// ---- keys ----

func keyCases(t *testing.T, cp *corpus, k keyset) {
	// A key that cannot be used is kept (the file stays valid and the
	// other keys' signatures count) but never counts itself.
	bad := func(name, reason, gotuf string, key *tkey) {
		s := k.base(1, future)
		s.root = role{keys: []*tkey{k.a, k.b, key}, threshold: 2}
		cp.chain(name, Valid, reason+": kept, and two other keys meet the threshold",
			"lenient: go-tuf refuses a root whose role lists a key it cannot decode; trustroot keeps the key, never counts it and warns",
			nil, rootNames(1, 1), s.md().sign(k.a, k.b).file())
		s = k.base(1, future)
		s.root = role{keys: []*tkey{k.a, k.b, key}, threshold: 2}
		m := s.md().sign(k.a).addSig(key.id, strings.Repeat("01", 64))
		cp.chain(name+"-never-counts", Threshold, reason+": a signature under it never counts", gotuf, nil, rootNames(1, 1), m.file())
	}
	bad("key-hex-undecodable", "an ed25519 public key that is not hex", "agree",
		rawKey("bad-hex", obj{"keytype": "ed25519", "scheme": "ed25519", "keyval": obj{"public": strings.Repeat("zz", 32)}}))
	bad("key-pem-undecodable", "an ECDSA public key whose PEM body is not a key", "agree",
		rawKey("bad-pem", obj{"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256",
			"keyval": obj{"public": "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n"}}))
	bad("key-ecdsa-off-curve", "an ECDSA P-256 point that is not on the curve", "agree",
		rawKey("off-curve", obj{"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": obj{"public": offCurvePEM("root-p")}}))
	pub := k.c.obj["keyval"].(obj)["public"].(string)
	bad("key-ed25519-short", "an Ed25519 public key of 31 bytes", "agree",
		rawKey("short", obj{"keytype": "ed25519", "scheme": "ed25519", "keyval": obj{"public": pub[:62]}}))
	bad("key-ed25519-long", "an Ed25519 public key of 33 bytes", "agree",
		rawKey("long", obj{"keytype": "ed25519", "scheme": "ed25519", "keyval": obj{"public": pub + "00"}}))
	bad("key-ed25519-as-ecdsa", "an Ed25519 key labelled keytype ecdsa", "agree",
		rawKey("mislabelled", obj{"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": obj{"public": pub}}))

	bad("key-ecdsa-hex-undecodable", "a hex ECDSA public key that is not hex", "agree",
		rawKey("bad-ec-hex", obj{"keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256", "keyval": obj{"public": "04" + strings.Repeat("zz", 64)}}))

	// A legacy hex-encoded ECDSA key (uncompressed point), as Sigstore's
	// first roots use, signing for real.
	ep := ecPriv("root-hex")
	point, err := ep.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	hexKey := newKey("root-hex", obj{
		"keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256",
		"keyval": obj{"public": hex.EncodeToString(point)},
	}, ecSign(ep))
	hs := k.base(1, future)
	hs.root = role{keys: []*tkey{k.a, hexKey, k.b}, threshold: 2}
	cp.chain("key-ecdsa-hex-legacy", Valid,
		"a hex-encoded ECDSA P-256 key (Sigstore's v1 form) verifies its signature",
		"lenient: go-tuf v2 reads ECDSA keys only as PEM, so it cannot use this key", nil,
		rootNames(1, 1), hs.md().sign(k.a, hexKey).file())

	weak := rsaKey(t, "rsa-1024", 1024)
	s := k.base(1, future)
	s.root = role{keys: []*tkey{k.a, weak, k.b}, threshold: 2}
	cp.chain("key-rsa-1024", Threshold,
		"an RSA root key of 1024 bits is too weak to count",
		"stricter: go-tuf accepts RSA keys of any size", nil,
		rootNames(1, 1), s.md().sign(k.a, weak).file())
}

// ---- JSON encodings ----

func encodingCases(t *testing.T, cp *corpus, k keyset) {
	v1 := k.base(1, future).md().sign(k.a, k.b).file()
	cp.chain("canonical-reordered", Valid,
		"keys in reverse order, tabs and CRLF: signatures cover canonical JSON, not file bytes", "agree", nil,
		rootNames(1, 1), reformat(t, v1, false))
	cp.chain("canonical-minified", Valid,
		"the same root without whitespace", "agree", nil,
		rootNames(1, 1), reformat(t, v1, true))
	cp.chain("canonical-unicode-escapes", Valid,
		`"_type": "\u0072oot" is the string "root"; its canonical form has no escape`, "agree", nil,
		rootNames(1, 1), replaceOnce(t, v1, `"_type": "root"`, `"_type": "\u0072oot"`))

	v2 := k.base(2, future).md().sign(k.a, k.b).file()
	cp.chain("duplicate-json-keys", Parse,
		"signed holds \"version\" twice; parsers disagree on which one counts",
		"stricter: go-tuf's encoding/json silently keeps the last value", nil,
		rootNames(1, 2), v1, replaceOnce(t, v2, `"signed": {`, `"signed": {`+"\n    \"version\": 7,"))
	bogus := k.base(2, future).md().sign(k.x).file()
	bogusSigned := bogus[bytes.Index(bogus, []byte(`"signed": `))+len(`"signed": `) : len(bogus)-2]
	cp.chain("duplicate-json-keys-signed", Parse,
		"the file holds two \"signed\" objects; which one the signatures cover depends on the parser",
		"stricter: go-tuf's encoding/json silently keeps the last value", nil,
		rootNames(1, 2), v1, replaceOnce(t, v2, `"signed": {`, `"signed": `+string(bogusSigned)+",\n  \"signed\": {"))

	// "Version" is signed; the file lists it after "version", so a
	// case-insensitive, last-wins decoder (Go's encoding/json) reads 3
	// where a case-sensitive one reads 2.
	s := k.base(2, future).md()
	s.signed["Version"] = 3
	caseFile := s.sign(k.a, k.b).file()
	caseFile = replaceOnce(t, caseFile, "\n    \"Version\": 3,", "")
	caseFile = replaceOnce(t, caseFile, "\"version\": 2\n", "\"version\": 2,\n    \"Version\": 3\n")
	cp.chain("json-keys-differ-in-case", Parse,
		"signed holds \"version\": 2 and, after it, \"Version\": 3; a case-insensitive decoder reads 3",
		"agree", nil, rootNames(1, 2), v1, caseFile)

	cp.chain("wrong-type", Parse, "_type targets in a root file", "agree", nil,
		rootNames(1, 1), func() []byte {
			m := k.base(1, future).md()
			m.signed["_type"] = "targets"
			return m.sign(k.a, k.b).file()
		}())
	cp.chain("wrong-type-case", Parse, "_type Root is not root", "agree", nil,
		rootNames(1, 1), func() []byte { m := k.base(1, future).md(); m.signed["_type"] = "Root"; return m.sign(k.a, k.b).file() }())
	cp.chain("spec-version-major-2", Parse, "spec_version 2.0.0 is a version of TUF this client does not speak",
		"stricter: go-tuf does not check spec_version", nil,
		rootNames(1, 1), func() []byte {
			m := k.base(1, future).md()
			m.signed["spec_version"] = "2.0.0"
			return m.sign(k.a, k.b).file()
		}())
	cp.chain("number-for-string", Parse, "spec_version is the number 1, not a string", "agree", nil,
		rootNames(1, 1), func() []byte {
			m := k.base(1, future).md()
			m.signed["spec_version"] = 1
			return m.sign(k.a, k.b).file()
		}())
	cp.chain("string-for-number", Parse, "version is the string \"1\", not a number", "agree", nil,
		rootNames(1, 1), func() []byte { m := k.base(1, future).md(); m.signed["version"] = "1"; return m.sign(k.a, k.b).file() }())
	cp.chain("missing-role", Parse, "a root without a timestamp role",
		"stricter: go-tuf only looks up the roles it uses", nil,
		rootNames(1, 1), func() []byte {
			m := k.base(1, future).md()
			delete(m.signed["roles"].(obj), "timestamp")
			return m.sign(k.a, k.b).file()
		}())

	// Deep nesting inside a custom field that the signatures cover.
	deep := k.base(1, future).md()
	deep.signed["x-deep"] = "PLACEHOLDER"
	deepFile := deep.sign(k.a, k.b).file()
	const depth = 20000
	cp.chain("deeply-nested", Parse, fmt.Sprintf("a custom field nested %d arrays deep", depth), "agree", nil,
		rootNames(1, 1), replaceOnce(t, deepFile, `"PLACEHOLDER"`, strings.Repeat("[", depth)+strings.Repeat("]", depth)))

	big := k.base(1, future).md()
	big.signed["x-padding"] = strings.Repeat("A", 600<<10)
	cp.chain("very-large", Parse, "a validly signed root of 600 KiB, over the 512 KiB bound",
		"stricter: go-tuf bounds root size only in its updater's download (512000 bytes), not in trustedmetadata", nil,
		rootNames(1, 1), big.sign(k.a, k.b).file())

	// Non-UTF-8: signed over U+FFFD, the file holds raw 0xff bytes that
	// a lenient decoder turns into U+FFFD.
	nu := k.base(1, future).md()
	nu.signed["x-note"] = "\ufffd\ufffd"
	nuFile := nu.sign(k.a, k.b).file()
	cp.chain("non-utf8", Parse, "a string holding bytes that are not UTF-8",
		"stricter: go-tuf's encoding/json replaces invalid bytes with U+FFFD and the signatures then verify", nil,
		rootNames(1, 1), replaceOnce(t, nuFile, "\"\ufffd\ufffd\"", "\"\xff\xfe\""))
}

// ---- repositories: targets and delegations ----

type repo struct {
	root      *md
	targets   *md
	delegated map[string]*md
	order     []string
	// snapshotMeta overrides entries of the snapshot meta.
	snapshotMeta obj
	tsExpires    time.Time
	snapExpires  time.Time
	// tsHashOf, when set, is hashed into the timestamp's snapshot entry
	// instead of the snapshot file.
	tsHashOf []byte
	// tsKey signs the timestamp instead of the timestamp key.
	tsKey *tkey
	// newer are root versions 2, 3, ... the repository publishes.
	newer []*md
}

func (cp *corpus) repository(k keyset, name, expect, reason, gotuf string, advisories []string, target string, r repo) {
	cp.t.Helper()
	files := map[string][]byte{}
	names := map[string]string{}
	meta := obj{}
	for _, role := range r.order {
		f := r.delegated[role].file()
		// The snapshot names the role's file role + ".json"; the case
		// stores it under its base name, so a role name that tries to
		// leave the repository directory cannot place a file outside it.
		fn := path.Base(role) + ".json"
		files[fn] = f
		names[role] = fn
		meta[role+".json"] = metaFile(int(r.delegated[role].signed["version"].(int)), nil)
	}
	tf := r.targets.sign(k.t).file()
	files["targets.json"] = tf
	names["targets"] = "targets.json"
	meta["targets.json"] = metaFile(1, nil)
	for f, v := range r.snapshotMeta {
		meta[f] = v
	}
	snapExp := future
	if !r.snapExpires.IsZero() {
		snapExp = r.snapExpires
	}
	snap := snapshotMD(1, snapExp, meta).sign(k.s).file()
	files["snapshot.json"] = snap
	names["snapshot"] = "snapshot.json"
	tsExp := future
	if !r.tsExpires.IsZero() {
		tsExp = r.tsExpires
	}
	hashed := snap
	if r.tsHashOf != nil {
		hashed = r.tsHashOf
	}
	tsKey := k.m
	if r.tsKey != nil {
		tsKey = r.tsKey
	}
	files["timestamp.json"] = timestampMD(1, tsExp, hashed).sign(tsKey).file()
	names["timestamp"] = "timestamp.json"
	root := r.root
	if root == nil {
		root = k.base(1, future).md().sign(k.a, k.b)
	}
	files["1.root.json"] = root.file()
	var steps []string
	for i, m := range r.newer {
		fn := fmt.Sprintf("%d.root.json", i+2)
		files[fn] = m.file()
		steps = append(steps, fn)
	}
	cp.add(Case{
		Name: name, Kind: KindRepository, Expect: expect, Reason: reason, GoTUF: gotuf,
		Trusted: "1.root.json", Steps: steps, Files: names, Target: target, Advisories: advisories,
	}, files)
}

func repositoryCases(t *testing.T, cp *corpus, k keyset) {
	file := []byte("hello, world\n")
	d1, d2, d3 := edKey("delegate-1"), edKey("delegate-2"), edKey("delegate-3")
	simple := func() *md {
		return targetsMD(1, future, obj{"file.txt": targetEntry(file, obj{"sigstore": obj{"usage": "Fulcio", "status": "Active"}})}, nil)
	}
	cp.repository(k, "repo-valid", Valid, "a target listed by a correctly signed repository", "agree", nil,
		"file.txt", repo{targets: simple()})
	cp.repository(k, "repo-target-missing", NotFound, "a target the repository does not list", "agree", nil,
		"missing.txt", repo{targets: simple()})
	cp.repository(k, "repo-timestamp-expired", Expired, "the timestamp expired before the reference time", "agree", nil,
		"file.txt", repo{targets: simple(), tsExpires: past})
	cp.repository(k, "repo-targets-wrong-key", Threshold, "targets signed by a key the root does not give the targets role", "agree", nil,
		"file.txt", repo{targets: simple(), root: func() *md {
			s := k.base(1, future)
			s.targets = role{keys: []*tkey{k.x}, threshold: 1}
			s.extra = []*tkey{k.t}
			return s.md().sign(k.a, k.b)
		}()})
	cp.repository(k, "repo-snapshot-hash-mismatch", Mismatch,
		"the timestamp's hash for snapshot.json is not the hash of the file", "agree", []string{"GHSA-66x3-6cw3-v5gj"},
		"file.txt", repo{targets: simple(), tsHashOf: []byte("another snapshot")})
	cp.repository(k, "repo-snapshot-expired", Expired, "the snapshot expired before the reference time", "agree", nil,
		"file.txt", repo{targets: simple(), snapExpires: past})
	cp.repository(k, "repo-targets-expired", Expired, "the top-level targets expired before the reference time", "agree", nil,
		"file.txt", repo{targets: targetsMD(1, past, obj{"file.txt": targetEntry(file, nil)}, nil)})
	cp.repository(k, "repo-targets-version-mismatch", Version,
		"the snapshot names targets version 2, the file is version 1", "agree", []string{"GHSA-66x3-6cw3-v5gj"},
		"file.txt", repo{targets: simple(), snapshotMeta: obj{"targets.json": metaFile(2, nil)}})
	cp.repository(k, "repo-timestamp-wrong-key", Threshold, "the timestamp is signed by a key the root does not give the timestamp role", "agree", nil,
		"file.txt", repo{targets: simple(), tsKey: k.x})
	// The repository rotates its timestamp key in root v2; the new
	// timestamp is signed by the new key, which v1 does not know.
	rot := k.base(2, future)
	rot.ts = role{keys: []*tkey{k.x}, threshold: 1}
	cp.repository(k, "repo-root-rotation", Valid,
		"the client walks to root v2 in the repository before it checks the timestamp signed by v2's new key", "agree", nil,
		"file.txt", repo{targets: simple(), tsKey: k.x, newer: []*md{rot.md().sign(k.a, k.b)}})
	rot = k.base(2, future)
	rot.ts = role{keys: []*tkey{k.x}, threshold: 1}
	cp.repository(k, "repo-root-rotation-unsigned", Threshold,
		"root v2 in the repository lacks v1's threshold, so the timestamp signed by the key it introduces is not trusted", "agree", []string{"CVE-2020-15163"},
		"file.txt", repo{targets: simple(), tsKey: k.x, newer: []*md{rot.md().sign(k.a)}})

	for _, tc := range []struct{ name, path string }{
		{"target-path-traversal", "../../etc/passwd"},
		{"target-path-absolute", "/etc/passwd"},
		{"target-path-backslash", `..\..\windows\win.ini`},
	} {
		cp.repository(k, tc.name, BadTarget, fmt.Sprintf("a target named %q would escape a download directory", tc.path),
			"stricter: go-tuf's metadata layer accepts any name; its updater escapes names only when it builds a local file name",
			[]string{"CVE-2026-6968"}, tc.path,
			repo{targets: targetsMD(1, future, obj{tc.path: targetEntry(file, nil)}, nil)})
	}

	del := func(name string, keys []*tkey, thr int, paths ...string) delegation {
		return delegation{name: name, keys: keys, threshold: thr, paths: paths}
	}
	proj := func(signers ...*tkey) *md {
		return targetsMD(1, future, obj{"proj/a.txt": targetEntry(file, nil)}, nil).sign(signers...)
	}
	projRepo := func(d delegation, p *md) repo {
		return repo{
			targets:   targetsMD(1, future, obj{}, []delegation{d}),
			delegated: map[string]*md{d.name: p}, order: []string{d.name},
		}
	}
	cp.repository(k, "delegation-valid", Valid, "a 2-of-2 delegated role signed by both keys", "agree", nil,
		"proj/a.txt", projRepo(del("proj", []*tkey{d1, d2}, 2, "proj/*"), proj(d1, d2)))
	dp := proj(d1)
	dp.sigs = append(dp.sigs, dp.sigs[0])
	cp.repository(k, "delegation-dup-signature", Parse,
		"a delegated role's threshold of 2 'met' by one key's signature entry twice", "agree",
		[]string{"CVE-2026-6966", "GHSA-pwqf-9h7j-7mv8"}, "proj/a.txt",
		projRepo(del("proj", []*tkey{d1, d2}, 2, "proj/*"), dp))
	alias := d1.withID(keyID(obj{"alias-of": d1.id}))
	cp.repository(k, "delegation-one-key-two-keyids", Threshold,
		"a delegated role lists one key under two key IDs and it signs under both", "agree",
		[]string{"CVE-2026-6966", "GHSA-3633-5h82-39pq"}, "proj/a.txt",
		projRepo(del("proj", []*tkey{d1, alias}, 2, "proj/*"), proj(d1, alias)))
	cp.repository(k, "delegation-threshold-zero", Parse,
		"a delegated role with threshold 0 and no signatures", "agree",
		[]string{"GHSA-fphv-w9fq-2525"}, "proj/a.txt",
		projRepo(del("proj", []*tkey{d1}, 0, "proj/*"), proj()))
	cp.repository(k, "delegation-expired", Expired,
		"an expired delegated role is not trusted", "agree", []string{"CVE-2026-6967"}, "proj/a.txt",
		projRepo(del("proj", []*tkey{d1}, 1, "proj/*"),
			targetsMD(1, past, obj{"proj/a.txt": targetEntry(file, nil)}, nil).sign(d1)))
	r := projRepo(del("proj", []*tkey{d1}, 1, "proj/*"), proj(d1))
	r.snapshotMeta = obj{"proj.json": metaFile(1, []byte("not the delegated role's bytes"))}
	cp.repository(k, "delegation-hash-mismatch", Mismatch,
		"the snapshot's hash for the delegated role does not match the file", "agree", []string{"CVE-2026-6967"}, "proj/a.txt", r)
	r = projRepo(del("proj", []*tkey{d1}, 1, "proj/*"), proj(d1))
	r.snapshotMeta = obj{"proj.json": metaFile(2, nil)}
	cp.repository(k, "delegation-version-mismatch", Version,
		"the snapshot says version 2 of the delegated role, the file is version 1", "agree", []string{"GHSA-66x3-6cw3-v5gj"}, "proj/a.txt", r)

	cp.repository(k, "delegation-role-name-traversal", Missing,
		"a role named \"../proj\" is looked up as the escaped file name ..%2Fproj.json, which the snapshot does not list: nothing outside the repository is read",
		"stricter: go-tuf's metadata layer reads any role name the caller maps to a file (its updater URL-escapes names as trustroot does)",
		[]string{"GHSA-wjw6-2cqr-j4qr", "GHSA-jqc5-w2xx-5vq4"}, "proj/a.txt",
		projRepo(del("../proj", []*tkey{d1}, 1, "proj/*"), proj(d1)))

	// A loop: targets -> a -> b -> a, and the target is nowhere.
	loop := repo{
		targets: targetsMD(1, future, obj{}, []delegation{del("a", []*tkey{d1}, 1, "*")}),
		delegated: map[string]*md{
			"a": targetsMD(1, future, obj{}, []delegation{del("b", []*tkey{d2}, 1, "*")}).sign(d1),
			"b": targetsMD(1, future, obj{}, []delegation{del("a", []*tkey{d1}, 1, "*")}).sign(d2),
		},
		order: []string{"a", "b"},
	}
	cp.repository(k, "delegation-loop", NotFound,
		"delegations a -> b -> a: the search visits each role once and ends without the target", "agree", nil,
		"x.txt", loop)

	// Pre-order search: a and b both list x.txt; a comes first.
	other := []byte("the wrong content\n")
	order := repo{
		targets: targetsMD(1, future, obj{}, []delegation{del("a", []*tkey{d1}, 1, "*"), del("b", []*tkey{d2}, 1, "*")}),
		delegated: map[string]*md{
			"a": targetsMD(1, future, obj{"x.txt": targetEntry(file, nil)}, nil).sign(d1),
			"b": targetsMD(1, future, obj{"x.txt": targetEntry(other, nil)}, nil).sign(d2),
		},
		order: []string{"a", "b"},
	}
	cp.repository(k, "delegation-order", Valid,
		"two roles list x.txt; the first delegation in pre-order wins", "agree", []string{"GHSA-4f8r-qqr9-fq8j"}, "x.txt", order)
	cp.cases["delegation-order"].c.TargetSHA256 = sha256hex(file)

	term := repo{
		targets: targetsMD(1, future, obj{}, []delegation{
			{name: "a", keys: []*tkey{d1}, threshold: 1, paths: []string{"x*"}, terminating: true},
			del("b", []*tkey{d2}, 1, "*")}),
		delegated: map[string]*md{
			"a": targetsMD(1, future, obj{}, nil).sign(d1),
			"b": targetsMD(1, future, obj{"x.txt": targetEntry(file, nil)}, nil).sign(d2),
		},
		order: []string{"a", "b"},
	}
	cp.repository(k, "delegation-terminating", NotFound,
		"a terminating role that matches x.txt but does not list it ends the search", "agree", nil, "x.txt", term)

	// A chain of 40 delegations, deeper than any client should follow.
	const deep = 40
	chainRepo := repo{delegated: map[string]*md{}}
	chainRepo.targets = targetsMD(1, future, obj{}, []delegation{del("d01", []*tkey{d1}, 1, "*")})
	for i := 1; i <= deep; i++ {
		name := fmt.Sprintf("d%02d", i)
		var dels []delegation
		tg := obj{}
		if i < deep {
			dels = []delegation{del(fmt.Sprintf("d%02d", i+1), []*tkey{d1}, 1, "*")}
		} else {
			tg["deep.txt"] = targetEntry(file, nil)
		}
		chainRepo.delegated[name] = targetsMD(1, future, tg, dels).sign(d1)
		chainRepo.order = append(chainRepo.order, name)
	}
	cp.repository(k, "delegation-too-deep", TooLarge,
		fmt.Sprintf("a target %d delegations deep is beyond the bound on roles a search visits", deep), "agree", nil,
		"deep.txt", chainRepo)

	wrongKey := projRepo(del("proj", []*tkey{d1}, 1, "proj/*"), proj(d3))
	cp.repository(k, "delegation-wrong-key", Threshold,
		"the delegated role is signed by a key the delegation does not name", "agree", []string{"CVE-2026-6967"}, "proj/a.txt", wrongKey)
}

func sha256hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

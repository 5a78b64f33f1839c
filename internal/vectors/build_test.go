package vectors

// Building blocks for the corpus generator: seeded keys, metadata built as
// plain JSON values, signatures over canonical JSON, and the file form.
// Nothing here uses trustroot's own packages, so the corpus is an
// independent check of them.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
)

// obj is a JSON object under construction.
type obj = map[string]any

// tkey is a test key: its TUF key object, ID and a way to sign.
type tkey struct {
	name string
	obj  obj
	id   string
	sign func(msg []byte) []byte
}

func seed(name string) []byte {
	h := sha256.Sum256([]byte("trustroot/testdata/vectors/" + name))
	return h[:]
}

// keyID is the spec's key ID: hex SHA-256 of the canonical key object.
func keyID(o obj) string {
	b, err := cjson.EncodeCanonical(o)
	if err != nil {
		panic(err) // the generator only builds encodable values
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func newKey(name string, o obj, sign func([]byte) []byte) *tkey {
	return &tkey{name: name, obj: o, id: keyID(o), sign: sign}
}

func edKey(name string) *tkey {
	priv := ed25519.NewKeyFromSeed(seed(name))
	pub := priv.Public().(ed25519.PublicKey)
	return newKey(name, obj{
		"keytype": "ed25519",
		"scheme":  "ed25519",
		"keyval":  obj{"public": hex.EncodeToString(pub)},
	}, func(m []byte) []byte { return ed25519.Sign(priv, m) })
}

func pemPublic(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func ecPriv(name string) *ecdsa.PrivateKey {
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed(name))
	if err != nil {
		panic(err)
	}
	return priv
}

func ecSign(priv *ecdsa.PrivateKey) func([]byte) []byte {
	return func(m []byte) []byte {
		h := sha256.Sum256(m)
		sig, err := ecdsa.SignASN1(rand.Reader, priv, h[:])
		if err != nil {
			panic(err)
		}
		return sig
	}
}

// ecKey returns a P-256 key with the given keytype spelling ("ecdsa" or
// "ecdsa-sha2-nistp256"); the same name gives the same private key.
func ecKey(name, keytype string) *tkey {
	priv := ecPriv(name)
	return newKey(name, obj{
		"keytype": keytype,
		"scheme":  "ecdsa-sha2-nistp256",
		"keyval":  obj{"public": pemPublic(&priv.PublicKey)},
	}, ecSign(priv))
}

// rsaKey generates an RSA key of the given size; determinism comes from
// cryptotest.SetGlobalRandom in the calling test.
func rsaKey(t *testing.T, name string, bits int) *tkey {
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatalf("rsa key %s: %v", name, err)
	}
	return newKey(name, obj{
		"keytype": "rsa",
		"scheme":  "rsassa-pss-sha256",
		"keyval":  obj{"public": pemPublic(&priv.PublicKey)},
	}, func(m []byte) []byte {
		h := sha256.Sum256(m)
		sig, err := rsa.SignPSS(rand.Reader, priv, crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			panic(err)
		}
		return sig
	})
}

// rawKey is a key object that no valid signature can come from.
func rawKey(name string, o obj) *tkey {
	return newKey(name, o, func([]byte) []byte { return bytes.Repeat([]byte{0x5a}, 64) })
}

// withID returns k listed under another key ID (same key object).
func (k *tkey) withID(id string) *tkey {
	c := *k
	c.id = id
	return &c
}

// sig is one signature entry.
type sig struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// md is one metadata file under construction.
type md struct {
	signed obj
	sigs   []sig
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (m *md) payload() []byte {
	b, err := cjson.EncodeCanonical(m.signed)
	if err != nil {
		panic(err)
	}
	return b
}

// sign appends a signature by each key, under the key's ID.
func (m *md) sign(keys ...*tkey) *md {
	p := m.payload()
	for _, k := range keys {
		m.sigs = append(m.sigs, sig{KeyID: k.id, Sig: hex.EncodeToString(k.sign(p))})
	}
	return m
}

// addSig appends a raw signature entry.
func (m *md) addSig(keyID, value string) *md {
	m.sigs = append(m.sigs, sig{KeyID: keyID, Sig: value})
	return m
}

// file returns the file form: two-space indent, sorted object keys,
// trailing newline.
func (m *md) file() []byte {
	sigs := m.sigs
	if sigs == nil {
		sigs = []sig{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Signatures []sig `json:"signatures"`
		Signed     obj   `json:"signed"`
	}{sigs, m.signed}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// role is a role's key list and threshold.
type role struct {
	keys      []*tkey
	threshold int
}

func roleObj(r role) obj {
	ids := []any{}
	for _, k := range r.keys {
		ids = append(ids, k.id)
	}
	return obj{"keyids": ids, "threshold": r.threshold}
}

// rootSpec describes a root.
type rootSpec struct {
	version int
	expires time.Time
	root    role
	targets role
	snap    role
	ts      role
	extra   []*tkey // keys listed but in no role
}

func (s rootSpec) md() *md {
	keys := obj{}
	for _, r := range []role{s.root, s.targets, s.snap, s.ts, {keys: s.extra}} {
		for _, k := range r.keys {
			keys[k.id] = k.obj
		}
	}
	return &md{signed: obj{
		"_type":               "root",
		"spec_version":        "1.0.31",
		"version":             s.version,
		"expires":             ts(s.expires),
		"consistent_snapshot": false,
		"keys":                keys,
		"roles": obj{
			"root":      roleObj(s.root),
			"targets":   roleObj(s.targets),
			"snapshot":  roleObj(s.snap),
			"timestamp": roleObj(s.ts),
		},
	}}
}

// metaFile is a snapshot or timestamp "meta" entry for a file.
func metaFile(version int, file []byte) obj {
	e := obj{"version": version}
	if file != nil {
		h := sha256.Sum256(file)
		e["length"] = len(file)
		e["hashes"] = obj{"sha256": hex.EncodeToString(h[:])}
	}
	return e
}

func targetEntry(content []byte, custom obj) obj {
	h := sha256.Sum256(content)
	e := obj{"length": len(content), "hashes": obj{"sha256": hex.EncodeToString(h[:])}}
	if custom != nil {
		e["custom"] = custom
	}
	return e
}

// delegation is one delegated role entry.
type delegation struct {
	name        string
	keys        []*tkey
	threshold   int
	paths       []string
	terminating bool
}

func targetsMD(version int, expires time.Time, targets obj, dels []delegation) *md {
	s := obj{
		"_type":        "targets",
		"spec_version": "1.0.31",
		"version":      version,
		"expires":      ts(expires),
		"targets":      targets,
	}
	if dels != nil {
		keys := obj{}
		roles := []any{}
		for _, d := range dels {
			ids := []any{}
			for _, k := range d.keys {
				keys[k.id] = k.obj
				ids = append(ids, k.id)
			}
			paths := []any{}
			for _, p := range d.paths {
				paths = append(paths, p)
			}
			roles = append(roles, obj{
				"name":        d.name,
				"keyids":      ids,
				"threshold":   d.threshold,
				"paths":       paths,
				"terminating": d.terminating,
			})
		}
		s["delegations"] = obj{"keys": keys, "roles": roles}
	}
	return &md{signed: s}
}

func snapshotMD(version int, expires time.Time, meta obj) *md {
	return &md{signed: obj{
		"_type":        "snapshot",
		"spec_version": "1.0.31",
		"version":      version,
		"expires":      ts(expires),
		"meta":         meta,
	}}
}

func timestampMD(version int, expires time.Time, snapshot []byte) *md {
	return &md{signed: obj{
		"_type":        "timestamp",
		"spec_version": "1.0.31",
		"version":      version,
		"expires":      ts(expires),
		"meta":         obj{"snapshot.json": metaFile(1, snapshot)},
	}}
}

// offCurvePEM returns a PKIX PEM for a P-256 "point" that is not on the
// curve: the seeded key's X with Y+1.
func offCurvePEM(name string) string {
	pub := ecPriv(name).PublicKey
	der, err := x509.MarshalPKIXPublicKey(&pub)
	if err != nil {
		panic(err)
	}
	// The uncompressed point is the last 65 bytes: 0x04 || X || Y.
	pt := der[len(der)-65:]
	y := new(big.Int).SetBytes(pt[33:])
	y.Add(y, big.NewInt(1))
	y.FillBytes(pt[33:])
	if _, err := x509.ParsePKIXPublicKey(der); err == nil {
		panic(fmt.Sprintf("off-curve point for %s parsed", name))
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Package gen builds TUF metadata for the verify package's tests, examples
// and benchmarks: deterministic keys, hand-written root, targets, snapshot
// and timestamp objects, canonical JSON and signatures. It writes JSON by
// hand, independently of package root, so tests can produce every malformed
// or hostile variant a verifier must reject (duplicate keys under several
// key IDs, repeated signatures, wrong key IDs, unknown signers).
package gen

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Key is a deterministic test key and its TUF key object.
type Key struct {
	// ID is the key ID the metadata lists the key under.
	ID string
	// Object is the TUF key object (keytype, scheme, keyval and any
	// custom fields).
	Object map[string]any
	priv   crypto.Signer
	hash   crypto.Hash
}

func seedBytes(kind string, n int) []byte {
	s := sha256.Sum256([]byte("trustroot verify gen " + kind + " " + strconv.Itoa(n)))
	return s[:]
}

// Ed25519 returns the n-th deterministic Ed25519 key.
func Ed25519(n int) *Key {
	priv := ed25519.NewKeyFromSeed(seedBytes("ed25519", n))
	pub := priv.Public().(ed25519.PublicKey)
	obj := map[string]any{
		"keytype": "ed25519",
		"scheme":  "ed25519",
		"keyval":  map[string]any{"public": hex.EncodeToString(pub)},
	}
	return newKey(obj, priv, 0)
}

// ECDSA returns the n-th deterministic ECDSA P-256 key, keytype "ecdsa"
// with a PEM public key.
func ECDSA(n int) *Key {
	var priv *ecdsa.PrivateKey
	seed := seedBytes("ecdsa", n)
	for {
		var err error
		priv, err = ecdsa.ParseRawPrivateKey(elliptic.P256(), seed)
		if err == nil {
			break
		}
		s := sha256.Sum256(seed)
		seed = s[:]
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		panic(err)
	}
	p := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	obj := map[string]any{
		"keytype": "ecdsa",
		"scheme":  "ecdsa-sha2-nistp256",
		"keyval":  map[string]any{"public": p},
	}
	return newKey(obj, priv, crypto.SHA256)
}

// Of returns the n-th key of the given kind: "ed25519" or "ecdsa".
func Of(kind string, n int) *Key {
	if kind == "ecdsa" {
		return ECDSA(n)
	}
	return Ed25519(n)
}

// Custom returns a key with the key object obj whose signatures priv
// makes over the hash h of the message (0: the message itself), as
// crypto.Signer's Sign does with h as its options: PKCS #1 v1.5 for an
// RSA key. priv may be nil for a key that never signs.
func Custom(obj map[string]any, priv crypto.Signer, h crypto.Hash) *Key { return newKey(obj, priv, h) }

func newKey(obj map[string]any, priv crypto.Signer, h crypto.Hash) *Key {
	k := &Key{Object: obj, priv: priv, hash: h}
	k.ID = ContentID(obj)
	return k
}

// ContentID returns the SHA-256 of the canonical key object, the key ID the
// specification asks for.
func ContentID(obj map[string]any) string {
	s := sha256.Sum256(Canonical(obj))
	return hex.EncodeToString(s[:])
}

// With returns a copy of k with a custom field set in its key object, and
// the key ID recomputed: the same public key under another key ID.
func (k *Key) With(field string, value any) *Key {
	obj := copyMap(k.Object)
	obj[field] = value
	return newKey(obj, k.priv, k.hash)
}

// WithKeytype returns a copy of k with another keytype spelling (e.g.
// "ecdsa-sha2-nistp256" for an "ecdsa" key) and the key ID recomputed.
func (k *Key) WithKeytype(t string) *Key { return k.With("keytype", t) }

// WithID returns a copy of k listed under id, which does not match its
// content.
func (k *Key) WithID(id string) *Key {
	c := newKey(copyMap(k.Object), k.priv, k.hash)
	c.ID = id
	return c
}

func copyMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Public returns the public key.
func (k *Key) Public() crypto.PublicKey { return k.priv.Public() }

// Private returns the private key, for test signers.
func (k *Key) Private() crypto.Signer { return k.priv }

// signatures remembers every ECDSA signature made, so that building the
// same file twice in one test process gives the same bytes, as a
// repository serving a file twice does.
var signatures sync.Map // string(public key DER) + message -> signature

// Sign signs msg as the key's scheme requires: ECDSA P-256 over SHA-256
// (ASN.1 DER), Ed25519 over the message itself. Signing the same message
// with the same key again returns the same signature.
func (k *Key) Sign(msg []byte) []byte {
	der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	if err != nil {
		panic(err)
	}
	cacheKey := fmt.Sprintf("%T %v ", k.priv, k.hash) + string(der) + string(msg)
	if sig, ok := signatures.Load(cacheKey); ok {
		return sig.([]byte)
	}
	sig := k.sign(msg)
	signatures.Store(cacheKey, sig)
	return sig
}

func (k *Key) sign(msg []byte) []byte {
	if k.hash == 0 {
		sig, err := k.priv.Sign(rand.Reader, msg, crypto.Hash(0))
		if err != nil {
			panic(err)
		}
		return sig
	}
	h := k.hash.New()
	h.Write(msg)
	sig, err := k.priv.Sign(rand.Reader, h.Sum(nil), k.hash)
	if err != nil {
		panic(err)
	}
	return sig
}

// Sig is one entry of a signatures array.
type Sig struct {
	KeyID string
	Sig   []byte
}

// SignAll signs payload with every key, under each key's ID.
func SignAll(payload []byte, keys ...*Key) []Sig {
	out := make([]Sig, 0, len(keys))
	for _, k := range keys {
		out = append(out, Sig{KeyID: k.ID, Sig: k.Sign(payload)})
	}
	return out
}

// Envelope returns the metadata file {"signatures": [...], "signed": ...}.
func Envelope(signed map[string]any, sigs []Sig) []byte {
	list := make([]any, 0, len(sigs))
	for _, s := range sigs {
		list = append(list, map[string]any{"keyid": s.KeyID, "sig": hex.EncodeToString(s.Sig)})
	}
	out, err := json.MarshalIndent(map[string]any{"signed": signed, "signatures": list}, "", " ")
	if err != nil {
		panic(err)
	}
	return out
}

// Sign canonicalises signed, signs it with keys and returns the file.
func Sign(signed map[string]any, keys ...*Key) []byte {
	return Envelope(signed, SignAll(Canonical(signed), keys...))
}

// Role is a role's keys and threshold.
type Role struct {
	Keys      []*Key
	Threshold int
}

// Expiry formats t as the specification asks.
func Expiry(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// Root returns the signed object of a root. Keys of all roles are listed in
// "keys"; each role lists its keys' IDs in order.
func Root(version int64, expires time.Time, consistent bool, roles map[string]Role) map[string]any {
	keys := map[string]any{}
	rs := map[string]any{}
	for name, r := range roles {
		ids := make([]any, 0, len(r.Keys))
		for _, k := range r.Keys {
			keys[k.ID] = k.Object
			ids = append(ids, k.ID)
		}
		rs[name] = map[string]any{"keyids": ids, "threshold": r.Threshold}
	}
	return map[string]any{
		"_type":               "root",
		"spec_version":        "1.0.31",
		"version":             version,
		"expires":             Expiry(expires),
		"consistent_snapshot": consistent,
		"keys":                keys,
		"roles":               rs,
	}
}

// TopRoles returns the four top-level roles with rootKeys/threshold for
// root and the single key other for targets, snapshot and timestamp.
func TopRoles(rootKeys []*Key, threshold int, other *Key) map[string]Role {
	return map[string]Role{
		"root":      {Keys: rootKeys, Threshold: threshold},
		"targets":   {Keys: []*Key{other}, Threshold: 1},
		"snapshot":  {Keys: []*Key{other}, Threshold: 1},
		"timestamp": {Keys: []*Key{other}, Threshold: 1},
	}
}

// Canonical returns the OLPC canonical JSON of v, which must be built from
// map[string]any, []any, string, bool, nil, integers and []string.
func Canonical(v any) []byte {
	var b bytes.Buffer
	canon(&b, v)
	return b.Bytes()
}

func canon(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case string:
		b.WriteByte('"')
		for i := 0; i < len(v); i++ {
			if v[i] == '"' || v[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[i])
		}
		b.WriteByte('"')
	case []string:
		l := make([]any, len(v))
		for i := range v {
			l[i] = v[i]
		}
		canon(b, l)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			canon(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		ks := make([]string, 0, len(v))
		for k := range v {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		b.WriteByte('{')
		for i, k := range ks {
			if i > 0 {
				b.WriteByte(',')
			}
			canon(b, k)
			b.WriteByte(':')
			canon(b, v[k])
		}
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("gen: cannot canonicalise %T", v))
	}
}

// ExpiryTime returns January 1st of year, UTC.
func ExpiryTime(year int) time.Time { return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC) }

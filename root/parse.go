package root

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/internal/tufmeta"
)

// Bounds on what a root may hold.
const (
	maxKeys        = 256
	maxRoleKeys    = 64
	maxSignatures  = 512
	maxSigLength   = 2048
	defaultSpecVer = "1.0.31"
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Parse parses a root metadata file strictly: duplicate JSON object keys, a
// wrong _type, a version below 1, a file over MaxRootSize, duplicate
// signature key IDs and undecodable keys are errors. It accepts the forms
// real roots use (hex and PEM ECDSA keys, both ECDSA keytype spellings,
// expires with offsets and fractions, custom fields, empty signatures,
// signatures under key IDs the root does not list).
//
// It also rejects a root that is missing one of the four top-level roles
// or names another, a role with no keys, a threshold below 1, a role key ID
// listed twice or not present in keys, and a signed object that Go's
// metadata model would read differently from its canonical form.
func Parse(data []byte) (*Root, error) {
	if len(data) > MaxRootSize {
		return nil, malformed("file is %d bytes, more than MaxRootSize (%d)", len(data), MaxRootSize)
	}
	doc, err := tufmeta.Parse[metadata.RootType](data, MaxRootSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, detail(err))
	}
	if len(doc.Signatures) > maxSignatures {
		return nil, malformed("%d signatures, more than %d", len(doc.Signatures), maxSignatures)
	}
	sigs := make([]Signature, 0, len(doc.Signatures))
	for _, s := range doc.Signatures {
		if len(s.Sig) > maxSigLength {
			return nil, malformed("signature under key %s is %d bytes, more than %d", shortID(KeyID(s.KeyID)), len(s.Sig), maxSigLength)
		}
		sigs = append(sigs, Signature{KeyID: KeyID(s.KeyID), Value: s.Sig})
	}
	return fromDoc(doc.Meta, doc.Signed, doc.Payload, sigs)
}

// fromDoc checks a parsed signed object and builds the Root.
func fromDoc(meta *metadata.Metadata[metadata.RootType], signed map[string]any, payload []byte, sigs []Signature) (*Root, error) {
	rawKeys, ok := signed["keys"].(map[string]any)
	if !ok {
		return nil, malformed(`"keys" is missing or not an object`)
	}
	if len(rawKeys) > maxKeys {
		return nil, malformed("%d keys, more than %d", len(rawKeys), maxKeys)
	}
	keys := make(map[KeyID]Key, len(rawKeys))
	for id, o := range rawKeys {
		obj, ok := o.(map[string]any)
		if !ok {
			return nil, malformed("key %s is not an object", shortID(KeyID(id)))
		}
		tk, err := tufkey.Decode(obj)
		if err != nil {
			return nil, malformed("key %s: %s", shortID(KeyID(id)), detail(err))
		}
		k, err := newKeyData(KeyID(id), tk)
		if err != nil {
			return nil, malformed("key %s: %s", shortID(KeyID(id)), detail(err))
		}
		keys[KeyID(id)] = k
	}
	roles, ok := signed["roles"].(map[string]any)
	if !ok {
		return nil, malformed(`"roles" is missing or not an object`)
	}
	for name := range roles {
		if !slices.Contains(TopLevelRoles(), Role(name)) {
			return nil, malformed("unknown role %q", name)
		}
	}
	for _, role := range TopLevelRoles() {
		r := meta.Signed.Roles[string(role)]
		if _, present := roles[string(role)]; !present || r == nil {
			return nil, malformed("role %q is missing", role)
		}
		if r.Threshold < 1 {
			return nil, malformed("role %q has threshold %d, below 1", role, r.Threshold)
		}
		if len(r.KeyIDs) == 0 {
			return nil, malformed("role %q has no keys", role)
		}
		if len(r.KeyIDs) > maxRoleKeys {
			return nil, malformed("role %q has %d keys, more than %d", role, len(r.KeyIDs), maxRoleKeys)
		}
		seen := map[string]bool{}
		for _, id := range r.KeyIDs {
			if seen[id] {
				return nil, malformed("role %q lists key %s twice", role, shortID(KeyID(id)))
			}
			seen[id] = true
			if _, ok := keys[KeyID(id)]; !ok {
				return nil, malformed("role %q lists key %s, which is not in keys", role, shortID(KeyID(id)))
			}
		}
	}
	meta.Signatures = nil
	return &Root{meta: meta, signed: signed, payload: payload, keys: keys, sigs: sigs}, nil
}

// build turns a signed object this package constructed into a Root,
// through the same strict parser Parse uses.
func build(signed map[string]any) (*Root, error) {
	data, err := cjson.EncodePretty(map[string]any{"signed": signed, "signatures": []any{}})
	if err != nil {
		return nil, fmt.Errorf("root: encoding: %w", err)
	}
	r, err := Parse(data)
	if err != nil {
		// The policy checks run first, so this means a bug here.
		return nil, fmt.Errorf("root: the built root does not parse: %w", err)
	}
	return r, nil
}

// Version returns the root's version.
func (r *Root) Version() int64 {
	if !r.ok() {
		return 0
	}
	return r.meta.Signed.Version
}

// Expires returns the expiry time as the file states it.
func (r *Root) Expires() time.Time {
	if !r.ok() {
		return time.Time{}
	}
	return r.meta.Signed.Expires
}

// SpecVersion returns the spec_version field.
func (r *Root) SpecVersion() string {
	if !r.ok() {
		return ""
	}
	return r.meta.Signed.SpecVersion
}

// ConsistentSnapshot returns the consistent_snapshot field.
func (r *Root) ConsistentSnapshot() bool {
	return r.ok() && r.meta.Signed.ConsistentSnapshot
}

// ok reports whether r was built by this package (not nil, not a zero
// Root).
func (r *Root) ok() bool { return r != nil && r.meta != nil }

// Keys returns every key the root lists, sorted by key ID.
func (r *Root) Keys() []Key {
	if !r.ok() {
		return nil
	}
	ids := slices.Sorted(maps.Keys(r.keys))
	out := make([]Key, 0, len(ids))
	for _, id := range ids {
		out = append(out, r.keys[id])
	}
	return out
}

// Key returns the key listed under id.
func (r *Root) Key(id KeyID) (Key, bool) {
	if !r.ok() {
		return Key{}, false
	}
	k, ok := r.keys[id]
	return k, ok
}

// Role returns a role's key IDs and threshold.
func (r *Root) Role(role Role) (RoleKeys, bool) {
	if !r.ok() {
		return RoleKeys{}, false
	}
	rl, ok := r.meta.Signed.Roles[string(role)]
	if !ok || rl == nil || !slices.Contains(TopLevelRoles(), role) {
		return RoleKeys{}, false
	}
	ids := make([]KeyID, len(rl.KeyIDs))
	for i, id := range rl.KeyIDs {
		ids[i] = KeyID(id)
	}
	return RoleKeys{KeyIDs: ids, Threshold: rl.Threshold}, true
}

// roleKeys returns the keys of a role in listed order.
func (r *Root) roleKeys(role Role) []Key {
	rk, _ := r.Role(role)
	out := make([]Key, 0, len(rk.KeyIDs))
	for _, id := range rk.KeyIDs {
		out = append(out, r.keys[id])
	}
	return out
}

// Signatures returns the root's signatures in file order, empty
// placeholders included.
func (r *Root) Signatures() []Signature {
	if !r.ok() {
		return nil
	}
	out := make([]Signature, len(r.sigs))
	for i, s := range r.sigs {
		out[i] = Signature{KeyID: s.KeyID, Value: slices.Clone(s.Value)}
	}
	return out
}

// SigningPayload returns the canonical JSON of the signed object: the bytes
// every signature covers.
func (r *Root) SigningPayload() []byte {
	if !r.ok() {
		return nil
	}
	return slices.Clone(r.payload)
}

// MarshalFile returns the reviewable file form: keys sorted, two-space
// indent, trailing newline. Signatures keep their order. For a parsed root
// the signed object is written back as it was parsed, so its signing
// payload does not change.
func (r *Root) MarshalFile() ([]byte, error) {
	if !r.ok() {
		return nil, errors.New("root: MarshalFile of an empty Root")
	}
	sigs := make([]any, 0, len(r.sigs))
	for _, s := range r.sigs {
		sigs = append(sigs, map[string]any{"keyid": string(s.KeyID), "sig": hex.EncodeToString(s.Value)})
	}
	data, err := cjson.EncodePretty(map[string]any{"signed": r.signed, "signatures": sigs})
	if err != nil {
		return nil, fmt.Errorf("root: encoding: %w", err)
	}
	return data, nil
}

// Digest returns the hex SHA-256 of the file form, for announcing a
// published root.
func (r *Root) Digest() (string, error) {
	data, err := r.MarshalFile()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

package root

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/link"
	"github.com/trustroot/trustroot/internal/tufmeta"
)

// Parse parses a root metadata file strictly: duplicate JSON object keys, a
// wrong _type, a version below 1, a file over MaxRootSize, duplicate
// signature key IDs, a missing role or one that is not a top-level role, a
// role with no keys, a threshold below 1, a role key ID listed twice or not
// present in keys, and a member name that differs from a standard one only
// in case are errors. Every error wraps [ErrMalformed].
//
// It accepts the forms real roots use: hex and PEM ECDSA keys, both ECDSA
// keytype spellings, expires with offsets and fractions, custom fields
// anywhere, empty signatures, signatures under key IDs the root does not
// list, and keys of types or schemes this package does not know (kept,
// never counted; see [Key.Unsupported]).
func Parse(data []byte) (*Root, error) {
	env, err := tufmeta.ParseEnvelope(data, tufmeta.TypeRoot, MaxRootSize)
	if err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	r, err := fromEnvelope(env)
	if err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	return r, nil
}

func init() {
	link.Root = func(env *tufmeta.Envelope) (any, error) { return fromEnvelope(env) }
}

// fromEnvelope is Parse's second half, for an envelope already read.
func fromEnvelope(env *tufmeta.Envelope) (*Root, error) {
	m, err := tufmeta.ParseRoot(env)
	if err != nil {
		return nil, err
	}
	r := &Root{payload: env.Signed, m: m, keys: make(map[KeyID]Key, len(m.Keys))}
	// One allocation for every key's data; newKey's rules.
	data := make([]keyData, len(m.KeyIDs))
	for i, id := range m.KeyIDs {
		k := m.Keys[id]
		kid := KeyID(id)
		if kid == "" {
			kid = KeyID(k.ContentID())
		}
		data[i] = keyData{id: kid, key: k}
		r.keys[KeyID(id)] = Key{k: &data[i]}
	}
	r.sigs = make([]Signature, len(env.Signatures))
	for i, s := range env.Signatures {
		r.sigs[i] = Signature{KeyID: KeyID(s.KeyID), Value: s.Sig}
	}
	return r, nil
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
	return r.m.Version
}

// Expires returns the expiry time as the file states it.
func (r *Root) Expires() time.Time {
	if !r.ok() {
		return time.Time{}
	}
	return r.m.Expires
}

// SpecVersion returns the spec_version field.
func (r *Root) SpecVersion() string {
	if !r.ok() {
		return ""
	}
	return r.m.SpecVersion
}

// ConsistentSnapshot returns the consistent_snapshot field (false when the
// file leaves it out).
func (r *Root) ConsistentSnapshot() bool {
	return r.ok() && r.m.ConsistentSnapshot
}

// ok reports whether r was built by this package (not nil, not a zero
// Root).
func (r *Root) ok() bool { return r != nil && r.m != nil }

// Keys returns every key the root lists, sorted by key ID.
func (r *Root) Keys() []Key {
	if !r.ok() {
		return nil
	}
	// m.KeyIDs lists every key of r.keys, sorted.
	out := make([]Key, 0, len(r.m.KeyIDs))
	for _, id := range r.m.KeyIDs {
		out = append(out, r.keys[KeyID(id)])
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

// Role returns a role's keys, in listed order, and its threshold.
func (r *Root) Role(role Role) (RoleKeys, bool) {
	if !r.ok() {
		return RoleKeys{}, false
	}
	rk, ok := r.m.Roles[string(role)]
	if !ok {
		return RoleKeys{}, false
	}
	return RoleKeys{Keys: r.roleKeys(role), Threshold: rk.Threshold}, true
}

// roleKeys returns the keys of a role in listed order.
func (r *Root) roleKeys(role Role) []Key {
	rk := r.m.Roles[string(role)]
	out := make([]Key, 0, len(rk.KeyIDs))
	for _, id := range rk.KeyIDs {
		out = append(out, r.keys[KeyID(id)])
	}
	return out
}

// threshold returns a role's threshold.
func (r *Root) threshold(role Role) int { return r.m.Roles[string(role)].Threshold }

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
	data, err := cjson.EncodePretty(map[string]any{"signed": cjson.Raw(r.payload), "signatures": sigs})
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

package root

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/internal/cjson"
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
	tree, err := cjson.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	top, ok := tree.(map[string]any)
	if !ok {
		return nil, malformed("file is not a JSON object")
	}
	signed, ok := top["signed"].(map[string]any)
	if !ok {
		return nil, malformed(`"signed" is missing or not an object`)
	}
	if err := caseVariants(top, "signed", "signatures"); err != nil {
		return nil, err
	}
	r := &Root{signed: signed, model: new(modelCheck)}
	if err := r.readSigned(); err != nil {
		return nil, err
	}
	if r.sigs, err = readSignatures(top["signatures"]); err != nil {
		return nil, err
	}
	if r.keys, err = readKeys(signed["keys"]); err != nil {
		return nil, err
	}
	if r.roles, err = readRoles(signed["roles"], r.keys); err != nil {
		return nil, err
	}
	if r.payload, err = cjson.AppendCanonical(make([]byte, 0, len(data)), signed); err != nil {
		return nil, fmt.Errorf("%w: signed: %w", ErrMalformed, err)
	}
	if err := customNumbers(signed); err != nil {
		return nil, err
	}
	return r, nil
}

// customNumbers refuses an integer in a custom field (anywhere in signed
// but version and the role thresholds, which the model reads as integers)
// that a float64 does not hold exactly: Go's decoder, and so go-tuf's
// model, reads custom fields into float64, so such a number would be
// re-encoded, and signed, as a different one.
func customNumbers(signed map[string]any) error {
	for name, v := range signed {
		switch name {
		case "version":
			continue
		case "roles":
			roles, _ := v.(map[string]any)
			for _, o := range roles {
				obj, _ := o.(map[string]any)
				for field, e := range obj {
					if field == "threshold" {
						continue
					}
					if err := floatExact(e); err != nil {
						return err
					}
				}
			}
			continue
		}
		if err := floatExact(v); err != nil {
			return err
		}
	}
	return nil
}

// floatExact walks a tree Parse already bounded in depth and canonicalised
// (so every number is an int64 written without exponent or fraction).
func floatExact(v any) error {
	switch t := v.(type) {
	case json.Number:
		// The model writes the float64 back as encoding/json does: the
		// shortest decimal that reads back as the same float64.
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || strconv.FormatFloat(f, 'f', -1, 64) != string(t) {
			return malformed("custom field number %s would be changed by Go's metadata model, which reads it as a float64 (integers up to 2^53 are safe)", t)
		}
	case map[string]any:
		for _, e := range t {
			if err := floatExact(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range t {
			if err := floatExact(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// The rules below read the strictly decoded tree directly. Besides the
// policy checks, they refuse every document that go-tuf's typed model
// would read differently from its canonical form (a member whose name
// differs from a model field only in case, an expires that does not
// re-encode to the same text, a missing consistent_snapshot, non-integer
// numbers), so that the model, built lazily by [Root.checkModel], agrees
// with what Parse read.

// readSigned reads _type, spec_version, version, expires and
// consistent_snapshot.
func (r *Root) readSigned() error {
	s := r.signed
	if err := caseVariants(s, "_type", "spec_version", "consistent_snapshot", "version", "expires", "keys", "roles"); err != nil {
		return err
	}
	typ, ok := s["_type"].(string)
	if !ok {
		return malformed("signed._type is missing or not a string")
	}
	if typ != "root" {
		return malformed(`_type is %q, want "root"`, typ)
	}
	sv, ok := s["spec_version"].(string)
	if !ok {
		return malformed("spec_version is missing or not a string")
	}
	if major, _, _ := strings.Cut(sv, "."); major != "1" {
		return malformed("spec_version %q is not a 1.x version", sv)
	}
	r.specVersion = sv
	v, ok := s["version"].(json.Number)
	if !ok {
		return malformed("version is missing or not a number")
	}
	var err error
	if r.version, err = strconv.ParseInt(string(v), 10, 64); err != nil {
		return malformed("version %s is not an integer", v)
	}
	if r.version < 1 {
		return malformed("version %d is below 1", r.version)
	}
	exp, ok := s["expires"].(string)
	if !ok {
		return malformed("expires is missing or not a string")
	}
	// The model reads and writes expires with time.Time's text methods:
	// the text must survive them unchanged.
	if err := r.expires.UnmarshalText([]byte(exp)); err != nil {
		return malformed("expires %q is not an RFC 3339 time", exp)
	}
	if again, err := r.expires.MarshalText(); err != nil || string(again) != exp {
		return malformed("expires %q is not an RFC 3339 time in its shortest form", exp)
	}
	if r.consistentSnapshot, ok = s["consistent_snapshot"].(bool); !ok {
		return malformed("consistent_snapshot is missing or not a boolean")
	}
	return nil
}

func readSignatures(x any) ([]Signature, error) {
	list, ok := x.([]any)
	if !ok {
		return nil, malformed(`"signatures" is missing or not a list`)
	}
	if len(list) > maxSignatures {
		return nil, malformed("%d signatures, more than %d", len(list), maxSignatures)
	}
	sigs := make([]Signature, 0, len(list))
	for i, e := range list {
		o, ok := e.(map[string]any)
		if !ok {
			return nil, malformed("signature %d is not an object", i)
		}
		if err := caseVariants(o, "keyid", "sig"); err != nil {
			return nil, err
		}
		id, ok := o["keyid"].(string)
		if !ok {
			return nil, malformed("signature %d: keyid is missing or not a string", i)
		}
		sigHex, ok := o["sig"].(string)
		if !ok {
			return nil, malformed("signature %d: sig is missing or not a string", i)
		}
		if slices.ContainsFunc(sigs, func(s Signature) bool { return s.KeyID == KeyID(id) }) {
			return nil, malformed("more than one signature under key ID %q", id)
		}
		if len(sigHex) > 2*maxSigLength {
			return nil, malformed("signature under key %s is %d bytes, more than %d", shortID(KeyID(id)), len(sigHex)/2, maxSigLength)
		}
		sig, err := hex.DecodeString(sigHex)
		if err != nil {
			return nil, malformed("signature %d (key ID %q) is not hex", i, id)
		}
		sigs = append(sigs, Signature{KeyID: KeyID(id), Value: sig})
	}
	return sigs, nil
}

func readKeys(x any) (map[KeyID]Key, error) {
	rawKeys, ok := x.(map[string]any)
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
		if err := caseVariants(obj, "keytype", "scheme", "keyval"); err != nil {
			return nil, err
		}
		if kv, ok := obj["keyval"].(map[string]any); ok {
			if err := caseVariants(kv, "public"); err != nil {
				return nil, err
			}
		}
		k, err := decodeKey(KeyID(id), obj)
		if err != nil {
			return nil, malformed("key %s: %s", shortID(KeyID(id)), detail(err))
		}
		keys[KeyID(id)] = k
	}
	return keys, nil
}

func readRoles(x any, keys map[KeyID]Key) (map[Role]RoleKeys, error) {
	raw, ok := x.(map[string]any)
	if !ok {
		return nil, malformed(`"roles" is missing or not an object`)
	}
	for name := range raw {
		if !slices.Contains(TopLevelRoles(), Role(name)) {
			return nil, malformed("unknown role %q", name)
		}
	}
	roles := make(map[Role]RoleKeys, len(raw))
	for _, role := range TopLevelRoles() {
		o, present := raw[string(role)]
		if !present || o == nil {
			return nil, malformed("role %q is missing", role)
		}
		obj, ok := o.(map[string]any)
		if !ok {
			return nil, malformed("role %q is not an object", role)
		}
		if err := caseVariants(obj, "keyids", "threshold"); err != nil {
			return nil, err
		}
		n, ok := obj["threshold"].(json.Number)
		if !ok {
			return nil, malformed("role %q: threshold is missing or not a number", role)
		}
		thr, err := strconv.ParseInt(string(n), 10, 0)
		if err != nil {
			return nil, malformed("role %q: threshold %s is not an integer", role, n)
		}
		if thr < 1 {
			return nil, malformed("role %q has threshold %d, below 1", role, thr)
		}
		list, ok := obj["keyids"].([]any)
		if !ok {
			return nil, malformed("role %q: keyids is missing or not a list", role)
		}
		if len(list) == 0 {
			return nil, malformed("role %q has no keys", role)
		}
		if len(list) > maxRoleKeys {
			return nil, malformed("role %q has %d keys, more than %d", role, len(list), maxRoleKeys)
		}
		ids := make([]KeyID, 0, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, malformed("role %q: key ID %d is not a string", role, i)
			}
			id := KeyID(s)
			if slices.Contains(ids, id) {
				return nil, malformed("role %q lists key %s twice", role, shortID(id))
			}
			if _, ok := keys[id]; !ok {
				return nil, malformed("role %q lists key %s, which is not in keys", role, shortID(id))
			}
			ids = append(ids, id)
		}
		roles[role] = RoleKeys{KeyIDs: ids, Threshold: int(thr)}
	}
	return roles, nil
}

// caseVariants refuses an object with a member whose name differs only in
// case from one of fields: Go's JSON decoder, and so go-tuf's model, would
// read it as that field.
func caseVariants(obj map[string]any, fields ...string) error {
	for name := range obj {
		for _, f := range fields {
			if name != f && strings.EqualFold(name, f) {
				return malformed("member %q differs from %q only in case", name, f)
			}
		}
	}
	return nil
}

// modelCheck caches the outcome of [Root.checkModel].
type modelCheck struct {
	once sync.Once
	err  error
}

// checkModel decodes the signed object into go-tuf's typed root model and
// requires the model to re-encode to the same canonical bytes. Parse's
// rules make this hold for every root it returns; the check stays, run
// once and only where a root is edited or written out, so that a
// disagreement between those rules and the model can never turn into a
// file that says something other than what was verified.
func (r *Root) checkModel() error {
	r.model.once.Do(func() { r.model.err = modelAgrees(r.signed, r.payload) })
	return r.model.err
}

func modelAgrees(signed map[string]any, payload []byte) error {
	data, err := json.Marshal(signed)
	if err != nil {
		return fmt.Errorf("root: the signed object cannot be encoded for go-tuf's model: %w", err)
	}
	var model metadata.RootType
	if err := json.Unmarshal(data, &model); err != nil {
		return fmt.Errorf("root: go-tuf's model cannot read the signed object, so this root can be verified but not edited or written out: %w", err)
	}
	again, err := json.Marshal(&model)
	if err == nil {
		var tree any
		if tree, err = cjson.Decode(again); err == nil {
			again, err = cjson.EncodeCanonical(tree)
		}
	}
	if err != nil || !bytes.Equal(again, payload) {
		return errors.New("root: go-tuf's model reads the signed object differently from its canonical form, so this root can be verified but not edited or written out")
	}
	return nil
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
	return r.version
}

// Expires returns the expiry time as the file states it.
func (r *Root) Expires() time.Time {
	if !r.ok() {
		return time.Time{}
	}
	return r.expires
}

// SpecVersion returns the spec_version field.
func (r *Root) SpecVersion() string {
	if !r.ok() {
		return ""
	}
	return r.specVersion
}

// ConsistentSnapshot returns the consistent_snapshot field.
func (r *Root) ConsistentSnapshot() bool {
	return r.ok() && r.consistentSnapshot
}

// ok reports whether r was built by this package (not nil, not a zero
// Root).
func (r *Root) ok() bool { return r != nil && r.signed != nil }

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
	rl, ok := r.roles[role]
	if !ok {
		return RoleKeys{}, false
	}
	return RoleKeys{KeyIDs: slices.Clone(rl.KeyIDs), Threshold: rl.Threshold}, true
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
	if err := r.checkModel(); err != nil {
		return nil, err
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

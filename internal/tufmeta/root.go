package tufmeta

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/tufkey"
)

// TopLevelRoles are the four roles every root defines, in a fixed order.
var TopLevelRoles = []string{TypeRoot, TypeTargets, TypeSnapshot, TypeTimestamp}

// RoleKeys is a role's key IDs and threshold, with the role object's
// unknown members.
type RoleKeys struct {
	KeyIDs    []string
	Threshold int
	Unknown   map[string]cjson.Raw
}

// Root is root metadata's signed object.
type Root struct {
	Header
	// ConsistentSnapshot is false when the member is absent.
	ConsistentSnapshot bool
	// Keys maps each key ID to its key; KeyIDs lists them sorted.
	Keys   map[string]*tufkey.Key
	KeyIDs []string
	// Roles holds the four top-level roles.
	Roles   map[string]RoleKeys
	Unknown map[string]cjson.Raw
}

// ParseRoot builds the root model from an envelope of type "root". Every
// top-level role must be present with at least one key, a threshold of at
// least 1 and key IDs that keys lists once each; no other role may be
// named. Keys of unknown types or schemes, or with unusable public values,
// are kept (see tufkey.Decode).
func ParseRoot(env *Envelope) (*Root, error) {
	o := object{what: "signed", members: env.members}
	if err := o.caseVariants(rootFields...); err != nil {
		return nil, err
	}
	r := &Root{Header: env.Header, Unknown: o.unknown()}
	if cs, present := o.get("consistent_snapshot"); present {
		b, ok := cs.Bool()
		if !ok {
			return nil, malformed("consistent_snapshot is not a boolean")
		}
		r.ConsistentSnapshot = b
	}
	keysRaw, ok := o.get("keys")
	if !ok {
		return nil, malformed(`"keys" is missing`)
	}
	var err error
	if r.Keys, r.KeyIDs, err = ParseKeys("keys", keysRaw); err != nil {
		return nil, err
	}
	rolesRaw, ok := o.get("roles")
	if !ok {
		return nil, malformed(`"roles" is missing`)
	}
	var rolesBuf [8]cjson.Member
	roles, err := readObjectBuf("roles", rolesRaw, rolesBuf[:0], TopLevelRoles)
	if err != nil {
		return nil, err
	}
	for _, m := range roles.members {
		if !slices.Contains(TopLevelRoles, m.Key) {
			return nil, malformed("unknown role %q", m.Key)
		}
	}
	r.Roles = make(map[string]RoleKeys, len(TopLevelRoles))
	for i, name := range TopLevelRoles {
		raw, present := roles.get(name)
		if !present || raw.IsNull() {
			return nil, malformed("role %q is missing", name)
		}
		rk, err := parseRoleKeys(topLevelWhat[i], raw, r.KeyIDs)
		if err != nil {
			return nil, err
		}
		if len(rk.KeyIDs) == 0 {
			return nil, malformed("role %q has no keys", name)
		}
		for _, id := range rk.KeyIDs {
			if _, ok := r.Keys[id]; !ok {
				return nil, malformed("role %q lists key %s, which is not in keys", name, ShortID(id))
			}
		}
		r.Roles[name] = rk
	}
	return r, nil
}

// rootFields are the members of a root's signed object.
var rootFields = []string{"_type", "spec_version", "version", "expires", "consistent_snapshot", "keys", "roles"}

// topLevelWhat names TopLevelRoles in errors, in the same order.
var topLevelWhat = func() []string {
	out := make([]string, len(TopLevelRoles))
	for i, name := range TopLevelRoles {
		out[i] = fmt.Sprintf("role %q", name)
	}
	return out
}()

var roleKeysFields = []string{"keyids", "threshold"}

// parseRoleKeys reads {"keyids": [...], "threshold": N} with distinct key
// IDs and a threshold of at least 1. keyIDs, the sorted IDs of the keys
// the role may list, lets the result share their strings.
func parseRoleKeys(what string, raw cjson.Raw, keyIDs []string) (RoleKeys, error) {
	idsRaw, thrRaw, plain := plainRoleKeys(raw)
	var o object
	if !plain {
		var buf [4]cjson.Member
		var err error
		if o, err = readObjectBuf(what, raw, buf[:0], roleKeysFields); err != nil {
			return RoleKeys{}, err
		}
		thrRaw, _ = o.get("threshold")
	}
	thr, ok := thrRaw.Int()
	if !ok {
		return RoleKeys{}, malformed("%s: threshold is missing or not an integer", what)
	}
	if thr < 1 {
		return RoleKeys{}, malformed("%s has threshold %d, below 1", what, thr)
	}
	if thr > 1<<31-1 {
		return RoleKeys{}, malformed("%s has threshold %d, more than any role can meet", what, thr)
	}
	if !plain {
		if idsRaw, ok = o.get("keyids"); !ok {
			return RoleKeys{}, malformed("%s: keyids is missing", what)
		}
	}
	ids, err := stringListIn(what, " keyids", idsRaw, MaxRoleKeys, keyIDs)
	if err != nil {
		return RoleKeys{}, err
	}
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			return RoleKeys{}, malformed("%s lists key %s twice", what, ShortID(id))
		}
	}
	return RoleKeys{KeyIDs: ids, Threshold: int(thr), Unknown: o.unknown()}, nil
}

// plainRoleKeys splits the role object every tool writes, canonical
// {"keyids":[…],"threshold":N} with no escape, no nested list or object
// and no other member, without the general object reader (which reads
// anything else, to the same result).
func plainRoleKeys(raw cjson.Raw) (ids, threshold cjson.Raw, ok bool) {
	const head, mid = `{"keyids":[`, `],"threshold":`
	if len(raw) < len(head)+len(mid)+2 || string(raw[:len(head)]) != head || raw[len(raw)-1] != '}' || bytes.IndexByte(raw, '\\') >= 0 {
		return nil, nil, false
	}
	end := bytes.IndexByte(raw[len(head):], ']') + len(head)
	if end < len(head) || bytes.ContainsAny(raw[len(head):end], "[{") || len(raw)-end < len(mid)+2 || string(raw[end:end+len(mid)]) != mid {
		return nil, nil, false
	}
	threshold = raw[end+len(mid) : len(raw)-1]
	for i, c := range threshold {
		if !(c >= '0' && c <= '9' || c == '-' && i == 0) {
			return nil, nil, false
		}
	}
	return raw[len(head)-1 : end+1], threshold, true
}

// ParseKeys reads a keys object (key ID to key object) of at most MaxKeys
// keys. A key that is not shaped like a key object is an error; an
// unsupported one is kept.
func ParseKeys(what string, raw cjson.Raw) (map[string]*tufkey.Key, []string, error) {
	var buf [8]cjson.Member
	members, err := raw.AppendMembers(buf[:0])
	if err != nil {
		return nil, nil, malformed("%s is not an object", what)
	}
	if len(members) > MaxKeys {
		return nil, nil, malformed("%s lists %d keys, more than %d", what, len(members), MaxKeys)
	}
	keys := make(map[string]*tufkey.Key, len(members))
	ids := make([]string, 0, len(members))
	for _, m := range members {
		k, err := tufkey.DecodeCached(m.Value)
		// The case check comes first, but it is only needed for a
		// key object that fails to decode or that the decoder found
		// a case variant in (decoded keys are cached, and so is
		// that finding).
		if err != nil || k.CaseVariant() {
			if cerr := checkKeyCase(m.Key, m.Value); cerr != nil {
				return nil, nil, cerr
			}
		}
		if err != nil {
			return nil, nil, malformed("key %s: %s", ShortID(m.Key), strings.TrimPrefix(err.Error(), tufkey.ErrInvalidKey.Error()+": "))
		}
		keys[m.Key] = k
		ids = append(ids, m.Key) // canonical order: sorted
	}
	return keys, ids, nil
}

// checkKeyCase refuses case variants of a key object's standard members.
func checkKeyCase(id string, raw cjson.Raw) error {
	what := "key " + ShortID(id)
	o, err := readObject(what, raw, tufkey.StandardFields...)
	if err != nil {
		return err
	}
	if kv, ok := o.get("keyval"); ok && kv.Kind() == cjson.KindObject {
		if _, err := readObject(what+" keyval", kv, "public"); err != nil {
			return err
		}
	}
	return nil
}

// Encode returns the signed object as a tree for cjson.
func (r *Root) Encode() map[string]any {
	keys := make(map[string]any, len(r.Keys))
	for id, k := range r.Keys {
		keys[id] = k.Object
	}
	roles := make(map[string]any, len(r.Roles))
	for name, rk := range r.Roles {
		roles[name] = rk.encode()
	}
	return withUnknown(map[string]any{
		"_type":               TypeRoot,
		"spec_version":        r.SpecVersion,
		"version":             r.Version,
		"expires":             FormatExpires(r.Expires),
		"consistent_snapshot": r.ConsistentSnapshot,
		"keys":                keys,
		"roles":               roles,
	}, r.Unknown)
}

func (rk RoleKeys) encode() map[string]any {
	ids := make([]any, len(rk.KeyIDs))
	for i, id := range rk.KeyIDs {
		ids[i] = id
	}
	return withUnknown(map[string]any{"keyids": ids, "threshold": int64(rk.Threshold)}, rk.Unknown)
}

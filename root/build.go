package root

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/trustroot/trustroot/internal/cjson"
)

// expiresString formats t as the spec asks: UTC, whole seconds.
func expiresString(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

// New builds version 1 of a root from a policy. It rejects impossible
// policies: a threshold below 1 or above the number of the role's keys, an
// unknown or missing role, and the same public key listed twice under
// different key IDs, and a key object that publishes a private key (a
// non-empty keyval.private). The errors are [*PolicyError] values wrapping
// [ErrInvalidPolicy]. Expires is stored as UTC whole seconds (truncated)
// and spec_version is "1.0.31".
func New(p Policy) (*Root, error) {
	if p.Expires.IsZero() {
		return nil, policyErr("", "", "Expires is required")
	}
	for role := range p.Roles {
		if !slices.Contains(TopLevelRoles(), role) {
			return nil, policyErr(role, "", "unknown role (want root, targets, snapshot or timestamp)")
		}
	}
	roles := map[Role][]Key{}
	thresholds := map[Role]int{}
	for _, role := range TopLevelRoles() {
		rp, ok := p.Roles[role]
		if !ok {
			return nil, policyErr(role, "", "role is missing")
		}
		roles[role] = rp.Keys
		thresholds[role] = rp.Threshold
	}
	signed := map[string]any{
		"_type":               "root",
		"spec_version":        defaultSpecVer,
		"consistent_snapshot": p.ConsistentSnapshot,
		"version":             json.Number("1"),
		"expires":             expiresString(p.Expires),
	}
	if err := setRoles(signed, roles, thresholds, nil); err != nil {
		return nil, err
	}
	return build(signed)
}

// setRoles validates the role assignment and writes "keys" and "roles"
// into signed. oldRoles holds the previous role objects, whose custom
// fields are kept.
func setRoles(signed map[string]any, roles map[Role][]Key, thresholds map[Role]int, oldRoles map[string]any) error {
	keyObjs := map[string]any{}
	byFingerprint := map[string]KeyID{}
	roleObjs := map[string]any{}
	for _, role := range TopLevelRoles() {
		keys := roles[role]
		thr := thresholds[role]
		if len(keys) == 0 {
			return policyErr(role, "", "role has no keys")
		}
		if len(keys) > maxRoleKeys {
			return policyErr(role, "", "role has %d keys, more than %d", len(keys), maxRoleKeys)
		}
		if thr < 1 {
			return policyErr(role, "", "threshold %d is below 1", thr)
		}
		if thr > len(keys) {
			return policyErr(role, "", "threshold %d is more than the role's %d keys", thr, len(keys))
		}
		ids := make([]any, 0, len(keys))
		inRole := map[KeyID]bool{}
		for i, k := range keys {
			if !k.valid() {
				return policyErr(role, "", "key %d is the zero Key; build keys with NewKey", i)
			}
			id := k.ID()
			if k.publishesPrivate() {
				return policyErr(role, id, "the key object publishes a private key (keyval.private); treat it as leaked and replace the key")
			}
			if inRole[id] {
				return policyErr(role, id, "key listed twice in the role")
			}
			inRole[id] = true
			fp := k.Fingerprint()
			if other, ok := byFingerprint[fp]; ok && other != id {
				return policyErr(role, id, "the same public key is already listed under key ID %s", shortID(other))
			}
			byFingerprint[fp] = id
			if prev, ok := keyObjs[string(id)]; ok {
				c1, _ := cjson.EncodeCanonical(prev)
				c2, _ := cjson.EncodeCanonical(k.object())
				if string(c1) != string(c2) {
					return policyErr(role, id, "two different key objects share this key ID")
				}
			}
			keyObjs[string(id)] = k.object()
			ids = append(ids, string(id))
		}
		obj := map[string]any{}
		if old, ok := oldRoles[string(role)].(map[string]any); ok {
			obj = maps.Clone(old)
		}
		obj["keyids"] = ids
		obj["threshold"] = json.Number(strconv.Itoa(thr))
		roleObjs[string(role)] = obj
	}
	if len(keyObjs) > maxKeys {
		return policyErr("", "", "%d keys, more than %d", len(keyObjs), maxKeys)
	}
	signed["keys"] = keyObjs
	signed["roles"] = roleObjs
	return nil
}

// Next returns version N+1: r's content with the changes applied and no
// signatures. N+1 needs a threshold of signatures from r's root keys and a
// threshold from its own (see [Requirements]).
//
// Custom fields of the signed object, of roles and of kept keys carry
// over, as does spec_version. A key that no role uses any more is dropped.
// An added key must not reuse a key ID that r lists for a different key,
// and no key may publish a private key (keyval.private), as for [New].
// The result is validated like [New]; errors are [*PolicyError] values.
// Expires is stored as UTC whole seconds.
func (r *Root) Next(rot Rotation) (*Root, error) {
	if !r.ok() {
		return nil, policyErr("", "", "no root to rotate")
	}
	if err := r.checkModel(); err != nil {
		return nil, err
	}
	if rot.Expires.IsZero() {
		return nil, policyErr("", "", "Expires is required")
	}
	v := r.Version()
	if v >= math.MaxInt64-1 {
		return nil, policyErr("", "", "version %d cannot be incremented", v)
	}
	for role := range rot.Roles {
		if !slices.Contains(TopLevelRoles(), role) {
			return nil, policyErr(role, "", "unknown role (want root, targets, snapshot or timestamp)")
		}
	}
	roles := map[Role][]Key{}
	thresholds := map[Role]int{}
	for _, role := range TopLevelRoles() {
		keys := r.roleKeys(role)
		rk, _ := r.Role(role)
		thr := rk.Threshold
		ch := rot.Roles[role]
		for _, id := range ch.Remove {
			i := slices.IndexFunc(keys, func(k Key) bool { return k.ID() == id })
			if i < 0 {
				return nil, policyErr(role, id, "cannot remove a key the role does not list")
			}
			keys = slices.Delete(keys, i, i+1)
		}
		for i, k := range ch.Add {
			if !k.valid() {
				return nil, policyErr(role, "", "added key %d is the zero Key; build keys with NewKey", i)
			}
			if slices.ContainsFunc(keys, func(o Key) bool { return o.ID() == k.ID() }) {
				return nil, policyErr(role, k.ID(), "the role already lists this key")
			}
			// One signature entry per key ID serves both versions: an ID
			// must not mean one key in N and another in N+1.
			if old, ok := r.keys[k.ID()]; ok && !old.sameKey(k) {
				return nil, policyErr(role, k.ID(), "v%d lists another key under this key ID; one signature entry could not serve both versions", v)
			}
			keys = append(keys, k)
		}
		if ch.Threshold < 0 {
			return nil, policyErr(role, "", "threshold %d is below 1", ch.Threshold)
		}
		if ch.Threshold != 0 {
			thr = ch.Threshold
		}
		roles[role] = keys
		thresholds[role] = thr
	}
	tree, err := deepCopy(r.signed)
	if err != nil {
		return nil, fmt.Errorf("root: copying: %w", err)
	}
	signed := tree.(map[string]any)
	signed["version"] = json.Number(strconv.FormatInt(v+1, 10))
	signed["expires"] = expiresString(rot.Expires)
	oldRoles, _ := signed["roles"].(map[string]any)
	if err := setRoles(signed, roles, thresholds, oldRoles); err != nil {
		return nil, err
	}
	return build(signed)
}

// deepCopy copies a generic JSON tree.
func deepCopy(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			c, err := deepCopy(e)
			if err != nil {
				return nil, err
			}
			m[k] = c
		}
		return m, nil
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			c, err := deepCopy(e)
			if err != nil {
				return nil, err
			}
			l[i] = c
		}
		return l, nil
	case nil, bool, string, json.Number:
		return t, nil
	default:
		return nil, fmt.Errorf("unexpected %T", v)
	}
}

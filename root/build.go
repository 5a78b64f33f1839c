package root

import (
	"maps"
	"slices"

	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/internal/tufmeta"
)

// defaultSpecVersion is the spec_version New writes.
const defaultSpecVersion = "1.0.31"

// New builds version 1 of a root from a policy. It rejects impossible
// policies: a threshold below 1 or above the number of the role's keys, an
// unknown or missing role, the same public key listed twice under
// different key IDs, an unsupported key, and a key object that publishes a
// private key (a non-empty keyval.private). The errors are [*PolicyError]
// values wrapping [ErrInvalidPolicy]. Expires is stored as UTC whole
// seconds (truncated) and spec_version is "1.0.31".
func New(p Policy) (*Root, error) {
	if p.Expires.IsZero() {
		return nil, policyErr("", "", "Expires is required")
	}
	for role := range p.Roles {
		if !role.IsTopLevel() {
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
	m := &tufmeta.Root{
		Header:             tufmeta.Header{Type: tufmeta.TypeRoot, SpecVersion: defaultSpecVersion, Version: 1, Expires: p.Expires},
		ConsistentSnapshot: p.ConsistentSnapshot,
	}
	if err := setRoles(m, roles, thresholds, nil); err != nil {
		return nil, err
	}
	return build(m.Encode())
}

// setRoles validates the role assignment and writes the keys and roles of
// m. oldRoles holds the previous roles, whose unknown members are kept.
func setRoles(m *tufmeta.Root, roles map[Role][]Key, thresholds map[Role]int, oldRoles map[string]tufmeta.RoleKeys) error {
	keyObjs := map[string]*tufkey.Key{}
	byFingerprint := map[string]KeyID{}
	m.Roles = map[string]tufmeta.RoleKeys{}
	for _, role := range TopLevelRoles() {
		keys := roles[role]
		thr := thresholds[role]
		if len(keys) == 0 {
			return policyErr(role, "", "role has no keys")
		}
		if len(keys) > tufmeta.MaxRoleKeys {
			return policyErr(role, "", "role has %d keys, more than %d", len(keys), tufmeta.MaxRoleKeys)
		}
		if thr < 1 {
			return policyErr(role, "", "threshold %d is below 1", thr)
		}
		if thr > len(keys) {
			return policyErr(role, "", "threshold %d is more than the role's %d keys", thr, len(keys))
		}
		ids := make([]string, 0, len(keys))
		for i, k := range keys {
			if !k.valid() {
				return policyErr(role, "", "key %d is the zero Key; build keys with NewKey", i)
			}
			id := k.ID()
			if why := k.Unsupported(); why != "" {
				return policyErr(role, id, "the key cannot verify signatures: %s", why)
			}
			if k.publishesPrivate() {
				return policyErr(role, id, "the key object publishes a private key (keyval.private); treat it as leaked and replace the key")
			}
			if slices.Contains(ids, string(id)) {
				return policyErr(role, id, "key listed twice in the role")
			}
			fp := k.Fingerprint()
			if other, ok := byFingerprint[fp]; ok && other != id {
				return policyErr(role, id, "the same public key is already listed under key ID %s", shortID(other))
			}
			byFingerprint[fp] = id
			if prev, ok := keyObjs[string(id)]; ok && string(prev.Object) != string(k.object()) {
				return policyErr(role, id, "two different key objects share this key ID")
			}
			keyObjs[string(id)] = k.k.key
			ids = append(ids, string(id))
		}
		m.Roles[string(role)] = tufmeta.RoleKeys{KeyIDs: ids, Threshold: thr, Unknown: oldRoles[string(role)].Unknown}
	}
	if len(keyObjs) > tufmeta.MaxKeys {
		return policyErr("", "", "%d keys, more than %d", len(keyObjs), tufmeta.MaxKeys)
	}
	m.Keys = keyObjs
	m.KeyIDs = slices.Sorted(maps.Keys(keyObjs))
	return nil
}

// Next returns version N+1: r's content with the changes applied and no
// signatures. N+1 needs a threshold of signatures from r's root keys and a
// threshold from its own (see [Root.Requirements]).
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
	if rot.Expires.IsZero() {
		return nil, policyErr("", "", "Expires is required")
	}
	v := r.Version()
	// Versions are JSON numbers other clients read as float64s.
	if v >= 1<<53 {
		return nil, policyErr("", "", "version %d cannot be incremented", v)
	}
	for role := range rot.Roles {
		if !role.IsTopLevel() {
			return nil, policyErr(role, "", "unknown role (want root, targets, snapshot or timestamp)")
		}
	}
	roles := map[Role][]Key{}
	thresholds := map[Role]int{}
	for _, role := range TopLevelRoles() {
		keys := r.roleKeys(role)
		thr := r.threshold(role)
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
	m := &tufmeta.Root{
		Header:             tufmeta.Header{Type: tufmeta.TypeRoot, SpecVersion: r.m.SpecVersion, Version: v + 1, Expires: rot.Expires},
		ConsistentSnapshot: r.m.ConsistentSnapshot,
		Unknown:            maps.Clone(r.m.Unknown),
	}
	if err := setRoles(m, roles, thresholds, r.m.Roles); err != nil {
		return nil, err
	}
	return build(m.Encode())
}

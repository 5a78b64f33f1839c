package repository

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/link"
	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/root"
)

// MaxCustomSize bounds a target's custom metadata, in bytes.
const MaxCustomSize = 64 << 10

// TopLevelTargets is the role name of the top-level targets metadata.
const TopLevelTargets = root.RoleTargets

// Targets is targets metadata: the top-level targets role or a delegated
// one, built here or parsed from a file. Every change drops the
// signatures, so sign last. A Targets is not safe for concurrent use.
type Targets struct {
	signed
	m           *tufmeta.Targets
	delegations []Delegation // built from m on first use; nil after a change
}

// validRoleName reports whether s matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$
// (a loop, not a regexp: compiling that one took a fifth of a millisecond
// at every program start).
func validRoleName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

func checkRoleName(name root.Role) error {
	if !validRoleName(string(name)) || name.IsTopLevel() {
		return invalid("role name %q: use up to 64 letters, digits, '.', '_' and '-', not a top-level role name", name)
	}
	return nil
}

func checkTargetName(name string) error {
	if err := tufmeta.CheckTargetName(name); err != nil {
		return invalid("target name %q is not a clean relative path", name)
	}
	return nil
}

func newTargets(role root.Role, m *tufmeta.Targets) *Targets {
	t := &Targets{m: m}
	t.signed = signed{role: role, encode: m.Encode}
	return t
}

// changed drops the signatures, the payload and the delegations built
// from the model.
func (t *Targets) changed() {
	t.signed.changed()
	t.delegations = nil
}

// NewTargets returns empty targets metadata for role ([TopLevelTargets]
// or a delegated role's name) with the given version and expiry (stored as
// UTC whole seconds).
func NewTargets(role root.Role, version int64, expires time.Time) (*Targets, error) {
	if role != TopLevelTargets {
		if err := checkRoleName(role); err != nil {
			return nil, err
		}
	}
	if err := checkVersion(role, version); err != nil {
		return nil, err
	}
	exp, err := checkTime(role, expires)
	if err != nil {
		return nil, err
	}
	return newTargets(role, &tufmeta.Targets{
		Header:  tufmeta.Header{Type: tufmeta.TypeTargets, SpecVersion: specVersion, Version: version, Expires: exp},
		Targets: map[string]tufmeta.TargetFile{},
	}), nil
}

// specVersion is the spec_version this package writes.
const specVersion = "1.0.31"

// ParseTargets reads a targets file of role strictly, with the module's
// one parser (see root.Parse): at most 5 MiB, no duplicate keys, clean
// target names, delegated roles whose key IDs the delegations list. It
// checks no signature (package verify does) and keeps the signatures until
// the first change. Errors wrap root.ErrMalformed.
func ParseTargets(role root.Role, data []byte) (*Targets, error) {
	env, err := parse(tufmeta.TypeTargets, role, data, 0)
	if err != nil {
		return nil, err
	}
	t, err := targetsFromEnvelope(role, env)
	if err != nil {
		return nil, fmt.Errorf("repository: %s: %w", role, err)
	}
	return t, nil
}

func init() {
	link.Targets = func(role string, env *tufmeta.Envelope) (any, error) {
		return targetsFromEnvelope(root.Role(role), env)
	}
}

// targetsFromEnvelope is ParseTargets's second half.
func targetsFromEnvelope(role root.Role, env *tufmeta.Envelope) (*Targets, error) {
	m, err := tufmeta.ParseTargets(env)
	if err != nil {
		return nil, err
	}
	if d := m.Delegations; d != nil {
		for _, r := range d.Roles {
			for _, id := range r.KeyIDs {
				if _, ok := d.Keys[id]; !ok {
					return nil, fmt.Errorf("%w: delegated role %q lists key %s, which delegations.keys does not", root.ErrMalformed, r.Name, tufmeta.ShortID(id))
				}
			}
		}
	}
	t := newTargets(role, m)
	t.parsed(env)
	return t, nil
}

// Role returns the role name.
func (t *Targets) Role() root.Role { return t.role }

// Version returns the version.
func (t *Targets) Version() int64 { return t.m.Version }

// Expires returns the expiry.
func (t *Targets) Expires() time.Time { return t.m.Expires }

// SetVersion sets a new version and expiry, as for the next release of a
// parsed file.
func (t *Targets) SetVersion(version int64, expires time.Time) error {
	if err := checkVersion(t.role, version); err != nil {
		return err
	}
	exp, err := checkTime(t.role, expires)
	if err != nil {
		return err
	}
	t.m.Version, t.m.Expires = version, exp
	t.changed()
	return nil
}

// FileName returns the consistent-snapshot file name: VERSION.targets.json,
// or VERSION.NAME.json for a delegated role, the name escaped (see
// [MetadataFileName]).
func (t *Targets) FileName() string { return MetadataFileName(t.role, t.m.Version) }

// MetadataFileName returns the consistent-snapshot file name of version
// of role's metadata: VERSION.ROLE.json, the role name escaped as
// [EscapeRoleName] does.
func MetadataFileName(role root.Role, version int64) string {
	return fmt.Sprintf("%d.%s.json", version, EscapeRoleName(role))
}

// EscapeRoleName escapes a role name for use in a file name as the TUF
// reference implementation does (Python's urllib.parse.quote with no safe
// characters): every byte but ASCII letters, digits, '_', '.', '-' and '~'
// becomes %XX, so "team/a" is "team%2Fa" and no name can leave the
// repository's directory.
func EscapeRoleName(role root.Role) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(role); i++ {
		c := role[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '.', c == '-', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// File returns FileName and MarshalFile together.
func (t *Targets) File() (File, error) {
	data, err := t.MarshalFile()
	return File{Name: t.FileName(), Data: data}, err
}

// Target returns the target listed under name in this metadata itself
// (delegations are not searched).
func (t *Targets) Target(name string) (Target, bool) {
	tf, ok := t.m.Targets[name]
	if !ok {
		return Target{}, false
	}
	return t.target(name, tf), true
}

func (t *Targets) target(name string, tf tufmeta.TargetFile) Target {
	out := Target{Name: name, Length: tf.Length, Hashes: make(map[string]string, len(tf.Hashes)), Role: t.role}
	for alg, d := range tf.Hashes {
		out.Hashes[alg] = hex.EncodeToString(d)
	}
	if tf.Custom != nil {
		out.Custom = json.RawMessage(tf.Custom.JSON())
	}
	return out
}

// Targets returns every target this metadata lists, sorted by name.
func (t *Targets) Targets() []Target {
	out := make([]Target, 0, len(t.m.Targets))
	for _, name := range slices.Sorted(maps.Keys(t.m.Targets)) {
		out = append(out, t.target(name, t.m.Targets[name]))
	}
	return out
}

// canonicalCustom checks custom metadata: a JSON object of at most
// MaxCustomSize bytes that canonical JSON can encode.
func canonicalCustom(name string, custom json.RawMessage) (cjson.Raw, error) {
	if custom == nil {
		return nil, nil
	}
	if len(custom) > MaxCustomSize {
		return nil, invalid("target %s: custom metadata is %d bytes, more than %d", name, len(custom), MaxCustomSize)
	}
	c, err := cjson.Canonicalize(custom)
	if err != nil {
		return nil, invalid("target %s: custom metadata: %v", name, strings.TrimPrefix(err.Error(), "cjson: "))
	}
	if c.Kind() != cjson.KindObject {
		return nil, invalid("target %s: custom metadata is not a JSON object", name)
	}
	return c, nil
}

// AddTarget lists data under name, replacing any target of that name, with
// its length, its SHA-256 and custom metadata (a JSON object such as
// {"sigstore":{"usage":"Fulcio","status":"Active"}}, or nil for none). It
// returns the file to publish: targets/DIR/SHA256.BASE, where a
// consistent-snapshot client fetches it.
func (t *Targets) AddTarget(name string, data []byte, custom json.RawMessage) (File, error) {
	if err := checkTargetName(name); err != nil {
		return File{}, err
	}
	c, err := canonicalCustom(name, custom)
	if err != nil {
		return File{}, err
	}
	sum := sha256.Sum256(data)
	t.m.Targets[name] = tufmeta.TargetFile{Length: int64(len(data)), Hashes: map[string][]byte{"sha256": sum[:]}, Custom: c}
	t.changed()
	tg, _ := t.Target(name)
	return File{Name: tg.Path(true), Data: bytes.Clone(data)}, nil
}

// SetCustom replaces the custom metadata of the target listed under name
// (nil removes it) without touching its file.
func (t *Targets) SetCustom(name string, custom json.RawMessage) error {
	tf, ok := t.m.Targets[name]
	if !ok {
		return invalid("%s lists no target %q", t.role, name)
	}
	c, err := canonicalCustom(name, custom)
	if err != nil {
		return err
	}
	tf.Custom = c
	t.m.Targets[name] = tf
	t.changed()
	return nil
}

// RemoveTarget takes name out of the targets. It reports whether it was
// listed.
func (t *Targets) RemoveTarget(name string) bool {
	if _, ok := t.m.Targets[name]; !ok {
		return false
	}
	delete(t.m.Targets, name)
	t.changed()
	return true
}

// Delegations returns the roles this metadata delegates to, in the order
// a client searches them.
func (t *Targets) Delegations() []Delegation {
	if t.delegations == nil {
		t.delegations = t.buildDelegations()
	}
	out := make([]Delegation, len(t.delegations))
	for i, d := range t.delegations {
		d.Keys = slices.Clone(d.Keys)
		d.Paths = slices.Clone(d.Paths)
		d.PathHashPrefixes = slices.Clone(d.PathHashPrefixes)
		out[i] = d
	}
	return out
}

// buildDelegations resolves the delegations' keys once: a search visits a
// role's delegations every time it passes through it.
func (t *Targets) buildDelegations() []Delegation {
	d := t.m.Delegations
	if d == nil {
		return []Delegation{}
	}
	out := make([]Delegation, 0, len(d.Roles))
	for _, r := range d.Roles {
		dl := Delegation{
			Name: root.Role(r.Name), Threshold: r.Threshold, Terminating: r.Terminating,
			Paths: slices.Clone(r.Paths), PathHashPrefixes: slices.Clone(r.PathHashPrefixes),
		}
		for _, id := range r.KeyIDs {
			if k, ok := d.Keys[id]; ok {
				if rk, err := root.ParseKey(root.KeyID(id), k.Object.JSON()); err == nil {
					dl.Keys = append(dl.Keys, rk)
				}
			}
		}
		out = append(out, dl)
	}
	return out
}

// Succinct reports whether the metadata delegates with succinct (hash-bin)
// roles, which this module reads but neither edits nor searches.
func (t *Targets) Succinct() bool {
	return t.m.Delegations != nil && t.m.Delegations.Succinct != nil
}

// Delegate adds a delegation, or replaces the one of the same name,
// keeping the order of the others (clients search delegations in order).
// It needs at least one key and one path pattern, and a threshold no
// higher than the number of distinct keys.
func (t *Targets) Delegate(d Delegation) error {
	if err := checkRoleName(d.Name); err != nil {
		return err
	}
	if len(d.Keys) == 0 || d.Threshold < 1 {
		return invalid("delegation %s: needs keys and a threshold of at least 1", d.Name)
	}
	if len(d.Keys) > tufmeta.MaxRoleKeys {
		return invalid("delegation %s: %d keys, more than %d", d.Name, len(d.Keys), tufmeta.MaxRoleKeys)
	}
	fps := map[string]bool{}
	keys := map[string]*tufkey.Key{}
	ids := make([]string, 0, len(d.Keys))
	for _, k := range d.Keys {
		if why := k.Unsupported(); why != "" {
			return invalid("delegation %s: key %s cannot verify signatures: %s", d.Name, k.ID(), why)
		}
		obj, err := k.MarshalJSON()
		if err != nil {
			return invalid("delegation %s: %v", d.Name, err)
		}
		canon, err := cjson.Canonicalize(obj)
		if err != nil {
			return invalid("delegation %s: %v", d.Name, err)
		}
		tk, err := tufkey.DecodeCached(canon)
		if err != nil {
			return invalid("delegation %s: %v", d.Name, err)
		}
		if fps[k.Fingerprint()] {
			return invalid("delegation %s: key %s listed twice", d.Name, k.ID())
		}
		fps[k.Fingerprint()] = true
		keys[string(k.ID())] = tk
		ids = append(ids, string(k.ID()))
	}
	if d.Threshold > len(fps) {
		return invalid("delegation %s: threshold %d is more than its %d keys", d.Name, d.Threshold, len(fps))
	}
	if len(d.Paths) == 0 || len(d.PathHashPrefixes) > 0 {
		return invalid("delegation %s: needs path patterns (and no path hash prefixes)", d.Name)
	}
	for _, p := range d.Paths {
		if p == "" || strings.ContainsAny(p, "\\\x00") || strings.HasPrefix(p, "/") {
			return invalid("delegation %s: path pattern %q", d.Name, p)
		}
	}
	slices.Sort(ids)
	role := tufmeta.DelegatedRole{
		Name: string(d.Name), KeyIDs: ids, Threshold: d.Threshold, Terminating: d.Terminating, Paths: slices.Clone(d.Paths),
	}
	if t.m.Delegations == nil {
		t.m.Delegations = &tufmeta.Delegations{Keys: map[string]*tufkey.Key{}}
	}
	dl := t.m.Delegations
	if dl.Succinct != nil {
		return invalid("%s uses succinct delegations, which this package does not edit", t.role)
	}
	for id, k := range keys {
		if old, ok := dl.Keys[id]; ok && string(old.Object) != string(k.Object) {
			return invalid("delegation %s: key ID %s already names another key", d.Name, id)
		}
	}
	if i := slices.IndexFunc(dl.Roles, func(r tufmeta.DelegatedRole) bool { return r.Name == role.Name }); i >= 0 {
		role.Unknown = dl.Roles[i].Unknown
		dl.Roles[i] = role
	} else {
		dl.Roles = append(dl.Roles, role)
	}
	maps.Copy(dl.Keys, keys)
	t.pruneKeys()
	t.changed()
	return nil
}

// RemoveDelegation takes the delegation to name out. It reports whether
// there was one.
func (t *Targets) RemoveDelegation(name root.Role) bool {
	dl := t.m.Delegations
	if dl == nil {
		return false
	}
	i := slices.IndexFunc(dl.Roles, func(r tufmeta.DelegatedRole) bool { return r.Name == string(name) })
	if i < 0 {
		return false
	}
	dl.Roles = slices.Delete(dl.Roles, i, i+1)
	t.pruneKeys()
	if len(dl.Roles) == 0 && dl.Succinct == nil && len(dl.Unknown) == 0 {
		t.m.Delegations = nil
	}
	t.changed()
	return true
}

// pruneKeys drops delegation keys no role uses.
func (t *Targets) pruneKeys() {
	used := map[string]bool{}
	for _, r := range t.m.Delegations.Roles {
		for _, id := range r.KeyIDs {
			used[id] = true
		}
	}
	for id := range t.m.Delegations.Keys {
		if !used[id] {
			delete(t.m.Delegations.Keys, id)
		}
	}
	t.m.Delegations.KeyIDs = slices.Sorted(maps.Keys(t.m.Delegations.Keys))
}

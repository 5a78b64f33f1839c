package repository

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
)

// Bounds on what a Targets holds.
const (
	// MaxTargets bounds the targets one targets metadata lists.
	MaxTargets = 10000
	// MaxDelegations bounds the roles one targets metadata delegates to.
	MaxDelegations = 256
	// MaxCustomSize bounds a target's custom metadata, in bytes.
	MaxCustomSize = 64 << 10
	// MaxFileSize bounds a metadata file ParseTargets reads.
	MaxFileSize = 4 << 20
)

// TopLevelTargets is the role name of the top-level targets metadata.
const TopLevelTargets = "targets"

// Targets is targets metadata being built: the top-level targets role or
// a delegated one. Every change drops the signatures, so sign last. A
// Targets is not safe for concurrent use.
type Targets struct {
	signed
	t *metadata.TargetsType
}

// Delegation delegates trust for some target paths to a role.
type Delegation struct {
	// Name is the delegated role's name: letters, digits, '.', '_' and
	// '-', starting with a letter or digit, at most 64 bytes, and not a
	// top-level role name.
	Name string
	// Keys and Threshold say who must sign the role's metadata; the
	// threshold counts distinct keys.
	Keys      []root.Key
	Threshold int
	// Paths are shell-style patterns of the target paths delegated
	// ("*" does not match "/"). At least one is required.
	Paths []string
	// Terminating stops a client's search at this role for targets
	// its paths match.
	Terminating bool
}

var roleNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func checkRoleName(name string) error {
	if !roleNameRE.MatchString(name) || slices.Contains([]string{"root", "targets", "snapshot", "timestamp"}, name) {
		return invalid("role name %q: use up to 64 letters, digits, '.', '_' and '-', not a top-level role name", name)
	}
	return nil
}

// checkTargetName is the rule verify enforces: an unrooted,
// slash-separated path with no empty, "." or ".." element, no backslash
// and no NUL byte.
func checkTargetName(name string) error {
	if !fs.ValidPath(name) || name == "." || strings.ContainsAny(name, "\\\x00") {
		return invalid("target name %q is not a clean relative path", name)
	}
	return nil
}

// NewTargets returns empty targets metadata for role ([TopLevelTargets]
// or a delegated role's name) with the given version and expiry (stored as
// UTC whole seconds).
func NewTargets(role string, version int64, expires time.Time) (*Targets, error) {
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
	t := metadata.Targets(exp).Signed
	t.Version = version
	return &Targets{signed: signed{role: role}, t: &t}, nil
}

// ParseTargets reads a published targets file of role strictly (no
// duplicate keys, bounded size, go-tuf's model agreeing with the bytes, clean
// target names), keeping its signatures until the first change. It checks
// no signature; package verify does that.
func ParseTargets(role string, data []byte) (*Targets, error) {
	if role != TopLevelTargets {
		if err := checkRoleName(role); err != nil {
			return nil, err
		}
	}
	doc, err := tufmeta.Parse[metadata.TargetsType](data, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, role, err)
	}
	t := doc.Meta.Signed
	if len(t.Targets) > MaxTargets {
		return nil, fmt.Errorf("%w: %s lists %d targets, more than %d", ErrMalformed, role, len(t.Targets), MaxTargets)
	}
	for name := range t.Targets {
		if err := checkTargetName(name); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, role, err)
		}
	}
	if t.Delegations != nil && len(t.Delegations.Roles) > MaxDelegations {
		return nil, fmt.Errorf("%w: %s delegates to more than %d roles", ErrMalformed, role, MaxDelegations)
	}
	out := &Targets{signed: signed{role: role}, t: &t}
	for _, s := range doc.Signatures {
		if len(s.Sig) > 0 {
			out.sigs = append(out.sigs, signature{keyID: s.KeyID, sig: s.Sig})
		}
	}
	return out, nil
}

// Role returns the role name.
func (t *Targets) Role() string { return t.role }

// Version returns the version.
func (t *Targets) Version() int64 { return t.t.Version }

// Expires returns the expiry.
func (t *Targets) Expires() time.Time { return t.t.Expires }

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
	t.t.Version, t.t.Expires, t.sigs = version, exp, nil
	return nil
}

// FileName returns the consistent-snapshot file name: VERSION.targets.json,
// or VERSION.NAME.json for a delegated role.
func (t *Targets) FileName() string {
	return fmt.Sprintf("%d.%s.json", t.t.Version, url.PathEscape(t.role))
}

// AddTarget lists data under name, replacing any target of that name, with
// its length, its SHA-256 and custom metadata (a JSON object such as
// {"sigstore":{"usage":"Fulcio","status":"Active"}}, or nil). It returns
// the file to publish: targets/DIR/SHA256.BASE, where a consistent-snapshot
// client fetches it.
func (t *Targets) AddTarget(name string, data []byte, custom json.RawMessage) (File, error) {
	if err := checkTargetName(name); err != nil {
		return File{}, err
	}
	if _, ok := t.t.Targets[name]; !ok && len(t.t.Targets) >= MaxTargets {
		return File{}, invalid("%s already lists %d targets", t.role, MaxTargets)
	}
	tf := &metadata.TargetFiles{Length: int64(len(data))}
	sum := sha256.Sum256(data)
	tf.Hashes = metadata.Hashes{"sha256": sum[:]}
	if custom != nil {
		if len(custom) > MaxCustomSize {
			return File{}, invalid("target %s: custom metadata is %d bytes, more than %d", name, len(custom), MaxCustomSize)
		}
		tree, err := cjson.Decode(custom)
		if err != nil {
			return File{}, invalid("target %s: custom metadata: %v", name, err)
		}
		if _, ok := tree.(map[string]any); !ok {
			return File{}, invalid("target %s: custom metadata is not a JSON object", name)
		}
		c, err := cjson.EncodeCanonical(tree)
		if err != nil {
			return File{}, invalid("target %s: custom metadata: %v", name, err)
		}
		raw := json.RawMessage(c)
		tf.Custom = &raw
	}
	if t.t.Targets == nil {
		t.t.Targets = map[string]*metadata.TargetFiles{}
	}
	t.t.Targets[name] = tf
	t.sigs = nil
	return File{Name: targetPath(name, sum[:]), Data: bytes.Clone(data)}, nil
}

func targetPath(name string, sum []byte) string {
	dir, base := path.Split(name)
	return path.Join("targets", dir, hex.EncodeToString(sum)+"."+base)
}

// RemoveTarget takes name out of the targets. It reports whether it was
// listed.
func (t *Targets) RemoveTarget(name string) bool {
	if _, ok := t.t.Targets[name]; !ok {
		return false
	}
	delete(t.t.Targets, name)
	t.sigs = nil
	return true
}

// TargetFiles returns the published path of every target listed
// (targets/DIR/SHA256.BASE), sorted, for targets that list a SHA-256.
func (t *Targets) TargetFiles() []string {
	var out []string
	for name, tf := range t.t.Targets {
		if h, ok := tf.Hashes["sha256"]; ok && checkTargetName(name) == nil {
			out = append(out, targetPath(name, h))
		}
	}
	sort.Strings(out)
	return out
}

// Delegate adds a delegation, or replaces the one of the same name,
// keeping the order of the others (clients search delegations in order).
func (t *Targets) Delegate(d Delegation) error {
	if err := checkRoleName(d.Name); err != nil {
		return err
	}
	if len(d.Keys) == 0 || d.Threshold < 1 {
		return invalid("delegation %s: needs keys and a threshold of at least 1", d.Name)
	}
	fps := map[string]bool{}
	keys := map[string]*metadata.Key{}
	ids := make([]string, 0, len(d.Keys))
	for _, k := range d.Keys {
		mk, err := modelKey(k)
		if err != nil {
			return invalid("delegation %s: %v", d.Name, err)
		}
		fp := k.Fingerprint()
		if fps[fp] {
			return invalid("delegation %s: key %s listed twice", d.Name, k.ID())
		}
		fps[fp] = true
		keys[string(k.ID())] = mk
		ids = append(ids, string(k.ID()))
	}
	if d.Threshold > len(fps) {
		return invalid("delegation %s: threshold %d is more than its %d keys", d.Name, d.Threshold, len(fps))
	}
	if len(d.Paths) == 0 {
		return invalid("delegation %s: needs at least one path pattern", d.Name)
	}
	for _, p := range d.Paths {
		if p == "" || strings.ContainsAny(p, "\\\x00") || strings.HasPrefix(p, "/") {
			return invalid("delegation %s: path pattern %q", d.Name, p)
		}
	}
	sort.Strings(ids)
	role := metadata.DelegatedRole{
		Name:        d.Name,
		KeyIDs:      ids,
		Threshold:   d.Threshold,
		Terminating: d.Terminating,
		Paths:       slices.Clone(d.Paths),
	}
	if t.t.Delegations == nil {
		t.t.Delegations = &metadata.Delegations{Keys: map[string]*metadata.Key{}}
	}
	dl := t.t.Delegations
	if dl.SuccinctRoles != nil {
		return invalid("%s uses succinct delegations, which this package does not edit", t.role)
	}
	i := slices.IndexFunc(dl.Roles, func(r metadata.DelegatedRole) bool { return r.Name == d.Name })
	if i < 0 && len(dl.Roles) >= MaxDelegations {
		return invalid("%s already delegates to %d roles", t.role, MaxDelegations)
	}
	if i < 0 {
		dl.Roles = append(dl.Roles, role)
	} else {
		dl.Roles[i] = role
	}
	for id, k := range keys {
		dl.Keys[id] = k
	}
	t.pruneKeys()
	t.sigs = nil
	return nil
}

// RemoveDelegation takes the delegation to name out. It reports whether
// there was one.
func (t *Targets) RemoveDelegation(name string) bool {
	dl := t.t.Delegations
	if dl == nil {
		return false
	}
	i := slices.IndexFunc(dl.Roles, func(r metadata.DelegatedRole) bool { return r.Name == name })
	if i < 0 {
		return false
	}
	dl.Roles = slices.Delete(dl.Roles, i, i+1)
	t.pruneKeys()
	if len(dl.Roles) == 0 && dl.SuccinctRoles == nil {
		t.t.Delegations = nil
	}
	t.sigs = nil
	return true
}

// pruneKeys drops delegation keys no role uses.
func (t *Targets) pruneKeys() {
	used := map[string]bool{}
	for _, r := range t.t.Delegations.Roles {
		for _, id := range r.KeyIDs {
			used[id] = true
		}
	}
	for id := range t.t.Delegations.Keys {
		if !used[id] {
			delete(t.t.Delegations.Keys, id)
		}
	}
}

// modelKey returns k as go-tuf's key model, annotations included.
func modelKey(k root.Key) (*metadata.Key, error) {
	if k.Public() == nil {
		return nil, fmt.Errorf("empty key")
	}
	custom := map[string]any{}
	if h := k.Holder(); h != "" {
		custom[root.FieldHolder] = h
	}
	if s := k.Serial(); s != "" {
		custom[root.FieldSerial] = s
	}
	tk, err := tufkey.New(k.Public(), custom)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(tk.Object)
	if err != nil {
		return nil, err
	}
	var mk metadata.Key
	if err := json.Unmarshal(data, &mk); err != nil {
		return nil, err
	}
	return &mk, nil
}

// Sign signs the metadata with s, whose key must be one of keys: the
// role's keys from the root (for top-level targets) or from the
// delegation (for a delegated role). The signature is verified under the
// key before it is added; it replaces an earlier one by the same key.
// Errors are *SignError.
func (t *Targets) Sign(ctx context.Context, s signer.Signer, keys []root.Key) error {
	p, err := payloadOf(t.role, t.t)
	if err != nil {
		return err
	}
	return t.sign(ctx, p, s, keys)
}

// MarshalFile returns the file form: keys sorted, two-space indent, a
// trailing newline.
func (t *Targets) MarshalFile() ([]byte, error) { return t.marshal(t.t) }

// File returns FileName and MarshalFile together.
func (t *Targets) File() (File, error) {
	data, err := t.MarshalFile()
	return File{Name: t.FileName(), Data: data}, err
}

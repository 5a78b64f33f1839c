package tufmeta

import (
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/tufkey"
)

// MetaFile is an entry of a timestamp's or snapshot's meta: the version of
// a metadata file and, optionally, its length and hashes.
type MetaFile struct {
	Version int64
	// Length is the file's length; HasLength says whether it is listed.
	Length    int64
	HasLength bool
	// Hashes maps an algorithm name to the digest; nil when not listed.
	Hashes  map[string][]byte
	Unknown map[string]cjson.Raw
}

// Timestamp is timestamp metadata's signed object.
type Timestamp struct {
	Header
	Meta    map[string]MetaFile
	Unknown map[string]cjson.Raw
}

// Snapshot is snapshot metadata's signed object.
type Snapshot struct {
	Header
	Meta    map[string]MetaFile
	Unknown map[string]cjson.Raw
}

// ParseTimestamp builds the timestamp model; its meta must list exactly
// snapshot.json.
func ParseTimestamp(env *Envelope) (*Timestamp, error) {
	meta, unknown, err := parseMetaObject(env)
	if err != nil {
		return nil, err
	}
	if _, ok := meta["snapshot.json"]; !ok || len(meta) != 1 {
		return nil, malformed("timestamp meta must list exactly snapshot.json")
	}
	return &Timestamp{Header: env.Header, Meta: meta, Unknown: unknown}, nil
}

// ParseSnapshot builds the snapshot model.
func ParseSnapshot(env *Envelope) (*Snapshot, error) {
	meta, unknown, err := parseMetaObject(env)
	if err != nil {
		return nil, err
	}
	return &Snapshot{Header: env.Header, Meta: meta, Unknown: unknown}, nil
}

func parseMetaObject(env *Envelope) (map[string]MetaFile, map[string]cjson.Raw, error) {
	o := object{what: "signed", members: env.members}
	if err := o.caseVariants("_type", "spec_version", "version", "expires", "meta"); err != nil {
		return nil, nil, err
	}
	raw, ok := o.get("meta")
	if !ok {
		return nil, nil, malformed(`"meta" is missing`)
	}
	members, err := raw.Members()
	if err != nil {
		return nil, nil, malformed(`"meta" is not an object`)
	}
	meta := make(map[string]MetaFile, len(members))
	for _, m := range members {
		mf, err := parseMetaFile(fmt.Sprintf("meta %q", m.Key), m.Value)
		if err != nil {
			return nil, nil, err
		}
		meta[m.Key] = mf
	}
	return meta, o.unknown(), nil
}

func parseMetaFile(what string, raw cjson.Raw) (MetaFile, error) {
	o, err := readObject(what, raw, "version", "length", "hashes")
	if err != nil {
		return MetaFile{}, err
	}
	v, ok := o.int("version")
	if !ok {
		return MetaFile{}, malformed("%s: version is missing or not an integer", what)
	}
	if v < 1 {
		return MetaFile{}, malformed("%s: version %d is below 1", what, v)
	}
	mf := MetaFile{Version: v}
	if l, present := o.get("length"); present {
		// No metadata file is empty: a length of 0 could only be read as
		// "not listed", which it is not.
		n, ok := l.Int()
		if !ok || n < 1 {
			return MetaFile{}, malformed("%s: length is not a positive integer", what)
		}
		mf.Length, mf.HasLength = n, true
	}
	if h, present := o.get("hashes"); present {
		if mf.Hashes, err = parseHashes(what, h); err != nil {
			return MetaFile{}, err
		}
	}
	mf.Unknown = o.unknown()
	return mf, nil
}

func parseHashes(what string, raw cjson.Raw) (map[string][]byte, error) {
	members, err := raw.Members()
	if err != nil {
		return nil, malformed("%s: hashes is not an object", what)
	}
	out := make(map[string][]byte, len(members))
	for _, m := range members {
		s, ok := m.Value.Str()
		if !ok {
			return nil, malformed("%s: hash %q is not a string", what, m.Key)
		}
		d, err := hex.DecodeString(s)
		if err != nil {
			return nil, malformed("%s: hash %q is not hex", what, m.Key)
		}
		out[m.Key] = d
	}
	return out, nil
}

// Encode returns the signed object as a tree for cjson.
func (t *Timestamp) Encode() map[string]any {
	return encodeMeta(TypeTimestamp, t.Header, t.Meta, t.Unknown)
}

// Encode returns the signed object as a tree for cjson.
func (s *Snapshot) Encode() map[string]any {
	return encodeMeta(TypeSnapshot, s.Header, s.Meta, s.Unknown)
}

func encodeMeta(typ string, h Header, meta map[string]MetaFile, unknown map[string]cjson.Raw) map[string]any {
	m := make(map[string]any, len(meta))
	for name, mf := range meta {
		m[name] = mf.encode()
	}
	return withUnknown(map[string]any{
		"_type":        typ,
		"spec_version": h.SpecVersion,
		"version":      h.Version,
		"expires":      FormatExpires(h.Expires),
		"meta":         m,
	}, unknown)
}

func (mf MetaFile) encode() map[string]any {
	o := map[string]any{"version": mf.Version}
	if mf.HasLength {
		o["length"] = mf.Length
	}
	if mf.Hashes != nil {
		o["hashes"] = encodeHashes(mf.Hashes)
	}
	return withUnknown(o, mf.Unknown)
}

func encodeHashes(h map[string][]byte) map[string]any {
	out := make(map[string]any, len(h))
	for alg, d := range h {
		out[alg] = hex.EncodeToString(d)
	}
	return out
}

// TargetFile is one entry of a targets object.
type TargetFile struct {
	Length int64
	Hashes map[string][]byte
	// Custom is the custom metadata in canonical form, or nil.
	Custom  cjson.Raw
	Unknown map[string]cjson.Raw
}

// DelegatedRole is one entry of a delegations object's roles list.
type DelegatedRole struct {
	Name             string
	KeyIDs           []string
	Threshold        int
	Terminating      bool
	Paths            []string
	PathHashPrefixes []string
	Unknown          map[string]cjson.Raw
}

// Delegations is a targets object's delegations.
type Delegations struct {
	Keys   map[string]*tufkey.Key
	KeyIDs []string
	Roles  []DelegatedRole
	// Succinct holds succinct_roles (hash-bin delegations) as written,
	// or nil; this module reads but does not search them.
	Succinct cjson.Raw
	Unknown  map[string]cjson.Raw
}

// Targets is targets metadata's signed object, top-level or delegated.
type Targets struct {
	Header
	Targets     map[string]TargetFile
	Delegations *Delegations
	Unknown     map[string]cjson.Raw
}

// CheckTargetName refuses a target name that would escape a directory if
// a client used it as a file path (CVE-2026-6968: tough wrote targets named
// "../x" or "/x" outside its download directory). A target name must be an
// unrooted, slash-separated path with no empty, "." or ".." element and no
// backslash or NUL byte: every name real repositories use passes.
func CheckTargetName(name string) error {
	if !fs.ValidPath(name) || name == "." || strings.ContainsAny(name, "\\\x00") {
		return malformed("target name %q is not a clean relative path", name)
	}
	return nil
}

// ParseTargets builds the targets model. Target names must be clean
// relative paths; each target has a length and hashes; delegated roles
// have distinct, non-empty names that are not top-level role names, a
// threshold of at least 1, and paths or path hash prefixes but not both.
func ParseTargets(env *Envelope) (*Targets, error) {
	o := object{what: "signed", members: env.members}
	if err := o.caseVariants("_type", "spec_version", "version", "expires", "targets", "delegations"); err != nil {
		return nil, err
	}
	t := &Targets{Header: env.Header, Unknown: o.unknown()}
	raw, ok := o.get("targets")
	if !ok {
		return nil, malformed(`"targets" is missing`)
	}
	members, err := raw.Members()
	if err != nil {
		return nil, malformed(`"targets" is not an object`)
	}
	t.Targets = make(map[string]TargetFile, len(members))
	for _, m := range members {
		if err := CheckTargetName(m.Key); err != nil {
			return nil, err
		}
		tf, err := parseTargetFile(fmt.Sprintf("target %q", m.Key), m.Value)
		if err != nil {
			return nil, err
		}
		t.Targets[m.Key] = tf
	}
	if d, present := o.get("delegations"); present && !d.IsNull() {
		if t.Delegations, err = parseDelegations(d); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func parseTargetFile(what string, raw cjson.Raw) (TargetFile, error) {
	o, err := readObject(what, raw, "length", "hashes", "custom")
	if err != nil {
		return TargetFile{}, err
	}
	n, ok := o.int("length")
	if !ok || n < 0 {
		return TargetFile{}, malformed("%s: length is missing or not a non-negative integer", what)
	}
	h, ok := o.get("hashes")
	if !ok {
		return TargetFile{}, malformed("%s: hashes is missing", what)
	}
	hashes, err := parseHashes(what, h)
	if err != nil {
		return TargetFile{}, err
	}
	tf := TargetFile{Length: n, Hashes: hashes, Unknown: o.unknown()}
	if c, present := o.get("custom"); present {
		tf.Custom = c
	}
	return tf, nil
}

func parseDelegations(raw cjson.Raw) (*Delegations, error) {
	o, err := readObject("delegations", raw, "keys", "roles", "succinct_roles")
	if err != nil {
		return nil, err
	}
	d := &Delegations{Unknown: o.unknown()}
	keysRaw, ok := o.get("keys")
	if !ok {
		return nil, malformed("delegations: keys is missing")
	}
	if d.Keys, d.KeyIDs, err = ParseKeys("delegation keys", keysRaw); err != nil {
		return nil, err
	}
	if s, present := o.get("succinct_roles"); present && !s.IsNull() {
		d.Succinct = s
	}
	rolesRaw, present := o.get("roles")
	if !present || rolesRaw.IsNull() {
		if d.Succinct == nil {
			return nil, malformed("delegations: roles is missing")
		}
		return d, nil
	}
	if d.Succinct != nil {
		return nil, malformed("delegations has both roles and succinct_roles")
	}
	els, err := rolesRaw.Elements()
	if err != nil {
		return nil, malformed("delegations: roles is not a list")
	}
	d.Roles = make([]DelegatedRole, 0, len(els))
	names := make(map[string]bool, len(els))
	for i, e := range els {
		r, err := parseDelegatedRole(i, e, d.KeyIDs)
		if err != nil {
			return nil, err
		}
		if names[r.Name] {
			return nil, malformed("delegated role %q is listed twice", r.Name)
		}
		names[r.Name] = true
		d.Roles = append(d.Roles, r)
	}
	return d, nil
}

func parseDelegatedRole(i int, raw cjson.Raw, keyIDs []string) (DelegatedRole, error) {
	what := fmt.Sprintf("delegated role %d", i)
	o, err := readObject(what, raw, "name", "keyids", "threshold", "terminating", "paths", "path_hash_prefixes")
	if err != nil {
		return DelegatedRole{}, err
	}
	name, ok := o.str("name")
	if !ok || name == "" {
		return DelegatedRole{}, malformed("%s: name is missing, empty or not a string", what)
	}
	what = fmt.Sprintf("delegated role %q", name)
	if slices.Contains(TopLevelRoles, name) {
		return DelegatedRole{}, malformed("%s: a delegation may not use a top-level role name", what)
	}
	rk, err := parseRoleKeys(what, raw, keyIDs)
	if err != nil {
		return DelegatedRole{}, err
	}
	r := DelegatedRole{Name: name, KeyIDs: rk.KeyIDs, Threshold: rk.Threshold}
	term, present := o.get("terminating")
	if !present {
		return DelegatedRole{}, malformed("%s: terminating is missing", what)
	}
	if r.Terminating, ok = term.Bool(); !ok {
		return DelegatedRole{}, malformed("%s: terminating is not a boolean", what)
	}
	paths, hasPaths := o.get("paths")
	prefixes, hasPrefixes := o.get("path_hash_prefixes")
	if hasPaths && hasPrefixes {
		return DelegatedRole{}, malformed("%s has both paths and path_hash_prefixes", what)
	}
	if hasPaths {
		if r.Paths, err = stringList(what, " paths", paths, 1<<20); err != nil {
			return DelegatedRole{}, err
		}
	}
	if hasPrefixes {
		if r.PathHashPrefixes, err = stringList(what, " path_hash_prefixes", prefixes, 1<<20); err != nil {
			return DelegatedRole{}, err
		}
	}
	r.Unknown = o.unknown()
	return r, nil
}

// Encode returns the signed object as a tree for cjson.
func (t *Targets) Encode() map[string]any {
	targets := make(map[string]any, len(t.Targets))
	for name, tf := range t.Targets {
		o := map[string]any{"length": tf.Length, "hashes": encodeHashes(tf.Hashes)}
		if tf.Custom != nil {
			o["custom"] = tf.Custom
		}
		targets[name] = withUnknown(o, tf.Unknown)
	}
	out := map[string]any{
		"_type":        TypeTargets,
		"spec_version": t.SpecVersion,
		"version":      t.Version,
		"expires":      FormatExpires(t.Expires),
		"targets":      targets,
	}
	if d := t.Delegations; d != nil {
		keys := make(map[string]any, len(d.Keys))
		for id, k := range d.Keys {
			keys[id] = k.Object
		}
		do := map[string]any{"keys": keys}
		if d.Succinct != nil {
			do["succinct_roles"] = d.Succinct
		} else {
			roles := make([]any, 0, len(d.Roles))
			for _, r := range d.Roles {
				ro := RoleKeys{KeyIDs: r.KeyIDs, Threshold: r.Threshold}.encode()
				ro["name"] = r.Name
				ro["terminating"] = r.Terminating
				if r.Paths != nil {
					ro["paths"] = stringsAny(r.Paths)
				}
				if r.PathHashPrefixes != nil {
					ro["path_hash_prefixes"] = stringsAny(r.PathHashPrefixes)
				}
				roles = append(roles, withUnknown(ro, r.Unknown))
			}
			do["roles"] = roles
		}
		out["delegations"] = withUnknown(do, d.Unknown)
	}
	return withUnknown(out, t.Unknown)
}

func stringsAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

package verify

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/root"
)

// DefaultMaxMetadataSize bounds a targets, snapshot or timestamp file when
// no other bound is given.
const DefaultMaxMetadataSize = tufmeta.DefaultMaxSize

// Target is one target file as trusted targets metadata lists it.
type Target struct {
	// Name is the target path, e.g. "fulcio_v1.crt.pem".
	Name string `json:"name"`
	// Length is the file's length in bytes.
	Length int64 `json:"length"`
	// Hashes maps a hash algorithm ("sha256", "sha512") to the hex
	// digest.
	Hashes map[string]string `json:"hashes"`
	// Custom is the target's custom metadata as raw JSON, or nil. For
	// Sigstore it is e.g. {"sigstore":{"usage":"Fulcio","status":"Active"}}.
	Custom json.RawMessage `json:"custom,omitempty"`
	// Role is the targets role whose metadata listed the target.
	Role string `json:"role"`
}

// DecodeCustom decodes the target's custom metadata into v. A target
// without custom metadata decodes as JSON null. Custom metadata with two
// member names in one object that differ only in case (such as "status"
// and "Status") fails with ErrMalformed: encoding/json would silently
// read the later one where clients in other languages read the exact name.
func (t Target) DecodeCustom(v any) error {
	c := t.Custom
	if len(c) == 0 {
		c = json.RawMessage("null")
	}
	tree, err := cjson.Decode(c)
	if err != nil {
		return fmt.Errorf("%w: target %q: custom metadata: %w", ErrMalformed, t.Name, err)
	}
	if a, b, ok := caseClash(tree); ok {
		return fmt.Errorf("%w: target %q: custom metadata: members %q and %q differ only in case", ErrMalformed, t.Name, a, b)
	}
	if err := json.Unmarshal(c, v); err != nil {
		return fmt.Errorf("verify: target %q: custom metadata: %w", t.Name, err)
	}
	return nil
}

// caseClash finds two member names of one object, anywhere in tree, that
// encoding/json would fold to the same field name.
func caseClash(tree any) (string, string, bool) {
	switch x := tree.(type) {
	case map[string]any:
		folded := make(map[string]string, len(x))
		for _, name := range sortedKeys(x) {
			f := strings.ToUpper(strings.ToLower(name))
			if prev, dup := folded[f]; dup {
				return prev, name, true
			}
			folded[f] = name
			if a, b, ok := caseClash(x[name]); ok {
				return a, b, true
			}
		}
	case []any:
		for _, e := range x {
			if a, b, ok := caseClash(e); ok {
				return a, b, true
			}
		}
	}
	return "", "", false
}

// Verify checks that data has the target's length and every hash the
// target lists that this package knows (sha256, sha512). At least one
// known hash must be listed.
func (t Target) Verify(data []byte) error {
	return t.VerifyReader(bytes.NewReader(data))
}

// VerifyReader checks the content read from r like [Target.Verify]. It
// reads at most Length+1 bytes, so a reader that yields more than the
// trusted length fails without being read to its end.
func (t Target) VerifyReader(r io.Reader) error {
	if len(t.Hashes) == 0 {
		return errf(ErrHashMismatch, "verify: target %s: no hashes listed; refusing to trust content by length alone", t.Name)
	}
	return checkContent("target "+t.Name, r, t.Length, true, t.Hashes)
}

// checkContent reads r, bounded by length+1 when hasLength, and compares
// length and hashes.
func checkContent(what string, r io.Reader, length int64, hasLength bool, hashes map[string]string) error {
	hs := map[string]hash.Hash{}
	for alg := range hashes {
		switch alg {
		case "sha256":
			hs[alg] = sha256.New()
		case "sha512":
			hs[alg] = sha512.New()
		}
	}
	if len(hs) == 0 && len(hashes) > 0 {
		return errf(ErrHashMismatch, "verify: %s: no supported hash algorithm among %v", what, sortedKeys(hashes))
	}
	ws := make([]io.Writer, 0, len(hs))
	for _, h := range hs {
		ws = append(ws, h)
	}
	var n int64
	var err error
	if hasLength {
		if length < 0 {
			return errf(ErrLengthMismatch, "verify: %s: negative trusted length %d", what, length)
		}
		n, err = io.Copy(io.MultiWriter(ws...), io.LimitReader(r, length+1))
	} else {
		n, err = io.Copy(io.MultiWriter(ws...), r)
	}
	if err != nil {
		return fmt.Errorf("verify: %s: reading: %w", what, err)
	}
	if hasLength && n != length {
		if n > length {
			return errf(ErrLengthMismatch, "verify: %s: length mismatch: more than the trusted %d bytes", what, length)
		}
		return errf(ErrLengthMismatch, "verify: %s: length mismatch: %d bytes, trusted length %d", what, n, length)
	}
	for alg, h := range hs {
		want, err := hex.DecodeString(hashes[alg])
		if err != nil || !bytes.Equal(h.Sum(nil), want) {
			return errf(ErrHashMismatch, "verify: %s: hash mismatch: %s differs from the trusted %s", what, alg, hashes[alg])
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hexHashes(h metadata.Hashes) map[string]string {
	out := make(map[string]string, len(h))
	for alg, v := range h {
		out[alg] = hex.EncodeToString(v)
	}
	return out
}

// Delegation is a delegated targets role as its delegator lists it.
type Delegation struct {
	// Name is the delegated role's name.
	Name string `json:"name"`
	// KeyIDs and Threshold say who must sign the role's metadata.
	KeyIDs    []string `json:"keyids"`
	Threshold int      `json:"threshold"`
	// Terminating stops the search at this role for targets it matches.
	Terminating bool `json:"terminating"`
	// Paths are shell-style patterns of the target paths delegated; a
	// "*" does not match "/".
	Paths []string `json:"paths,omitempty"`
	// PathHashPrefixes are lower-case hex prefixes of the SHA-256 of
	// delegated target paths, compared exactly (as python-tuf does).
	PathHashPrefixes []string `json:"path_hash_prefixes,omitempty"`
}

// Matches reports whether the role is trusted for target.
func (d Delegation) Matches(target string) bool {
	for _, p := range d.Paths {
		if matchPath(p, target) {
			return true
		}
	}
	if len(d.PathHashPrefixes) > 0 {
		sum := sha256.Sum256([]byte(target))
		h := hex.EncodeToString(sum[:])
		for _, p := range d.PathHashPrefixes {
			if strings.HasPrefix(h, p) {
				return true
			}
		}
	}
	return false
}

// matchPath matches a target path against a pattern the way the TUF
// specification does (Python's fnmatch applied to each "/"-separated
// part): both must have the same number of parts and each part must match.
func matchPath(pattern, target string) bool {
	pp := strings.Split(pattern, "/")
	tp := strings.Split(target, "/")
	if len(pp) != len(tp) {
		return false
	}
	for i := range pp {
		ok, err := path.Match(fnmatchToGo(pp[i]), tp[i])
		if err != nil || !ok {
			return false
		}
	}
	return true
}

// fnmatchToGo translates fnmatch's negated classes "[!...]" to Go's
// "[^...]", escapes a "^" that opens a class (fnmatch reads "[^a]" as "^"
// or "a"; Go would negate it and match far more) and escapes backslashes,
// which fnmatch treats literally.
func fnmatchToGo(p string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
			continue
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			if i+1 < len(p) && p[i+1] == '!' {
				b.WriteByte('^')
				i++
			} else if i+1 < len(p) && p[i+1] == '^' {
				b.WriteString(`\^`)
				i++
			}
			continue
		case c == ']' && inClass:
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// TargetsMetadata is targets metadata, top-level or delegated, whose
// signatures verified against its delegator and which had not expired at
// the reference time.
type TargetsMetadata struct {
	role        string
	version     int64
	expires     time.Time
	targets     map[string]Target
	delegations []Delegation
	keys        map[string]verifier
	succinct    bool
}

// Role returns the role name: "targets" or the delegated role's name.
func (m *TargetsMetadata) Role() string { return m.role }

// Version returns the metadata version.
func (m *TargetsMetadata) Version() int64 { return m.version }

// Expires returns the expiry time.
func (m *TargetsMetadata) Expires() time.Time { return m.expires }

// Target returns the target listed under name in this metadata itself
// (delegations are not searched; see [Repo.Target]).
func (m *TargetsMetadata) Target(name string) (Target, bool) {
	t, ok := m.targets[name]
	return t, ok
}

// Targets returns every target this metadata lists, sorted by name.
func (m *TargetsMetadata) Targets() []Target {
	out := make([]Target, 0, len(m.targets))
	for _, n := range sortedKeys(m.targets) {
		out = append(out, m.targets[n])
	}
	return out
}

// Delegations returns the roles this metadata delegates to, in the order
// they are searched.
func (m *TargetsMetadata) Delegations() []Delegation {
	return append([]Delegation(nil), m.delegations...)
}

// Targets verifies top-level targets metadata against the trusted root's
// targets role: a threshold of distinct keys signed it and it has not
// expired at opts.Now. It does not check the version against a snapshot;
// [Repository] does.
func Targets(trusted *root.Root, data []byte, opts Options) (*TargetsMetadata, error) {
	if trusted == nil {
		return nil, fmt.Errorf("%w: nil trusted root", ErrMalformed)
	}
	doc, err := parseMeta[metadata.TargetsType]("targets", "", data, opts.maxMetaSize())
	if err != nil {
		return nil, err
	}
	if err := checkTopLevel(trusted, root.RoleTargets, doc.Meta.Signed.Version, doc.Payload, doc.Signatures); err != nil {
		return nil, err
	}
	return newTargetsMetadata("targets", doc, opts.now())
}

// Delegated verifies the metadata of a role that m delegates to: a
// threshold of distinct keys that m lists for the role signed it and it has
// not expired at opts.Now. The result keeps only the targets whose names
// the delegation matches (its paths or path hash prefixes): the role is
// trusted for nothing else, so entries outside them are dropped.
func (m *TargetsMetadata) Delegated(role string, data []byte, opts Options) (*TargetsMetadata, error) {
	var d *Delegation
	for i := range m.delegations {
		if m.delegations[i].Name == role {
			d = &m.delegations[i]
			break
		}
	}
	if d == nil {
		return nil, &MetadataError{Role: role, Err: fmt.Errorf("%w: %s does not delegate to %q", ErrMalformed, m.role, role)}
	}
	doc, err := parseMeta[metadata.TargetsType](role, "", data, opts.maxMetaSize())
	if err != nil {
		return nil, err
	}
	v := doc.Meta.Signed.Version
	if err := checkThreshold(role, v, fmt.Sprintf("%s (delegated by %s)", role, m.role), d.KeyIDs, m.keys, d.Threshold, doc.Payload, doc.Signatures); err != nil {
		return nil, err
	}
	tm, err := newTargetsMetadata(role, doc, opts.now())
	if err != nil {
		return nil, err
	}
	for name := range tm.targets {
		if !d.Matches(name) {
			delete(tm.targets, name)
		}
	}
	return tm, nil
}

func (o Options) maxMetaSize() int {
	if o.MaxFileSize <= 0 {
		return DefaultMaxMetadataSize
	}
	return o.MaxFileSize
}

func parseMeta[T metadata.Roles](role, file string, data []byte, max int) (*tufmeta.Doc[T], error) {
	if len(data) > max {
		return nil, &MetadataError{Role: role, File: file, Err: fmt.Errorf("%w: %d bytes, at most %d allowed", ErrTooLarge, len(data), max)}
	}
	doc, err := tufmeta.Parse[T](data, max)
	if err != nil {
		return nil, &MetadataError{Role: role, File: file, Err: fmt.Errorf("%w: %w", ErrMalformed, err)}
	}
	return doc, nil
}

// checkTopLevel checks a threshold of the root's keys for a top-level role.
func checkTopLevel(r *root.Root, role root.Role, version int64, payload []byte, sigs []tufmeta.Signature) error {
	rk, ok := r.Role(role)
	if !ok {
		return &MetadataError{Role: string(role), Err: fmt.Errorf("%w: root v%d has no %s role", ErrMalformed, r.Version(), role)}
	}
	ids := make([]string, len(rk.KeyIDs))
	keys := make(map[string]verifier, len(rk.KeyIDs))
	for i, id := range rk.KeyIDs {
		ids[i] = string(id)
		if k, ok := r.Key(id); ok {
			keys[string(id)] = k
		}
	}
	return checkThreshold(string(role), version, fmt.Sprintf("%s role of root v%d", role, r.Version()), ids, keys, rk.Threshold, payload, sigs)
}

func checkThreshold(role string, version int64, name string, ids []string, keys map[string]verifier, threshold int, payload []byte, sigs []tufmeta.Signature) error {
	req := requirement{name: name, threshold: threshold, ids: ids, keys: make([]verifier, len(ids)), holders: make([]string, len(ids))}
	for i, id := range ids {
		if k, ok := keys[id]; ok {
			req.keys[i] = k
		}
	}
	sm := make(map[string][]byte, len(sigs))
	for _, s := range sigs {
		if _, dup := sm[s.KeyID]; len(s.Sig) > 0 && !dup {
			sm[s.KeyID] = s.Sig
		}
	}
	var c pairCache
	got := c.count(&req, payload, sm, nil)
	if threshold < 1 || len(got) < threshold {
		return &ThresholdError{Role: role, Version: version, Requirement: name, Threshold: threshold, Valid: len(got)}
	}
	return nil
}

// delegatedKey adapts a tufkey.Key to the verifier interface.
type delegatedKey struct{ *tufkey.Key }

func (k delegatedKey) Scheme() string { return k.Key.Scheme }

func newTargetsMetadata(role string, doc *tufmeta.Doc[metadata.TargetsType], now time.Time) (*TargetsMetadata, error) {
	s := &doc.Meta.Signed
	if !now.Before(s.Expires) {
		return nil, &ExpiredError{Role: role, Version: s.Version, Expires: s.Expires, Now: now}
	}
	m := &TargetsMetadata{role: role, version: s.Version, expires: s.Expires, targets: make(map[string]Target, len(s.Targets))}
	for name, tf := range s.Targets {
		if tf == nil {
			return nil, &MetadataError{Role: role, Version: s.Version, Err: fmt.Errorf("%w: target %q is null", ErrMalformed, name)}
		}
		if err := checkTargetName(name); err != nil {
			return nil, &MetadataError{Role: role, Version: s.Version, Err: err}
		}
		t := Target{Name: name, Length: tf.Length, Hashes: hexHashes(tf.Hashes), Role: role}
		if tf.Custom != nil {
			t.Custom = append(json.RawMessage(nil), *tf.Custom...)
		}
		m.targets[name] = t
	}
	if s.Delegations == nil {
		return m, nil
	}
	if s.Delegations.SuccinctRoles != nil {
		m.succinct = true
	}
	// Decode delegation keys from the strictly parsed tree, so the keys
	// are exactly what was signed.
	m.keys = map[string]verifier{}
	if dl, ok := doc.Signed["delegations"].(map[string]any); ok {
		if ks, ok := dl["keys"].(map[string]any); ok {
			for id, obj := range ks {
				o, ok := obj.(map[string]any)
				if !ok {
					return nil, &MetadataError{Role: role, Version: s.Version, Err: fmt.Errorf("%w: delegation key %s is not an object", ErrMalformed, id)}
				}
				k, err := tufkey.Decode(o)
				if err != nil {
					return nil, &MetadataError{Role: role, Version: s.Version, Err: fmt.Errorf("%w: delegation key %s: %w", ErrMalformed, id, err)}
				}
				m.keys[id] = delegatedKey{k}
			}
		}
	}
	seen := map[string]bool{}
	for _, dr := range s.Delegations.Roles {
		if dr.Name == "" || seen[dr.Name] {
			return nil, &MetadataError{Role: role, Version: s.Version, Err: fmt.Errorf("%w: delegated role name %q empty or repeated", ErrMalformed, dr.Name)}
		}
		seen[dr.Name] = true
		if isTopLevel(dr.Name) {
			return nil, &MetadataError{Role: role, Version: s.Version, Err: fmt.Errorf("%w: delegation to top-level role name %q", ErrMalformed, dr.Name)}
		}
		if dr.Threshold < 1 {
			return nil, &MetadataError{Role: role, Version: s.Version, Err: fmt.Errorf("%w: delegated role %q has threshold %d", ErrMalformed, dr.Name, dr.Threshold)}
		}
		if len(dr.Paths) > 0 && len(dr.PathHashPrefixes) > 0 {
			return nil, &MetadataError{Role: role, Version: s.Version, Err: fmt.Errorf("%w: delegated role %q has both paths and path_hash_prefixes", ErrMalformed, dr.Name)}
		}
		m.delegations = append(m.delegations, Delegation{
			Name: dr.Name, KeyIDs: append([]string(nil), dr.KeyIDs...), Threshold: dr.Threshold, Terminating: dr.Terminating,
			Paths: append([]string(nil), dr.Paths...), PathHashPrefixes: append([]string(nil), dr.PathHashPrefixes...),
		})
	}
	return m, nil
}

func isTopLevel(name string) bool {
	for _, r := range root.TopLevelRoles() {
		if string(r) == name {
			return true
		}
	}
	return false
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

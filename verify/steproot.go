package verify

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify/internal/jsontree"
)

// A chain walk reads every intermediate root with parseStep rather than
// root.Parse: it decodes the file with package jsontree (held to the
// strict cjson decoder root.Parse uses), canonicalises it once (jsontree.AppendCanonical, held to cjson),
// and applies the same structural rules as root.Parse, but skips building go-tuf's typed model, and decodes each
// distinct key once per walk. The newest root is read with root.Parse, as
// it is returned to the caller. TestStepParseAgreesWithRootParse and
// FuzzStepParse hold the two parsers to the same verdicts.

// Bounds root.Parse applies too.
const (
	stepMaxKeys       = 256
	stepMaxRoleKeys   = 64
	stepMaxSignatures = 512
	stepMaxSigLength  = 2048
)

// rootView is what a chain step needs of a root.
type rootView struct {
	version    int64
	expires    time.Time
	payload    []byte
	own        requirement
	sigs       map[string][]byte
	mismatched []string // key IDs that do not match their content, sorted
	full       *root.Root
}

func viewOf(r *root.Root) (*rootView, error) {
	own, ok := rootRequirement(r, "")
	if !ok {
		return nil, &MetadataError{Role: "root", Version: r.Version(), Err: fmt.Errorf("%w: no root role", ErrMalformed)}
	}
	v := &rootView{version: r.Version(), expires: r.Expires(), payload: r.SigningPayload(), own: own, sigs: sigMap(r.Signatures()), full: r}
	for _, k := range r.Keys() {
		if !k.IDMatchesContent() {
			v.mismatched = append(v.mismatched, string(k.ID()))
		}
	}
	return v, nil
}

// cachedKey is a decoded key object, shared by the steps of one walk.
type cachedKey struct {
	obj       map[string]any
	key       *tufkey.Key
	contentID string
	holder    string
}

func (c *cachedKey) Fingerprint() string              { return c.key.Fingerprint() }
func (c *cachedKey) Scheme() string                   { return c.key.Scheme }
func (c *cachedKey) Verify(message, sig []byte) error { return c.key.Verify(message, sig) }

// keyCache maps a key ID to the last key object decoded under it. A hit
// requires the object to be identical, so a cached decode is exactly what
// decoding the object again would give.
type keyCache map[string]*cachedKey

func (c keyCache) get(id string, obj map[string]any) (*cachedKey, error) {
	if ck, ok := c[id]; ok && treeEqual(ck.obj, obj) {
		return ck, nil
	}
	k, err := tufkey.Decode(obj)
	if err != nil {
		return nil, err
	}
	cid, err := k.ContentID()
	if err != nil {
		return nil, err
	}
	ck := &cachedKey{obj: obj, key: k, contentID: cid}
	if s, ok := obj[root.FieldHolder].(string); ok && s != "" {
		ck.holder = s
	} else if s, ok := obj["x-tuf-on-ci-keyowner"].(string); ok {
		ck.holder = s
	}
	c[id] = ck
	return ck, nil
}

// treeEqual compares two trees decoded by cjson.
func treeEqual(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, v := range a {
			w, ok := bm[k]
			if !ok || !treeEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		bl, ok := b.([]any)
		if !ok || len(a) != len(bl) {
			return false
		}
		for i := range a {
			if !treeEqual(a[i], bl[i]) {
				return false
			}
		}
		return true
	case string:
		bs, ok := b.(string)
		return ok && a == bs
	case json.Number:
		bn, ok := b.(json.Number)
		return ok && a == bn
	case bool:
		bb, ok := b.(bool)
		return ok && a == bb
	case nil:
		return b == nil
	}
	return false
}

func stepErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// parseStep reads a root file for a chain step, as strictly as root.Parse.
func parseStep(data []byte, cache keyCache) (*rootView, error) {
	if len(data) > root.MaxRootSize {
		return nil, stepErr("file is %d bytes, more than %d", len(data), root.MaxRootSize)
	}
	tree, err := jsontree.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	top, ok := tree.(map[string]any)
	if !ok {
		return nil, stepErr("file is not a JSON object")
	}
	signed, ok := top["signed"].(map[string]any)
	if !ok {
		return nil, stepErr(`"signed" is missing or not an object`)
	}
	if err := caseVariants(top, "signed", "signatures"); err != nil {
		return nil, err
	}
	if err := caseVariants(signed, "_type", "spec_version", "consistent_snapshot", "version", "expires", "keys", "roles"); err != nil {
		return nil, err
	}
	if t, _ := signed["_type"].(string); t != "root" {
		return nil, stepErr("_type is %q, want \"root\"", t)
	}
	sv, ok := signed["spec_version"].(string)
	if major, _, _ := strings.Cut(sv, "."); !ok || major != "1" {
		return nil, stepErr("spec_version %q is not a 1.x version", sv)
	}
	v := &rootView{}
	if v.version, err = positiveInt(signed["version"]); err != nil {
		return nil, stepErr("version: %v", err)
	}
	exp, ok := signed["expires"].(string)
	if !ok {
		return nil, stepErr("expires is missing or not a string")
	}
	if v.expires, err = time.Parse(time.RFC3339, exp); err != nil || v.expires.Format(time.RFC3339Nano) != exp {
		return nil, stepErr("expires %q is not an RFC 3339 time in its shortest form", exp)
	}
	if _, ok := signed["consistent_snapshot"].(bool); !ok {
		return nil, stepErr("consistent_snapshot is missing or not a boolean")
	}
	if v.sigs, err = stepSignatures(top["signatures"]); err != nil {
		return nil, err
	}

	rawKeys, ok := signed["keys"].(map[string]any)
	if !ok {
		return nil, stepErr(`"keys" is missing or not an object`)
	}
	if len(rawKeys) > stepMaxKeys {
		return nil, stepErr("%d keys, more than %d", len(rawKeys), stepMaxKeys)
	}
	keys := make(map[string]*cachedKey, len(rawKeys))
	for id, o := range rawKeys {
		obj, ok := o.(map[string]any)
		if !ok {
			return nil, stepErr("key %s is not an object", id)
		}
		if err := caseVariants(obj, "keytype", "scheme", "keyval"); err != nil {
			return nil, err
		}
		if kv, ok := obj["keyval"].(map[string]any); ok {
			if err := caseVariants(kv, "public"); err != nil {
				return nil, err
			}
		}
		ck, err := cache.get(id, obj)
		if err != nil {
			return nil, stepErr("key %s: %v", id, err)
		}
		keys[id] = ck
		if ck.contentID != id {
			v.mismatched = append(v.mismatched, id)
		}
	}
	sort.Strings(v.mismatched)

	roles, ok := signed["roles"].(map[string]any)
	if !ok {
		return nil, stepErr(`"roles" is missing or not an object`)
	}
	if len(roles) != 4 {
		return nil, stepErr("%d roles, want the four top-level roles", len(roles))
	}
	for _, name := range root.TopLevelRoles() {
		ro, ok := roles[string(name)].(map[string]any)
		if !ok {
			return nil, stepErr("role %q is missing or not an object", name)
		}
		if err := caseVariants(ro, "keyids", "threshold"); err != nil {
			return nil, err
		}
		thr, err := positiveInt(ro["threshold"])
		if err != nil {
			return nil, stepErr("role %q threshold: %v", name, err)
		}
		list, ok := ro["keyids"].([]any)
		if !ok || len(list) == 0 || len(list) > stepMaxRoleKeys {
			return nil, stepErr("role %q: keyids missing, empty or longer than %d", name, stepMaxRoleKeys)
		}
		ids := make([]string, len(list))
		for i, e := range list {
			id, ok := e.(string)
			if !ok {
				return nil, stepErr("role %q: key ID %d is not a string", name, i)
			}
			if _, ok := keys[id]; !ok {
				return nil, stepErr("role %q lists key %s, which is not in keys", name, id)
			}
			for _, prev := range ids[:i] {
				if prev == id {
					return nil, stepErr("role %q lists key %s twice", name, id)
				}
			}
			ids[i] = id
		}
		if name == root.RoleRoot {
			v.own = requirement{version: v.version, ids: ids, keys: make([]verifier, len(ids)), holders: make([]string, len(ids)), threshold: int(thr)}
			for i, id := range ids {
				v.own.keys[i] = keys[id]
				v.own.holders[i] = keys[id].holder
			}
		}
	}
	if v.payload, err = jsontree.AppendCanonical(make([]byte, 0, len(data)), signed); err != nil {
		return nil, fmt.Errorf("%w: signed: %w", ErrMalformed, err)
	}
	return v, nil
}

func positiveInt(x any) (int64, error) {
	n, ok := x.(json.Number)
	if !ok {
		return 0, fmt.Errorf("missing or not a number")
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || i < 1 {
		return 0, fmt.Errorf("%s is not an integer of at least 1", n)
	}
	return i, nil
}

func stepSignatures(x any) (map[string][]byte, error) {
	list, ok := x.([]any)
	if !ok {
		return nil, stepErr(`"signatures" is missing or not a list`)
	}
	if len(list) > stepMaxSignatures {
		return nil, stepErr("%d signatures, more than %d", len(list), stepMaxSignatures)
	}
	m := make(map[string][]byte, len(list))
	seen := make(map[string]bool, len(list))
	for i, e := range list {
		o, ok := e.(map[string]any)
		if !ok {
			return nil, stepErr("signature %d is not an object", i)
		}
		if err := caseVariants(o, "keyid", "sig"); err != nil {
			return nil, err
		}
		id, ok1 := o["keyid"].(string)
		s, ok2 := o["sig"].(string)
		if !ok1 || !ok2 {
			return nil, stepErr("signature %d: keyid or sig missing or not a string", i)
		}
		if seen[id] {
			return nil, stepErr("more than one signature under key ID %q", id)
		}
		seen[id] = true
		sig, err := hex.DecodeString(s)
		if err != nil {
			return nil, stepErr("signature %d (key ID %q) is not hex", i, id)
		}
		if len(sig) > stepMaxSigLength {
			return nil, stepErr("signature under key %s is %d bytes, more than %d", id, len(sig), stepMaxSigLength)
		}
		if len(sig) > 0 {
			m[id] = sig
		}
	}
	return m, nil
}

// caseVariants refuses an object with a member whose name differs only in
// case from a field of go-tuf's model: Go's JSON decoder would match it, so
// root.Parse refuses such a document as ambiguous, and so must the step
// parser.
func caseVariants(obj map[string]any, fields ...string) error {
	for name := range obj {
		for _, f := range fields {
			if name != f && strings.EqualFold(name, f) {
				return stepErr("member %q differs from %q only in case", name, f)
			}
		}
	}
	return nil
}

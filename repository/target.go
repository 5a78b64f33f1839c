package repository

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
	"slices"
	"strings"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/root"
)

// Target is one target file as targets metadata lists it.
type Target struct {
	// Name is the target path, e.g. "fulcio_v1.crt.pem" or
	// "registry.npmjs.org/keys.json".
	Name string `json:"name"`
	// Length is the file's length in bytes.
	Length int64 `json:"length"`
	// Hashes maps a hash algorithm ("sha256", "sha512") to the hex
	// digest.
	Hashes map[string]string `json:"hashes"`
	// Custom is the target's custom metadata as JSON, or nil. For
	// Sigstore it is e.g. {"sigstore":{"usage":"Fulcio","status":"Active"}}.
	Custom json.RawMessage `json:"custom,omitempty"`
	// Role is the targets role whose metadata lists the target.
	Role root.Role `json:"role"`
}

// Path returns where a repository publishes the target's file, relative
// to the repository: with consistent snapshots
// targets/DIR/SHA256.BASE (the first of sha256 and sha512 listed, the
// hash a client checks anyway), else targets/NAME.
func (t Target) Path(consistentSnapshot bool) string {
	if !consistentSnapshot {
		return path.Join("targets", t.Name)
	}
	for _, alg := range []string{"sha256", "sha512"} {
		if h, ok := t.Hashes[alg]; ok {
			dir, base := path.Split(t.Name)
			return path.Join("targets", dir, h+"."+base)
		}
	}
	return path.Join("targets", t.Name)
}

// DecodeCustom decodes the target's custom metadata into v. A target
// without custom metadata decodes as JSON null. Custom metadata with two
// member names in one object that differ only in case (such as "status"
// and "Status") fails with root.ErrMalformed: encoding/json would
// silently read the later one where clients in other languages read the
// exact name.
func (t Target) DecodeCustom(v any) error {
	c := t.Custom
	if len(c) == 0 {
		c = json.RawMessage("null")
	}
	tree, err := cjson.Decode(c)
	if err != nil {
		return fmt.Errorf("%w: target %q: custom metadata: %w", root.ErrMalformed, t.Name, err)
	}
	if a, b, ok := caseClash(tree); ok {
		return fmt.Errorf("%w: target %q: custom metadata: members %q and %q differ only in case", root.ErrMalformed, t.Name, a, b)
	}
	if err := json.Unmarshal(c, v); err != nil {
		return fmt.Errorf("repository: target %q: custom metadata: %w", t.Name, err)
	}
	return nil
}

// caseClash finds two member names of one object, anywhere in tree, that
// encoding/json would fold to the same field name.
func caseClash(tree any) (string, string, bool) {
	switch x := tree.(type) {
	case map[string]any:
		folded := make(map[string]string, len(x))
		names := make([]string, 0, len(x))
		for name := range x {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
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
// known hash must be listed. Failures wrap [ErrLengthMismatch] or
// [ErrHashMismatch].
func (t Target) Verify(data []byte) error {
	return t.VerifyReader(bytes.NewReader(data))
}

// VerifyReader checks the content read from r like [Target.Verify]. It
// reads at most Length+1 bytes, so a reader that yields more than the
// listed length fails without being read to its end.
func (t Target) VerifyReader(r io.Reader) error {
	if len(t.Hashes) == 0 {
		return errf(ErrHashMismatch, "target %s: no hashes listed; refusing to trust content by length alone", t.Name)
	}
	return CheckContent("target "+t.Name, r, t.Length, t.Hashes)
}

// CheckContent reads r, at most length+1 bytes when length >= 0 (a
// negative length means none is listed), and checks its length and every
// hash in hashes (algorithm to hex digest) that this package knows. With
// hashes listed, at least one must be known. Failures wrap
// [ErrLengthMismatch] or [ErrHashMismatch]; what names the content in
// messages, and may be "" when the caller names it.
func CheckContent(what string, r io.Reader, length int64, hashes map[string]string) error {
	if what != "" {
		what += ": "
	}
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
		algs := make([]string, 0, len(hashes))
		for alg := range hashes {
			algs = append(algs, alg)
		}
		slices.Sort(algs)
		return errf(ErrHashMismatch, "%sno supported hash algorithm among %v", what, algs)
	}
	ws := make([]io.Writer, 0, len(hs))
	for _, h := range hs {
		ws = append(ws, h)
	}
	var n int64
	var err error
	if length >= 0 {
		n, err = io.Copy(io.MultiWriter(ws...), io.LimitReader(r, length+1))
	} else {
		n, err = io.Copy(io.MultiWriter(ws...), r)
	}
	if err != nil {
		return fmt.Errorf("%sreading: %w", what, err)
	}
	if length >= 0 && n != length {
		if n > length {
			return errf(ErrLengthMismatch, "%slength mismatch: more than the listed %d bytes", what, length)
		}
		return errf(ErrLengthMismatch, "%slength mismatch: %d bytes, listed length %d", what, n, length)
	}
	for alg, h := range hs {
		want, err := hex.DecodeString(hashes[alg])
		if err != nil || !bytes.Equal(h.Sum(nil), want) {
			return errf(ErrHashMismatch, "%shash mismatch: %s differs from the listed %s", what, alg, hashes[alg])
		}
	}
	return nil
}

// Delegation delegates trust for some target paths to a role.
type Delegation struct {
	// Name is the delegated role's name. Delegate accepts letters,
	// digits, '.', '_' and '-', starting with a letter or digit, at most
	// 64 bytes, and not a top-level role name; files from elsewhere may
	// use any name but a top-level one.
	Name root.Role `json:"name"`
	// Keys and Threshold say who must sign the role's metadata; the
	// threshold counts distinct keys.
	Keys      []root.Key `json:"-"`
	Threshold int        `json:"threshold"`
	// Paths are shell-style patterns of the target paths delegated ("*"
	// does not match "/").
	Paths []string `json:"paths,omitempty"`
	// PathHashPrefixes are lower-case hex prefixes of the SHA-256 of
	// delegated target paths, compared exactly (as python-tuf does).
	// Delegate writes Paths only.
	PathHashPrefixes []string `json:"path_hash_prefixes,omitempty"`
	// Terminating stops a client's search at this role for targets its
	// paths match.
	Terminating bool `json:"terminating"`
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

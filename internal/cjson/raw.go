package cjson

import (
	"bytes"
	"errors"
	"strconv"
)

// Raw is a JSON value in canonical form, as [Canonicalize] and
// [EncodeCanonical] write it. [EncodeCanonical] writes a Raw inside a tree
// verbatim, so fields a model does not know keep their exact bytes.
//
// Canonical form writes control characters inside strings unescaped, which
// is not valid JSON for most parsers; use [Raw.JSON] to hand a Raw to
// encoding/json or to a user.
type Raw []byte

// Kind is the type of a JSON value.
type Kind int

// The kinds of JSON values.
const (
	KindInvalid Kind = iota
	KindNull
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

// Kind returns the type of the value r holds.
func (r Raw) Kind() Kind {
	if len(r) == 0 {
		return KindInvalid
	}
	switch b := r[0]; {
	case b == '{':
		return KindObject
	case b == '[':
		return KindArray
	case b == '"':
		return KindString
	case b == 't' || b == 'f':
		return KindBool
	case b == 'n':
		return KindNull
	case b == '-' || b >= '0' && b <= '9':
		return KindNumber
	}
	return KindInvalid
}

// Member is one member of an object.
type Member struct {
	Key   string
	Value Raw
}

var errNotCanonical = errors.New("cjson: value is not canonical JSON")

// Members returns an object's members in order (sorted by key, as
// canonical form writes them). It fails if r is not an object.
func (r Raw) Members() ([]Member, error) {
	return r.AppendMembers(nil)
}

// AppendMembers is Members appending to dst, so that a caller can read a
// small object into a buffer it owns.
func (r Raw) AppendMembers(dst []Member) ([]Member, error) {
	if r.Kind() != KindObject {
		return nil, errors.New("cjson: not an object")
	}
	out := dst
	pos := 1
	if pos < len(r) && r[pos] == '}' {
		return out, nil
	}
	if out == nil {
		out = make([]Member, 0, 8)
	}
	for pos < len(r) {
		if r[pos] != '"' {
			return nil, errNotCanonical
		}
		kend, err := skipString(r, pos)
		if err != nil {
			return nil, err
		}
		key := r[pos+1 : kend-1]
		if kend >= len(r) || r[kend] != ':' {
			return nil, errNotCanonical
		}
		vend, err := skipValue(r, kend+1)
		if err != nil {
			return nil, err
		}
		out = append(out, Member{Key: keyString(key), Value: r[kend+1 : vend : vend]})
		if vend >= len(r) {
			return nil, errNotCanonical
		}
		switch r[vend] {
		case ',':
			pos = vend + 1
		case '}':
			if vend != len(r)-1 {
				return nil, errNotCanonical
			}
			return out, nil
		default:
			return nil, errNotCanonical
		}
	}
	return nil, errNotCanonical
}

func keyString(escaped []byte) string {
	if s, ok := common[string(escaped)]; ok {
		return s
	}
	if bytes.IndexByte(escaped, '\\') < 0 {
		return string(escaped)
	}
	return unescapeCanonical(escaped)
}

// common holds the member names and values TUF metadata repeats in every
// file, so that reading them allocates nothing (a map index by
// string(bytes) does not copy).
var common = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		"signed", "signatures", "keyid", "sig", "_type", "spec_version", "version", "expires",
		"consistent_snapshot", "keys", "roles", "keyids", "threshold", "keytype", "scheme", "keyval",
		"public", "private", "keyid_hash_algorithms", "root", "targets", "snapshot", "timestamp",
		"meta", "length", "hashes", "sha256", "sha512", "delegations", "name", "paths",
		"path_hash_prefixes", "terminating", "custom", "snapshot.json", "targets.json",
		"1.0", "1.0.0", "1.0.31", "ecdsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp521", "ed25519", "rsa", "rsassa-pss-sha256", "x-trustroot-keyholder",
		"x-trustroot-token-serial", "x-tuf-on-ci-keyowner", "x-tuf-on-ci-online-uri",
	} {
		m[s] = s
	}
	return m
}()

// Elements returns an array's elements. It fails if r is not an array.
func (r Raw) Elements() ([]Raw, error) {
	return r.AppendElements(nil)
}

// AppendElements is Elements appending to dst.
func (r Raw) AppendElements(dst []Raw) ([]Raw, error) {
	if r.Kind() != KindArray {
		return nil, errors.New("cjson: not an array")
	}
	out := dst
	pos := 1
	if pos < len(r) && r[pos] == ']' {
		return out, nil
	}
	if out == nil {
		out = make([]Raw, 0, 8)
	}
	for pos < len(r) {
		end, err := skipValue(r, pos)
		if err != nil {
			return nil, err
		}
		out = append(out, r[pos:end:end])
		if end >= len(r) {
			return nil, errNotCanonical
		}
		switch r[end] {
		case ',':
			pos = end + 1
		case ']':
			if end != len(r)-1 {
				return nil, errNotCanonical
			}
			return out, nil
		default:
			return nil, errNotCanonical
		}
	}
	return nil, errNotCanonical
}

// Str returns the string r holds; ok is false if r is not a string.
func (r Raw) Str() (s string, ok bool) {
	if r.Kind() != KindString || len(r) < 2 || r[len(r)-1] != '"' {
		return "", false
	}
	return keyString(r[1 : len(r)-1]), true
}

// Int returns the integer r holds; ok is false if r is not a number that
// fits in an int64.
func (r Raw) Int() (n int64, ok bool) {
	if r.Kind() != KindNumber {
		return 0, false
	}
	n, err := strconv.ParseInt(string(r), 10, 64)
	return n, err == nil
}

// Bool returns the boolean r holds; ok is false if r is not a boolean.
func (r Raw) Bool() (b, ok bool) {
	switch string(r) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// IsNull reports whether r is JSON null.
func (r Raw) IsNull() bool { return string(r) == "null" }

// skipString returns the offset just past the canonical string starting
// at r[pos] (which holds '"'). Canonical form escapes only '"' and '\\', so
// a quote ends the string unless an odd run of backslashes precedes it.
func skipString(r Raw, pos int) (int, error) {
	i := pos + 1
	for {
		j := bytes.IndexByte(r[i:], '"')
		if j < 0 {
			return 0, errNotCanonical
		}
		q := i + j
		n := 0
		for k := q - 1; k > pos && r[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, nil
		}
		i = q + 1
	}
}

// skipValue returns the offset just past the canonical value starting at
// r[pos].
func skipValue(r Raw, pos int) (int, error) {
	if pos >= len(r) {
		return 0, errNotCanonical
	}
	switch r[pos] {
	case '"':
		return skipString(r, pos)
	case '{', '[':
		depth := 0
		for i := pos; i < len(r); i++ {
			switch r[i] {
			case '"':
				end, err := skipString(r, i)
				if err != nil {
					return 0, err
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
		}
		return 0, errNotCanonical
	}
	i := pos
	for i < len(r) && r[i] != ',' && r[i] != '}' && r[i] != ']' {
		i++
	}
	if i == pos {
		return 0, errNotCanonical
	}
	return i, nil
}

// JSON returns r as compact JSON that any parser reads as the same value:
// canonical form with control characters in strings escaped.
func (r Raw) JSON() []byte {
	if !needsEscape(r) {
		return bytes.Clone(r)
	}
	out, err := appendJSON(nil, r, "")
	if err != nil {
		return bytes.Clone(r)
	}
	return out
}

// MarshalJSON implements json.Marshaler with [Raw.JSON].
func (r Raw) MarshalJSON() ([]byte, error) {
	if r.Kind() == KindInvalid {
		return nil, errNotCanonical
	}
	return r.JSON(), nil
}

// needsEscape reports whether r holds a byte that canonical form leaves
// raw but JSON requires escaped.
func needsEscape(r Raw) bool {
	for _, b := range r {
		if b < 0x20 {
			return true
		}
	}
	return false
}

// Package tufmeta is the one parser of TUF metadata files (root, timestamp,
// snapshot, targets and delegated targets) for every package of the module,
// with every bound defined once (limits.go).
//
// It works on untrusted bytes in the order a verifier needs: [ParseEnvelope]
// checks the size bound, reads the file strictly into canonical bytes
// (cjson.Canonicalize, which builds no tree), splits off the signatures and
// reads the header (_type, spec_version, version, expires). A verifier then
// checks signatures over Envelope.Signed, and only then builds a typed model
// with [ParseRoot], [ParseTimestamp], [ParseSnapshot] or [ParseTargets].
// Models keep every field they do not know as canonical bytes, so an edited
// file keeps them exactly, and their Encode methods write the signed object
// back.
//
// Errors wrap [ErrMalformed] and name the field at fault; they carry no
// package prefix, so the public packages add one.
package tufmeta

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trustroot/trustroot/internal/cjson"
)

// The metadata types.
const (
	TypeRoot      = "root"
	TypeTimestamp = "timestamp"
	TypeSnapshot  = "snapshot"
	TypeTargets   = "targets"
)

// ErrMalformed is wrapped by every error about a file that cannot be read
// or breaks a structural rule. Package root exports it as root.ErrMalformed.
var ErrMalformed = errors.New("malformed metadata")

// ErrTooLarge is wrapped, besides ErrMalformed, by the error about a file
// over its size bound. Package verify exports it as verify.ErrTooLarge.
var ErrTooLarge = errors.New("too large")

// tooLarge is the error about a file over its size bound.
type tooLarge struct{ msg string }

func (e *tooLarge) Error() string   { return e.msg }
func (e *tooLarge) Unwrap() []error { return []error{ErrMalformed, ErrTooLarge} }

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Signature is one entry of a file's signatures list. Sig is empty for the
// placeholder entries ("sig": "") some tools write.
type Signature struct {
	KeyID string
	Sig   []byte
}

// Header is what every signed object states.
type Header struct {
	Type        string
	SpecVersion string
	Version     int64
	Expires     time.Time
}

// Envelope is a metadata file read as far as a signature check needs.
type Envelope struct {
	Header
	// Signed is the canonical JSON of the signed object: the bytes every
	// signature covers.
	Signed cjson.Raw
	// Signatures are the file's signatures in file order.
	Signatures []Signature

	members []cjson.Member // of Signed
}

// ParseEnvelope reads a metadata file of type typ strictly: at most max
// bytes, JSON without duplicate keys, invalid UTF-8, excessive nesting or
// non-integer numbers; a "signed" object whose _type is typ, whose
// spec_version has major version 1, whose version is at least 1 and whose
// expires is an RFC 3339 time; and a "signatures" list of at most
// MaxSignatures entries with distinct key IDs and hex signatures of at most
// MaxSignatureSize bytes. max <= 0 means MaxSize(typ).
func ParseEnvelope(data []byte, typ string, max int) (*Envelope, error) {
	if max <= 0 {
		max = MaxSize(typ)
	}
	if len(data) > max {
		return nil, &tooLarge{fmt.Sprintf("%s metadata of %d bytes, more than the limit of %d", typ, len(data), max)}
	}
	doc, err := cjson.Canonicalize(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, strings.TrimPrefix(err.Error(), "cjson: "))
	}
	top, err := readObject("the file", doc, "signed", "signatures")
	if err != nil {
		return nil, err
	}
	signed, ok := top.get("signed")
	if !ok || signed.Kind() != cjson.KindObject {
		return nil, malformed(`"signed" is missing or not an object`)
	}
	sigsRaw, ok := top.get("signatures")
	if !ok {
		return nil, malformed(`"signatures" is missing`)
	}
	env := &Envelope{Signed: signed}
	if env.Signatures, err = readSignatures(sigsRaw); err != nil {
		return nil, err
	}
	if err := exactNumbers(signed); err != nil {
		return nil, err
	}
	if env.members, err = signed.Members(); err != nil {
		return nil, malformed("signed: %v", err)
	}
	if err := env.readHeader(typ); err != nil {
		return nil, err
	}
	return env, nil
}

func readSignatures(raw cjson.Raw) ([]Signature, error) {
	list, err := raw.Elements()
	if err != nil {
		return nil, malformed(`"signatures" is not a list`)
	}
	if len(list) > MaxSignatures {
		return nil, malformed("%d signatures, more than the limit of %d", len(list), MaxSignatures)
	}
	out := make([]Signature, 0, len(list))
	seen := make(map[string]bool, len(list))
	for i, e := range list {
		o, err := readObject(fmt.Sprintf("signature %d", i), e, "keyid", "sig")
		if err != nil {
			return nil, err
		}
		id, ok := o.str("keyid")
		if !ok {
			return nil, malformed("signature %d: keyid is missing or not a string", i)
		}
		sigHex, ok := o.str("sig")
		if !ok {
			return nil, malformed("signature %d: sig is missing or not a string", i)
		}
		if seen[id] {
			return nil, malformed("more than one signature under key ID %s", ShortID(id))
		}
		seen[id] = true
		if len(sigHex) > 2*MaxSignatureSize {
			return nil, malformed("signature under key %s is %d bytes, more than %d", ShortID(id), len(sigHex)/2, MaxSignatureSize)
		}
		sig, err := hex.DecodeString(sigHex)
		if err != nil {
			return nil, malformed("signature under key %s is not hex", ShortID(id))
		}
		out = append(out, Signature{KeyID: id, Sig: sig})
	}
	return out, nil
}

func (e *Envelope) readHeader(typ string) error {
	o := &object{what: "signed", members: e.members}
	if err := o.caseVariants("_type", "spec_version", "version", "expires"); err != nil {
		return err
	}
	got, ok := o.str("_type")
	if !ok {
		return malformed("signed._type is missing or not a string")
	}
	if got != typ {
		return malformed("_type is %q, want %q", got, typ)
	}
	sv, ok := o.str("spec_version")
	if !ok {
		return malformed("spec_version is missing or not a string")
	}
	if major, _, _ := strings.Cut(sv, "."); major != "1" {
		return malformed("spec_version %q is not a 1.x version", sv)
	}
	v, ok := o.int("version")
	if !ok {
		return malformed("version is missing or not an integer")
	}
	if v < 1 {
		return malformed("version %d is below 1", v)
	}
	expText, ok := o.str("expires")
	if !ok {
		return malformed("expires is missing or not a string")
	}
	exp, err := ParseExpires(expText)
	if err != nil {
		return err
	}
	e.Header = Header{Type: got, SpecVersion: sv, Version: v, Expires: exp}
	return nil
}

// ParseExpires reads an expiry time. The specification asks for
// YYYY-MM-DDTHH:MM:SSZ; real roots also use fractions and offsets
// (Sigstore's v1 expires at 2021-12-18T13:28:12.99008-06:00), which are
// accepted when they are RFC 3339 in the shortest form Go writes, so that
// clients that re-encode the time (go-tuf) sign and check the same bytes.
func ParseExpires(s string) (time.Time, error) {
	var t time.Time
	if err := t.UnmarshalText([]byte(s)); err != nil {
		return time.Time{}, malformed("expires %q is not an RFC 3339 time", s)
	}
	if again, err := t.MarshalText(); err != nil || string(again) != s {
		return time.Time{}, malformed("expires %q is not an RFC 3339 time in its shortest form", s)
	}
	return t, nil
}

// FormatExpires writes t as the specification asks: UTC, whole seconds.
func FormatExpires(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

// exactNumbers refuses a number in signed that a float64 does not hold
// exactly: tuf-js reads every JSON number, and go-tuf every custom field,
// as a float64, and would re-encode, and check signatures over, another
// number.
func exactNumbers(signed cjson.Raw) error {
	inString := false
	for i := 0; i < len(signed); i++ {
		c := signed[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch {
		case c == '"':
			inString = true
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(signed) && signed[j] >= '0' && signed[j] <= '9' {
				j++
			}
			text := string(signed[i:j])
			f, err := strconv.ParseFloat(text, 64)
			if err != nil || strconv.FormatFloat(f, 'f', -1, 64) != text {
				return malformed("the number %s is not exact as a float64, as other clients read it (integers up to 2^53 are safe)", text)
			}
			i = j - 1
		}
	}
	return nil
}

// ShortID shortens a key ID for messages; an ID with a character that is
// not printable (it comes from the file, and messages reach terminals) is
// quoted.
func ShortID(id string) string {
	if id == "" {
		return `""`
	}
	s, more := id, ""
	if len(s) > 16 {
		cut := 16
		for cut > 12 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s, more = s[:cut], "…"
	}
	for _, c := range s {
		if !unicode.IsPrint(c) || c == utf8.RuneError {
			return strconv.Quote(s) + more
		}
	}
	return s + more
}

// object reads an object's members by name and collects the unknown ones.
type object struct {
	what    string
	members []cjson.Member
	known   []string
}

// readObject reads raw as an object and refuses a member whose name
// differs only in case from one of known: clients that decode with Go's
// encoding/json (go-tuf) would read it as that member.
func readObject(what string, raw cjson.Raw, known ...string) (*object, error) {
	members, err := raw.Members()
	if err != nil {
		return nil, malformed("%s is not an object", what)
	}
	o := &object{what: what, members: members}
	if err := o.caseVariants(known...); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *object) caseVariants(known ...string) error {
	o.known = append(o.known, known...)
	for _, m := range o.members {
		for _, f := range known {
			if m.Key != f && strings.EqualFold(m.Key, f) {
				return malformed("%s: member %q differs from %q only in case", o.what, m.Key, f)
			}
		}
	}
	return nil
}

func (o *object) get(name string) (cjson.Raw, bool) {
	for _, m := range o.members {
		if m.Key == name {
			return m.Value, true
		}
	}
	return nil, false
}

func (o *object) str(name string) (string, bool) {
	v, ok := o.get(name)
	if !ok {
		return "", false
	}
	return v.Str()
}

func (o *object) int(name string) (int64, bool) {
	v, ok := o.get(name)
	if !ok {
		return 0, false
	}
	return v.Int()
}

// unknown returns the members whose names are not among the known ones.
func (o *object) unknown() map[string]cjson.Raw {
	var out map[string]cjson.Raw
	for _, m := range o.members {
		isKnown := false
		for _, k := range o.known {
			if m.Key == k {
				isKnown = true
				break
			}
		}
		if !isKnown {
			if out == nil {
				out = map[string]cjson.Raw{}
			}
			out[m.Key] = m.Value
		}
	}
	return out
}

// stringList reads a list of strings of at most max entries.
func stringList(what string, raw cjson.Raw, max int) ([]string, error) {
	els, err := raw.Elements()
	if err != nil {
		return nil, malformed("%s is not a list", what)
	}
	if len(els) > max {
		return nil, malformed("%s has %d entries, more than %d", what, len(els), max)
	}
	out := make([]string, 0, len(els))
	for i, e := range els {
		s, ok := e.Str()
		if !ok {
			return nil, malformed("%s: entry %d is not a string", what, i)
		}
		out = append(out, s)
	}
	return out, nil
}

// withUnknown returns a tree of the known members plus the unknown ones.
func withUnknown(known map[string]any, unknown map[string]cjson.Raw) map[string]any {
	for k, v := range unknown {
		if _, taken := known[k]; !taken {
			known[k] = v
		}
	}
	return known
}

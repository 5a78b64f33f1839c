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
	"bytes"
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
	var topBuf [4]cjson.Member
	doc, err := cjson.CanonicalizeDocument(data, topBuf[:0])
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, strings.TrimPrefix(err.Error(), "cjson: "))
	}
	if doc.Members == nil {
		return nil, malformed("%s is not an object", "the file")
	}
	top := object{what: "the file", members: doc.Members}
	if err := top.caseVariants(envelopeFields...); err != nil {
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
	if doc.MaxDigits > 15 {
		// Up to 15 digits every integer is exact as a float64.
		if err := exactNumbers(signed); err != nil {
			return nil, err
		}
	}
	if env.members, err = signed.Members(); err != nil {
		return nil, malformed("signed: %v", err)
	}
	if err := env.readHeader(typ); err != nil {
		return nil, err
	}
	return env, nil
}

// Member names the readers check for case variants.
var (
	envelopeFields  = []string{"signed", "signatures"}
	signatureFields = []string{"keyid", "sig"}
	headerFields    = []string{"_type", "spec_version", "version", "expires"}
)

func readSignatures(raw cjson.Raw) ([]Signature, error) {
	var elBuf [8]cjson.Raw
	list, err := raw.AppendElements(elBuf[:0])
	if err != nil {
		return nil, malformed(`"signatures" is not a list`)
	}
	if len(list) > MaxSignatures {
		return nil, malformed("%d signatures, more than the limit of %d", len(list), MaxSignatures)
	}
	out := make([]Signature, 0, len(list))
	// Every signature is decoded into one buffer: a signature is half
	// its hex, which raw holds.
	var buf []byte
	var seen map[string]bool // for long lists only
	if len(list) > 16 {
		seen = make(map[string]bool, len(list))
	}
	for i, e := range list {
		id, sigRaw, ok := plainSignature(e)
		if !ok {
			var mBuf [4]cjson.Member
			ms, err := e.AppendMembers(mBuf[:0])
			if err != nil {
				return nil, malformed("%s is not an object", signatureWhat(i))
			}
			o := object{members: ms}
			if bad, want, found := caseVariant(ms, signatureFields); found {
				return nil, malformed("%s: member %q differs from %q only in case", signatureWhat(i), bad, want)
			}
			if id, ok = o.str("keyid"); !ok {
				return nil, malformed("signature %d: keyid is missing or not a string", i)
			}
			if sigRaw, ok = o.get("sig"); !ok || sigRaw.Kind() != cjson.KindString {
				return nil, malformed("signature %d: sig is missing or not a string", i)
			}
		}
		dup := false
		if seen != nil {
			dup = seen[id]
			seen[id] = true
		} else {
			for _, p := range out {
				if p.KeyID == id {
					dup = true
					break
				}
			}
		}
		if dup {
			return nil, malformed("more than one signature under key ID %s", ShortID(id))
		}
		sigHex := []byte(sigRaw[1 : len(sigRaw)-1])
		if bytes.IndexByte(sigHex, '\\') >= 0 {
			// An escaped quote or backslash: never hex, but the
			// length check below reads the string.
			str, _ := sigRaw.Str()
			sigHex = []byte(str)
		}
		if len(sigHex) > 2*MaxSignatureSize {
			return nil, malformed("signature under key %s is %d bytes, more than %d", ShortID(id), len(sigHex)/2, MaxSignatureSize)
		}
		if buf == nil {
			buf = make([]byte, 0, len(raw)/2)
		}
		n := len(sigHex) / 2
		if len(sigHex)%2 != 0 || len(buf)+n > cap(buf) {
			return nil, malformed("signature under key %s is not hex", ShortID(id))
		}
		sig := buf[len(buf) : len(buf)+n : len(buf)+n]
		if _, err := hex.Decode(sig, sigHex); err != nil {
			return nil, malformed("signature under key %s is not hex", ShortID(id))
		}
		buf = buf[:len(buf)+n]
		out = append(out, Signature{KeyID: id, Sig: sig})
	}
	return out, nil
}

func signatureWhat(i int) string { return fmt.Sprintf("signature %d", i) }

// plainSignature reads the signature entry every tool writes, canonical
// {"keyid":"…","sig":"…"} with no escape in either string, without the
// general object reader (which reads anything else, to the same result).
func plainSignature(e cjson.Raw) (id string, sig cjson.Raw, ok bool) {
	const head, mid, tail = `{"keyid":"`, `","sig":"`, `"}`
	if len(e) < len(head)+len(mid)+len(tail) || string(e[:len(head)]) != head || string(e[len(e)-len(tail):]) != tail {
		return "", nil, false
	}
	body := e[len(head) : len(e)-len(tail)] // ID","sig":"HEX
	if bytes.IndexByte(body, '\\') >= 0 {
		return "", nil, false
	}
	q := bytes.IndexByte(body, '"')
	if q < 0 || len(body)-q < len(mid) || string(body[q:q+len(mid)]) != mid || bytes.IndexByte(body[q+len(mid):], '"') >= 0 {
		return "", nil, false
	}
	// The sig value with its quotes: from the last quote of mid to the
	// first of tail.
	return string(body[:q]), e[len(head)+q+len(mid)-1 : len(e)-1], true
}

func (e *Envelope) readHeader(typ string) error {
	o := object{what: "signed", members: e.members}
	if err := o.caseVariants(headerFields...); err != nil {
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
	expRaw, ok := o.get("expires")
	if !ok || expRaw.Kind() != cjson.KindString {
		return malformed("expires is missing or not a string")
	}
	exp, err := parseExpiresRaw(expRaw)
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
	return parseExpires([]byte(s))
}

// parseExpiresRaw is ParseExpires for a canonical JSON string.
func parseExpiresRaw(raw cjson.Raw) (time.Time, error) {
	text := []byte(raw[1 : len(raw)-1])
	if bytes.IndexByte(text, '\\') >= 0 {
		s, _ := raw.Str()
		text = []byte(s)
	}
	return parseExpires(text)
}

// parseExpires reads text as UnmarshalText does and accepts it only if
// MarshalText writes it back unchanged: the same checks as MarshalText
// (Time.appendStrictRFC3339) on the RFC3339Nano form, into a buffer on the
// stack.
func parseExpires(text []byte) (time.Time, error) {
	var t time.Time
	if err := t.UnmarshalText(text); err != nil {
		return time.Time{}, malformed("expires %q is not an RFC 3339 time", text)
	}
	var buf [64]byte
	again := t.AppendFormat(buf[:0], time.RFC3339Nano)
	ok := len(again) > len("9999") && again[len("9999")] == '-' // a 4-digit year
	if ok && again[len(again)-1] != 'Z' {
		c := again[len(again)-len("Z07:00")]
		tz := again[len(again)-len("07:00"):]
		ok = (c < '0' || c > '9') && 10*(tz[0]-'0')+(tz[1]-'0') < 24
	}
	if !ok || !bytes.Equal(again, text) {
		return time.Time{}, malformed("expires %q is not an RFC 3339 time in its shortest form", text)
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
	for i := 0; i < len(signed); {
		c := signed[i]
		switch {
		case c == '"':
			i = stringEnd(signed, i)
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(signed) && signed[j] >= '0' && signed[j] <= '9' {
				j++
			}
			// Canonical numbers are integers without leading zeros; up
			// to 15 digits they are below 2^53 and exact. Longer ones
			// take the slow check.
			digits := j - i
			if c == '-' {
				digits--
			}
			if digits > 15 {
				text := string(signed[i:j])
				f, err := strconv.ParseFloat(text, 64)
				if err != nil || strconv.FormatFloat(f, 'f', -1, 64) != text {
					return malformed("the number %s is not exact as a float64, as other clients read it (integers up to 2^53 are safe)", text)
				}
			}
			i = j
		default:
			i++
		}
	}
	return nil
}

// stringEnd returns the offset just past the canonical string at r[pos]
// (which holds '"'), or len(r) if it does not end: a quote ends it unless
// an odd run of backslashes precedes it.
func stringEnd(r []byte, pos int) int {
	i := pos + 1
	for {
		j := bytes.IndexByte(r[i:], '"')
		if j < 0 {
			return len(r)
		}
		q := i + j
		n := 0
		for k := q - 1; k > pos && r[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
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
func readObject(what string, raw cjson.Raw, known ...string) (object, error) {
	return readObjectBuf(what, raw, nil, known)
}

// readObjectBuf is readObject reading the members into buf.
func readObjectBuf(what string, raw cjson.Raw, buf []cjson.Member, known []string) (object, error) {
	members, err := raw.AppendMembers(buf)
	if err != nil {
		return object{}, malformed("%s is not an object", what)
	}
	o := object{what: what, members: members}
	if err := o.caseVariants(known...); err != nil {
		return object{}, err
	}
	return o, nil
}

func (o *object) caseVariants(known ...string) error {
	if o.known == nil {
		o.known = known
	} else {
		o.known = append(o.known[:len(o.known):len(o.known)], known...)
	}
	if bad, want, found := caseVariant(o.members, known); found {
		return malformed("%s: member %q differs from %q only in case", o.what, bad, want)
	}
	return nil
}

// caseVariant returns the first member (in order) whose name differs only
// in case from one of known, and that name.
func caseVariant(members []cjson.Member, known []string) (bad, want string, found bool) {
	for _, m := range members {
		for _, f := range known {
			if m.Key != f && strings.EqualFold(m.Key, f) {
				return m.Key, f, true
			}
		}
	}
	return "", "", false
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

// stringList reads a list of strings of at most max entries; what and
// suffix name it in errors.
func stringList(what, suffix string, raw cjson.Raw, max int) ([]string, error) {
	return stringListIn(what, suffix, raw, max, nil)
}

// stringListIn is stringList returning, for an entry that equals one of
// the sorted strings in known, that string rather than a copy.
func stringListIn(what, suffix string, raw cjson.Raw, max int, known []string) ([]string, error) {
	var elBuf [16]cjson.Raw
	els, err := raw.AppendElements(elBuf[:0])
	if err != nil {
		return nil, malformed("%s%s is not a list", what, suffix)
	}
	if len(els) > max {
		return nil, malformed("%s%s has %d entries, more than %d", what, suffix, len(els), max)
	}
	out := make([]string, 0, len(els))
	for i, e := range els {
		if s, ok := lookupString(known, e); ok {
			out = append(out, s)
			continue
		}
		s, ok := e.Str()
		if !ok {
			return nil, malformed("%s%s: entry %d is not a string", what, suffix, i)
		}
		out = append(out, s)
	}
	return out, nil
}

// lookupString returns the string in sorted that the canonical string e
// holds, if there is one, without allocating.
func lookupString(sorted []string, e cjson.Raw) (string, bool) {
	if len(sorted) == 0 || len(e) < 2 || e[0] != '"' || e[len(e)-1] != '"' {
		return "", false
	}
	b := e[1 : len(e)-1]
	if bytes.IndexByte(b, '\\') >= 0 {
		return "", false
	}
	lo, hi := 0, len(sorted)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if sorted[mid] < string(b) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(sorted) && sorted[lo] == string(b) {
		return sorted[lo], true
	}
	return "", false
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

// Package cjson reads JSON strictly and writes OLPC canonical JSON (the
// bytes TUF signs) and a pretty, reviewable file form.
//
// [Canonicalize] is the verifier's entry point: it checks a document with
// the strict rules (duplicate object keys at any depth, invalid UTF-8,
// nesting deeper than [MaxDepth], trailing data, numbers other than int64
// integers, the number -0) and returns its canonical bytes as a [Raw]
// without building a tree, in memory bounded by a small multiple of the
// input. [Raw]'s reader (Members, Elements, Str, Int, Bool) then reads
// what a model needs from those bytes, and [EncodeCanonical] writes a Raw
// inside a tree verbatim, so unknown fields survive edits byte for byte.
//
// [Decode] parses with the same rules into a generic tree (map[string]any,
// []any, string, json.Number, bool, nil). [EncodeCanonical] produces the
// same bytes as go-securesystemslib's cjson.EncodeCanonical: object keys
// sorted by bytes, no whitespace, only `"` and `\` escaped in strings,
// integers only. [EncodePretty] sorts keys, indents by two spaces, does not
// escape HTML characters and ends with a newline, as encoding/json does.
package cjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of arrays and objects Decode accepts.
const MaxDepth = 64

// Decode parses data strictly into a generic tree. It scans the bytes
// directly; strings are unquoted as encoding/json does (an unpaired
// surrogate escape becomes U+FFFD) and numbers keep their text as
// json.Number. The number -0 is refused: Python's TUF implementation reads
// it as 0, so its canonical form would differ between clients.
func Decode(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("cjson: invalid UTF-8")
	}
	d := decoder{data: data}
	d.ws()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.pos != len(d.data) {
		return nil, fmt.Errorf("cjson: trailing data after JSON value at offset %d", d.pos)
	}
	return v, nil
}

type decoder struct {
	data []byte
	pos  int
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("cjson: offset %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		if depth >= MaxDepth {
			return nil, d.errorf("nesting deeper than %d levels", MaxDepth)
		}
		return d.object(depth)
	case c == '[':
		if depth >= MaxDepth {
			return nil, d.errorf("nesting deeper than %d levels", MaxDepth)
		}
		return d.array(depth)
	case c == '"':
		return d.str()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	default:
		return nil, d.errorf("unexpected character %q", c)
	}
}

func (d *decoder) literal(lit string) error {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return d.errorf("invalid literal")
	}
	d.pos += len(lit)
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	d.pos++ // '{'
	obj := map[string]any{}
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return obj, nil
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("expected an object key")
		}
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		if _, dup := obj[key]; dup {
			return nil, d.errorf("duplicate object key %q", key)
		}
		d.ws()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("expected ':'")
		}
		d.pos++
		d.ws()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		obj[key] = v
		d.ws()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input in object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.ws()
		case '}':
			d.pos++
			return obj, nil
		default:
			return nil, d.errorf("expected ',' or '}'")
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	d.pos++ // '['
	arr := []any{}
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return arr, nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		d.ws()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input in array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.ws()
		case ']':
			d.pos++
			return arr, nil
		default:
			return nil, d.errorf("expected ',' or ']'")
		}
	}
}

// str reads a string at d.pos (which holds '"') and unquotes it as
// encoding/json does: an unpaired surrogate escape becomes U+FFFD.
func (d *decoder) str() (string, error) {
	d.pos++ // opening quote
	start := d.pos
	// Fast path: no escapes.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := string(d.data[start:d.pos])
			d.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", d.errorf("control character in string")
		}
		d.pos++
	}
	buf := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(buf), nil
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		// Escape.
		if d.pos+1 >= len(d.data) {
			return "", d.errorf("unterminated escape")
		}
		e := d.data[d.pos+1]
		d.pos += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r := d.hex4(d.pos)
			if r < 0 {
				return "", d.errorf("invalid \\u escape")
			}
			d.pos += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					r2 = d.hex4(d.pos + 2)
				}
				if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
					d.pos += 6
					r = dec
				} else {
					r = unicode.ReplacementChar
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", d.errorf("invalid escape '\\%c'", e)
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *decoder) hex4(at int) rune {
	if at+4 > len(d.data) {
		return -1
	}
	var r rune
	for _, c := range d.data[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// number reads a number with JSON's grammar and keeps its text.
func (d *decoder) number() (any, error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		return nil, d.errorf("invalid number")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.errorf("invalid number")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.errorf("invalid number")
		}
	}
	if d.pos-start == 2 && d.data[start] == '-' && d.data[start+1] == '0' {
		// Python's TUF clients read -0 as the integer 0 and sign "0":
		// the same document would mean different bytes to them.
		d.pos = start
		return nil, d.errorf("the number -0 is not allowed (other implementations read it as 0)")
	}
	return json.Number(d.data[start:d.pos]), nil
}

// EncodeCanonical returns the OLPC canonical JSON encoding of v, a generic
// tree as Decode returns. Numbers must be integers that fit in an int64
// (json.Number, int or int64); anything else is an error.
func EncodeCanonical(v any) ([]byte, error) {
	return AppendCanonical(nil, v)
}

// AppendCanonical appends the canonical encoding of v (see
// [EncodeCanonical]) to dst and returns the extended slice. On error the
// returned slice is nil.
func AppendCanonical(dst []byte, v any) ([]byte, error) {
	return appendCanonical(dst, v, 0)
}

func appendCanonical(b []byte, v any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("cjson: nesting deeper than %d levels", MaxDepth)
	}
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		if t {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case string:
		if !utf8.ValidString(t) {
			return nil, errors.New("cjson: string is not valid UTF-8")
		}
		return appendCanonicalString(b, t), nil
	case json.Number:
		if _, err := strconv.ParseInt(string(t), 10, 64); err != nil {
			return nil, fmt.Errorf("cjson: number %q is not an integer canonical JSON can encode", string(t))
		}
		return append(b, t...), nil
	case int:
		return strconv.AppendInt(b, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(b, t, 10), nil
	case Raw:
		if t.Kind() == KindInvalid {
			return nil, errors.New("cjson: empty or invalid Raw value")
		}
		return append(b, t...), nil
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendCanonical(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		var buf [16]string
		keys := buf[:0]
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			if !utf8.ValidString(k) {
				return nil, errors.New("cjson: object key is not valid UTF-8")
			}
			b = appendCanonicalString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendCanonical(b, t[k], depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("cjson: cannot encode %T", v)
}

// appendCanonicalString escapes only '"' and '\\', as canonical JSON does.
func appendCanonicalString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// EncodePretty returns the reviewable file form of v: keys sorted, two-space
// indent, HTML characters not escaped, a trailing newline, as
// encoding/json's Encoder writes with SetIndent("", "  ") and
// SetEscapeHTML(false). Numbers follow the same rule as in
// EncodeCanonical, so every pretty file can also be canonicalised.
func EncodePretty(v any) ([]byte, error) {
	if err := check(v, 0); err != nil {
		return nil, err
	}
	canon, err := EncodeCanonical(v)
	if err != nil {
		return nil, err
	}
	out, err := appendJSON(make([]byte, 0, len(canon)+len(canon)/2), canon, "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// check reports whether v holds only types EncodeCanonical accepts.
func check(v any, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("cjson: nesting deeper than %d levels", MaxDepth)
	}
	switch t := v.(type) {
	case nil, bool, int, int64:
	case Raw:
		if t.Kind() == KindInvalid {
			return errors.New("cjson: empty or invalid Raw value")
		}
	case string:
		if !utf8.ValidString(t) {
			return errors.New("cjson: string is not valid UTF-8")
		}
	case json.Number:
		if _, err := strconv.ParseInt(string(t), 10, 64); err != nil {
			return fmt.Errorf("cjson: number %q is not an integer canonical JSON can encode", string(t))
		}
	case []any:
		for _, e := range t {
			if err := check(e, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range t {
			if !utf8.ValidString(k) {
				return errors.New("cjson: object key is not valid UTF-8")
			}
			if err := check(e, depth+1); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("cjson: cannot encode %T", v)
	}
	return nil
}

// FromValue converts any value encoding/json can marshal into a generic
// tree, by marshalling it and decoding the result strictly.
func FromValue(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cjson: %w", err)
	}
	return Decode(data)
}

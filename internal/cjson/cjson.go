// Package cjson decodes JSON strictly into a generic tree and encodes such a
// tree as OLPC canonical JSON (the bytes TUF signs) or as a pretty,
// reviewable file form.
//
// The tree uses only map[string]any, []any, string, json.Number, bool and
// nil. [Decode] rejects duplicate object keys at any depth, invalid UTF-8,
// nesting deeper than [MaxDepth] and trailing data. [EncodeCanonical]
// produces the same bytes as go-securesystemslib's cjson.EncodeCanonical:
// object keys sorted by bytes, no whitespace, only `"` and `\` escaped in
// strings, integers only. [EncodePretty] sorts keys, indents by two spaces,
// does not escape HTML characters and ends with a newline.
package cjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of arrays and objects Decode accepts.
const MaxDepth = 64

// Decode parses data strictly into a generic tree.
func Decode(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("cjson: invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, errors.New("cjson: trailing data after JSON value")
		}
		return nil, fmt.Errorf("cjson: trailing data after JSON value: %w", err)
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("cjson: unexpected end of JSON input")
		}
		return nil, fmt.Errorf("cjson: %w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= MaxDepth {
			return nil, fmt.Errorf("cjson: nesting deeper than %d levels", MaxDepth)
		}
		switch t {
		case '{':
			obj := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("cjson: %w", err)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("cjson: object key is %T, not a string", kt)
				}
				if _, dup := obj[key]; dup {
					return nil, fmt.Errorf("cjson: duplicate object key %q", key)
				}
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj[key] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("cjson: %w", err)
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("cjson: %w", err)
			}
			return arr, nil
		default:
			return nil, fmt.Errorf("cjson: unexpected delimiter %q", rune(t))
		}
	case string, json.Number, bool, nil:
		return t, nil
	default:
		return nil, fmt.Errorf("cjson: unexpected token %T", tok)
	}
}

// EncodeCanonical returns the OLPC canonical JSON encoding of v, a generic
// tree as Decode returns. Numbers must be integers that fit in an int64
// (json.Number, int or int64); anything else is an error.
func EncodeCanonical(v any) ([]byte, error) {
	var b strings.Builder
	if err := encodeCanonical(&b, v, 0); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

func encodeCanonical(b *strings.Builder, v any, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("cjson: nesting deeper than %d levels", MaxDepth)
	}
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		if !utf8.ValidString(t) {
			return errors.New("cjson: string is not valid UTF-8")
		}
		writeCanonicalString(b, t)
	case json.Number:
		if _, err := strconv.ParseInt(string(t), 10, 64); err != nil {
			return fmt.Errorf("cjson: number %q is not an integer canonical JSON can encode", string(t))
		}
		b.WriteString(string(t))
	case int:
		b.WriteString(strconv.Itoa(t))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeCanonical(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range sortedKeys(t) {
			if i > 0 {
				b.WriteByte(',')
			}
			if !utf8.ValidString(k) {
				return errors.New("cjson: object key is not valid UTF-8")
			}
			writeCanonicalString(b, k)
			b.WriteByte(':')
			if err := encodeCanonical(b, t[k], depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("cjson: cannot encode %T", v)
	}
	return nil
}

func writeCanonicalString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// EncodePretty returns the reviewable file form of v: keys sorted, two-space
// indent, HTML characters not escaped, a trailing newline. Numbers follow
// the same rule as in EncodeCanonical, so every pretty file can also be
// canonicalised.
func EncodePretty(v any) ([]byte, error) {
	if err := check(v, 0); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("cjson: %w", err)
	}
	return buf.Bytes(), nil
}

// check reports whether v holds only types EncodeCanonical accepts.
func check(v any, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("cjson: nesting deeper than %d levels", MaxDepth)
	}
	switch t := v.(type) {
	case nil, bool, int, int64:
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

// Canonicalize decodes data strictly and returns its canonical encoding.
func Canonicalize(data []byte) ([]byte, error) {
	v, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return EncodeCanonical(v)
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

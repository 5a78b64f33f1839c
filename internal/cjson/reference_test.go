package cjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceDecode is the strict decoder built on encoding/json's tokenizer
// that Decode replaced. It stays here as an independent oracle: Decode
// must accept exactly what it accepts and build the same tree. Like
// Decode, it refuses the number -0.
func referenceDecode(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("reference: invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := referenceValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("reference: trailing data")
	}
	return v, nil
}

func referenceValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= MaxDepth {
			return nil, errors.New("reference: too deep")
		}
		switch t {
		case '{':
			obj := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("reference: key %T", kt)
				}
				if _, dup := obj[key]; dup {
					return nil, errors.New("reference: duplicate key")
				}
				if obj[key], err = referenceValue(dec, depth+1); err != nil {
					return nil, err
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := referenceValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("reference: delimiter %q", rune(t))
	case json.Number:
		if t == "-0" {
			return nil, errors.New("reference: -0")
		}
		return t, nil
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("reference: token %T", tok)
}

var referenceCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1`, `-12`, `1.5`, `1e3`, `1E+3`, `1e-3`, `01`, `-`, `1.`, `.5`, `+1`, `1e`, `-01`, `0x1`,
	`true`, `false`, `null`, `tru`, `nul`, `True`, `nulll`, `[true false]`,
	` {"a" : [1, 2, {"b": null}] } `, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{1:2}`,
	`{"a":1 "b":2}`, `{,}`, `[,]`, `{"a"}`, `{"a":}`,
	`"\u00e9\n\t\"\\\/\b\f\r"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`, `"\u12"`, `"\x"`,
	`"\uD83D\uDE00"`, `"\u0000"`,
	"\"a\x01b\"", "\"\xff\"", "\"é\"", "\"a\x7fb\"", `"abc`, `"a\`, `{"a":1} x`, `{"a":1}{}`, `[] `, "\n[]\t", "\v[]", "\u00a0[]",
	``, ` `, `[`, `{`, `{"a":`,
	`{"signed":{"_type":"root","version":3},"signatures":[{"keyid":"ab","sig":""}]}`,
	`123456789012345678901234567890`, `-9223372036854775808`,
}

// TestDecodeMatchesReference holds Decode to the encoding/json-based
// reference on edge cases, the depth limit and the real Sigstore roots.
func TestDecodeMatchesReference(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	tooDeep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	deepObj := strings.Repeat(`{"a":`, MaxDepth) + "1" + strings.Repeat("}", MaxDepth)
	all := append([]string{deep, tooDeep, deepObj}, referenceCases...)
	for _, p := range realFiles(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, string(b))
	}
	accepted := 0
	for _, in := range all {
		if compareWithReference(t, []byte(in)) {
			accepted++
		}
	}
	if accepted < len(all)/3 {
		t.Fatalf("only %d of %d inputs decoded; the corpus lost its valid cases", accepted, len(all))
	}
}

// compareWithReference reports whether in decoded, failing t if Decode
// and the reference disagree on the verdict, the tree or the canonical
// bytes.
func compareWithReference(t *testing.T, in []byte) bool {
	t.Helper()
	want, werr := referenceDecode(in)
	got, gerr := Decode(in)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%.80q: reference error %v, Decode error %v", in, werr, gerr)
	}
	if gerr != nil {
		if !strings.HasPrefix(gerr.Error(), "cjson: ") {
			t.Fatalf("%.80q: error %q lacks the package prefix", in, gerr)
		}
		return false
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%.80q: trees differ:\nreference %#v\nDecode    %#v", in, want, got)
	}
	c1, err1 := EncodeCanonical(got)
	c2, err2 := AppendCanonical([]byte("prefix"), got)
	if (err1 == nil) != (err2 == nil) || (err1 == nil && !bytes.Equal(append([]byte("prefix"), c1...), c2)) {
		t.Fatalf("%.80q: EncodeCanonical %q %v, AppendCanonical %q %v", in, c1, err1, c2, err2)
	}
	return true
}

func FuzzDecodeMatchesReference(f *testing.F) {
	for _, c := range referenceCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) { compareWithReference(t, in) })
}

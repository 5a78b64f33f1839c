package cjson

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

// maxDigitsOf is what Document.MaxDigits must be: the longest run of digits
// outside strings.
func maxDigitsOf(canon Raw) int {
	best, run, inString := 0, 0, false
	for i := 0; i < len(canon); i++ {
		c := canon[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && c >= '0' && c <= '9':
			run++
			best = max(best, run)
			continue
		}
		run = 0
	}
	return best
}

func checkDocument(t *testing.T, data []byte) {
	t.Helper()
	want, werr := Canonicalize(data)
	doc, err := CanonicalizeDocument(data, nil)
	if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
		t.Fatalf("CanonicalizeDocument error %v, Canonicalize %v", err, werr)
	}
	if err != nil {
		return
	}
	if !bytes.Equal(doc.Raw, want) {
		t.Fatalf("Raw = %q, Canonicalize %q", doc.Raw, want)
	}
	if ms, merr := want.Members(); merr != nil {
		if doc.Members != nil {
			t.Fatalf("members %v of a document that is not an object", doc.Members)
		}
	} else if !reflect.DeepEqual(doc.Members, ms) && !(len(ms) == 0 && len(doc.Members) == 0 && doc.Members != nil) {
		t.Fatalf("Members = %q, Raw.Members %q", doc.Members, ms)
	}
	if got := maxDigitsOf(want); doc.MaxDigits != got {
		t.Fatalf("MaxDigits = %d, want %d for %s", doc.MaxDigits, got, want)
	}
}

func TestCanonicalizeDocument(t *testing.T) {
	for _, s := range []string{`{}`, ` { } `, `[]`, `1`, `-12`, `"x"`, `{"b":1,"a":[1,"x",null,true]}`, `{"a\"":1,"a#":2}`,
		`{"z":{"y":1,"x":2},"a":123456789012345678}`, `[{"a":1}]`, `{"signed":{"b":[1,2]},"signatures":[{"keyid":"k","sig":"00"}]}`,
		"{\"\\u00e9\":1,\"e\":2,\"\\\\\":3}", `{"a":"1234567890123456789"}`} {
		checkDocument(t, []byte(s))
	}
	for _, p := range realFiles(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		checkDocument(t, data)
	}
	// dst is appended to.
	doc, err := CanonicalizeDocument([]byte(`{"b":1,"a":2}`), make([]Member, 0, 4))
	if err != nil || len(doc.Members) != 2 || doc.Members[0].Key != "a" || cap(doc.Members) != 4 {
		t.Fatalf("into a buffer: %+v, %v", doc, err)
	}
	if strings.Contains(string(doc.Raw), " ") {
		t.Fatal("not canonical")
	}
}

func FuzzCanonicalizeDocument(f *testing.F) {
	for _, s := range []string{`{}`, `{"b":1,"a":[1,"x",null,true]}`, `{"a\"":1,"a#":2}`, `[1,{"a":2}]`, `{"a":-0}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDocument(t, data)
	})
}

package cjson

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sslcjson "github.com/secure-systems-lab/go-securesystemslib/cjson"

	"github.com/trustroot/trustroot/internal/sharedtestdata"
)

func TestDecodeRejects(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	cases := map[string]struct {
		in   string
		want string
	}{
		"duplicate key":        {`{"a":1,"a":2}`, "duplicate object key"},
		"nested duplicate key": {`{"x":[{"b":true,"b":false}]}`, "duplicate object key"},
		"invalid utf8":         {"{\"a\":\"\xff\"}", "invalid UTF-8"},
		"too deep":             {deep, "nesting deeper"},
		"trailing data":        {`{"a":1} {}`, "trailing data"},
		"trailing garbage":     {`{"a":1}x`, "trailing data"},
		"empty":                {``, "unexpected end"},
		"truncated":            {`{"a":`, "cjson:"},
		"bad literal":          {`{"a":tru}`, "cjson:"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode([]byte(c.in))
			if err == nil {
				t.Fatalf("Decode(%q) succeeded, want error containing %q", c.in, c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Decode(%q) error = %q, want it to contain %q", c.in, err, c.want)
			}
		})
	}
}

func TestDecodeAcceptsDepthLimit(t *testing.T) {
	in := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := Decode([]byte(in)); err != nil {
		t.Fatalf("Decode at exactly MaxDepth: %v", err)
	}
}

func TestDecodeTree(t *testing.T) {
	v, err := Decode([]byte(` {"n": 12, "s": "a\"b", "l": [true, null, -3], "o": {}} `))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if m["n"] != json.Number("12") || m["s"] != `a"b` {
		t.Fatalf("unexpected tree %#v", m)
	}
	l := m["l"].([]any)
	if l[0] != true || l[1] != nil || l[2] != json.Number("-3") {
		t.Fatalf("unexpected list %#v", l)
	}
}

func TestEncodeCanonical(t *testing.T) {
	in := `{"b":[1,2,{"z":null,"a":false}],"a":"x\\y\"z\n\u00e9<>&","\u00e9":"", "A": -1}`
	v, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got, err := EncodeCanonical(v)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"A\":-1,\"a\":\"x\\\\y\\\"z\n\u00e9<>&\",\"b\":[1,2,{\"a\":false,\"z\":null}],\"\u00e9\":\"\"}"
	if string(got) != want {
		t.Fatalf("EncodeCanonical = %s\nwant             %s", got, want)
	}
}

func TestEncodeCanonicalRejectsNonIntegers(t *testing.T) {
	for _, n := range []string{"1.5", "1e3", "99999999999999999999", "-1E-2"} {
		v, err := Decode([]byte(`{"n":` + n + `}`))
		if err != nil {
			t.Fatalf("Decode %s: %v", n, err)
		}
		if _, err := EncodeCanonical(v); err == nil {
			t.Errorf("EncodeCanonical accepted number %s", n)
		}
		if _, err := EncodePretty(v); err == nil {
			t.Errorf("EncodePretty accepted number %s", n)
		}
	}
	if _, err := EncodeCanonical(map[string]any{"f": 1.0}); err == nil {
		t.Error("EncodeCanonical accepted a float64")
	}
	if _, err := EncodeCanonical(map[string]any{"s": "\xff"}); err == nil {
		t.Error("EncodeCanonical accepted invalid UTF-8")
	}
}

func TestEncodePretty(t *testing.T) {
	v, err := Decode([]byte(`{"b":{"y":[],"x":{}},"a":"<&>","c":[1,"two"]}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := EncodePretty(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "a": "<&>",
  "b": {
    "x": {},
    "y": []
  },
  "c": [
    1,
    "two"
  ]
}
`
	if string(got) != want {
		t.Fatalf("EncodePretty =\n%s\nwant\n%s", got, want)
	}
	// The pretty form decodes to the same canonical bytes.
	c1, _ := EncodeCanonical(v)
	c2, err := Canonicalize(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c1, c2) {
		t.Fatalf("pretty form changed the canonical bytes:\n%s\n%s", c1, c2)
	}
}

// realFiles returns every Sigstore root file in the shared test vectors.
func realFiles(t testing.TB) []string {
	dir := sharedtestdata.SigstoreRoot(t)
	var files []string
	for _, sub := range []string{"prod", "staging", "staging-tuf-on-ci"} {
		m, err := filepath.Glob(filepath.Join(dir, sub, "*.root.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 30 {
		t.Fatalf("found only %d Sigstore root files under %s", len(files), dir)
	}
	return files
}

// TestMatchesSecuresystemslib checks the canonical encoder against
// go-securesystemslib's on the real Sigstore roots and on crafted input.
func TestMatchesSecuresystemslib(t *testing.T) {
	inputs := [][]byte{
		[]byte(`{"a":"\u0001\u001f\t\r\n\u2028 \\ \" / <>&","b":[],"c":{},"d":-12,"e":null,"f":true,"ü":"ß","\u0000":0}`),
	}
	for _, f := range realFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, data)
	}
	for i, data := range inputs {
		v, err := Decode(data)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		ours, err := EncodeCanonical(v)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		var generic any
		if err := json.Unmarshal(data, &generic); err != nil {
			t.Fatal(err)
		}
		theirs, err := sslcjson.EncodeCanonical(generic)
		if err != nil {
			t.Fatalf("input %d: securesystemslib: %v", i, err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Fatalf("input %d: canonical bytes differ\nours:   %s\ntheirs: %s", i, ours, theirs)
		}
	}
}

func FuzzDecodeEncode(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,"x",null,true]}`, `"\u00e9"`, `{"a":{"b":{"c":-7}}}`} {
		f.Add([]byte(s))
	}
	for _, p := range realFiles(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Decode(data)
		if err != nil {
			return
		}
		c, err := EncodeCanonical(v)
		if err != nil {
			return // e.g. a float
		}
		// Differential check against go-securesystemslib.
		theirs, err := sslcjson.EncodeCanonical(v)
		if err != nil {
			t.Fatalf("securesystemslib refused what we encoded: %v", err)
		}
		if !bytes.Equal(c, theirs) {
			t.Fatalf("canonical bytes differ from securesystemslib:\nours:   %q\ntheirs: %q", c, theirs)
		}
		// Canonical JSON leaves control characters raw, so it is not
		// always valid JSON; the pretty form is, and must decode to a tree
		// with the same canonical bytes.
		p, err := EncodePretty(v)
		if err != nil {
			t.Fatalf("EncodePretty failed where EncodeCanonical succeeded: %v", err)
		}
		c3, err := Canonicalize(p)
		if err != nil {
			t.Fatalf("pretty output does not decode: %v\n%s", err, p)
		}
		if !bytes.Equal(c, c3) {
			t.Fatalf("pretty form changed canonical bytes:\n%s\n%s", c, c3)
		}
	})
}

// TestDecodeRejectsNegativeZero: python-tuf reads -0 as the integer 0 and
// signs "0", so a document holding -0 would mean different bytes to Go and
// Python clients. Only the exact number -0 is refused.
func TestDecodeRejectsNegativeZero(t *testing.T) {
	for _, in := range []string{`-0`, `{"x":-0}`, `{"a":[1,{"b":-0}]}`} {
		_, err := Decode([]byte(in))
		if err == nil || !strings.Contains(err.Error(), "-0") {
			t.Errorf("Decode(%q) error = %v, want one naming -0", in, err)
		}
	}
	for _, in := range []string{`0`, `-1`, `-10`, `{"x":0}`, `-0.5`, `-0e1`} {
		if _, err := Decode([]byte(in)); err != nil {
			t.Errorf("Decode(%q) = %v, want success", in, err)
		}
	}
}

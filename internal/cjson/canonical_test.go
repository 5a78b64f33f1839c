package cjson

import (
	"bytes"
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// viaTree is the reference: decode to a tree, then encode it.
func viaTree(data []byte) ([]byte, error) {
	v, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return EncodeCanonical(v)
}

func TestCanonicalizeMatchesTree(t *testing.T) {
	inputs := []string{
		`{}`, `[]`, `"x"`, `0`, `-7`, `true`, `null`,
		`{"b":1,"a":2}`,
		`{"z":{"y":[3,{"d":1,"c":2}],"x":null},"a":"\u00e9\n\"\\/"}`,
		`{"a\"":1,"a#":2,"a\\":3,"a!":4}`, // escaped keys sort by the bytes they stand for
		`{"\ud83d\ude00":1,"\uffff":2}`,   // a surrogate pair sorts as its UTF-8 bytes
		`{"s":"\ud800x"}`,                 // an unpaired surrogate becomes U+FFFD
		`  {"a" : [ 1 , 2 ] }  `,
		`{"k9":0,"k10":0,"k1":0,"k100":0,"k2":0}`,
	}
	for _, f := range realFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(data))
	}
	for _, in := range inputs {
		want, err := viaTree([]byte(in))
		if err != nil {
			t.Fatalf("reference failed on %.60q: %v", in, err)
		}
		got, err := Canonicalize([]byte(in))
		if err != nil {
			t.Fatalf("Canonicalize(%.60q): %v", in, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Canonicalize(%.60q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestCanonicalizeRejects(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	cases := map[string]string{
		`{"a":1,"a":2}`:             "duplicate object key",
		`{"b":1,"a":1,"b":2}`:       "duplicate object key", // found after sorting
		`{"x":[{"b":true,"b":0}]}`:  "duplicate object key",
		`{"\u0061":1,"a":2}`:        "duplicate object key", // the same key written two ways
		"{\"a\":\"\xff\"}":          "invalid UTF-8",
		deep:                        "nesting deeper",
		`{"a":1} {}`:                "trailing data",
		``:                          "unexpected end",
		`{"a":1.5}`:                 "not an integer",
		`{"a":1e3}`:                 "not an integer",
		`{"a":9223372036854775808}`: "not an integer",
		`{"a":-0}`:                  "-0",
		"\"a\x01\"":                 "control character",
		`{"a":tru}`:                 "invalid literal",
		`{"a" 1}`:                   "expected ':'",
		`[1 2]`:                     "expected ','",
	}
	for in, want := range cases {
		_, err := Canonicalize([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Canonicalize(%.40q) error = %v, want one containing %q", in, err, want)
		}
	}
	if _, err := Canonicalize([]byte(`{"a":-9223372036854775808}`)); err != nil {
		t.Errorf("the smallest int64 was refused: %v", err)
	}
}

func TestRawReader(t *testing.T) {
	raw, err := Canonicalize([]byte(`{"b":[1,"x\"y",{"c":null}],"a":true,"e":{},"d":"\n"}`))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := raw.Members()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range ms {
		keys = append(keys, m.Key)
	}
	if got := strings.Join(keys, ","); got != "a,b,d,e" {
		t.Fatalf("keys = %s", got)
	}
	if b, ok := ms[0].Value.Bool(); !ok || !b {
		t.Errorf("a = %s", ms[0].Value)
	}
	els, err := ms[1].Value.Elements()
	if err != nil || len(els) != 3 {
		t.Fatalf("b elements = %q, %v", els, err)
	}
	if n, ok := els[0].Int(); !ok || n != 1 {
		t.Errorf("b[0] = %s", els[0])
	}
	if s, ok := els[1].Str(); !ok || s != `x"y` {
		t.Errorf("b[1] = %q", s)
	}
	inner, err := els[2].Members()
	if err != nil || len(inner) != 1 || !inner[0].Value.IsNull() {
		t.Errorf("b[2] = %v, %v", inner, err)
	}
	if s, ok := ms[2].Value.Str(); !ok || s != "\n" {
		t.Errorf("d = %q", s)
	}
	if got := string(ms[2].Value.JSON()); got != `"\n"` {
		t.Errorf("d as JSON = %s", got)
	}
	if m, err := ms[3].Value.Members(); err != nil || len(m) != 0 {
		t.Errorf("e = %v, %v", m, err)
	}
	if _, err := ms[0].Value.Members(); err == nil {
		t.Error("Members of a boolean succeeded")
	}
	for _, bad := range []Raw{nil, Raw(`{`), Raw(`{"a"`), Raw(`{"a":1`), Raw(`[1,`), Raw(`{"a":1}x`)} {
		if _, err := bad.Members(); err == nil && bad.Kind() == KindObject {
			t.Errorf("Members(%q) succeeded", bad)
		}
		if _, err := bad.Elements(); err == nil && bad.Kind() == KindArray {
			t.Errorf("Elements(%q) succeeded", bad)
		}
	}
}

// TestRawTreeRoundTrip: a Raw inside a tree is written verbatim, so a tree
// rebuilt from Members has the canonical bytes it was read from.
func TestRawTreeRoundTrip(t *testing.T) {
	raw, err := Canonicalize([]byte(`{"keep":{"z":[1,{"y":"\u0007"}],"a":null},"n":3}`))
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := raw.Members()
	tree := map[string]any{}
	for _, m := range ms {
		tree[m.Key] = m.Value
	}
	got, err := EncodeCanonical(tree)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, raw) {
		t.Fatalf("rebuilt %q, want %q", got, raw)
	}
	pretty, err := EncodePretty(tree)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(pretty) {
		t.Fatalf("pretty form with a control character is not valid JSON: %q", pretty)
	}
	again, err := Canonicalize(pretty)
	if err != nil || !bytes.Equal(again, raw) {
		t.Fatalf("pretty form reads back as %q, %v", again, err)
	}
}

// referencePretty is the pretty form as encoding/json writes it.
func referencePretty(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(v)
	return buf.Bytes(), err
}

// hostileShapes are documents of about size bytes whose trees cost far
// more memory than their text.
func hostileShapes(size int) map[string][]byte {
	repeat := func(open, unit, closing string) []byte {
		n := (size - len(open) - len(closing)) / (len(unit) + 1)
		return []byte(open + strings.TrimSuffix(strings.Repeat(unit+",", n), ",") + closing)
	}
	keys := func() []byte {
		var b strings.Builder
		b.WriteString(`{`)
		for i := 0; b.Len() < size-20; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			// Reverse order, so every object is sorted.
			b.WriteString(`"k` + strings.Repeat("0", 7-len(itoa(1e6-i))) + itoa(1e6-i) + `":0`)
		}
		b.WriteString(`}`)
		return []byte(b.String())
	}
	deep := func() []byte {
		unit := strings.Repeat("[", MaxDepth-2) + strings.Repeat("]", MaxDepth-2)
		return repeat("[", unit, "]")
	}
	return map[string][]byte{
		"objects":       repeat(`{"x":[`, `{"a":0}`, `]}`),
		"empty-objects": repeat(`{"x":[`, `{}`, `]}`),
		"numbers":       repeat(`{"x":[`, `0`, `]}`),
		"strings":       repeat(`{"x":[`, `""`, `]}`),
		"deep-arrays":   deep(),
		"many-keys":     keys(),
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestCanonicalizeMemoryBound: canonicalizing costs a small multiple of
// the input, whatever its shape. The bound here (8x) is generous on
// purpose; BenchmarkCanonicalize reports the ratios.
func TestCanonicalizeMemoryBound(t *testing.T) {
	const size = 1 << 20
	for name, data := range hostileShapes(size) {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			if _, err := Canonicalize(data); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			ratio := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(data))
			if ratio > 8 {
				t.Fatalf("Canonicalize allocated %.1fx the input (%d bytes)", ratio, len(data))
			}
		})
	}
}

func BenchmarkCanonicalize(b *testing.B) {
	const size = 4 << 20
	for name, data := range hostileShapes(size) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			start := ms.TotalAlloc
			for b.Loop() {
				if _, err := Canonicalize(data); err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.TotalAlloc-start)/float64(b.N)/float64(len(data)), "alloc/size")
		})
	}
}

func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"b":1,"a":[1,"x",null,true]}`, `"\u00e9"`, `{"a\"":1,"a#":2}`, `{"a":1,"a":2}`, `{"a":1.5}`} {
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
		want, werr := viaTree(data)
		got, gerr := Canonicalize(data)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("Canonicalize error %v, tree reference error %v", gerr, werr)
		}
		if werr != nil {
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Canonicalize = %q, reference %q", got, want)
		}
		// The pretty form is what encoding/json writes, and reads back.
		tree, _ := Decode(data)
		pretty, err := EncodePretty(tree)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := referencePretty(tree)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pretty, ref) {
			t.Fatalf("EncodePretty = %q, encoding/json %q", pretty, ref)
		}
		if again, err := Canonicalize(pretty); err != nil || !bytes.Equal(again, got) {
			t.Fatalf("pretty form reads back as %q, %v", again, err)
		}
		// The reader sees the same members the tree holds.
		if m, ok := tree.(map[string]any); ok {
			ms, err := got.Members()
			if err != nil || len(ms) != len(m) {
				t.Fatalf("Members = %v, %v; tree has %d", ms, err, len(m))
			}
			for _, mem := range ms {
				c, _ := EncodeCanonical(m[mem.Key])
				if !bytes.Equal(c, mem.Value) {
					t.Fatalf("member %q = %q, tree %q", mem.Key, mem.Value, c)
				}
			}
		}
	})
}

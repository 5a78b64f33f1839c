package jsontree

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/sharedtestdata"
)

var cases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1`, `-12`, `1.5`, `1e3`, `1E+3`, `1e-3`, `01`, `-`, `1.`, `.5`, `+1`, `1e`,
	`true`, `false`, `null`, `tru`, `nul`, `True`,
	` {"a" : [1, 2, {"b": null}] } `, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{1:2}`,
	`"\u00e9\n\t\"\\\/\b\f\r"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`, `"\u12"`, `"\x"`,
	"\"a\x01b\"", "\"\xff\"", "\"é\"", `"abc`, `"a\`, `{"a":1} x`, `{"a":1}{}`, `[] `, "\n[]\t", ``, ` `, `[`, `{`, `{"a":`,
	`{"signed":{"_type":"root","version":3},"signatures":[{"keyid":"ab","sig":""}]}`,
	`123456789012345678901234567890`, `-9223372036854775808`,
}

func TestMatchesCJSON(t *testing.T) {
	deep := strings.Repeat("[", 64) + strings.Repeat("]", 64)
	tooDeep := strings.Repeat("[", 65) + strings.Repeat("]", 65)
	all := append([]string{deep, tooDeep, strings.Repeat(`{"a":`, 64) + "1" + strings.Repeat("}", 64)}, cases...)
	dir := sharedtestdata.SigstoreRoot(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.root.json"))
	if len(files) == 0 {
		t.Fatal("no real roots found")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, string(b))
	}
	for _, in := range all {
		compare(t, []byte(in))
	}
}

func compare(t *testing.T, in []byte) {
	t.Helper()
	want, werr := cjson.Decode(in)
	got, gerr := Decode(in)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%.80q: cjson error %v, jsontree error %v", in, werr, gerr)
	}
	if werr != nil {
		return
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%.80q: trees differ:\ncjson    %#v\njsontree %#v", in, want, got)
	}
	wc, werr := cjson.EncodeCanonical(want)
	gc, gerr := AppendCanonical(nil, got)
	if (werr == nil) != (gerr == nil) || !bytes.Equal(wc, gc) {
		t.Fatalf("%.80q: canonical forms differ:\ncjson    %q %v\njsontree %q %v", in, wc, werr, gc, gerr)
	}
}

func FuzzMatchesCJSON(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) { compare(t, in) })
}

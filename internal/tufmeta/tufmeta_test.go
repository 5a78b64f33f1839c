package tufmeta

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/sharedtestdata"
)

func sigstoreFiles(t testing.TB) []string {
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

func TestSigstoreRootsParse(t *testing.T) {
	for _, f := range sigstoreFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := Parse[metadata.RootType](data, 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// The payload is the canonical form of the file's own signed
		// object.
		tree, _ := cjson.Decode(data)
		want, _ := cjson.EncodeCanonical(tree.(map[string]any)["signed"])
		if !bytes.Equal(doc.Payload, want) {
			t.Fatalf("%s: payload differs from the canonical signed object", f)
		}
		if len(doc.Signatures) != len(doc.Meta.Signatures) {
			t.Fatalf("%s: %d raw signatures vs %d in the model", f, len(doc.Signatures), len(doc.Meta.Signatures))
		}
		if doc.Meta.Signed.Version < 1 || len(doc.Meta.Signed.Keys) == 0 {
			t.Fatalf("%s: model not filled: %+v", f, doc.Meta.Signed)
		}
	}
}

func TestOddExpiriesSurvive(t *testing.T) {
	cases := map[string]string{
		"1.root.json": `"expires":"2021-12-18T13:28:12.99008-06:00"`,
		"2.root.json": `"expires":"2022-05-11T19:09:02.663975009Z"`,
	}
	for name, want := range cases {
		data, err := os.ReadFile(sharedtestdata.Path(t, "prod", name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := Parse[metadata.RootType](data, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Contains(doc.Payload, []byte(want)) {
			t.Fatalf("%s: payload lost %s", name, want)
		}
	}
}

func minimalRoot(t *testing.T) []byte {
	t.Helper()
	m := metadata.Root(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	data, err := m.ToBytes(false)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseRejects(t *testing.T) {
	base := string(minimalRoot(t))
	if _, err := Parse[metadata.RootType]([]byte(base), 0); err != nil {
		t.Fatalf("minimal root: %v", err)
	}
	sig := `{"keyid":"aa","sig":"00"}`
	cases := map[string]struct {
		in   string
		want string
	}{
		"duplicate key":        {strings.Replace(base, `"version":1`, `"version":1,"version":2`, 1), "duplicate object key"},
		"case variant key":     {strings.Replace(base, `"version":1`, `"version":1,"Version":2`, 1), "ambiguous"},
		"wrong type":           {strings.Replace(base, `"_type":"root"`, `"_type":"targets"`, 1), `want "root"`},
		"version zero":         {strings.Replace(base, `"version":1`, `"version":0`, 1), "below 1"},
		"version float":        {strings.Replace(base, `"version":1`, `"version":1.5`, 1), "not an integer"},
		"version string":       {strings.Replace(base, `"version":1`, `"version":"1"`, 1), "not a number"},
		"spec 2":               {strings.Replace(base, `"spec_version":"1.0.31"`, `"spec_version":"2.0.0"`, 1), "not a 1.x"},
		"duplicate sig keyids": {strings.Replace(base, `"signatures":[]`, `"signatures":[`+sig+`,`+sig+`]`, 1), "more than one signature"},
		"sig not hex":          {strings.Replace(base, `"signatures":[]`, `"signatures":[{"keyid":"a","sig":"zz"}]`, 1), "not hex"},
		"no signatures":        {strings.Replace(base, `"signatures":[]`, `"sigs":[]`, 1), "signatures"},
		"signed not object":    {`{"signed":[],"signatures":[]}`, "signed"},
		"trailing":             {base + "{}", "trailing"},
		"fraction zeros":       {strings.Replace(base, `"expires":"2030-01-01T00:00:00Z"`, `"expires":"2030-01-01T00:00:00.500Z"`, 1), `"expires" changes`},
		"missing field":        {strings.Replace(base, `"consistent_snapshot":true,`, ``, 1), `"consistent_snapshot" is missing`},
		"float custom":         {strings.Replace(base, `"version":1`, `"version":1,"x-n":1.5`, 1), "not an integer"},
		// Go's decoder, and so go-tuf's model, reads a member whose name
		// differs only in case (the later one wins): a go-tuf client
		// would count other signatures than the ones Parse returns.
		"Signatures too":  {strings.Replace(base, `"signatures":[]`, `"signatures":[],"Signatures":[`+sig+`]`, 1), "only in case"},
		"signature KeyID": {strings.Replace(base, `"signatures":[]`, `"signatures":[{"keyid":"aa","KeyID":"bb","sig":"00"}]`, 1), "only in case"},
		"signature SIG":   {strings.Replace(base, `"signatures":[]`, `"signatures":[{"keyid":"aa","sig":"00","SIG":"01"}]`, 1), "only in case"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if c.in == base {
				t.Fatal("test case did not change the input")
			}
			_, err := Parse[metadata.RootType]([]byte(c.in), 0)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
	if _, err := Parse[metadata.RootType]([]byte(base), len(base)-1); err == nil || !strings.Contains(err.Error(), "more than the limit") {
		t.Fatalf("oversize file: %v", err)
	}
}

func TestOtherRoles(t *testing.T) {
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tg, _ := metadata.Targets(exp).ToBytes(true)
	sn, _ := metadata.Snapshot(exp).ToBytes(true)
	ts, _ := metadata.Timestamp(exp).ToBytes(true)
	if _, err := Parse[metadata.TargetsType](tg, 0); err != nil {
		t.Errorf("targets: %v", err)
	}
	if _, err := Parse[metadata.SnapshotType](sn, 0); err != nil {
		t.Errorf("snapshot: %v", err)
	}
	if _, err := Parse[metadata.TimestampType](ts, 0); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	if _, err := Parse[metadata.TimestampType](sn, 0); !errors.Is(err, ErrMalformed) {
		t.Errorf("snapshot parsed as timestamp: %v", err)
	}
}

// TestCanonicalMatchesPayload: for metadata go-tuf writes itself, the
// canonical form of its typed model equals the payload Parse computes.
func TestCanonicalMatchesPayload(t *testing.T) {
	m := metadata.Root(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	m.Signed.UnrecognizedFields = map[string]any{"x-custom": "v"}
	data, err := m.ToBytes(true)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse[metadata.RootType](data, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Canonical(m.Signed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c, doc.Payload) || !bytes.Contains(c, []byte(`"x-custom":"v"`)) {
		t.Fatalf("Canonical = %s\npayload   = %s", c, doc.Payload)
	}
	if _, err := Canonical(map[string]any{"f": 1.5}); err == nil {
		t.Fatal("Canonical accepted a float")
	}
}

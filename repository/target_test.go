package repository_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
)

// TestDelegationPathCaretIsLiteral checks fnmatch's rule that "^" at the
// start of a class is an ordinary character (only "!" negates): "[^a]"
// matches "^" and "a", never "b". Go's path.Match would read it as a
// negated class and delegate far more than the pattern says.
func TestDelegationPathCaretIsLiteral(t *testing.T) {
	cases := []struct {
		pattern, target string
		want            bool
	}{
		{"[^a]", "^", true},
		{"[^a]", "a", true},
		{"[^a]", "b", false},
		{"[^a]*.pem", "fulcio.pem", false},
		{"[!a]", "b", true},
		{"[!a]", "a", false},
		{"[!^a]", "^", false},
		{"[!^a]", "b", true},
		{"x[^]", "x^", true},
		{"[^-z]", "b", true},
		{"[^-z]", "-", false},
		{"projects/*", "projects/x", true},
		{"projects/*", "projects/x/y", false},
		{"*", "a/b", false},
		{`a\b`, `a\b`, true},
	}
	for _, tc := range cases {
		d := repository.Delegation{Name: "d", Paths: []string{tc.pattern}}
		if got := d.Matches(tc.target); got != tc.want {
			t.Errorf("pattern %q, target %q: Matches = %v, want %v (fnmatch)", tc.pattern, tc.target, got, tc.want)
		}
	}
}

// TestPathHashPrefixCase checks that path hash prefixes compare with the
// lower-case hex digest exactly, as python-tuf does: an upper-case prefix
// delegates nothing rather than the lower-case bin.
func TestPathHashPrefixCase(t *testing.T) {
	name := "projects/a"
	sum := sha256.Sum256([]byte(name))
	p := hex.EncodeToString(sum[:])[:4]
	if !(repository.Delegation{PathHashPrefixes: []string{p}}).Matches(name) {
		t.Fatalf("prefix %s does not match %s", p, name)
	}
	up := strings.ToUpper(p)
	if up == p {
		t.Fatalf("test name's hash prefix %s has no letter", p)
	}
	if (repository.Delegation{PathHashPrefixes: []string{up}}).Matches(name) {
		t.Fatalf("upper-case prefix %s matched %s; python-tuf matches nothing", up, name)
	}
}

// TestDecodeCustomCaseVariants checks that custom metadata with member
// names that differ only in case is refused: encoding/json would let the
// later one silently win ("Status":"Active" over "status":"Expired"),
// while clients in other languages read the exact name.
func TestDecodeCustomCaseVariants(t *testing.T) {
	var c struct {
		Sigstore struct{ Usage, Status string } `json:"sigstore"`
	}
	for _, custom := range []string{
		`{"sigstore":{"status":"Expired","usage":"Fulcio","Status":"Active"}}`,
		`{"sigstore":{"status":"Expired","usage":"Fulcio"},"SIGSTORE":{"status":"Active","usage":"Fulcio"}}`,
		`{"sigstore":{"status":"Expired","usage":"Fulcio","ſtatus":"Active"}}`,
		`{"list":[{"a":1,"A":2}]}`,
	} {
		tg := repository.Target{Name: "x", Custom: []byte(custom)}
		if err := tg.DecodeCustom(&c); err == nil || !errors.Is(err, root.ErrMalformed) {
			t.Errorf("%s: want ErrMalformed, got %v (decoded %+v)", custom, err, c)
		}
	}
	tg := repository.Target{Name: "x", Custom: []byte(`{"sigstore":{"status":"Active","usage":"Fulcio"},"other":{"status":"x"}}`)}
	if err := tg.DecodeCustom(&c); err != nil || c.Sigstore.Status != "Active" || c.Sigstore.Usage != "Fulcio" {
		t.Fatalf("plain custom metadata: %+v, %v", c, err)
	}
	var null any = 1
	if err := (repository.Target{Name: "x"}).DecodeCustom(&null); err != nil || null != nil {
		t.Fatalf("no custom metadata: %v, %v", null, err)
	}
}

func TestTargetPath(t *testing.T) {
	tg := repository.Target{Name: "registry.npmjs.org/keys.json", Hashes: map[string]string{"sha512": "bb", "sha256": "aa"}}
	if got := tg.Path(true); got != "targets/registry.npmjs.org/aa.keys.json" {
		t.Errorf("consistent path %s", got)
	}
	if got := tg.Path(false); got != "targets/registry.npmjs.org/keys.json" {
		t.Errorf("plain path %s", got)
	}
	tg.Hashes = map[string]string{"sha512": "bb"}
	if got := tg.Path(true); got != "targets/registry.npmjs.org/bb.keys.json" {
		t.Errorf("sha512-only path %s", got)
	}
}

package root_test

import (
	"slices"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/root"
)

func codes(ws []root.Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Code)
	}
	return out
}

func TestLintClean(t *testing.T) {
	f := newFixture(t)
	now := expiry.AddDate(0, -6, 0)
	if ws := root.Lint(f.r, root.LintOptions{Now: now}); len(ws) != 0 {
		t.Fatalf("a sound 3-of-5 root has warnings: %v", ws)
	}
}

func TestLintFindings(t *testing.T) {
	f := newFixture(t)
	now := expiry.AddDate(0, -6, 0)
	online := mustKey(t, p256("online").Public(), "")
	build := func(p root.Policy) *root.Root {
		t.Helper()
		if p.Expires.IsZero() {
			p.Expires = expiry
		}
		r, err := root.New(p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Mallory holds three of five keys.
	var mk []root.Key
	for i := range 5 {
		h := "mallory"
		if i >= 3 {
			h = f.holders[i]
		}
		mk = append(mk, mustKey(t, f.privs[i].Public(), h))
	}
	// A P-384 key labelled with the P-256 scheme (as go-tuf's
	// KeyFromPublicKey does) can only come from a file.
	mislabelled := func() *root.Root {
		k384 := mustKey(t, p384("x").Public(), "")
		r := build(root.Policy{Roles: rolesOf([]root.Key{k384}, 1, online)})
		out, _ := r.MarshalFile()
		v, _ := cjson.Decode(out)
		keys := v.(map[string]any)["signed"].(map[string]any)["keys"].(map[string]any)
		keys[string(k384.ID())].(map[string]any)["scheme"] = "ecdsa-sha2-nistp256"
		data, _ := cjson.EncodePretty(v)
		pr, err := root.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}()
	cases := map[string]struct {
		r    *root.Root
		opts root.LintOptions
		want []string
	}{
		"not majority": {build(root.Policy{Roles: rolesOf(f.keys, 2, online)}), root.LintOptions{Now: now},
			[]string{root.LintThresholdNotMajority, root.LintThresholdNotMajority}},
		"root key online": {build(root.Policy{Roles: rolesOf(f.keys, 3, f.keys[0])}), root.LintOptions{Now: now},
			[]string{root.LintRootKeyOnline}},
		"expired":   {f.r, root.LintOptions{Now: expiry.Add(time.Second)}, []string{root.LintExpired}},
		"too close": {f.r, root.LintOptions{Now: expiry.Add(-24 * time.Hour)}, []string{root.LintExpiresSoon}},
		"too far":   {f.r, root.LintOptions{Now: expiry.AddDate(-2, 0, 0)}, []string{root.LintExpiresLate}},
		"custom bounds": {f.r, root.LintOptions{Now: now, MaxExpiry: 90 * 24 * time.Hour},
			[]string{root.LintExpiresLate}},
		"single holder": {build(root.Policy{Roles: rolesOf(mk, 3, online)}), root.LintOptions{Now: now},
			[]string{root.LintSingleHolder, root.LintSingleHolder}},
		"curve mismatch": {mislabelled, root.LintOptions{Now: now},
			[]string{root.LintCurveScheme, root.LintKeyIDMismatch}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := codes(root.Lint(c.r, c.opts))
			if !slices.Equal(got, c.want) {
				t.Fatalf("Lint codes = %v, want %v", got, c.want)
			}
			for _, w := range root.Lint(c.r, c.opts) {
				if w.Message == "" {
					t.Fatal("empty message")
				}
			}
		})
	}
}

func TestLintSigstore(t *testing.T) {
	// prod v11: one key ID not matching its content; 3-of-5 root is a
	// majority; snapshot and timestamp share the online key, not a root key.
	v11 := parseFile(t, "prod", "11.root.json")
	got := codes(root.Lint(v11, root.LintOptions{Now: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}))
	if !slices.Equal(got, []string{root.LintKeyIDMismatch}) {
		t.Fatalf("prod v11 lint = %v", got)
	}
	// The default reference time is now: v11 has expired.
	if got := codes(root.Lint(v11, root.LintOptions{})); !slices.Contains(got, root.LintExpired) {
		t.Fatalf("prod v11 lint at the current time = %v", got)
	}
}

package verify_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

func holderKey(n int, holder string) *gen.Key {
	return gen.ECDSA(n).With("x-tuf-on-ci-keyowner", holder)
}

func TestSigningStatus(t *testing.T) {
	a, b, c, d := holderKey(31, "@alice"), holderKey(32, "@bob"), holderKey(33, "@carol"), holderKey(34, "@dave")
	stranger := gen.ECDSA(39)
	v1 := mustParse(t, rootFile(1, farAway, []*gen.Key{a, b, c}, 2, []*gen.Key{a, b}))
	s2 := gen.Root(2, farAway, false, gen.TopRoles([]*gen.Key{a, b, d}, 2, online))
	payload := gen.Canonical(s2)
	sigA := gen.Sig{KeyID: a.ID, Sig: a.Sign(payload)}
	sigB := gen.Sig{KeyID: b.ID, Sig: b.Sign(payload)}
	badD := gen.Sig{KeyID: d.ID, Sig: d.Sign([]byte("another payload"))}
	emptyB := gen.Sig{KeyID: b.ID}
	unknown := gen.Sig{KeyID: stranger.ID, Sig: stranger.Sign(payload)}

	type want struct {
		signed, invalid, missing string // holders, comma-separated
		needed                   int
	}
	cases := []struct {
		name     string
		sigs     []gen.Sig
		prev     want
		own      want
		complete bool
		unknown  int
		empty    int
	}{
		{"nobody signed", nil,
			want{"", "", "@alice,@bob,@carol", 2}, want{"", "", "@alice,@bob,@dave", 2}, false, 0, 0},
		{"alice signed, dave's signature is bad, bob's placeholder is empty",
			[]gen.Sig{sigA, badD, emptyB, unknown},
			want{"@alice", "", "@bob,@carol", 1}, want{"@alice", "@dave", "@bob", 1}, false, 1, 1},
		{"alice and bob signed: both thresholds met",
			[]gen.Sig{sigA, sigB, badD},
			want{"@alice,@bob", "", "@carol", 0}, want{"@alice,@bob", "@dave", "", 0}, true, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParse(t, gen.Envelope(s2, tc.sigs))
			st := r.SigningStatus(v1)
			if st.Version != 2 || len(st.Requirements) != 2 {
				t.Fatalf("status %+v", st)
			}
			check := func(rs root.RequirementStatus, w want, name string) {
				t.Helper()
				if rs.Name != name || rs.Threshold != 2 {
					t.Fatalf("requirement %q threshold %d, want %q 2", rs.Name, rs.Threshold, name)
				}
				if got := holders(rs.Signed); got != w.signed {
					t.Errorf("%s signed %q, want %q", name, got, w.signed)
				}
				if got := holders(rs.Invalid); got != w.invalid {
					t.Errorf("%s invalid %q, want %q", name, got, w.invalid)
				}
				for _, k := range rs.Invalid {
					if k.Reason == "" {
						t.Errorf("%s: invalid key %s without a reason", name, k.Holder)
					}
				}
				if got := holders(rs.Missing); got != w.missing {
					t.Errorf("%s missing %q, want %q", name, got, w.missing)
				}
				if rs.Needed != w.needed {
					t.Errorf("%s needs %d more, want %d", name, rs.Needed, w.needed)
				}
			}
			check(st.Requirements[0], tc.prev, "root v1 (previous)")
			check(st.Requirements[1], tc.own, "root v2 (own)")
			if st.Complete != tc.complete || len(st.UnknownKeyIDs) != tc.unknown || st.EmptySignatures != tc.empty {
				t.Fatalf("complete %v unknown %v empty %d, want %v %d %d", st.Complete, st.UnknownKeyIDs, st.EmptySignatures, tc.complete, tc.unknown, tc.empty)
			}
			// The verdict agrees with Rotation.
			res, err := verify.Rotation(v1, r, verify.Options{Now: t0})
			if (err == nil) != tc.complete || (res != nil) != tc.complete {
				t.Fatalf("Rotation says %v, status says complete=%v", err, tc.complete)
			}
			if _, err := json.Marshal(st); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSigningStatusFirstRootAndAliases(t *testing.T) {
	a := holderKey(41, "@alice")
	aAlias := a.WithKeytype("ecdsa-sha2-nistp256")
	b := holderKey(42, "@bob")
	s := gen.Root(1, farAway, false, gen.TopRoles([]*gen.Key{a, aAlias, b}, 2, online))
	r := mustParse(t, gen.Envelope(s, gen.SignAll(gen.Canonical(s), a, aAlias)))
	st := r.SigningStatus(nil)
	if len(st.Requirements) != 1 {
		t.Fatalf("%d requirements for a first root", len(st.Requirements))
	}
	rs := st.Requirements[0]
	if len(rs.Signed) != 1 || len(rs.Signed[0].KeyIDs) != 2 || rs.Needed != 1 || st.Complete {
		t.Fatalf("one key under two IDs must count once: %+v", rs)
	}
	if len(rs.Missing) != 1 || rs.Missing[0].Holder != "@bob" {
		t.Fatalf("missing %+v", rs.Missing)
	}

	// A version that does not follow the previous root is a problem no
	// signature fixes.
	v3 := mustParse(t, rootFile(3, farAway, []*gen.Key{b}, 1, []*gen.Key{b, a}))
	st = v3.SigningStatus(r)
	if st.Complete || len(st.Problems) != 1 || !strings.Contains(st.Problems[0], "version 3") {
		t.Fatalf("problems %v complete %v", st.Problems, st.Complete)
	}
	var none *root.Root
	if st := none.SigningStatus(nil); st.Complete || len(st.Problems) == 0 {
		t.Fatalf("nil root: %+v", st)
	}
}

func holders(ks []root.KeyStatus) string {
	var out []string
	for _, k := range ks {
		out = append(out, k.Holder)
	}
	return strings.Join(out, ",")
}

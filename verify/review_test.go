package verify_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/trustroot/trustroot/verify"
	"github.com/trustroot/trustroot/verify/internal/gen"
)

// TestDelegatedTargetsOutsidePaths checks that a delegated role's metadata
// vouches only for the target paths its delegation matches: a role
// delegated "projects/*" that also lists "fulcio.crt.pem" must not hand
// that entry out as trusted through TargetsMetadata.Target or Targets.
func TestDelegatedTargetsOutsidePaths(t *testing.T) {
	b := defaultRepo()
	b.delegations = gen.Delegations(gen.Delegated{Name: "a", Keys: []*gen.Key{dKeyA}, Threshold: 1, Paths: []string{"projects/*"}})
	own := gen.Target([]byte("project x"), nil)
	stolen := gen.Target([]byte("impostor fulcio"), nil)
	aTargets := map[string]any{"projects/x": own, "fulcio.crt.pem": stolen}
	b.delegated = []delegatedFile{{name: "a", version: 1, expires: farAway, targets: aTargets, signers: []*gen.Key{dKeyA}}}
	repo, err := openRepo(t, b, verify.RepositoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data := gen.Sign(gen.Targets(1, farAway, aTargets, nil), dKeyA)
	m, err := repo.Targets().Delegated("a", data, verify.Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if tg, ok := m.Target("fulcio.crt.pem"); ok {
		t.Fatalf("role a, delegated only projects/*, vouches for %+v", tg)
	}
	for _, tg := range m.Targets() {
		if tg.Name != "projects/x" {
			t.Fatalf("role a, delegated only projects/*, lists %q", tg.Name)
		}
	}
	if tg, ok := m.Target("projects/x"); !ok || tg.Verify([]byte("project x")) != nil {
		t.Fatalf("projects/x: %+v, %v", tg, ok)
	}
	// The search still finds the delegated target and the top-level one.
	if tg, err := repo.Target("projects/x"); err != nil || tg.Role != "a" {
		t.Fatalf("projects/x: %+v, %v", tg, err)
	}
	if tg, err := repo.Target("fulcio.crt.pem"); err != nil || tg.Role != "targets" || tg.Verify([]byte("fulcio cert")) != nil {
		t.Fatalf("fulcio.crt.pem: %+v, %v", tg, err)
	}
}

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
	}
	for _, tc := range cases {
		d := verify.Delegation{Name: "d", Paths: []string{tc.pattern}}
		if got := d.Matches(tc.target); got != tc.want {
			t.Errorf("pattern %q, target %q: Matches = %v, want %v (fnmatch)", tc.pattern, tc.target, got, tc.want)
		}
	}
}

// TestNegativeMetaLength checks that a negative length in the timestamp's
// entry for the snapshot is refused, as go-tuf refuses it, rather than
// silently treated as "no length listed".
func TestNegativeMetaLength(t *testing.T) {
	b := defaultRepo()
	fsys := b.build()
	sn := fsys["snapshot.json"].Data
	meta := gen.Meta(b.snVersion, sn)
	meta["length"] = -1
	fsys["timestamp.json"] = &fstest.MapFile{Data: gen.Sign(gen.Timestamp(b.tsVersion, b.tsExpires, meta), tsKey)}
	trusted := mustParse(t, b.rootV1())
	repo, err := verify.Repository(trusted, fsys, verify.RepositoryOptions{Now: t0})
	if repo != nil || err == nil {
		t.Fatalf("timestamp listing snapshot length -1 verified")
	}
	if !errors.Is(err, verify.ErrLengthMismatch) && !errors.Is(err, verify.ErrMalformed) {
		t.Fatalf("want ErrLengthMismatch or ErrMalformed, got %v", err)
	}
}

// TestFastForwardRecovery checks specification section 5.3.11: when a new
// root replaces the timestamp (or snapshot) key, the client forgets the
// timestamp and snapshot versions it trusted, so that a repository whose
// old online key pushed absurd versions (a fast-forward attack) can
// recover. Without a key replacement the rollback checks stay.
func TestFastForwardRecovery(t *testing.T) {
	newTS, newSn := gen.Ed25519(70), gen.Ed25519(71)
	ffState := &verify.State{Root: 1, Timestamp: 1 << 40, Snapshot: 1 << 40, Meta: map[string]int64{"targets.json": 1 << 40}}
	cases := []struct {
		name   string
		rotate func(map[string]gen.Role, *repoBuild)
		prev   *verify.State
		want   error // nil: verifies
	}{
		{"timestamp key replaced", func(r map[string]gen.Role, b *repoBuild) {
			r["timestamp"] = gen.Role{Keys: []*gen.Key{newTS}, Threshold: 1}
			b.tsSigners = []*gen.Key{newTS}
		}, ffState, nil},
		{"snapshot key replaced", func(r map[string]gen.Role, b *repoBuild) {
			r["snapshot"] = gen.Role{Keys: []*gen.Key{newSn}, Threshold: 1}
			b.snSigners = []*gen.Key{newSn}
		}, ffState, nil},
		{"only the targets key replaced", func(r map[string]gen.Role, b *repoBuild) {
			r["targets"] = gen.Role{Keys: []*gen.Key{dKeyC}, Threshold: 1}
			b.tgSigners = []*gen.Key{dKeyC}
		}, ffState, verify.ErrRollback},
		{"a timestamp key added, none removed", func(r map[string]gen.Role, b *repoBuild) {
			r["timestamp"] = gen.Role{Keys: []*gen.Key{tsKey, newTS}, Threshold: 1}
		}, ffState, verify.ErrRollback},
		{"no rotation", func(r map[string]gen.Role, b *repoBuild) {}, ffState, verify.ErrRollback},
		{"state recorded under another root than the trusted one", func(r map[string]gen.Role, b *repoBuild) {
			r["timestamp"] = gen.Role{Keys: []*gen.Key{newTS}, Threshold: 1}
			b.tsSigners = []*gen.Key{newTS}
		}, &verify.State{Root: 2, Timestamp: 1 << 40}, verify.ErrRollback},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := defaultRepo()
			roles := repoRoles()
			tc.rotate(roles, &b)
			b.extraRoots = [][]byte{gen.Sign(gen.Root(2, farAway, false, roles), repoRootKeys...)}
			repo, err := openRepo(t, b, verify.RepositoryOptions{Previous: tc.prev})
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("want %v, got %v", tc.want, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("want recovery, got %v", err)
			}
			if st := repo.State(); st.Root != 2 || st.Timestamp != 1 || st.Snapshot != 1 {
				t.Fatalf("state %+v", st)
			}
		})
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
		tg := verify.Target{Name: "x", Custom: []byte(custom)}
		if err := tg.DecodeCustom(&c); err == nil || !errors.Is(err, verify.ErrMalformed) {
			t.Errorf("%s: want ErrMalformed, got %v (decoded %+v)", custom, err, c)
		}
	}
	tg := verify.Target{Name: "x", Custom: []byte(`{"sigstore":{"status":"Active","usage":"Fulcio"},"other":{"status":"x"}}`)}
	if err := tg.DecodeCustom(&c); err != nil || c.Sigstore.Status != "Active" || c.Sigstore.Usage != "Fulcio" {
		t.Fatalf("plain custom metadata: %+v, %v", c, err)
	}
	var null any = 1
	if err := (verify.Target{Name: "x"}).DecodeCustom(&null); err != nil || null != nil {
		t.Fatalf("no custom metadata: %v, %v", null, err)
	}
}

// TestRotationKeyIDReused checks the verified-once cache across the
// previous and the new requirement: when both roots list a key ID but map
// it to different keys, a signature under that ID counts only for the
// root whose key made it.
func TestRotationKeyIDReused(t *testing.T) {
	const id = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
	k1, k2 := gen.ECDSA(31).WithID(id), gen.ECDSA(32).WithID(id)
	a, b, c := gen.Ed25519(33), gen.Ed25519(34), gen.Ed25519(35)
	prev := mustParse(t, rootFile(1, farAway, []*gen.Key{k1, a, b}, 2, []*gen.Key{k1, a}))
	cases := []struct {
		name    string
		signers []*gen.Key
		ok      bool
	}{
		{"new key under the reused ID and one shared key", []*gen.Key{k2, a}, false},
		{"new key under the reused ID, a shared and a new key", []*gen.Key{k2, a, c}, false},
		{"two previous keys and two new keys", []*gen.Key{k2, a, b, c}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			next := mustParse(t, rootFile(2, farAway, []*gen.Key{k2, a, c}, 2, tc.signers))
			res, err := verify.Rotation(prev, next, verify.Options{Now: t0})
			if tc.ok {
				checkVerdict(t, res, err, true, nil)
				for _, m := range res.Steps[1].Requirements {
					for _, s := range m.SignedBy {
						if s.KeyID == id && m.Version == 1 {
							t.Fatalf("previous requirement counted the reused ID: %+v", m)
						}
					}
				}
				return
			}
			checkVerdict(t, res, err, false, verify.ErrThreshold)
			var te *verify.ThresholdError
			if !errors.As(err, &te) || te.Requirement != "root v1 (previous)" || te.Valid != 1 {
				t.Fatalf("want previous requirement with 1 valid key, got %v", err)
			}
			st := verify.Status(next, prev)
			if st.Complete || st.Requirements[0].Needed != 1 {
				t.Fatalf("status %+v", st)
			}
		})
	}
}

// TestPathHashPrefixCase checks that path hash prefixes compare with the
// lower-case hex digest exactly, as python-tuf does (the specification's
// hexdigest): an upper-case prefix delegates nothing rather than the
// lower-case bin. (go-tuf v2.4.2 compares against base64, which the
// specification does not say.)
func TestPathHashPrefixCase(t *testing.T) {
	name := "projects/a" // SHA-256 d098...
	p := sha256Hex(name)[:4]
	if !(verify.Delegation{PathHashPrefixes: []string{p}}).Matches(name) {
		t.Fatalf("prefix %s does not match %s", p, name)
	}
	up := strings.ToUpper(p)
	if up == p {
		t.Fatalf("test name's hash prefix %s has no letter", p)
	}
	if (verify.Delegation{PathHashPrefixes: []string{up}}).Matches(name) {
		t.Fatalf("upper-case prefix %s matched %s; python-tuf matches nothing", up, name)
	}
}

// TestExpiryWithOffset checks that an expiry written with a non-UTC
// offset is compared as the instant it names.
func TestExpiryWithOffset(t *testing.T) {
	b := defaultRepo()
	trusted := mustParse(t, b.rootV1())
	for _, tc := range []struct {
		expires string
		ok      bool
	}{
		{"2026-01-01T05:00:00+05:00", false},   // exactly t0: expired
		{"2026-01-01T05:00:01+05:00", true},    // one second after t0
		{"2025-12-31T19:00:01-05:00", true},    // one second after t0
		{"2025-12-31T18:59:59.5-05:00", false}, // before t0
	} {
		signed := gen.Targets(1, farAway, b.targets, nil)
		signed["expires"] = tc.expires
		m, err := verify.Targets(trusted, gen.Sign(signed, tgKey), verify.Options{Now: t0})
		if tc.ok != (err == nil) || (m == nil) == (err == nil) {
			t.Errorf("expires %s at %v: %v", tc.expires, t0, err)
		}
		if err != nil && !errors.Is(err, verify.ErrExpired) {
			t.Errorf("expires %s: want ErrExpired, got %v", tc.expires, err)
		}
	}
}

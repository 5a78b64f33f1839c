package verify_test

// A fuzzer for targets metadata, and the crashes hostile targets once
// caused. Each input is a "signed"
// object; the fuzzer signs its canonical form with the targets key of a
// trusted root, so the checks after the signatures are fuzzed too. The
// property: no panic, an error never comes with a result, and accepted
// metadata is consistent (unexpired, safe target names, lookups that
// agree with the listing, delegations with a threshold of at least 1).

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/internal/vectors"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/verify"
)

// targetsFuzzRoot returns a root whose targets role is one Ed25519 fake
// key, and that key's signer.
func targetsFuzzRoot(tb testing.TB) (*root.Root, *fake.Signer, root.KeyID) {
	tb.Helper()
	ts, err := fake.NewType("targets-fuzz", fake.Ed25519)
	if err != nil {
		tb.Fatal(err)
	}
	tk, err := root.NewKey(ts.Public(), root.KeyOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	rk, err := root.NewKey(fake.New("targets-fuzz-root").Public(), root.KeyOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	one := func(k root.Key) root.RolePolicy { return root.RolePolicy{Keys: []root.Key{k}, Threshold: 1} }
	r, err := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot: one(rk), root.RoleTargets: one(tk), root.RoleSnapshot: one(rk), root.RoleTimestamp: one(rk),
		},
		Expires: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return r, ts, tk.ID()
}

// targetsSeeds returns the "signed" objects of every targets file in the
// adversarial corpus.
func targetsSeeds(tb testing.TB) [][]byte {
	cases, err := vectors.Load(vectors.CorpusDir())
	if err != nil {
		tb.Fatal(err)
	}
	var seeds [][]byte
	for _, c := range cases {
		for role, file := range c.Files {
			if role == "timestamp" || role == "snapshot" {
				continue
			}
			data, err := c.Read(file)
			if err != nil {
				tb.Fatal(err)
			}
			var doc struct {
				Signed json.RawMessage `json:"signed"`
			}
			if json.Unmarshal(data, &doc) == nil && len(doc.Signed) > 0 {
				seeds = append(seeds, doc.Signed)
			}
		}
	}
	return seeds
}

// safeTargetName is the rule every accepted target name must follow.
func safeTargetName(name string) bool {
	return fs.ValidPath(name) && name != "." && !strings.ContainsAny(name, "\\\x00")
}

func FuzzTargetsMetadata(f *testing.F) {
	seeds := targetsSeeds(f)
	if len(seeds) < 10 {
		f.Fatalf("targets seed corpus has %d entries; testdata/vectors is missing", len(seeds))
	}
	for _, s := range seeds {
		f.Add(s)
	}
	trusted, ts, id := targetsFuzzRoot(f)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, signed []byte) {
		payload, err := cjson.Canonicalize(signed)
		if err != nil {
			return
		}
		sig, err := ts.Sign(context.Background(), payload)
		if err != nil {
			t.Fatal(err)
		}
		file := fmt.Appendf(nil, `{"signatures":[{"keyid":%q,"sig":%q}],"signed":%s}`, id, hex.EncodeToString(sig), signed)
		m, err := verify.Targets(trusted, file, verify.Options{Now: now})
		if err != nil {
			if m != nil {
				t.Fatalf("a result came with the error %v", err)
			}
			return
		}
		if m == nil {
			t.Fatal("nil result with nil error")
		}
		if !m.Expires().After(now) {
			t.Errorf("accepted targets metadata that expired at %v", m.Expires())
		}
		if m.Version() < 1 {
			t.Errorf("accepted version %d", m.Version())
		}
		for _, tgt := range m.Targets() {
			if !safeTargetName(tgt.Name) {
				t.Errorf("accepted the unsafe target name %q", tgt.Name)
			}
			if tgt.Length < 0 {
				t.Errorf("target %q has length %d", tgt.Name, tgt.Length)
			}
			got, ok := m.Target(tgt.Name)
			if !ok || got.Name != tgt.Name || got.Length != tgt.Length {
				t.Errorf("Target(%q) = %+v, %v; listed as %+v", tgt.Name, got, ok, tgt)
			}
		}
		for _, d := range m.Delegations() {
			if d.Threshold < 1 {
				t.Errorf("accepted delegation %q with threshold %d", d.Name, d.Threshold)
			}
			// The delegated role signed by the top-level targets key:
			// verified only if the delegation lists that key.
			if dm, err := verify.Delegated(m, d.Name, file, verify.Options{Now: now}); (err == nil) == (dm == nil) {
				t.Errorf("Delegated(%q): result %v with error %v", d.Name, dm != nil, err)
			}
		}
	})
}

// TestTargetsFuzzHarness checks the fuzzer reaches past the signatures:
// most corpus seeds, re-signed with the fuzz root's targets key, verify.
func TestTargetsFuzzHarness(t *testing.T) {
	trusted, ts, id := targetsFuzzRoot(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	accepted := 0
	seeds := targetsSeeds(t)
	for _, signed := range seeds {
		payload, err := cjson.Canonicalize(signed)
		if err != nil {
			continue
		}
		sig, err := ts.Sign(context.Background(), payload)
		if err != nil {
			t.Fatal(err)
		}
		file := fmt.Appendf(nil, `{"signatures":[{"keyid":%q,"sig":%q}],"signed":%s}`, id, hex.EncodeToString(sig), signed)
		if _, err := verify.Targets(trusted, file, verify.Options{Now: now}); err == nil {
			accepted++
		}
	}
	if accepted < len(seeds)/2 {
		t.Fatalf("only %d of %d seeds verify after re-signing; the fuzzer would test nothing past the signatures", accepted, len(seeds))
	}
}

// TestHugeDelegatedThreshold: a delegated role's owner once crashed every
// client that looked up a target under its paths with a child delegation
// whose threshold sized an allocation (2^62 panicked, 2^40 ran out of
// memory). The metadata need not even be signed: the search refuses it.
func TestHugeDelegatedThreshold(t *testing.T) {
	for _, thr := range []int64{1 << 62, 1 << 40, 1 << 31} {
		b := defaultRepo()
		b.delegations = gen.Delegations(gen.Delegated{Name: "a", Keys: []*gen.Key{dKeyA}, Threshold: 1, Paths: []string{"projects/*"}})
		child := gen.Delegations(gen.Delegated{Name: "a1", Keys: []*gen.Key{dKeyB}, Threshold: 1, Paths: []string{"projects/*"}})
		child["roles"].([]any)[0].(map[string]any)["threshold"] = thr
		b.delegated = []delegatedFile{
			{name: "a", version: 1, expires: farAway, targets: map[string]any{}, deleg: child, signers: []*gen.Key{dKeyA}},
			{name: "a1", version: 1, expires: farAway, targets: map[string]any{}},
		}
		repo, load, err := openRepo(t, b, nil, verify.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Target("projects/x", load); !errors.Is(err, root.ErrMalformed) {
			t.Errorf("threshold %d: %v, want a malformed delegation", thr, err)
		}
	}
}

// TestSnapshotNullMeta: a validly signed snapshot whose meta lists
// "x.json": null once passed and then crashed State; it is malformed.
func TestSnapshotNullMeta(t *testing.T) {
	b := defaultRepo()
	b.noMetaHashes = true
	fsys := b.build()
	sn := gen.Snapshot(b.snVersion, farAway, map[string]any{"targets.json": gen.Meta(1, nil), "x.json": nil})
	fsys["snapshot.json"] = &fstest.MapFile{Data: gen.Sign(sn, snKey)}
	repo, err := verify.Repository(mustParse(t, b.rootV1()), fsys, nil, verify.Options{Now: t0})
	if repo != nil || !errors.Is(err, root.ErrMalformed) || !strings.Contains(err.Error(), `"x.json"`) {
		t.Fatalf("snapshot with a null meta entry: %v", err)
	}
}

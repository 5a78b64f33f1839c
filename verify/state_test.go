package verify_test

import (
	"strings"
	"testing"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/verify"
)

func tsFile(v, snv int64) []byte {
	return gen.Sign(gen.Timestamp(v, farAway, gen.Meta(snv, nil)), tsKey)
}

// TestStateAfterFailedTimestamp: a client saves State after a failed
// update too (a new root must be kept, 5.3.8); the trusted timestamp and
// snapshot must still be in it, or the next update would accept an older
// timestamp.
func TestStateAfterFailedTimestamp(t *testing.T) {
	b := defaultRepo()
	b.noMetaHashes = true
	b.tsVersion, b.snVersion = 5, 5
	prev := stateOf(t, b)
	trusted := mustParse(t, b.rootV1())
	repo, err := verify.NewRepo(trusted, prev, verify.Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateTimestamp([]byte("garbage")); err == nil {
		t.Fatal("garbage accepted")
	}
	st := repo.State()
	if len(st.Timestamp) == 0 || len(st.Snapshot) == 0 {
		t.Fatalf("State after a failed timestamp update lost the floors: timestamp %d bytes, snapshot %d", len(st.Timestamp), len(st.Snapshot))
	}
	next, err := verify.NewRepo(trusted, &st, verify.Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := next.UpdateTimestamp(tsFile(2, 2)); err == nil {
		t.Fatal("the next update accepted timestamp v2 after v5")
	}
}

// TestStateAfterFailedSnapshot: a new timestamp was trusted, the snapshot
// failed; the previous snapshot stays the floor.
func TestStateAfterFailedSnapshot(t *testing.T) {
	b := defaultRepo()
	b.noMetaHashes = true
	prev := stateOf(t, b)
	b2 := b
	b2.tsVersion, b2.snVersion = 2, 2
	fsys := b2.build()
	repo, err := verify.NewRepo(mustParse(t, b.rootV1()), prev, verify.Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateTimestamp(fsys["timestamp.json"].Data); err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateSnapshot([]byte("garbage")); err == nil {
		t.Fatal("garbage accepted")
	}
	if st := repo.State(); len(st.Snapshot) == 0 || len(st.Timestamp) == 0 {
		t.Fatalf("State lost the snapshot floor: timestamp %d bytes, snapshot %d", len(st.Timestamp), len(st.Snapshot))
	}
}

// TestUpdateStepsInOrder: within one update a step cannot be taken again
// after a later one, and a second timestamp is checked against the first,
// so a mirror a client falls back to cannot roll it back.
func TestUpdateStepsInOrder(t *testing.T) {
	b := defaultRepo()
	b.tsVersion, b.snVersion = 5, 5
	b.noMetaHashes = true
	fsys := b.build()
	repo, err := verify.NewRepo(mustParse(t, b.rootV1()), nil, verify.Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateTimestamp(fsys["timestamp.json"].Data); err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateTimestamp(tsFile(4, 4)); err == nil {
		t.Fatal("a second, older timestamp replaced the first")
	}
	if err := repo.UpdateSnapshot(fsys["snapshot.json"].Data); err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateTimestamp(tsFile(6, 6)); err == nil || !strings.Contains(err.Error(), "after the snapshot") {
		t.Fatalf("a timestamp after the snapshot: %v", err)
	}
	if err := repo.UpdateTargets(fsys["targets.json"].Data); err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateSnapshot(fsys["snapshot.json"].Data); err == nil {
		t.Fatal("a snapshot after the targets")
	}
	if err := repo.UpdateTargets(fsys["targets.json"].Data); err == nil {
		t.Fatal("the targets twice")
	}
	if repo.Timestamp().Version() != 5 || repo.Snapshot().Version() != 5 {
		t.Fatalf("timestamp v%d snapshot v%d", repo.Timestamp().Version(), repo.Snapshot().Version())
	}
}

// TestSavedRootUnderRaisedLimit: a root accepted under a raised limit is
// read back from the state under the same limit.
func TestSavedRootUnderRaisedLimit(t *testing.T) {
	b := defaultRepo()
	v2 := gen.Root(2, farAway, false, repoRoles())
	v2["x-big"] = strings.Repeat("a", 600<<10)
	big := gen.Sign(v2, repoRootKeys[:2]...)
	opts := verify.Options{Now: t0, Limits: verify.Limits{Root: 1 << 20}}
	repo, err := verify.NewRepo(mustParse(t, b.rootV1()), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.UpdateRoot(big); err != nil {
		t.Fatal(err)
	}
	st := repo.State()
	if _, err := verify.NewRepo(mustParse(t, b.rootV1()), &st, opts); err != nil {
		t.Fatalf("the state's own root cannot start the next update: %v", err)
	}
}

// TestRoleNamesCannotAlias: trusted delegated metadata is kept by the path
// of delegations that led to it, and no role name (a NUL in it, say) can
// stand for another path: the owner of role a, delegating b to itself,
// must not supply the target of a role named "a\x00b" that the top level
// delegates to other keys.
func TestRoleNamesCannotAlias(t *testing.T) {
	evil, good := []byte("evil"), []byte("good")
	b := defaultRepo()
	b.delegations = gen.Delegations(
		gen.Delegated{Name: "a", Keys: []*gen.Key{dKeyA}, Threshold: 1, Paths: []string{"a/*"}},
		gen.Delegated{Name: "a\x00b", Keys: []*gen.Key{dKeyC}, Threshold: 1, Paths: []string{"projects/*"}},
	)
	b.delegated = []delegatedFile{
		{name: "a", version: 1, expires: farAway, targets: map[string]any{},
			deleg: gen.Delegations(gen.Delegated{Name: "b", Keys: []*gen.Key{dKeyA}, Threshold: 1, Paths: []string{"*/*"}}), signers: []*gen.Key{dKeyA}},
		{name: "b", version: 1, expires: farAway, targets: map[string]any{"projects/x": gen.Target(evil, nil)}, signers: []*gen.Key{dKeyA}},
		{name: "a\x00b", version: 1, expires: farAway, targets: map[string]any{"projects/x": gen.Target(good, nil)}, signers: []*gen.Key{dKeyC}},
	}
	fsys := b.build()
	// The repository names files with escaped role names.
	fsys["a%00b.json"] = fsys["a\x00b.json"]
	repo, err := verify.Repository(mustParse(t, b.rootV1()), fsys, nil, verify.Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	load := verify.FSLoader(fsys)
	_, _ = repo.Target("a/zzz", load) // loads b under a's key
	tg, err := repo.Target("projects/x", load)
	if err != nil || tg.Verify(good) != nil {
		t.Fatalf("projects/x: %+v, %v; want role a\\x00b's content", tg, err)
	}
}

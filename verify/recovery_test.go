package verify_test

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// huge is a version an attacker holding an online key pushes to block
// every later update (a fast-forward attack).
const huge = 1 << 40

// TestFastForwardRecovery checks specification section 5.3.11 as
// python-tuf and go-tuf implement it: after a root update, the trusted
// timestamp and snapshot stay rollback floors only while they verify under
// the new root's keys. Replacing a compromised online key forgets exactly
// what it signed; what other keys signed still protects the client.
func TestFastForwardRecovery(t *testing.T) {
	newTS, newSn := gen.Ed25519(70), gen.Ed25519(71)
	rotated := func(ts, sn bool) []byte {
		roles := repoRoles()
		if ts {
			roles["timestamp"] = gen.Role{Keys: []*gen.Key{newTS}, Threshold: 1}
		}
		if sn {
			roles["snapshot"] = gen.Role{Keys: []*gen.Key{newSn}, Threshold: 1}
		}
		return gen.Sign(gen.Root(2, farAway, false, roles), repoRootKeys...)
	}
	// The state a client holds after the attacker pushed huge versions
	// with the old online keys.
	forwarded := func(t *testing.T, ts, sn, tg int64) *verify.State {
		b := defaultRepo()
		b.tsVersion, b.snVersion, b.tgVersion = ts, sn, tg
		return stateOf(t, b)
	}
	cases := []struct {
		name   string
		prev   func(*testing.T) *verify.State
		ts, sn bool // which keys v2 replaces
		want   error
	}{
		{"timestamp forwarded, timestamp key replaced", func(t *testing.T) *verify.State { return forwarded(t, huge, 1, 1) }, true, false, nil},
		{"timestamp forwarded, no key replaced", func(t *testing.T) *verify.State { return forwarded(t, huge, 1, 1) }, false, false, verify.ErrRollback},
		{"timestamp forwarded, only the snapshot key replaced", func(t *testing.T) *verify.State { return forwarded(t, huge, 1, 1) }, false, true, verify.ErrRollback},
		{"all forwarded, timestamp key replaced: the snapshot still protects", func(t *testing.T) *verify.State { return forwarded(t, huge, huge, huge) }, true, false, verify.ErrRollback},
		{"all forwarded, both keys replaced", func(t *testing.T) *verify.State { return forwarded(t, huge, huge, huge) }, true, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prev := tc.prev(t)
			b := defaultRepo()
			b.extraRoots = [][]byte{rotated(tc.ts, tc.sn)}
			if tc.ts {
				b.tsSigners = []*gen.Key{newTS}
			}
			if tc.sn {
				b.snSigners = []*gen.Key{newSn}
			}
			repo, _, err := openRepo(t, b, prev, verify.Options{})
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("want %v, got %v", tc.want, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("want recovery, got %v", err)
			}
			if repo.Root().Version() != 2 || repo.Timestamp().Version() != 1 || repo.Snapshot().Version() != 1 {
				t.Fatalf("root v%d timestamp v%d snapshot v%d", repo.Root().Version(), repo.Timestamp().Version(), repo.Snapshot().Version())
			}
		})
	}
}

// TestRestartKeepsProtection: a service that restarts from the root it
// embeds (v1) with the state it saved gets what one that kept running
// gets: it starts from the saved, newer root, its floors are checked
// under that root's keys, and recovery works the same.
func TestRestartKeepsProtection(t *testing.T) {
	newTS := gen.Ed25519(72)
	roles2 := repoRoles()
	roles2["timestamp"] = gen.Role{Keys: []*gen.Key{newTS}, Threshold: 1}
	v2 := gen.Sign(gen.Root(2, farAway, false, roles2), repoRootKeys...)

	// The saved state: root v2, timestamp v5 under the v2 timestamp key.
	saved := defaultRepo()
	saved.extraRoots = [][]byte{v2}
	saved.tsSigners, saved.tsVersion = []*gen.Key{newTS}, 5
	state := stateOf(t, saved)
	if r, _ := root.Parse(state.Root); r == nil || r.Version() != 2 {
		t.Fatal("the saved state does not hold root v2")
	}

	// The repository now serves timestamp v4: a rollback, after a
	// restart as before it.
	back := saved
	back.tsVersion = 4
	fsys := back.build()
	delete(fsys, "2.root.json") // a mirror need not serve old roots
	if _, err := verify.Repository(mustParse(t, saved.rootV1()), fsys, state, verify.Options{Now: t0}); !errors.Is(err, verify.ErrRollback) {
		t.Fatalf("after a restart, timestamp v4 after v5: %v", err)
	}

	// Root v3 replaces the timestamp key again, and the repository starts
	// over at timestamp v1: the v5 floor no longer verifies and is
	// forgotten.
	newer := gen.Ed25519(73)
	roles3 := repoRoles()
	roles3["timestamp"] = gen.Role{Keys: []*gen.Key{newer}, Threshold: 1}
	v3 := gen.Sign(gen.Root(3, farAway, false, roles3), repoRootKeys...)
	next := defaultRepo()
	next.extraRoots = [][]byte{v2, v3}
	next.tsSigners = []*gen.Key{newer}
	repo, err := verify.Repository(mustParse(t, next.rootV1()), next.build(), state, verify.Options{Now: t0})
	if err != nil {
		t.Fatalf("recovery after a restart: %v", err)
	}
	if repo.Root().Version() != 3 || repo.Timestamp().Version() != 1 {
		t.Fatalf("root v%d timestamp v%d", repo.Root().Version(), repo.Timestamp().Version())
	}

	// A saved root that differs from the embedded root of the same
	// version is refused.
	other := gen.Sign(gen.Root(1, farAway.AddDate(0, 0, 1), false, repoRoles()), repoRootKeys...)
	bad := &verify.State{Root: other}
	if _, err := verify.Repository(mustParse(t, saved.rootV1()), defaultRepo().build(), bad, verify.Options{Now: t0}); !errors.Is(err, root.ErrMalformed) {
		t.Fatalf("a saved root v1 that is not the trusted v1: %v", err)
	}
}

// TestTimestampSameVersion: a timestamp of the trusted version is
// discarded even if its content differs (5.4.3.1), so it cannot move the
// client to another snapshot, and the update goes on with the trusted
// snapshot, which the client need not fetch again.
func TestTimestampSameVersion(t *testing.T) {
	first := defaultRepo()
	state := stateOf(t, first)

	// Same timestamp version, naming snapshot v2; the repository no
	// longer serves snapshot v1.
	moved := defaultRepo()
	moved.snVersion = 2
	fsys := moved.build()
	fsys["snapshot.json"] = &fstest.MapFile{Data: []byte("not fetched")}
	repo, err := verify.Repository(mustParse(t, first.rootV1()), fsys, state, verify.Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if !repo.TimestampUnchanged() || repo.Snapshot().Version() != 1 {
		t.Fatalf("unchanged %v, snapshot v%d", repo.TimestampUnchanged(), repo.Snapshot().Version())
	}
	if ts, _ := repository.ParseTimestamp(repo.State().Timestamp); ts == nil || ts.Snapshot().Version != 1 {
		t.Fatal("the state's timestamp is not the trusted one")
	}

	// The trusted timestamp has expired: the same version served again
	// does not make it fresh.
	expiring := defaultRepo()
	expiring.tsExpires = t0.AddDate(0, 0, 1)
	st := stateOf(t, expiring)
	late := verify.Options{Now: expiring.tsExpires}
	if _, err := verify.Repository(mustParse(t, first.rootV1()), expiring.build(), st, late); !errors.Is(err, verify.ErrExpired) {
		t.Fatalf("an expired timestamp served again: %v", err)
	}
}

// TestEndRootWalk: a client ends the root walk before it fetches the
// timestamp, and learns there that the newest root has expired.
func TestEndRootWalk(t *testing.T) {
	b := defaultRepo()
	v2 := gen.Sign(gen.Root(2, t0.AddDate(0, 0, 1), false, repoRoles()), repoRootKeys...)
	r, err := verify.NewRepo(mustParse(t, b.rootV1()), nil, verify.Options{Now: t0.AddDate(0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRoot(v2); err != nil {
		t.Fatal(err)
	}
	var exp *verify.ExpiredError
	if err := r.EndRootWalk(); !errors.As(err, &exp) || exp.Role != root.RoleRoot || exp.Version != 2 {
		t.Fatalf("an expired root v2: %v", err)
	}
	if r.Root() != nil {
		t.Error("an expired root is trusted")
	}

	r, err = verify.NewRepo(mustParse(t, b.rootV1()), nil, verify.Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRoot(v2); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := r.EndRootWalk(); err != nil {
			t.Fatal(err)
		}
	}
	if r.Root() == nil || r.Root().Version() != 2 {
		t.Fatalf("root after the walk: %v", r.Root())
	}
	if err := r.UpdateRoot(v2); err == nil {
		t.Error("UpdateRoot after EndRootWalk succeeded")
	}
	// The walk goes on to the timestamp as before.
	fsys := b.build()
	if err := r.UpdateTimestamp(fsys["timestamp.json"].Data); err != nil {
		t.Fatal(err)
	}
}

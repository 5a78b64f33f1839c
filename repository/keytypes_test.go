package repository_test

import (
	"context"
	"errors"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/verify"
)

// TestDelegatedKeyTypes delegates to a role whose threshold needs one key
// of every type, with keyholder annotations, and checks that both our
// verifier and go-tuf accept the role's signatures.
func TestDelegatedKeyTypes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var signers []*fake.Signer
	var keys []root.Key
	for _, kt := range fake.KeyTypes() {
		s, err := fake.NewType("ops-"+kt.String(), kt)
		if err != nil {
			t.Fatal(err)
		}
		k, err := root.NewKey(s.Public(), root.KeyOptions{Holder: "ops " + kt.String(), Serial: "123"})
		if err != nil {
			t.Fatal(err)
		}
		signers, keys = append(signers, s), append(keys, k)
	}
	if len(keys) < 3 {
		t.Fatalf("only %d key types", len(keys))
	}
	tg, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Delegate(repository.Delegation{Name: "ops", Keys: keys, Threshold: len(keys), Paths: []string{"ops/*"}}); err != nil {
		t.Fatal(err)
	}
	if err := tg.Sign(ctx, f.holder, f.targetsKeys); err != nil {
		t.Fatal(err)
	}
	ops, err := repository.NewTargets("ops", 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	file, err := ops.AddTarget("ops/key.pub", []byte("k"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range signers {
		if err := ops.Sign(ctx, s, keys); err != nil {
			t.Fatalf("%s: %v", s.KeyType(), err)
		}
	}
	fsys := f.release(t, 1, []*repository.Targets{tg, ops}, file)
	repo, err := verify.Repository(f.root, fsys, nil, verify.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := repo.Target("ops/key.pub", verify.FSLoader(fsys)); err != nil || got.Role != "ops" {
		t.Fatalf("ops/key.pub: %+v, %v", got, err)
	}
	tm, err := trustedmetadata.New(f.rootData)
	if err != nil {
		t.Fatal(err)
	}
	tm.RefTime = now
	for _, step := range []func() error{
		func() error { _, err := tm.UpdateTimestamp(fsys["timestamp.json"].Data); return err },
		func() error { _, err := tm.UpdateSnapshot(fsys["1.snapshot.json"].Data, false); return err },
		func() error { _, err := tm.UpdateTargets(fsys["1.targets.json"].Data); return err },
		func() error {
			_, err := tm.UpdateDelegatedTargets(fsys["1.ops.json"].Data, "ops", "targets")
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatal("go-tuf:", err)
		}
	}
	// One signature short of the threshold: both clients refuse.
	short, err := repository.NewTargets("ops", 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := short.AddTarget("ops/key.pub", []byte("k"), nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range signers[1:] {
		if err := short.Sign(ctx, s, keys); err != nil {
			t.Fatal(err)
		}
	}
	fsys = f.release(t, 1, []*repository.Targets{tg, short}, file)
	repo, err = verify.Repository(f.root, fsys, nil, verify.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Target("ops/key.pub", verify.FSLoader(fsys)); !errors.Is(err, verify.ErrThreshold) {
		t.Errorf("a delegated role one signature short: err = %v, want verify.ErrThreshold", err)
	}
	tm, err = trustedmetadata.New(f.rootData)
	if err != nil {
		t.Fatal(err)
	}
	tm.RefTime = now
	_, err1 := tm.UpdateTimestamp(fsys["timestamp.json"].Data)
	_, err2 := tm.UpdateSnapshot(fsys["1.snapshot.json"].Data, false)
	_, err3 := tm.UpdateTargets(fsys["1.targets.json"].Data)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if _, err := tm.UpdateDelegatedTargets(fsys["1.ops.json"].Data, "ops", "targets"); err == nil {
		t.Error("go-tuf trusted a delegated role one signature short")
	}
}

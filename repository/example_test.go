package repository_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/verify"
)

// A root, targets listing a Fulcio certificate, snapshot and timestamp,
// written to a directory with WriteDir, then a client's offline check of
// the files.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	expires := now.AddDate(0, 3, 0)
	holder, online := fake.New("alice"), fake.New("online")
	hk, _ := root.NewKey(holder.Public(), root.KeyOptions{Holder: "alice"})
	ok, _ := root.NewKey(online.Public(), root.KeyOptions{Holder: "online"})
	r, err := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot:      {Keys: []root.Key{hk}, Threshold: 1},
			root.RoleTargets:   {Keys: []root.Key{hk}, Threshold: 1},
			root.RoleSnapshot:  {Keys: []root.Key{ok}, Threshold: 1},
			root.RoleTimestamp: {Keys: []root.Key{ok}, Threshold: 1},
		},
		Expires:            now.AddDate(1, 0, 0),
		ConsistentSnapshot: true,
	})
	if err != nil {
		panic(err)
	}
	if _, err := r.Sign(ctx, holder, nil); err != nil {
		panic(err)
	}
	keysOf := func(role root.Role) []root.Key { rk, _ := r.Role(role); return rk.Keys }

	t, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
	if err != nil {
		panic(err)
	}
	cert, err := t.AddTarget("fulcio.crt.pem", []byte("-----BEGIN CERTIFICATE-----\n..."),
		json.RawMessage(`{"sigstore":{"usage":"Fulcio","status":"Active"}}`))
	if err != nil {
		panic(err)
	}
	if err := t.Sign(ctx, holder, keysOf(root.RoleTargets)); err != nil {
		panic(err)
	}
	snap, err := repository.NewSnapshot(1, expires, t)
	if err != nil {
		panic(err)
	}
	if err := snap.Sign(ctx, online, keysOf(root.RoleSnapshot)); err != nil {
		panic(err)
	}
	ts, err := repository.NewTimestamp(1, expires, snap)
	if err != nil {
		panic(err)
	}
	if err := ts.Sign(ctx, online, keysOf(root.RoleTimestamp)); err != nil {
		panic(err)
	}

	files, err := repository.RootFiles(r)
	if err != nil {
		panic(err)
	}
	files = append(files, cert)
	for _, m := range []interface {
		File() (repository.File, error)
	}{t, snap, ts} {
		f, err := m.File()
		if err != nil {
			panic(err)
		}
		files = append(files, f)
	}
	dir, err := os.MkdirTemp("", "repository-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := repository.WriteDir(dir, files...); err != nil {
		panic(err)
	}

	fsys := os.DirFS(dir)
	repo, err := verify.Repository(r, fsys, nil, verify.Options{Now: now})
	if err != nil {
		panic(err)
	}
	target, err := repo.Target("fulcio.crt.pem", verify.FSLoader(fsys))
	if err != nil {
		panic(err)
	}
	var custom struct {
		Sigstore struct{ Usage, Status string }
	}
	if err := target.DecodeCustom(&custom); err != nil {
		panic(err)
	}
	fmt.Println(target.Name, target.Length, custom.Sigstore.Usage, custom.Sigstore.Status)
	fmt.Println(target.Path(true) == cert.Name, target.Verify(cert.Data) == nil)
	// Output:
	// fulcio.crt.pem 31 Fulcio Active
	// true true
}

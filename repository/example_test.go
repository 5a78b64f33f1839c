package repository_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing/fstest"
	"time"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/verify"
)

// A root, targets listing a Fulcio certificate, snapshot and timestamp,
// then a client's offline check of the files.
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
	rootData, _ := r.MarshalFile()
	files := fstest.MapFS{"1.root.json": {Data: rootData}}

	t, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
	if err != nil {
		panic(err)
	}
	cert, err := t.AddTarget("fulcio.crt.pem", []byte("-----BEGIN CERTIFICATE-----\n..."),
		json.RawMessage(`{"sigstore":{"usage":"Fulcio","status":"Active"}}`))
	if err != nil {
		panic(err)
	}
	keys, _ := repository.RoleKeys(r, root.RoleTargets)
	if err := t.Sign(ctx, holder, keys); err != nil {
		panic(err)
	}
	snap, err := repository.NewSnapshot(1, expires, t)
	if err != nil {
		panic(err)
	}
	keys, _ = repository.RoleKeys(r, root.RoleSnapshot)
	if err := snap.Sign(ctx, online, keys); err != nil {
		panic(err)
	}
	ts, err := repository.NewTimestamp(1, expires, snap)
	if err != nil {
		panic(err)
	}
	keys, _ = repository.RoleKeys(r, root.RoleTimestamp)
	if err := ts.Sign(ctx, online, keys); err != nil {
		panic(err)
	}
	files[cert.Name] = &fstest.MapFile{Data: cert.Data}
	for _, f := range []interface {
		File() (repository.File, error)
	}{t, snap, ts} {
		file, err := f.File()
		if err != nil {
			panic(err)
		}
		files[file.Name] = &fstest.MapFile{Data: file.Data}
		fmt.Println(file.Name)
	}

	repo, err := verify.Repository(r, files, verify.RepositoryOptions{Now: now})
	if err != nil {
		panic(err)
	}
	target, err := repo.Target("fulcio.crt.pem")
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
	fmt.Println(target.Verify(cert.Data) == nil)
	// Output:
	// 1.targets.json
	// 1.snapshot.json
	// timestamp.json
	// fulcio.crt.pem 31 Fulcio Active
	// true
}

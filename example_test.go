package trustroot_test

import (
	"context"
	"fmt"
	"time"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/verify"
)

// The README's quick start: three keyholders, a 2-of-3 root, two
// signatures, verified as a client would. Real keyholders use signer/piv;
// fake signers are deterministic and insecure.
func Example() {
	ctx := context.Background()
	names := []string{"alice", "bob", "carol"}
	var holders []*fake.Signer
	var keys []root.Key
	for _, name := range names {
		s := fake.New(name)
		holders = append(holders, s)
		k, err := root.NewKey(s.Public(), root.KeyOptions{Holder: name})
		if err != nil {
			panic(err)
		}
		keys = append(keys, k)
	}
	online, _ := root.NewKey(fake.New("online").Public(), root.KeyOptions{Holder: "kms"})
	r, err := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot:      {Keys: keys, Threshold: 2},
			root.RoleTargets:   {Keys: keys, Threshold: 2},
			root.RoleSnapshot:  {Keys: []root.Key{online}, Threshold: 1},
			root.RoleTimestamp: {Keys: []root.Key{online}, Threshold: 1},
		},
		Expires:            time.Now().AddDate(0, 6, 0),
		ConsistentSnapshot: true,
	})
	if err != nil {
		panic(err)
	}
	for _, s := range holders[:2] { // alice and bob sign; carol is away
		if _, err := r.Sign(ctx, s, nil); err != nil {
			panic(err)
		}
	}
	file, _ := r.MarshalFile() // publish as 1.root.json

	published, err := root.Parse(file)
	if err != nil {
		panic(err)
	}
	res, err := verify.Root(published, verify.Options{})
	if err != nil {
		panic(err)
	}
	for _, m := range res.Steps[0].Requirements {
		fmt.Printf("%s: threshold %d met by", m.Name, m.Threshold)
		for _, k := range m.SignedBy {
			fmt.Print(" ", k.Holder)
		}
		fmt.Println()
	}
	// Output:
	// root v1 (own): threshold 2 met by alice bob
}

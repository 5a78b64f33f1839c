package root_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
)

// exampleKey derives a fixed P-256 key from name, so examples print the
// same output on every run. Real keys come from YubiKeys or a KMS.
func exampleKey(name string) signer.Signer {
	seed := sha256.Sum256([]byte("example/" + name))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
	if err != nil {
		panic(err)
	}
	s, err := signer.FromCryptoSigner(priv)
	if err != nil {
		panic(err)
	}
	return s
}

var holders = []string{"alice", "bob", "carol", "dave", "erin"}

// Build a 3-of-5 root, collect three signatures and publish it.
func Example() {
	signers := map[string]signer.Signer{}
	var keys []root.Key
	for _, h := range holders {
		signers[h] = exampleKey(h)
		k, err := root.NewKey(signers[h].Public(), root.KeyOptions{Holder: h})
		if err != nil {
			panic(err)
		}
		keys = append(keys, k)
	}
	online, _ := root.NewKey(exampleKey("online").Public(), root.KeyOptions{Holder: "kms"})

	r, err := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot:      {Keys: keys, Threshold: 3},
			root.RoleTargets:   {Keys: keys, Threshold: 3},
			root.RoleSnapshot:  {Keys: []root.Key{online}, Threshold: 1},
			root.RoleTimestamp: {Keys: []root.Key{online}, Threshold: 1},
		},
		Expires:            time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
		ConsistentSnapshot: true,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("lint warnings:", len(root.Lint(r, root.LintOptions{Now: time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)})))

	for _, h := range []string{"alice", "carol", "erin"} {
		if _, err := r.Sign(context.Background(), signers[h], nil); err != nil {
			panic(err)
		}
	}
	for _, req := range r.Requirements(nil) {
		fmt.Printf("%s needs %d of %d keys\n", req.Name, req.Threshold, len(req.Keys))
	}
	fmt.Println("signatures:", len(r.Signatures()))

	file, err := r.MarshalFile()
	if err != nil {
		panic(err)
	}
	published, err := root.Parse(file)
	if err != nil {
		panic(err)
	}
	fmt.Println("published version", published.Version(), "expires", published.Expires().Format(time.DateOnly))
	// Output:
	// lint warnings: 0
	// root v1 (own) needs 3 of 5 keys
	// signatures: 3
	// published version 1 expires 2031-01-01
}

// A keyholder signs a copy of the file; the coordinator merges the
// detached signature into the root.
func ExampleRoot_AddSignature() {
	alice := exampleKey("alice")
	ak, _ := root.NewKey(alice.Public(), root.KeyOptions{Holder: "alice"})
	online, _ := root.NewKey(exampleKey("online").Public(), root.KeyOptions{})
	r, _ := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot:      {Keys: []root.Key{ak}, Threshold: 1},
			root.RoleTargets:   {Keys: []root.Key{ak}, Threshold: 1},
			root.RoleSnapshot:  {Keys: []root.Key{online}, Threshold: 1},
			root.RoleTimestamp: {Keys: []root.Key{online}, Threshold: 1},
		},
		Expires: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
	})

	// On alice's machine.
	file, _ := r.MarshalFile()
	copyForAlice, _ := root.Parse(file)
	sigs, _ := copyForAlice.Sign(context.Background(), alice, nil)

	// Back with the coordinator.
	if err := r.AddSignature(sigs[0], nil); err != nil {
		panic(err)
	}
	fmt.Println(len(r.Signatures()), "signature from", ak.Holder())

	// A signature made over something else is refused.
	err := r.AddSignature(root.Signature{KeyID: ak.ID(), Value: []byte("forged")}, nil)
	fmt.Println(err != nil)
	// Output:
	// 1 signature from alice
	// true
}

// Rotate erin's key out and frank's in; v2 needs 3 signatures from v1's
// root keys and 3 from its own.
func ExampleRoot_Next() {
	var keys []root.Key
	for _, h := range holders {
		k, _ := root.NewKey(exampleKey(h).Public(), root.KeyOptions{Holder: h})
		keys = append(keys, k)
	}
	online, _ := root.NewKey(exampleKey("online").Public(), root.KeyOptions{})
	v1, _ := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot:      {Keys: keys, Threshold: 3},
			root.RoleTargets:   {Keys: keys, Threshold: 3},
			root.RoleSnapshot:  {Keys: []root.Key{online}, Threshold: 1},
			root.RoleTimestamp: {Keys: []root.Key{online}, Threshold: 1},
		},
		Expires: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
	})

	frank := exampleKey("frank")
	fk, _ := root.NewKey(frank.Public(), root.KeyOptions{Holder: "frank"})
	erin := keys[4].ID()
	v2, err := v1.Next(root.Rotation{
		Expires: time.Date(2031, 7, 1, 0, 0, 0, 0, time.UTC),
		Roles: map[root.Role]root.RoleChange{
			root.RoleRoot:    {Remove: []root.KeyID{erin}, Add: []root.Key{fk}},
			root.RoleTargets: {Remove: []root.KeyID{erin}, Add: []root.Key{fk}},
		},
	})
	if err != nil {
		panic(err)
	}
	// Alice, bob and carol are in both versions; erin only in v1; frank
	// only in v2.
	for _, h := range []string{"alice", "bob", "carol"} {
		if _, err := v2.Sign(context.Background(), exampleKey(h), v1); err != nil {
			panic(err)
		}
	}
	_, err = v2.Sign(context.Background(), exampleKey("erin"), v1)
	fmt.Println("erin signs for v1:", err == nil)
	_, err = v2.Sign(context.Background(), frank, v1)
	fmt.Println("frank signs for v2:", err == nil)

	for _, req := range v2.Requirements(v1) {
		fmt.Printf("%s: threshold %d\n", req.Name, req.Threshold)
	}
	fmt.Println("version", v2.Version(), "signatures", len(v2.Signatures()))
	// Output:
	// erin signs for v1: true
	// frank signs for v2: true
	// root v1 (previous): threshold 3
	// root v2 (own): threshold 3
	// version 2 signatures 5
}

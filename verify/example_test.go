package verify_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/verify"
)

// exampleSigner returns a deterministic Ed25519 signer for the examples.
func exampleSigner(name string) signer.Signer {
	seed := sha256.Sum256([]byte("example " + name))
	s, err := signer.FromCryptoSigner(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		panic(err)
	}
	return s
}

// A keyholder group rotates its root from version 1 to 2, replacing
// carol's key with dave's; a client that trusts version 1 walks to 2.
func ExampleChain() {
	ctx := context.Background()
	signers := map[string]signer.Signer{}
	keyOf := map[string]root.Key{}
	for _, h := range []string{"alice", "bob", "carol", "dave", "online"} {
		signers[h] = exampleSigner(h)
		k, err := root.NewKey(signers[h].Public(), root.KeyOptions{Holder: h})
		if err != nil {
			panic(err)
		}
		keyOf[h] = k
	}
	holders := []root.Key{keyOf["alice"], keyOf["bob"], keyOf["carol"]}
	online := []root.Key{keyOf["online"]}
	expires := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)

	v1, err := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot:      {Keys: holders, Threshold: 2},
			root.RoleTargets:   {Keys: holders, Threshold: 2},
			root.RoleSnapshot:  {Keys: online, Threshold: 1},
			root.RoleTimestamp: {Keys: online, Threshold: 1},
		},
		Expires: expires,
	})
	if err != nil {
		panic(err)
	}
	for _, h := range []string{"alice", "bob"} {
		if _, err := v1.Sign(ctx, signers[h], nil); err != nil {
			panic(err)
		}
	}
	v2, err := v1.Next(root.Rotation{
		Expires: expires.AddDate(0, 6, 0),
		Roles: map[root.Role]root.RoleChange{
			root.RoleRoot: {Add: []root.Key{keyOf["dave"]}, Remove: []root.KeyID{keyOf["carol"].ID()}},
		},
	})
	if err != nil {
		panic(err)
	}
	// Version 2 needs 2 of v1's root keys and 2 of its own: alice and
	// bob sign for both, dave (new) signs too.
	for _, h := range []string{"alice", "bob", "dave"} {
		if _, err := v2.Sign(ctx, signers[h], v1); err != nil {
			panic(err)
		}
	}
	file2, err := v2.MarshalFile()
	if err != nil {
		panic(err)
	}

	// The client side: it trusts v1 and receives the file of v2.
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	res, err := verify.Chain(v1, [][]byte{file2}, verify.Options{Now: now})
	if err != nil {
		fmt.Println("not trusted:", err)
		return
	}
	fmt.Println("trusted root version", res.Root.Version())
	for _, step := range res.Steps {
		for _, m := range step.Requirements {
			fmt.Printf("v%d: %s: %d of %d:", step.Version, m.Name, len(m.SignedBy), m.Threshold)
			for _, k := range m.SignedBy {
				fmt.Print(" ", k.Holder)
			}
			fmt.Println()
		}
	}

	// Verification stops counting at the threshold; SigningStatus lists every
	// signer, as a ceremony dashboard shows them.
	for _, rs := range res.Root.SigningStatus(v1).Requirements {
		fmt.Printf("%s: signed by", rs.Name)
		for _, k := range rs.Signed {
			fmt.Print(" ", k.Holder)
		}
		fmt.Printf(", %d more needed\n", rs.Needed)
	}

	// Once v2 has expired the same walk fails, naming the last version
	// whose signatures verified.
	_, err = verify.Chain(v1, [][]byte{file2}, verify.Options{Now: expires.AddDate(1, 0, 0)})
	fmt.Println(err)
	// Output:
	// trusted root version 2
	// v1: root v1 (own): 2 of 2: alice bob
	// v2: root v1 (previous): 2 of 2: alice bob
	// v2: root v2 (own): 2 of 2: alice bob
	// root v1 (previous): signed by alice bob, 0 more needed
	// root v2 (own): signed by alice bob dave, 0 more needed
	// verify: root v2 expired at 2027-12-01T00:00:00Z (reference time 2028-06-01T00:00:00Z)
}

// A service reads trusted targets metadata and picks the active Fulcio
// certificates by their custom metadata, then checks a downloaded file.
func ExampleTargets() {
	// Setup: a root and targets metadata as a repository would publish
	// them (built here with the test generator).
	tk := gen.Ed25519(7)
	rk := gen.Ed25519(8)
	roles := gen.TopRoles([]*gen.Key{rk}, 1, tk)
	trusted, err := root.Parse(gen.Sign(gen.Root(1, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), false, roles), rk))
	if err != nil {
		panic(err)
	}
	cert := []byte("-----BEGIN CERTIFICATE-----\n...")
	targetsFile := gen.Sign(gen.Targets(3, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), map[string]any{
		"fulcio_v1.crt.pem": gen.Target(cert, map[string]any{"sigstore": map[string]any{"usage": "Fulcio", "status": "Active"}}),
		"fulcio.crt.pem":    gen.Target([]byte("old"), map[string]any{"sigstore": map[string]any{"usage": "Fulcio", "status": "Expired"}}),
	}, nil), tk)

	m, err := verify.Targets(trusted, targetsFile, verify.Options{Now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		panic(err)
	}
	for _, t := range m.Targets() {
		var c struct {
			Sigstore struct{ Usage, Status string } `json:"sigstore"`
		}
		if err := t.DecodeCustom(&c); err != nil {
			panic(err)
		}
		fmt.Println(t.Name, c.Sigstore.Usage, c.Sigstore.Status)
	}
	t, ok := m.Target("fulcio_v1.crt.pem")
	fmt.Println("found:", ok)
	fmt.Println("downloaded file matches:", t.Verify(cert) == nil)
	fmt.Println("tampered file:", t.Verify([]byte("-----BEGIN CERTIFICATE-----\n..!")))
	// Output:
	// fulcio.crt.pem Fulcio Expired
	// fulcio_v1.crt.pem Fulcio Active
	// found: true
	// downloaded file matches: true
	// tampered file: target fulcio_v1.crt.pem: hash mismatch: sha256 differs from the listed 381e949ac3784822a80898d63e2161a0928a6d88c48e7afe02225a44dc6dc489
}

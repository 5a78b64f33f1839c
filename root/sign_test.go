package root_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
)

func TestAddSignature(t *testing.T) {
	f := newFixture(t)
	// Alice signs a copy (as a keyholder would, from the file).
	out, _ := f.r.MarshalFile()
	alice, err := root.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	sigs := f.sign(t, alice, 0, nil)
	if len(sigs) != 1 {
		t.Fatalf("%d signatures", len(sigs))
	}
	if err := f.r.AddSignature(sigs[0], nil); err != nil {
		t.Fatal(err)
	}
	// Adding it again replaces, never duplicates.
	if err := f.r.AddSignature(sigs[0], nil); err != nil {
		t.Fatal(err)
	}
	if n := len(f.r.Signatures()); n != 1 {
		t.Fatalf("%d signatures after adding one twice", n)
	}
	// A new signature by the same key replaces the old one.
	again := f.sign(t, alice, 0, nil)
	if err := f.r.AddSignature(again[0], nil); err != nil {
		t.Fatal(err)
	}
	if s := f.r.Signatures(); len(s) != 1 || !bytes.Equal(s[0].Value, again[0].Value) {
		t.Fatal("the later signature did not replace the earlier one")
	}

	// A signature that does not verify.
	bad := root.Signature{KeyID: f.keys[1].ID(), Value: again[0].Value}
	err = f.r.AddSignature(bad, nil)
	var se *root.SignatureError
	if !errors.Is(err, root.ErrBadSignature) || !errors.As(err, &se) || se.KeyID != f.keys[1].ID() {
		t.Fatalf("bad signature: %v", err)
	}
	// Empty and unknown-key signatures.
	if err := f.r.AddSignature(root.Signature{KeyID: f.keys[1].ID()}, nil); !errors.Is(err, root.ErrBadSignature) {
		t.Fatalf("empty signature: %v", err)
	}
	if err := f.r.AddSignature(root.Signature{KeyID: "feed", Value: again[0].Value}, nil); !errors.Is(err, root.ErrUnknownKey) || !errors.As(err, &se) {
		t.Fatalf("unknown key: %v", err)
	}
	// The online key is in the root but not a root key.
	online := f.r.Keys()
	for _, k := range online {
		if k.Holder() == "" {
			if err := f.r.AddSignature(root.Signature{KeyID: k.ID(), Value: again[0].Value}, nil); !errors.Is(err, root.ErrUnknownKey) {
				t.Fatalf("online key signature: %v", err)
			}
		}
	}
	if n := len(f.r.Signatures()); n != 1 {
		t.Fatalf("refused signatures were stored: %d", n)
	}
}

// TestMergeDetached: five keyholders sign five copies; merging every file
// into one root loses no signature.
func TestMergeDetached(t *testing.T) {
	f := newFixture(t)
	base, _ := f.r.MarshalFile()
	var files [][]byte
	for i := range f.holders {
		r, err := root.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		// Holders 3 and 4 sign a copy that already carries holder 0's
		// signature, as happens when a file is passed along.
		if i >= 3 {
			r, err = root.Parse(files[0])
			if err != nil {
				t.Fatal(err)
			}
		}
		f.sign(t, r, i, nil)
		out, _ := r.MarshalFile()
		files = append(files, out)
	}
	merged, _ := root.Parse(base)
	for _, data := range files {
		r, err := root.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range r.Signatures() {
			if err := merged.AddSignature(s, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := map[root.KeyID]bool{}
	for _, s := range merged.Signatures() {
		if got[s.KeyID] {
			t.Fatalf("duplicate signature under %s", s.KeyID)
		}
		got[s.KeyID] = true
	}
	for _, k := range f.keys {
		if !got[k.ID()] {
			t.Fatalf("signature of %s lost in the merge", k.Holder())
		}
	}
	out, _ := merged.MarshalFile()
	if _, err := root.Parse(out); err != nil {
		t.Fatal(err)
	}
}

func TestSignRotation(t *testing.T) {
	f := newFixture(t)
	// v2 re-annotates alice's key (new key ID, same public key) and
	// replaces erin's key with frank's.
	alice2 := mustKey(t, f.privs[0].Public(), "alice (new token)")
	frankPriv := p256("frank")
	frank := mustKey(t, frankPriv.Public(), "frank")
	n, err := f.r.Next(root.Rotation{
		Expires: expiry.AddDate(1, 0, 0),
		Roles: map[root.Role]root.RoleChange{
			root.RoleRoot:    {Remove: []root.KeyID{f.keys[0].ID(), f.keys[4].ID()}, Add: []root.Key{alice2, frank}},
			root.RoleTargets: {Remove: []root.KeyID{f.keys[0].ID()}, Add: []root.Key{alice2}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Alice's key is under two key IDs: one in v1, one in v2.
	sigs := f.sign(t, n, 0, f.r)
	ids := map[root.KeyID]bool{}
	for _, s := range sigs {
		ids[s.KeyID] = true
	}
	if len(sigs) != 2 || !ids[f.keys[0].ID()] || !ids[alice2.ID()] {
		t.Fatalf("alice signed under %v, want her v1 and v2 key IDs", ids)
	}
	// Erin is only in v1: her signature is kept under her v1 key ID.
	erin := f.sign(t, n, 4, f.r)
	if len(erin) != 1 || erin[0].KeyID != f.keys[4].ID() {
		t.Fatalf("erin: %v", erin)
	}
	// Without prev, erin is not a root key of v2.
	cs := &countingSigner{inner: mustSigner(t, f.privs[4])}
	if _, err := n.Sign(context.Background(), cs, nil); !errors.Is(err, signer.ErrWrongKey) {
		t.Fatalf("erin without prev: %v", err)
	}
	if cs.calls != 0 {
		t.Fatal("the signer was asked to sign although its key is not listed")
	}
	// Frank is only in v2.
	fr, err := n.Sign(context.Background(), mustSigner(t, frankPriv), f.r)
	if err != nil || len(fr) != 1 || fr[0].KeyID != frank.ID() {
		t.Fatalf("frank: %v %v", fr, err)
	}
	// A detached signature under a v1-only key ID is accepted with prev,
	// refused without.
	fresh, _ := f.r.Next(root.Rotation{Expires: expiry.AddDate(1, 0, 0), Roles: map[root.Role]root.RoleChange{
		root.RoleRoot:    {Remove: []root.KeyID{f.keys[0].ID(), f.keys[4].ID()}, Add: []root.Key{alice2, frank}},
		root.RoleTargets: {Remove: []root.KeyID{f.keys[0].ID()}, Add: []root.Key{alice2}},
	}})
	if !bytes.Equal(fresh.SigningPayload(), n.SigningPayload()) {
		t.Fatal("Next is not deterministic")
	}
	if err := fresh.AddSignature(erin[0], nil); !errors.Is(err, root.ErrUnknownKey) {
		t.Fatalf("v1-only key without prev: %v", err)
	}
	if err := fresh.AddSignature(erin[0], f.r); err != nil {
		t.Fatalf("v1-only key with prev: %v", err)
	}
	// prev must be the version before.
	if err := fresh.AddSignature(erin[0], fresh); err == nil || !strings.Contains(err.Error(), "previous root") {
		t.Fatalf("wrong prev: %v", err)
	}
	if len(n.Signatures()) != 4 {
		t.Fatalf("v2 has %d signatures, want 4", len(n.Signatures()))
	}
}

func TestSignErrors(t *testing.T) {
	f := newFixture(t)
	stranger := &countingSigner{inner: mustSigner(t, p256("stranger"))}
	if _, err := f.r.Sign(context.Background(), stranger, nil); !errors.Is(err, signer.ErrWrongKey) || !strings.HasPrefix(err.Error(), "root: ") {
		t.Fatalf("stranger: %v", err)
	}
	if stranger.calls != 0 {
		t.Fatal("a signer whose key is not listed was called")
	}
	pin := &countingSigner{inner: mustSigner(t, f.privs[1]), err: &signer.PINError{Retries: 2}}
	_, err := f.r.Sign(context.Background(), pin, nil)
	var pe *signer.PINError
	if !errors.Is(err, signer.ErrWrongPIN) || !errors.As(err, &pe) || pe.Retries != 2 {
		t.Fatalf("wrong PIN: %v", err)
	}
	garbage := &countingSigner{inner: mustSigner(t, f.privs[1]), bad: true}
	if _, err := f.r.Sign(context.Background(), garbage, nil); !errors.Is(err, root.ErrBadSignature) {
		t.Fatalf("bad signature from the signer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.r.Sign(ctx, mustSigner(t, f.privs[1]), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if n := len(f.r.Signatures()); n != 0 {
		t.Fatalf("failed signing stored %d signatures", n)
	}
	if _, err := f.r.Sign(context.Background(), nil, nil); err == nil {
		t.Fatal("nil signer accepted")
	}
}

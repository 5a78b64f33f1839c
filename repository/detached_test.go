package repository_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer/fake"
)

// TestDetachedSignatures: a keyholder signs a copy of delegated metadata
// elsewhere and hands back a signature, which the publisher adds; the two
// ways of signing give the same file.
func TestDetachedSignatures(t *testing.T) {
	ctx := context.Background()
	a, b, stranger := fake.New("team-a"), fake.New("team-b"), fake.New("stranger")
	ka, kb := key(t, a, "a"), key(t, b, "b")
	keys := []root.Key{ka, kb}
	build := func() *repository.Targets {
		tg, err := repository.NewTargets("team", 2, expires)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tg.AddTarget("team/x", []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
		return tg
	}
	direct := build()
	for _, s := range []*fake.Signer{a, b} {
		if err := direct.Sign(ctx, s, keys); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := direct.MarshalFile(); err != nil {
		t.Fatal(err)
	}

	// The keyholder's copy: read from the published unsigned file.
	unsigned, err := build().MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	copyOf, err := repository.ParseTargets("team", unsigned)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := copyOf.SigningPayload()
	if err != nil {
		t.Fatal(err)
	}
	merged := build()
	for _, s := range []*fake.Signer{a, b} {
		sig, err := s.Sign(ctx, payload)
		if err != nil {
			t.Fatal(err)
		}
		id := ka.ID()
		if s == b {
			id = kb.ID()
		}
		if err := merged.AddSignature(root.Signature{KeyID: id, Value: sig}, keys); err != nil {
			t.Fatal(err)
		}
	}
	// The same content and the same signers (ECDSA signatures differ from
	// one signing to the next).
	wantPayload, _ := direct.SigningPayload()
	gotPayload, _ := merged.SigningPayload()
	if !bytes.Equal(gotPayload, wantPayload) {
		t.Fatal("the merged file covers other bytes")
	}
	gs, ds := merged.Signatures(), direct.Signatures()
	if len(gs) != 2 || gs[0].KeyID != ds[0].KeyID || gs[1].KeyID != ds[1].KeyID {
		t.Fatalf("merged signatures %v, direct %v", gs, ds)
	}
	want, err := merged.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}

	// Refused: a key ID none of the keys has, a signature that does not
	// verify; nothing is added.
	sig, _ := stranger.Sign(ctx, payload)
	if err := merged.AddSignature(root.Signature{KeyID: "nobody", Value: sig}, keys); !errors.Is(err, root.ErrUnknownKey) {
		t.Errorf("unknown key ID: %v", err)
	}
	if err := merged.AddSignature(root.Signature{KeyID: ka.ID(), Value: sig}, keys); !errors.Is(err, root.ErrBadSignature) {
		t.Errorf("a stranger's signature under a's key ID: %v", err)
	}
	var se *root.SignatureError
	if err := merged.AddSignature(root.Signature{KeyID: ka.ID(), Value: sig}, keys); !errors.As(err, &se) || se.Role != "team" || se.KeyID != ka.ID() {
		t.Errorf("refusal is not a *root.SignatureError naming team and the key: %v", err)
	}
	if after, _ := merged.MarshalFile(); !bytes.Equal(after, want) {
		t.Error("a refused signature changed the file")
	}
}

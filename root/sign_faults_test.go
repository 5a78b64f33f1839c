package root_test

// Hardening: a signer backend that fails, hangs, signs with another key or
// returns a malformed signature is caught by Root.Sign before anything is
// added to the root, so nothing reaches a file.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
)

// faultRoot returns a 2-of-3 root over fake signers of each key type the
// fakes offer, and the signers.
func faultRoot(t *testing.T, kt fake.KeyType) (*root.Root, []*fake.Signer) {
	t.Helper()
	var signers []*fake.Signer
	var keys []root.Key
	for _, name := range []string{"fault-a", "fault-b", "fault-c"} {
		s, err := fake.NewType(name+"-"+kt.String(), kt)
		if err != nil {
			t.Fatal(err)
		}
		k, err := root.NewKey(s.Public(), root.KeyOptions{Holder: name})
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, s)
		keys = append(keys, k)
	}
	online, err := root.NewKey(fake.New("fault-online").Public(), root.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot:      {Keys: keys, Threshold: 2},
			root.RoleTargets:   {Keys: []root.Key{online}, Threshold: 1},
			root.RoleSnapshot:  {Keys: []root.Key{online}, Threshold: 1},
			root.RoleTimestamp: {Keys: []root.Key{online}, Threshold: 1},
		},
		Expires: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, signers
}

func fileOf(t *testing.T, r *root.Root) []byte {
	t.Helper()
	b, err := r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignFaultsAddNothing(t *testing.T) {
	for _, kt := range fake.KeyTypes() {
		t.Run(kt.String(), func(t *testing.T) {
			r, signers := faultRoot(t, kt)
			// One good signature first, so "nothing added" is checked
			// against a root that already holds one.
			if _, err := r.Sign(context.Background(), signers[0], nil); err != nil {
				t.Fatal(err)
			}
			before := fileOf(t, r)
			s := signers[1]

			check := func(name string, err error, sigs []root.Signature, is ...error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s: Sign succeeded", name)
				}
				if sigs != nil {
					t.Errorf("%s: Sign returned signatures with an error", name)
				}
				for _, target := range is {
					if !errors.Is(err, target) {
						t.Errorf("%s: error %v does not wrap %v", name, err, target)
					}
				}
				if after := fileOf(t, r); !bytes.Equal(before, after) {
					t.Errorf("%s: the root changed after a failed Sign", name)
				}
				if n := len(r.Signatures()); n != 1 {
					t.Errorf("%s: %d signatures after a failed Sign, want 1", name, n)
				}
			}

			// A backend error, such as a wrong PIN, is wrapped.
			s.FailNext(1, &signer.PINError{Retries: 2})
			sigs, err := r.Sign(context.Background(), s, nil)
			check("backend fails", err, sigs, signer.ErrWrongPIN)
			var pe *signer.PINError
			if !errors.As(err, &pe) || pe.Retries != 2 {
				t.Errorf("backend fails: no *signer.PINError with 2 retries in %v", err)
			}

			// A hung token: the deadline ends the call.
			s.SetFault(fake.Block)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			sigs, err = r.Sign(ctx, s, nil)
			cancel()
			check("backend hangs", err, sigs, context.DeadlineExceeded)

			// A token holding another key than the one it reports.
			s.SetFault(fake.WrongKey)
			sigs, err = r.Sign(context.Background(), s, nil)
			check("signature by another key", err, sigs, root.ErrBadSignature)

			// A malformed (truncated) signature.
			s.SetFault(fake.Malformed)
			sigs, err = r.Sign(context.Background(), s, nil)
			check("malformed signature", err, sigs, root.ErrBadSignature)

			// A key the root does not list is refused before the token is
			// asked for anything.
			stranger, err := fake.NewType("fault-stranger-"+kt.String(), kt)
			if err != nil {
				t.Fatal(err)
			}
			sigs, err = r.Sign(context.Background(), stranger, nil)
			check("key not in the root", err, sigs, signer.ErrWrongKey)
			if stranger.Calls() != 0 {
				t.Errorf("the token of a key not in the root was asked to sign %d times", stranger.Calls())
			}

			// Once the fault clears, the same signer signs and the root
			// meets its threshold.
			s.SetFault(fake.NoFault)
			if _, err := r.Sign(context.Background(), s, nil); err != nil {
				t.Fatalf("after the faults: %v", err)
			}
			if n := len(r.Signatures()); n != 2 {
				t.Errorf("%d signatures, want 2", n)
			}
		})
	}
}

// TestAddSignatureRefusesForeignAndBroken checks the detached path used to
// merge signature files: a signature from another key, over other bytes, or
// truncated is refused and changes nothing.
func TestAddSignatureRefusesForeignAndBroken(t *testing.T) {
	r, signers := faultRoot(t, fake.P256)
	good, err := signers[0].Sign(context.Background(), r.SigningPayload())
	if err != nil {
		t.Fatal(err)
	}
	other, err := signers[1].Sign(context.Background(), r.SigningPayload())
	if err != nil {
		t.Fatal(err)
	}
	overOther, err := signers[0].Sign(context.Background(), []byte("something else"))
	if err != nil {
		t.Fatal(err)
	}
	id := r.Keys()[0].ID()
	for _, k := range r.Keys() {
		if k.Holder() == "fault-a" {
			id = k.ID()
		}
	}
	before := fileOf(t, r)
	for name, sig := range map[string]root.Signature{
		"another key's signature": {KeyID: id, Value: other},
		"over other bytes":        {KeyID: id, Value: overOther},
		"truncated":               {KeyID: id, Value: good[:len(good)/2]},
		"unknown key ID":          {KeyID: root.KeyID(strings.Repeat("ab", 32)), Value: good},
	} {
		err := r.AddSignature(sig, nil)
		var se *root.SignatureError
		if !errors.As(err, &se) {
			t.Errorf("%s: AddSignature = %v, want a *root.SignatureError", name, err)
		}
		if !bytes.Equal(before, fileOf(t, r)) {
			t.Errorf("%s: the root changed", name)
		}
	}
	if err := r.AddSignature(root.Signature{KeyID: id, Value: good}, nil); err != nil {
		t.Fatalf("the good signature: %v", err)
	}
	// Adding it again replaces it: one entry, never two.
	if err := r.AddSignature(root.Signature{KeyID: id, Value: good}, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(r.Signatures()); n != 1 {
		t.Errorf("%d signature entries after adding one signature twice, want 1", n)
	}
}

// TestSignConcurrentSignersLoseNothing signs one root from several
// goroutines; every signature ends up in the root exactly once.
func TestSignConcurrentSignersLoseNothing(t *testing.T) {
	r, signers := faultRoot(t, fake.Ed25519)
	var mu sync.Mutex // Root is not documented as safe for concurrent use
	var wg sync.WaitGroup
	errs := make(chan error, len(signers)*3)
	for i := 0; i < 3; i++ {
		for _, s := range signers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				value, err := s.Sign(context.Background(), r.SigningPayload())
				if err != nil {
					errs <- err
					return
				}
				pub, _ := root.NewKey(s.Public(), root.KeyOptions{})
				var id root.KeyID
				for _, k := range r.Keys() {
					if k.Fingerprint() == pub.Fingerprint() {
						id = k.ID()
					}
				}
				mu.Lock()
				defer mu.Unlock()
				errs <- r.AddSignature(root.Signature{KeyID: id, Value: value}, nil)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(r.Signatures()); n != len(signers) {
		t.Errorf("%d signatures, want %d", n, len(signers))
	}
}

// TestSignKeepsFileReadable: a root parsed with the most signature entries
// Parse accepts (placeholders under other key IDs, as some tools write)
// must not be turned by Sign or AddSignature into a file Parse refuses.
func TestSignKeepsFileReadable(t *testing.T) {
	f := newFixture(t)
	out, err := f.r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	tree := map[string]any{}
	if err := json.Unmarshal(out, &tree); err != nil {
		t.Fatal(err)
	}
	var sigs []any
	for i := range root.MaxSignatures {
		sigs = append(sigs, map[string]any{"keyid": fmt.Sprintf("placeholder-%03d", i), "sig": ""})
	}
	tree["signatures"] = sigs
	full, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	r, err := root.Parse(full)
	if err != nil {
		t.Fatalf("the full root does not parse: %v", err)
	}
	_, signErr := r.Sign(context.Background(), mustSigner(t, f.privs[0]), nil)
	data, err := r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.Parse(data); err != nil {
		t.Fatalf("after Sign (error %v) the root's file no longer parses: %v", signErr, err)
	}
	if signErr == nil {
		t.Fatal("Sign added a signature past the bound without an error")
	}
	// A detached signature that verifies is refused the same way.
	alice, err := root.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	detached := f.sign(t, alice, 0, nil)
	if err := r.AddSignature(detached[0], nil); err == nil {
		t.Fatal("AddSignature added a signature past the bound without an error")
	}
	if n := len(r.Signatures()); n != root.MaxSignatures {
		t.Fatalf("%d signatures, want %d", n, root.MaxSignatures)
	}
}

package root_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/root"
)

// editFile decodes r's file form, lets edit change it, drops the
// signatures and parses the result.
func editFile(t *testing.T, r *root.Root, edit func(signed map[string]any)) *root.Root {
	t.Helper()
	data, err := r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	v, err := cjson.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	top := v.(map[string]any)
	edit(top["signed"].(map[string]any))
	top["signatures"] = []any{}
	out, err := cjson.EncodePretty(top)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := root.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// renameKey lists the key under from as to, in keys and in every role.
func renameKey(from, to root.KeyID) func(map[string]any) {
	return func(signed map[string]any) {
		keys := signed["keys"].(map[string]any)
		keys[string(to)] = keys[string(from)]
		delete(keys, string(from))
		for _, o := range signed["roles"].(map[string]any) {
			ids := o.(map[string]any)["keyids"].([]any)
			for i, id := range ids {
				if id == string(from) {
					ids[i] = string(to)
				}
			}
		}
	}
}

// setPrivate sets keyval.private of the key listed under id.
func setPrivate(id root.KeyID, v any) func(map[string]any) {
	return func(signed map[string]any) {
		k := signed["keys"].(map[string]any)[string(id)].(map[string]any)
		k["keyval"].(map[string]any)["private"] = v
	}
}

func TestLintPrivateKeyPublished(t *testing.T) {
	f := newFixture(t)
	now := expiry.AddDate(0, -6, 0)
	leaked := editFile(t, f.r, setPrivate(f.keys[1].ID(), "-----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY-----\n"))
	got := codes(root.Lint(leaked, root.LintOptions{Now: now}))
	if !slices.Contains(got, root.LintPrivateKeyPublished) {
		t.Fatalf("Lint of a root publishing a private key = %v, want %s", got, root.LintPrivateKeyPublished)
	}
	for _, w := range root.Lint(leaked, root.LintOptions{Now: now}) {
		if w.Code == root.LintPrivateKeyPublished && !strings.Contains(w.Message, string(f.keys[1].ID()[:16])) {
			t.Fatalf("warning %q does not name the key", w.Message)
		}
	}
	// An empty private value (as some tools write) is no leak.
	for _, v := range []any{"", nil} {
		empty := editFile(t, f.r, setPrivate(f.keys[1].ID(), v))
		if got := codes(root.Lint(empty, root.LintOptions{Now: now})); slices.Contains(got, root.LintPrivateKeyPublished) {
			t.Fatalf("Lint with keyval.private = %#v warns %v", v, got)
		}
	}
}

// TestNoPrivateKeyWritten: keys NewKey builds carry no keyval.private, and
// New and Next refuse to write a key that does.
func TestNoPrivateKeyWritten(t *testing.T) {
	f := newFixture(t)
	data, err := f.r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := cjson.Decode(data)
	for id, k := range v.(map[string]any)["signed"].(map[string]any)["keys"].(map[string]any) {
		kv := k.(map[string]any)["keyval"].(map[string]any)
		if _, ok := kv["private"]; ok || len(kv) != 1 {
			t.Fatalf("key %s written with keyval %v, want only public", id, kv)
		}
	}

	leakedID := f.keys[1].ID()
	leaked := editFile(t, f.r, setPrivate(leakedID, "secret"))
	lk, _ := leaked.Key(leakedID)
	online := mustKey(t, p256("online").Public(), "")
	keys := slices.Clone(f.keys)
	keys[1] = lk
	if _, err := root.New(root.Policy{Roles: rolesOf(keys, 3, online), Expires: expiry}); !errors.Is(err, root.ErrInvalidPolicy) {
		t.Fatalf("New with a key publishing its private key: err = %v, want ErrInvalidPolicy", err)
	}
	// Keeping the key in N+1 is refused; rotating it out works.
	if _, err := leaked.Next(root.Rotation{Expires: expiry}); !errors.Is(err, root.ErrInvalidPolicy) {
		t.Fatalf("Next keeping a key publishing its private key: err = %v, want ErrInvalidPolicy", err)
	}
	repl := mustKey(t, p256("bob-new").Public(), "bob")
	rot := root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{
		root.RoleRoot:    {Remove: []root.KeyID{leakedID}, Add: []root.Key{repl}},
		root.RoleTargets: {Remove: []root.KeyID{leakedID}, Add: []root.Key{repl}},
	}}
	if _, err := leaked.Next(rot); err != nil {
		t.Fatalf("Next rotating the leaked key out: %v", err)
	}
}

// collision returns a key listed under alice's key ID whose public key is
// mallory's, as only a file can hold it.
func collision(t *testing.T, f *fixture) root.Key {
	t.Helper()
	online := mustKey(t, p256("online").Public(), "")
	mk := mustKey(t, p256("mallory").Public(), "mallory")
	keys := slices.Clone(f.keys)
	keys[0] = mk
	r, err := root.New(root.Policy{Roles: rolesOf(keys, 3, online), Expires: expiry})
	if err != nil {
		t.Fatal(err)
	}
	forged, ok := editFile(t, r, renameKey(mk.ID(), f.keys[0].ID())).Key(f.keys[0].ID())
	if !ok || forged.Fingerprint() == f.keys[0].Fingerprint() {
		t.Fatal("no colliding key")
	}
	return forged
}

func TestNextRefusesKeyIDReuse(t *testing.T) {
	f := newFixture(t)
	forged := collision(t, f)
	alice := f.keys[0].ID()
	rot := root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{
		root.RoleRoot:    {Remove: []root.KeyID{alice}, Add: []root.Key{forged}},
		root.RoleTargets: {Remove: []root.KeyID{alice}},
	}}
	_, err := f.r.Next(rot)
	var pe *root.PolicyError
	if !errors.Is(err, root.ErrInvalidPolicy) || !errors.As(err, &pe) || pe.KeyID != alice {
		t.Fatalf("Next adding another key under a key ID v1 uses: err = %v, want a PolicyError for %s", err, alice)
	}
	// The same key under its own ID again is fine (re-adding alice).
	back := root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{
		root.RoleRoot: {Remove: []root.KeyID{alice}, Add: []root.Key{f.keys[0]}},
	}}
	if _, err := f.r.Next(back); err != nil {
		t.Fatalf("Next re-adding the same key: %v", err)
	}
}

// TestSignRefusesKeyIDReuse: when a key ID means one key in N and another
// in N+1, one signature entry cannot serve both, so Sign and AddSignature
// refuse instead of letting the last signer overwrite the other's entry.
func TestSignRefusesKeyIDReuse(t *testing.T) {
	f := newFixture(t)
	alice := f.keys[0].ID()
	mk := mustKey(t, p256("mallory").Public(), "mallory")
	rot := root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{
		root.RoleRoot: {Remove: []root.KeyID{alice}, Add: []root.Key{mk}},
	}}
	n1, err := f.r.Next(rot)
	if err != nil {
		t.Fatal(err)
	}
	next := editFile(t, n1, renameKey(mk.ID(), alice))
	mallory := mustSigner(t, p256("mallory"))

	counted := &countingSigner{inner: mallory}
	if _, err := next.Sign(context.Background(), counted, f.r); !errors.Is(err, root.ErrInvalidPolicy) {
		t.Fatalf("Sign by N+1's key under a key ID N uses for another key: err = %v, want ErrInvalidPolicy", err)
	}
	if counted.calls != 0 {
		t.Fatalf("the token was asked to sign %d times for a refused signature", counted.calls)
	}
	if _, err := next.Sign(context.Background(), mustSigner(t, f.privs[0]), f.r); !errors.Is(err, root.ErrInvalidPolicy) {
		t.Fatalf("Sign by N's key under a key ID N+1 uses for another key: err = %v, want ErrInvalidPolicy", err)
	}
	if len(next.Signatures()) != 0 {
		t.Fatalf("refused signing left signatures %v", next.Signatures())
	}
	sig, err := mallory.Sign(context.Background(), next.SigningPayload())
	if err != nil {
		t.Fatal(err)
	}
	if err := next.AddSignature(root.Signature{KeyID: alice, Value: sig}, f.r); !errors.Is(err, root.ErrInvalidPolicy) {
		t.Fatalf("AddSignature under a key ID meaning two keys: err = %v, want ErrInvalidPolicy", err)
	}
	// Without prev there is no conflict to see.
	if err := next.AddSignature(root.Signature{KeyID: alice, Value: sig}, nil); err != nil {
		t.Fatalf("AddSignature without prev: %v", err)
	}
}

// TestParseRefusesNegativeZero: a root holding -0 in a custom field is
// refused, since python-tuf would sign it as 0.
func TestParseRefusesNegativeZero(t *testing.T) {
	f := newFixture(t)
	data, err := f.r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), `"_type": "root",`, `"_type": "root", "x-n": -0,`, 1)
	if bad == string(data) {
		t.Fatal("no edit")
	}
	if _, err := root.Parse([]byte(bad)); !errors.Is(err, root.ErrMalformed) || !strings.Contains(err.Error(), "-0") {
		t.Fatalf("Parse of a root with -0: err = %v, want ErrMalformed naming -0", err)
	}
}

package root_test

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/root"
)

func rolesOf(keys []root.Key, thr int, online root.Key) map[root.Role]root.RolePolicy {
	return map[root.Role]root.RolePolicy{
		root.RoleRoot:      {Keys: keys, Threshold: thr},
		root.RoleTargets:   {Keys: keys, Threshold: thr},
		root.RoleSnapshot:  {Keys: []root.Key{online}, Threshold: 1},
		root.RoleTimestamp: {Keys: []root.Key{online}, Threshold: 1},
	}
}

func TestNewRejects(t *testing.T) {
	f := newFixture(t)
	online := mustKey(t, p256("online").Public(), "")
	sameAsAlice := mustKey(t, f.privs[0].Public(), "alice-again") // same public key, other ID
	cases := map[string]struct {
		policy root.Policy
		role   root.Role
		want   string
	}{
		"threshold 0":     {root.Policy{Roles: rolesOf(f.keys, 0, online), Expires: expiry}, root.RoleRoot, "below 1"},
		"threshold above": {root.Policy{Roles: rolesOf(f.keys, 6, online), Expires: expiry}, root.RoleRoot, "more than the role's 5 keys"},
		"unknown role": {root.Policy{Roles: func() map[root.Role]root.RolePolicy {
			m := rolesOf(f.keys, 3, online)
			m["mirror"] = root.RolePolicy{Keys: f.keys[:1], Threshold: 1}
			return m
		}(), Expires: expiry}, "mirror", "unknown role"},
		"missing role": {root.Policy{Roles: func() map[root.Role]root.RolePolicy {
			m := rolesOf(f.keys, 3, online)
			delete(m, root.RoleSnapshot)
			return m
		}(), Expires: expiry}, root.RoleSnapshot, "missing"},
		"same key twice": {root.Policy{Roles: rolesOf(append(f.keys[:4:4], sameAsAlice), 3, online), Expires: expiry}, root.RoleRoot, "same public key"},
		"same key across roles": {root.Policy{Roles: func() map[root.Role]root.RolePolicy {
			m := rolesOf(f.keys, 3, online)
			m[root.RoleTimestamp] = root.RolePolicy{Keys: []root.Key{sameAsAlice}, Threshold: 1}
			return m
		}(), Expires: expiry}, root.RoleTimestamp, "same public key"},
		"key listed twice": {root.Policy{Roles: rolesOf(append(f.keys[:4:4], f.keys[0]), 3, online), Expires: expiry}, root.RoleRoot, "twice"},
		"zero key":         {root.Policy{Roles: rolesOf([]root.Key{{}}, 1, online), Expires: expiry}, root.RoleRoot, "zero Key"},
		"no keys":          {root.Policy{Roles: rolesOf(nil, 1, online), Expires: expiry}, root.RoleRoot, "no keys"},
		"no expiry":        {root.Policy{Roles: rolesOf(f.keys, 3, online)}, "", "Expires"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := root.New(c.policy)
			if !errors.Is(err, root.ErrInvalidPolicy) {
				t.Fatalf("New = %v, want ErrInvalidPolicy", err)
			}
			var pe *root.PolicyError
			if !errors.As(err, &pe) || pe.Role != c.role {
				t.Fatalf("error %v: want a *PolicyError for role %q", err, c.role)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "root: ") {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestNewBuildsVersion1(t *testing.T) {
	f := newFixture(t)
	r := f.r
	if r.Version() != 1 || r.SpecVersion() != "1.0.31" || !r.ConsistentSnapshot() {
		t.Fatalf("version %d spec %q cs %v", r.Version(), r.SpecVersion(), r.ConsistentSnapshot())
	}
	if !r.Expires().Equal(expiry) {
		t.Fatalf("Expires = %v", r.Expires())
	}
	rk, ok := r.Role(root.RoleRoot)
	if !ok || rk.Threshold != 3 || len(rk.Keys) != 5 {
		t.Fatalf("root role %+v", rk)
	}
	if len(r.Keys()) != 6 {
		t.Fatalf("%d keys, want 6 (5 offline + 1 shared online)", len(r.Keys()))
	}
	for i, rkey := range rk.Keys {
		id := rkey.ID()
		if id != f.keys[i].ID() {
			t.Fatal("root role keys are not in policy order")
		}
		k, ok := r.Key(id)
		if !ok || !k.IDMatchesContent() || k.Holder() != f.holders[i] {
			t.Fatalf("key %s: ok=%v matches=%v holder=%q", id, ok, k.IDMatchesContent(), k.Holder())
		}
	}
	if len(r.Signatures()) != 0 {
		t.Fatal("a new root has signatures")
	}
	if _, ok := r.Role("mirror"); ok {
		t.Fatal("Role accepted an unknown role")
	}
}

func TestExpiresNormalised(t *testing.T) {
	f := newFixture(t)
	loc := time.FixedZone("X", -6*3600)
	exp := time.Date(2030, 3, 4, 5, 6, 7, 987654321, loc)
	r, err := root.New(root.Policy{Roles: rolesOf(f.keys, 3, f.keys[0]), Expires: exp})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(r.SigningPayload(), []byte(`"expires":"2030-03-04T11:06:07Z"`)) {
		t.Fatalf("expires not UTC whole seconds: %s", r.SigningPayload())
	}
	if !r.Expires().Equal(exp.Truncate(time.Second)) || r.Expires().Location() != time.UTC {
		t.Fatalf("Expires() = %v", r.Expires())
	}
	n, err := r.Next(root.Rotation{Expires: exp.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(n.SigningPayload(), []byte(`"expires":"2030-03-05T11:06:07Z"`)) {
		t.Fatalf("Next expires not UTC whole seconds: %s", n.SigningPayload())
	}
}

func TestKeyTypes(t *testing.T) {
	privs := []struct {
		name       string
		priv       crypto.Signer
		kt, scheme string
	}{
		{"p256", p256("k1"), "ecdsa", "ecdsa-sha2-nistp256"},
		{"p384", p384("k2"), "ecdsa", "ecdsa-sha2-nistp384"},
		{"ed25519", ed("k3"), "ed25519", "ed25519"},
		{"rsa", rsaKey(t), "rsa", "rsassa-pss-sha256"},
	}
	var keys []root.Key
	for _, p := range privs {
		k := mustKey(t, p.priv.Public(), p.name)
		if k.Type() != p.kt || k.Scheme() != p.scheme {
			t.Fatalf("%s: %s/%s", p.name, k.Type(), k.Scheme())
		}
		keys = append(keys, k)
	}
	r, err := root.New(root.Policy{Roles: rolesOf(keys, 4, keys[0]), Expires: expiry})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := r.MarshalFile()
	r, err = root.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range privs {
		sigs, err := r.Sign(t.Context(), mustSigner(t, p.priv), nil)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if len(sigs) != 1 || sigs[0].KeyID != keys[i].ID() {
			t.Fatalf("%s: signatures %v", p.name, sigs)
		}
		k, _ := r.Key(keys[i].ID())
		if err := k.Verify(r.SigningPayload(), sigs[0].Value); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
	}
	if len(r.Signatures()) != 4 {
		t.Fatalf("%d signatures", len(r.Signatures()))
	}
}

func TestAnnotations(t *testing.T) {
	pub := p256("annot").Public()
	a, err := root.NewKey(pub, root.KeyOptions{Holder: "Alice Example", Serial: "18158855"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := root.NewKey(pub, root.KeyOptions{Holder: "Alice Example"})
	c, _ := root.NewKey(pub, root.KeyOptions{})
	if a.ID() == b.ID() || b.ID() == c.ID() || a.ID() == c.ID() {
		t.Fatal("annotations are not part of the key ID")
	}
	if a.Fingerprint() != c.Fingerprint() {
		t.Fatal("annotations changed the fingerprint")
	}
	if a.Holder() != "Alice Example" || a.Serial() != "18158855" || c.Holder() != "" {
		t.Fatalf("holder %q serial %q", a.Holder(), a.Serial())
	}
	if _, err := root.NewKey(pub, root.KeyOptions{Holder: strings.Repeat("x", 300)}); !errors.Is(err, root.ErrInvalidKey) {
		t.Fatalf("long holder: %v", err)
	}
	online := mustKey(t, p256("o").Public(), "")
	r, err := root.New(root.Policy{Roles: rolesOf([]root.Key{a}, 1, online), Expires: expiry})
	if err != nil {
		t.Fatal(err)
	}
	tree := signedTree(t, r)
	k := tree["keys"].(map[string]any)[string(a.ID())].(map[string]any)
	if k[root.FieldHolder] != "Alice Example" || k[root.FieldSerial] != "18158855" {
		t.Fatalf("annotations not stored as custom fields: %v", k)
	}
	// Through a file round trip and a rotation.
	out, _ := r.MarshalFile()
	r2, err := root.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	n, err := r2.Next(root.Rotation{Expires: expiry.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []*root.Root{r2, n} {
		k, ok := x.Key(a.ID())
		if !ok || k.Holder() != "Alice Example" || k.Serial() != "18158855" || !k.IDMatchesContent() {
			t.Fatalf("v%d: annotations lost: ok=%v %q %q", x.Version(), ok, k.Holder(), k.Serial())
		}
	}
}

func TestNext(t *testing.T) {
	f := newFixture(t)
	f.sign(t, f.r, 0, nil)
	frank := mustKey(t, p256("frank").Public(), "frank")
	n, err := f.r.Next(root.Rotation{
		Expires: expiry.AddDate(0, 6, 0),
		Roles: map[root.Role]root.RoleChange{
			root.RoleRoot:    {Remove: []root.KeyID{f.keys[4].ID()}, Add: []root.Key{frank}, Threshold: 3},
			root.RoleTargets: {Remove: []root.KeyID{f.keys[4].ID()}, Add: []root.Key{frank}, Threshold: 2},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.Version() != 2 || len(n.Signatures()) != 0 || !n.Expires().Equal(expiry.AddDate(0, 6, 0)) {
		t.Fatalf("v%d sigs %d expires %v", n.Version(), len(n.Signatures()), n.Expires())
	}
	if f.r.Version() != 1 || len(f.r.Signatures()) != 1 {
		t.Fatal("Next modified its receiver")
	}
	rk, _ := n.Role(root.RoleRoot)
	tk, _ := n.Role(root.RoleTargets)
	if rk.Threshold != 3 || tk.Threshold != 2 || len(rk.Keys) != 5 || rk.Keys[4].ID() != frank.ID() {
		t.Fatalf("roles: %+v %+v", rk, tk)
	}
	if _, ok := n.Key(f.keys[4].ID()); ok {
		t.Fatal("a key no role uses was kept")
	}
	if _, ok := n.Key(frank.ID()); !ok {
		t.Fatal("added key missing from keys")
	}
	reqs := n.Requirements(f.r)
	if len(reqs) != 2 || reqs[0].Version != 1 || reqs[1].Version != 2 || reqs[0].Threshold != 3 || reqs[1].Threshold != 3 {
		t.Fatalf("requirements %+v", reqs)
	}
	if reqs[0].Keys[4].ID() != f.keys[4].ID() || reqs[1].Keys[4].ID() != frank.ID() {
		t.Fatal("requirements list the wrong keys")
	}
	if reqs[0].Name != "root v1 (previous)" || reqs[1].Name != "root v2 (own)" {
		t.Fatalf("requirement names %q, %q", reqs[0].Name, reqs[1].Name)
	}
	if r1 := f.r.Requirements(nil); len(r1) != 1 || r1[0].Name != "root v1 (own)" {
		t.Fatalf("v1 requirements %+v", r1)
	}

	bad := map[string]struct {
		rot  root.Rotation
		want string
	}{
		"no expiry":       {root.Rotation{}, "Expires"},
		"unknown role":    {root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{"mirror": {}}}, "unknown role"},
		"remove unlisted": {root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{root.RoleRoot: {Remove: []root.KeyID{frank.ID()}}}}, "does not list"},
		"threshold above": {root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{root.RoleRoot: {Threshold: 6}}}, "more than"},
		"negative":        {root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{root.RoleRoot: {Threshold: -1}}}, "below 1"},
		"remove all":      {root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{root.RoleSnapshot: {Remove: []root.KeyID{n.Keys()[0].ID()}}}}, ""},
		"too few":         {root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{root.RoleRoot: {Remove: []root.KeyID{f.keys[0].ID(), f.keys[1].ID(), f.keys[2].ID()}}}}, "more than the role's 2 keys"},
		"add duplicate":   {root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{root.RoleRoot: {Add: []root.Key{f.keys[0]}}}}, "already lists"},
		"same key new id": {root.Rotation{Expires: expiry, Roles: map[root.Role]root.RoleChange{root.RoleRoot: {Add: []root.Key{mustKey(t, f.privs[0].Public(), "alice2")}}}}, "same public key"},
	}
	for name, c := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := f.r.Next(c.rot)
			if !errors.Is(err, root.ErrInvalidPolicy) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Next = %v, want ErrInvalidPolicy mentioning %q", err, c.want)
			}
		})
	}
}

func TestNextKeepsCustomFields(t *testing.T) {
	v15 := parseFile(t, "prod", "15.root.json")
	n, err := v15.Next(root.Rotation{Expires: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	old, got := signedTree(t, v15), signedTree(t, n)
	for _, field := range []string{"x-tuf-on-ci-expiry-period", "x-tuf-on-ci-signing-period", "spec_version", "keys"} {
		c1, _ := json.Marshal(old[field])
		c2, _ := json.Marshal(got[field])
		if old[field] == nil || !bytes.Equal(c1, c2) {
			t.Errorf("field %s: %s -> %s", field, c1, c2)
		}
	}
	ts1, _ := json.Marshal(old["roles"].(map[string]any)["timestamp"])
	ts2, _ := json.Marshal(got["roles"].(map[string]any)["timestamp"])
	if !bytes.Equal(ts1, ts2) || !bytes.Contains(ts2, []byte("x-tuf-on-ci-expiry-period")) {
		t.Errorf("role custom fields lost: %s -> %s", ts1, ts2)
	}
	if n.Version() != 16 || got["expires"] != "2027-05-01T00:00:00Z" {
		t.Errorf("v%d expires %v", n.Version(), got["expires"])
	}
}

// TestNextOnSigstoreRoots rotates every real root without changes: the
// result must be valid and keep every role.
func TestNextOnSigstoreRoots(t *testing.T) {
	for _, f := range sigstoreFiles(t) {
		r, err := root.Parse(readFile(t, f))
		if err != nil {
			t.Fatal(err)
		}
		n, err := r.Next(root.Rotation{Expires: expiry})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, role := range root.TopLevelRoles() {
			a, _ := r.Role(role)
			b, _ := n.Role(role)
			if a.Threshold != b.Threshold || len(a.Keys) != len(b.Keys) {
				t.Fatalf("%s: role %s changed", f, role)
			}
		}
	}
}

func TestNextVersionOverflow(t *testing.T) {
	f := newFixture(t)
	out, _ := f.r.MarshalFile()
	big := mutate(t, out, func(m map[string]any) {
		// 2^53: the last version every client reads exactly.
		signedOf(m)["version"] = json.Number("9007199254740992")
	})
	r, err := root.Parse(big)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version() != 1<<53 {
		t.Fatalf("version %d", r.Version())
	}
	if _, err := r.Next(root.Rotation{Expires: expiry}); !errors.Is(err, root.ErrInvalidPolicy) {
		t.Fatalf("Next at the version bound: %v", err)
	}
	for _, v := range []string{"9007199254740993", "9223372036854775807", "9223372036854775808"} {
		huge := bytes.Replace(out, []byte(`"version": 1`), []byte(`"version": `+v), 1)
		if _, err := root.Parse(huge); !errors.Is(err, root.ErrMalformed) {
			t.Fatalf("version %s: %v", v, err)
		}
	}
}

// TestBuiltRootIsCanonical: the payload of a built root is the canonical
// form of what MarshalFile writes.
func TestBuiltRootIsCanonical(t *testing.T) {
	f := newFixture(t)
	out, _ := f.r.MarshalFile()
	v, err := cjson.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cjson.EncodeCanonical(v.(map[string]any)["signed"])
	if !bytes.Equal(c, f.r.SigningPayload()) {
		t.Fatal("payload differs from the file's signed object")
	}
}

// signedTree returns r's signed object as a generic tree, read back from
// the file form.
func signedTree(t *testing.T, r *root.Root) map[string]any {
	t.Helper()
	out, err := r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	v, err := cjson.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)["signed"].(map[string]any)
}

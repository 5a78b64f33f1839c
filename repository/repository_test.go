package repository_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/verify"
)

var (
	now     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	expires = now.AddDate(0, 1, 0)
)

func key(t *testing.T, s signer.Signer, holder string) root.Key {
	t.Helper()
	k, err := root.NewKey(s.Public(), root.KeyOptions{Holder: holder})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fixture is a signed root with distinct targets and online keys.
type fixture struct {
	root           *root.Root
	rootData       []byte
	holder, online *fake.Signer
	targetsKeys    []root.Key
	onlineKeys     []root.Key
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{holder: fake.New("alice"), online: fake.New("online")}
	hk, ok := key(t, f.holder, "alice"), key(t, f.online, "online")
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
		t.Fatal(err)
	}
	if _, err := r.Sign(context.Background(), f.holder, nil); err != nil {
		t.Fatal(err)
	}
	if f.rootData, err = r.MarshalFile(); err != nil {
		t.Fatal(err)
	}
	f.root = r
	tk, _ := r.Role(root.RoleTargets)
	sk, _ := r.Role(root.RoleSnapshot)
	f.targetsKeys, f.onlineKeys = tk.Keys, sk.Keys
	return f
}

// release signs snapshot and timestamp over the given targets and returns
// every file, the root included.
func (f *fixture) release(t *testing.T, version int64, targets []*repository.Targets, extra ...repository.File) fstest.MapFS {
	t.Helper()
	ctx := context.Background()
	snap, err := repository.NewSnapshot(version, expires, targets...)
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.Sign(ctx, f.online, f.onlineKeys); err != nil {
		t.Fatal(err)
	}
	ts, err := repository.NewTimestamp(version, expires, snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Sign(ctx, f.online, f.onlineKeys); err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"1.root.json": {Data: f.rootData}}
	add := func(file repository.File, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		fsys[file.Name] = &fstest.MapFile{Data: file.Data}
	}
	for _, tg := range targets {
		add(tg.File())
	}
	add(snap.File())
	add(ts.File())
	for _, e := range extra {
		add(e, nil)
	}
	return fsys
}

func TestInvalidInput(t *testing.T) {
	mk := func(t *testing.T) *repository.Targets {
		tg, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	k := key(t, fake.New("bob"), "bob")
	k2 := key(t, fake.New("carol"), "carol")
	tests := []struct {
		name string
		do   func(t *testing.T) error
		msg  string
	}{
		{"version 0", func(t *testing.T) error { _, err := repository.NewTargets("targets", 0, expires); return err }, "version 0"},
		{"no expiry", func(t *testing.T) error { _, err := repository.NewTargets("targets", 1, time.Time{}); return err }, "expiry"},
		{"role root", func(t *testing.T) error { _, err := repository.NewTargets("root", 1, expires); return err }, `"root"`},
		{"role with slash", func(t *testing.T) error { _, err := repository.NewTargets("a/b", 1, expires); return err }, `"a/b"`},
		{"role dotdot", func(t *testing.T) error { _, err := repository.NewTargets("..", 1, expires); return err }, `".."`},
		{"target ../x", func(t *testing.T) error { _, err := mk(t).AddTarget("../x", nil, nil); return err }, `"../x"`},
		{"target /x", func(t *testing.T) error { _, err := mk(t).AddTarget("/x", nil, nil); return err }, `"/x"`},
		{"target a//b", func(t *testing.T) error { _, err := mk(t).AddTarget("a//b", nil, nil); return err }, `"a//b"`},
		{"target backslash", func(t *testing.T) error { _, err := mk(t).AddTarget(`a\b`, nil, nil); return err }, `a\\b`},
		{"target empty", func(t *testing.T) error { _, err := mk(t).AddTarget("", nil, nil); return err }, `""`},
		{"target dot", func(t *testing.T) error { _, err := mk(t).AddTarget(".", nil, nil); return err }, `"."`},
		{"custom not object", func(t *testing.T) error {
			_, err := mk(t).AddTarget("x", nil, json.RawMessage(`[1]`))
			return err
		}, "not a JSON object"},
		{"custom duplicate key", func(t *testing.T) error {
			_, err := mk(t).AddTarget("x", nil, json.RawMessage(`{"a":1,"a":2}`))
			return err
		}, "custom metadata"},
		{"custom float", func(t *testing.T) error {
			_, err := mk(t).AddTarget("x", nil, json.RawMessage(`{"a":1.5}`))
			return err
		}, "custom metadata"},
		{"custom too big", func(t *testing.T) error {
			_, err := mk(t).AddTarget("x", nil, json.RawMessage(`{"a":"`+strings.Repeat("x", repository.MaxCustomSize)+`"}`))
			return err
		}, "more than"},
		{"threshold above keys", func(t *testing.T) error {
			return mk(t).Delegate(repository.Delegation{Name: "team", Keys: []root.Key{k}, Threshold: 2, Paths: []string{"*"}})
		}, "threshold 2"},
		{"threshold 0", func(t *testing.T) error {
			return mk(t).Delegate(repository.Delegation{Name: "team", Keys: []root.Key{k}, Paths: []string{"*"}})
		}, "threshold"},
		{"key twice", func(t *testing.T) error {
			return mk(t).Delegate(repository.Delegation{Name: "team", Keys: []root.Key{k, k}, Threshold: 1, Paths: []string{"*"}})
		}, "twice"},
		{"no paths", func(t *testing.T) error {
			return mk(t).Delegate(repository.Delegation{Name: "team", Keys: []root.Key{k, k2}, Threshold: 1})
		}, "path"},
		{"delegate to snapshot", func(t *testing.T) error {
			return mk(t).Delegate(repository.Delegation{Name: "snapshot", Keys: []root.Key{k}, Threshold: 1, Paths: []string{"*"}})
		}, `"snapshot"`},
		{"zero key", func(t *testing.T) error {
			return mk(t).Delegate(repository.Delegation{Name: "team", Keys: []root.Key{{}}, Threshold: 1, Paths: []string{"*"}})
		}, "zero Key"},
		{"set custom of a missing target", func(t *testing.T) error { return mk(t).SetCustom("nope", nil) }, `"nope"`},
		{"snapshot without top-level targets", func(t *testing.T) error {
			d, err := repository.NewTargets("team", 1, expires)
			if err != nil {
				t.Fatal(err)
			}
			_, err = repository.NewSnapshot(1, expires, d)
			return err
		}, "top-level"},
		{"snapshot role twice", func(t *testing.T) error {
			tg := mk(t)
			_, err := repository.NewSnapshot(1, expires, tg, tg)
			return err
		}, "twice"},
		{"timestamp version 0", func(t *testing.T) error {
			_, err := repository.NewTimestamp(0, expires, nil)
			return err
		}, "version 0"},
		{"set version 0", func(t *testing.T) error { return mk(t).SetVersion(0, expires) }, "version 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do(t)
			if !errors.Is(err, repository.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.HasPrefix(err.Error(), "repository: ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want a repository: error naming %q", err, tc.msg)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tg, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	clean, err := tg.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	stranger := fake.New("mallory")
	wrongPIN := fake.New("alice")
	wrongPIN.FailNext(1, &signer.PINError{Retries: 2})
	wrongKey := fake.New("alice")
	wrongKey.SetFault(fake.WrongKey)
	tests := []struct {
		name  string
		s     signer.Signer
		want  error
		keyID bool
		calls func() int
	}{
		{"not a key of the role", stranger, signer.ErrWrongKey, false, stranger.Calls},
		{"online key signs targets", f.online, signer.ErrWrongKey, false, f.online.Calls},
		{"wrong PIN", wrongPIN, signer.ErrWrongPIN, true, wrongPIN.Calls},
		{"signs with another key", wrongKey, root.ErrBadSignature, true, wrongKey.Calls},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.calls()
			err := tg.Sign(ctx, tc.s, f.targetsKeys)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var se *root.SignatureError
			if !errors.As(err, &se) || se.Role != "targets" || (se.KeyID != "") != tc.keyID {
				t.Fatalf("err = %#v, want a *root.SignatureError for targets (key ID given: %v)", err, tc.keyID)
			}
			if !tc.keyID && tc.calls() != before {
				t.Error("a signer whose key is not the role's was asked to sign")
			}
			got, err := tg.MarshalFile()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, clean) {
				t.Errorf("a failed signature changed the file:\n%s", got)
			}
		})
	}
}

func TestSignaturesDroppedOnChangeAndReplaced(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tg, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	sigCount := func() int {
		data, err := tg.MarshalFile()
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Signatures []json.RawMessage }
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		return len(doc.Signatures)
	}
	for i := 0; i < 2; i++ {
		if err := tg.Sign(ctx, f.holder, f.targetsKeys); err != nil {
			t.Fatal(err)
		}
	}
	if n := sigCount(); n != 1 {
		t.Fatalf("signing twice with one key gave %d signatures, want 1", n)
	}
	changes := map[string]func() error{
		"AddTarget":  func() error { _, err := tg.AddTarget("a", []byte("a"), nil); return err },
		"SetVersion": func() error { return tg.SetVersion(2, expires) },
		"SetCustom":  func() error { return tg.SetCustom("a", json.RawMessage(`{"x":1}`)) },
		"RemoveTarget": func() error {
			if !tg.RemoveTarget("a") {
				t.Error("RemoveTarget did not find a")
			}
			return nil
		},
	}
	for _, name := range []string{"AddTarget", "SetVersion", "SetCustom", "RemoveTarget"} {
		if err := tg.Sign(ctx, f.holder, f.targetsKeys); err != nil {
			t.Fatal(err)
		}
		if err := changes[name](); err != nil {
			t.Fatal(err)
		}
		if n := sigCount(); n != 0 {
			t.Errorf("%s kept %d signatures", name, n)
		}
	}
}

func TestTimestampNeedsSignedSnapshot(t *testing.T) {
	tg, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := repository.NewSnapshot(1, expires, tg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repository.NewTimestamp(1, expires, snap); !errors.Is(err, repository.ErrInvalid) || !strings.Contains(err.Error(), "sign the snapshot") {
		t.Fatalf("err = %v, want ErrInvalid asking to sign the snapshot", err)
	}
}

func TestExpiryIsUTCWholeSeconds(t *testing.T) {
	loc := time.FixedZone("X", 5*3600)
	tg, err := repository.NewTargets(repository.TopLevelTargets, 3, time.Date(2027, 1, 2, 8, 4, 5, 999, loc))
	if err != nil {
		t.Fatal(err)
	}
	data, err := tg.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"expires": "2027-01-02T03:04:05Z"`)) || !bytes.Contains(data, []byte(`"version": 3`)) {
		t.Errorf("file:\n%s", data)
	}
	if tg.FileName() != "3.targets.json" || !tg.Expires().Equal(time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("FileName %s, Expires %v", tg.FileName(), tg.Expires())
	}
}

// TestRepository builds targets with a delegation, the delegated role's
// targets, snapshot and timestamp, checks them with verify.Repository and
// go-tuf's trusted metadata set, then publishes a second release edited
// from the parsed first.
func TestRepository(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	team := fake.New("team")
	teamKey := key(t, team, "team")

	tg, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := tg.AddTarget("fulcio.crt.pem", []byte("CA"), json.RawMessage(`{"sigstore": {"usage": "Fulcio", "status": "Active"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte("CA")); ca.Name != "targets/"+hex.EncodeToString(sum[:])+".fulcio.crt.pem" || string(ca.Data) != "CA" {
		t.Fatalf("target file %s", ca.Name)
	}
	if err := tg.Delegate(repository.Delegation{Name: "team", Keys: []root.Key{teamKey}, Threshold: 1, Paths: []string{"team/*"}, Terminating: true}); err != nil {
		t.Fatal(err)
	}
	if err := tg.Sign(ctx, f.holder, f.targetsKeys); err != nil {
		t.Fatal(err)
	}
	dt, err := repository.NewTargets("team", 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	tool, err := dt.AddTarget("team/tool.bin", []byte("tool"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tool.Name, "targets/team/") || !strings.HasSuffix(tool.Name, ".tool.bin") {
		t.Fatalf("delegated target file %s", tool.Name)
	}
	if err := dt.Sign(ctx, f.holder, []root.Key{teamKey}); !errors.Is(err, signer.ErrWrongKey) {
		t.Fatalf("the root's targets key signed a delegated role: %v", err)
	}
	if err := dt.Sign(ctx, team, []root.Key{teamKey}); err != nil {
		t.Fatal(err)
	}
	fsys := f.release(t, 1, []*repository.Targets{tg, dt}, ca, tool)

	repo, err := verify.Repository(f.root, fsys, nil, verify.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	load := verify.FSLoader(fsys)
	got, err := repo.Target("team/tool.bin", load)
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != "team" || got.Verify([]byte("tool")) != nil || got.Verify([]byte("tooL")) == nil {
		t.Errorf("delegated target %+v", got)
	}
	got, err = repo.Target("fulcio.crt.pem", load)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := cjson.Canonicalize(got.Custom); err != nil || string(c) != `{"sigstore":{"status":"Active","usage":"Fulcio"}}` {
		t.Errorf("custom %s", got.Custom)
	}
	if _, err := repo.Target("team/other", load); !errors.Is(err, verify.ErrTargetNotFound) {
		t.Errorf("team/other: %v", err)
	}

	// go-tuf's client checks the same files.
	tm, err := trustedmetadata.New(f.rootData)
	if err != nil {
		t.Fatal(err)
	}
	tm.RefTime = now
	if _, err := tm.UpdateTimestamp(fsys["timestamp.json"].Data); err != nil {
		t.Fatal("go-tuf timestamp:", err)
	}
	if _, err := tm.UpdateSnapshot(fsys["1.snapshot.json"].Data, false); err != nil {
		t.Fatal("go-tuf snapshot:", err)
	}
	if _, err := tm.UpdateTargets(fsys["1.targets.json"].Data); err != nil {
		t.Fatal("go-tuf targets:", err)
	}
	if _, err := tm.UpdateDelegatedTargets(fsys["1.team.json"].Data, "team", "targets"); err != nil {
		t.Fatal("go-tuf delegated:", err)
	}
	tf := tm.Targets["team"].Signed.Targets["team/tool.bin"]
	if tf == nil || tf.VerifyLengthHashes([]byte("tool")) != nil {
		t.Fatal("go-tuf does not find team/tool.bin with its hashes")
	}

	// The next release: parse, edit, re-sign.
	tg2, err := repository.ParseTargets(repository.TopLevelTargets, fsys["1.targets.json"].Data)
	if err != nil {
		t.Fatal(err)
	}
	again, err := tg2.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, fsys["1.targets.json"].Data) {
		t.Errorf("parse and marshal changed the file:\n%s\nwant\n%s", again, fsys["1.targets.json"].Data)
	}
	if !tg2.RemoveTarget("fulcio.crt.pem") || !tg2.RemoveDelegation("team") || tg2.RemoveDelegation("team") {
		t.Fatal("RemoveTarget/RemoveDelegation")
	}
	rekor, err := tg2.AddTarget("rekor.pub", []byte("LOG"), json.RawMessage(`{"sigstore":{"usage":"Rekor","status":"Active"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := tg2.SetVersion(2, expires); err != nil {
		t.Fatal(err)
	}
	if err := tg2.Sign(ctx, f.holder, f.targetsKeys); err != nil {
		t.Fatal(err)
	}
	// The snapshot keeps listing team: clients refuse a snapshot that
	// drops a role the previous one listed.
	fsys2 := f.release(t, 2, []*repository.Targets{tg2, dt}, rekor)
	repo2, err := verify.Repository(f.root, fsys2, ptr(repo.State()), verify.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	load2 := verify.FSLoader(fsys2)
	if _, err := repo2.Target("rekor.pub", load2); err != nil {
		t.Error(err)
	}
	for _, gone := range []string{"fulcio.crt.pem", "team/tool.bin"} {
		if _, err := repo2.Target(gone, load2); !errors.Is(err, verify.ErrTargetNotFound) {
			t.Errorf("%s after removal: %v", gone, err)
		}
	}
	if all := tg2.Targets(); len(all) != 1 || all[0].Path(true) != rekor.Name {
		t.Errorf("Targets = %v", all)
	}
}

func ptr[T any](v T) *T { return &v }

func TestParseTargetsStrict(t *testing.T) {
	f := newFixture(t)
	tg, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.AddTarget("a/b.txt", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	if err := tg.Sign(context.Background(), f.holder, f.targetsKeys); err != nil {
		t.Fatal(err)
	}
	good, err := tg.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][]byte{
		"duplicate key":   bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": 1, "version": 2`), 1),
		"dot-dot target":  bytes.Replace(good, []byte(`"a/b.txt"`), []byte(`"a/../b.txt"`), 1),
		"trailing data":   append(bytes.Clone(good), []byte("{}")...),
		"not targets":     bytes.Replace(good, []byte(`"_type": "targets"`), []byte(`"_type": "snapshot"`), 1),
		"empty":           nil,
		"too big":         bytes.Repeat([]byte(" "), 5<<20+1),
		"version 0":       bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": 0`), 1),
		"float in custom": bytes.Replace(good, []byte(`"length": 1`), []byte(`"length": 1.0`), 1),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if bytes.Equal(data, good) {
				t.Fatal("the mutation did not apply")
			}
			if _, err := repository.ParseTargets(repository.TopLevelTargets, data); !errors.Is(err, root.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	if _, err := repository.ParseTargets(repository.TopLevelTargets, good); err != nil {
		t.Fatal(err)
	}
}

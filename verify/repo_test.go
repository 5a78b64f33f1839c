package verify_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

var (
	repoRootKeys = keys(1, 2, 3)
	tsKey        = gen.Ed25519(50)
	snKey        = gen.Ed25519(51)
	tgKey        = gen.ECDSA(52)
	dKeyA        = gen.Ed25519(60)
	dKeyB        = gen.ECDSA(61)
	dKeyC        = gen.Ed25519(62)
)

// delegatedFile is a delegated role's metadata in a test repository.
type delegatedFile struct {
	name    string
	version int64
	expires time.Time
	targets map[string]any
	deleg   map[string]any
	signers []*gen.Key
}

// repoBuild describes a test repository; build writes it into a MapFS.
type repoBuild struct {
	consistent    bool
	rootSigners   []*gen.Key
	tsVersion     int64
	snVersion     int64
	tgVersion     int64
	tsExpires     time.Time
	snExpires     time.Time
	tgExpires     time.Time
	tsSigners     []*gen.Key
	snSigners     []*gen.Key
	tgSigners     []*gen.Key
	targets       map[string]any
	delegations   map[string]any
	delegated     []delegatedFile
	noMetaHashes  bool
	snapTgVersion int64 // version the snapshot names for targets.json; 0 = tgVersion
	tsSnVersion   int64 // version the timestamp names for the snapshot; 0 = snVersion
	extraRoots    [][]byte
}

func defaultRepo() repoBuild {
	return repoBuild{
		tsVersion: 1, snVersion: 1, tgVersion: 1,
		tsExpires: farAway, snExpires: farAway, tgExpires: farAway,
		rootSigners: repoRootKeys[:2],
		tsSigners:   []*gen.Key{tsKey}, snSigners: []*gen.Key{snKey}, tgSigners: []*gen.Key{tgKey},
		targets: map[string]any{
			"fulcio.crt.pem":     gen.Target([]byte("fulcio cert"), map[string]any{"sigstore": map[string]any{"usage": "Fulcio", "status": "Active"}}),
			"fulcio_old.crt.pem": gen.Target([]byte("old fulcio cert"), map[string]any{"sigstore": map[string]any{"usage": "Fulcio", "status": "Expired"}}),
			"rekor.pub":          gen.Target([]byte("rekor key"), map[string]any{"sigstore": map[string]any{"usage": "Rekor", "status": "Active"}}),
		},
	}
}

func repoRoles() map[string]gen.Role {
	return map[string]gen.Role{
		"root":      {Keys: repoRootKeys, Threshold: 2},
		"timestamp": {Keys: []*gen.Key{tsKey}, Threshold: 1},
		"snapshot":  {Keys: []*gen.Key{snKey}, Threshold: 1},
		"targets":   {Keys: []*gen.Key{tgKey}, Threshold: 1},
	}
}

func (b repoBuild) rootV1() []byte {
	return gen.Sign(gen.Root(1, farAway, b.consistent, repoRoles()), b.rootSigners...)
}

func (b repoBuild) build() fstest.MapFS {
	fsys := fstest.MapFS{}
	put := func(name string, data []byte) { fsys[name] = &fstest.MapFile{Data: data} }
	put("1.root.json", b.rootV1())
	for i, r := range b.extraRoots {
		put(strconv.Itoa(i+2)+".root.json", r)
	}
	metaData := func(data []byte) []byte {
		if b.noMetaHashes {
			return nil
		}
		return data
	}
	snapMeta := map[string]any{}
	tg := gen.Sign(gen.Targets(b.tgVersion, b.tgExpires, b.targets, b.delegations), b.tgSigners...)
	tgName := "targets.json"
	if b.consistent {
		tgName = fmt.Sprintf("%d.targets.json", b.tgVersion)
	}
	put(tgName, tg)
	snapTg := b.tgVersion
	if b.snapTgVersion != 0 {
		snapTg = b.snapTgVersion
	}
	snapMeta["targets.json"] = gen.Meta(snapTg, metaData(tg))
	for _, d := range b.delegated {
		f := gen.Sign(gen.Targets(d.version, d.expires, d.targets, d.deleg), d.signers...)
		name := d.name + ".json"
		if b.consistent {
			name = fmt.Sprintf("%d.%s", d.version, name)
		}
		put(name, f)
		snapMeta[d.name+".json"] = gen.Meta(d.version, metaData(f))
	}
	sn := gen.Sign(gen.Snapshot(b.snVersion, b.snExpires, snapMeta), b.snSigners...)
	snName := "snapshot.json"
	if b.consistent {
		snName = fmt.Sprintf("%d.snapshot.json", b.snVersion)
	}
	put(snName, sn)
	tsSn := b.snVersion
	if b.tsSnVersion != 0 {
		tsSn = b.tsSnVersion
	}
	put("timestamp.json", gen.Sign(gen.Timestamp(b.tsVersion, b.tsExpires, gen.Meta(tsSn, metaData(sn))), b.tsSigners...))
	return fsys
}

func openRepo(t *testing.T, b repoBuild, prev *verify.State, opts verify.Options) (*verify.Repo, verify.Loader, error) {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = t0
	}
	trusted := mustParse(t, b.rootV1())
	fsys := b.build()
	repo, err := verify.Repository(trusted, fsys, prev, opts)
	if (repo == nil) == (err == nil) {
		t.Fatalf("repo %v with error %v: exactly one must be nil", repo, err)
	}
	return repo, verify.FSLoader(fsys), err
}

// stateOf returns the state an update of b ends with.
func stateOf(t *testing.T, b repoBuild) *verify.State {
	t.Helper()
	repo, _, err := openRepo(t, b, nil, verify.Options{})
	if err != nil {
		t.Fatalf("building the previous state: %v", err)
	}
	st := repo.State()
	return &st
}

func TestRepository(t *testing.T) {
	past := t0.Add(-time.Hour)
	with := func(mod func(*repoBuild)) repoBuild {
		b := defaultRepo()
		mod(&b)
		return b
	}
	projects := delegatedFile{name: "projects", version: 1, expires: farAway, targets: map[string]any{}, signers: []*gen.Key{dKeyA}}
	projectsDeleg := gen.Delegations(gen.Delegated{Name: "projects", Keys: []*gen.Key{dKeyA}, Threshold: 1, Paths: []string{"projects/*"}})
	cases := []struct {
		name string
		mod  func(*repoBuild)
		prev func(t *testing.T) *verify.State
		want error // nil: verifies
	}{
		{"valid", func(b *repoBuild) {}, nil, nil},
		{"valid, consistent snapshots", func(b *repoBuild) { b.consistent = true; b.snVersion, b.tgVersion = 4, 7 }, nil, nil},
		{"valid without lengths and hashes", func(b *repoBuild) { b.noMetaHashes = true }, nil, nil},
		{"root rotation to v2", func(b *repoBuild) {
			b.extraRoots = [][]byte{gen.Sign(gen.Root(2, farAway, false, repoRoles()), repoRootKeys...)}
		}, nil, nil},
		{"root rotation to v4 through v2 and v3, replacing a key", func(b *repoBuild) {
			r2 := gen.Sign(gen.Root(2, farAway, false, repoRoles()), repoRootKeys...)
			roles := repoRoles()
			roles["root"] = gen.Role{Keys: keys(1, 2, 4), Threshold: 2}
			r3 := gen.Sign(gen.Root(3, farAway, false, roles), keys(1, 2, 4)...)
			r4 := gen.Sign(gen.Root(4, farAway, false, roles), keys(2, 4)...)
			b.extraRoots = [][]byte{r2, r3, r4}
		}, nil, nil},
		{"bad root v2 stops the workflow", func(b *repoBuild) {
			b.extraRoots = [][]byte{gen.Sign(gen.Root(2, farAway, false, repoRoles()), repoRootKeys[0])}
		}, nil, verify.ErrThreshold},
		{"timestamp expired", func(b *repoBuild) { b.tsExpires = past }, nil, verify.ErrExpired},
		{"snapshot expired", func(b *repoBuild) { b.snExpires = past }, nil, verify.ErrExpired},
		{"targets expired", func(b *repoBuild) { b.tgExpires = past }, nil, verify.ErrExpired},
		{"timestamp signed by the snapshot key", func(b *repoBuild) { b.tsSigners = []*gen.Key{snKey} }, nil, verify.ErrThreshold},
		{"snapshot unsigned", func(b *repoBuild) { b.snSigners = nil }, nil, verify.ErrThreshold},
		{"targets signed by a root key", func(b *repoBuild) { b.tgSigners = repoRootKeys }, nil, verify.ErrThreshold},
		{"timestamp names another snapshot version", func(b *repoBuild) { b.tsSnVersion = 2; b.noMetaHashes = true }, nil, verify.ErrVersion},
		{"snapshot names another targets version", func(b *repoBuild) { b.snapTgVersion = 2; b.noMetaHashes = true }, nil, verify.ErrVersion},
		{"timestamp rollback", func(b *repoBuild) {},
			func(t *testing.T) *verify.State { return stateOf(t, with(func(b *repoBuild) { b.tsVersion = 2 })) }, verify.ErrRollback},
		{"the timestamp names an older snapshot", func(b *repoBuild) { b.tsVersion = 3 },
			func(t *testing.T) *verify.State {
				return stateOf(t, with(func(b *repoBuild) { b.tsVersion, b.snVersion = 2, 2 }))
			}, verify.ErrRollback},
		{"targets rollback", func(b *repoBuild) { b.tsVersion, b.snVersion = 3, 3 },
			func(t *testing.T) *verify.State {
				return stateOf(t, with(func(b *repoBuild) { b.tsVersion, b.snVersion, b.tgVersion = 2, 2, 3 }))
			}, verify.ErrRollback},
		{"targets file removed from snapshot", func(b *repoBuild) { b.tsVersion, b.snVersion = 3, 3 },
			func(t *testing.T) *verify.State {
				return stateOf(t, with(func(b *repoBuild) {
					b.tsVersion, b.snVersion = 2, 2
					b.delegations, b.delegated = projectsDeleg, []delegatedFile{projects}
				}))
			}, verify.ErrRollback},
		{"same versions as before", func(b *repoBuild) {}, func(t *testing.T) *verify.State { return stateOf(t, defaultRepo()) }, nil},
		{"newer versions than before", func(b *repoBuild) { b.tsVersion, b.snVersion, b.tgVersion = 2, 2, 2 },
			func(t *testing.T) *verify.State { return stateOf(t, defaultRepo()) }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := defaultRepo()
			tc.mod(&b)
			var prev *verify.State
			if tc.prev != nil {
				prev = tc.prev(t)
			}
			repo, load, err := openRepo(t, b, prev, verify.Options{})
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("want %v, got %v", tc.want, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("want success, got %v", err)
			}
			tm, _ := repo.Metadata(root.RoleTargets)
			if repo.Timestamp().Version() != b.tsVersion || repo.Snapshot().Version() != b.snVersion || tm.Version() != b.tgVersion || repo.Root().Version() != int64(1+len(b.extraRoots)) {
				t.Fatalf("trusted versions ts %d sn %d tg %d root %d", repo.Timestamp().Version(), repo.Snapshot().Version(), tm.Version(), repo.Root().Version())
			}
			// The state holds the trusted files themselves.
			st := repo.State()
			if _, err := root.Parse(st.Root); err != nil {
				t.Fatalf("state root: %v", err)
			}
			if ts, err := repository.ParseTimestamp(st.Timestamp); err != nil || ts.Version() != b.tsVersion {
				t.Fatalf("state timestamp: %v", err)
			}
			if sn, err := repository.ParseSnapshot(st.Snapshot); err != nil || sn.Version() != b.snVersion {
				t.Fatalf("state snapshot: %v", err)
			}
			tg, err := repo.Target("fulcio.crt.pem", load)
			if err != nil {
				t.Fatal(err)
			}
			if err := tg.Verify([]byte("fulcio cert")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRepositoryTamperedFiles(t *testing.T) {
	b := defaultRepo()
	trusted := mustParse(t, b.rootV1())
	cases := []struct {
		name   string
		tamper func(fstest.MapFS)
		want   error
	}{
		{"snapshot bytes changed", func(f fstest.MapFS) {
			d := append([]byte{}, f["snapshot.json"].Data...)
			d[len(d)-2] = ' ' // same length, whitespace change: the hash breaks
			f["snapshot.json"] = &fstest.MapFile{Data: d}
		}, repository.ErrHashMismatch},
		{"snapshot longer than listed", func(f fstest.MapFS) {
			f["snapshot.json"] = &fstest.MapFile{Data: append(append([]byte{}, f["snapshot.json"].Data...), ' ')}
		}, repository.ErrLengthMismatch},
		{"targets bytes changed", func(f fstest.MapFS) {
			d := append([]byte{}, f["targets.json"].Data...)
			d[len(d)-2] = ' '
			f["targets.json"] = &fstest.MapFile{Data: d}
		}, repository.ErrHashMismatch},
		{"timestamp missing", func(f fstest.MapFS) { delete(f, "timestamp.json") }, verify.ErrMissing},
		{"targets missing", func(f fstest.MapFS) { delete(f, "targets.json") }, verify.ErrMissing},
		{"timestamp garbage", func(f fstest.MapFS) { f["timestamp.json"] = &fstest.MapFile{Data: []byte("[]")} }, root.ErrMalformed},
		{"2.root.json garbage", func(f fstest.MapFS) { f["2.root.json"] = &fstest.MapFile{Data: []byte("{}")} }, root.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := b.build()
			tc.tamper(f)
			repo, err := verify.Repository(trusted, f, nil, verify.Options{Now: t0})
			if repo != nil || !errors.Is(err, tc.want) {
				t.Fatalf("want %v and no repo, got %v", tc.want, err)
			}
		})
	}
}

// TestDelegationSearch checks the pre-order depth-first search over
// delegated targets roles.
func TestDelegationSearch(t *testing.T) {
	content := []byte("project x")
	other := []byte("impostor")
	deleg := func(name string, terminating bool, paths []string, ks ...*gen.Key) gen.Delegated {
		return gen.Delegated{Name: name, Keys: ks, Threshold: 1, Terminating: terminating, Paths: paths}
	}
	role := func(name string, targets map[string]any, d map[string]any, signers ...*gen.Key) delegatedFile {
		if targets == nil {
			targets = map[string]any{}
		}
		return delegatedFile{name: name, version: 1, expires: farAway, targets: targets, deleg: d, signers: signers}
	}
	x := map[string]any{"projects/x": gen.Target(content, nil)}
	xOther := map[string]any{"projects/x": gen.Target(other, nil)}

	cases := []struct {
		name  string
		deleg map[string]any
		roles []delegatedFile
		want  []byte // nil: error wantErr
		err   error
		opts  verify.Options
	}{
		{"first matching role lists it",
			gen.Delegations(deleg("a", false, []string{"projects/*"}, dKeyA), deleg("b", false, []string{"projects/*"}, dKeyB)),
			[]delegatedFile{role("a", x, nil, dKeyA), role("b", xOther, nil, dKeyB)}, content, nil, verify.Options{}},
		{"roles are searched in listed order",
			gen.Delegations(deleg("b", false, []string{"projects/*"}, dKeyB), deleg("a", false, []string{"projects/*"}, dKeyA)),
			[]delegatedFile{role("a", x, nil, dKeyA), role("b", xOther, nil, dKeyB)}, other, nil, verify.Options{}},
		{"non-matching paths are skipped",
			gen.Delegations(deleg("b", false, []string{"other/*"}, dKeyB), deleg("a", false, []string{"projects/?"}, dKeyA)),
			[]delegatedFile{role("a", x, nil, dKeyA), role("b", xOther, nil, dKeyB)}, content, nil, verify.Options{}},
		{"'*' does not match '/'",
			gen.Delegations(deleg("a", false, []string{"*"}, dKeyA)),
			[]delegatedFile{role("a", x, nil, dKeyA)}, nil, verify.ErrTargetNotFound, verify.Options{}},
		{"a role that does not list it falls through to the next",
			gen.Delegations(deleg("a", false, []string{"projects/*"}, dKeyA), deleg("b", false, []string{"projects/*"}, dKeyB)),
			[]delegatedFile{role("a", nil, nil, dKeyA), role("b", x, nil, dKeyB)}, content, nil, verify.Options{}},
		{"a terminating role stops the search",
			gen.Delegations(deleg("a", true, []string{"projects/*"}, dKeyA), deleg("b", false, []string{"projects/*"}, dKeyB)),
			[]delegatedFile{role("a", nil, nil, dKeyA), role("b", x, nil, dKeyB)}, nil, verify.ErrTargetNotFound, verify.Options{}},
		{"depth first: a's child before b",
			gen.Delegations(deleg("a", false, []string{"projects/*"}, dKeyA), deleg("b", false, []string{"projects/*"}, dKeyB)),
			[]delegatedFile{
				role("a", nil, gen.Delegations(deleg("a1", false, []string{"projects/x"}, dKeyC)), dKeyA),
				role("a1", x, nil, dKeyC),
				role("b", xOther, nil, dKeyB),
			}, content, nil, verify.Options{}},
		{"path hash prefixes",
			gen.Delegations(gen.Delegated{Name: "bin", Keys: []*gen.Key{dKeyA}, Threshold: 1, PathHashPrefixes: []string{hashPrefix("projects/x")}}),
			[]delegatedFile{role("bin", x, nil, dKeyA)}, content, nil, verify.Options{}},
		{"wrong path hash prefix",
			gen.Delegations(gen.Delegated{Name: "bin", Keys: []*gen.Key{dKeyA}, Threshold: 1, PathHashPrefixes: []string{flip(hashPrefix("projects/x"))}}),
			[]delegatedFile{role("bin", x, nil, dKeyA)}, nil, verify.ErrTargetNotFound, verify.Options{}},
		{"delegated role signed by the wrong key",
			gen.Delegations(deleg("a", false, []string{"projects/*"}, dKeyA)),
			[]delegatedFile{role("a", x, nil, dKeyB)}, nil, verify.ErrThreshold, verify.Options{}},
		{"one key under two key IDs does not meet threshold 2 (tough CVE-2026-6966)",
			gen.Delegations(gen.Delegated{Name: "a", Keys: []*gen.Key{dKeyB, dKeyB.WithKeytype("ecdsa-sha2-nistp256")}, Threshold: 2, Paths: []string{"projects/*"}}),
			[]delegatedFile{role("a", x, nil, dKeyB, dKeyB.WithKeytype("ecdsa-sha2-nistp256"))}, nil, verify.ErrThreshold, verify.Options{}},
		{"two distinct keys meet threshold 2",
			gen.Delegations(gen.Delegated{Name: "a", Keys: []*gen.Key{dKeyA, dKeyB}, Threshold: 2, Paths: []string{"projects/*"}}),
			[]delegatedFile{role("a", x, nil, dKeyB, dKeyA)}, content, nil, verify.Options{}},
		{"delegation loop is visited once",
			gen.Delegations(deleg("a", false, []string{"projects/*"}, dKeyA)),
			[]delegatedFile{
				role("a", nil, gen.Delegations(deleg("b", false, []string{"projects/*"}, dKeyB)), dKeyA),
				role("b", nil, gen.Delegations(deleg("a", false, []string{"projects/*"}, dKeyA)), dKeyB),
			}, nil, verify.ErrTargetNotFound, verify.Options{}},
		{"delegated role expired",
			gen.Delegations(deleg("a", false, []string{"projects/*"}, dKeyA)),
			[]delegatedFile{{name: "a", version: 1, expires: t0.Add(-time.Second), targets: x, signers: []*gen.Key{dKeyA}}}, nil, verify.ErrExpired, verify.Options{}},
		{"delegated role file missing from snapshot",
			gen.Delegations(deleg("a", false, []string{"projects/*"}, dKeyA)),
			nil, nil, verify.ErrMissing, verify.Options{}},
		{"depth bound",
			gen.Delegations(deleg("d0", false, []string{"projects/*"}, dKeyA)),
			deepChain(40, x), nil, verify.ErrTooLarge, verify.Options{}},
		{"depth within a raised bound",
			gen.Delegations(deleg("d0", false, []string{"projects/*"}, dKeyA)),
			deepChain(40, x), content, nil, verify.Options{MaxDelegations: 64}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := defaultRepo()
			b.delegations = tc.deleg
			b.delegated = tc.roles
			repo, load, err := openRepo(t, b, nil, tc.opts)
			if err != nil {
				t.Fatalf("repository: %v", err)
			}
			tg, err := repo.Target("projects/x", load)
			if tc.want == nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("want %v, got %v (target %+v)", tc.err, err, tg)
				}
				return
			}
			if err != nil {
				t.Fatalf("want target, got %v", err)
			}
			if err := tg.Verify(tc.want); err != nil {
				t.Fatalf("found the wrong target (from %s): %v", tg.Role, err)
			}
		})
	}
}

func deepChain(n int, x map[string]any) []delegatedFile {
	var out []delegatedFile
	for i := 0; i < n; i++ {
		f := delegatedFile{name: fmt.Sprintf("d%d", i), version: 1, expires: farAway, targets: map[string]any{}, signers: []*gen.Key{dKeyA}}
		if i == n-1 {
			f.targets = x
		} else {
			f.deleg = gen.Delegations(gen.Delegated{Name: fmt.Sprintf("d%d", i+1), Keys: []*gen.Key{dKeyA}, Threshold: 1, Paths: []string{"projects/*"}})
		}
		out = append(out, f)
	}
	return out
}

func hashPrefix(name string) string {
	return sha256Hex(name)[:2]
}

func flip(p string) string {
	if p[0] == '0' {
		return "1" + p[1:]
	}
	return "0" + p[1:]
}

func TestTargetContent(t *testing.T) {
	b := defaultRepo()
	repo, _, err := openRepo(t, b, nil, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := repo.Metadata(root.RoleTargets)
	tg, ok := tm.Target("rekor.pub")
	if !ok {
		t.Fatal("rekor.pub not listed")
	}
	cases := []struct {
		name string
		r    io.Reader
		want error
	}{
		{"exact content", bytesReader("rekor key"), nil},
		{"short", bytesReader("rekor ke"), repository.ErrLengthMismatch},
		{"long", bytesReader("rekor key!"), repository.ErrLengthMismatch},
		{"same length, other bytes", bytesReader("rekor kez"), repository.ErrHashMismatch},
		{"endless reader stops after length+1 bytes", endless{}, repository.ErrLengthMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tg.VerifyReader(tc.r)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
		})
	}
	noHash := repository.Target{Name: "x", Length: 1}
	if err := noHash.Verify([]byte("x")); !errors.Is(err, repository.ErrHashMismatch) {
		t.Fatalf("target without hashes: %v", err)
	}
	noKnownHash := repository.Target{Name: "x", Length: 1, Hashes: map[string]string{"md5": "00"}}
	if err := noKnownHash.Verify([]byte("x")); !errors.Is(err, repository.ErrHashMismatch) {
		t.Fatalf("target without a supported hash: %v", err)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'r'
	}
	return len(p), nil
}

// TestActiveCertificates selects targets by Sigstore custom metadata.
func TestActiveCertificates(t *testing.T) {
	repo, load, err := openRepo(t, defaultRepo(), nil, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var active []string
	all, err := repo.ListTargets(load)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range all {
		var c struct {
			Sigstore struct{ Usage, Status string } `json:"sigstore"`
		}
		if err := tg.DecodeCustom(&c); err != nil {
			t.Fatal(err)
		}
		if c.Sigstore.Usage == "Fulcio" && c.Sigstore.Status == "Active" {
			active = append(active, tg.Name)
		}
	}
	if fmt.Sprint(active) != "[fulcio.crt.pem]" {
		t.Fatalf("active Fulcio certificates %v", active)
	}
	if _, err := repo.Target("nope", load); !errors.Is(err, verify.ErrTargetNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing target: %v", err)
	}
}

func TestTargetsStandalone(t *testing.T) {
	b := defaultRepo()
	trusted := mustParse(t, b.rootV1())
	good := gen.Sign(gen.Targets(1, farAway, b.targets, nil), tgKey)
	m, err := verify.Targets(trusted, good, verify.Options{Now: t0})
	if err != nil || m.Version() != 1 || m.Role() != "targets" || len(m.Targets()) != 3 {
		t.Fatalf("targets: %v %+v", err, m)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"unsigned", gen.Sign(gen.Targets(1, farAway, b.targets, nil)), verify.ErrThreshold},
		{"signed by timestamp key", gen.Sign(gen.Targets(1, farAway, b.targets, nil), tsKey), verify.ErrThreshold},
		{"expired", gen.Sign(gen.Targets(1, t0, b.targets, nil), tgKey), verify.ErrExpired},
		{"a root", b.rootV1(), root.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := verify.Targets(trusted, tc.data, verify.Options{Now: t0})
			if m != nil || !errors.Is(err, tc.want) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
		})
	}
}

// TestDelegationConsistentSnapshot reads delegated roles by their
// versioned file names, including names that need escaping.
func TestDelegationConsistentSnapshot(t *testing.T) {
	b := defaultRepo()
	b.consistent = true
	b.snVersion, b.tgVersion = 3, 5
	x := map[string]any{"projects/x": gen.Target([]byte("x"), nil)}
	b.delegations = gen.Delegations(gen.Delegated{Name: "team/a", Keys: []*gen.Key{dKeyA}, Threshold: 1, Paths: []string{"projects/*"}})
	b.delegated = []delegatedFile{{name: "team/a", version: 7, expires: farAway, targets: x, signers: []*gen.Key{dKeyA}}}
	fsys := b.build()
	// build names the file after the raw role name; the repository
	// escapes it, as python-tuf does.
	fsys["7.team%2Fa.json"] = fsys["7.team/a.json"]
	delete(fsys, "7.team/a.json")
	trusted := mustParse(t, b.rootV1())
	repo, err := verify.Repository(trusted, fsys, nil, verify.Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := repo.Target("projects/x", verify.FSLoader(fsys))
	if err != nil || tg.Role != "team/a" || tg.Verify([]byte("x")) != nil {
		t.Fatalf("target %+v: %v", tg, err)
	}
	if m, ok := repo.Metadata("team/a"); !ok || m.Version() != 7 || repo.Snapshot().Version() != 3 {
		t.Fatalf("team/a metadata %v", m)
	}
}

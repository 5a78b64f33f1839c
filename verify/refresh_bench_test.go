package verify_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// demoTarget is the delegated target the refresh benchmarks look up.
const demoTarget = "acme/release.pub"

// writeDemoRepo writes a repository shaped like the ceremony demo's
// (examples/ceremony demo) into dir and returns root v1, the trusted root
// a client starts from: consistent snapshots; roots v1 (3 of alice, bob,
// carol, dave, erin, signed by alice, bob and carol), v2 (frank replaces
// dave, signed by alice, bob, carol and frank) and v3 (threshold 4, signed
// by bob, carol, erin and frank), keys annotated with their holders; one
// online key each for timestamp, snapshot and targets; four top-level
// targets with Sigstore custom metadata; a role acme delegated acme/* with
// 2 of 2 keys, listing one target. Every key is ECDSA P-256.
func writeDemoRepo(tb testing.TB, dir string) []byte {
	trusted, _ := demoRepo(tb, dir)
	return trusted
}

// demoRepo is writeDemoRepo, also returning the signature checks a
// refresh and the lookup of demoTarget cannot avoid (the floor): the
// trusted root's threshold (3), v2's previous threshold (3; its own is met
// by the same pairs), v3's previous threshold (3) and the one more key its
// own threshold of 4 needs, the timestamp, the snapshot, the targets and
// acme's two keys: 15.
func demoRepo(tb testing.TB, dir string) ([]byte, []floorCheck) {
	expires := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	holder := func(n int, name string) *gen.Key { return gen.ECDSA(200+n).With(root.FieldHolder, name) }
	alice, bob, carol, dave, erin, frank := holder(0, "alice"), holder(1, "bob"), holder(2, "carol"), holder(3, "dave"), holder(4, "erin"), holder(5, "frank")
	tsKey, snKey, tgKey := gen.ECDSA(210), gen.ECDSA(211), gen.ECDSA(212)
	acme := []*gen.Key{gen.ECDSA(213), gen.ECDSA(214)}
	var checks []floorCheck
	sign := func(signed map[string]any, signers []*gen.Key, checked ...*gen.Key) []byte {
		payload := gen.Canonical(signed)
		for _, k := range checked {
			// gen signs a message the same way every time.
			checks = append(checks, floorCheck{pub: k.Public(), payload: payload, sig: k.Sign(payload)})
		}
		return gen.Sign(signed, signers...)
	}
	rootV := func(v int64, keys []*gen.Key, thr int, signers []*gen.Key, checked ...*gen.Key) []byte {
		roles := map[string]gen.Role{
			"root":      {Keys: keys, Threshold: thr},
			"timestamp": {Keys: []*gen.Key{tsKey}, Threshold: 1},
			"snapshot":  {Keys: []*gen.Key{snKey}, Threshold: 1},
			"targets":   {Keys: []*gen.Key{tgKey}, Threshold: 1},
		}
		return sign(gen.Root(v, expires, true, roles), signers, checked...)
	}
	v1Keys := []*gen.Key{alice, bob, carol, dave, erin}
	v2Keys := []*gen.Key{alice, bob, carol, frank, erin}
	files := map[string][]byte{
		"1.root.json": rootV(1, v1Keys, 3, []*gen.Key{alice, bob, carol}, alice, bob, carol),
		"2.root.json": rootV(2, v2Keys, 3, []*gen.Key{alice, bob, carol, frank}, alice, bob, carol),
		"3.root.json": rootV(3, v2Keys, 4, []*gen.Key{bob, carol, erin, frank}, bob, carol, frank, erin),
	}
	files["root.json"] = files["3.root.json"]
	custom := func(usage string) map[string]any {
		return map[string]any{"sigstore": map[string]any{"usage": usage, "status": "Active"}}
	}
	targets := map[string]any{
		"fulcio.crt.pem":    gen.Target([]byte("fulcio certificate"), custom("Fulcio")),
		"rekor.pub":         gen.Target([]byte("rekor public key"), custom("Rekor")),
		"tsa.crt.pem":       gen.Target([]byte("tsa certificate"), custom("TSA")),
		"trusted_root.json": gen.Target([]byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`), nil),
	}
	deleg := gen.Delegations(gen.Delegated{Name: "acme", Keys: acme, Threshold: 2, Paths: []string{"acme/*"}})
	files["1.targets.json"] = sign(gen.Targets(1, expires, targets, deleg), []*gen.Key{tgKey}, tgKey)
	files["1.acme.json"] = sign(gen.Targets(1, expires, map[string]any{demoTarget: gen.Target([]byte("acme release key"), nil)}, nil), acme, acme...)
	files["1.snapshot.json"] = sign(gen.Snapshot(1, expires, map[string]any{
		"targets.json": gen.Meta(1, files["1.targets.json"]),
		"acme.json":    gen.Meta(1, files["1.acme.json"]),
	}), []*gen.Key{snKey}, snKey)
	files["timestamp.json"] = sign(gen.Timestamp(1, expires, gen.Meta(1, files["1.snapshot.json"])), []*gen.Key{tsKey}, tsKey)
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if len(checks) != 15 {
		tb.Fatalf("%d floor checks, want 15", len(checks))
	}
	return files["1.root.json"], checks
}

// refreshOurs is a client's first refresh from root v1 and a lookup of the
// delegated target.
func refreshOurs(tb testing.TB, trustedFile []byte, fsys fs.FS, opts verify.Options) {
	trusted, err := root.Parse(trustedFile)
	if err != nil {
		tb.Fatal(err)
	}
	repo, err := verify.Repository(trusted, fsys, nil, opts)
	if err != nil {
		tb.Fatal(err)
	}
	t, err := repo.Target(demoTarget, verify.FSLoader(fsys))
	if err != nil || t.Name != demoTarget || repo.Root().Version() != 3 {
		tb.Fatalf("target %+v, root v%d: %v", t, repo.Root().Version(), err)
	}
}

// dirFetcher is a go-tuf Fetcher that reads files from a directory.
type dirFetcher struct{ dir string }

const dirFetcherURL = "local"

func (f dirFetcher) DownloadFile(urlPath string, maxLength int64, _ time.Duration) ([]byte, error) {
	name, ok := strings.CutPrefix(urlPath, dirFetcherURL+"/")
	if !ok || !fs.ValidPath(name) {
		return nil, fmt.Errorf("dirFetcher: unexpected URL %q", urlPath)
	}
	data, err := os.ReadFile(filepath.Join(f.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &metadata.ErrDownloadHTTP{StatusCode: 404, URL: urlPath}
	}
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxLength {
		return nil, &metadata.ErrDownloadLengthMismatch{Msg: fmt.Sprintf("%s is longer than %d bytes", name, maxLength)}
	}
	return data, nil
}

// refreshGoTUF is the same refresh and lookup with go-tuf's updater,
// fetching from the same files, with its local cache off (nothing is
// written to disk).
func refreshGoTUF(tb testing.TB, trustedFile []byte, dir, scratch string) {
	cfg, err := config.New(dirFetcherURL, trustedFile)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Fetcher = dirFetcher{dir}
	cfg.DisableLocalCache = true
	cfg.LocalMetadataDir, cfg.LocalTargetsDir = scratch, scratch
	up, err := updater.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := up.Refresh(); err != nil {
		tb.Fatal(err)
	}
	t, err := up.GetTargetInfo(demoTarget)
	if err != nil || t.Path != demoTarget || up.GetTrustedMetadataSet().Root.Signed.Version != 3 {
		tb.Fatalf("go-tuf: target %+v: %v", t, err)
	}
}

// BenchmarkRefresh times a client's full first refresh of the demo-like
// repository (roots v2 and v3, timestamp, snapshot, targets) and one
// delegated target lookup, from root v1, over the same files on disk:
//
//   - ours: verify.Repository + Repo.Target, the decoded-key cache warm;
//   - ours-cold: the same with the decoded-key cache emptied each time;
//   - ours-workers2: as ours, with Options.Workers = 2;
//   - gotuf: go-tuf's updater (New, Refresh, GetTargetInfo) with a Fetcher
//     that reads the directory and its local cache disabled;
//   - floor: the 15 signature checks (see demoRepo) and nothing else, with
//     public keys, payloads and signatures prepared in advance.
func BenchmarkRefresh(b *testing.B) {
	dir := b.TempDir()
	trusted, checks := demoRepo(b, dir)
	fsys := os.DirFS(dir)
	b.Run("ours", func(b *testing.B) {
		opts := verify.Options{Now: benchNow}
		refreshOurs(b, trusted, fsys, opts)
		b.ReportAllocs()
		for b.Loop() {
			refreshOurs(b, trusted, fsys, opts)
		}
	})
	b.Run("ours-cold", func(b *testing.B) {
		opts := verify.Options{Now: benchNow}
		b.ReportAllocs()
		for b.Loop() {
			tufkey.ResetCache()
			refreshOurs(b, trusted, fsys, opts)
		}
	})
	b.Run("ours-workers2", func(b *testing.B) {
		opts := verify.Options{Now: benchNow, Workers: 2}
		refreshOurs(b, trusted, fsys, opts)
		b.ReportAllocs()
		for b.Loop() {
			refreshOurs(b, trusted, fsys, opts)
		}
	})
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			runFloor(b, checks)
		}
	})
	b.Run("gotuf", func(b *testing.B) {
		scratch := b.TempDir()
		b.ReportAllocs()
		for b.Loop() {
			refreshGoTUF(b, trusted, dir, scratch)
		}
	})
}

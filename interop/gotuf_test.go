package interop

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"
)

// newUpdater returns a go-tuf client for the repository served at url,
// trusting root and caching in a fresh directory.
func newUpdater(t *testing.T, url string, root []byte) *updater.Updater {
	t.Helper()
	cfg, err := config.New(url, root)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	cfg.LocalMetadataDir = filepath.Join(cache, "metadata")
	cfg.LocalTargetsDir = filepath.Join(cache, "targets")
	if err := cfg.EnsurePathsExist(); err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetDefaultFetcherHTTPClient(httpClient()); err != nil {
		t.Fatal(err)
	}
	up, err := updater.New(cfg)
	if err != nil {
		t.Fatalf("go-tuf updater.New: %v", err)
	}
	return up
}

// TestGoTUFClient: go-tuf's client, starting from our v1 root, refreshes
// through every root version the demo published and downloads every target,
// the delegated role's included, byte for byte.
func TestGoTUFClient(t *testing.T) {
	repo := demo(t)
	versions := rootVersions(t, repo)
	if len(versions) < 3 {
		t.Fatalf("demo published roots %v; want at least v1..v3 (two rotations)", versions)
	}
	v1, err := os.ReadFile(filepath.Join(repo, "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, repo)
	up := newUpdater(t, srv.URL, v1)
	if err := up.Refresh(); err != nil {
		t.Fatalf("go-tuf refresh from v1: %v", err)
	}
	trusted := up.GetTrustedMetadataSet()
	final := versions[len(versions)-1]
	if got := trusted.Root.Signed.Version; got != final {
		t.Fatalf("go-tuf trusts root v%d; the demo published up to v%d", got, final)
	}
	for v := int64(2); v <= final+1; v++ {
		// The client must have asked for every version after v1, and for
		// the one after the last to learn there is none.
		if p := fmt.Sprintf("/%d.root.json", v); !srv.requested(p) {
			t.Errorf("go-tuf never fetched %s", p)
		}
	}

	l := list(t, repo)
	if len(l.Targets) == 0 {
		t.Fatal("the demo repository lists no targets")
	}
	delegated := l.delegatedRoles()
	if len(delegated) == 0 {
		t.Fatal("the demo repository has no delegated targets role")
	}
	fromDelegated := 0
	paths := make([]string, 0, len(l.Targets))
	for p := range l.Targets {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		want := l.Targets[p]
		info, err := up.GetTargetInfo(p)
		if err != nil {
			t.Errorf("go-tuf GetTargetInfo(%q) (listed by %s): %v", p, want.Role, err)
			continue
		}
		if info.Length != want.Length {
			t.Errorf("%s: go-tuf says length %d, %s.json says %d", p, info.Length, want.Role, want.Length)
		}
		_, data, err := up.DownloadTarget(info, "", "")
		if err != nil {
			t.Errorf("go-tuf DownloadTarget(%q): %v", p, err)
			continue
		}
		onDisk, err := os.ReadFile(l.targetFile(repo, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if !bytes.Equal(data, onDisk) {
			t.Errorf("%s: go-tuf downloaded %d bytes that differ from the published file", p, len(data))
		}
		if want.Role != "targets" {
			fromDelegated++
		}
	}
	if fromDelegated == 0 {
		t.Errorf("no target came from a delegated role (%v)", delegated)
	}
	// go-tuf loaded and verified each delegated role on its way.
	for _, r := range delegated {
		md, ok := up.GetTrustedMetadataSet().Targets[r]
		if !ok {
			t.Errorf("go-tuf did not load delegated role %s", r)
			continue
		}
		if md.Signed.Version != l.Roles[r] {
			t.Errorf("go-tuf trusts %s v%d; snapshot says v%d", r, md.Signed.Version, l.Roles[r])
		}
	}
}

// TestGoTUFClientRejectsTampering shows the test above can fail: the same
// client refuses a repository where one target file or one root signature
// was changed.
func TestGoTUFClientRejectsTampering(t *testing.T) {
	repo := demo(t)
	v1, err := os.ReadFile(filepath.Join(repo, "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	l := list(t, repo)

	t.Run("target", func(t *testing.T) {
		bad := copyRepo(t, repo)
		var path string
		for p := range l.Targets {
			path = p
			break
		}
		file := l.targetFile(bad, path)
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		b[0] ^= 1
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		up := newUpdater(t, serve(t, bad).URL, v1)
		if err := up.Refresh(); err != nil {
			t.Fatalf("refresh: %v", err)
		}
		info, err := up.GetTargetInfo(path)
		if err != nil {
			t.Fatalf("GetTargetInfo(%q): %v", path, err)
		}
		if _, _, err := up.DownloadTarget(info, "", ""); err == nil {
			t.Fatalf("go-tuf accepted a modified %s", path)
		}
	})

	t.Run("root", func(t *testing.T) {
		bad := copyRepo(t, repo)
		tamperRoot(t, filepath.Join(bad, "2.root.json"))
		up := newUpdater(t, serve(t, bad).URL, v1)
		if err := up.Refresh(); err == nil {
			t.Fatal("go-tuf accepted a 2.root.json whose content changed after signing")
		}
	})
}

// tamperRoot changes the signed content of a root file (its expiry, by one
// second) without re-signing it.
func tamperRoot(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte(`"expires"`))
	if i < 0 {
		t.Fatalf("%s: no expires field", path)
	}
	// The expiry ends in ...:SSZ"; change the last digit of the seconds.
	j := bytes.Index(b[i:], []byte(`Z"`))
	if j < 1 {
		t.Fatalf("%s: expires is not a UTC time", path)
	}
	d := &b[i+j-1]
	if *d == '0' {
		*d = '1'
	} else {
		*d = '0'
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

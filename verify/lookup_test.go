package verify_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// TestLookupVerifiesOnce: a target lookup after a refresh uses the
// targets metadata the refresh verified, and a delegated role is loaded
// and verified by the first lookup that needs it only: later lookups
// neither read its file again nor rebuild it, so files changed on disk
// after that go unseen (and a corrupted copy cannot fail them).
func TestLookupVerifiesOnce(t *testing.T) {
	dir := t.TempDir()
	trustedFile := writeDemoRepo(t, dir)
	trusted := mustParse(t, trustedFile)
	fsys := os.DirFS(dir)
	repo, err := verify.Repository(trusted, fsys, nil, verify.Options{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	loads := map[string]int{}
	load := func(file string, max int64) ([]byte, error) {
		mu.Lock()
		loads[file]++
		mu.Unlock()
		return verify.FSLoader(fsys)(file, max)
	}
	// The refresh's files, corrupted on disk: a lookup must not read them.
	for _, f := range []string{"1.targets.json", "1.snapshot.json", "timestamp.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := repo.Metadata("acme"); ok {
		t.Fatal("acme is trusted before any lookup needed it")
	}
	tg, err := repo.Target(demoTarget, load)
	if err != nil || tg.Name != demoTarget || tg.Role != "acme" {
		t.Fatalf("first lookup: %+v, %v", tg, err)
	}
	acme, ok := repo.Metadata("acme")
	if !ok {
		t.Fatal("acme is not trusted after the lookup that loaded it")
	}
	if loads["1.acme.json"] != 1 || len(loads) != 1 {
		t.Fatalf("first lookup read %v, want 1.acme.json once", loads)
	}
	// Now acme's file is corrupted too: lookups must use what the first
	// one verified.
	if err := os.WriteFile(filepath.Join(dir, "1.acme.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		tg2, err := repo.Target(demoTarget, load)
		if err != nil || tg2.Name != tg.Name || tg2.Role != tg.Role || tg2.Length != tg.Length {
			t.Fatalf("later lookup: %+v, %v", tg2, err)
		}
	}
	if _, err := repo.Target("acme/missing.pub", load); !errors.Is(err, verify.ErrTargetNotFound) {
		t.Fatalf("a name acme does not list: %v, want ErrTargetNotFound", err)
	}
	if tg3, err := repo.Target("rekor.pub", load); err != nil || tg3.Role != root.RoleTargets {
		t.Fatalf("a top-level target: %+v, %v", tg3, err)
	}
	if again, _ := repo.Metadata("acme"); again != acme {
		t.Fatal("acme's metadata was rebuilt")
	}
	if loads["1.acme.json"] != 1 || len(loads) != 1 {
		t.Fatalf("lookups read %v, want 1.acme.json once in all", loads)
	}
	// A new Repo over the corrupted files does fail: the test can tell.
	if _, err := verify.Repository(trusted, fsys, nil, verify.Options{Now: t0}); err == nil {
		t.Fatal("a refresh over the corrupted files succeeded")
	}
}

package interop

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// TestTrustrootAgreesWithGoTUF: trustroot's own offline verifier and
// go-tuf's client, both starting from v1, reach the same root and find
// every target, delegated ones included, with the same length and hashes.
func TestTrustrootAgreesWithGoTUF(t *testing.T) {
	repo := demo(t)
	v1, err := os.ReadFile(filepath.Join(repo, "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := root.Parse(v1)
	if err != nil {
		t.Fatalf("root.Parse(1.root.json): %v", err)
	}
	fsys := os.DirFS(repo)
	ours, err := verify.Repository(trusted, fsys, nil, verify.Options{})
	if err != nil {
		t.Fatalf("verify.Repository: %v", err)
	}
	up := newUpdater(t, serve(t, repo).URL, v1)
	if err := up.Refresh(); err != nil {
		t.Fatalf("go-tuf refresh: %v", err)
	}
	theirs := up.GetTrustedMetadataSet()
	if got, want := ours.Root().Version(), theirs.Root.Signed.Version; got != want {
		t.Errorf("trustroot trusts root v%d, go-tuf v%d", got, want)
	}
	if ts, sn := ours.Timestamp().Version(), ours.Snapshot().Version(); ts != theirs.Timestamp.Signed.Version || sn != theirs.Snapshot.Signed.Version {
		t.Errorf("trustroot: timestamp v%d, snapshot v%d; go-tuf: v%d, v%d",
			ts, sn, theirs.Timestamp.Signed.Version, theirs.Snapshot.Signed.Version)
	}
	for p := range list(t, repo).Targets {
		mine, err := ours.Target(p, verify.FSLoader(fsys))
		if err != nil {
			t.Errorf("trustroot: target %s: %v", p, err)
			continue
		}
		info, err := up.GetTargetInfo(p)
		if err != nil {
			t.Errorf("go-tuf: target %s: %v", p, err)
			continue
		}
		if mine.Length != info.Length {
			t.Errorf("%s: trustroot length %d, go-tuf %d", p, mine.Length, info.Length)
		}
		if len(mine.Hashes) != len(info.Hashes) {
			t.Errorf("%s: trustroot has %d hashes, go-tuf %d", p, len(mine.Hashes), len(info.Hashes))
		}
		for alg, h := range info.Hashes {
			if mine.Hashes[alg] != hex.EncodeToString(h) {
				t.Errorf("%s: %s differs: trustroot %s, go-tuf %x", p, alg, mine.Hashes[alg], []byte(h))
			}
		}
	}
}

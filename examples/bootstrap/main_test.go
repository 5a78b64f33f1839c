package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// TestBootstrap runs the program with fake tokens and checks what it wrote
// with the library's parser and verifier.
func TestBootstrap(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-out", dir}, &out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := root.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verify.Root(r, verify.Options{}); err != nil {
		t.Fatalf("the written root does not verify: %v", err)
	}
	if r.Version() != 1 || !r.ConsistentSnapshot() {
		t.Errorf("version %d, consistent_snapshot %v; want 1, true", r.Version(), r.ConsistentSnapshot())
	}
	holders := func(role root.Role) (names []string, threshold int) {
		rk, ok := r.Role(role)
		if !ok {
			t.Fatalf("no %s role", role)
		}
		for _, k := range rk.Keys {
			names = append(names, k.Holder())
		}
		sort.Strings(names)
		return names, rk.Threshold
	}
	for role, want := range map[root.Role]string{
		root.RoleRoot:      "[alice bob carol] 2",
		root.RoleTargets:   "[alice bob carol] 2",
		root.RoleSnapshot:  "[online] 1",
		root.RoleTimestamp: "[online] 1",
	} {
		names, th := holders(role)
		if got := fmt.Sprint(names, " ", th); got != want {
			t.Errorf("%s: %s; want %s", role, got, want)
		}
	}
	// All three keyholders signed, so any two would have been enough.
	if n := len(r.Signatures()); n != 3 {
		t.Errorf("%d signatures; want 3", n)
	}
	// Any two signatures are enough, one is not.
	for keep, ok := range map[int]bool{2: true, 1: false} {
		var file map[string]json.RawMessage
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatal(err)
		}
		var sigs []json.RawMessage
		if err := json.Unmarshal(file["signatures"], &sigs); err != nil {
			t.Fatal(err)
		}
		file["signatures"], _ = json.Marshal(sigs[len(sigs)-keep:])
		b, _ := json.Marshal(file)
		fewer, err := root.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		_, err = verify.Root(fewer, verify.Options{})
		if ok && err != nil {
			t.Errorf("with %d signatures: %v", keep, err)
		}
		if !ok && !errors.Is(err, verify.ErrThreshold) {
			t.Errorf("with %d signature: err = %v; want verify.ErrThreshold", keep, err)
		}
	}
	digest, err := r.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), digest) {
		t.Errorf("output does not announce the digest %s:\n%s", digest, out.String())
	}
	// The rest of the repository is what a client accepts.
	repo, err := verify.Repository(r, os.DirFS(dir), nil, verify.Options{})
	if err != nil {
		t.Fatalf("the written repository does not verify: %v", err)
	}
	targets, _ := repo.Metadata(root.RoleTargets)
	if ts, snap := repo.Timestamp(), repo.Snapshot(); ts.Version() != 1 || snap.Version() != 1 || targets.Version() != 1 {
		t.Errorf("versions: timestamp %d, snapshot %d, targets %d; want 1 each", ts.Version(), snap.Version(), targets.Version())
	}
	if rootJSON, err := os.ReadFile(filepath.Join(dir, "root.json")); err != nil || !bytes.Equal(rootJSON, data) {
		t.Errorf("root.json is not a copy of 1.root.json: %v", err)
	}
	target, err := repo.Target("example.txt", verify.FSLoader(os.DirFS(dir)))
	if err != nil {
		t.Fatal(err)
	}
	var custom struct {
		Sigstore struct{ Usage, Status string }
	}
	if err := target.DecodeCustom(&custom); err != nil || custom.Sigstore.Usage != "Example" || custom.Sigstore.Status != "Active" {
		t.Errorf("custom metadata %s: %v", target.Custom, err)
	}
	published, err := filepath.Glob(filepath.Join(dir, "targets", "*.example.txt"))
	if err != nil || len(published) != 1 {
		t.Fatalf("published example targets: %v, %v", published, err)
	}
	content, err := os.ReadFile(published[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := target.Verify(content); err != nil {
		t.Errorf("%s: %v", published[0], err)
	}
	if !strings.HasSuffix(published[0], target.Hashes["sha256"]+".example.txt") {
		t.Errorf("%s is not named by its SHA-256 %s", published[0], target.Hashes["sha256"])
	}
	if !strings.Contains(out.String(), "timestamp.json") {
		t.Errorf("output does not list the online metadata:\n%s", out.String())
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	inTargets, _ := filepath.Glob(filepath.Join(dir, "targets", ".*"))
	if leftovers = append(leftovers, inTargets...); len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestBootstrapErrors(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "usage"},
		{[]string{"-out", t.TempDir(), "-piv", "1,2"}, "three YubiKey serial"},
		{[]string{"-out", t.TempDir(), "-piv", "x,2,3"}, `"x" is not a YubiKey serial number`},
		{[]string{"-out", filepath.Join(blocker, "repo")}, "not a directory"},
	} {
		err := run(context.Background(), c.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%q) = %v; want an error containing %q", c.args, err, c.want)
		}
	}
}

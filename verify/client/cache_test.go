package client_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/internal/testrepo"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
	"github.com/trustroot/trustroot/verify/client"
)

// TestRestartFromCache: a client made again with the same cache goes on
// from what it trusted: it serves lookups before its first refresh, walks
// the root chain from the cached root, and fetches again only what
// changed.
func TestRestartFromCache(t *testing.T) {
	r := fixture(t)
	must(t, r.RotateRootKey())
	must(t, r.Publish())
	srv := serve(t, r.Dir)
	dir := t.TempDir()
	ctx := t.Context()

	first := newClient(t, r, srv, dir)
	must(t, first.Refresh(ctx))
	for _, name := range []string{"fulcio_v2.crt.pem", "acme/tool.pub"} {
		if _, err := first.Download(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	files := cacheFiles(t, dir)
	for _, want := range []string{"root.json", "2.root.json", "timestamp.json", "snapshot.json", "targets.json", "delegated/acme.json",
		"targets/fulcio_v2.crt.pem", "targets/acme%2Ftool.pub"} {
		if !files[want] {
			t.Errorf("the cache lacks %s; it holds %v", want, files)
		}
	}
	if files["1.root.json"] {
		t.Error("the cache holds the embedded root v1")
	}

	// A restart: the view comes from the cache, and so do the
	// delegated metadata and the targets.
	srv.reset()
	second := newClient(t, r, srv, dir)
	st, ok := second.Status()
	if !ok || !st.FromCache || st.Root != 2 || st.Timestamp != 2 {
		t.Fatalf("status after a restart: %+v, %v", st, ok)
	}
	for name, want := range map[string][]byte{"fulcio_v2.crt.pem": fulcioPEM, "acme/tool.pub": acmeTool} {
		got, err := second.Download(ctx, name)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s from the cache: %q, %v", name, got, err)
		}
	}
	if reqs := srv.requests(); len(reqs) != 0 {
		t.Errorf("lookups and downloads from the cache fetched %v", reqs)
	}

	// Its refresh starts the walk at v3 and fetches only the
	// timestamp: snapshot and targets are the cached versions.
	must(t, second.Refresh(ctx))
	reqs := srv.requests()
	slices.Sort(reqs)
	if want := []string{"/3.root.json", "/timestamp.json"}; !slices.Equal(reqs, want) {
		t.Errorf("a refresh after a restart fetched %v, want %v", reqs, want)
	}
	if st, _ := second.Status(); st.FromCache {
		t.Error("still FromCache after a refresh")
	}

	// The repository moves on: new timestamp, snapshot and top-level
	// targets; the delegated role did not change and is not fetched.
	must(t, r.AddTarget("fulcio_v2.crt.pem", []byte("renewed"), activeFulcio))
	must(t, r.Publish())
	srv.reset()
	third := newClient(t, r, srv, dir)
	must(t, third.Refresh(ctx))
	if _, err := third.Target(ctx, "acme/tool.pub"); err != nil {
		t.Fatal(err)
	}
	got, err := third.Download(ctx, "fulcio_v2.crt.pem")
	if err != nil || string(got) != "renewed" {
		t.Fatalf("renewed target: %q, %v", got, err)
	}
	reqs = srv.requests()
	slices.Sort(reqs)
	if !slices.Contains(reqs, "/3.snapshot.json") || !slices.Contains(reqs, "/2.targets.json") || hasPrefix(reqs, "/1.acme") {
		t.Errorf("after a new release the client fetched %v", reqs)
	}
}

// TestRollbackAcrossRestart: the timestamp trusted before a restart is
// the floor after it.
func TestRollbackAcrossRestart(t *testing.T) {
	r := fixture(t)
	old, err := r.ReadFile("timestamp.json")
	must(t, err)
	must(t, r.Publish())
	srv := serve(t, r.Dir)
	dir := t.TempDir()
	ctx := t.Context()
	must(t, newClient(t, r, srv, dir).Refresh(ctx))

	// The mirror goes back to timestamp v1.
	must(t, r.WriteFile("timestamp.json", old))
	c := newClient(t, r, srv, dir)
	err = c.Refresh(ctx)
	if !errors.Is(err, verify.ErrRollback) {
		t.Fatalf("timestamp v1 after v2, across a restart: %v", err)
	}
	if st, ok := c.Status(); !ok || st.Timestamp != 2 {
		t.Errorf("after the refused rollback: %+v, %v", st, ok)
	}
	if _, err := c.Download(ctx, "rekor.pub"); err != nil {
		t.Errorf("the cached view after a refused rollback: %v", err)
	}
	// The protection is the cache's: without it, v1 is all a client
	// knows and it accepts it.
	if err := newClient(t, r, srv, "").Refresh(ctx); err != nil {
		t.Errorf("a client without a cache refused timestamp v1: %v", err)
	}
}

// TestCachedRootMustChain: the cached root is trusted only if the cached
// root files chain to it from the embedded root.
func TestCachedRootMustChain(t *testing.T) {
	r := fixture(t)
	must(t, r.RotateRootKey())
	must(t, r.Publish())
	srv := serve(t, r.Dir)
	dir := t.TempDir()
	must(t, newClient(t, r, srv, dir).Refresh(t.Context()))

	// Another repository's root v2, self-signed, planted in the cache.
	other, err := testrepo.New(t.TempDir(), "intruder", r.Expires)
	must(t, err)
	must(t, other.RotateRootKey())
	for _, name := range []string{"root.json", "2.root.json"} {
		must(t, os.WriteFile(filepath.Join(dir, name), other.RootFile(2), 0o644))
	}
	_, err = client.New(client.Options{Root: r.RootFile(1), MetadataURL: srv.URL, CacheDir: dir})
	if !errors.Is(err, verify.ErrThreshold) || !strings.Contains(err.Error(), "remove the directory") {
		t.Errorf("a planted root: %v", err)
	}

	// root.json without the file that chains it.
	must(t, os.WriteFile(filepath.Join(dir, "root.json"), r.RootFile(2), 0o644))
	must(t, os.Remove(filepath.Join(dir, "2.root.json")))
	if _, err = client.New(client.Options{Root: r.RootFile(1), MetadataURL: srv.URL, CacheDir: dir}); err == nil || !strings.Contains(err.Error(), "2.root.json is missing") {
		t.Errorf("a cached root without its chain: %v", err)
	}

	// A cached root v1 that is not the embedded v1.
	must(t, os.WriteFile(filepath.Join(dir, "root.json"), other.RootFile(1), 0o644))
	if _, err = client.New(client.Options{Root: r.RootFile(1), MetadataURL: srv.URL, CacheDir: dir}); !errors.Is(err, root.ErrMalformed) {
		t.Errorf("another root v1 in the cache: %v", err)
	}

	// A program that ships a newer root than the cache's starts from it.
	must(t, os.WriteFile(filepath.Join(dir, "root.json"), r.RootFile(1), 0o644))
	c, err := client.New(client.Options{Root: r.RootFile(2), MetadataURL: srv.URL, CacheDir: dir, HTTPClient: srv.Client()})
	must(t, err)
	must(t, c.Refresh(t.Context()))
	if st, _ := c.Status(); st.Root != 2 {
		t.Errorf("root v%d", st.Root)
	}
}

// TestStaleCachedMetadata: cached delegated metadata the snapshot no
// longer names is fetched again, and a cached file that does not verify
// is replaced.
func TestStaleCachedMetadata(t *testing.T) {
	r := fixture(t)
	srv := serve(t, r.Dir)
	dir := t.TempDir()
	ctx := t.Context()
	c := newClient(t, r, srv, dir)
	must(t, c.Refresh(ctx))
	if _, err := c.Target(ctx, "acme/tool.pub"); err != nil {
		t.Fatal(err)
	}

	// A cached acme.json of the right version whose signature does not
	// verify (the snapshot lists versions only, so only verification
	// can tell).
	cached := filepath.Join(dir, "delegated", "acme.json")
	data, err := os.ReadFile(cached)
	must(t, err)
	must(t, os.WriteFile(cached, bytes.Replace(data, []byte(`"sig": "`), []byte(`"sig": "00`), 1), 0o644))
	srv.reset()
	c = newClient(t, r, srv, dir)
	if _, err := c.Target(ctx, "acme/tool.pub"); err != nil {
		t.Fatalf("with a corrupt cached acme.json: %v", err)
	}
	if srv.count("/1.acme.json") != 1 {
		t.Errorf("1.acme.json fetched %d times", srv.count("/1.acme.json"))
	}
	if now, _ := os.ReadFile(cached); !bytes.Equal(now, data) {
		t.Error("the corrupt cached acme.json was not replaced")
	}

	// A new acme version: the cached v1 is not used.
	must(t, r.AddDelegatedTarget("acme", "acme/other.pub", []byte("other"), ""))
	must(t, r.Publish())
	must(t, c.Refresh(ctx))
	if _, err := c.Target(ctx, "acme/other.pub"); err != nil {
		t.Fatalf("acme/other.pub: %v", err)
	}
	if srv.count("/2.acme.json") != 1 {
		t.Errorf("2.acme.json fetched %d times", srv.count("/2.acme.json"))
	}
}

// TestLongTargetName: a target whose name is too long for a file name is
// cached under its SHA-256.
func TestLongTargetName(t *testing.T) {
	r := fixture(t)
	long := strings.Repeat("directory/", 20) + "key.pub" // short on the server, long escaped
	must(t, r.AddTarget(long, []byte("a key with a long name"), ""))
	must(t, r.Publish())
	srv := serve(t, r.Dir)
	dir := t.TempDir()
	c := newClient(t, r, srv, dir)
	must(t, c.Refresh(t.Context()))
	for range 2 {
		got, err := c.Download(t.Context(), long)
		if err != nil || string(got) != "a key with a long name" {
			t.Fatalf("%q, %v", got, err)
		}
	}
	sum := sha256.Sum256([]byte(long))
	if !cacheFiles(t, dir)["targets/sha256-"+hex.EncodeToString(sum[:])] {
		t.Errorf("not cached under its SHA-256: %v", cacheFiles(t, dir))
	}
	if n := srv.count("/targets/" + strings.Repeat("directory/", 20) + mustHash(t, c, long) + ".key.pub"); n != 1 {
		t.Errorf("fetched %d times", n)
	}
}

func mustHash(t *testing.T, c *client.Client, name string) string {
	t.Helper()
	tg, err := c.Target(t.Context(), name)
	must(t, err)
	return tg.Hashes["sha256"]
}

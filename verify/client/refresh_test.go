package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
	"github.com/trustroot/trustroot/verify/client"
)

func TestRefreshAndLookup(t *testing.T) {
	r := fixture(t)
	must(t, r.RotateRootKey())
	must(t, r.Publish())
	srv := serve(t, r.Dir)
	c := newClient(t, r, srv, "")
	ctx := t.Context()

	if _, err := c.Target(ctx, "rekor.pub"); err == nil {
		t.Fatal("a lookup before any refresh succeeded")
	}
	if _, ok := c.Status(); ok {
		t.Fatal("a status before any refresh")
	}
	must(t, c.Refresh(ctx))
	st, ok := c.Status()
	if !ok || st.Root != 2 || st.Timestamp != 2 || st.Snapshot != 2 || st.Targets != 1 || st.FromCache {
		t.Fatalf("status %+v, %v", st, ok)
	}
	if !st.Expires.Equal(r.Expires.UTC().Truncate(1e9)) {
		t.Errorf("expires %v, want %v", st.Expires, r.Expires)
	}

	for name, want := range map[string][]byte{"fulcio_v2.crt.pem": fulcioPEM, "acme/tool.pub": acmeTool, "trusted_root.json": trustedRoot} {
		got, err := c.Download(ctx, name)
		if err != nil {
			t.Fatalf("Download(%s): %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Download(%s) = %q", name, got)
		}
	}
	// The delegated target came from its consistent-snapshot path.
	tool, err := c.Target(ctx, "acme/tool.pub")
	if err != nil || tool.Role != "acme" {
		t.Fatalf("acme/tool.pub: %+v, %v", tool, err)
	}
	if p := "/targets/acme/" + tool.Hashes["sha256"] + ".tool.pub"; srv.count(p) != 1 {
		t.Errorf("%s fetched %d times", p, srv.count(p))
	}
	tr, err := c.TrustedRoot(ctx)
	if err != nil || !bytes.Equal(tr, trustedRoot) {
		t.Errorf("TrustedRoot: %q, %v", tr, err)
	}

	_, err = c.Target(ctx, "acme/missing")
	if !errors.Is(err, verify.ErrTargetNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing target: %v", err)
	}

	all, err := c.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tg := range all {
		names = append(names, tg.Name)
	}
	if want := []string{"acme/tool.pub", "fulcio.crt.pem", "fulcio_v2.crt.pem", "rekor.pub", "trusted_root.json"}; !slices.Equal(names, want) {
		t.Errorf("Targets = %v, want %v", names, want)
	}

	for _, tc := range []struct {
		filter client.Sigstore
		want   []string
	}{
		{client.Sigstore{Usage: "Fulcio", Status: "Active"}, []string{"fulcio_v2.crt.pem"}},
		{client.Sigstore{Usage: "fulcio", Status: "expired"}, []string{"fulcio.crt.pem"}},
		{client.Sigstore{Usage: "Fulcio", URI: "https://fulcio.example"}, []string{"fulcio.crt.pem", "fulcio_v2.crt.pem"}},
		{client.Sigstore{Usage: "Rekor", Status: "Active"}, []string{"acme/tool.pub", "rekor.pub"}},
		{client.Sigstore{Usage: "TSA"}, nil},
	} {
		got, err := c.Select(ctx, tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tg := range got {
			names = append(names, tg.Name)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("Select(%+v) = %v, want %v", tc.filter, names, tc.want)
		}
	}
}

// TestFailedRefreshKeepsView: a refresh that fails leaves lookups and
// downloads on what the last good refresh trusted.
func TestFailedRefreshKeepsView(t *testing.T) {
	r := fixture(t)
	srv := serve(t, r.Dir)
	c := newClient(t, r, srv, "")
	ctx := t.Context()
	must(t, c.Refresh(ctx))

	// The repository moves on, but its timestamp is signed by the
	// snapshot key.
	must(t, r.AddTarget("fulcio_v2.crt.pem", []byte("a new certificate"), activeFulcio))
	must(t, r.Publish())
	must(t, r.ForgeTimestamp(r.TimestampVersion+1, r.Signer(root.RoleSnapshot)))
	err := c.Refresh(ctx)
	if !errors.Is(err, verify.ErrThreshold) {
		t.Fatalf("a timestamp signed by the wrong key: %v", err)
	}
	if st, _ := c.Status(); st.Timestamp != 1 || st.Targets != 1 {
		t.Errorf("status after a failed refresh: %+v", st)
	}
	got, err := c.Download(ctx, "fulcio_v2.crt.pem")
	if err != nil || !bytes.Equal(got, fulcioPEM) {
		t.Fatalf("after a failed refresh: %q, %v", got, err)
	}

	// Fixed: the next refresh moves on.
	must(t, r.Publish())
	must(t, c.Refresh(ctx))
	if got, _ := c.Download(ctx, "fulcio_v2.crt.pem"); string(got) != "a new certificate" {
		t.Errorf("after the repair: %q", got)
	}
}

// TestRootWalk404: a 404 on N.root.json ends the root walk, even with
// later versions on the server; any other status is an error naming it.
func TestRootWalk404(t *testing.T) {
	r := fixture(t)
	for range 3 {
		must(t, r.RotateRootKey())
	}
	must(t, r.Publish())
	srv := serve(t, r.Dir)
	ctx := t.Context()

	srv.on("/3.root.json", notFound)
	c := newClient(t, r, srv, t.TempDir())
	must(t, c.Refresh(ctx))
	if st, _ := c.Status(); st.Root != 2 {
		t.Fatalf("root v%d after a 404 on 3.root.json; want v2", st.Root)
	}
	if n := srv.count("/4.root.json"); n != 0 {
		t.Errorf("4.root.json fetched %d times after the walk ended", n)
	}

	srv.on("/3.root.json", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	err := c.Refresh(ctx)
	var he *client.HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "/3.root.json") {
		t.Fatalf("a 503 on 3.root.json: %v", err)
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a 503 matches fs.ErrNotExist: %v", err)
	}
	if st, _ := c.Status(); st.Root != 2 {
		t.Errorf("root v%d after a failed refresh", st.Root)
	}

	srv.on("/3.root.json", nil)
	must(t, c.Refresh(ctx))
	if st, _ := c.Status(); st.Root != 4 {
		t.Errorf("root v%d once 3.root.json is back; want v4", st.Root)
	}
	if n := srv.count("/5.root.json"); n != 1 {
		// Only the last refresh got past 3.root.json.
		t.Errorf("5.root.json fetched %d times, want 1", n)
	}
}

// TestMissingMetadata: a timestamp the server does not have fails with
// verify.ErrMissing.
func TestMissingMetadata(t *testing.T) {
	r := fixture(t)
	srv := serve(t, r.Dir)
	srv.on("/timestamp.json", notFound)
	err := newClient(t, r, srv, "").Refresh(t.Context())
	if !errors.Is(err, verify.ErrMissing) || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("no timestamp.json: %v", err)
	}
}

// TestFileSystemSource: the same workflow over an fs.FS.
func TestFileSystemSource(t *testing.T) {
	r := fixture(t)
	must(t, r.RotateRootKey())
	must(t, r.Publish())
	c, err := client.New(client.Options{Root: r.RootFile(1), FS: os.DirFS(r.Dir)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	must(t, c.Refresh(ctx))
	if st, _ := c.Status(); st.Root != 2 {
		t.Errorf("root v%d", st.Root)
	}
	got, err := c.Download(ctx, "acme/tool.pub")
	if err != nil || !bytes.Equal(got, acmeTool) {
		t.Fatalf("acme/tool.pub: %q, %v", got, err)
	}
	must(t, r.WriteFile("timestamp.json", []byte("{}")))
	if err := c.Refresh(ctx); !errors.Is(err, root.ErrMalformed) {
		t.Errorf("a malformed timestamp: %v", err)
	}
}

func TestNewOptions(t *testing.T) {
	r := fixture(t)
	v1 := r.RootFile(1)
	for _, tc := range []struct {
		name string
		opts client.Options
		want string
	}{
		{"no root", client.Options{MetadataURL: "https://example.org"}, "Root is required"},
		{"no source", client.Options{Root: v1}, "exactly one"},
		{"two sources", client.Options{Root: v1, MetadataURL: "https://example.org", FS: os.DirFS(r.Dir)}, "exactly one"},
		{"not http", client.Options{Root: v1, MetadataURL: "file:///tmp/repo"}, "http or https"},
		{"query", client.Options{Root: v1, MetadataURL: "https://example.org/?x=1"}, "no query"},
		{"bad targets URL", client.Options{Root: v1, MetadataURL: "https://example.org", TargetsURL: "ftp://example.org"}, "targets URL"},
		{"not a root", client.Options{Root: []byte("{}"), MetadataURL: "https://example.org"}, "trusted root"},
	} {
		if _, err := client.New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	// A root that does not meet its own threshold.
	var doc map[string]json.RawMessage
	must(t, json.Unmarshal(v1, &doc))
	doc["signatures"] = json.RawMessage("[]")
	unsigned, err := json.Marshal(doc)
	must(t, err)
	if _, err := client.New(client.Options{Root: unsigned, MetadataURL: "https://example.org"}); !errors.Is(err, verify.ErrThreshold) {
		t.Errorf("a root without signatures: %v", err)
	}
}

// TestConcurrentUse: lookups, downloads and status while refreshes move
// the client from release to release (run with -race).
func TestConcurrentUse(t *testing.T) {
	r := fixture(t)
	srv := serve(t, r.Dir)
	c := newClient(t, r, srv, t.TempDir())
	ctx := t.Context()
	must(t, c.Refresh(ctx))
	done := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				if _, err := c.Download(ctx, "acme/tool.pub"); err != nil {
					errs <- err
					return
				}
				if _, ok := c.Status(); !ok {
					errs <- errors.New("no status")
					return
				}
			}
		}()
	}
	for i := range 5 {
		must(t, r.AddTarget("rekor.pub", []byte{byte(i)}, activeRekor))
		must(t, r.Publish())
		must(t, c.Refresh(ctx))
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if st, _ := c.Status(); st.Timestamp != 6 {
		t.Errorf("timestamp v%d after five releases", st.Timestamp)
	}
}

// TestExpiredRoot: a newest root that has expired ends the refresh before
// the timestamp is fetched, with verify.ErrExpired naming the root.
func TestExpiredRoot(t *testing.T) {
	r := fixture(t)
	must(t, r.RotateRootKey())
	must(t, r.Publish())
	srv := serve(t, r.Dir)
	c := newClient(t, r, srv, "", func(o *client.Options) { o.Verify.Now = r.Expires.AddDate(0, 0, 1) })
	err := c.Refresh(t.Context())
	var exp *verify.ExpiredError
	if !errors.As(err, &exp) || exp.Role != root.RoleRoot || exp.Version != 2 {
		t.Fatalf("an expired root v2: %v", err)
	}
	if n := srv.count("/timestamp.json"); n != 0 {
		t.Errorf("timestamp.json fetched %d times after the root expired", n)
	}
}

package client_test

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/sharedtestdata"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
	"github.com/trustroot/trustroot/verify/client"
)

// sigstoreProd returns Sigstore's production repository as its CDN
// serves it, and its 1.root.json.
func sigstoreProd(t *testing.T) (dir string, v1 []byte) {
	t.Helper()
	dir = filepath.Join(sharedtestdata.SigstoreRepo(t), "prod-2026-08-21", "published")
	v1, err := os.ReadFile(filepath.Join(dir, "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, v1
}

// TestSigstoreProduction: from 1.root.json, the client follows Sigstore's
// real repository served over HTTP (roots v1-v15 with hex keys in v1-v4,
// snapshot and targets listed by version only, a terminating delegation
// for registry.npmjs.org/*), downloads trusted_root.json and the npm
// registry's keys, and selects the active Fulcio certificates. At the
// current time the same repository has expired.
func TestSigstoreProduction(t *testing.T) {
	dir, v1 := sigstoreProd(t)
	srv := serve(t, dir)
	ctx := t.Context()
	at := time.Date(2026, 8, 22, 0, 0, 0, 0, time.UTC)
	cache := t.TempDir()
	c, err := client.New(client.Options{Root: v1, MetadataURL: srv.URL, CacheDir: cache, HTTPClient: srv.Client(), Verify: verify.Options{Now: at}})
	if err != nil {
		t.Fatal(err)
	}
	must(t, c.Refresh(ctx))
	st, _ := c.Status()
	if st.Root != 15 || st.Timestamp != 762 || st.Snapshot != 165 || st.Targets != 14 {
		t.Errorf("status %+v; want root v15, timestamp v762, snapshot v165, targets v14", st)
	}
	if want := time.Date(2026, 8, 28, 19, 25, 56, 0, time.UTC); !st.Expires.Equal(want) {
		t.Errorf("the view expires %v; the timestamp does at %v", st.Expires, want)
	}
	for v := 2; v <= 16; v++ {
		if name := strconv.Itoa(v) + ".root.json"; srv.count("/"+name) != 1 {
			t.Errorf("%s fetched %d times", name, srv.count("/"+name))
		}
	}

	tr, err := c.TrustedRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		MediaType string `json:"mediaType"`
	}
	if err := json.Unmarshal(tr, &parsed); err != nil || !strings.HasPrefix(parsed.MediaType, "application/vnd.dev.sigstore.trustedroot") {
		t.Errorf("trusted_root.json: media type %q, %v", parsed.MediaType, err)
	}

	keys, err := c.Download(ctx, "registry.npmjs.org/keys.json")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(keys) {
		t.Error("registry.npmjs.org/keys.json is not JSON")
	}
	npm, err := c.Target(ctx, "registry.npmjs.org/keys.json")
	if err != nil || npm.Role != "registry.npmjs.org" {
		t.Errorf("registry.npmjs.org/keys.json: role %q, %v", npm.Role, err)
	}
	if srv.count("/8.registry.npmjs.org.json") != 1 || srv.count("/targets/registry.npmjs.org/"+npm.Hashes["sha256"]+".keys.json") != 1 {
		t.Errorf("the delegated role and target were not fetched from their consistent-snapshot paths: %v", srv.requests())
	}
	// The terminating delegation: nothing else under its paths.
	if _, err := c.Target(ctx, "registry.npmjs.org/other.json"); !errors.Is(err, verify.ErrTargetNotFound) {
		t.Errorf("registry.npmjs.org/other.json: %v", err)
	}

	fulcio, err := c.Select(ctx, client.Sigstore{Usage: "Fulcio", Status: "Active"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tg := range fulcio {
		names = append(names, tg.Name)
		data, err := c.Download(ctx, tg.Name)
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(data)
		if blk == nil || blk.Type != "CERTIFICATE" {
			t.Fatalf("%s is not a PEM certificate", tg.Name)
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil || !cert.IsCA {
			t.Errorf("%s: not a CA certificate (%v)", tg.Name, err)
		}
	}
	if want := []string{"fulcio_intermediate_v1.crt.pem", "fulcio_v1.crt.pem"}; !slices.Equal(names, want) {
		t.Errorf("active Fulcio certificates %v, want %v", names, want)
	}
	expired, err := c.Select(ctx, client.Sigstore{Usage: "Fulcio", Status: "Expired"})
	if err != nil || len(expired) != 1 || expired[0].Name != "fulcio.crt.pem" {
		t.Errorf("expired Fulcio certificates: %v, %v", expired, err)
	}
	all, err := c.Targets(ctx)
	if err != nil || len(all) != 12 || !slices.ContainsFunc(all, func(tg repository.Target) bool { return tg.Name == "registry.npmjs.org/keys.json" }) {
		t.Errorf("%d targets listed (%v), want the 11 top-level ones and the npm keys", len(all), err)
	}

	// A restart a day later reuses the cache: nothing but the next root
	// and the timestamp is fetched.
	srv.reset()
	again, err := client.New(client.Options{Root: v1, MetadataURL: srv.URL, CacheDir: cache, HTTPClient: srv.Client(), Verify: verify.Options{Now: at.AddDate(0, 0, 1)}})
	must(t, err)
	must(t, again.Refresh(ctx))
	if _, err := again.TrustedRoot(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	slices.Sort(reqs)
	if want := []string{"/16.root.json", "/timestamp.json"}; !slices.Equal(reqs, want) {
		t.Errorf("after a restart the client fetched %v, want %v", reqs, want)
	}

	// Today, the repository has expired: root v15 on 2026-11-20, the
	// timestamp long before.
	now, err := client.New(client.Options{Root: v1, MetadataURL: srv.URL, HTTPClient: srv.Client()})
	must(t, err)
	err = now.Refresh(ctx)
	var exp *verify.ExpiredError
	if !errors.Is(err, verify.ErrExpired) || !errors.As(err, &exp) {
		t.Fatalf("at the current time: %v", err)
	}
	// Root v15 expires on 2026-11-20, the timestamp on 2026-08-28.
	want, version := root.RoleTimestamp, int64(762)
	if time.Now().After(time.Date(2026, 11, 20, 13, 58, 18, 0, time.UTC)) {
		want, version = root.RoleRoot, 15
	}
	if exp.Role != want || exp.Version != version {
		t.Errorf("expired %s v%d, want %s v%d: %v", exp.Role, exp.Version, want, version, err)
	}
	if _, ok := now.Status(); ok {
		t.Error("an expired repository gave a view")
	}
}

// TestSigstoreProductionFS: the same repository read in place as an
// fs.FS.
func TestSigstoreProductionFS(t *testing.T) {
	dir, v1 := sigstoreProd(t)
	c, err := client.New(client.Options{Root: v1, FS: os.DirFS(dir), Verify: verify.Options{Now: time.Date(2026, 8, 22, 0, 0, 0, 0, time.UTC)}})
	must(t, err)
	ctx := t.Context()
	must(t, c.Refresh(ctx))
	if _, err := c.Download(ctx, "registry.npmjs.org/keys.json"); err != nil {
		t.Fatal(err)
	}
	rekor, err := c.Select(ctx, client.Sigstore{Usage: "Rekor", Status: "Active", URI: "https://rekor.sigstore.dev"})
	if err != nil || len(rekor) != 1 || rekor[0].Name != "rekor.pub" {
		t.Errorf("Rekor: %v, %v", rekor, err)
	}
}

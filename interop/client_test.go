package interop

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/trustroot/trustroot/internal/testrepo"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
	"github.com/trustroot/trustroot/verify/client"
)

// outcome is what one client made of one refresh: an error class, the
// versions it trusts, and what each lookup found.
type outcome struct {
	class    string // "ok", or the kind of failure
	versions string // root/timestamp/snapshot/targets, when ok
	lookups  map[string]string
}

func (o outcome) String() string {
	if o.class != "ok" {
		return o.class
	}
	return fmt.Sprintf("ok %s %v", o.versions, o.lookups)
}

// lookupNames are looked up after every successful refresh: top-level,
// delegated, added later, and names no role lists.
var lookupNames = []string{"fulcio.crt.pem", "trusted_root.json", "acme/tool", "acme/tool2", "acme/none", "nobody"}

// ourClass sorts an error of package client into the classes both
// clients can tell apart.
func ourClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, verify.ErrVersion): // rollback included
		return "version"
	case errors.Is(err, verify.ErrThreshold):
		return "signature"
	case errors.Is(err, verify.ErrExpired):
		return "expired"
	case errors.Is(err, repository.ErrHashMismatch), errors.Is(err, repository.ErrLengthMismatch):
		return "content"
	}
	return "other: " + err.Error()
}

func goTUFClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, &metadata.ErrBadVersionNumber{}):
		return "version"
	case errors.Is(err, &metadata.ErrUnsignedMetadata{}):
		return "signature"
	case errors.Is(err, &metadata.ErrExpiredMetadata{}):
		return "expired"
	case errors.Is(err, &metadata.ErrLengthOrHashMismatch{}):
		return "content"
	}
	return "other: " + err.Error()
}

// ours refreshes c and looks every name up, downloading what it finds.
func ours(t *testing.T, c *client.Client) outcome {
	t.Helper()
	ctx := t.Context()
	if err := c.Refresh(ctx); err != nil {
		return outcome{class: ourClass(err)}
	}
	st, _ := c.Status()
	o := outcome{class: "ok", versions: fmt.Sprintf("%d/%d/%d/%d", st.Root, st.Timestamp, st.Snapshot, st.Targets), lookups: map[string]string{}}
	for _, name := range lookupNames {
		tg, err := c.Target(ctx, name)
		if errors.Is(err, verify.ErrTargetNotFound) {
			o.lookups[name] = "not found"
			continue
		}
		if err != nil {
			o.lookups[name] = ourClass(err)
			continue
		}
		data, err := c.Download(ctx, name)
		if err != nil {
			o.lookups[name] = "download: " + ourClass(err)
			continue
		}
		o.lookups[name] = fmt.Sprintf("%d %s %q", tg.Length, tg.Hashes["sha256"], data)
	}
	return o
}

// goTUF refreshes with a new go-tuf updater on the cache dir, trusting
// the root it cached, as sigstore-go does on every start.
func goTUF(t *testing.T, url string, v1 []byte, dir string) outcome {
	t.Helper()
	trusted := v1
	if cached, err := os.ReadFile(filepath.Join(dir, "metadata", "root.json")); err == nil {
		trusted = cached
	}
	cfg, err := config.New(url, trusted)
	if err != nil {
		t.Fatal(err)
	}
	cfg.LocalMetadataDir = filepath.Join(dir, "metadata")
	cfg.LocalTargetsDir = filepath.Join(dir, "targets")
	if err := cfg.EnsurePathsExist(); err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetDefaultFetcherHTTPClient(httpClient()); err != nil {
		t.Fatal(err)
	}
	up, err := updater.New(cfg)
	if err != nil {
		return outcome{class: goTUFClass(err)}
	}
	if err := up.Refresh(); err != nil {
		return outcome{class: goTUFClass(err)}
	}
	tm := up.GetTrustedMetadataSet()
	o := outcome{class: "ok", lookups: map[string]string{},
		versions: fmt.Sprintf("%d/%d/%d/%d", tm.Root.Signed.Version, tm.Timestamp.Signed.Version, tm.Snapshot.Signed.Version, tm.Targets[metadata.TARGETS].Signed.Version)}
	for _, name := range lookupNames {
		info, err := up.GetTargetInfo(name)
		if err != nil {
			// go-tuf's "not found" is a plain error with this text.
			if err.Error() == "target "+name+" not found" {
				o.lookups[name] = "not found"
			} else {
				o.lookups[name] = goTUFClass(err)
			}
			continue
		}
		_, data, err := up.DownloadTarget(info, "", "")
		if err != nil {
			o.lookups[name] = "download: " + goTUFClass(err)
			continue
		}
		o.lookups[name] = fmt.Sprintf("%d %s %q", info.Length, hex.EncodeToString(info.Hashes["sha256"]), data)
	}
	return o
}

// TestClientAgreesWithGoTUF: our client, kept running and restarted at
// every step, and go-tuf's updater (restarted at every step from the root
// it cached, as sigstore-go runs it) follow one repository through root
// rotations, a timestamp key change, a delegation change, a rollback
// attempt, a fast-forward attack and the recovery from it, and agree on
// every outcome: what fails and how, the versions trusted, and every
// lookup and download.
func TestClientAgreesWithGoTUF(t *testing.T) {
	r, err := testrepo.New(t.TempDir(), "interop", time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.AddTarget("fulcio.crt.pem", []byte("fulcio certificate"), `{"sigstore":{"usage":"Fulcio","status":"Active"}}`))
	must(r.AddTarget("trusted_root.json", []byte(`{"mediaType":"trusted root"}`), ""))
	must(r.Delegate("acme", false, "acme/*"))
	must(r.AddDelegatedTarget("acme", "acme/tool", []byte("acme's tool"), ""))
	must(r.Publish())
	v1 := r.RootFile(1)
	srv := httptest.NewServer(http.FileServer(http.Dir(r.Dir)))
	t.Cleanup(srv.Close)

	running, err := client.New(client.Options{Root: v1, MetadataURL: srv.URL, CacheDir: t.TempDir(), HTTPClient: httpClient()})
	must(err)
	restartCache, goTUFCache := t.TempDir(), t.TempDir()
	var older []byte // a timestamp of an earlier release, for the rollback

	steps := []struct {
		name   string
		change func()
		want   string // the class every client must reach
	}{
		{"first release", func() {}, "ok"},
		{"two root rotations", func() {
			must(r.RotateRootKey())
			must(r.RotateRootKey())
			must(r.Publish())
		}, "ok"},
		{"timestamp key change", func() {
			var err error
			older, err = r.ReadFile("timestamp.json")
			must(err)
			must(r.RotateOnlineKey(root.RoleTimestamp))
			must(r.Publish())
		}, "ok"},
		{"delegation to a new key, with a new target", func() {
			must(r.RotateDelegationKey("acme"))
			must(r.AddDelegatedTarget("acme", "acme/tool2", []byte("acme's second tool"), ""))
			must(r.Publish())
		}, "ok"},
		{"rollback to an older timestamp under the current key", func() {
			must(r.ForgeTimestamp(r.TimestampVersion-1, r.Signer(root.RoleTimestamp)))
		}, "version"},
		{"rollback to a timestamp signed by the retired key", func() {
			must(r.WriteFile("timestamp.json", older))
		}, "signature"},
		{"the repository again", func() { must(r.Publish()) }, "ok"},
		{"fast-forward: a stolen timestamp key signs version 2^40", func() {
			must(r.ForgeTimestamp(1<<40, r.Signer(root.RoleTimestamp)))
		}, "ok"},
		{"the legitimate timestamp is now a rollback", func() { must(r.Publish()) }, "version"},
		{"recovery: a new root replaces the timestamp key", func() {
			must(r.RotateOnlineKey(root.RoleTimestamp))
			must(r.Publish())
		}, "ok"},
		{"and the next release", func() {
			must(r.AddTarget("fulcio.crt.pem", []byte("renewed fulcio certificate"), `{"sigstore":{"usage":"Fulcio","status":"Active"}}`))
			must(r.Publish())
		}, "ok"},
	}
	for i, step := range steps {
		step.change()
		restarted, err := client.New(client.Options{Root: v1, MetadataURL: srv.URL, CacheDir: restartCache, HTTPClient: httpClient()})
		must(err)
		a, b, g := ours(t, running), ours(t, restarted), goTUF(t, srv.URL, v1, goTUFCache)
		t.Logf("step %d, %s: %s", i, step.name, g)
		if a.String() != g.String() || b.String() != g.String() {
			t.Errorf("step %d, %s: disagreement\n  ours (running):   %s\n  ours (restarted): %s\n  go-tuf:           %s", i, step.name, a, b, g)
		}
		if g.class != step.want {
			t.Errorf("step %d, %s: %s, want %s", i, step.name, g.class, step.want)
		}
	}

	// The recovered clients trust the legitimate timestamp, not 2^40.
	st, _ := running.Status()
	if st.Timestamp != r.TimestampVersion || st.Root != int64(len(rootVersionsOf(r))) {
		t.Errorf("after recovery our client trusts %+v; the repository is at root v%d, timestamp v%d", st, len(rootVersionsOf(r)), r.TimestampVersion)
	}
	if data, err := running.Download(t.Context(), "fulcio.crt.pem"); err != nil || !bytes.Equal(data, []byte("renewed fulcio certificate")) {
		t.Errorf("fulcio.crt.pem: %q, %v", data, err)
	}
}

// rootVersionsOf lists the root versions r has published.
func rootVersionsOf(r *testrepo.Repo) []int64 {
	var vs []int64
	for v := int64(1); r.RootFile(v) != nil; v++ {
		vs = append(vs, v)
	}
	return vs
}

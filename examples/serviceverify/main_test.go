package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/sharedtestdata"
	"github.com/trustroot/trustroot/internal/testrepo"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/verify"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// certPEM returns a self-signed CA certificate named cn.
func certPEM(t *testing.T, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	must(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	must(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

const (
	activeFulcio  = `{"sigstore":{"usage":"Fulcio","status":"Active"}}`
	expiredFulcio = `{"sigstore":{"usage":"Fulcio","status":"Expired"}}`
	activeRekor   = `{"sigstore":{"usage":"Rekor","status":"Active"}}`
)

// fixture publishes a repository with an active and an expired Fulcio
// CA certificate and a Rekor key, rotated once, and serves it over HTTP.
func fixture(t *testing.T) (*testrepo.Repo, *httptest.Server, string) {
	t.Helper()
	r, err := testrepo.New(t.TempDir(), t.Name(), time.Now().AddDate(1, 0, 0))
	must(t, err)
	must(t, r.AddTarget("fulcio_v2.crt.pem", certPEM(t, "fulcio v2"), activeFulcio))
	must(t, r.AddTarget("fulcio.crt.pem", certPEM(t, "fulcio v1"), expiredFulcio))
	must(t, r.AddTarget("rekor.pub", keyPEM(t), activeRekor))
	must(t, r.Publish())
	must(t, r.RotateRootKey())
	must(t, r.Publish())
	srv := httptest.NewServer(http.FileServer(http.Dir(r.Dir)))
	t.Cleanup(srv.Close)
	v1 := filepath.Join(t.TempDir(), "1.root.json")
	must(t, os.WriteFile(v1, r.RootFile(1), 0o644))
	return r, srv, v1
}

func runArgs(args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, &out)
	return out.String(), err
}

var loadedRE = regexp.MustCompile(`(?m)^(\w+): loaded (\S+):`)

// loaded lists the targets an output says were loaded.
func loaded(out string) []string {
	var names []string
	for _, m := range loadedRE.FindAllStringSubmatch(out, -1) {
		names = append(names, m[2])
	}
	slices.Sort(names)
	return names
}

// TestUsages: from root v1, each kind of service loads exactly the targets
// marked active for it, through an HTTP mirror or a directory alike.
func TestUsages(t *testing.T) {
	r, srv, v1 := fixture(t)
	for usage, want := range map[string][]string{"Fulcio": {"fulcio_v2.crt.pem"}, "Rekor": {"rekor.pub"}} {
		viaHTTP, err := runArgs("-root", v1, "-url", srv.URL, "-usage", usage)
		must(t, err)
		if got := loaded(viaHTTP); !slices.Equal(got, want) {
			t.Errorf("%s: loaded %v, want %v:\n%s", usage, got, want, viaHTTP)
		}
		if !strings.Contains(viaHTTP, "trusted: root v2, timestamp v2") {
			t.Errorf("%s: output does not report root v2:\n%s", usage, viaHTTP)
		}
		viaDir, err := runArgs("-root", v1, "-repo", r.Dir, "-usage", usage)
		must(t, err)
		if viaDir != viaHTTP {
			t.Errorf("directory:\n%s\nHTTP mirror:\n%s", viaDir, viaHTTP)
		}
	}
	if !strings.Contains(mustRun(t, "-root", v1, "-url", srv.URL, "-usage", "Fulcio"), `certificate "CN=fulcio v2"`) {
		t.Error("the Fulcio certificate is not described")
	}
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runArgs(args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// TestSurvivesRestart: with a cache, a service restarted while the
// repository is unreachable starts from what it trusted; without one it
// cannot start.
func TestSurvivesRestart(t *testing.T) {
	_, srv, v1 := fixture(t)
	cache := t.TempDir()
	mustRun(t, "-root", v1, "-url", srv.URL, "-usage", "Fulcio", "-cache", cache)
	url := srv.URL
	srv.Close()

	out, err := runArgs("-root", v1, "-url", url, "-usage", "Fulcio", "-cache", cache)
	if err != nil {
		t.Fatalf("restart with the repository down: %v\n%s", err, out)
	}
	if !strings.Contains(out, "refresh failed, starting from the cache") || !slices.Equal(loaded(out), []string{"fulcio_v2.crt.pem"}) {
		t.Errorf("restart from the cache:\n%s", out)
	}
	if _, err := runArgs("-root", v1, "-url", url, "-usage", "Fulcio"); err == nil {
		t.Error("a service without a cache started with the repository down")
	}
}

// TestRollbackAcrossRestart: after a restart, a mirror serving an older
// timestamp is refused as a rollback; the service runs on what it trusted.
func TestRollbackAcrossRestart(t *testing.T) {
	r, srv, v1 := fixture(t)
	old, err := r.ReadFile("timestamp.json")
	must(t, err)
	must(t, r.Publish())
	cache := t.TempDir()
	mustRun(t, "-root", v1, "-url", srv.URL, "-usage", "Rekor", "-cache", cache)

	must(t, r.WriteFile("timestamp.json", old))
	out := mustRun(t, "-root", v1, "-url", srv.URL, "-usage", "Rekor", "-cache", cache)
	if !strings.Contains(out, "rollback") || !strings.Contains(out, "timestamp v3") || !slices.Equal(loaded(out), []string{"rekor.pub"}) {
		t.Errorf("a rollback after a restart:\n%s", out)
	}
	// Without the cache the old timestamp is, on its own, valid.
	if out := mustRun(t, "-root", v1, "-url", srv.URL, "-usage", "Rekor"); !strings.Contains(out, "timestamp v2") {
		t.Errorf("without a cache:\n%s", out)
	}
}

// TestStartFailures: at start, with nothing trusted yet, a failure stops
// the service with the cause.
func TestStartFailures(t *testing.T) {
	r, srv, v1 := fixture(t)

	_, err := runArgs("-root", v1, "-url", srv.URL, "-usage", "Fulcio", "-at", "2100-01-01T00:00:00Z")
	var exp *verify.ExpiredError
	if !errors.As(err, &exp) || exp.Role != "root" || !strings.Contains(err.Error(), "newest root has expired") {
		t.Errorf("in 2100: %v", err)
	}

	_, err = runArgs("-root", v1, "-url", srv.URL, "-usage", "TSA")
	if !errors.Is(err, errNoActiveTarget) {
		t.Errorf("no TSA target: %v", err)
	}

	// The active certificate, altered on the mirror.
	tg, err := repository.ParseTargets("targets", mustRead(t, r, "1.targets.json"))
	must(t, err)
	cert, _ := tg.Target("fulcio_v2.crt.pem")
	p := cert.Path(true)
	data := mustRead(t, r, p)
	data[len(data)/2] ^= 1
	must(t, r.WriteFile(p, data))
	if _, err := runArgs("-root", v1, "-url", srv.URL, "-usage", "Fulcio"); !errors.Is(err, repository.ErrHashMismatch) {
		t.Errorf("an altered certificate: %v", err)
	}
	must(t, os.Remove(filepath.Join(r.Dir, filepath.FromSlash(p))))
	if _, err := runArgs("-root", v1, "-url", srv.URL, "-usage", "Fulcio"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a missing certificate: %v", err)
	}
}

func mustRead(t *testing.T, r *testrepo.Repo, name string) []byte {
	t.Helper()
	data, err := r.ReadFile(name)
	must(t, err)
	return data
}

// watch is an output that ends the service's context once the output
// says what the test waits for.
type watch struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	done   func(string) bool
	cancel context.CancelFunc
}

func (w *watch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.done(w.buf.String()) {
		w.cancel()
	}
	return len(p), nil
}

func (w *watch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// loop runs the service with -every 1ms until its output satisfies done.
func loop(t *testing.T, done func(string) bool, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	w := &watch{done: done, cancel: cancel}
	if err := run(ctx, append(args, "-every", "1ms"), w); err != nil {
		t.Fatalf("%v\n%s", err, w.String())
	}
	return w.String()
}

// TestRefreshLoop: a running service picks up a new active certificate,
// and keeps serving what it trusted while refreshes fail.
func TestRefreshLoop(t *testing.T) {
	r, srv, v1 := fixture(t)
	var once sync.Once
	out := loop(t, func(out string) bool {
		if strings.Contains(out, "Fulcio: loaded fulcio_v2.crt.pem") {
			once.Do(func() {
				must(t, r.AddTarget("fulcio_v3.crt.pem", certPEM(t, "fulcio v3"), activeFulcio))
				must(t, r.Publish())
			})
		}
		return strings.Contains(out, "Fulcio: loaded fulcio_v3.crt.pem")
	}, "-root", v1, "-url", srv.URL, "-usage", "Fulcio")
	if !strings.Contains(out, "trusted: root v2, timestamp v3") {
		t.Errorf("the new release was not reported:\n%s", out)
	}

	// The mirror fails after the first refresh.
	var mu sync.Mutex
	n := 0
	files := http.FileServer(http.Dir(r.Dir))
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		if req.URL.Path == "/timestamp.json" {
			n++
		}
		down := n > 1
		mu.Unlock()
		if down {
			http.Error(w, "mirror down", http.StatusServiceUnavailable)
			return
		}
		files.ServeHTTP(w, req)
	}))
	defer flaky.Close()
	out = loop(t, func(out string) bool { return strings.Count(out, "refresh failed") >= 2 }, "-root", v1, "-url", flaky.URL, "-usage", "Fulcio")
	if strings.Count(out, "Fulcio: loaded") != 2 || !strings.Contains(out, "refresh failed, keeping 2 Fulcio targets") || !strings.Contains(out, "503") {
		t.Errorf("want one good refresh, then failures that keep the material:\n%s", out)
	}
}

// TestSigstoreProduction: against Sigstore's real repository, a Fulcio
// service loads the active CA certificates, not the expired one.
func TestSigstoreProduction(t *testing.T) {
	dir := filepath.Join(sharedtestdata.SigstoreRepo(t), "prod-2026-08-21", "published")
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	for usage, want := range map[string][]string{
		"Fulcio": {"fulcio_intermediate_v1.crt.pem", "fulcio_v1.crt.pem"},
		"Rekor":  {"rekor.pub"},
		"CTFE":   {"ctfe.pub", "ctfe_2022.pub"},
	} {
		out := mustRun(t, "-root", filepath.Join(dir, "1.root.json"), "-url", srv.URL, "-usage", usage, "-at", "2026-08-22T00:00:00Z")
		if got := loaded(out); !slices.Equal(got, want) {
			t.Errorf("%s: loaded %v, want %v:\n%s", usage, got, want, out)
		}
		if !strings.Contains(out, "trusted: root v15, timestamp v762") {
			t.Errorf("%s:\n%s", usage, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-root", "x"},
		{"-root", "x", "-usage", "Fulcio"},
		{"-root", "x", "-usage", "Fulcio", "-repo", "a", "-url", "http://127.0.0.1:1"},
		{"-root", "/nonexistent/1.root.json", "-usage", "Fulcio", "-repo", "a"},
		{"-root", "/nonexistent/1.root.json", "-usage", "Fulcio", "-repo", "a", "-at", "yesterday"},
		{"-bogus"},
	} {
		if _, err := runArgs(args...); err == nil || !strings.HasPrefix(err.Error(), "serviceverify: ") {
			t.Errorf("run(%q) = %v; want a serviceverify: error", args, err)
		}
	}
}

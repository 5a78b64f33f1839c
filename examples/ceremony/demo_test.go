package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"
)

// demoRun runs the demo once per test binary.
func demoRun(t testing.TB) (string, result) {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ceremony-demo-")
		if err != nil {
			demoOnce.res = result{code: -1, stderr: err.Error()}
			return
		}
		demoOnce.dir = filepath.Join(dir, "out")
		tl := &tool{dir: demoOnce.dir, tokens: newFakeTokens(), pin: "123456"}
		demoOnce.res = tl.run("demo", "-out", demoOnce.dir)
	})
	if demoOnce.res.code != 0 {
		t.Fatalf("demo failed: %v", demoOnce.res)
	}
	return demoOnce.dir, demoOnce.res
}

func TestMain(m *testing.M) {
	// The workflow tests put this binary on PATH as ceremony and gh.
	if code, ok := asTool(); ok {
		os.Exit(code)
	}
	code := m.Run()
	if demoOnce.dir != "" {
		os.RemoveAll(filepath.Dir(demoOnce.dir))
	}
	os.Exit(code)
}

// TestDemo: the demo tells the whole story and leaves a repository that
// verifies, with v1 -> v2 (keyholder replaced) -> v3 (threshold raised).
func TestDemo(t *testing.T) {
	dir, res := demoRun(t)
	for _, want := range []string{
		"$ ceremony enroll -holder erin -token fake",
		"Published repository/1.root.json",
		"Added target fulcio.crt.pem",
		"Added target rekor.pub",
		"Added target tsa.crt.pem",
		"Added target trusted_root.json",
		"Published role acme v1",
		"- dave key",
		"+ frank key",
		"threshold 3 of 5 -> 4 of 5",
		"Verified: root v3",
		"```mermaid",
		"Announce root v3 with its SHA-256: ",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	for _, f := range []string{"1.root.json", "2.root.json", "3.root.json", "root.json", "timestamp.json"} {
		if _, err := os.Stat(filepath.Join(dir, "repository", f)); err != nil {
			t.Errorf("demo repository: %v", err)
		}
	}
	// The announced digest is the SHA-256 of the published file.
	tl := &tool{t: t, dir: dir, tokens: newFakeTokens()}
	r := tl.in("verify", "-json")
	var rep verifyReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || !rep.Verified || rep.FinalVersion != 3 {
		t.Fatalf("verify -json of the demo: %v", r)
	}
	if !strings.Contains(res.stdout, "Announce root v3 with its SHA-256: "+rep.RootSHA256) {
		t.Fatalf("the demo announced another digest than verify's %s", rep.RootSHA256)
	}
	// Pinned at v2, and pinned at a root from elsewhere.
	r = tl.in("verify", "-trusted", filepath.Join(dir, "repository", "2.root.json"), "-json")
	if r.code != 0 || !strings.Contains(r.stdout, `"trusted_version": 2`) {
		t.Fatalf("verify -trusted v2: %v", r)
	}
	if r := tl.in("verify", "-trusted", sigstorePath(t, "prod", "1.root.json")); r.code != 1 {
		t.Fatalf("verify pinned at Sigstore's root: %v", r)
	}
	// The chain on its own, pinned at v1.
	r = tl.run("verify", "-chain", filepath.Join(dir, "repository"), "-trusted", filepath.Join(dir, "repository", "1.root.json"), "-json")
	if r.code != 0 || !strings.Contains(r.stdout, `"final_version": 3`) {
		t.Fatalf("verify -chain of the demo: %v", r)
	}
	// A second run into the same directory starts over.
	tl2 := &tool{t: t, dir: dir, tokens: newFakeTokens()}
	if r := tl2.run("demo", "-out", dir); r.code != 0 || !strings.Contains(r.stdout, "Verified: root v3") {
		t.Fatalf("demo again into the same directory: %v", r)
	}
	notDemo := t.TempDir()
	if err := os.WriteFile(filepath.Join(notDemo, "precious.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := tl2.run("demo", "-out", notDemo); r.code != 1 || !strings.Contains(r.stderr, "not empty") {
		t.Fatalf("demo into a non-empty directory: %v", r)
	}
}

// TestGoTUFClientFetchesDemo serves the demo repository over HTTP on
// loopback and runs go-tuf's updater from root v1: it must walk every root
// version and download every target, top-level and delegated, with the
// content the demo published.
func TestGoTUFClientFetchesDemo(t *testing.T) {
	dir, _ := demoRun(t)
	repo := filepath.Join(dir, "repository")
	var mu sync.Mutex
	var fetched []string
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fileServer := http.FileServer(http.Dir(repo))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fetched = append(fetched, r.URL.Path)
		mu.Unlock()
		fileServer.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	v1, err := os.ReadFile(filepath.Join(repo, "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.New(srv.URL, v1)
	if err != nil {
		t.Fatal(err)
	}
	cfg.LocalMetadataDir = t.TempDir()
	cfg.LocalTargetsDir = t.TempDir()
	cfg.RemoteTargetsURL = srv.URL + "/targets"
	up, err := updater.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Refresh(); err != nil {
		t.Fatalf("go-tuf Refresh: %v", err)
	}
	tm := up.GetTrustedMetadataSet()
	if v := tm.Root.Signed.Version; v != 3 {
		t.Fatalf("go-tuf trusts root v%d, want 3", v)
	}
	for _, p := range []string{"/2.root.json", "/3.root.json", "/4.root.json", "/timestamp.json"} {
		if !contains(fetched, p) {
			t.Errorf("go-tuf never asked for %s (asked: %v)", p, fetched)
		}
	}
	want := map[string]string{
		"fulcio.crt.pem":    "fulcio.crt.pem",
		"rekor.pub":         "rekor.pub",
		"tsa.crt.pem":       "tsa.crt.pem",
		"trusted_root.json": "trusted_root.json",
		"acme/release.pub":  "acme-release.pub",
	}
	if n := len(up.GetTopLevelTargets()); n != 4 {
		t.Errorf("top-level targets: %d, want 4", n)
	}
	for name, src := range want {
		tf, err := up.GetTargetInfo(name)
		if err != nil {
			t.Fatalf("go-tuf GetTargetInfo(%s): %v", name, err)
		}
		_, data, err := up.DownloadTarget(tf, filepath.Join(t.TempDir(), "dl"), "")
		if err != nil {
			t.Fatalf("go-tuf DownloadTarget(%s): %v", name, err)
		}
		orig, err := os.ReadFile(filepath.Join(dir, "material", src))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, orig) {
			t.Errorf("target %s: downloaded content differs from the published file", name)
		}
	}
	// Sigstore-style custom metadata on the service targets.
	for name, usage := range map[string]string{"fulcio.crt.pem": "Fulcio", "rekor.pub": "Rekor", "tsa.crt.pem": "TSA"} {
		tf, _ := up.GetTargetInfo(name)
		var c struct {
			Sigstore struct{ Usage, Status string } `json:"sigstore"`
		}
		if tf.Custom == nil || json.Unmarshal(*tf.Custom, &c) != nil || c.Sigstore.Usage != usage || c.Sigstore.Status != "Active" {
			t.Errorf("target %s: custom metadata does not say usage %s, status Active", name, usage)
		}
	}
}

// TestDemoTrustedRoot: trusted_root.json names exactly the published CA
// certificate, log key and TSA chain.
func TestDemoTrustedRoot(t *testing.T) {
	dir, _ := demoRun(t)
	data, err := os.ReadFile(filepath.Join(dir, "material", "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		MediaType string `json:"mediaType"`
		Tlogs     []struct {
			PublicKey struct {
				RawBytes []byte `json:"rawBytes"`
			} `json:"publicKey"`
		} `json:"tlogs"`
		CertificateAuthorities []struct {
			CertChain struct {
				Certificates []struct {
					RawBytes []byte `json:"rawBytes"`
				} `json:"certificates"`
			} `json:"certChain"`
		} `json:"certificateAuthorities"`
		TimestampAuthorities []struct {
			CertChain struct {
				Certificates []struct {
					RawBytes []byte `json:"rawBytes"`
				} `json:"certificates"`
			} `json:"certChain"`
		} `json:"timestampAuthorities"`
	}
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tr.MediaType, "application/vnd.dev.sigstore.trustedroot+json") {
		t.Errorf("mediaType %q", tr.MediaType)
	}
	der := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, "material", name))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("%s is not PEM", name)
		}
		return blk.Bytes
	}
	if len(tr.CertificateAuthorities) != 1 || !bytes.Equal(tr.CertificateAuthorities[0].CertChain.Certificates[0].RawBytes, der("fulcio.crt.pem")) {
		t.Error("trusted_root.json's CA is not fulcio.crt.pem")
	}
	if len(tr.Tlogs) != 1 || !bytes.Equal(tr.Tlogs[0].PublicKey.RawBytes, der("rekor.pub")) {
		t.Error("trusted_root.json's log key is not rekor.pub")
	}
	if len(tr.TimestampAuthorities) != 1 || len(tr.TimestampAuthorities[0].CertChain.Certificates) != 2 ||
		!bytes.Equal(tr.TimestampAuthorities[0].CertChain.Certificates[0].RawBytes, der("tsa.crt.pem")) {
		t.Fatal("trusted_root.json's TSA chain does not start with tsa.crt.pem")
	}
	leaf, err := x509.ParseCertificate(tr.TimestampAuthorities[0].CertChain.Certificates[0].RawBytes)
	if err != nil {
		t.Fatal(err)
	}
	rootCert, err := x509.ParseCertificate(tr.TimestampAuthorities[0].CertChain.Certificates[1].RawBytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.CheckSignatureFrom(rootCert); err != nil {
		t.Fatalf("TSA leaf is not signed by the TSA root: %v", err)
	}
	_ = context.Background
}

package interop

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
)

// sigstoreClient returns sigstore-go's TUF client for the repository at
// url, trusting v1 and caching in a fresh directory.
func sigstoreClient(t *testing.T, url string, v1 []byte) (*tuf.Client, error) {
	t.Helper()
	// One try per request (NewDefaultFetcher's default), each bounded.
	f := fetcher.NewDefaultFetcher()
	f.SetHTTPClient(httpClient())
	opts := &tuf.Options{
		Root:              v1,
		RepositoryBaseURL: url,
		CachePath:         t.TempDir(),
		Fetcher:           f,
	}
	return tuf.New(opts)
}

// activeTargets returns the PEM blocks of the targets whose custom metadata
// marks them {"sigstore": {"usage": usage, "status": "Active"}}.
func activeTargets(t *testing.T, repo string, l listing, usage string) [][]byte {
	t.Helper()
	var ders [][]byte
	for p, c := range l.Custom {
		s, _ := c["sigstore"].(map[string]any)
		if s["usage"] != usage || s["status"] != "Active" {
			continue
		}
		b, err := os.ReadFile(l.targetFile(repo, p))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("target %s (usage %s) is not PEM", p, usage)
		}
		ders = append(ders, blk.Bytes)
	}
	if len(ders) == 0 {
		t.Fatalf("the demo repository has no active %s target", usage)
	}
	return ders
}

func contains(set [][]byte, b []byte) bool {
	for _, s := range set {
		if bytes.Equal(s, b) {
			return true
		}
	}
	return false
}

// TestSigstoreGo: sigstore-go's own TUF client, starting from our v1 root,
// fetches trusted_root.json from the demo repository, and sigstore-go loads
// it as a Sigstore trusted root whose CA certificate, log key and
// timestamping certificate are the ones the demo protects as targets.
func TestSigstoreGo(t *testing.T) {
	repo := demo(t)
	v1, err := os.ReadFile(filepath.Join(repo, "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	l := list(t, repo)
	if _, ok := l.Targets["trusted_root.json"]; !ok {
		t.Fatal("the demo repository publishes no trusted_root.json target")
	}

	srv := serve(t, repo)
	c, err := sigstoreClient(t, srv.URL, v1)
	if err != nil {
		t.Fatalf("sigstore-go tuf.New from our v1 root: %v", err)
	}
	data, err := c.GetTarget("trusted_root.json")
	if err != nil {
		t.Fatalf("sigstore-go GetTarget(trusted_root.json): %v", err)
	}
	final := rootVersions(t, repo)
	if p := fmt.Sprintf("/%d.root.json", final[len(final)-1]); !srv.requested(p) {
		t.Errorf("sigstore-go never fetched %s", p)
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		t.Fatalf("sigstore-go root.NewTrustedRootFromJSON: %v", err)
	}

	cas := activeTargets(t, repo, l, "Fulcio")
	if len(tr.FulcioCertificateAuthorities()) == 0 {
		t.Error("trusted_root.json has no certificate authority")
	}
	for _, ca := range tr.FulcioCertificateAuthorities() {
		f, ok := ca.(*root.FulcioCertificateAuthority)
		if !ok {
			t.Errorf("certificate authority of type %T", ca)
			continue
		}
		if !inChain(cas, f.Root, f.Intermediates, nil) {
			t.Errorf("certificate authority %s is not an active Fulcio target", f.URI)
		}
	}

	logKeys := activeTargets(t, repo, l, "Rekor")
	if len(tr.RekorLogs()) == 0 {
		t.Error("trusted_root.json has no transparency log")
	}
	for id, lg := range tr.RekorLogs() {
		der, err := x509.MarshalPKIXPublicKey(lg.PublicKey)
		if err != nil {
			t.Fatalf("log %s: %v", id, err)
		}
		if !contains(logKeys, der) {
			t.Errorf("log %s: its key is not an active Rekor target", id)
		}
	}

	tsas := activeTargets(t, repo, l, "TSA")
	if len(tr.TimestampingAuthorities()) == 0 {
		t.Error("trusted_root.json has no timestamping authority")
	}
	for _, ta := range tr.TimestampingAuthorities() {
		s, ok := ta.(*root.SigstoreTimestampingAuthority)
		if !ok {
			t.Errorf("timestamping authority of type %T", ta)
			continue
		}
		if !inChain(tsas, s.Root, s.Intermediates, s.Leaf) {
			t.Errorf("timestamping authority %s is not an active TSA target", s.URI)
		}
	}
}

// inChain reports whether any certificate of a chain is one of ders.
func inChain(ders [][]byte, rootCert *x509.Certificate, inter []*x509.Certificate, leaf *x509.Certificate) bool {
	chain := append([]*x509.Certificate{rootCert, leaf}, inter...)
	for _, c := range chain {
		if c != nil && contains(ders, c.Raw) {
			return true
		}
	}
	return false
}

// TestSigstoreGoRejectsTampering: sigstore-go's client refuses to start
// from our v1 root when a later root's signed content was changed.
func TestSigstoreGoRejectsTampering(t *testing.T) {
	repo := demo(t)
	v1, err := os.ReadFile(filepath.Join(repo, "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := copyRepo(t, repo)
	tamperRoot(t, filepath.Join(bad, "2.root.json"))
	c, err := sigstoreClient(t, serve(t, bad).URL, v1)
	if err == nil {
		_, err = c.GetTarget("trusted_root.json")
	}
	if err == nil {
		t.Fatal("sigstore-go accepted a 2.root.json whose content changed after signing")
	}
}

package interop

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"
)

// ed25519Gate names a repository whose root v1 has Ed25519 keys on
// (simulated) YubiKeys: examples/ceremony's TestPIVRehearsal writes one
// when CEREMONY_REHEARSAL_OUT is set, and scripts/test.sh passes it here.
const ed25519Gate = "INTEROP_ED25519_REPO"

// TestEd25519RootKeys: go-tuf's client, sigstore-go's TUF client and
// tuf-js's models accept a root signed by a threshold that needs an
// Ed25519 key's signature (keytype and scheme "ed25519", made by a
// firmware 5.7 YubiKey), and each rejects the same root once that
// Ed25519 signature is altered, so the Ed25519 key is verified, not
// skipped.
func TestEd25519RootKeys(t *testing.T) {
	repo := os.Getenv(ed25519Gate)
	if repo == "" {
		t.Skipf("%s is not set (scripts/test.sh sets it after the PIV rehearsal)", ed25519Gate)
	}
	v1, err := os.ReadFile(filepath.Join(repo, "1.root.json"))
	if err != nil {
		t.Fatalf("%s=%s: %v", ed25519Gate, repo, err)
	}
	edSigned := ed25519Signatures(t, v1)
	if edSigned == 0 {
		t.Fatalf("%s: root v1 has no signature by an ed25519 key", repo)
	}

	srv := serve(t, repo)
	up := newUpdater(t, srv.URL, v1)
	if err := up.Refresh(); err != nil {
		t.Errorf("go-tuf refresh: %v", err)
	}
	if _, err := sigstoreClient(t, srv.URL, v1); err != nil {
		t.Errorf("sigstore-go TUF client: %v", err)
	}
	if _, stderr, err := runTUFJS(t, repo); err != nil {
		t.Errorf("tuf-js: %v\n%s", err, stderr)
	}

	// The same repository with every Ed25519 signature altered.
	bad := t.TempDir()
	if err := os.CopyFS(bad, os.DirFS(repo)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"1.root.json", "root.json"} {
		alterEd25519Signatures(t, filepath.Join(bad, f))
	}
	badV1, err := os.ReadFile(filepath.Join(bad, "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	badSrv := serve(t, bad)
	if _, err := sigstoreClient(t, badSrv.URL, badV1); err == nil || !strings.Contains(err.Error(), "signatures") {
		t.Errorf("sigstore-go accepted an altered Ed25519 signature (err %v)", err)
	}
	if _, stderr, err := runTUFJS(t, bad); err == nil || !strings.Contains(stderr, "1.root.json") {
		t.Errorf("tuf-js accepted an altered Ed25519 signature (%v: %s)", err, stderr)
	}
	// go-tuf refuses the trusted root itself, in updater.New.
	cfg, err := config.New(badSrv.URL, badV1)
	if err != nil {
		t.Fatal(err)
	}
	cfg.LocalMetadataDir, cfg.LocalTargetsDir = t.TempDir(), t.TempDir()
	if _, err := updater.New(cfg); err == nil || !strings.Contains(err.Error(), "signatures") {
		t.Errorf("go-tuf accepted an altered Ed25519 signature (err %v)", err)
	}
}

// ed25519Signatures counts the signatures of a root by ed25519 keys.
func ed25519Signatures(t *testing.T, data []byte) int {
	t.Helper()
	var r struct {
		Signed struct {
			Keys map[string]struct {
				KeyType string `json:"keytype"`
				Scheme  string `json:"scheme"`
			} `json:"keys"`
		} `json:"signed"`
		Signatures []struct {
			KeyID string `json:"keyid"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range r.Signatures {
		k := r.Signed.Keys[s.KeyID]
		if k.KeyType == "ed25519" && k.Scheme == "ed25519" {
			n++
		}
	}
	return n
}

// alterEd25519Signatures flips the last byte of every signature by an
// ed25519 key in the root file at path, keeping everything else.
func alterEd25519Signatures(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]json.RawMessage
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	var signed struct {
		Keys map[string]struct {
			KeyType string `json:"keytype"`
		} `json:"keys"`
	}
	var sigs []map[string]string
	if err := json.Unmarshal(r["signed"], &signed); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(r["signatures"], &sigs); err != nil {
		t.Fatal(err)
	}
	for _, s := range sigs {
		if signed.Keys[s["keyid"]].KeyType != "ed25519" {
			continue
		}
		v := s["sig"]
		last := "00"
		if strings.HasSuffix(v, "00") {
			last = "01"
		}
		s["sig"] = v[:len(v)-2] + last
	}
	if r["signatures"], err = json.Marshal(sigs); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

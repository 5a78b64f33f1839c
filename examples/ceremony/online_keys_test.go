package main

import (
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/trustroot/trustroot/signer/fake"
)

// writeEncryptedKeyFile writes a private key derived from name, encrypted
// with pass the way cosign does, and returns its path.
func writeEncryptedKeyFile(t *testing.T, name, pass string) string {
	t.Helper()
	der, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(fake.New("keyfile-"+name).PrivateKey(), func(bool) ([]byte, error) { return []byte(pass), nil })
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name+".key")
	writeFile(t, p, pem.EncodeToMemory(&pem.Block{Type: string(cryptoutils.EncryptedSigstorePrivateKeyPEMType), Bytes: der}))
	return p
}

// TestPEMOnlineKeys: an encrypted PEM key file signs the online roles of a
// small project, its passphrase read once per command from a file
// descriptor. A PEM key file used to be refused as an online signer.
func TestPEMOnlineKeys(t *testing.T) {
	const pass = "correct horse battery staple"
	key := writeEncryptedKeyFile(t, "online", pass)
	tl := newTool(t)
	tl.must("init", "-name", "small", "-threshold", "1", "-attestation-roots", "fake",
		"-online-signers", "targets=pem:"+key+",snapshot=pem:"+key+",timestamp=pem:"+key)
	tl.must("enroll", "-holder", "alice", "-token", "fake")

	// A wrong passphrase is refused, naming the file, and stages nothing.
	tl.pin = "wrong"
	r := tl.in("stage", "-passphrase-fd", "3")
	if r.code != 1 || !strings.Contains(r.stderr, "wrong or missing password") || !strings.Contains(r.stderr, filepath.ToSlash(key)) || tl.exists("staged/root.json") {
		t.Fatalf("stage with a wrong passphrase: %v", r)
	}
	tl.pin = pass
	before := tl.pinReads.Load()
	r = tl.must("stage", "-passphrase-fd", "3")
	if n := tl.pinReads.Load() - before; n != 1 {
		t.Fatalf("stage read the passphrase %d times for one key file signing three roles, want once", n)
	}
	if !strings.Contains(r.stdout, "online targets, snapshot, timestamp (pem:"+key+")") {
		t.Errorf("stage does not name the key file's roles: %v", r)
	}
	tl.pin = fake.DefaultPIN
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	// Without -passphrase-fd the passphrase comes from the prompt (stdin
	// here), never from a flag or the environment.
	tl.pin = pass
	r = tl.must("publish")
	if !strings.Contains(r.stderr, "Enter the passphrase of "+filepath.ToSlash(key)) {
		t.Errorf("publish did not prompt for the key file's passphrase: %v", r)
	}
	src := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, src, []byte("a CA certificate"))
	tl.must("targets", "add", "ca.pem", src, "-passphrase-fd", "3")
	tl.must("verify")
	if strings.Contains(string(tl.read("ceremony.json")), pass) {
		t.Fatal("the passphrase reached ceremony.json")
	}
}

// TestPEMDelegation: a delegated role whose key is a PEM private key file
// can be signed with that file and removed. It used to be published and
// then never signable (delegation sign took fake:NAME and KMS URIs only)
// nor removable.
func TestPEMDelegation(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	tl.must("publish")
	plain := writeKeyFile(t, "acme-1")
	const pass = "acme's passphrase"
	enc := writeEncryptedKeyFile(t, "acme-2", pass)
	tl.pin = pass
	tl.must("delegation", "add", "-role", "acme", "-key", "pem:"+plain, "-key", "pem:"+enc, "-threshold", "2", "-paths", "acme/*", "-passphrase-fd", "3")
	src := filepath.Join(t.TempDir(), "release.pub")
	writeFile(t, src, []byte("acme's release key"))
	tl.must("delegation", "target", "-role", "acme", "acme/release.pub", src)
	tl.must("delegation", "sign", "-role", "acme", "-key", "pem:"+plain)
	r := tl.in("delegation", "publish", "-role", "acme")
	if r.code != 1 || !strings.Contains(r.stderr, "lacks a threshold of 2") {
		t.Fatalf("publish with 1 of 2 signatures: %v", r)
	}
	// A key that is not the role's is refused before it signs.
	other := writeKeyFile(t, "other")
	if r := tl.in("delegation", "sign", "-role", "acme", "-key", "pem:"+other); r.code != 1 || !strings.Contains(r.stderr, "is not a key of delegated role acme") {
		t.Fatalf("delegation sign with a foreign key file: %v", r)
	}
	tl.must("delegation", "sign", "-role", "acme", "-key", "pem:"+enc, "-passphrase-fd", "3")
	tl.must("delegation", "publish", "-role", "acme")
	r = tl.must("verify")
	if !strings.Contains(r.stdout, "1 delegated role(s)") {
		t.Fatalf("verify after publishing acme: %v", r)
	}
	r = tl.must("delegation", "remove", "-role", "acme")
	if !strings.Contains(r.stdout, "Removed delegated role acme") || tl.exists("staged/delegations/acme") {
		t.Fatalf("delegation remove: %v", r)
	}
	r = tl.must("delegation", "list")
	if !strings.Contains(r.stdout, "No delegated roles") {
		t.Fatalf("delegation list after remove: %v", r)
	}
	r = tl.must("verify")
	if !strings.Contains(r.stdout, "0 delegated role(s)") {
		t.Fatalf("verify after removing acme: %v", r)
	}
	// The role can be delegated again; its new metadata does not reuse
	// the version numbers of the files already published.
	first := tl.read("repository/1.acme.json")
	tl.must("delegation", "add", "-role", "acme", "-key", "pem:"+plain, "-paths", "acme/*")
	tl.must("delegation", "target", "-role", "acme", "acme/release.pub", src)
	tl.must("delegation", "sign", "-role", "acme", "-key", "pem:"+plain)
	tl.must("delegation", "publish", "-role", "acme")
	if string(tl.read("repository/1.acme.json")) != string(first) || !tl.exists("repository/2.acme.json") {
		t.Fatal("delegating acme again rewrote its published 1.acme.json instead of publishing 2.acme.json")
	}
	tl.must("verify")
}

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer/fake"
)

func fileSHA256(t *testing.T, p string) string {
	t.Helper()
	sum := sha256.Sum256(readFile(t, p))
	return hex.EncodeToString(sum[:])
}

// attackersV1 builds another root v1 from the demo's: its root keys plus
// one of the attacker's (or, without keep, the attacker's alone), root
// threshold 1, signed by the attacker alone.
func attackersV1(t *testing.T, v1File string, keep bool) []byte {
	t.Helper()
	v1, err := root.Parse(readFile(t, v1File))
	if err != nil {
		t.Fatal(err)
	}
	attacker := fake.New("attacker")
	ak, err := root.NewKey(attacker.Public(), root.KeyOptions{Holder: "mallory"})
	if err != nil {
		t.Fatal(err)
	}
	pol := root.Policy{Roles: map[root.Role]root.RolePolicy{}, Expires: v1.Expires(), ConsistentSnapshot: true}
	for _, role := range root.TopLevelRoles() {
		rk, _ := v1.Role(role)
		pol.Roles[role] = root.RolePolicy(rk)
	}
	var keys []root.Key
	if keep {
		rk, _ := v1.Role(root.RoleRoot)
		keys = rk.Keys
	}
	pol.Roles[root.RoleRoot] = root.RolePolicy{Keys: append(append([]root.Key(nil), keys...), ak), Threshold: 1}
	forged, err := root.New(pol)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forged.Sign(context.Background(), attacker, nil); err != nil {
		t.Fatal(err)
	}
	data, err := forged.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestVerifyTrustedRejectsSwappedFirstRoot: verify -trusted with the
// announced 1.root.json fails when the repository's own 1.root.json is
// another root (an attacker's v1 with one more key and threshold 1),
// naming the file and both SHA-256. It used to pass: the walk started
// after the trusted version and never looked at the repository's copy.
func TestVerifyTrustedRejectsSwappedFirstRoot(t *testing.T) {
	dir, _ := demoRun(t)
	announced := filepath.Join(t.TempDir(), "announced-1.root.json")
	writeFile(t, announced, readFile(t, filepath.Join(dir, "repository", "1.root.json")))
	tl := &tool{t: t, dir: cloneDir(t, dir), tokens: newFakeTokens()}
	tl.must("verify", "-trusted", announced)

	forged := attackersV1(t, announced, true)
	writeFile(t, tl.path("repository/1.root.json"), forged)
	r := tl.in("verify", "-trusted", announced)
	sum := sha256.Sum256(forged)
	if r.code != 1 || !strings.Contains(r.stderr, "repository/1.root.json (SHA-256 "+hex.EncodeToString(sum[:])+") is not the trusted root "+announced+" (SHA-256 "+fileSHA256(t, announced)+")") {
		t.Fatalf("verify -trusted over a swapped 1.root.json: %v", r)
	}
	if strings.Contains(r.stdout, "ok   every root key") || strings.Contains(r.stdout, "Verified") {
		t.Errorf("verify printed success lines: %v", r)
	}

	// Trusting v2, the older v1 must still be v2's predecessor: signed
	// by a threshold of keys v2's rotation needs. (A v1 whose keys include
	// all of the real v1's is one; only the announced v1 tells it apart.)
	writeFile(t, tl.path("repository/1.root.json"), attackersV1(t, announced, false))
	v2 := filepath.Join(t.TempDir(), "announced-2.root.json")
	writeFile(t, v2, readFile(t, filepath.Join(dir, "repository", "2.root.json")))
	r = tl.in("verify", "-trusted", v2)
	if r.code != 1 || !strings.Contains(r.stderr, "repository/1.root.json is not part of the trusted root's history") {
		t.Fatalf("verify -trusted v2 over a swapped 1.root.json: %v", r)
	}
	good := &tool{t: t, dir: cloneDir(t, dir), tokens: newFakeTokens()}
	if r := good.in("verify", "-trusted", v2); r.code != 0 || !strings.Contains(r.stdout, "ok   repository/2.root.json is the trusted root") {
		t.Fatalf("verify -trusted v2 of the demo: %v", r)
	}
	// A repository that stops before the trusted root is a rollback.
	rolledBack := &tool{t: t, dir: cloneDir(t, dir), tokens: newFakeTokens()}
	removeFile(t, rolledBack.path("repository/3.root.json"))
	writeFile(t, rolledBack.path("repository/root.json"), readFile(t, rolledBack.path("repository/2.root.json")))
	v3 := filepath.Join(t.TempDir(), "3.root.json")
	writeFile(t, v3, readFile(t, filepath.Join(dir, "repository", "3.root.json")))
	if r := rolledBack.in("verify", "-trusted", v3); r.code != 1 || !strings.Contains(r.stderr, "ends at root v2, older than the trusted root v3") {
		t.Fatalf("verify -trusted v3 of a repository that ends at v2: %v", r)
	}
}

// TestVerifyChainTrustedRejectsAnotherProjectsRoot: verify -chain DIR
// -trusted FILE fails when DIR's 1.root.json is another project's root.
// It used to accept it.
func TestVerifyChainTrustedRejectsAnotherProjectsRoot(t *testing.T) {
	dir, _ := demoRun(t)
	announced := filepath.Join(dir, "repository", "1.root.json")
	other := newTool(t)
	other.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		other.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	other.must("publish")

	chain := t.TempDir()
	for _, v := range []string{"1", "2", "3"} {
		writeFile(t, filepath.Join(chain, v+".root.json"), readFile(t, filepath.Join(dir, "repository", v+".root.json")))
	}
	tl := newTool(t)
	if r := tl.run("verify", "-chain", chain, "-trusted", announced); r.code != 0 {
		t.Fatalf("verify -chain of the demo's roots: %v", r)
	}
	writeFile(t, filepath.Join(chain, "1.root.json"), other.read("repository/1.root.json"))
	r := tl.run("verify", "-chain", chain, "-trusted", announced)
	if r.code != 1 || !strings.Contains(r.stderr, filepath.ToSlash(chain)+"/1.root.json (SHA-256 "+fileSHA256(t, filepath.Join(chain, "1.root.json"))+") is not the trusted root") {
		t.Fatalf("verify -chain with another project's 1.root.json: %v", r)
	}
	// And -json says the same.
	r = tl.run("verify", "-chain", chain, "-trusted", announced, "-json")
	if r.code != 1 || !strings.Contains(r.stdout, `"verified": false`) || !strings.Contains(r.stdout, "is not the trusted root") {
		t.Fatalf("verify -chain -json with another project's 1.root.json: %v", r)
	}
}

// TestVerifyRootJSONIsNewestRoot: repository/root.json must be the newest
// N.root.json; a different one fails, naming both SHA-256. It used to be a
// warning at most, and none when root.json was another root of the same
// version.
func TestVerifyRootJSONIsNewestRoot(t *testing.T) {
	dir, _ := demoRun(t)
	for name, content := range map[string]func(t *testing.T, tl *tool) []byte{
		"an older root": func(t *testing.T, tl *tool) []byte { return tl.read("repository/1.root.json") },
		"re-indented":   func(t *testing.T, tl *tool) []byte { return append(tl.read("repository/3.root.json"), '\n') },
	} {
		t.Run(name, func(t *testing.T) {
			tl := &tool{t: t, dir: cloneDir(t, dir), tokens: newFakeTokens()}
			data := content(t, tl)
			writeFile(t, tl.path("repository/root.json"), data)
			sum := sha256.Sum256(data)
			r := tl.in("verify")
			if r.code != 1 || !strings.Contains(r.stderr, "repository/root.json (SHA-256 "+hex.EncodeToString(sum[:])+") is not the newest root 3.root.json (SHA-256 "+fileSHA256(t, tl.path("repository/3.root.json"))+")") {
				t.Fatalf("verify with root.json %s: %v", name, r)
			}
		})
	}
	chain := t.TempDir()
	for _, v := range []string{"1", "2", "3"} {
		writeFile(t, filepath.Join(chain, v+".root.json"), readFile(t, filepath.Join(dir, "repository", v+".root.json")))
	}
	writeFile(t, filepath.Join(chain, "root.json"), readFile(t, filepath.Join(dir, "repository", "2.root.json")))
	if r := newTool(t).run("verify", "-chain", chain); r.code != 1 || !strings.Contains(r.stderr, "root.json (SHA-256") {
		t.Fatalf("verify -chain with a stale root.json: %v", r)
	}
}

// TestVerifyOKOnlyAfterCheck: in the text report every "ok" line is a check
// that passed: a repository that fails its first root check prints none
// after the failure point.
func TestVerifyOKOnlyAfterCheck(t *testing.T) {
	dir, _ := demoRun(t)
	tl := &tool{t: t, dir: cloneDir(t, dir), tokens: newFakeTokens()}
	ts := tl.path("repository/timestamp.json")
	writeFile(t, ts, []byte(strings.Replace(string(readFile(t, ts)), `"version": `, `"version": 1`, 1)))
	r := tl.in("verify")
	if r.code != 1 || strings.Contains(r.stdout, "verify as a TUF client sees them") || strings.Contains(r.stdout, "Verified") {
		t.Fatalf("verify with a tampered timestamp: %v", r)
	}
	if strings.Contains(r.stderr, "go-tuf") {
		t.Errorf("the failure is reported in go-tuf's words, not the tool's: %v", r)
	}
}

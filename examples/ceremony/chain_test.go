package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type chainJSON struct {
	Verified     bool      `json:"verified"`
	FinalVersion int64     `json:"final_version"`
	Expires      time.Time `json:"expires"`
	Warnings     []string  `json:"warnings"`
	Error        string    `json:"error"`
}

func runChain(t *testing.T, now time.Time, args ...string) (result, chainJSON) {
	t.Helper()
	tl := &tool{t: t, dir: t.TempDir(), tokens: newFakeTokens(), now: now}
	r := tl.run(append([]string{"verify"}, args...)...)
	var out chainJSON
	if contains(args, "-json") {
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("verify %s printed no JSON object: %v\n%v", strings.Join(args, " "), err, r)
		}
	}
	return r, out
}

// The reference "today" of the brief: Sigstore's prod root v15 expired on
// 2026-11-20T13:58:18Z.
var today = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestVerifyChainSigstoreProd(t *testing.T) {
	prod := sigstorePath(t, "prod")
	r, out := runChain(t, today, "-chain", prod, "-at", "2026-11-01T00:00:00Z", "-json")
	if r.code != 0 || !out.Verified || out.FinalVersion != 15 || out.Error != "" {
		t.Fatalf("prod chain at 2026-11-01: %v", r)
	}
	if want := time.Date(2026, 11, 20, 13, 58, 18, 0, time.UTC); !out.Expires.Equal(want) {
		t.Errorf("expires %v, want %v", out.Expires, want)
	}
	if !strings.Contains(strings.Join(out.Warnings, "\n"), "root v11") {
		t.Errorf("the key ID mismatch of prod v11 is not reported: %v", out.Warnings)
	}
	if !strings.Contains(strings.Join(out.Warnings, "\n"), "root v15 expires in 19 days") {
		t.Errorf("no warning that v15 expires soon: %v", out.Warnings)
	}

	// Today the walk checks every signature and then fails: v15 expired.
	r, out = runChain(t, today, "-chain", prod, "-json")
	if r.code == 0 || out.Verified || out.FinalVersion != 15 {
		t.Fatalf("prod chain today: %v", r)
	}
	if !strings.Contains(out.Error, "version 15 expired on 2026-11-20") {
		t.Fatalf("error %q does not say version 15 expired on 2026-11-20", out.Error)
	}
	// The same in text form, with a non-zero exit status.
	r, _ = runChain(t, today, "-chain", prod)
	if r.code != 1 || !strings.Contains(r.stderr, "version 15 expired on 2026-11-20") {
		t.Fatalf("prod chain today, text: %v", r)
	}

	// Starting from a pinned v5.
	r, out = runChain(t, today, "-chain", prod, "-trusted", filepath.Join(prod, "5.root.json"), "-at", "2026-11-01T00:00:00Z", "-json")
	if r.code != 0 || out.FinalVersion != 15 {
		t.Fatalf("prod chain from v5: %v", r)
	}
	// A trusted root from another chain does not verify prod v2.
	staging := sigstorePath(t, "staging", "1.root.json")
	r, out = runChain(t, today, "-chain", prod, "-trusted", staging, "-at", "2026-11-01T00:00:00Z", "-json")
	if r.code == 0 || out.Verified {
		t.Fatalf("prod chain from staging's v1 verified: %v", r)
	}
}

func TestVerifyChainStagingTufOnCI(t *testing.T) {
	dir := sigstorePath(t, "staging-tuf-on-ci")
	r, out := runChain(t, today, "-chain", dir, "-at", "2026-10-01T00:00:00Z", "-json")
	if r.code != 0 || out.FinalVersion != 14 {
		t.Fatalf("staging-tuf-on-ci at 2026-10-01: %v", r)
	}
	r, out = runChain(t, today, "-chain", dir, "-json")
	if r.code == 0 || out.FinalVersion != 14 || !strings.Contains(out.Error, "version 14 expired on 2026-10-16") {
		t.Fatalf("staging-tuf-on-ci today: %v", r)
	}
}

func TestVerifyChainTampered(t *testing.T) {
	dir, _ := demoRun(t)
	bad := cloneDir(t, filepath.Join(dir, "repository"))
	// Change a signed field of v2 without re-signing.
	p := filepath.Join(bad, "2.root.json")
	data := readFile(t, p)
	s := strings.Replace(string(data), `"threshold": 3`, `"threshold": 1`, 1)
	if s == string(data) {
		t.Fatal("no threshold to tamper with")
	}
	writeFile(t, p, []byte(s))
	r, out := runChain(t, time.Time{}, "-chain", bad, "-json")
	if r.code == 0 || out.Verified || out.FinalVersion != 1 || out.Error == "" {
		t.Fatalf("tampered v2: %v", r)
	}
	// A missing version in the middle is a gap, not a shorter chain.
	bad2 := cloneDir(t, filepath.Join(dir, "repository"))
	removeFile(t, filepath.Join(bad2, "2.root.json"))
	if r, _ := runChain(t, time.Time{}, "-chain", bad2); r.code == 0 || !strings.Contains(r.stderr, "jump from 1 to 3") {
		t.Fatalf("chain with a gap: %v", r)
	}
}

// TestVerifyChainMissingDirectory: a mistyped -chain directory is named
// as missing, not as a directory without root files.
func TestVerifyChainMissingDirectory(t *testing.T) {
	tl := newTool(t)
	missing := filepath.Join(t.TempDir(), "nope")
	r := tl.run("verify", "-chain", missing)
	if r.code != 1 || !strings.Contains(r.stderr, filepath.ToSlash(missing)+" does not exist") || strings.Contains(r.stderr, "no N.root.json") {
		t.Fatalf("verify -chain of a missing directory: %v", r)
	}
	file := filepath.Join(t.TempDir(), "f")
	writeFile(t, file, []byte("x"))
	r = tl.run("verify", "-chain", file)
	if r.code != 1 || !strings.Contains(r.stderr, "is not a directory") {
		t.Fatalf("verify -chain of a file: %v", r)
	}
	empty := t.TempDir()
	r = tl.run("verify", "-chain", empty)
	if r.code != 1 || !strings.Contains(r.stderr, "no N.root.json files") {
		t.Fatalf("verify -chain of an empty directory: %v", r)
	}
}

package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustroot/trustroot/root"
)

func verifyJSON(t *testing.T, now time.Time, args ...string) (result, verifyReport) {
	t.Helper()
	tl := &tool{t: t, dir: t.TempDir(), tokens: newFakeTokens(), now: now}
	r := tl.run(append([]string{"verify", "-json"}, args...)...)
	var rep verifyReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("verify -json %s printed no report: %v\n%v", strings.Join(args, " "), err, r)
	}
	return r, rep
}

var bareHex = regexp.MustCompile(`\b[0-9a-f]{16,}\b`)

// TestVerifyReportExpiredChain: Sigstore's production chain today: the
// final root expired, yet every version's thresholds are reported, each
// signer named as the chain names it (v1-v9 by the names v10 gives their
// keys), and no fingerprint stands unmarked in the text.
func TestVerifyReportExpiredChain(t *testing.T) {
	prod := sigstorePath(t, "prod")
	r, rep := verifyJSON(t, today, "-chain", prod)
	if r.code == 0 || rep.Verified || !strings.Contains(rep.Error, "version 15 expired") {
		t.Fatalf("prod today: %v", r)
	}
	if len(rep.Steps) != 15 {
		t.Fatalf("%d steps, want 15", len(rep.Steps))
	}
	names := holderNames(t, prod)
	for i, s := range rep.Steps {
		if s.Version != int64(i+1) || !s.Verified {
			t.Errorf("step %d: version %d verified %v", i, s.Version, s.Verified)
		}
		wantThresholds := 2
		if i == 0 {
			wantThresholds = 1
		}
		if len(s.Thresholds) != wantThresholds {
			t.Errorf("v%d: %d thresholds", s.Version, len(s.Thresholds))
		}
		for _, th := range s.Thresholds {
			signed := 0
			for _, k := range th.Signers {
				if k.Result == resultSigned {
					signed++
				}
				if !slices.Contains(names, k.Name) && k.Name != "key ID bdde902f" {
					t.Errorf("v%d %s: signer %q is neither a keyholder nor Luke Hinds' key ID", s.Version, th.Name, k.Name)
				}
				if k.KeyID == "" || len(k.Fingerprint) != 64 {
					t.Errorf("v%d: signer %+v lacks its key ID or fingerprint", s.Version, k)
				}
			}
			if !th.Met || th.Threshold != 3 || signed < 3 || th.Keys != 5 {
				t.Errorf("v%d %s: %+v", s.Version, th.Name, th)
			}
		}
	}
	// v1 in words: the names v10 gives.
	r = (&tool{t: t, dir: t.TempDir(), tokens: newFakeTokens(), now: today}).run("verify", "-chain", prod)
	if !strings.Contains(r.stdout, "ok   root v1: needs 3 of its 5 keys: signed by @dlorenc, key ID bdde902f, @mnm678, @santiagotorres, @bobcallaway\n") {
		t.Errorf("v1 is not described with names:\n%s", r.stdout)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "ok   root v") && bareHex.MatchString(line) {
			t.Errorf("unmarked hex in %q", line)
		}
	}
	// The key ID warning of v11 survives the expiry error.
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.HasPrefix(w, "root v11: key ID 7247f0db") }) {
		t.Errorf("no key ID warning for v11: %v", rep.Warnings)
	}
}

// TestVerifyReportMergesWarnings: staging-tuf-on-ci lists key IDs that
// are not content hashes in v5-v8 (18 findings); each key ID is reported
// once with the versions it concerns.
func TestVerifyReportMergesWarnings(t *testing.T) {
	dir := sigstorePath(t, "staging-tuf-on-ci")
	_, rep := verifyJSON(t, today, "-chain", dir, "-at", "2026-10-01T00:00:00Z")
	if !rep.Verified {
		t.Fatalf("staging-tuf-on-ci at 2026-10-01: %+v", rep)
	}
	// What the chain has, from the roots themselves.
	mismatched := map[string][]int64{}
	for v := 1; v <= 14; v++ {
		rt, err := root.Parse(readFile(t, filepath.Join(dir, strconv.Itoa(v)+".root.json")))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range rt.Keys() {
			if !k.IDMatchesContent() {
				mismatched[string(k.ID())] = append(mismatched[string(k.ID())], int64(v))
			}
		}
	}
	total := 0
	for _, vs := range mismatched {
		total += len(vs)
	}
	if total != 18 {
		t.Fatalf("the chain has %d key ID findings, the issue saw 18", total)
	}
	got := 0
	for _, w := range rep.Warnings {
		if strings.Contains(w, "is not the SHA-256 of its key object") {
			got++
		}
	}
	if got != len(mismatched) {
		t.Errorf("%d key ID warnings for %d key IDs: %v", got, len(mismatched), rep.Warnings)
	}
	for id, vs := range mismatched {
		want := "root " + versionRanges(vs) + ": key ID " + id + " is not the SHA-256 of its key object"
		if !slices.Contains(rep.Warnings, want) {
			t.Errorf("no warning %q in %v", want, rep.Warnings)
		}
	}
}

// TestVerifyReportPolicy: weak policies are flagged by code with their
// versions: staging-tuf-on-ci's 1-of-1 (and 1-of-2) roots, its 2-of-4
// roots, and roots that expire years after they were signed; Sigstore's
// production chain and the demo have none.
func TestVerifyReportPolicy(t *testing.T) {
	_, rep := verifyJSON(t, today, "-chain", sigstorePath(t, "staging-tuf-on-ci"), "-at", "2026-10-01T00:00:00Z")
	got := map[string][]int64{}
	for _, f := range rep.Policy {
		got[f.Code] = append(got[f.Code], f.Versions...)
	}
	for code, want := range map[string][]int64{
		policySingleKey:               {1, 2, 3, 4, 5},
		root.LintThresholdNotMajority: {6, 7, 8, 9, 10, 11, 12, 13, 14},
		// v6 expires in 2034 and v7, signed after it, expired in 2024.
		root.LintExpiresLate: {2, 3, 4, 5, 6},
	} {
		if !slices.Equal(got[code], want) {
			t.Errorf("policy %s: versions %v, want %v", code, got[code], want)
		}
	}
	if len(got) != 3 {
		t.Errorf("policy findings: %+v", rep.Policy)
	}
	if !slices.Contains(rep.Warnings, "root v1-v4: threshold 1 of 1: one root key alone can sign the next root") {
		t.Errorf("no warning for the 1-of-1 roots: %v", rep.Warnings)
	}

	_, rep = verifyJSON(t, today, "-chain", sigstorePath(t, "prod"), "-at", "2026-11-01T00:00:00Z")
	if len(rep.Policy) != 0 {
		t.Errorf("prod: %+v", rep.Policy)
	}
	dir, _ := demoRun(t)
	r := (&tool{t: t, dir: dir, tokens: newFakeTokens()}).in("verify", "-json")
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Policy) != 0 {
		t.Errorf("demo: %v %+v", err, rep.Policy)
	}
}

// TestVerifyReportFailedStep: a tampered v2 leaves v1 verified and v2
// reported as the step that failed, with the threshold it missed.
func TestVerifyReportFailedStep(t *testing.T) {
	dir, _ := demoRun(t)
	bad := cloneDir(t, filepath.Join(dir, "repository"))
	p := filepath.Join(bad, "2.root.json")
	s := strings.Replace(string(readFile(t, p)), `"threshold": 3`, `"threshold": 1`, 1)
	writeFile(t, p, []byte(s))
	r, rep := verifyJSON(t, time.Time{}, "-chain", bad)
	if r.code == 0 || len(rep.Steps) != 2 {
		t.Fatalf("tampered v2: %v", r)
	}
	if !rep.Steps[0].Verified || rep.Steps[1].Verified || rep.Steps[1].Version != 2 {
		t.Fatalf("steps: %+v", rep.Steps)
	}
	met := true
	for _, th := range rep.Steps[1].Thresholds {
		met = met && th.Met
	}
	if met {
		t.Errorf("the tampered v2 meets every threshold: %+v", rep.Steps[1])
	}
}

func TestMergeWarnings(t *testing.T) {
	got := mergeWarnings([]string{
		"trusting x on first use",
		"root v6: key ID a is bad",
		"root v5: key ID a is bad",
		"root v7: key ID b is bad",
		"trusting x on first use",
		"root v8: key ID a is bad",
		"root v6: key ID a is bad",
	})
	want := []string{"trusting x on first use", "root v5-v6, v8: key ID a is bad", "root v7: key ID b is bad"}
	if !slices.Equal(got, want) {
		t.Errorf("mergeWarnings = %q, want %q", got, want)
	}
}

// TestVerifyRefusesUnenrolledRootKey: a root key without an enrolment in
// keys/ fails verify, named once for all the versions that list it, by
// holder and marked fingerprint, and no "ok" line claims the keys are
// enrolled. It used to be a warning under "ok every root key is an
// enrolled key", with exit status 0.
func TestVerifyRefusesUnenrolledRootKey(t *testing.T) {
	dir, _ := demoRun(t)
	tl := &tool{t: t, dir: cloneDir(t, dir), tokens: newFakeTokens()}
	removeFile(t, tl.path("keys/erin.json"))
	r := tl.in("verify")
	if r.code != 1 || !regexp.MustCompile(`(?m)^  root v1-v3: root key fingerprint [0-9a-f]{16} \(erin\) is not enrolled in keys/$`).MatchString(r.stderr) {
		t.Fatalf("verify with erin's key file removed: %v", r)
	}
	if strings.Contains(r.stdout, "enrolled key") {
		t.Errorf("verify claims the root keys are enrolled: %v", r)
	}
}

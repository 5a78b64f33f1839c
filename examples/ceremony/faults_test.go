package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// repoState is what a loader sees in a ceremony repository.
type repoState struct {
	root      int64 // latest verified root version, 0 when none
	timestamp int64 // timestamp version, 0 when none
	targets   []string
}

// loadState verifies the repository as a client and a ceremony attendee
// would, failing the test if it does not verify.
func loadState(t *testing.T, dir string) repoState {
	t.Helper()
	tl := &tool{t: t, dir: dir, tokens: newFakeTokens()}
	r := tl.in("verify", "-json")
	var rep verifyReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("verify -json printed no JSON: %v\n%v", err, r)
	}
	// One failure is the expected mark of a publish interrupted between
	// N.root.json and root.json: verify names it and says to run publish
	// again (which faultLoop then does). Everything else verified: the
	// chain, and the online metadata a client sees.
	interrupted := strings.HasPrefix(rep.Error, filepath.Join(dir, "repository", "root.json")+" (SHA-256 ") && strings.HasSuffix(rep.Error, "if a publish was interrupted, run publish again")
	if r.code != 0 && !interrupted || !rep.Verified && !interrupted {
		t.Fatalf("repository does not verify: %v", r)
	}
	st := repoState{root: rep.FinalVersion}
	o, err := openRepo(tl.env(os.Stdout, os.Stderr), dir).loadOnline()
	if err != nil {
		t.Fatal(err)
	}
	if o != nil && st.root > 0 {
		st.timestamp = o.timestamp.Version()
		for _, tg := range o.targets.Targets() {
			st.targets = append(st.targets, tg.Name)
		}
	}
	return st
}

// faultLoop runs op on a fresh copy of template with a fault injected at
// step 1, 2, 3... until op no longer hits a fault. After each fault the
// repository must load as the old or the new state; then op is run again
// without faults and must reach the new state.
func faultLoop(t *testing.T, template string, crash bool, op []string, oldState, newState func(repoState) bool) {
	t.Helper()
	steps := 0
	for k := 1; ; k++ {
		dir := cloneDir(t, template)
		tl := &tool{t: t, dir: dir, tokens: newFakeTokens(), pin: "123456"}
		ffs := &faultFS{base: testFS(), failAt: k, crash: crash}
		if !crash {
			// A failure the process survives: every write and rename.
			ffs.ops = []fsOp{opWrite, opRename}
		}
		tl.fs = ffs
		r := tl.in(op...)
		tl.fs = nil
		if !ffs.Fired() {
			if r.code != 0 {
				t.Fatalf("%s without a fault: %v", op[0], r)
			}
			if s := loadState(t, dir); !newState(s) {
				t.Fatalf("after a clean %s the state is %+v", op[0], s)
			}
			steps = k - 1
			break
		}
		if r.code != 1 || !strings.Contains(r.stderr, "injected fault") {
			t.Fatalf("fault at step %d (%s): want exit 1 naming the fault, got %v", k, ffs.Log()[len(ffs.Log())-1], r)
		}
		s := loadState(t, dir)
		if !oldState(s) && !newState(s) {
			t.Fatalf("fault at step %d (%s): repository is neither old nor new: %+v", k, ffs.Log()[len(ffs.Log())-1], s)
		}
		if !crash {
			if left := tempFiles(t, dir); len(left) > 0 {
				t.Fatalf("fault at step %d: temporary files left: %v", k, left)
			}
		}
		// Running the command again finishes the job.
		if r := tl.in(op...); r.code != 0 {
			t.Fatalf("fault at step %d: re-running %s: %v", k, op[0], r)
		}
		if s := loadState(t, dir); !newState(s) {
			t.Fatalf("fault at step %d: after re-running %s the state is %+v", k, op[0], s)
		}
		if k > 500 {
			t.Fatal("the operation never completed without a fault")
		}
	}
	if steps < 5 {
		t.Fatalf("only %d file-system steps were faulted", steps)
	}
	t.Logf("%s: faulted each of %d steps (crash=%v)", op[0], steps, crash)
}

func TestInterruptedPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs publish once per file-system step")
	}
	// Template 1: root v1 staged and signed, nothing published.
	tl := newTool(t)
	tl.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	v1 := cloneDir(t, tl.dir)
	// Template 2: v1 published, a target added, v2 staged and signed.
	tl.must("publish")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("ca"), 0o644); err != nil {
		t.Fatal(err)
	}
	tl.must("targets", "add", "ca.pem", ca)
	withTarget := cloneDir(t, tl.dir)
	tl.must("enroll", "-holder", "frank", "-token", "fake")
	tl.must("stage", "-replace", "dave=frank")
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	v2 := cloneDir(t, tl.dir)
	before := loadState(t, v2)

	for _, crash := range []bool{true, false} {
		t.Run(fmt.Sprintf("v1/crash=%v", crash), func(t *testing.T) {
			faultLoop(t, v1, crash, []string{"publish"},
				func(s repoState) bool { return s.root == 0 },
				func(s repoState) bool { return s.root == 1 && s.timestamp >= 1 })
		})
		t.Run(fmt.Sprintf("v2/crash=%v", crash), func(t *testing.T) {
			faultLoop(t, v2, crash, []string{"publish"},
				func(s repoState) bool { return s.root == 1 && s.timestamp == before.timestamp },
				func(s repoState) bool {
					// The new root is trusted and the online metadata
					// verifies under it, old or refreshed.
					return s.root == 2 && s.timestamp >= before.timestamp && reflect.DeepEqual(s.targets, before.targets)
				})
		})
		t.Run(fmt.Sprintf("targets-add/crash=%v", crash), func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "log.pub")
			if err := os.WriteFile(src, []byte("log key"), 0o644); err != nil {
				t.Fatal(err)
			}
			has := func(s repoState, n string) bool {
				for _, x := range s.targets {
					if x == n {
						return true
					}
				}
				return false
			}
			faultLoop(t, withTarget, crash, []string{"targets", "add", "log.pub", src},
				func(s repoState) bool { return s.root == 1 && !has(s, "log.pub") },
				func(s repoState) bool { return s.root == 1 && has(s, "log.pub") && has(s, "ca.pem") })
		})
	}
}

// TestConcurrentSign: keyholders signing at the same moment lose nothing.
func TestConcurrentSign(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	template := cloneDir(t, tl.dir)
	holders := []string{"alice", "bob", "carol", "dave", "erin"}
	for round := 0; round < 3; round++ {
		dir := cloneDir(t, template)
		var wg sync.WaitGroup
		results := make([]result, len(holders))
		for i, h := range holders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tl := &tool{t: t, dir: dir, tokens: newFakeTokens(), pin: "123456"}
				results[i] = tl.in("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
			}()
		}
		wg.Wait()
		for i, r := range results {
			if r.code != 0 {
				t.Fatalf("round %d: sign as %s: %v", round, holders[i], r)
			}
		}
		tl2 := &tool{t: t, dir: dir, tokens: newFakeTokens()}
		r := tl2.in("status", "-format", "json")
		var st struct {
			Requirements []struct {
				Signed []struct {
					Holder string `json:"holder"`
				} `json:"signed"`
			} `json:"requirements"`
			Complete bool `json:"complete"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
			t.Fatalf("status json: %v\n%v", err, r)
		}
		if len(st.Requirements) != 1 || len(st.Requirements[0].Signed) != len(holders) || !st.Complete {
			t.Fatalf("round %d: after %d concurrent signers status is %+v", round, len(holders), st)
		}
		if r := tl2.in("publish"); r.code != 0 {
			t.Fatalf("round %d: publish: %v", round, r)
		}
		data, err := os.ReadFile(filepath.Join(dir, "repository", "1.root.json"))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(data), `"keyid"`); n != len(holders) {
			t.Fatalf("round %d: published root carries %d signatures, want %d", round, n, len(holders))
		}
	}
}

// TestTamperedSignatureFile: a signature file altered after signing is
// named, and nothing is published.
func TestTamperedSignatureFile(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	files, _ := filepath.Glob(tl.path("staged/signatures/bob-*.json"))
	if len(files) != 1 {
		t.Fatalf("bob's signature files: %v", files)
	}
	var sf SigFile
	if err := json.Unmarshal(tl.read("staged/signatures/"+filepath.Base(files[0])), &sf); err != nil {
		t.Fatal(err)
	}
	// Flip one bit in the middle of the signature.
	b := []byte(sf.Sig)
	i := len(b) / 2
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	sf.Sig = string(b)
	data, _ := json.Marshal(sf)
	if err := os.WriteFile(files[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	before := treeContents(t, tl.dir)
	r := tl.in("publish")
	if r.code != 1 || !strings.Contains(r.stderr, filepath.Base(files[0])) || !strings.Contains(r.stderr, "does not verify") || !strings.Contains(r.stderr, "refusing to publish") {
		t.Fatalf("publish with a tampered signature: %v", r)
	}
	if !reflect.DeepEqual(before, treeContents(t, tl.dir)) || tl.exists("repository/1.root.json") {
		t.Fatal("a refused publish changed the repository")
	}
	if r := tl.in("status"); !strings.Contains(r.stdout, "INVALID staged/signatures/bob-") {
		t.Fatalf("status does not flag the tampered file: %v", r)
	}
	if r := tl.in("verify"); r.code != 1 || !strings.Contains(r.stderr, "invalid signature files") {
		t.Fatalf("verify with a tampered signature file: %v", r)
	}
	// A file that claims another holder is refused too.
	sf.Sig = ""
	var good SigFile
	_ = json.Unmarshal(tl.read("staged/signatures/"+filepath.Base(files[0])), &good)
	alice, _ := filepath.Glob(tl.path("staged/signatures/alice-*.json"))
	var af SigFile
	if err := json.Unmarshal(tl.read("staged/signatures/"+filepath.Base(alice[0])), &af); err != nil {
		t.Fatal(err)
	}
	af.Holder = "erin"
	data, _ = json.Marshal(af)
	if err := os.WriteFile(alice[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := tl.in("publish"); r.code != 1 || !strings.Contains(r.stderr, "says it is from erin") {
		t.Fatalf("publish with a mislabelled signature: %v", r)
	}
	// Removing the bad files and signing again recovers.
	_ = os.Remove(files[0])
	_ = os.Remove(alice[0])
	tl.must("sign", "-holder", "bob", "-token", "fake", "-pin-fd", "3")
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	tl.must("publish")
}

// TestAttestationMismatch: an enrolment whose attestation is for another
// key, or does not chain to the trusted roots, is refused.
func TestAttestationMismatch(t *testing.T) {
	tl := newTool(t)
	tl.must("init", "-name", "t", "-threshold", "1", "-attestation-roots", "fake", "-online-signers", "fake")
	tl.must("enroll", "-holder", "alice", "-token", "fake")
	tl.must("enroll", "-holder", "bob", "-token", "fake")
	tl.must("verify")
	var alice, bob KeyFile
	if err := json.Unmarshal(tl.read("keys/alice.json"), &alice); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(tl.read("keys/bob.json"), &bob); err != nil {
		t.Fatal(err)
	}
	// Alice's file now carries bob's attestation.
	alice.Attestation = bob.Attestation
	data, _ := marshalFile(alice)
	if err := os.WriteFile(tl.path("keys/alice.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := tl.in("verify")
	if r.code != 1 || !strings.Contains(r.stderr, "attestation of alice's key") {
		t.Fatalf("verify with a mismatched attestation: %v", r)
	}
	if r := tl.in("stage"); r.code != 0 {
		// Staging reads keys but does not vouch for them; verify does.
		t.Logf("stage: %v", r)
	}

	// Enrolment against roots that do not issue the token's attestation.
	other := newTool(t)
	other.must("init", "-name", "o", "-threshold", "1", "-attestation-roots", "fake", "-online-signers", "fake")
	rootsFile := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(rootsFile, []byte(mustSelfSignedPEM(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	r = other.in("enroll", "-holder", "carol", "-token", "fake", "-attestation-roots", rootsFile)
	if r.code != 1 || !strings.Contains(r.stderr, "attestation") {
		t.Fatalf("enroll against foreign roots: %v", r)
	}
	if other.exists("keys/carol.json") {
		t.Fatal("a refused enrolment wrote keys/carol.json")
	}
	// A fake token is never accepted under Yubico's roots.
	y := newTool(t)
	y.must("init", "-name", "y", "-threshold", "1", "-online-signers", testKMSSigners("y"))
	if r := y.in("enroll", "-holder", "dan", "-token", "fake"); r.code != 1 || !strings.Contains(r.stderr, "not to Yubico's roots") {
		t.Fatalf("fake token under yubico roots: %v", r)
	}
}

// TestWrongTokenAsksNoPIN: the token is checked before any PIN is read.
func TestWrongTokenAsksNoPIN(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	r := tl.in("sign", "-holder", "alice", "-token", "fake", "-fake-token", "bob", "-pin-fd", "3")
	if r.code != 1 || !strings.Contains(r.stderr, "wrong key") || !strings.Contains(r.stderr, "plug in alice's token") {
		t.Fatalf("sign with bob's token as alice: %v", r)
	}
	if n := tl.pinReads.Load(); n != 0 {
		t.Fatalf("the PIN was read %d times before the key check failed", n)
	}
	if m, _ := filepath.Glob(tl.path("staged/signatures/*")); len(m) != 0 {
		t.Fatalf("signature files written: %v", m)
	}
}

// TestWrongPIN: a wrong PIN fails clearly, never echoes the PIN, writes
// nothing; the prompt path (no -pin-fd) works.
func TestWrongPIN(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	tl.pin = "987654"
	r := tl.in("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	if r.code != 1 || !strings.Contains(r.stderr, "wrong PIN") || !strings.Contains(r.stderr, "tries left") {
		t.Fatalf("sign with a wrong PIN: %v", r)
	}
	if strings.Contains(r.stdout+r.stderr, "987654") {
		t.Fatalf("the PIN appears in the output: %v", r)
	}
	if m, _ := filepath.Glob(tl.path("staged/signatures/*")); len(m) != 0 {
		t.Fatalf("signature files written: %v", m)
	}
	// A second wrong PIN leaves one try: the tool then refuses to use it
	// without -force-last-pin-try, before reading any PIN.
	r = tl.in("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	if r.code != 1 || !strings.Contains(r.stderr, "1 try left") {
		t.Fatalf("second wrong PIN: %v", r)
	}
	reads := tl.pinReads.Load()
	tl.pin = "123456"
	r = tl.in("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	if r.code != 1 || !strings.Contains(r.stderr, "refusing to risk blocking") || !strings.Contains(r.stderr, "-force-last-pin-try") {
		t.Fatalf("sign on the last PIN try without force: %v", r)
	}
	if tl.pinReads.Load() != reads {
		t.Fatal("a PIN was read although the last try was refused")
	}
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3", "-force-last-pin-try")
	// The right PIN typed at the prompt (bob's token is fresh).
	r = tl.in("sign", "-holder", "bob", "-token", "fake")
	if r.code != 0 || !strings.Contains(r.stderr, "Enter the PIN of bob's token") {
		t.Fatalf("sign with the PIN at the prompt: %v", r)
	}
}

// TestFullDisk: ENOSPC gives a clear error and leaves nothing behind.
func TestFullDisk(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	before := treeContents(t, tl.dir)
	tl.fs = &faultFS{base: testFS(), failAt: 1, ops: []fsOp{opWrite}, err: syscall.ENOSPC}
	r := tl.in("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	tl.fs = nil
	if r.code != 1 || !strings.Contains(r.stderr, "no space left on device") || !strings.Contains(r.stderr, "staged/signatures/alice-") {
		t.Fatalf("sign on a full disk: %v", r)
	}
	if !reflect.DeepEqual(before, treeContents(t, tl.dir)) {
		t.Fatal("a failed sign changed the repository")
	}
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	tl.fs = &faultFS{base: testFS(), failAt: 3, ops: []fsOp{opWrite}, err: syscall.ENOSPC}
	r = tl.in("publish")
	tl.fs = nil
	if r.code != 1 || !strings.Contains(r.stderr, "no space left on device") {
		t.Fatalf("publish on a full disk: %v", r)
	}
	if left := tempFiles(t, tl.dir); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if s := loadState(t, tl.dir); s.root != 0 {
		t.Fatalf("after a failed first publish the state is %+v", s)
	}
	tl.must("publish")
}

// TestPIVWithoutSupport: without cgo and the pivkey tag, -token piv says
// so clearly.
func TestPIVWithoutSupport(t *testing.T) {
	tl := newTool(t)
	tl.must("init", "-name", "t", "-threshold", "1", "-online-signers", testKMSSigners("t"))
	r := tl.in("enroll", "-holder", "alice", "-token", "piv", "-default-management-key")
	if r.code != 1 {
		t.Fatalf("enroll -token piv: %v", r)
	}
	if !strings.Contains(r.stderr, "built without PIV support") && !strings.Contains(r.stderr, "YubiKey") && !strings.Contains(r.stderr, "PC/SC") {
		t.Fatalf("enroll -token piv gives no clear reason: %v", r)
	}
	if tl.exists("keys/alice.json") {
		t.Fatal("a failed PIV enrolment wrote a key file")
	}
}

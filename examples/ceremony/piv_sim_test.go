//go:build cgo && pivkey && linux

package main

// The PIV rehearsal tier: a whole ceremony with -token piv on simulated
// YubiKeys, served by the rehearsal command internal/pivsim/cmd/pivsim
// (started as a subprocess, exactly as a keyholder starts it for a
// rehearsal) behind a private pcscd and vpcd, through the real piv-go and
// libpcsclite. It runs when CEREMONY_PIV_SIM=1 (root, Debian packages
// pcscd and vsmartcard-vpcd, no other pcscd or simulator running):
//
//	CEREMONY_PIV_SIM=1 CGO_ENABLED=1 go test -tags pivkey -run TestPIVRehearsal ./examples/ceremony
//
// With the gate set, a simulator that cannot start fails the test.
// PIVSIM_BIN names a prebuilt pivsim; otherwise the test builds it.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trustroot/trustroot/signer/piv"
)

const pivSimGate = "CEREMONY_PIV_SIM"

// rehearsal is a running pivsim with its console.
type rehearsal struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	mu    sync.Mutex
	log   []string // everything it printed
	roots string   // the rehearsal CA file it wrote
}

// startRehearsal starts pivsim serving simulated YubiKeys with serials,
// and waits until it is ready.
func startRehearsal(t *testing.T, serials []string, extra ...string) *rehearsal {
	t.Helper()
	bin := os.Getenv("PIVSIM_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "pivsim")
		build := exec.Command("go", "build", "-o", bin, "./internal/pivsim/cmd/pivsim")
		build.Dir = filepath.Join("..", "..") // the trustroot module
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building pivsim: %v\n%s", err, out)
		}
	}
	r := &rehearsal{lines: make(chan string, 64), roots: filepath.Join(t.TempDir(), "rehearsal-roots.pem")}
	args := append([]string{"-serials", strings.Join(serials, ","), "-roots", r.roots}, extra...)
	r.cmd = exec.Command(bin, args...)
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	var err error
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stderr = r.cmd.Stdout
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("%s=1 but pivsim could not start: %v", pivSimGate, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			r.mu.Lock()
			r.log = append(r.log, sc.Text())
			r.mu.Unlock()
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	exited := make(chan error, 1)
	t.Cleanup(func() {
		go func() {
			for range r.lines { // what pivsim prints while it stops
			}
		}()
		io.WriteString(r.stdin, "quit\n")
		r.stdin.Close()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("pivsim: %v", err)
			}
		case <-time.After(30 * time.Second):
			r.cmd.Process.Kill()
			t.Errorf("pivsim did not stop on quit; output:\n%s", r.output())
		}
	})
	go func() { exited <- r.cmd.Wait() }()
	if _, err := r.until("pivsim: ready"); err != nil {
		t.Fatalf("%s=1 but the simulated YubiKeys did not come up: %v\n%s", pivSimGate, err, r.output())
	}
	return r
}

func (r *rehearsal) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.log, "\n")
}

// until waits for a line starting with prefix (or "error:") and returns
// the lines before it.
func (r *rehearsal) until(prefix string) ([]string, error) {
	var got []string
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				return got, errors.New("pivsim exited")
			}
			if strings.HasPrefix(l, prefix) {
				return got, nil
			}
			if strings.HasPrefix(l, "error:") {
				return got, errors.New(l)
			}
			got = append(got, l)
		case <-deadline:
			return got, fmt.Errorf("no %q from pivsim within 60s", prefix)
		}
	}
}

// console runs one console command and returns its output lines.
func (r *rehearsal) console(t *testing.T, line string) []string {
	t.Helper()
	if _, err := io.WriteString(r.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
	out, err := r.until("ok")
	if err != nil {
		t.Fatalf("pivsim %q: %v", line, err)
	}
	return out
}

// status returns pivsim's status line for serial.
func (r *rehearsal) status(t *testing.T, serial string) string {
	t.Helper()
	for _, l := range r.console(t, "status") {
		if strings.HasPrefix(l, "serial "+serial+" ") {
			return l
		}
	}
	t.Fatalf("pivsim status has no key %s", serial)
	return ""
}

// TestPIVRehearsal runs a ceremony rehearsal on four simulated YubiKeys
// (firmware 5.7.1): the rehearsal CA refused unless the ceremony says it
// is a rehearsal; enrolment of ECDSA and Ed25519 keys with attestation;
// the wrong token, an unplugged token, a PIN prompt, a wrong PIN, the last
// PIN try and a blocked PIN; then publish and verify, whose go-tuf client
// workflow accepts the Ed25519 root keys.
func TestPIVRehearsal(t *testing.T) {
	if os.Getenv(pivSimGate) != "1" {
		t.Skipf("%s is not set; the PIV rehearsal tier does not run", pivSimGate)
	}
	const alice, bob, carol, spare = "20000001", "20000002", "20000003", "20000004"
	sim := startRehearsal(t, []string{alice, bob, carol, spare}, "-touch", "instant")
	deadline := time.Now().Add(15 * time.Second)
	for {
		toks, err := piv.List(context.Background())
		if err == nil && len(toks) == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("simulated YubiKeys not visible after 15s (%v, %v); pivsim said:\n%s", toks, err, sim.output())
		}
		time.Sleep(50 * time.Millisecond)
	}

	tl := newTool(t)
	tl.pin = "123456"
	// The rehearsal CA's key is public: a ceremony that does not say it
	// is a rehearsal refuses it, at init and at enrolment.
	if r := tl.in("init", "-online-signers", "fake", "-name", "rehearsal", "-threshold", "2", "-attestation-roots", sim.roots); r.code == 0 || !strings.Contains(r.stderr, "rehearsal CA") {
		t.Fatalf("init with the rehearsal CA as a plain roots file: %v", r)
	}
	r := tl.must("init", "-online-signers", "fake", "-name", "rehearsal", "-threshold", "2", "-attestation-roots", "rehearsal:"+sim.roots)
	if !strings.Contains(r.stdout, "REHEARSAL") {
		t.Fatalf("init does not say it is a rehearsal: %v", r)
	}
	if r := tl.in("enroll", "-holder", "mallory", "-token", "piv", "-serial", spare, "-default-management-key", "-attestation-roots", sim.roots); r.code == 0 || !strings.Contains(r.stderr, "rehearsal CA") {
		t.Fatalf("enroll with the rehearsal CA as a plain roots file: %v", r)
	}

	for _, e := range []struct{ holder, serial, alg string }{{"alice", alice, "ecdsa-p256"}, {"bob", bob, "ed25519"}, {"carol", carol, "ed25519"}} {
		r := tl.must("enroll", "-holder", e.holder, "-token", "piv", "-serial", e.serial, "-algorithm", e.alg, "-default-management-key")
		if !strings.Contains(r.stdout, "Attestation verified: key generated on token "+e.serial) || !strings.Contains(r.stdout, "REHEARSAL") {
			t.Fatalf("enroll %s: %v", e.holder, r)
		}
		var kf KeyFile
		if err := json.Unmarshal(tl.read("keys/"+e.holder+".json"), &kf); err != nil {
			t.Fatal(err)
		}
		if kf.Attestation == nil || kf.Attestation.Firmware != "5.7.1" || kf.Attestation.PINPolicy != "always" || kf.Attestation.TouchPolicy != "always" {
			t.Fatalf("keys/%s.json attestation: %+v", e.holder, kf.Attestation)
		}
	}
	tl.must("stage")

	// Bob's YubiKey offered for alice: refused before any PIN is read.
	r = tl.in("sign", "-holder", "alice", "-token", "piv", "-serial", bob, "-pin-fd", "3")
	if r.code != 1 || !strings.Contains(r.stderr, "wrong key") {
		t.Fatalf("sign with the wrong YubiKey: %v", r)
	}
	// Alice's YubiKey unplugged.
	sim.console(t, "unplug "+alice)
	r = tl.in("sign", "-holder", "alice", "-token", "piv", "-serial", alice, "-pin-fd", "3")
	if r.code != 1 || !strings.Contains(r.stderr, "serial "+alice) {
		t.Fatalf("sign with alice's YubiKey unplugged: %v", r)
	}
	sim.console(t, "plug "+alice)
	if n := tl.pinReads.Load(); n != 0 {
		t.Fatalf("a PIN was read %d times for a wrong or missing YubiKey", n)
	}

	// A PIN prompt (no -pin-fd) answered wrongly, then rightly.
	tl.pin = "999999"
	r = tl.in("sign", "-holder", "alice", "-token", "piv", "-serial", alice)
	if r.code != 1 || !strings.Contains(r.stderr, "Enter the PIN of alice's token") || !strings.Contains(r.stderr, "wrong PIN: 2 tries left") {
		t.Fatalf("sign with a wrong PIN: %v", r)
	}
	if st := sim.status(t, alice); !strings.Contains(st, "pin-tries 2 signatures 0") {
		t.Fatalf("after a wrong PIN: %s", st)
	}
	tl.pin = "123456"
	r = tl.must("sign", "-holder", "alice", "-token", "piv", "-serial", alice)
	if !strings.Contains(r.stderr, "Enter the PIN of alice's token") || !strings.Contains(r.stderr, "Touch the YubiKey") {
		t.Fatalf("sign with the right PIN: %v", r)
	}
	if st := sim.status(t, alice); !strings.Contains(st, "pin-tries 3 signatures 1 touches 1") {
		t.Fatalf("after signing: %s", st)
	}

	// Carol has one PIN try left: the tool will not risk it unless told,
	// and a wrong PIN then blocks her YubiKey.
	sim.console(t, "pin-tries "+carol+" 1")
	tl.pin = "111111"
	before := tl.pinReads.Load()
	r = tl.in("sign", "-holder", "carol", "-token", "piv", "-serial", carol, "-pin-fd", "3")
	if r.code != 1 || !strings.Contains(r.stderr, "only one PIN try left") || tl.pinReads.Load() != before {
		t.Fatalf("sign with one PIN try left: %v (PIN reads %d)", r, tl.pinReads.Load()-before)
	}
	r = tl.in("sign", "-holder", "carol", "-token", "piv", "-serial", carol, "-pin-fd", "3", "-force-last-pin-try")
	if r.code != 1 || !strings.Contains(r.stderr, "PIN blocked") {
		t.Fatalf("the last PIN try, wrong: %v", r)
	}
	tl.pin = "123456"
	r = tl.in("sign", "-holder", "carol", "-token", "piv", "-serial", carol, "-pin-fd", "3", "-force-last-pin-try")
	if r.code != 1 || !strings.Contains(r.stderr, "PIN blocked") {
		t.Fatalf("sign with a blocked PIN: %v", r)
	}
	if st := sim.status(t, carol); !strings.Contains(st, "pin-tries 0 signatures 0") {
		t.Fatalf("carol's YubiKey: %s", st)
	}

	// Bob signs with his Ed25519 key; alice and bob meet the threshold.
	tl.must("sign", "-holder", "bob", "-token", "piv", "-serial", bob, "-pin-fd", "3")
	if st := sim.status(t, bob); !strings.Contains(st, "signatures 1") {
		t.Fatalf("bob's YubiKey: %s", st)
	}
	tl.must("publish")
	var root struct {
		Signed struct {
			Keys map[string]struct {
				KeyType string `json:"keytype"`
				Scheme  string `json:"scheme"`
			} `json:"keys"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(tl.read("repository/1.root.json"), &root); err != nil {
		t.Fatal(err)
	}
	ed := 0
	for _, k := range root.Signed.Keys {
		if k.KeyType == "ed25519" && k.Scheme == "ed25519" {
			ed++
		}
	}
	if ed != 2 {
		t.Fatalf("root v1 lists %d ed25519 keys, want 2 (bob, carol): %+v", ed, root.Signed.Keys)
	}
	r = tl.must("verify")
	for _, want := range []string{"attested on token " + alice, "attested on token " + bob, "REHEARSAL"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("verify does not report %q: %v", want, r)
		}
	}
	if out := os.Getenv("CEREMONY_REHEARSAL_OUT"); out != "" {
		// For the interop clients (tuf-js, sigstore-go): the repository
		// signed by the simulated YubiKeys, Ed25519 keys included.
		if err := os.CopyFS(out, os.DirFS(tl.path("repository"))); err != nil {
			t.Fatal(err)
		}
	}
}

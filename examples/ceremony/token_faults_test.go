package main

// Hardening: token faults during signing are caught before anything is
// written (a removed token, wrong PINs, another key in the slot), and the
// last PIN try is never used without -force-last-pin-try. The tokens are
// the fake YubiKeys the tool uses with -token fake, reached through the
// tool's own token table.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/signer/fake"
)

// stagedCeremony returns a tool with three enrolled holders and staged v1.
func stagedCeremony(t *testing.T) *tool {
	t.Helper()
	tl := newTool(t)
	tl.must("init", "-name", "faults", "-threshold", "2", "-attestation-roots", "fake", "-online-signers", "fake")
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("enroll", "-holder", h, "-token", "fake")
	}
	tl.must("stage")
	return tl
}

func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		m[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%s: %d files before, %d after", what, len(before), len(after))
	}
	for p, data := range before {
		if after[p] != data {
			t.Errorf("%s: %s changed", what, p)
		}
	}
}

func TestTokenFaultsWriteNothing(t *testing.T) {
	tl := stagedCeremony(t)
	tok, err := tl.tokens.get("alice")
	if err != nil {
		t.Fatal(err)
	}
	sign := func() result {
		return tl.in("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	}
	before := treeOf(t, tl.dir)

	// The token is pulled out.
	tok.Remove()
	r := sign()
	if r.code == 0 {
		t.Fatalf("signing with the token removed succeeded: %v", r)
	}
	sameTree(t, "token removed", before, treeOf(t, tl.dir))
	tok.Insert()

	// A wrong PIN, twice: refused each time, the retries go down, nothing
	// is written, and the PIN is not echoed.
	tl.pin = "918273"
	for i := 0; i < 2; i++ {
		r = sign()
		if r.code == 0 || !strings.Contains(r.stderr, "PIN") || strings.Contains(r.stderr+r.stdout, tl.pin) {
			t.Fatalf("wrong PIN %d: %v", i+1, r)
		}
	}
	if n := tok.PINRetries(); n != 1 {
		t.Fatalf("%d PIN tries left after two wrong PINs, want 1", n)
	}
	sameTree(t, "wrong PIN", before, treeOf(t, tl.dir))

	// One try left: without an explicit force the tool refuses to use it,
	// before reading any PIN.
	tl.pin = fake.DefaultPIN
	reads := tl.pinReads.Load()
	r = sign()
	if r.code == 0 || !strings.Contains(r.stderr, "-force-last-pin-try") {
		t.Fatalf("signing with one PIN try left and no force: %v", r)
	}
	if got := tl.pinReads.Load(); got != reads {
		t.Errorf("the PIN was read %d times although the last try was refused", got-reads)
	}
	if n := tok.PINRetries(); n != 1 {
		t.Fatalf("%d PIN tries left after the refusal, want 1", n)
	}
	sameTree(t, "last try refused", before, treeOf(t, tl.dir))

	// Forced, with the right PIN: signed, and the counter is reset.
	if r = tl.in("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3", "-force-last-pin-try"); r.code != 0 {
		t.Fatalf("forced last try with the right PIN: %v", r)
	}
	if n := tok.PINRetries(); n != 3 {
		t.Errorf("%d PIN tries left after a right PIN, want 3", n)
	}
	after := treeOf(t, tl.dir)
	if len(after) != len(before)+1 {
		t.Fatalf("%d files after one good signature, want %d", len(after), len(before)+1)
	}

	// Another key in the holder's slot (a token reset and re-keyed): the
	// signature is refused before the PIN is asked, and nothing new is
	// written.
	bob, err := tl.tokens.get("bob")
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.ImportKey(attestation.SlotSignature, fake.New("mallory"), fake.KeyPolicy{PIN: attestation.PINPolicyAlways, Touch: attestation.TouchPolicyAlways}); err != nil {
		t.Fatal(err)
	}
	reads = tl.pinReads.Load()
	r = tl.in("sign", "-holder", "bob", "-token", "fake", "-pin-fd", "3")
	if r.code == 0 {
		t.Fatalf("signing as bob with another key in bob's slot succeeded: %v", r)
	}
	if got := tl.pinReads.Load(); got != reads {
		t.Errorf("the PIN was read %d times for a token holding the wrong key", got-reads)
	}
	sameTree(t, "wrong key in the slot", after, treeOf(t, tl.dir))
}

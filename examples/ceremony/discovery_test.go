package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRepositoryFoundInParentDirectory: run anywhere inside a ceremony
// repository, a command finds ceremony.json in a parent directory, as git
// finds its repository; init there refuses to start a second ceremony. It
// used to create keys/ceremony.json.
func TestRepositoryFoundInParentDirectory(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	t.Chdir(tl.path("keys"))
	r := tl.run("status")
	if r.code != 0 || !strings.Contains(r.stdout, "Staged root v1") {
		t.Fatalf("status in keys/: %v", r)
	}
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	r = tl.run("sign", "-holder", "bob", "-token", "fake", "-pin-fd", "3")
	if r.code != 0 || len(globFiles(t, tl.path("staged/signatures/bob-*.json"))) != 1 {
		t.Fatalf("sign in keys/ wrote no signature in the repository: %v", r)
	}
	r = tl.run("init", "-online-signers", "fake", "-attestation-roots", "fake")
	if r.code != 1 || !strings.Contains(r.stderr, "is inside the ceremony repository") || tl.exists("keys/ceremony.json") {
		t.Fatalf("init in keys/: %v", r)
	}
	// Outside any ceremony repository, the error says so.
	t.Chdir(t.TempDir())
	if r := tl.run("status"); r.code != 1 || !strings.Contains(r.stderr, "is not a ceremony repository") {
		t.Fatalf("status outside a repository: %v", r)
	}
}

func globFiles(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDirBeforeCommand: -C DIR may come before the command, as with git
// and make, also for commands with subcommands. It used to be an unknown
// command "-C".
func TestDirBeforeCommand(t *testing.T) {
	tl := publishedV1(t)
	for _, args := range [][]string{
		{"-C", tl.dir, "diagram"},
		{"-C=" + tl.dir, "verify"},
		{"-C", tl.dir, "targets", "list"},
		{"-C", tl.dir, "delegation", "list"},
		{"-C", tl.dir, "expiry"},
	} {
		if r := tl.run(args...); r.code != 0 {
			t.Errorf("ceremony %s: %v", strings.Join(args, " "), r)
		}
	}
	if r := tl.run("-C"); r.code != 2 || !strings.Contains(r.stderr, "-C needs a directory") {
		t.Errorf("ceremony -C: %v", r)
	}
}

package main

// Hardening, from outside the process: names that would become paths
// (target names, delegated role names) are refused when they could leave
// the repository directory (CVE-2026-6968, GHSA-wjw6-2cqr-j4qr,
// GHSA-jqc5-w2xx-5vq4), and a refused command writes nothing.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/signer/fake"
)

func TestUnsafeNamesAreRefused(t *testing.T) {
	bin := buildCeremony(t)
	outer := t.TempDir()
	dir := filepath.Join(outer, "a", "b", "repo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// run places -C DIR after the command, and after the subcommand of
	// targets and delegation.
	run := func(args ...string) runResult {
		t.Helper()
		n := 1
		if args[0] == "targets" || args[0] == "delegation" {
			n = 2
		}
		full := append(append(append([]string{}, args[:n]...), "-C", dir), args[n:]...)
		return runCeremony(t, bin, nil, nil, full...)
	}
	for _, args := range [][]string{
		{"init", "-name", "paths", "-threshold", "1", "-attestation-roots", "fake", "-online-signers", "fake"},
		{"enroll", "-holder", "alice", "-token", "fake"},
		{"stage"},
		{"sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3"},
		{"publish"},
	} {
		r := runCeremony(t, bin, nil, []byte(fake.DefaultPIN+"\n"), append([]string{args[0], "-C", dir}, args[1:]...)...)
		if r.code != 0 {
			t.Fatalf("ceremony %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	content := filepath.Join(outer, "content.txt")
	if err := os.WriteFile(content, []byte("payload\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := listFiles(t, outer)
	for _, args := range [][]string{
		{"targets", "add", "../../evil.txt", content},
		{"targets", "add", "/evil.txt", content},
		{"targets", "add", `..\..\evil.txt`, content},
		{"targets", "add", "a/../../../evil.txt", content},
		{"delegation", "add", "-role", "../evil", "-key", "fake:p", "-threshold", "1", "-paths", "p/*"},
		{"delegation", "add", "-role", "a/../../evil", "-key", "fake:p", "-threshold", "1", "-paths", "p/*"},
		{"delegation", "add", "-role", "/evil", "-key", "fake:p", "-threshold", "1", "-paths", "p/*"},
	} {
		r := run(args...)
		if r.code == 0 {
			t.Errorf("ceremony %v succeeded:\n%s", args, r.stdout)
		}
		if !strings.Contains(r.stderr, "invalid") || !strings.Contains(r.stderr, "name") {
			t.Errorf("ceremony %v: not refused for its name: %s", args, r.stderr)
		}
		after := listFiles(t, outer)
		if len(after) != len(before) {
			t.Errorf("ceremony %v: %d files before, %d after", args, len(before), len(after))
		}
		for p, data := range before {
			if after[p] != data {
				t.Errorf("ceremony %v changed %s", args, p)
			}
		}
	}
	// A plain name is accepted, so the refusals above are about the names.
	if r := run("targets", "add", "ok/file.txt", content); r.code != 0 {
		t.Fatalf("targets add ok/file.txt: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

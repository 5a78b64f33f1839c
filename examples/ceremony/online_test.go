package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
)

// TestOnlineSignerFaults: an online backend that fails, hangs, signs with
// another key or returns a malformed signature is caught before anything
// is written.
func TestOnlineSignerFaults(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	tl.must("publish")
	src := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(src, []byte("ca"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		fault func(*fake.Signer)
		want  string
	}{
		{"wrong key", func(s *fake.Signer) { s.SetFault(fake.WrongKey) }, "does not verify under its key"},
		{"malformed", func(s *fake.Signer) { s.SetFault(fake.Malformed) }, "does not verify under its key"},
		{"fails", func(s *fake.Signer) { s.FailNext(1, signer.ErrKeyNotFound) }, "key not found"},
		{"hangs", func(s *fake.Signer) { s.SetFault(fake.Block) }, "deadline exceeded"},
	}
	for _, role := range []string{"targets", "snapshot", "timestamp"} {
		for _, c := range cases {
			t.Run(role+"/"+c.name, func(t *testing.T) {
				tl.wrap = func(spec string, s signer.Signer) signer.Signer {
					if fs, ok := s.(*fake.Signer); ok && spec == "fake:test-"+role {
						c.fault(fs)
					}
					return s
				}
				tl.timeout = 200 * time.Millisecond
				defer func() { tl.wrap, tl.timeout = nil, 0 }()
				before := treeContents(t, tl.dir)
				r := tl.in("targets", "add", "ca.pem", src)
				if r.code != 1 || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, "fake:test-"+role) {
					t.Fatalf("targets add with a %s %s signer: %v", c.name, role, r)
				}
				if !reflect.DeepEqual(before, treeContents(t, tl.dir)) {
					t.Fatal("a failed online signature changed the repository")
				}
			})
		}
	}
	// Without faults the same command works.
	tl.must("targets", "add", "ca.pem", src)
	tl.must("verify")

	// A rotation whose online refresh fails publishes nothing, not even
	// the new root.
	tl.must("enroll", "-holder", "frank", "-token", "fake")
	tl.must("stage", "-replace", "dave=frank")
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	tl.wrap = func(spec string, s signer.Signer) signer.Signer {
		if fs, ok := s.(*fake.Signer); ok && spec == "fake:test-timestamp" {
			fs.SetFault(fake.Malformed)
		}
		return s
	}
	before := treeContents(t, tl.dir)
	r := tl.in("publish")
	tl.wrap = nil
	if r.code != 1 || !strings.Contains(r.stderr, "does not verify under its key") {
		t.Fatalf("publish with a malformed timestamp signer: %v", r)
	}
	if !reflect.DeepEqual(before, treeContents(t, tl.dir)) || tl.exists("repository/2.root.json") {
		t.Fatal("a publish whose online signer failed changed the repository")
	}
	tl.must("publish")

	// The same for a delegated role's signer.
	tl.must("delegation", "add", "-role", "proj", "-key", "fake:p1", "-paths", "proj/*")
	tl.wrap = func(spec string, s signer.Signer) signer.Signer {
		if fs, ok := s.(*fake.Signer); ok && spec == "fake:p1" {
			fs.SetFault(fake.WrongKey)
		}
		return s
	}
	before = treeContents(t, tl.dir)
	r = tl.in("delegation", "sign", "-role", "proj", "-key", "fake:p1")
	tl.wrap = nil
	if r.code != 1 || !strings.Contains(r.stderr, "does not verify under that key") {
		t.Fatalf("delegation sign with a wrong-key signer: %v", r)
	}
	if !reflect.DeepEqual(before, treeContents(t, tl.dir)) {
		t.Fatal("a failed delegated signature changed the repository")
	}
}

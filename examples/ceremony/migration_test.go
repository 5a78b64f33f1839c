package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyIDMigration: the same physical key under a new key ID (here its
// holder annotation changes, as Sigstore's keys changed key IDs between
// roots) signs the rotation once per key ID, and each threshold counts the
// key under its own root's ID.
func TestKeyIDMigration(t *testing.T) {
	tl := newTool(t)
	tl.must("init", "-name", "m", "-threshold", "2", "-attestation-roots", "fake", "-online-signers", "fake")
	tl.must("enroll", "-holder", "alice", "-token", "fake")
	tl.must("enroll", "-holder", "bob", "-token", "fake")
	tl.must("stage")
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	tl.must("sign", "-holder", "bob", "-token", "fake", "-pin-fd", "3")
	tl.must("publish")
	// Alice's token enrolled again under her new name.
	tl.must("enroll", "-holder", "alice-sec", "-token", "fake", "-fake-token", "alice")
	r := tl.must("stage", "-replace", "alice=alice-sec")
	if !strings.Contains(r.stdout, "~ alice-sec key") || !strings.Contains(r.stdout, "key ID") {
		t.Fatalf("the diff shows a key ID change as a new key: %v", r)
	}
	r = tl.must("sign", "-holder", "alice-sec", "-token", "fake", "-fake-token", "alice", "-pin-fd", "3")
	if !strings.Contains(r.stdout, "2 key ID(s)") {
		t.Fatalf("sign did not use both key IDs: %v", r)
	}
	files, _ := filepath.Glob(tl.path("staged/signatures/alice-sec-*.json"))
	if len(files) != 2 {
		t.Fatalf("alice-sec's signature files: %v", files)
	}
	tl.must("sign", "-holder", "bob", "-token", "fake", "-pin-fd", "3")
	var st struct {
		Requirements []struct {
			Name   string `json:"name"`
			Needed int    `json:"needed"`
			Signed []struct {
				Holder string `json:"holder"`
			} `json:"signed"`
		} `json:"requirements"`
		Complete bool `json:"complete"`
	}
	if err := json.Unmarshal([]byte(tl.must("status", "-format", "json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if !st.Complete || len(st.Requirements) != 2 {
		t.Fatalf("status after the migration: %+v", st)
	}
	for _, q := range st.Requirements {
		if len(q.Signed) != 2 || q.Needed != 0 {
			t.Fatalf("requirement %s: %+v", q.Name, q)
		}
	}
	tl.must("publish")
	tl.must("verify")
}

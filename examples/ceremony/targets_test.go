package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTargetsEditing: a target's custom metadata changes without the file
// being given again, a target is removed, and adding an unchanged file
// with unchanged metadata publishes nothing. None of the three existed:
// the metadata could only change with the file, nothing could be
// removed, and every add published new versions.
func TestTargetsEditing(t *testing.T) {
	tl := publishedV1(t)
	src := filepath.Join(t.TempDir(), "fulcio.crt.pem")
	writeFile(t, src, []byte("a CA certificate"))
	active := `{"sigstore":{"usage":"Fulcio","status":"Active"}}`
	tl.must("targets", "add", "fulcio.crt.pem", src, "-custom", active)

	before := treeContents(t, tl.path("repository"))
	r := tl.must("targets", "add", "fulcio.crt.pem", src, "-custom", active)
	if !strings.Contains(r.stdout, "is unchanged") || !mapsEqual(before, treeContents(t, tl.path("repository"))) {
		t.Fatalf("targets add of an unchanged file and metadata published something: %v", r)
	}
	// The same file without -custom keeps the metadata: unchanged too.
	if r := tl.must("targets", "add", "fulcio.crt.pem", src); !strings.Contains(r.stdout, "is unchanged") {
		t.Fatalf("targets add of the same file, keeping its metadata: %v", r)
	}

	expired := `{"sigstore":{"usage":"Fulcio","status":"Expired"}}`
	r = tl.must("targets", "add", "fulcio.crt.pem", "-custom", expired)
	if !strings.Contains(r.stdout, "Changed the custom metadata of target fulcio.crt.pem") {
		t.Fatalf("targets add NAME -custom: %v", r)
	}
	if r := tl.must("targets", "list"); !strings.Contains(r.stdout, `"status":"Expired"`) {
		t.Fatalf("targets list after the change: %v", r)
	}
	if r := tl.in("targets", "add", "rekor.pub", "-custom", expired); r.code != 1 || !strings.Contains(r.stderr, "lists no rekor.pub") {
		t.Fatalf("targets add of custom metadata for an unknown target: %v", r)
	}
	tl.must("verify")

	r = tl.must("targets", "remove", "fulcio.crt.pem")
	if !strings.Contains(r.stdout, "Removed target fulcio.crt.pem") {
		t.Fatalf("targets remove: %v", r)
	}
	if r := tl.must("targets", "list"); strings.Contains(r.stdout, "fulcio.crt.pem") {
		t.Fatalf("targets list after remove: %v", r)
	}
	if r := tl.in("targets", "remove", "fulcio.crt.pem"); r.code != 1 || !strings.Contains(r.stderr, "lists no fulcio.crt.pem") {
		t.Fatalf("targets remove of a removed target: %v", r)
	}
	r = tl.must("verify")
	if !strings.Contains(r.stdout, "0 target file(s) match") {
		t.Fatalf("verify after remove: %v", r)
	}
}

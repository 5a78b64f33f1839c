//go:build unix

package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestNonRegularRepositoryFileIsRefused: a FIFO in place of a signature
// file would block every reader; it is refused before it is opened.
func TestNonRegularRepositoryFileIsRefused(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	if err := os.MkdirAll(tl.path("staged/signatures"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(tl.path("staged/signatures/x.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := tl.in("status")
	if r.code != 1 || !strings.Contains(r.stderr, "staged/signatures/x.json is not a regular file") {
		t.Fatalf("status with a FIFO signature file: %v", r)
	}
}

package main

import (
	"strings"
	"testing"
)

// TestStatusMarkdownNotReady: the markdown status says what is still
// missing, per threshold, as the text status does.
func TestStatusMarkdownNotReady(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	r := tl.must("status", "-format", "markdown")
	if !strings.Contains(r.stdout, "Not ready to publish: root v1 (own) needs 2 more signatures.") || strings.Contains(r.stdout, "All thresholds are met") {
		t.Fatalf("markdown status with 1 of 3 signatures:\n%s", r.stdout)
	}
	tl.must("sign", "-holder", "bob", "-token", "fake", "-pin-fd", "3")
	r = tl.must("status", "-format", "markdown")
	if !strings.Contains(r.stdout, "needs 1 more signature.") {
		t.Fatalf("markdown status with 2 of 3 signatures:\n%s", r.stdout)
	}
	tl.must("sign", "-holder", "carol", "-token", "fake", "-pin-fd", "3")
	r = tl.must("status", "-format", "markdown")
	if !strings.Contains(r.stdout, "All thresholds are met: ready to publish.") || strings.Contains(r.stdout, "Not ready") {
		t.Fatalf("markdown status with 3 of 3 signatures:\n%s", r.stdout)
	}
}

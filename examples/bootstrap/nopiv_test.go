//go:build !pivkey || !cgo

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/signer/piv"
)

// TestPIVNotBuiltIn: asked for YubiKeys in a build without PIV support, the
// program says how to rebuild and writes nothing.
func TestPIVNotBuiltIn(t *testing.T) {
	dir := t.TempDir()
	err := run(context.Background(), []string{"-out", dir, "-piv", "11111111,22222222,33333333"}, &bytes.Buffer{})
	if !errors.Is(err, piv.ErrNotSupported) {
		t.Fatalf("err = %v; want piv.ErrNotSupported", err)
	}
	if !strings.Contains(err.Error(), "-tags pivkey") {
		t.Errorf("error does not say how to rebuild: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "1.root.json")); !os.IsNotExist(err) {
		t.Errorf("1.root.json written despite the error: %v", err)
	}
}

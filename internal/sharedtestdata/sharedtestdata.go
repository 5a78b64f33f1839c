// Package sharedtestdata locates the third-party test vectors that tests read
// in place from the shared folder beside the repository (never copied into
// it): the real Sigstore root chains and YubiKey attestation certificates.
package sharedtestdata

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvDir overrides the location of the sigstore-root directory.
const EnvDir = "TRUSTROOT_SIGSTORE_ROOT"

// SigstoreRoot returns the path of shared/testdata/sigstore-root, which sits
// beside the repository (../shared from the module root). The test fails,
// naming the path it looked for, if the directory is missing.
func SigstoreRoot(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv(EnvDir); d != "" {
		return mustDir(tb, d)
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("sharedtestdata: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if filepath.Base(dir) == "interop" {
				// The interop module nests inside the repository.
				dir = filepath.Dir(dir)
				continue
			}
			return mustDir(tb, filepath.Join(dir, "..", "shared", "testdata", "sigstore-root"))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("sharedtestdata: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Path joins elem onto [SigstoreRoot] and fails the test if the result does
// not exist.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{SigstoreRoot(tb)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("sharedtestdata: missing test vector %s: %v", p, err)
	}
	return p
}

func mustDir(tb testing.TB, d string) string {
	tb.Helper()
	abs, err := filepath.Abs(d)
	if err != nil {
		tb.Fatalf("sharedtestdata: %v", err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		tb.Fatalf("sharedtestdata: the shared Sigstore test vectors are missing: %s (expected ../shared/testdata/sigstore-root beside the repository)", abs)
	}
	return abs
}

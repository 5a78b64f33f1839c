// Package sharedtestdata locates the third-party test vectors that tests read
// in place (never committed to the repository): the real Sigstore root chains
// and YubiKey attestation certificates.
//
// It is the one place that decides where they are. In order:
//
//   - the directory named by $TRUSTROOT_SHARED_TESTDATA, if set (and then
//     only there), laid out like ../shared/testdata;
//   - ../shared/testdata beside the repository;
//   - testdata/shared in the repository, where scripts/fetch-testdata.sh
//     puts them (git-ignored), fetched from sigstore/root-signing and
//     sigstore/root-signing-staging and checked against pinned SHA-256s.
//
// When none holds them, the first test that asks stops the test binary with
// one line naming the command that fetches them (see [FetchCommand]), rather
// than failing every test that needs them with the same message.
package sharedtestdata

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// EnvDir names the environment variable that overrides where the vectors
// are looked for: a directory laid out like ../shared/testdata (holding
// sigstore-root/). When it is set, no other place is tried.
const EnvDir = "TRUSTROOT_SHARED_TESTDATA"

// EnvSigstoreRoot names an older override that points at the sigstore-root
// directory itself. [EnvDir] takes precedence.
const EnvSigstoreRoot = "TRUSTROOT_SIGSTORE_ROOT"

// FetchCommand is the command, run from the repository root, that fetches
// the vectors into testdata/shared.
const FetchCommand = "scripts/fetch-testdata.sh"

// modulePath is the module path of the repository root's go.mod; nested
// modules (interop, examples, tools) are skipped on the way up.
const modulePath = "github.com/trustroot/trustroot"

const sigstoreRootDir = "sigstore-root"

var (
	once   sync.Once
	found  string // the sigstore-root directory, or ""
	reason string // why nothing was found: the one line to print
)

// SigstoreRoot returns the sigstore-root directory of the shared test
// vectors. If they are nowhere to be found it prints one line naming the
// places it looked and the command to fetch them, and stops the test
// binary with exit status 1: the run fails once, clearly, instead of in
// every test that needs them.
func SigstoreRoot(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		wd, err := os.Getwd()
		if err != nil {
			reason = fmt.Sprintf("sharedtestdata: %v", err)
			return
		}
		found, reason = locate(wd, os.Getenv(EnvDir), os.Getenv(EnvSigstoreRoot))
	})
	if found == "" {
		fmt.Fprintln(os.Stderr, reason)
		os.Exit(1)
	}
	return found
}

// Path joins elem onto [SigstoreRoot] and fails the test if the result does
// not exist.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{SigstoreRoot(tb)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("sharedtestdata: missing test vector %s: %v (run %s again to restore the fetched copy)", p, err, FetchCommand)
	}
	return p
}

// locate finds the sigstore-root directory, starting from the working
// directory wd, or returns "" and the one line that says where it looked
// and how to fetch the vectors.
func locate(wd, envDir, envSigstoreRoot string) (dir, why string) {
	var tried []string
	try := func(d string) bool {
		abs, err := filepath.Abs(d)
		if err != nil {
			abs = d
		}
		tried = append(tried, abs)
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			dir = abs
			return true
		}
		return false
	}
	missing := func(where string) string {
		return fmt.Sprintf("sharedtestdata: the Sigstore test vectors are missing (looked in %s); run %s from the repository root to fetch them", where, FetchCommand)
	}
	switch {
	case envDir != "":
		if try(filepath.Join(envDir, sigstoreRootDir)) {
			return dir, ""
		}
		return "", missing(tried[0] + ", from $" + EnvDir)
	case envSigstoreRoot != "":
		if try(envSigstoreRoot) {
			return dir, ""
		}
		return "", missing(tried[0] + ", from $" + EnvSigstoreRoot)
	}
	repo, err := repoRoot(wd)
	if err != nil {
		return "", "sharedtestdata: " + err.Error()
	}
	if try(filepath.Join(repo, "..", "shared", "testdata", sigstoreRootDir)) ||
		try(filepath.Join(repo, "testdata", "shared", sigstoreRootDir)) {
		return dir, ""
	}
	return "", missing(strings.Join(tried, " and "))
}

// repoRoot walks up from dir to the directory whose go.mod declares the
// repository's root module.
func repoRoot(dir string) (string, error) {
	for d := dir; ; {
		if moduleOf(filepath.Join(d, "go.mod")) == modulePath {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod of module %s above %s", modulePath, dir)
		}
		d = parent
	}
}

// moduleOf returns the module path a go.mod file declares, or "".
func moduleOf(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// SigstoreRepo returns the sigstore-repo directory beside sigstore-root:
// Sigstore's real production TUF repository (prod-2026-08-21/git as kept
// in git, prod-2026-08-21/published as its CDN serves it). It fails the
// test, naming the path, if the directory is not there.
func SigstoreRepo(tb testing.TB) string {
	tb.Helper()
	p := filepath.Join(filepath.Dir(SigstoreRoot(tb)), "sigstore-repo")
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		tb.Fatalf("sharedtestdata: the Sigstore repository vectors are missing: %s is not a directory (they sit beside %s)", p, SigstoreRoot(tb))
	}
	return p
}

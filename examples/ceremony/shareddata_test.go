package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The real Sigstore test vectors (root chains) are third-party files read
// in place, never committed. This is the main module's
// internal/sharedtestdata lookup, which a nested module cannot import: the
// directory named by $TRUSTROOT_SHARED_TESTDATA (laid out like
// ../shared/testdata) if it is set, else ../shared/testdata beside the
// repository, else testdata/shared in it, where scripts/fetch-testdata.sh
// puts them.

const sharedDataEnv = "TRUSTROOT_SHARED_TESTDATA"

var sharedData struct {
	sync.Once
	dir, why string
}

// sigstorePath joins elem onto the shared vectors' sigstore-root directory.
// When the vectors are nowhere, it prints one line saying where it looked
// and how to fetch them, and stops the test binary: the run fails once,
// not in every test that needs them.
func sigstorePath(tb testing.TB, elem ...string) string {
	tb.Helper()
	sharedData.Do(func() { sharedData.dir, sharedData.why = locateSharedData() })
	if sharedData.dir == "" {
		fmt.Fprintln(os.Stderr, sharedData.why)
		os.Exit(1)
	}
	p := filepath.Join(append([]string{sharedData.dir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("missing test vector %s: %v (run scripts/fetch-testdata.sh again to restore the fetched copy)", p, err)
	}
	return p
}

func locateSharedData() (dir, why string) {
	var tried []string
	try := func(d string) bool {
		tried = append(tried, d)
		fi, err := os.Stat(d)
		return err == nil && fi.IsDir()
	}
	if env := os.Getenv(sharedDataEnv); env != "" {
		if d, _ := filepath.Abs(filepath.Join(env, "sigstore-root")); try(d) {
			return d, ""
		}
	} else if repo := repositoryRoot(); repo != "" {
		for _, d := range []string{filepath.Join(filepath.Dir(repo), "shared", "testdata", "sigstore-root"), filepath.Join(repo, "testdata", "shared", "sigstore-root")} {
			if try(d) {
				return d, ""
			}
		}
	}
	return "", fmt.Sprintf("the Sigstore test vectors are missing (looked in %s); run scripts/fetch-testdata.sh from the repository root to fetch them, or set $%s", strings.Join(tried, " and "), sharedDataEnv)
}

// repositoryRoot walks up from the working directory to the directory whose
// go.mod declares the repository's root module, or returns "".
func repositoryRoot() string {
	d, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if f, err := os.Open(filepath.Join(d, "go.mod")); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if strings.TrimSpace(sc.Text()) == "module github.com/trustroot/trustroot" {
					f.Close()
					return d
				}
			}
			f.Close()
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

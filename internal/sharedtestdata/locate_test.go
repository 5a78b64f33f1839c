package sharedtestdata

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	mkdirs(t, filepath.Dir(name))
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A tree like a checkout: the repository with a nested module, and the
// shared folder beside it.
func fakeCheckout(t *testing.T) (top, repo, nested string) {
	t.Helper()
	top = t.TempDir()
	repo = filepath.Join(top, "trustroot")
	nested = filepath.Join(repo, "examples", "ceremony")
	writeFile(t, filepath.Join(repo, "go.mod"), "// the library\nmodule github.com/trustroot/trustroot\n\ngo 1.25.0\n")
	writeFile(t, filepath.Join(repo, "examples", "go.mod"), "module github.com/trustroot/trustroot/examples\n")
	mkdirs(t, nested)
	return top, repo, nested
}

func TestLocateOrder(t *testing.T) {
	top, repo, nested := fakeCheckout(t)
	shared := filepath.Join(top, "shared", "testdata", "sigstore-root")
	fetched := filepath.Join(repo, "testdata", "shared", "sigstore-root")

	dir, why := locate(nested, "", "")
	if dir != "" {
		t.Fatalf("found %s in an empty checkout", dir)
	}
	for _, want := range []string{shared, fetched, FetchCommand} {
		if !strings.Contains(why, want) {
			t.Errorf("message %q does not name %s", why, want)
		}
	}
	if strings.Contains(why, "\n") {
		t.Errorf("message is not one line: %q", why)
	}

	mkdirs(t, fetched)
	if dir, why = locate(nested, "", ""); dir != fetched {
		t.Errorf("with only the fetched copy: got %q (%s), want %s", dir, why, fetched)
	}
	mkdirs(t, shared)
	if dir, why = locate(nested, "", ""); dir != shared {
		t.Errorf("with both: got %q (%s), want ../shared first: %s", dir, why, shared)
	}
	if dir, _ = locate(repo, "", ""); dir != shared {
		t.Errorf("from the repository root: got %q, want %s", dir, shared)
	}

	// The override is the only place looked at.
	empty := t.TempDir()
	dir, why = locate(nested, empty, "")
	if dir != "" || !strings.Contains(why, filepath.Join(empty, "sigstore-root")) || !strings.Contains(why, EnvDir) {
		t.Errorf("override with an empty dir: got %q, %q", dir, why)
	}
	if dir, _ = locate(nested, filepath.Join(top, "shared", "testdata"), ""); dir != shared {
		t.Errorf("override: got %q, want %s", dir, shared)
	}
	if dir, _ = locate(nested, "", fetched); dir != fetched {
		t.Errorf("%s: got %q, want %s", EnvSigstoreRoot, dir, fetched)
	}
	if dir, _ = locate(nested, empty, fetched); dir != "" {
		t.Errorf("%s must win over %s: got %q", EnvDir, EnvSigstoreRoot, dir)
	}
}

func TestLocateOutsideRepository(t *testing.T) {
	dir, why := locate(t.TempDir(), "", "")
	if dir != "" || !strings.Contains(why, "no go.mod of module github.com/trustroot/trustroot") {
		t.Errorf("got %q, %q", dir, why)
	}
}

const childEnv = "SHAREDTESTDATA_CHILD"

// TestMissingVectorsStopRun runs itself in a child process whose vectors
// are missing: the first test that asks must stop the binary with the one
// line, and no later test may run.
func TestMissingVectorsStopRun(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		t.Run("first", func(t *testing.T) { SigstoreRoot(t) })
		t.Run("second", func(t *testing.T) { Path(t, "prod", "1.root.json") })
		t.Error("the run went on after the vectors were found missing")
		return
	}
	empty := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMissingVectorsStopRun$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1", EnvDir+"="+empty, EnvSigstoreRoot+"=")
	out, err := cmd.CombinedOutput()
	var xe *exec.ExitError
	if !errors.As(err, &xe) || xe.ExitCode() != 1 {
		t.Fatalf("child: %v, want exit status 1\n%s", err, out)
	}
	want := "sharedtestdata: the Sigstore test vectors are missing (looked in " + filepath.Join(empty, "sigstore-root")
	if n := bytes.Count(out, []byte(want)); n != 1 {
		t.Errorf("the line %q appears %d times, want once:\n%s", want, n, out)
	}
	if !bytes.Contains(out, []byte("run "+FetchCommand)) {
		t.Errorf("output does not name %s:\n%s", FetchCommand, out)
	}
	for _, never := range []string{"=== RUN   TestMissingVectorsStopRun/second", "went on", "--- PASS"} {
		if bytes.Contains(out, []byte(never)) {
			t.Errorf("output contains %q:\n%s", never, out)
		}
	}
}

// TestFreshCloneOneLine runs a package with many tests that read the
// vectors, as a fresh clone without ../shared would: the run fails with
// the one line, once.
func TestFreshCloneOneLine(t *testing.T) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	repo, err := repoRoot(filepath.Dir(file))
	if err != nil {
		t.Fatal(err)
	}
	goTool, err := exec.LookPath("go") // go test puts its GOROOT/bin first in PATH
	if err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	cmd := exec.Command(goTool, "test", "-count=1", "./internal/cjson/")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), EnvDir+"="+empty, EnvSigstoreRoot+"=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("go test passed without the vectors:\n%s", out)
	}
	if n := bytes.Count(out, []byte("the Sigstore test vectors are missing")); n != 1 {
		t.Errorf("the line appears %d times, want once:\n%s", n, out)
	}
	if !bytes.Contains(out, []byte(FetchCommand)) {
		t.Errorf("output does not name %s:\n%s", FetchCommand, out)
	}
	if bytes.Contains(out, []byte("--- FAIL")) {
		t.Errorf("tests failed one by one instead of the run stopping:\n%s", out)
	}
}

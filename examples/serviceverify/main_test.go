package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/verify"
)

// Two copies of a repository published by the ceremony tool: oldRepo right
// after the demo, newRepo after one more target was added (a newer
// timestamp, snapshot and targets). setupErr says why there are none.
var (
	oldRepo, newRepo string
	setupErr         error
)

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "serviceverify-")
	if err == nil {
		setupErr = publish(tmp)
	} else {
		setupErr = err
	}
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// publish runs the ceremony tool: the demo, a copy of its repository, then
// `targets add`, which re-signs targets, snapshot and timestamp.
func publish(tmp string) error {
	bin := filepath.Join(tmp, "ceremony")
	steps := [][]string{
		{"go", "build", "-o", bin, "../ceremony"},
		{bin, "demo", "-out", filepath.Join(tmp, "demo")},
	}
	extra := filepath.Join(tmp, "extra.txt")
	if err := os.WriteFile(extra, []byte("an extra target\n"), 0o644); err != nil {
		return err
	}
	for _, s := range steps {
		if err := runCmd(s...); err != nil {
			return err
		}
	}
	newRepo = filepath.Join(tmp, "demo", "repository")
	oldRepo = filepath.Join(tmp, "old")
	if err := os.CopyFS(oldRepo, os.DirFS(newRepo)); err != nil {
		return err
	}
	return runCmd(bin, "targets", "add", "-C", filepath.Join(tmp, "demo"), "extra.txt", extra)
}

func runCmd(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func repos(t *testing.T) (oldDir, newDir string) {
	t.Helper()
	if setupErr != nil {
		t.Fatalf("could not publish a repository with examples/ceremony: %v", setupErr)
	}
	return oldRepo, newRepo
}

// expectations reads, with plain JSON decoding, what a repository says:
// its newest root version and the active targets for each usage.
func expectations(t *testing.T, repo string) (rootVersion int, active map[string][]string) {
	t.Helper()
	entries, err := os.ReadDir(repo)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^([0-9]+)\.root\.json$`)
	for _, e := range entries {
		if m := re.FindStringSubmatch(e.Name()); m != nil {
			var v int
			fmt.Sscan(m[1], &v)
			rootVersion = max(rootVersion, v)
		}
	}
	var md struct {
		Signed struct {
			Meta map[string]struct{ Version int } `json:"meta"`
		} `json:"signed"`
	}
	read := func(name string) {
		b, err := os.ReadFile(filepath.Join(repo, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &md); err != nil {
			t.Fatal(err)
		}
	}
	read("timestamp.json")
	read(fmt.Sprintf("%d.snapshot.json", md.Signed.Meta["snapshot.json"].Version))
	b, err := os.ReadFile(filepath.Join(repo, fmt.Sprintf("%d.targets.json", md.Signed.Meta["targets.json"].Version)))
	if err != nil {
		t.Fatal(err)
	}
	var targets struct {
		Signed struct {
			Targets map[string]struct {
				Custom struct {
					Sigstore struct{ Usage, Status string } `json:"sigstore"`
				} `json:"custom"`
			} `json:"targets"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(b, &targets); err != nil {
		t.Fatal(err)
	}
	active = map[string][]string{}
	for name, tf := range targets.Signed.Targets {
		if s := tf.Custom.Sigstore; s.Status == "Active" {
			active[s.Usage] = append(active[s.Usage], name)
		}
	}
	for _, names := range active {
		sort.Strings(names)
	}
	return rootVersion, active
}

func runArgs(args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, &out)
	return out.String(), err
}

// TestUsages: from the v1 root, each kind of service loads exactly the
// targets marked active for it, after walking to the newest root.
func TestUsages(t *testing.T) {
	_, repo := repos(t)
	v1 := filepath.Join(repo, "1.root.json")
	final, active := expectations(t, repo)
	for _, usage := range []string{"Fulcio", "Rekor", "TSA"} {
		t.Run(usage, func(t *testing.T) {
			if len(active[usage]) == 0 {
				t.Fatalf("the repository has no active %s target", usage)
			}
			out, err := runArgs("-root", v1, "-repo", repo, "-usage", usage)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, fmt.Sprintf("trusted: root v%d ", final)) {
				t.Errorf("output does not report root v%d:\n%s", final, out)
			}
			var loaded []string
			for _, m := range regexp.MustCompile(usage+`: loaded (\S+):`).FindAllStringSubmatch(out, -1) {
				loaded = append(loaded, m[1])
			}
			sort.Strings(loaded)
			if fmt.Sprint(loaded) != fmt.Sprint(active[usage]) {
				t.Errorf("loaded %v; the repository marks %v active for %s", loaded, active[usage], usage)
			}
		})
	}
}

// TestHTTPMirror: the same update through an HTTP mirror on 127.0.0.1
// gives the same result as through the directory.
func TestHTTPMirror(t *testing.T) {
	_, repo := repos(t)
	v1 := filepath.Join(repo, "1.root.json")
	srv := httptest.NewServer(http.FileServer(http.Dir(repo)))
	defer srv.Close()
	viaHTTP, err := runArgs("-root", v1, "-url", srv.URL, "-usage", "Fulcio")
	if err != nil {
		t.Fatal(err)
	}
	viaDir, err := runArgs("-root", v1, "-repo", repo, "-usage", "Fulcio")
	if err != nil {
		t.Fatal(err)
	}
	if viaHTTP != viaDir {
		t.Errorf("HTTP mirror:\n%s\ndirectory:\n%s", viaHTTP, viaDir)
	}
}

// TestHTTPMirrorFaults: a mirror that fails, or sends too much, gives an
// error naming the file, never a trusted result.
func TestHTTPMirrorFaults(t *testing.T) {
	_, repo := repos(t)
	v1 := filepath.Join(repo, "1.root.json")
	files := http.FileServer(http.Dir(repo))
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/timestamp.json" {
				http.Error(w, "boom", http.StatusInternalServerError)
				return
			}
			files.ServeHTTP(w, r)
		}, "500"},
		{"oversized file", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/timestamp.json" {
				w.Write(bytes.Repeat([]byte(" "), maxDownload+10))
				return
			}
			files.ServeHTTP(w, r)
		}, "more than"},
		{"missing timestamp", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/timestamp.json" {
				http.NotFound(w, r)
				return
			}
			files.ServeHTTP(w, r)
		}, "timestamp.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			out, err := runArgs("-root", v1, "-url", srv.URL, "-usage", "Fulcio")
			if err == nil {
				t.Fatalf("update succeeded:\n%s", out)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			if strings.Contains(out, "loaded") {
				t.Errorf("loaded material despite the error:\n%s", out)
			}
		})
	}
}

// TestExpiredRoot: at a time after the newest root expires, the update
// fails with verify.ErrExpired and says the root expired.
func TestExpiredRoot(t *testing.T) {
	_, repo := repos(t)
	_, err := runArgs("-root", filepath.Join(repo, "1.root.json"), "-repo", repo, "-usage", "Fulcio", "-at", "2100-01-01T00:00:00Z")
	if !errors.Is(err, verify.ErrExpired) {
		t.Fatalf("err = %v; want verify.ErrExpired", err)
	}
	var exp *verify.ExpiredError
	if !errors.As(err, &exp) || exp.Role != "root" {
		t.Fatalf("err = %v; want an expired root", err)
	}
	if !strings.Contains(err.Error(), "newest root has expired") {
		t.Errorf("error does not say the root expired: %v", err)
	}
}

// TestRollback: a service that trusted the newer repository refuses the
// older copy (a mirror rolled back, or an attacker replaying old
// metadata), and keeps its remembered state.
func TestRollback(t *testing.T) {
	oldDir, newDir := repos(t)
	v1 := filepath.Join(newDir, "1.root.json")
	state := filepath.Join(t.TempDir(), "state.json")
	if _, err := runArgs("-root", v1, "-repo", newDir, "-usage", "Rekor", "-state", state); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	_, err = runArgs("-root", v1, "-repo", oldDir, "-usage", "Rekor", "-state", state)
	if !errors.Is(err, verify.ErrRollback) {
		t.Fatalf("err = %v; want verify.ErrRollback", err)
	}
	if !strings.Contains(err.Error(), "rollback") {
		t.Errorf("error does not say rollback: %v", err)
	}
	after, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("state changed after a refused update:\n%s\n->\n%s", before, after)
	}
	// Without the remembered state the old copy is, on its own, valid.
	if _, err := runArgs("-root", v1, "-repo", oldDir, "-usage", "Rekor"); err != nil {
		t.Errorf("the old repository alone: %v", err)
	}
}

// TestServiceKeepsTrustOnError: in a long-running service a failed refresh
// leaves the previously loaded material and state in place.
func TestServiceKeepsTrustOnError(t *testing.T) {
	oldDir, newDir := repos(t)
	svc := &Service{Usage: "TSA"}
	var err error
	if svc.Trusted, err = parseRootFile(filepath.Join(newDir, "1.root.json")); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refresh(os.DirFS(newDir), time.Time{}); err != nil {
		t.Fatal(err)
	}
	state, active, trusted := *svc.State, svc.Active, svc.Trusted
	if err := svc.Refresh(os.DirFS(oldDir), time.Time{}); !errors.Is(err, verify.ErrRollback) {
		t.Fatalf("refresh from the old copy: %v; want verify.ErrRollback", err)
	}
	if fmt.Sprint(*svc.State) != fmt.Sprint(state) || len(svc.Active) != len(active) || svc.Trusted != trusted {
		t.Errorf("a failed refresh changed the service's state")
	}
}

// TestMissingTarget: a target listed as active but absent from the mirror,
// or altered, fails the update with a message naming it.
func TestMissingTarget(t *testing.T) {
	_, repo := repos(t)
	_, active := expectations(t, repo)
	name := active["Fulcio"][0]
	find := func(dir string) string {
		m, err := filepath.Glob(filepath.Join(dir, "targets", "*."+name))
		if err != nil || len(m) != 1 {
			t.Fatalf("target file for %s: %v %v", name, m, err)
		}
		return m[0]
	}

	t.Run("missing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "repository")
		if err := os.CopyFS(dir, os.DirFS(repo)); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(find(dir)); err != nil {
			t.Fatal(err)
		}
		_, err := runArgs("-root", filepath.Join(dir, "1.root.json"), "-repo", dir, "-usage", "Fulcio")
		if !errors.Is(err, errTargetMissing) || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v; want a missing target", err)
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	})

	t.Run("altered", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "repository")
		if err := os.CopyFS(dir, os.DirFS(repo)); err != nil {
			t.Fatal(err)
		}
		f := find(dir)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 1
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = runArgs("-root", filepath.Join(dir, "1.root.json"), "-repo", dir, "-usage", "Fulcio")
		if !errors.Is(err, repository.ErrHashMismatch) {
			t.Fatalf("err = %v; want repository.ErrHashMismatch", err)
		}
	})

	t.Run("no active target for the usage", func(t *testing.T) {
		_, err := runArgs("-root", filepath.Join(repo, "1.root.json"), "-repo", repo, "-usage", "CTFE")
		if !errors.Is(err, errNoActiveTarget) {
			t.Fatalf("err = %v; want errNoActiveTarget", err)
		}
	})
}

// TestRefreshLoop: with -every the service refreshes until its context
// ends, then returns without error.
func TestRefreshLoop(t *testing.T) {
	_, repo := repos(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"-root", filepath.Join(repo, "1.root.json"), "-repo", repo, "-usage", "Rekor", "-every", "100ms"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "trusted: "); n < 2 {
		t.Errorf("%d refreshes in 2s with -every 100ms:\n%s", n, out.String())
	}
}

// TestRefreshLoopKeepsServing: once started, a failed refresh is reported
// and the service carries on with what it trusted.
func TestRefreshLoopKeepsServing(t *testing.T) {
	_, repo := repos(t)
	files := http.FileServer(http.Dir(repo))
	var mu sync.Mutex
	timestamps := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/timestamp.json" {
			mu.Lock()
			timestamps++
			n := timestamps
			mu.Unlock()
			if n > 1 {
				http.Error(w, "mirror down", http.StatusServiceUnavailable)
				return
			}
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"-root", filepath.Join(repo, "1.root.json"), "-url", srv.URL, "-usage", "Fulcio", "-every", "100ms"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "Fulcio: loaded") != 1 || !strings.Contains(out.String(), "refresh failed, keeping root v") || !strings.Contains(out.String(), "503") {
		t.Errorf("want one good refresh, then failures that keep the trusted state:\n%s", out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-root", "x"},
		{"-root", "x", "-usage", "Fulcio"},
		{"-root", "x", "-usage", "Fulcio", "-repo", "a", "-url", "http://127.0.0.1:1"},
		{"-root", "/nonexistent/1.root.json", "-usage", "Fulcio", "-repo", "a"},
		{"-bogus"},
	} {
		if _, err := runArgs(args...); err == nil || !strings.HasPrefix(err.Error(), "serviceverify: ") {
			t.Errorf("run(%q) = %v; want a serviceverify: error", args, err)
		}
	}
}

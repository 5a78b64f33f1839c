package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// demoRepo is the repository directory the ceremony demo wrote, shared by
// every test; demoErr says why there is none.
var (
	demoRepo string
	demoErr  error
)

// TestMain runs the ceremony demo once for every test. With
// INTEROP_REPO=DIR set, the tests check the TUF repository in DIR instead
// (for instance a real ceremony's repository/ directory).
func TestMain(m *testing.M) {
	if dir := os.Getenv("INTEROP_REPO"); dir != "" {
		demoRepo, demoErr = filepath.Abs(dir)
		os.Exit(m.Run())
	}
	tmp, err := os.MkdirTemp("", "trustroot-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
	demoRepo, demoErr = runDemo(tmp)
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// runDemo runs the ceremony tool's demo command, exactly as a user would,
// and returns the path of the TUF repository it published.
func runDemo(tmp string) (string, error) {
	out := filepath.Join(tmp, "demo")
	// Run it in the library's module, exactly as the README tells a user.
	cmd := exec.Command("go", "run", "./examples/ceremony", "demo", "-out", out)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start go run ./examples/ceremony demo: %w", err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return "", fmt.Errorf("go run ./examples/ceremony demo -out %s: %w\n%s", out, err, log.String())
		}
	case <-time.After(5 * time.Minute):
		_ = cmd.Process.Kill()
		return "", fmt.Errorf("go run ./examples/ceremony demo: still running after 5 minutes\n%s", log.String())
	}
	repo := filepath.Join(out, "repository")
	if _, err := os.Stat(filepath.Join(repo, "1.root.json")); err != nil {
		return "", fmt.Errorf("demo wrote no repository/1.root.json: %w\n%s", err, log.String())
	}
	return repo, nil
}

// demo returns the demo repository, failing the test when the demo did not
// run.
func demo(t *testing.T) string {
	t.Helper()
	if demoErr != nil {
		t.Fatalf("the ceremony demo did not produce a repository: %v", demoErr)
	}
	return demoRepo
}

// copyRepo copies the demo repository into a fresh directory so a test can
// tamper with it.
func copyRepo(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "repository")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy repository: %v", err)
	}
	return dst
}

// server serves dir on 127.0.0.1 and records every path requested.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
}

func serve(t *testing.T, dir string) *server {
	t.Helper()
	s := &server{}
	files := http.FileServer(http.Dir(dir))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.URL.Path)
		s.mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("test server is not on loopback: %s", s.URL)
	}
	return s
}

func (s *server) requested(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.requests {
		if r == path {
			return true
		}
	}
	return false
}

// httpClient bounds every request the clients under test make.
func httpClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second}
}

var rootFile = regexp.MustCompile(`^([1-9][0-9]*)\.root\.json$`)

// rootVersions lists the versions of the N.root.json files in dir, sorted.
func rootVersions(t *testing.T, dir string) []int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var vs []int64
	for _, e := range entries {
		if m := rootFile.FindStringSubmatch(e.Name()); m != nil {
			v, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	if len(vs) == 0 {
		t.Fatalf("%s: no N.root.json files", dir)
	}
	return vs
}

// listing is what the repository claims to hold, read with plain JSON
// decoding (no TUF library): the roles in the snapshot and the targets
// each role lists.
type listing struct {
	Roles   map[string]int64          // role name -> version, from the snapshot
	Targets map[string]listedTarget   // target path -> entry
	Custom  map[string]map[string]any // target path -> custom metadata
}

type listedTarget struct {
	Role   string
	Length int64
	SHA256 string
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func list(t *testing.T, repo string) listing {
	t.Helper()
	var ts struct {
		Signed struct {
			Meta map[string]struct{ Version int64 } `json:"meta"`
		} `json:"signed"`
	}
	readJSON(t, filepath.Join(repo, "timestamp.json"), &ts)
	snapVersion := ts.Signed.Meta["snapshot.json"].Version
	var snap struct {
		Signed struct {
			Meta map[string]struct{ Version int64 } `json:"meta"`
		} `json:"signed"`
	}
	readJSON(t, filepath.Join(repo, fmt.Sprintf("%d.snapshot.json", snapVersion)), &snap)
	l := listing{Roles: map[string]int64{}, Targets: map[string]listedTarget{}, Custom: map[string]map[string]any{}}
	for name, m := range snap.Signed.Meta {
		role := strings.TrimSuffix(name, ".json")
		l.Roles[role] = m.Version
		var md struct {
			Signed struct {
				Targets map[string]struct {
					Length int64             `json:"length"`
					Hashes map[string]string `json:"hashes"`
					Custom map[string]any    `json:"custom"`
				} `json:"targets"`
			} `json:"signed"`
		}
		readJSON(t, filepath.Join(repo, fmt.Sprintf("%d.%s", m.Version, name)), &md)
		for p, tf := range md.Signed.Targets {
			if prev, dup := l.Targets[p]; dup {
				t.Fatalf("target %s listed by both %s and %s", p, prev.Role, role)
			}
			l.Targets[p] = listedTarget{Role: role, Length: tf.Length, SHA256: tf.Hashes["sha256"]}
			if tf.Custom != nil {
				l.Custom[p] = tf.Custom
			}
		}
	}
	if _, ok := l.Roles["targets"]; !ok {
		t.Fatalf("snapshot %d lists no targets.json", snapVersion)
	}
	return l
}

// delegatedRoles returns the roles other than the top-level targets.
func (l listing) delegatedRoles() []string {
	var rs []string
	for r := range l.Roles {
		if r != "targets" {
			rs = append(rs, r)
		}
	}
	sort.Strings(rs)
	return rs
}

// targetFile returns the path of a target's file under consistent
// snapshots: targets/<dir>/<sha256>.<base>.
func (l listing) targetFile(repo, path string) string {
	tf := l.Targets[path]
	dir, base := filepath.Split(filepath.FromSlash(path))
	return filepath.Join(repo, "targets", dir, tf.SHA256+"."+base)
}

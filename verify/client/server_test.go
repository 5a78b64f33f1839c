package client_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/atomicfile"
	"github.com/trustroot/trustroot/internal/testrepo"
	"github.com/trustroot/trustroot/verify/client"
)

// server serves a repository directory on loopback, counts the requests
// for each path and lets a test replace the answer for a path.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	hits   map[string]int
	hooks  map[string]http.HandlerFunc
	agents map[string]bool // User-Agent headers seen
}

func serve(t *testing.T, dir string) *server {
	t.Helper()
	s := &server{hits: map[string]int{}, hooks: map[string]http.HandlerFunc{}, agents: map[string]bool{}}
	files := http.FileServer(http.Dir(dir))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.agents[r.UserAgent()] = true
		h := s.hooks[r.URL.Path]
		s.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// on makes the server answer path with h; nil restores the file.
func (s *server) on(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.hooks, path)
		return
	}
	s.hooks[path] = h
}

// count returns how often path was requested since the last reset.
func (s *server) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// requests returns every path requested since the last reset.
func (s *server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for p := range s.hits {
		out = append(out, p)
	}
	return out
}

func (s *server) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits = map[string]int{}
}

func notFound(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }

// Custom metadata of the fixture's targets.
const (
	activeFulcio  = `{"sigstore":{"usage":"Fulcio","status":"Active","uri":"https://fulcio.example"}}`
	expiredFulcio = `{"sigstore":{"usage":"Fulcio","status":"Expired","uri":"https://fulcio.example"}}`
	activeRekor   = `{"sigstore":{"usage":"Rekor","status":"Active"}}`
)

var (
	fulcioPEM    = []byte("-----BEGIN CERTIFICATE-----\nfulcio v2\n-----END CERTIFICATE-----\n")
	oldFulcioPEM = []byte("-----BEGIN CERTIFICATE-----\nfulcio v1\n-----END CERTIFICATE-----\n")
	rekorPub     = []byte("-----BEGIN PUBLIC KEY-----\nrekor\n-----END PUBLIC KEY-----\n")
	trustedRoot  = []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)
	acmeTool     = []byte("acme's tool key")
)

// fixture publishes a repository with Sigstore-style targets and a
// delegation of acme/* to the role acme.
func fixture(t *testing.T) *testrepo.Repo {
	t.Helper()
	r, err := testrepo.New(t.TempDir(), t.Name(), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	must(t, r.AddTarget("fulcio_v2.crt.pem", fulcioPEM, activeFulcio))
	must(t, r.AddTarget("fulcio.crt.pem", oldFulcioPEM, expiredFulcio))
	must(t, r.AddTarget("rekor.pub", rekorPub, activeRekor))
	must(t, r.AddTarget("trusted_root.json", trustedRoot, ""))
	must(t, r.Delegate("acme", true, "acme/*"))
	must(t, r.AddDelegatedTarget("acme", "acme/tool.pub", acmeTool, `{"sigstore":{"usage":"Rekor","status":"Active"}}`))
	must(t, r.Publish())
	return r
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newClient returns a client of the repository at srv trusting its
// root v1, caching in cache ("" for none).
func newClient(t *testing.T, r *testrepo.Repo, srv *server, cache string, mod ...func(*client.Options)) *client.Client {
	t.Helper()
	opts := client.Options{Root: r.RootFile(1), MetadataURL: srv.URL, CacheDir: cache, HTTPClient: srv.Client()}
	for _, m := range mod {
		m(&opts)
	}
	c, err := client.New(opts)
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	return c
}

// cacheFiles lists the files in a cache directory, failing on leftover
// temporary files.
func cacheFiles(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if atomicfile.IsTemp(p) {
			t.Errorf("cache holds a temporary file %s", rel)
		}
		out[filepath.ToSlash(rel)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// targetPath is where the repository serves a target (consistent
// snapshots).
func targetPath(t *testing.T, c *client.Client, name string) string {
	t.Helper()
	tg, err := c.Target(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return "/" + tg.Path(true)
}

func hasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

package sharedtestdata

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// entry is one line of scripts/fetch-testdata.list.
type entry struct {
	sum, dest, repo, commit, path string
}

func repoDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	repo, err := repoRoot(filepath.Dir(file))
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func readList(t *testing.T, repo string) []entry {
	t.Helper()
	f, err := os.Open(filepath.Join(repo, "scripts", "fetch-testdata.list"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 5 {
			t.Fatalf("list line %q: %d fields, want 5", line, len(fs))
		}
		out = append(out, entry{fs[0], fs[1], fs[2], fs[3], fs[4]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// buildMirror lays the vectors found by SigstoreRoot out as
// raw.githubusercontent.com serves them (OWNER/REPO/COMMIT/PATH); a
// PATH#NAME entry becomes a Go file holding the constant NAME.
func buildMirror(t *testing.T, list []entry) string {
	t.Helper()
	base := filepath.Dir(SigstoreRoot(t))
	mirror := t.TempDir()
	for _, e := range list {
		data, err := os.ReadFile(filepath.Join(base, filepath.FromSlash(e.dest)))
		if err != nil {
			t.Fatal(err)
		}
		p, name, isConst := strings.Cut(e.path, "#")
		if isConst {
			data = []byte("package keys\n\n// A certificate.\nconst other = `x`\n\nconst " + name + " = `" + strings.TrimSuffix(string(data), "\n") + "`\n\nfunc f() {}\n")
		}
		writeFile(t, filepath.Join(mirror, e.repo, e.commit, filepath.FromSlash(p)), string(data))
	}
	return mirror
}

func fileURL(dir string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

// fetch runs scripts/fetch-testdata.sh against a mirror.
func fetch(t *testing.T, repo, mirror, out string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(repo, "scripts", "fetch-testdata.sh"), "-o", out)
	cmd.Env = append(os.Environ(), "TRUSTROOT_TESTDATA_BASE_URL="+fileURL(mirror))
	b, err := cmd.CombinedOutput()
	return string(b), err
}

func sum(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func TestFetchListMatchesVectors(t *testing.T) {
	repo := repoDir(t)
	list := readList(t, repo)
	base := filepath.Dir(SigstoreRoot(t))
	listed := map[string]bool{}
	for _, e := range list {
		listed[e.dest] = true
		if got := sum(t, filepath.Join(base, filepath.FromSlash(e.dest))); got != e.sum {
			t.Errorf("%s: SHA-256 %s, the list pins %s", e.dest, got, e.sum)
		}
	}
	// Every vector the tests can read is fetched.
	walk := func(dir string) error {
		return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(base, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			switch filepath.Base(rel) {
			case "README.md", "SHA256SUMS":
				return nil
			}
			if !listed[rel] {
				t.Errorf("%s is not in scripts/fetch-testdata.list", rel)
			}
			return nil
		})
	}
	for _, dir := range []string{SigstoreRoot(t), SigstoreRepo(t)} {
		if err := walk(dir); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFetchScript(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("scripts/fetch-testdata.sh needs %s: %v", tool, err)
		}
	}
	repo := repoDir(t)
	list := readList(t, repo)
	mirror := buildMirror(t, list)
	base := filepath.Dir(SigstoreRoot(t))

	t.Run("installs every file byte for byte", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "shared")
		if msg, err := fetch(t, repo, mirror, out); err != nil {
			t.Fatalf("fetch: %v\n%s", err, msg)
		}
		for _, e := range list {
			want, err := os.ReadFile(filepath.Join(base, filepath.FromSlash(e.dest)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(e.dest)))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: not installed as is (%v)", e.dest, err)
			}
		}
		ents, err := os.ReadDir(out)
		if err != nil || len(ents) != 2 || ents[0].Name() != "sigstore-repo" || ents[1].Name() != "sigstore-root" {
			t.Errorf("%s holds %v (%v), want only sigstore-repo and sigstore-root", out, ents, err)
		}
		// Found by the lookup, as a fresh clone's tests would.
		if dir, why := locate(t.TempDir(), out, ""); dir != filepath.Join(out, "sigstore-root") {
			t.Errorf("locate: %q, %s", dir, why)
		}
		// A second run checks what is there and fetches nothing.
		msg, err := fetch(t, repo, filepath.Join(t.TempDir(), "gone"), out)
		if err != nil || !strings.Contains(msg, "present and verified") {
			t.Errorf("second run: %v\n%s", err, msg)
		}
	})

	t.Run("a changed file installs nothing", func(t *testing.T) {
		bad := buildMirror(t, list)
		victim := list[len(list)/2]
		p := filepath.Join(bad, victim.repo, victim.commit, filepath.FromSlash(victim.path))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)/2] ^= 1
		writeFile(t, p, string(data))
		out := filepath.Join(t.TempDir(), "shared")
		msg, err := fetch(t, repo, bad, out)
		if err == nil {
			t.Fatalf("fetch accepted a changed %s:\n%s", victim.dest, msg)
		}
		if !strings.Contains(msg, victim.dest+": SHA-256 ") || !strings.Contains(msg, "want "+victim.sum) || !strings.Contains(msg, "nothing installed") {
			t.Errorf("the error does not name %s and its pinned hash:\n%s", victim.dest, msg)
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Errorf("%s holds %v after a failed fetch", out, ents)
		}
	})

	t.Run("a missing file installs nothing", func(t *testing.T) {
		bad := buildMirror(t, list)
		victim := list[0]
		if err := os.Remove(filepath.Join(bad, victim.repo, victim.commit, filepath.FromSlash(victim.path))); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "shared")
		msg, err := fetch(t, repo, bad, out)
		if err == nil || !strings.Contains(msg, victim.dest+": could not fetch") {
			t.Fatalf("fetch: %v\n%s", err, msg)
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Errorf("%s holds %v after a failed fetch", out, ents)
		}
	})

	t.Run("a damaged install is replaced", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "shared")
		if msg, err := fetch(t, repo, mirror, out); err != nil {
			t.Fatalf("fetch: %v\n%s", err, msg)
		}
		victim := filepath.Join(out, filepath.FromSlash(list[3].dest))
		writeFile(t, victim, "damaged")
		stray := filepath.Join(out, "sigstore-root", "stray.json")
		writeFile(t, stray, "{}")
		if msg, err := fetch(t, repo, mirror, out); err != nil {
			t.Fatalf("refetch: %v\n%s", err, msg)
		}
		if got := sum(t, victim); got != list[3].sum {
			t.Errorf("%s not restored", list[3].dest)
		}
		if _, err := os.Stat(stray); !os.IsNotExist(err) {
			t.Errorf("a stray file survived the refetch: %v", err)
		}
	})
}

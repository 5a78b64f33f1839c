package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
)

// tool runs the ceremony tool in-process, as a person at a terminal
// would, with its own output buffers and file-system seam.
type tool struct {
	t      *testing.T
	dir    string
	tokens *fakeTokens
	// fs, when set, replaces the file system for the next runs.
	fs fileSystem
	// now, when set, fixes the clock.
	now time.Time
	// pinReads counts how often a PIN was read.
	pinReads atomic.Int32
	// pin is what file descriptor 3 and stdin hold.
	pin string
	// wrap and timeout set env.wrapSigner and env.signTimeout.
	wrap    func(spec string, s signer.Signer) signer.Signer
	timeout time.Duration
	// onPIN, when set, is called with what the command has printed so
	// far each time it reads file descriptor 3.
	onPIN func(stdout string)
	// out is the running command's standard output.
	out *bytes.Buffer
}

func newTool(t *testing.T) *tool {
	t.Helper()
	return &tool{t: t, dir: t.TempDir(), tokens: newFakeTokens(), pin: fake.DefaultPIN}
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func (tl *tool) env(stdout, stderr io.Writer) *env {
	fsys := tl.fs
	if fsys == nil {
		fsys = testFS()
	}
	e := &env{
		stdout: stdout,
		stderr: stderr,
		stdin:  strings.NewReader(tl.pin + "\n"),
		fs:     fsys,
		now:    time.Now,
		openFD: func(fd int) (io.ReadCloser, error) {
			if fd != 3 {
				return nil, fmt.Errorf("file descriptor %d is not open", fd)
			}
			tl.pinReads.Add(1)
			if tl.onPIN != nil && tl.out != nil {
				tl.onPIN(tl.out.String())
			}
			return io.NopCloser(strings.NewReader(tl.pin + "\n")), nil
		},
		tokens:      tl.tokens,
		wrapSigner:  tl.wrap,
		signTimeout: tl.timeout,
	}
	if !tl.now.IsZero() {
		now := tl.now
		e.now = func() time.Time { return now }
	}
	return e
}

// run runs one command line; "-C DIR" is not added automatically.
func (tl *tool) run(args ...string) result {
	var out, errb bytes.Buffer
	tl.out = &out
	code := run(context.Background(), tl.env(&out, &errb), args)
	tl.out = nil
	return result{code, out.String(), errb.String()}
}

// in runs a repository command on the tool's directory.
func (tl *tool) in(args ...string) result {
	full := withDir(tl.dir, args)
	return tl.run(full...)
}

func withDir(dir string, args []string) []string {
	switch args[0] {
	case "targets", "delegation":
		return append([]string{args[0], args[1], "-C", dir}, args[2:]...)
	}
	return append([]string{args[0], "-C", dir}, args[1:]...)
}

// must runs a repository command and fails the test unless it succeeds.
func (tl *tool) must(args ...string) result {
	tl.t.Helper()
	r := tl.in(args...)
	if r.code != 0 {
		tl.t.Fatalf("ceremony %s: %v", strings.Join(args, " "), r)
	}
	return r
}

// setupV1Staged makes a ceremony with five enrolled holders and staged v1.
func (tl *tool) setupV1Staged() {
	tl.t.Helper()
	tl.must("init", "-name", "test", "-threshold", "3", "-attestation-roots", "fake", "-online-signers", "fake")
	for _, h := range []string{"alice", "bob", "carol", "dave", "erin"} {
		tl.must("enroll", "-holder", h, "-token", "fake")
	}
	tl.must("stage")
}

func (tl *tool) path(rel string) string { return filepath.Join(tl.dir, filepath.FromSlash(rel)) }

func (tl *tool) exists(rel string) bool {
	_, err := os.Stat(tl.path(rel))
	return err == nil
}

func (tl *tool) read(rel string) []byte {
	tl.t.Helper()
	data, err := os.ReadFile(tl.path(rel))
	if err != nil {
		tl.t.Fatal(err)
	}
	return data
}

// snapshotTree returns every file under dir with its content.
func treeContents(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// copyTree copies src into a new temporary directory.
func cloneDir(t testing.TB, src string) string {
	t.Helper()
	dst := fastTempDir(t)
	for rel, data := range treeContents(t, src) {
		p := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// tempFiles lists interrupted-write leftovers under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for rel := range treeContents(t, dir) {
		if isTempName(rel) {
			out = append(out, rel)
		}
	}
	return out
}

var demoOnce struct {
	sync.Once
	dir string
	res result
}

func mustSelfSignedPEM(t *testing.T) string {
	t.Helper()
	m, err := newServiceMaterial(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return string(m.caPEM)
}

// fastFS is the operating system's file system without fsync: tests model
// crashes by fault injection, not by pulling the plug, and fsync on a
// test machine's disk only makes them slow.
type fastFS struct{ fileSystem }

type noSyncFile struct{ tmpFile }

func (noSyncFile) Sync() error { return nil }

func (f fastFS) CreateTemp(dir, pattern string) (tmpFile, error) {
	file, err := f.fileSystem.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return noSyncFile{file}, nil
}

func (fastFS) SyncDir(string) error { return nil }

func testFS() fileSystem { return fastFS{osFS{}} }

// fastTempDir is a temporary directory on a memory file system when the
// machine has one (/dev/shm), else t.TempDir(): the fault-injection loops
// create thousands of small files, which is slow on some disks.
func fastTempDir(t testing.TB) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "ceremony-test-"); err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeFile(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

// withoutPINNote removes the tool's note naming the fake tokens' PIN, which
// is public (fake.DefaultPIN), from out: what remains must not hold the
// PIN a keyholder typed.
func withoutPINNote(out string) string {
	return strings.ReplaceAll(out, fakePINNote, "")
}

// publishedV1 returns a tool whose repository has root v1 published.
func publishedV1(t *testing.T) *tool {
	t.Helper()
	tl := newTool(t)
	tl.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	tl.must("publish")
	return tl
}

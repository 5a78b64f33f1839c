package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// symlinkTo replaces the repository file rel with a symbolic link to a
// copy of its contents outside the repository, so the link would read as
// valid if it were followed.
func symlinkTo(t *testing.T, tl *tool, rel string) {
	t.Helper()
	outside := filepath.Join(t.TempDir(), "outside.json")
	writeFile(t, outside, tl.read(rel))
	removeFile(t, tl.path(rel))
	if err := os.Symlink(outside, tl.path(rel)); err != nil {
		t.Fatal(err)
	}
}

// TestSymlinksInRepositoryAreRefused: a pull request can add any file of
// the ceremony repository as a symbolic link to a file outside it; every
// command refuses to follow one, naming the path.
func TestSymlinksInRepositoryAreRefused(t *testing.T) {
	t.Run("status/signature", func(t *testing.T) {
		tl := newTool(t)
		tl.setupV1Staged()
		tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
		sigs, _ := filepath.Glob(tl.path("staged/signatures/*.json"))
		if len(sigs) != 1 {
			t.Fatalf("signature files %v", sigs)
		}
		rel := "staged/signatures/" + filepath.Base(sigs[0])
		symlinkTo(t, tl, rel)
		r := tl.in("status")
		if r.code != 1 || !strings.Contains(r.stderr, rel+" is a symbolic link") {
			t.Fatalf("status with a symlinked signature: %v", r)
		}
	})
	t.Run("status/key", func(t *testing.T) {
		tl := newTool(t)
		tl.setupV1Staged()
		symlinkTo(t, tl, "keys/bob.json")
		r := tl.in("status")
		if r.code != 1 || !strings.Contains(r.stderr, "keys/bob.json is a symbolic link") {
			t.Fatalf("status with a symlinked key file: %v", r)
		}
	})
	t.Run("status/policy", func(t *testing.T) {
		tl := newTool(t)
		tl.setupV1Staged()
		symlinkTo(t, tl, "ceremony.json")
		r := tl.in("status")
		if r.code != 1 || !strings.Contains(r.stderr, "ceremony.json is a symbolic link") {
			t.Fatalf("status with a symlinked ceremony.json: %v", r)
		}
	})
	t.Run("publish/staged-root", func(t *testing.T) {
		tl := newTool(t)
		tl.setupV1Staged()
		for _, h := range []string{"alice", "bob", "carol"} {
			tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
		}
		symlinkTo(t, tl, "staged/root.json")
		r := tl.in("publish")
		if r.code != 1 || !strings.Contains(r.stderr, "staged/root.json is a symbolic link") || tl.exists("repository/1.root.json") {
			t.Fatalf("publish with a symlinked staged root: %v", r)
		}
	})
	t.Run("publish/signatures-dir", func(t *testing.T) {
		// The whole signatures directory linked elsewhere: publish would
		// read, and then clear, files outside the repository.
		tl := newTool(t)
		tl.setupV1Staged()
		for _, h := range []string{"alice", "bob", "carol"} {
			tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
		}
		outside := filepath.Join(t.TempDir(), "sigs")
		if err := os.Rename(tl.path("staged/signatures"), outside); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, tl.path("staged/signatures")); err != nil {
			t.Fatal(err)
		}
		r := tl.in("publish")
		if r.code != 1 || !strings.Contains(r.stderr, "staged/signatures is a symbolic link") {
			t.Fatalf("publish with a symlinked signatures directory: %v", r)
		}
		if files, _ := filepath.Glob(filepath.Join(outside, "*.json")); len(files) != 3 {
			t.Fatalf("files outside the repository after publish: %v", files)
		}
	})
	t.Run("verify/published-root", func(t *testing.T) {
		tl := publishedV1(t)
		symlinkTo(t, tl, "repository/1.root.json")
		r := tl.in("verify")
		if r.code != 1 || !strings.Contains(r.stderr, "repository/1.root.json is a symbolic link") {
			t.Fatalf("verify with a symlinked 1.root.json: %v", r)
		}
	})
	t.Run("verify/timestamp", func(t *testing.T) {
		tl := publishedV1(t)
		symlinkTo(t, tl, "repository/timestamp.json")
		r := tl.in("verify")
		if r.code != 1 || !strings.Contains(r.stderr, "repository/timestamp.json is a symbolic link") {
			t.Fatalf("verify with a symlinked timestamp.json: %v", r)
		}
	})
	t.Run("verify/root.json", func(t *testing.T) {
		tl := publishedV1(t)
		symlinkTo(t, tl, "repository/root.json")
		r := tl.in("verify")
		if r.code != 1 || !strings.Contains(r.stderr, "repository/root.json is a symbolic link") {
			t.Fatalf("verify with a symlinked root.json: %v", r)
		}
	})
	t.Run("verify-chain", func(t *testing.T) {
		tl := publishedV1(t)
		symlinkTo(t, tl, "repository/1.root.json")
		r := tl.run("verify", "-chain", tl.path("repository"))
		if r.code != 1 || !strings.Contains(r.stderr, "repository/1.root.json is a symbolic link") {
			t.Fatalf("verify -chain with a symlinked 1.root.json: %v", r)
		}
	})
}

// TestReadInside covers the path checks directly.
func TestReadInside(t *testing.T) {
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(base, "d", "f.json"), []byte("{}"))
	if data, err := readInside(base, filepath.Join(base, "d", "f.json"), 10); err != nil || string(data) != "{}" {
		t.Fatalf("regular file: %q, %v", data, err)
	}
	if _, err := readInside(base, filepath.Join(base, "d", "f.json"), 1); err == nil || !strings.Contains(err.Error(), "larger than 1 bytes") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := readInside(base, filepath.Join(base, "d", "missing.json"), 10); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := readInside(base, filepath.Join(base, "..", "x"), 10); err == nil || !strings.Contains(err.Error(), "is outside") {
		t.Fatalf("path outside base: %v", err)
	}
	if _, err := readInside(base, filepath.Join(base, "d"), 10); !errors.Is(err, errNotRegular) {
		t.Fatalf("directory read as a file: %v", err)
	}
	if err := os.Symlink(filepath.Join(base, "d"), filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := readInside(base, filepath.Join(base, "link", "f.json"), 10); !errors.Is(err, errSymlink) {
		t.Fatalf("file under a symlinked directory: %v", err)
	}
	if _, err := readDirInside(base, filepath.Join(base, "link")); !errors.Is(err, errSymlink) {
		t.Fatalf("symlinked directory listed: %v", err)
	}
	// The base directory itself was chosen by the user and may be a link.
	if data, err := readInside(filepath.Join(base, "link"), filepath.Join(base, "link", "f.json"), 10); err != nil || string(data) != "{}" {
		t.Fatalf("file in a symlinked base: %q, %v", data, err)
	}
}

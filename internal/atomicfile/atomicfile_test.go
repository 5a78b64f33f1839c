package atomicfile_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/trustroot/trustroot/internal/atomicfile"
)

func TestWriteFileCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "sub", "a.json")
	if err := atomicfile.WriteFile(name, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(name, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "two" {
		t.Fatalf("content = %q, want %q", got, "two")
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", fi.Mode().Perm())
	}
	assertNoTemp(t, filepath.Dir(name))
}

// TestEveryFaultLeavesOldOrNew fails each step of a write in turn and checks
// that the file then holds exactly the old or the new content.
func TestEveryFaultLeavesOldOrNew(t *testing.T) {
	for _, crash := range []bool{false, true} {
		steps := 0
		for k := 1; ; k++ {
			dir := t.TempDir()
			name := filepath.Join(dir, "f")
			if err := os.WriteFile(name, []byte("old content"), 0o644); err != nil {
				t.Fatal(err)
			}
			ffs := &atomicfile.FaultFS{FailAt: k, Crash: crash}
			err := atomicfile.WriteFileFS(ffs, name, []byte("new content, longer"), 0o644)
			got, rerr := os.ReadFile(name)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if !ffs.Fired() {
				if err != nil {
					t.Fatalf("no fault injected but WriteFileFS failed: %v", err)
				}
				if string(got) != "new content, longer" {
					t.Fatalf("after a clean write content = %q", got)
				}
				steps = k - 1
				break
			}
			if err == nil {
				t.Fatalf("step %d (%v): fault injected but no error", k, ffs.Log())
			}
			if !errors.Is(err, atomicfile.ErrInjected) {
				t.Fatalf("step %d: error %v does not wrap ErrInjected", k, err)
			}
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("step %d: error %q does not name the file", k, err)
			}
			if s := string(got); s != "old content" && s != "new content, longer" {
				t.Fatalf("step %d: half-written content %q", k, s)
			}
			if !crash {
				// Without a crash the temporary file is cleaned up.
				assertNoTemp(t, dir)
			}
			if k > 20 {
				t.Fatal("WriteFileFS never finished without a fault")
			}
		}
		if steps < 6 {
			t.Fatalf("only %d steps counted; expected create, write, sync, close, chmod, rename, syncdir", steps)
		}
	}
}

func TestNoSpace(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	ffs := &atomicfile.FaultFS{FailAt: 1, Ops: []atomicfile.Op{atomicfile.OpWrite}, Err: syscall.ENOSPC}
	err := atomicfile.WriteFileFS(ffs, name, bytes.Repeat([]byte("x"), 4096), 0o644)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
	if !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("err = %q does not say the disk is full", err)
	}
	if _, serr := os.Stat(name); !os.IsNotExist(serr) {
		t.Fatalf("target exists after failed write: %v", serr)
	}
	assertNoTemp(t, dir)
}

func TestIsTemp(t *testing.T) {
	if !atomicfile.IsTemp("/x/" + atomicfile.TempPrefix + "a-123") {
		t.Fatal("IsTemp missed a temporary file")
	}
	if atomicfile.IsTemp("/x/1.root.json") {
		t.Fatal("IsTemp matched an ordinary file")
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if atomicfile.IsTemp(e.Name()) {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}

package repository

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/trustroot/trustroot/internal/atomicfile"
)

// recordFS records the order in which files are renamed into place.
type recordFS struct {
	atomicfile.FS
	renamed []string
}

func (r *recordFS) Rename(o, n string) error {
	r.renamed = append(r.renamed, filepath.Base(n))
	return r.FS.Rename(o, n)
}

// TestWriteDirOrder: what other files point to is in place before them,
// and timestamp.json comes last, so a client reading the directory at any
// moment of a release sees the old state or the new one.
func TestWriteDirOrder(t *testing.T) {
	dir := t.TempDir()
	files := []File{
		{"timestamp.json", []byte("ts")},
		{"root.json", []byte("r2")},
		{"2.snapshot.json", []byte("sn")},
		{"2.targets.json", []byte("tg")},
		{"2.team.json", []byte("team")},
		{"2.root.json", []byte("r2")},
		{"targets/team/ab.x", []byte("x")},
	}
	fsys := &recordFS{FS: atomicfile.OS()}
	if err := writeDir(fsys, dir, files); err != nil {
		t.Fatal(err)
	}
	want := []string{"ab.x", "2.root.json", "2.targets.json", "2.team.json", "2.snapshot.json", "root.json", "timestamp.json"}
	if !slices.Equal(fsys.renamed, want) {
		t.Fatalf("written in order %v, want %v", fsys.renamed, want)
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Name)))
		if err != nil || string(got) != string(f.Data) {
			t.Fatalf("%s: %q, %v", f.Name, got, err)
		}
	}
	for _, bad := range []string{"../x", "/etc/x", "a//b", `a\b`, ""} {
		if err := WriteDir(dir, File{Name: bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("file name %q: %v", bad, err)
		}
	}
}

package repository

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/trustroot/trustroot/internal/atomicfile"
	"github.com/trustroot/trustroot/root"
)

// RootFiles returns the files that publish r: N.root.json, which clients
// walk the chain by, and root.json, a copy of the newest version for
// clients that start from a root they fetch by name.
func RootFiles(r *root.Root) ([]File, error) {
	data, err := r.MarshalFile()
	if err != nil {
		return nil, err
	}
	return []File{
		{Name: strconv.FormatInt(r.Version(), 10) + ".root.json", Data: data},
		{Name: "root.json", Data: data},
	}, nil
}

// WriteDir writes files into the repository directory dir, each
// atomically (a temporary file, fsync, rename, fsync of the directory), in
// an order that keeps the repository valid for clients at every step:
// target files, then versioned root files, then delegated and top-level
// targets metadata, the snapshot, root.json, and timestamp.json last. An
// interrupted WriteDir leaves the repository as it was or with extra
// files no client reads yet; running it again finishes the job. File names
// must be clean relative paths.
func WriteDir(dir string, files ...File) error {
	return writeDir(atomicfile.OS(), dir, files)
}

func writeDir(fsys atomicfile.FS, dir string, files []File) error {
	for _, f := range files {
		if !fs.ValidPath(f.Name) || f.Name == "." || strings.ContainsAny(f.Name, "\\\x00") {
			return invalid("file name %q is not a clean relative path", f.Name)
		}
	}
	ordered := slices.Clone(files)
	slices.SortStableFunc(ordered, func(a, b File) int { return writeRank(a.Name) - writeRank(b.Name) })
	for _, f := range ordered {
		if err := atomicfile.WriteFileFS(fsys, filepath.Join(dir, filepath.FromSlash(f.Name)), f.Data, 0o644); err != nil {
			return fmt.Errorf("repository: writing %s: %w", f.Name, err)
		}
	}
	return nil
}

// writeRank orders the files of a release: what other files point to is
// written before them.
func writeRank(name string) int {
	base := path.Base(name)
	switch {
	case strings.HasPrefix(name, "targets/"):
		return 0
	case base == "root.json":
		return 4
	case base == "timestamp.json":
		return 5
	case strings.HasSuffix(base, ".root.json"):
		return 1
	case strings.HasSuffix(base, ".snapshot.json") || base == "snapshot.json":
		return 3
	}
	return 2 // targets metadata
}

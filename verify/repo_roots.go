package verify

import (
	"errors"
	"io/fs"
	"strconv"

	"github.com/trustroot/trustroot/root"
)

// rootFile is a root file Repository's walk has read.
type rootFile struct {
	name string
	data []byte
	err  error // reading it; one that does not exist ends the walk
	f    pendingFile
}

// rootReader reads Repository's root files ahead of the walk, with a
// pool: each file while the root before it (newest) counts its own
// threshold, with its checks against newest's root keys (prev) queued
// (walk.read). A file that does not exist makes newest the newest root
// file: the checks of the files Repository verifies next are then queued
// against its keys (speculate), also while its own threshold is counted.
type rootReader struct {
	fsys  fs.FS
	pool  *pool
	first rootFile // the first new version, read while the walk starts
	spec  *speculation
}

func (rr *rootReader) read(w *walk, newest *root.Root, prev *requirement, c *pairCache) rootFile {
	rf := readRootFile(rr.fsys, w, newest.Version()+1, prev, c)
	if errors.Is(rf.err, fs.ErrNotExist) {
		rr.spec = speculate(rr.fsys, newest, rr.pool, w.opts.Limits)
	}
	return rf
}

// readRootFile reads version's root file from fsys for w: its envelope,
// with its checks against prev queued when w has a pool.
func readRootFile(fsys fs.FS, w *walk, version int64, prev *requirement, c *pairCache) rootFile {
	rf := rootFile{name: strconv.FormatInt(version, 10) + ".root.json"}
	rf.data, rf.err = readBounded(fsys, rf.name, int64(w.opts.Limits.root()))
	if rf.err == nil {
		rf.f = w.read(rf.data, c, prev)
	}
	return rf
}

// updateRoots is Repository's root walk: N+1.root.json, N+2.root.json, ...
// read from fsys until one is missing, each verified as UpdateRoot
// verifies it. With rr (Options.Workers above one), files are read ahead
// (see rootReader); a file read ahead is reported on only when its turn
// comes, so the error is the one the file-by-file walk returns.
func (r *Repo) updateRoots(fsys fs.FS, rr *rootReader) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.walk
	var p *pool
	ci := 0 // the index in w.caches of cur's pair cache
	var cur rootFile
	if rr != nil {
		p = rr.pool
		cur, ci = rr.first, 1
	} else {
		cur = readRootFile(fsys, w, w.cur.Version()+1, &w.own, &w.caches[0])
	}
	w.setPool(p)
	defer w.setPool(nil)
	for {
		if errors.Is(cur.err, fs.ErrNotExist) {
			return nil
		}
		if cur.err != nil {
			return located(root.RoleRoot, 0, cur.name, cur.err)
		}
		ci = 1 - ci
		var ahead rootFile
		readAhead := false
		err := w.step(cur.f, func() string { return cur.name }, func(next *root.Root, own *requirement) {
			if rr != nil {
				// The file after cur, checked against cur's keys.
				ahead, readAhead = rr.read(w, next, own, &w.caches[ci]), true
			}
		})
		if err != nil {
			return err
		}
		r.rootData = cur.data // read here: nobody else holds it
		if !readAhead {
			ahead = readRootFile(fsys, w, w.cur.Version()+1, &w.own, &w.caches[ci])
		}
		cur = ahead
	}
}

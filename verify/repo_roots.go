package verify

import (
	"errors"
	"io/fs"
	"strconv"

	"github.com/trustroot/trustroot/root"
)

// updateRoots is Repository's root walk: N+1.root.json, N+2.root.json, ...
// read from fsys until one is missing, each verified as UpdateRoot
// verifies it. With a pool (Options.Workers above one), each file is read,
// and its checks against the root before it queued, while that root's own
// threshold is counted; a file read ahead that way is reported on only
// when its turn comes, so the error is the one the file-by-file walk
// returns.
func (r *Repo) updateRoots(fsys fs.FS, p *pool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.walk
	w.setPool(p)
	defer w.setPool(nil)
	type rootFile struct {
		name string
		data []byte
		err  error // reading it; one that does not exist ends the walk
		f    pendingFile
	}
	read := func(version int64, c *pairCache, prev *requirement) rootFile {
		rf := rootFile{name: strconv.FormatInt(version, 10) + ".root.json"}
		rf.data, rf.err = readBounded(fsys, rf.name, int64(r.opts.Limits.root()))
		if rf.err == nil {
			rf.f = w.read(rf.data, c, prev)
		}
		return rf
	}
	cur := read(w.cur.Version()+1, &w.caches[0], &w.own)
	for i := 0; ; i++ {
		if errors.Is(cur.err, fs.ErrNotExist) {
			return nil
		}
		if cur.err != nil {
			return located(root.RoleRoot, 0, cur.name, cur.err)
		}
		var ahead rootFile
		readAhead := false
		err := w.step(cur.f, func() string { return cur.name }, func(own *requirement) {
			if p != nil {
				// The file after cur, checked against cur's keys.
				ahead, readAhead = read(w.cur.Version()+2, &w.caches[(i+1)%2], own), true
			}
		})
		if err != nil {
			return err
		}
		r.rootData = cur.data // read here: nobody else holds it
		if !readAhead {
			ahead = read(w.cur.Version()+1, &w.caches[(i+1)%2], &w.own)
		}
		cur = ahead
	}
}

package verify

import (
	"bytes"
	"io/fs"

	"github.com/trustroot/trustroot/internal/link"
	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
)

// A speculation is Repository's guess, made with a pool while the root
// walk still counts the newest root file's own threshold, at the
// signature checks the sequential code will make next: those of
// timestamp.json, of the snapshot file that timestamp names and of the
// top-level targets file that snapshot names, against the keys the newest
// root file lists. None of it is trusted: the files are read again and
// verified by UpdateTimestamp, UpdateSnapshot and UpdateTargets, which
// decide alone which checks count, in which order, and which error wins.
// A speculative check only saves them computing a check themselves, and
// only for the same public key content and scheme, the same payload bytes
// and the same signature bytes (pairCache.speculated): its outcome is the
// one they would compute. A wrong guess (another root, another file, a
// rollback, an error) only leaves checks nobody asks for, which the pool
// drops when Repository returns.
type speculation struct {
	files [3]pairCache // in the order read: timestamp, snapshot, targets
	n     int
}

// maxSpeculated bounds the files a speculation reads: reading one ahead
// means reading and parsing it twice, which for a large file costs more
// than the check it may save. Parsing takes about 2 µs per KiB where an
// ECDSA P-256 check takes 60 µs (measured together on the machine of the
// README's Speed section): at 16 KiB, about half a check.
const maxSpeculated = 16 << 10

// speculate reads timestamp.json, the snapshot and the top-level targets
// from fsys, naming each from the previous one's contents, as Repository
// will once rt (the newest root file, not yet trusted) is trusted, and
// queues on p the checks of each against rt's keys for its role. It stops
// at the first file it cannot read or parse.
func speculate(fsys fs.FS, rt *root.Root, p *pool, limits Limits) (s *speculation) {
	s = &speculation{}
	defer func() {
		// Whatever went wrong reading unverified files ahead of time
		// must not change the refresh: the sequential code meets
		// the same file, if at all, only once it verifies.
		_ = recover()
	}()
	read := func(role root.Role, typ, file string, max int) *tufmeta.Envelope {
		data, err := readBounded(fsys, file, int64(min(max, maxSpeculated)))
		if err != nil {
			return nil
		}
		env, err := tufmeta.ParseEnvelope(data, typ, max)
		if err != nil {
			return nil
		}
		req := topLevel(rt, role)
		c := &s.files[s.n]
		s.n++
		c.pool = p
		c.prefetch(&req, env.Signed, envelopeSigs(env.Signatures))
		return env
	}
	env := read(root.RoleTimestamp, tufmeta.TypeTimestamp, "timestamp.json", limits.timestamp())
	if env == nil {
		return s
	}
	ts, err := link.Timestamp(env)
	if err != nil {
		return s
	}
	meta := ts.(*repository.Timestamp).Snapshot()
	env = read(root.RoleSnapshot, tufmeta.TypeSnapshot, metaFileIn(rt, root.RoleSnapshot, meta.Version), limits.snapshot())
	if env == nil {
		return s
	}
	sn, err := link.Snapshot(env)
	if err != nil {
		return s
	}
	meta, ok := sn.(*repository.Snapshot).Meta(string(root.RoleTargets) + ".json")
	if !ok {
		return s
	}
	read(root.RoleTargets, tufmeta.TypeTargets, metaFileIn(rt, root.RoleTargets, meta.Version), limits.targets())
	return s
}

// forPayload returns the file's checks whose payload is payload, or nil
// (also for a nil speculation).
func (s *speculation) forPayload(payload []byte) *pairCache {
	if s == nil {
		return nil
	}
	for i := range s.files[:s.n] {
		if c := &s.files[i]; c.digests != nil && bytes.Equal(c.digests.Message(), payload) {
			return c
		}
	}
	return nil
}

package verify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trustroot/trustroot/internal/link"
	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
)

// State is what a client keeps between updates: the newest trusted root
// and the trusted timestamp and snapshot files. It is what makes rollback
// protection survive a restart, and what fast-forward recovery needs. A
// client that writes its trusted files to disk (root.json, timestamp.json,
// snapshot.json) can rebuild a State from them. It marshals to JSON.
type State struct {
	Root      []byte `json:"root,omitempty"`
	Timestamp []byte `json:"timestamp,omitempty"`
	Snapshot  []byte `json:"snapshot,omitempty"`
}

// Loader reads a metadata file a target search needs (a delegated role's,
// named as a consistent-snapshot repository names it), at most max bytes.
// A file that does not exist is an error matching fs.ErrNotExist.
type Loader func(file string, max int64) ([]byte, error)

// FSLoader returns a Loader that reads files from fsys.
func FSLoader(fsys fs.FS) Loader {
	return func(file string, max int64) ([]byte, error) { return readBounded(fsys, file, max) }
}

// readMeta reads a file that trusted metadata lists, at most max bytes
// (the listed length when there is one): a longer file is a length
// mismatch.
func readMeta(fsys fs.FS, file string, meta repository.MetaFile, max int64) ([]byte, error) {
	data, err := readBounded(fsys, file, max)
	if errors.Is(err, ErrTooLarge) && meta.Length > 0 && max == meta.Length {
		return nil, errf(repository.ErrLengthMismatch, "verify: length mismatch: more than the %d bytes listed", meta.Length)
	}
	return data, err
}

// Repo is a client's trusted view of one repository, built by one update
// in the order the specification gives (section 5): the root chain
// (UpdateRoot, once per new version), the timestamp, the snapshot it
// names, the top-level targets, and delegated targets as target searches
// need them. Each Update method verifies one file against what is already
// trusted and fails without changing anything if it does not verify.
// [Repository] drives a Repo over an fs.FS; package verify/client drives
// one over HTTP with a cache.
//
// A Repo is safe for concurrent use.
type Repo struct {
	mu   sync.Mutex
	opts Options
	now  time.Time

	walk     *walk
	rootData []byte // the newest trusted root's file
	rootDone bool
	chain    *ChainResult

	prev        *State // the previous state, until the root walk ends
	floorTS     *repository.Timestamp
	floorTSData []byte // floorTS's file
	floorSnap   *repository.Snapshot
	floorData   []byte // floorSnap's file

	// spec holds the checks Repository queued ahead of need with a pool;
	// nil otherwise, and once Repository returns.
	spec *speculation

	timestamp   *repository.Timestamp
	tsData      []byte
	tsUnchanged bool
	snapshot    *repository.Snapshot
	snapData    []byte
	targets     map[string]*repository.Targets     // by delegation path (targetsKey); top-level under "targets"
	delegs      map[string][]repository.Delegation // the delegations of targets[key], resolved once
}

// Bounds on the work of target searches: how many delegation patterns one
// search, and one listing, may match a name against, and how many names a
// listing resolves. A role's owner may list many delegations and many
// names; these keep a search to a fraction of a second and a listing to a
// few seconds whatever they list.
const (
	maxSearchMatches = 1 << 21
	maxListMatches   = 1 << 23
	maxListNames     = 1 << 17
)

// NewRepo starts an update from trusted, the root the caller ships, and
// prev, the state a previous update ended with (nil for none). It starts
// the root walk at the newer of trusted and prev's root: a restart with a
// saved state is protected against rollback exactly like a client that
// kept running. prev's root must meet its own threshold; at the same
// version as trusted it must be the same root.
func NewRepo(trusted *root.Root, prev *State, opts Options) (*Repo, error) {
	return newRepo(trusted, prev, opts, nil, nil)
}

// newRepo is NewRepo checking the starting root's signatures on p (nil:
// in the calling goroutine), calling ahead as newWalkFor does.
func newRepo(trusted *root.Root, prev *State, opts Options, p *pool, ahead func(w *walk)) (*Repo, error) {
	if trusted == nil {
		return nil, fmt.Errorf("verify: %w: nil trusted root", root.ErrMalformed)
	}
	start := trusted
	if prev != nil && len(prev.Root) > 0 {
		saved, err := parseRoot(prev.Root, opts.Limits.root())
		if err != nil {
			return nil, &MetadataError{Role: root.RoleRoot, File: "the saved state's root", Err: err}
		}
		switch {
		case saved.Version() > trusted.Version():
			start = saved
		case saved.Version() == trusted.Version() && !bytes.Equal(saved.SigningPayload(), trusted.SigningPayload()):
			return nil, &MetadataError{Role: root.RoleRoot, File: "the saved state's root",
				Err: fmt.Errorf("%w: root v%d differs from the trusted root of the same version", root.ErrMalformed, saved.Version())}
		}
	}
	w, err := newWalkFor(start, opts, 0, p, ahead)
	if err != nil {
		return nil, err
	}
	w.setPool(nil)
	data, err := start.MarshalFile()
	if err != nil {
		return nil, err
	}
	return &Repo{opts: opts, now: w.now, walk: w, rootData: data, prev: prev, targets: map[string]*repository.Targets{}, delegs: map[string][]repository.Delegation{}}, nil
}

// parseRoot reads a root file bounded by max, as root.Parse does.
func parseRoot(data []byte, max int) (*root.Root, error) {
	env, err := tufmeta.ParseEnvelope(data, tufmeta.TypeRoot, max)
	if err != nil {
		return nil, err
	}
	r, err := link.Root(env)
	if err != nil {
		return nil, err
	}
	return r.(*root.Root), nil
}

// NextRootFile names the root file the update needs next: N+1.root.json.
func (r *Repo) NextRootFile() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strconv.FormatInt(r.walk.cur.Version()+1, 10) + ".root.json"
}

// UpdateRoot verifies data as the next root version (section 5.3): signed
// by a threshold of the current root's root keys, exactly one version
// more, signed by a threshold of its own. Call it for N+1.root.json,
// N+2.root.json, ... until the repository has no next version, then go on
// with UpdateTimestamp.
func (r *Repo) UpdateRoot(data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rootDone {
		return errors.New("verify: UpdateRoot after the root walk ended (UpdateTimestamp ends it)")
	}
	name := strconv.FormatInt(r.walk.cur.Version()+1, 10) + ".root.json"
	if err := r.walk.file(data, name); err != nil {
		return err
	}
	r.rootData = bytes.Clone(data)
	return nil
}

// endRoots ends the root walk: the newest root must not have expired
// (5.3.10), and the previous state's timestamp and snapshot stay rollback
// floors only if they still verify under the newest root's keys (5.3.11,
// fast-forward recovery).
func (r *Repo) endRoots() error {
	if r.rootDone {
		return nil
	}
	res, err := r.walk.finish()
	if err != nil {
		return err
	}
	r.chain = res
	r.rootDone = true
	rt := res.Root
	if p := r.prev; p != nil {
		if len(p.Timestamp) > 0 {
			if env, err := r.trustedEnvelope(rt, root.RoleTimestamp, tufmeta.TypeTimestamp, p.Timestamp, r.opts.Limits.timestamp()); err == nil {
				if x, err := link.Timestamp(env); err == nil {
					r.floorTS, r.floorTSData = x.(*repository.Timestamp), p.Timestamp
				}
			}
		}
		if len(p.Snapshot) > 0 {
			if env, err := r.trustedEnvelope(rt, root.RoleSnapshot, tufmeta.TypeSnapshot, p.Snapshot, r.opts.Limits.snapshot()); err == nil {
				if x, err := link.Snapshot(env); err == nil {
					r.floorSnap = x.(*repository.Snapshot)
					r.floorData = p.Snapshot
				}
			}
		}
	}
	r.prev = nil
	return nil
}

// topLevel returns the requirement of a top-level role of rt.
func topLevel(rt *root.Root, role root.Role) requirement {
	rk, _ := rt.Role(role)
	return requirement{name: fmt.Sprintf("%s role of root v%d", role, rt.Version()), version: rt.Version(), keys: verifiers(rk.Keys), threshold: rk.Threshold}
}

// trustedEnvelope reads data as metadata of a top-level role and checks
// its threshold under rt.
func (r *Repo) trustedEnvelope(rt *root.Root, role root.Role, typ string, data []byte, max int) (*tufmeta.Envelope, error) {
	env, err := tufmeta.ParseEnvelope(data, typ, max)
	if err != nil {
		return nil, err
	}
	if err := checkThreshold(role, env.Version, topLevel(rt, role), env.Signed, envelopeSigs(env.Signatures), r.spec); err != nil {
		return nil, err
	}
	return env, nil
}

// UpdateTimestamp ends the root walk (the newest root must not have
// expired) and verifies data as timestamp.json (section 5.4): signed by a
// threshold of the root's timestamp keys, not older than the trusted
// timestamp nor naming an older snapshot, and not expired. A timestamp of
// the same version as the trusted one is discarded, even if its content
// differs, and the trusted one stays (5.4.3.1): the update goes on with
// the trusted snapshot, which must then not have expired either.
func (r *Repo) UpdateTimestamp(data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	const file = "timestamp.json"
	if err := r.endRoots(); err != nil {
		return err
	}
	if r.snapshot != nil {
		return errors.New("verify: UpdateTimestamp after the snapshot was trusted: start a new update")
	}
	env, err := r.trustedEnvelope(r.chain.Root, root.RoleTimestamp, tufmeta.TypeTimestamp, data, r.opts.Limits.timestamp())
	if err != nil {
		return located(root.RoleTimestamp, 0, file, err)
	}
	x, err := link.Timestamp(env)
	if err != nil {
		return located(root.RoleTimestamp, env.Version, file, err)
	}
	ts := x.(*repository.Timestamp)
	floor, floorData := r.floorTS, r.floorTSData
	if r.timestamp != nil {
		// A second timestamp in one update is checked against the
		// first.
		floor, floorData = r.timestamp, r.tsData
	}
	if floor != nil {
		switch {
		case ts.Version() < floor.Version():
			return located(root.RoleTimestamp, ts.Version(), file, &VersionError{Role: root.RoleTimestamp, Got: ts.Version(), Want: floor.Version(), Rollback: true, Detail: "older than the trusted timestamp"})
		case ts.Version() == floor.Version():
			if !r.now.Before(floor.Expires()) {
				return &ExpiredError{Role: root.RoleTimestamp, Version: floor.Version(), Expires: floor.Expires(), Now: r.now}
			}
			r.timestamp, r.tsData, r.tsUnchanged = floor, floorData, true
			return nil
		case ts.Snapshot().Version < floor.Snapshot().Version:
			return located(root.RoleTimestamp, ts.Version(), file, &VersionError{Role: root.RoleSnapshot, Got: ts.Snapshot().Version, Want: floor.Snapshot().Version, Rollback: true,
				Detail: "the timestamp names a snapshot older than the trusted timestamp did"})
		}
	}
	if !r.now.Before(ts.Expires()) {
		return &ExpiredError{Role: root.RoleTimestamp, Version: ts.Version(), Expires: ts.Expires(), Now: r.now}
	}
	r.timestamp, r.tsData, r.tsUnchanged = ts, bytes.Clone(data), false
	return nil
}

// SnapshotFile names the snapshot file the trusted timestamp points to
// (VERSION.snapshot.json with consistent snapshots), what it says of it,
// and whether the trusted snapshot from the previous state already is that
// file, so the caller need not fetch it again.
func (r *Repo) SnapshotFile() (file string, meta repository.MetaFile, trusted bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timestamp == nil {
		return "", repository.MetaFile{}, false, errors.New("verify: SnapshotFile before UpdateTimestamp")
	}
	meta = r.timestamp.Snapshot()
	file = r.metaFileName(root.RoleSnapshot, meta.Version)
	return file, meta, r.floorMatches(meta), nil
}

func (r *Repo) floorMatches(meta repository.MetaFile) bool {
	if r.floorSnap == nil || r.floorSnap.Version() != meta.Version {
		return false
	}
	if meta.Length > 0 || len(meta.Hashes) > 0 {
		return repository.CheckContent("snapshot", bytes.NewReader(r.floorData), metaLength(meta), meta.Hashes) == nil
	}
	return true
}

// metaLength is the length to check for a meta entry: -1 when none is
// listed.
func metaLength(m repository.MetaFile) int64 {
	if m.Length > 0 {
		return m.Length
	}
	return -1
}

// metaFileName names a role's metadata file in the repository.
func (r *Repo) metaFileName(role root.Role, version int64) string {
	return metaFileIn(r.chain.Root, role, version)
}

// metaFileIn names a role's metadata file in a repository whose root is rt.
func metaFileIn(rt *root.Root, role root.Role, version int64) string {
	if rt.ConsistentSnapshot() {
		return repository.MetadataFileName(role, version)
	}
	return repository.EscapeRoleName(role) + ".json"
}

// UpdateSnapshot verifies data as the snapshot the trusted timestamp
// names (section 5.5): its length and hashes when the timestamp lists
// them, a threshold of the root's snapshot keys, the version the
// timestamp names, no targets file older than, or missing from, the
// trusted snapshot, and not expired.
func (r *Repo) UpdateSnapshot(data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timestamp == nil {
		return errors.New("verify: UpdateSnapshot before UpdateTimestamp")
	}
	if len(r.targets) > 0 {
		return errors.New("verify: UpdateSnapshot after targets were trusted: start a new update")
	}
	meta := r.timestamp.Snapshot()
	file := r.metaFileName(root.RoleSnapshot, meta.Version)
	if err := checkMeta(file, data, meta, r.opts.Limits.snapshot()); err != nil {
		return located(root.RoleSnapshot, meta.Version, file, err)
	}
	env, err := r.trustedEnvelope(r.chain.Root, root.RoleSnapshot, tufmeta.TypeSnapshot, data, r.opts.Limits.snapshot())
	if err != nil {
		return located(root.RoleSnapshot, meta.Version, file, err)
	}
	x, err := link.Snapshot(env)
	if err != nil {
		return located(root.RoleSnapshot, env.Version, file, err)
	}
	sn := x.(*repository.Snapshot)
	if sn.Version() != meta.Version {
		return located(root.RoleSnapshot, sn.Version(), file, &VersionError{Role: root.RoleSnapshot, Got: sn.Version(), Want: meta.Version, Rollback: sn.Version() < meta.Version, Detail: "the timestamp names another version"})
	}
	floor := r.floorSnap
	if r.snapshot != nil {
		// A second snapshot in one update is checked against the first.
		floor = r.snapshot
	}
	if floor != nil {
		for _, name := range floor.Files() {
			old, _ := floor.Meta(name)
			m, ok := sn.Meta(name)
			if !ok {
				return located(root.RoleSnapshot, sn.Version(), file, errf(ErrRollback, "verify: %s, listed by the trusted snapshot, is gone", name))
			}
			if m.Version < old.Version {
				return located(root.RoleSnapshot, sn.Version(), file, &VersionError{Role: root.Role(name), Got: m.Version, Want: old.Version, Rollback: true, Detail: "the snapshot lists a version older than the trusted snapshot did"})
			}
		}
	}
	if !r.now.Before(sn.Expires()) {
		return &ExpiredError{Role: root.RoleSnapshot, Version: sn.Version(), Expires: sn.Expires(), Now: r.now}
	}
	r.snapshot, r.snapData = sn, bytes.Clone(data)
	return nil
}

// trustedSnapshot returns the snapshot the update trusts: the one
// UpdateSnapshot verified, or the previous state's when the timestamp
// names it (which must not have expired).
func (r *Repo) trustedSnapshot() (*repository.Snapshot, error) {
	if r.snapshot != nil {
		return r.snapshot, nil
	}
	if r.timestamp != nil && r.floorMatches(r.timestamp.Snapshot()) {
		if !r.now.Before(r.floorSnap.Expires()) {
			return nil, &ExpiredError{Role: root.RoleSnapshot, Version: r.floorSnap.Version(), Expires: r.floorSnap.Expires(), Now: r.now}
		}
		r.snapshot, r.snapData = r.floorSnap, r.floorData
		return r.snapshot, nil
	}
	return nil, errors.New("verify: no trusted snapshot yet (UpdateSnapshot)")
}

// TargetsFile names the metadata file of a targets role (top-level or
// delegated) as the trusted snapshot lists it, and what it says of it. A
// role the snapshot does not list fails with ErrMissing.
func (r *Repo) TargetsFile(role root.Role) (string, repository.MetaFile, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.targetsFile(role)
}

func (r *Repo) targetsFile(role root.Role) (string, repository.MetaFile, error) {
	sn, err := r.trustedSnapshot()
	if err != nil {
		return "", repository.MetaFile{}, err
	}
	meta, ok := sn.Meta(string(role) + ".json")
	if !ok {
		return "", repository.MetaFile{}, located(role, 0, "", errf(ErrMissing, "verify: snapshot v%d does not list %s.json", sn.Version(), role))
	}
	return r.metaFileName(role, meta.Version), meta, nil
}

// UpdateTargets verifies data as the top-level targets metadata (section
// 5.6): its length and hashes when the snapshot lists them, a threshold of
// the root's targets keys, the version the snapshot names, and not
// expired.
func (r *Repo) UpdateTargets(data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := r.updateTargets("", root.RoleTargets, data)
	return err
}

// UpdateDelegated verifies data as the metadata of role, which the
// already trusted targets metadata of delegator delegates to (section
// 5.6.7): as UpdateTargets, against the keys and threshold of the
// delegation. Target searches call it as they need roles; a caller may
// call it ahead of them.
func (r *Repo) UpdateDelegated(delegator, role root.Role, data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if role.IsTopLevel() {
		return fmt.Errorf("verify: %w: a delegation to the top-level role %q", root.ErrMalformed, role)
	}
	parent := r.keyOf(delegator)
	if parent == "" {
		return fmt.Errorf("verify: %s is not trusted yet, so %s cannot be verified", delegator, role)
	}
	_, err := r.updateTargets(parent, role, data)
	return err
}

// The trusted targets metadata is kept by the path of delegations that
// led to it: a role that two roles delegate to is verified, and trusted,
// separately under each.
func targetsKey(parent string, role root.Role) string {
	if parent == "" {
		return string(role)
	}
	// Quoted, so no role name can stand for a path of two.
	return parent + "/" + strconv.Quote(string(role))
}

// keyOf returns the key of a trusted role's metadata: the top-level
// targets, else the first (in key order) delegation path that ends at
// role.
func (r *Repo) keyOf(role root.Role) string {
	if role == root.RoleTargets {
		if _, ok := r.targets[string(root.RoleTargets)]; ok {
			return string(root.RoleTargets)
		}
		return ""
	}
	keys := make([]string, 0, len(r.targets))
	for k, t := range r.targets {
		if t.Role() == role {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// updateTargets verifies role's metadata: the top-level targets when
// parent is "", else a role the metadata under parent delegates to.
func (r *Repo) updateTargets(parent string, role root.Role, data []byte) (*repository.Targets, error) {
	if _, done := r.targets[targetsKey(parent, role)]; done {
		return nil, fmt.Errorf("verify: %s is already trusted in this update: start a new update", role)
	}
	file, meta, err := r.targetsFile(role)
	if err != nil {
		return nil, err
	}
	if err := checkMeta(file, data, meta, r.opts.Limits.targets()); err != nil {
		return nil, located(role, meta.Version, file, err)
	}
	var t *repository.Targets
	if parent == "" {
		req := topLevel(r.chain.Root, root.RoleTargets)
		t, err = verifyTargets(role, req, data, r.opts.Limits.targets(), r.now, nil, r.spec)
	} else {
		delegator, ok := r.targets[parent]
		if !ok {
			return nil, fmt.Errorf("verify: the metadata delegating to %s is not trusted yet", role)
		}
		d, found := delegation(delegator, role)
		if !found {
			return nil, located(role, 0, file, fmt.Errorf("%w: %s does not delegate to %q", root.ErrMalformed, delegator.Role(), role))
		}
		t, err = verifyDelegated(delegator.Role(), d, data, r.opts.Limits.targets(), r.now)
	}
	if err != nil {
		var me *MetadataError
		if errors.As(err, &me) && me.File == "" {
			me.File = file
		}
		return nil, err
	}
	if t.Version() != meta.Version {
		return nil, located(role, t.Version(), file, &VersionError{Role: role, Got: t.Version(), Want: meta.Version, Rollback: t.Version() < meta.Version, Detail: "the snapshot names another version"})
	}
	r.targets[targetsKey(parent, role)] = t
	return t, nil
}

// checkMeta checks a file against what referencing metadata lists: at
// most max bytes, and its length and hashes when listed.
func checkMeta(file string, data []byte, meta repository.MetaFile, max int) error {
	if len(data) > max {
		return errf(ErrTooLarge, "verify: %d bytes, more than %d", len(data), max)
	}
	if meta.Length > 0 || len(meta.Hashes) > 0 {
		return repository.CheckContent("", bytes.NewReader(data), metaLength(meta), meta.Hashes)
	}
	return nil
}

// MaxSize returns how many bytes of file an update reads at most: the
// length trusted metadata lists for it when there is one, else the limit
// for its role (root, timestamp, snapshot or targets, by the name's
// suffix).
func (r *Repo) MaxSize(file string, meta repository.MetaFile) int64 {
	l := r.opts.Limits
	var max int
	switch {
	case file == "timestamp.json":
		max = l.timestamp()
	case file == "root.json" || versioned(file, "root"):
		max = l.root()
	case file == "snapshot.json" || versioned(file, "snapshot"):
		max = l.snapshot()
	default:
		max = l.targets()
	}
	if meta.Length > 0 && meta.Length < int64(max) {
		return meta.Length
	}
	return int64(max)
}

// versioned reports whether file is VERSION.ROLE.json for the top-level
// role.
func versioned(file, role string) bool {
	v, ok := strings.CutSuffix(file, "."+role+".json")
	if !ok || v == "" {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Root returns the newest trusted root; nil before the root walk ended.
func (r *Repo) Root() *root.Root {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.chain == nil {
		return nil
	}
	return r.chain.Root
}

// Chain returns the root chain's result; nil before the root walk ended.
func (r *Repo) Chain() *ChainResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.chain
}

// Timestamp returns the trusted timestamp, or nil.
func (r *Repo) Timestamp() *repository.Timestamp {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.timestamp
}

// TimestampUnchanged reports that the last UpdateTimestamp kept the
// trusted timestamp, because the repository's is the same version.
func (r *Repo) TimestampUnchanged() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tsUnchanged
}

// Snapshot returns the trusted snapshot, or nil.
func (r *Repo) Snapshot() *repository.Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	sn, _ := r.trustedSnapshot()
	return sn
}

// Metadata returns the verified metadata of a targets role: the top-level
// targets, or a delegated role a search has already loaded.
func (r *Repo) Metadata(role root.Role) (*repository.Targets, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.targets[r.keyOf(role)]
	return t, ok
}

// State returns what to keep for the next update: the newest trusted root
// and the trusted timestamp and snapshot files. After a failed step it
// still holds the previous state's timestamp and snapshot that the newest
// root keeps trusting, so saving it after a failure (to keep a new root,
// as the specification asks) loses no rollback protection.
func (r *Repo) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := State{Root: bytes.Clone(r.rootData)}
	switch {
	case r.prev != nil:
		// The root walk has not ended: the previous state's files stand.
		st.Timestamp, st.Snapshot = bytes.Clone(r.prev.Timestamp), bytes.Clone(r.prev.Snapshot)
	default:
		// What this update trusts, else what the previous state held and
		// still verifies under the newest root: a failed update must not
		// lose a rollback floor.
		st.Timestamp = bytes.Clone(cmpOr(r.tsData, r.floorTSData))
		st.Snapshot = bytes.Clone(cmpOr(r.snapData, r.floorData))
	}
	return st
}

// Target finds a target by searching the top-level targets metadata and
// then its delegations in the specification's pre-order depth-first order
// (section 5.6.7): delegations are tried in the order listed, only roles
// whose paths match the target are visited, a matching terminating role
// ends the search when it does not list the target, each role is visited
// once, and at most Options.MaxDelegations roles are visited. load reads
// the delegated roles' metadata the search needs and the update has not
// verified yet; each is verified once. It fails with ErrTargetNotFound
// when no visited role lists the target.
func (r *Repo) Target(name string, load Loader) (repository.Target, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	budget := maxSearchMatches
	return r.search(name, load, &budget)
}

// delegationsOf returns the delegations of the trusted metadata under key.
func (r *Repo) delegationsOf(key string, tm *repository.Targets) []repository.Delegation {
	d, ok := r.delegs[key]
	if !ok {
		d = tm.Delegations()
		r.delegs[key] = d
	}
	return d
}

// search looks name up; budget bounds the delegation patterns it matches.
func (r *Repo) search(name string, load Loader, budget *int) (repository.Target, error) {
	top, ok := r.targets[string(root.RoleTargets)]
	if !ok {
		return repository.Target{}, errors.New("verify: no trusted targets yet (UpdateTargets)")
	}
	type item struct {
		role   root.Role
		parent string // key of the delegating metadata; "" for the top level
	}
	max := r.opts.maxDelegations()
	stack := []item{{role: root.RoleTargets}}
	visited := map[root.Role]bool{}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited[it.role] {
			continue
		}
		if len(visited) > max {
			return repository.Target{}, errf(ErrTooLarge, "verify: target %q: more than %d delegated roles visited", name, max)
		}
		visited[it.role] = true
		tm, key := top, string(root.RoleTargets)
		if it.parent != "" {
			var err error
			key = targetsKey(it.parent, it.role)
			if tm, err = r.delegated(it.parent, it.role, load); err != nil {
				return repository.Target{}, err
			}
		}
		if t, ok := tm.Target(name); ok {
			return t, nil
		}
		if tm.Succinct() {
			return repository.Target{}, located(tm.Role(), tm.Version(), "", fmt.Errorf("%w: succinct (hash-bin) delegations are not supported", root.ErrMalformed))
		}
		var children []item
		for _, d := range r.delegationsOf(key, tm) {
			if *budget--; *budget < 0 {
				return repository.Target{}, errf(ErrTooLarge, "verify: target %q: its search matched more delegation patterns than the bound", name)
			}
			if !d.Matches(name) {
				continue
			}
			children = append(children, item{role: d.Name, parent: key})
			if d.Terminating {
				stack = stack[:0]
				break
			}
		}
		for i := len(children) - 1; i >= 0; i-- {
			stack = append(stack, children[i])
		}
	}
	return repository.Target{}, errf(ErrTargetNotFound, "verify: target %q not found", name)
}

// delegated returns the verified metadata of role as the metadata under
// parent delegates it, loading and verifying it on first use.
func (r *Repo) delegated(parent string, role root.Role, load Loader) (*repository.Targets, error) {
	if t, ok := r.targets[targetsKey(parent, role)]; ok {
		return t, nil
	}
	if load == nil {
		return nil, fmt.Errorf("verify: %s is needed and no loader was given", role)
	}
	file, meta, err := r.targetsFile(role)
	if err != nil {
		return nil, err
	}
	max := r.MaxSize(file, meta)
	data, err := load(file, max)
	if errors.Is(err, ErrTooLarge) && meta.Length > 0 && max == meta.Length {
		err = errf(repository.ErrLengthMismatch, "verify: length mismatch: more than the %d bytes listed", meta.Length)
	}
	if err != nil {
		return nil, located(role, meta.Version, file, err)
	}
	return r.updateTargets(parent, role, data)
}

// ListTargets returns every target a search would find, delegated ones
// included, sorted by name: each name any reachable role lists (at most
// Options.MaxDelegations roles are read), resolved by [Repo.Target]'s
// search so a name is attributed to the role a client would trust for it.
// A listing of more than 131072 names, or whose searches would match
// names against more than 2^23 delegation patterns, fails with
// ErrTooLarge.
func (r *Repo) ListTargets(load Loader) ([]repository.Target, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	top, ok := r.targets[string(root.RoleTargets)]
	if !ok {
		return nil, errors.New("verify: no trusted targets yet (UpdateTargets)")
	}
	names := map[string]bool{}
	type item struct {
		t   *repository.Targets
		key string
	}
	queue := []item{{top, string(root.RoleTargets)}}
	seen := map[root.Role]bool{root.RoleTargets: true}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, tg := range it.t.Targets() {
			names[tg.Name] = true
		}
		if len(names) > maxListNames {
			return nil, errf(ErrTooLarge, "verify: more than %d targets to list", maxListNames)
		}
		for _, d := range r.delegationsOf(it.key, it.t) {
			if seen[d.Name] {
				continue
			}
			if len(seen) > r.opts.maxDelegations() {
				return nil, errf(ErrTooLarge, "verify: more than %d delegated roles", r.opts.maxDelegations())
			}
			seen[d.Name] = true
			child, err := r.delegated(it.key, d.Name, load)
			if err != nil {
				return nil, err
			}
			queue = append(queue, item{child, targetsKey(it.key, d.Name)})
		}
	}
	out := make([]repository.Target, 0, len(names))
	budget := maxListMatches
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range names {
			if !yield(n) {
				return
			}
		}
	}) {
		t, err := r.search(name, load, &budget)
		if errors.Is(err, ErrTargetNotFound) {
			continue // listed by a role not trusted for it
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Repository verifies a TUF repository held in fsys, as a client update
// would (specification section 5) but reading files from fsys: from the
// trusted root (or prev's newer root) it walks N+1.root.json,
// N+2.root.json, ... while they exist, then verifies timestamp.json, the
// snapshot it names and the top-level targets metadata the snapshot names,
// with expiry at the reference time and rollback protection against prev
// (nil for a first update). With consistent snapshots, snapshot and
// targets files are read as VERSION.snapshot.json and VERSION.ROLE.json.
// Files are read only from fsys, each bounded in size. Look targets up with
// Target(name, FSLoader(fsys)).
func Repository(trusted *root.Root, fsys fs.FS, prev *State, opts Options) (*Repo, error) {
	if fsys == nil {
		return nil, fmt.Errorf("verify: %w: nil file system", root.ErrMalformed)
	}
	var p *pool
	var rr *rootReader
	var first func(w *walk)
	if opts.Workers > 1 {
		p = newPool(opts.Workers)
		defer p.close()
		// The first new root file is read, and its checks queued,
		// while the starting root's own threshold is counted.
		rr = &rootReader{fsys: fsys, pool: p}
		first = func(w *walk) { rr.first = rr.read(w, w.cur, &w.own, &w.caches[1]) }
	}
	r, err := newRepo(trusted, prev, opts, p, first)
	if err != nil {
		return nil, err
	}
	if err := r.updateRoots(fsys, rr); err != nil {
		return nil, err
	}
	if rr != nil {
		r.spec = rr.spec
		// Before p closes (deferred calls run last first): its
		// checks are not to be waited for once it has.
		defer func() { r.spec = nil }()
	}
	data, err := readBounded(fsys, "timestamp.json", int64(opts.Limits.timestamp()))
	if err != nil {
		if err := r.EndRootWalk(); err != nil {
			return nil, err
		}
		return nil, located(root.RoleTimestamp, 0, "timestamp.json", err)
	}
	if err := r.UpdateTimestamp(data); err != nil {
		return nil, err
	}
	file, meta, have, err := r.SnapshotFile()
	if err != nil {
		return nil, err
	}
	if !have {
		data, err := readMeta(fsys, file, meta, r.MaxSize(file, meta))
		if err != nil {
			return nil, located(root.RoleSnapshot, meta.Version, file, err)
		}
		if err := r.UpdateSnapshot(data); err != nil {
			return nil, err
		}
	}
	file, meta, err = r.TargetsFile(root.RoleTargets)
	if err != nil {
		return nil, err
	}
	data, err = readMeta(fsys, file, meta, r.MaxSize(file, meta))
	if err != nil {
		return nil, located(root.RoleTargets, meta.Version, file, err)
	}
	if err := r.UpdateTargets(data); err != nil {
		return nil, err
	}
	return r, nil
}

// EndRootWalk ends the root walk as the specification does before the
// timestamp is fetched (sections 5.3.10 and 5.3.11): the newest root must
// not have expired, and the previous state's timestamp and snapshot stay
// rollback floors only if they verify under its keys. UpdateTimestamp ends
// the walk itself; a client calls EndRootWalk first to learn that the root
// has expired without fetching the timestamp, and so reports that rather
// than a failed fetch. After it succeeds UpdateRoot fails; calling it
// again does nothing.
func (r *Repo) EndRootWalk() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.endRoots()
}

// readAllInto is io.ReadAll appending to buf.
func readAllInto(buf []byte, r io.Reader) ([]byte, error) {
	if buf == nil {
		return io.ReadAll(r)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// readBounded reads a file of at most max bytes from fsys. A missing file
// wraps ErrMissing (and so fs.ErrNotExist); a larger one, ErrTooLarge.
func readBounded(fsys fs.FS, name string, max int64) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, fmt.Errorf("%w: invalid file name %q", root.ErrMalformed, name)
	}
	f, err := fsys.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errf(ErrMissing, "verify: missing")
		}
		return nil, fmt.Errorf("verify: reading: %w", err)
	}
	defer f.Close()
	var data []byte
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() <= max {
		// One read into a buffer of the size the file has; the
		// extra byte sees a file that grew since.
		data = make([]byte, 0, st.Size()+1)
	}
	data, err = readAllInto(data, io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("verify: reading: %w", err)
	}
	if int64(len(data)) > max {
		return nil, errf(ErrTooLarge, "verify: larger than %d bytes", max)
	}
	return data, nil
}

// cmpOr returns a if it is not nil, else b.
func cmpOr(a, b []byte) []byte {
	if a != nil {
		return a
	}
	return b
}

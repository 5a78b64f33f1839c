package verify

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/root"
)

// DefaultMaxDelegations bounds the delegated roles one target search
// visits when RepositoryOptions.MaxDelegations is zero (python-tuf uses 32).
const DefaultMaxDelegations = 32

// State is what a client remembers between updates to detect rollbacks:
// the versions of the metadata it last trusted. It marshals to JSON.
type State struct {
	// Root, Timestamp and Snapshot are the last trusted versions.
	Root      int64 `json:"root"`
	Timestamp int64 `json:"timestamp"`
	Snapshot  int64 `json:"snapshot"`
	// Meta maps each targets metadata file the trusted snapshot listed
	// (e.g. "targets.json") to its version.
	Meta map[string]int64 `json:"meta,omitempty"`
}

// RepositoryOptions tune [Repository]. The zero value verifies at the
// current time with default bounds and no previous state.
type RepositoryOptions struct {
	// Now is the reference time for expiry; zero means time.Now().
	Now time.Time
	// Strict fails on key ID/content mismatches in roots.
	Strict bool
	// MaxRootSteps bounds the number of new root versions; zero means
	// DefaultMaxSteps.
	MaxRootSteps int
	// MaxFileSize bounds each metadata file; zero means root.MaxRootSize
	// for roots and DefaultMaxMetadataSize for the others.
	MaxFileSize int
	// MaxDelegations bounds the delegated roles a target search visits,
	// which also bounds its depth; zero means DefaultMaxDelegations.
	MaxDelegations int
	// Previous is the state of the last successful verification, if any.
	// Versions older than it fail with ErrRollback. As the specification
	// asks (section 5.3.11, recovery from a fast-forward attack), its
	// Timestamp, Snapshot and Meta versions are forgotten when the newest
	// root no longer lists a timestamp or snapshot key that the trusted
	// root listed; this applies only when Previous.Root is the trusted
	// root's version, the root those versions were verified under.
	Previous *State
}

// Repo is a repository whose top-level metadata verified: the newest root,
// timestamp, snapshot and top-level targets, consistent with each other and
// unexpired at the reference time. Delegated targets metadata is verified
// when a target search first needs it.
type Repo struct {
	chain     *ChainResult
	timestamp int64
	snapshot  int64
	meta      map[string]*metadata.MetaFiles
	targets   *TargetsMetadata
	fsys      fs.FS
	opts      RepositoryOptions
	now       time.Time

	mu        sync.Mutex
	delegated map[string]*TargetsMetadata
}

// Root returns the newest trusted root.
func (r *Repo) Root() *root.Root { return r.chain.Root }

// Chain returns the root chain verification result.
func (r *Repo) Chain() *ChainResult { return r.chain }

// Targets returns the verified top-level targets metadata.
func (r *Repo) Targets() *TargetsMetadata { return r.targets }

// State returns the versions to remember for the next verification.
func (r *Repo) State() State {
	st := State{Root: r.chain.Root.Version(), Timestamp: r.timestamp, Snapshot: r.snapshot, Meta: map[string]int64{}}
	for name, m := range r.meta {
		st.Meta[name] = m.Version
	}
	return st
}

// Repository verifies a TUF repository held in fsys, offline, as a client
// update would (specification section 5) without a network: starting from
// the trusted root it walks N+1.root.json, N+2.root.json, ... while they
// exist, then verifies timestamp.json, the snapshot it names (by version,
// length and hashes), and the top-level targets metadata the snapshot names,
// with expiry at the reference time and rollback checks against
// opts.Previous. With consistent snapshots, snapshot and targets files are
// read as VERSION.snapshot.json and VERSION.targets.json, and a delegated
// role's as VERSION.NAME.json, its name path-escaped (url.PathEscape, so
// "team/a" is "team%2Fa"). Files are read only from fsys, each bounded in
// size.
func Repository(trusted *root.Root, fsys fs.FS, opts RepositoryOptions) (*Repo, error) {
	if trusted == nil {
		return nil, fmt.Errorf("%w: nil trusted root", ErrMalformed)
	}
	if fsys == nil {
		return nil, fmt.Errorf("%w: nil file system", ErrMalformed)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	copts := Options{Now: now, MaxSteps: opts.MaxRootSteps, MaxFileSize: opts.MaxFileSize, Strict: opts.Strict}
	rootMax := copts.maxFileSize()
	// 5.3: root chain.
	chain, err := walk(trusted, func(yield func(*rootView, error) bool) {
		for v := trusted.Version() + 1; ; v++ {
			name := strconv.FormatInt(v, 10) + ".root.json"
			data, err := readBounded(fsys, name, rootMax)
			if errors.Is(err, fs.ErrNotExist) {
				return
			}
			if err != nil {
				yield(nil, &MetadataError{Role: "root", Version: v, File: name, Err: err})
				return
			}
			rv, err := parseCandidate(data)
			if err != nil {
				yield(nil, &MetadataError{Role: "root", Version: v, File: name, Err: err})
				return
			}
			if !yield(rv, nil) {
				return
			}
		}
	}, copts)
	if err != nil {
		return nil, err
	}
	rt := chain.Root
	prev := opts.Previous
	if prev != nil && rt.Version() < prev.Root {
		return nil, &VersionError{Role: "root", Got: rt.Version(), Want: prev.Root, Rollback: true, Detail: "older than the previously trusted root"}
	}
	if prev != nil && prev.Root == trusted.Version() &&
		(keysRemoved(trusted, rt, root.RoleTimestamp) || keysRemoved(trusted, rt, root.RoleSnapshot)) {
		// 5.3.11: the timestamp or snapshot keys were rotated; forget
		// the timestamp and snapshot trusted under the old ones.
		prev = &State{Root: prev.Root}
	}
	metaMax := copts.maxMetaSize()

	// 5.4: timestamp.
	const tsName = "timestamp.json"
	data, err := readBounded(fsys, tsName, metaMax)
	if err != nil {
		return nil, &MetadataError{Role: "timestamp", File: tsName, Err: err}
	}
	ts, err := parseMeta[metadata.TimestampType]("timestamp", tsName, data, metaMax)
	if err != nil {
		return nil, err
	}
	tsv := ts.Meta.Signed.Version
	if err := checkTopLevel(rt, root.RoleTimestamp, tsv, ts.Payload, ts.Signatures); err != nil {
		return nil, err
	}
	snapMeta := ts.Meta.Signed.Meta["snapshot.json"]
	if snapMeta == nil || len(ts.Meta.Signed.Meta) != 1 {
		return nil, &MetadataError{Role: "timestamp", Version: tsv, File: tsName, Err: fmt.Errorf("%w: meta must list exactly snapshot.json", ErrMalformed)}
	}
	if prev != nil {
		if tsv < prev.Timestamp {
			return nil, &VersionError{Role: "timestamp", Got: tsv, Want: prev.Timestamp, Rollback: true, Detail: "older than the previously trusted timestamp"}
		}
		if snapMeta.Version < prev.Snapshot {
			return nil, &VersionError{Role: "snapshot", Got: snapMeta.Version, Want: prev.Snapshot, Rollback: true, Detail: "timestamp names a snapshot older than the previously trusted one"}
		}
	}
	if exp := ts.Meta.Signed.Expires; !now.Before(exp) {
		return nil, &ExpiredError{Role: "timestamp", Version: tsv, Expires: exp, Now: now}
	}

	// 5.5: snapshot.
	snapName := "snapshot.json"
	if rt.ConsistentSnapshot() {
		snapName = strconv.FormatInt(snapMeta.Version, 10) + ".snapshot.json"
	}
	data, err = readMeta(fsys, "snapshot", snapName, snapMeta, metaMax)
	if err != nil {
		return nil, err
	}
	sn, err := parseMeta[metadata.SnapshotType]("snapshot", snapName, data, metaMax)
	if err != nil {
		return nil, err
	}
	snv := sn.Meta.Signed.Version
	if err := checkTopLevel(rt, root.RoleSnapshot, snv, sn.Payload, sn.Signatures); err != nil {
		return nil, err
	}
	if snv != snapMeta.Version {
		return nil, &VersionError{Role: "snapshot", Got: snv, Want: snapMeta.Version, Rollback: snv < snapMeta.Version, Detail: "timestamp names another version"}
	}
	if prev != nil {
		for name, v := range prev.Meta {
			m := sn.Meta.Signed.Meta[name]
			if m == nil {
				return nil, &MetadataError{Role: "snapshot", Version: snv, File: snapName, Err: fmt.Errorf("%w: %s, listed by the previously trusted snapshot, is gone", ErrRollback, name)}
			}
			if m.Version < v {
				return nil, &VersionError{Role: name, Got: m.Version, Want: v, Rollback: true, Detail: "snapshot lists a version older than the previously trusted snapshot"}
			}
		}
	}
	if exp := sn.Meta.Signed.Expires; !now.Before(exp) {
		return nil, &ExpiredError{Role: "snapshot", Version: snv, Expires: exp, Now: now}
	}

	repo := &Repo{chain: chain, timestamp: tsv, snapshot: snv, meta: sn.Meta.Signed.Meta, fsys: fsys, opts: opts, now: now,
		delegated: map[string]*TargetsMetadata{}}

	// 5.6: top-level targets.
	tm, err := repo.loadTargets("targets", nil)
	if err != nil {
		return nil, err
	}
	repo.targets = tm
	return repo, nil
}

// keysRemoved reports whether a key (by fingerprint) that old gives role
// is not among the keys next gives it.
func keysRemoved(old, next *root.Root, role root.Role) bool {
	fps := func(r *root.Root) map[string]bool {
		out := map[string]bool{}
		rk, _ := r.Role(role)
		for _, id := range rk.KeyIDs {
			if k, ok := r.Key(id); ok {
				out[k.Fingerprint()] = true
			}
		}
		return out
	}
	now := fps(next)
	for fp := range fps(old) {
		if !now[fp] {
			return true
		}
	}
	return false
}

// metaFile returns the file name of a targets role's metadata.
func (r *Repo) metaFile(role string, version int64) string {
	name := url.PathEscape(role) + ".json"
	if r.chain.Root.ConsistentSnapshot() {
		name = strconv.FormatInt(version, 10) + "." + name
	}
	return name
}

// loadTargets reads and verifies targets metadata for role: top-level when
// delegator is nil, else delegated by delegator.
func (r *Repo) loadTargets(role string, delegator *TargetsMetadata) (*TargetsMetadata, error) {
	metaName := role + ".json"
	m := r.meta[metaName]
	if m == nil {
		return nil, &MetadataError{Role: role, Err: fmt.Errorf("%w: snapshot v%d does not list %s", ErrMissing, r.snapshot, metaName)}
	}
	file := r.metaFile(role, m.Version)
	max := Options{MaxFileSize: r.opts.MaxFileSize}.maxMetaSize()
	data, err := readMeta(r.fsys, role, file, m, max)
	if err != nil {
		return nil, err
	}
	opts := Options{Now: r.now, MaxFileSize: r.opts.MaxFileSize}
	var tm *TargetsMetadata
	if delegator == nil {
		tm, err = Targets(r.chain.Root, data, opts)
	} else {
		tm, err = delegator.Delegated(role, data, opts)
	}
	if err != nil {
		if me := (*MetadataError)(nil); errors.As(err, &me) && me.File == "" {
			me.File = file
		}
		return nil, err
	}
	if tm.Version() != m.Version {
		return nil, &VersionError{Role: role, Got: tm.Version(), Want: m.Version, Rollback: tm.Version() < m.Version, Detail: "snapshot names another version"}
	}
	return tm, nil
}

// Target finds a target by searching the top-level targets metadata and
// then its delegations in the specification's pre-order depth-first order
// (section 5.7.7): delegations are tried in the order listed, only roles
// whose paths match the target are visited, a matching terminating role
// ends the search when it does not list the target, each role is visited
// once, and at most MaxDelegations roles are visited. It fails with
// ErrTargetNotFound when no visited role lists the target.
func (r *Repo) Target(name string) (Target, error) {
	type item struct {
		role      string
		delegator *TargetsMetadata
	}
	max := r.opts.MaxDelegations
	if max <= 0 {
		max = DefaultMaxDelegations
	}
	stack := []item{{role: "targets"}}
	visited := map[string]bool{}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited[it.role] {
			continue
		}
		if len(visited) > max {
			return Target{}, errf(ErrTooLarge, "verify: target %q: more than %d delegated roles visited", name, max)
		}
		visited[it.role] = true
		var tm *TargetsMetadata
		if it.delegator == nil {
			tm = r.targets
		} else {
			var err error
			if tm, err = r.delegatedRole(it.role, it.delegator); err != nil {
				return Target{}, err
			}
		}
		if t, ok := tm.targets[name]; ok {
			return t, nil
		}
		if tm.succinct {
			return Target{}, &MetadataError{Role: tm.role, Version: tm.version, Err: fmt.Errorf("%w: succinct (hash-bin) delegations are not supported", ErrMalformed)}
		}
		var children []item
		for _, d := range tm.delegations {
			if !d.Matches(name) {
				continue
			}
			children = append(children, item{role: d.Name, delegator: tm})
			if d.Terminating {
				stack = stack[:0]
				break
			}
		}
		for i := len(children) - 1; i >= 0; i-- {
			stack = append(stack, children[i])
		}
	}
	return Target{}, errf(ErrTargetNotFound, "verify: target %q not found", name)
}

// delegatedRole returns the verified metadata of role as delegated by
// delegator, reading it on first use.
func (r *Repo) delegatedRole(role string, delegator *TargetsMetadata) (*TargetsMetadata, error) {
	key := delegator.role + "\x00" + role
	r.mu.Lock()
	defer r.mu.Unlock()
	if tm, ok := r.delegated[key]; ok {
		return tm, nil
	}
	tm, err := r.loadTargets(role, delegator)
	if err != nil {
		return nil, err
	}
	r.delegated[key] = tm
	return tm, nil
}

// readMeta reads a metadata file named by referencing metadata and checks
// its length and hashes when the reference lists them.
func readMeta(fsys fs.FS, role, file string, m *metadata.MetaFiles, max int) ([]byte, error) {
	if m.Length < 0 {
		return nil, &MetadataError{Role: role, Version: m.Version, File: file, Err: errf(ErrLengthMismatch, "verify: negative trusted length %d", m.Length)}
	}
	limit := max
	if m.Length > 0 && m.Length < int64(limit) {
		limit = int(m.Length)
	}
	data, err := readBounded(fsys, file, limit)
	if err != nil {
		if errors.Is(err, ErrTooLarge) && m.Length > 0 && m.Length < int64(max) {
			err = fmt.Errorf("%w: more than the %d bytes listed", ErrLengthMismatch, m.Length)
		}
		return nil, &MetadataError{Role: role, Version: m.Version, File: file, Err: err}
	}
	if m.Length > 0 || len(m.Hashes) > 0 {
		if err := checkContent(file, bytesReader(data), m.Length, m.Length > 0, hexHashes(m.Hashes)); err != nil {
			return nil, &MetadataError{Role: role, Version: m.Version, File: file, Err: err}
		}
	}
	return data, nil
}

// readBounded reads a file of at most max bytes from fsys.
func readBounded(fsys fs.FS, name string, max int) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, fmt.Errorf("%w: invalid file name %q", ErrMalformed, name)
	}
	f, err := fsys.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s: %w", ErrMissing, name, err)
		}
		return nil, fmt.Errorf("verify: reading %s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("verify: reading %s: %w", name, err)
	}
	if len(data) > max {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, name, max)
	}
	return data, nil
}

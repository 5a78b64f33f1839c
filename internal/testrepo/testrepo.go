// Package testrepo publishes small TUF repositories for tests of clients:
// a root with consistent snapshots, top-level and delegated targets,
// snapshot and timestamp, built with the public root and repository
// packages and signed by deterministic, INSECURE fake signers
// (signer/fake). Each method changes the repository in memory; Publish
// writes a new release into Dir the way a real repository publishes one.
// Tests rotate keys, change delegations and play attacks (rollback,
// fast-forward) with it, for our client and for other clients alike.
package testrepo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer/fake"
)

// Repo is a repository being published. It is not safe for concurrent
// use.
type Repo struct {
	// Dir is the directory the repository is published in.
	Dir string
	// Expires is the expiry every metadata file published from now on
	// gets.
	Expires time.Time

	seed        string // distinguishes the keys of different repositories
	keys        int    // fresh keys made so far
	rootSigners []*fake.Signer
	online      map[root.Role]*fake.Signer
	keyOf       map[*fake.Signer]root.Key
	roots       []*root.Root

	targets      *repository.Targets
	targetsDirty bool
	published    map[root.Role]bool // targets roles published at least once
	delegated    []*delegated
	files        []repository.File // target files not yet written

	// TimestampVersion and SnapshotVersion are the versions last
	// published.
	TimestampVersion, SnapshotVersion int64
	snapshot                          *repository.Snapshot
}

type delegated struct {
	t      *repository.Targets
	signer *fake.Signer
	paths  []string
	dirty  bool
}

// New starts a repository in dir with root v1: three root keys of which
// two must sign, one key for each online role (targets, snapshot,
// timestamp), consistent snapshots, and empty targets metadata. Nothing is
// written until Publish. seed makes its keys differ from another
// repository's.
func New(dir, seed string, expires time.Time) (*Repo, error) {
	r := &Repo{Dir: dir, Expires: expires, seed: seed, online: map[root.Role]*fake.Signer{}, keyOf: map[*fake.Signer]root.Key{}, published: map[root.Role]bool{}}
	var rootKeys []root.Key
	for range 3 {
		s, k, err := r.newKey("root")
		if err != nil {
			return nil, err
		}
		r.rootSigners = append(r.rootSigners, s)
		rootKeys = append(rootKeys, k)
	}
	roles := map[root.Role]root.RolePolicy{root.RoleRoot: {Keys: rootKeys, Threshold: 2}}
	for _, role := range []root.Role{root.RoleTargets, root.RoleSnapshot, root.RoleTimestamp} {
		s, k, err := r.newKey(string(role))
		if err != nil {
			return nil, err
		}
		r.online[role] = s
		roles[role] = root.RolePolicy{Keys: []root.Key{k}, Threshold: 1}
	}
	v1, err := root.New(root.Policy{Roles: roles, Expires: expires, ConsistentSnapshot: true})
	if err != nil {
		return nil, err
	}
	if err := r.signRoot(v1, nil, r.rootSigners); err != nil {
		return nil, err
	}
	r.roots = []*root.Root{v1}
	r.targets, err = repository.NewTargets(repository.TopLevelTargets, 1, expires)
	if err != nil {
		return nil, err
	}
	r.targetsDirty = true
	return r, nil
}

// newKey makes a fresh signer and its key, named after what it is for.
func (r *Repo) newKey(what string) (*fake.Signer, root.Key, error) {
	r.keys++
	name := fmt.Sprintf("%s %s key %d", r.seed, what, r.keys)
	s := fake.New(name)
	k, err := root.NewKey(s.Public(), root.KeyOptions{Holder: name})
	r.keyOf[s] = k
	return s, k, err
}

func (r *Repo) signRoot(next, prev *root.Root, signers []*fake.Signer) error {
	for _, s := range signers {
		if _, err := next.Sign(context.Background(), s, prev); err != nil {
			return fmt.Errorf("testrepo: signing root v%d: %w", next.Version(), err)
		}
	}
	return nil
}

// Root returns the newest root.
func (r *Repo) Root() *root.Root { return r.roots[len(r.roots)-1] }

// RootFile returns the file of root version v, or nil.
func (r *Repo) RootFile(v int64) []byte {
	if v < 1 || v > int64(len(r.roots)) {
		return nil
	}
	data, _ := r.roots[v-1].MarshalFile()
	return data
}

// RotateRootKey makes the next root version, replacing the first root
// key with a fresh one. Both the old keys and the new ones sign it.
func (r *Repo) RotateRootKey() error {
	prev := r.Root()
	rk, _ := prev.Role(root.RoleRoot)
	s, k, err := r.newKey("root")
	if err != nil {
		return err
	}
	next, err := prev.Next(root.Rotation{Expires: r.Expires, Roles: map[root.Role]root.RoleChange{
		root.RoleRoot: {Add: []root.Key{k}, Remove: []root.KeyID{rk.Keys[0].ID()}},
	}})
	if err != nil {
		return err
	}
	signers := append(slices.Clone(r.rootSigners[1:]), s)
	if err := r.signRoot(next, prev, append(slices.Clone(r.rootSigners), s)); err != nil {
		return err
	}
	r.rootSigners = signers
	r.roots = append(r.roots, next)
	return nil
}

// RotateOnlineKey makes the next root version, giving role (targets,
// snapshot or timestamp) a fresh key. What the role publishes from now on
// is signed with it; what it published before is not signed again. A new
// targets key re-signs the targets metadata at the next Publish.
func (r *Repo) RotateOnlineKey(role root.Role) error {
	prev := r.Root()
	if _, ok := r.online[role]; !ok {
		return fmt.Errorf("testrepo: %s is not an online role", role)
	}
	rk, _ := prev.Role(role)
	s, k, err := r.newKey(string(role))
	if err != nil {
		return err
	}
	next, err := prev.Next(root.Rotation{Expires: r.Expires, Roles: map[root.Role]root.RoleChange{
		role: {Add: []root.Key{k}, Remove: []root.KeyID{rk.Keys[0].ID()}},
	}})
	if err != nil {
		return err
	}
	if err := r.signRoot(next, prev, r.rootSigners); err != nil {
		return err
	}
	r.online[role] = s
	r.roots = append(r.roots, next)
	if role == root.RoleTargets {
		r.targetsDirty = true
	}
	return nil
}

// Signer returns the current signer of an online role, as an attacker who
// stole its key would hold it.
func (r *Repo) Signer(role root.Role) *fake.Signer { return r.online[role] }

// AddTarget adds (or replaces) a target of the top-level targets with
// custom metadata (JSON, or "" for none).
func (r *Repo) AddTarget(name string, data []byte, custom string) error {
	f, err := r.targets.AddTarget(name, data, rawCustom(custom))
	if err != nil {
		return err
	}
	r.files = append(r.files, f)
	r.targetsDirty = true
	return nil
}

func rawCustom(custom string) json.RawMessage {
	if custom == "" {
		return nil
	}
	return json.RawMessage(custom)
}

// Delegate delegates paths to role, with a fresh key, from the top-level
// targets, or replaces the delegation's paths if role exists.
func (r *Repo) Delegate(role root.Role, terminating bool, paths ...string) error {
	d := r.find(role)
	if d == nil {
		t, err := repository.NewTargets(role, 1, r.Expires)
		if err != nil {
			return err
		}
		s, _, err := r.newKey("delegated " + string(role))
		if err != nil {
			return err
		}
		d = &delegated{t: t, signer: s}
		r.delegated = append(r.delegated, d)
	}
	d.paths, d.dirty = paths, true
	return r.delegate(d, terminating)
}

func (r *Repo) delegate(d *delegated, terminating bool) error {
	if err := r.targets.Delegate(repository.Delegation{Name: d.t.Role(), Keys: []root.Key{r.keyOf[d.signer]}, Threshold: 1, Paths: d.paths, Terminating: terminating}); err != nil {
		return err
	}
	r.targetsDirty = true
	return nil
}

// RotateDelegationKey gives role a fresh key: the top-level targets
// delegate to the new key, and role's metadata is signed with it at the
// next Publish.
func (r *Repo) RotateDelegationKey(role root.Role) error {
	d := r.find(role)
	if d == nil {
		return fmt.Errorf("testrepo: no delegation to %s", role)
	}
	s, _, err := r.newKey("delegated " + string(role))
	if err != nil {
		return err
	}
	d.signer, d.dirty = s, true
	terminating := false
	for _, x := range r.targets.Delegations() {
		if x.Name == role {
			terminating = x.Terminating
		}
	}
	return r.delegate(d, terminating)
}

// AddDelegatedTarget adds a target to a delegated role.
func (r *Repo) AddDelegatedTarget(role root.Role, name string, data []byte, custom string) error {
	d := r.find(role)
	if d == nil {
		return fmt.Errorf("testrepo: no delegation to %s", role)
	}
	f, err := d.t.AddTarget(name, data, rawCustom(custom))
	if err != nil {
		return err
	}
	r.files = append(r.files, f)
	d.dirty = true
	return nil
}

func (r *Repo) find(role root.Role) *delegated {
	for _, d := range r.delegated {
		if d.t.Role() == role {
			return d
		}
	}
	return nil
}

// Publish writes a release: target files, root versions, a new version of
// every targets role that changed, a new snapshot and a new timestamp,
// signed with the current keys, timestamp.json last.
func (r *Repo) Publish() error {
	ctx := context.Background()
	var files []repository.File
	files = append(files, r.files...)
	for _, rt := range r.roots {
		fs, err := repository.RootFiles(rt)
		if err != nil {
			return err
		}
		files = append(files, fs...)
	}
	cur := r.Root()
	sign := func(t *repository.Targets, dirty bool, s *fake.Signer, keys []root.Key) error {
		if !dirty {
			return nil
		}
		if r.published[t.Role()] {
			if err := t.SetVersion(t.Version()+1, r.Expires); err != nil {
				return err
			}
		}
		r.published[t.Role()] = true
		if err := t.Sign(ctx, s, keys); err != nil {
			return fmt.Errorf("testrepo: signing %s: %w", t.Role(), err)
		}
		f, err := t.File()
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	}
	all := []*repository.Targets{r.targets}
	for _, d := range r.delegated {
		if err := sign(d.t, d.dirty, d.signer, []root.Key{r.keyOf[d.signer]}); err != nil {
			return err
		}
		d.dirty = false
		all = append(all, d.t)
	}
	tk, _ := cur.Role(root.RoleTargets)
	if err := sign(r.targets, r.targetsDirty, r.online[root.RoleTargets], tk.Keys); err != nil {
		return err
	}
	r.targetsDirty = false
	snap, err := repository.NewSnapshot(r.SnapshotVersion+1, r.Expires, all...)
	if err != nil {
		return err
	}
	sk, _ := cur.Role(root.RoleSnapshot)
	if err := snap.Sign(ctx, r.online[root.RoleSnapshot], sk.Keys); err != nil {
		return err
	}
	f, err := snap.File()
	if err != nil {
		return err
	}
	files = append(files, f)
	r.snapshot, r.SnapshotVersion = snap, r.SnapshotVersion+1
	ts, err := r.timestamp(r.TimestampVersion+1, r.online[root.RoleTimestamp])
	if err != nil {
		return err
	}
	files = append(files, repository.File{Name: "timestamp.json", Data: ts})
	if err := repository.WriteDir(r.Dir, files...); err != nil {
		return err
	}
	r.files, r.TimestampVersion = nil, r.TimestampVersion+1
	return nil
}

// timestamp returns a timestamp file of the given version naming the last
// snapshot, signed by s.
func (r *Repo) timestamp(version int64, s *fake.Signer) ([]byte, error) {
	if r.snapshot == nil {
		return nil, fmt.Errorf("testrepo: no snapshot published yet")
	}
	ts, err := repository.NewTimestamp(version, r.Expires, r.snapshot)
	if err != nil {
		return nil, err
	}
	if err := ts.Sign(context.Background(), s, []root.Key{r.keyOf[s]}); err != nil {
		return nil, err
	}
	return ts.MarshalFile()
}

// ForgeTimestamp writes timestamp.json of the given version naming the
// last snapshot, signed with s (a stolen key, or the current one): a
// fast-forward attack when version is far ahead, a rollback when it is
// behind. TimestampVersion does not change, so the next Publish goes on
// from the legitimate version.
func (r *Repo) ForgeTimestamp(version int64, s *fake.Signer) error {
	data, err := r.timestamp(version, s)
	if err != nil {
		return err
	}
	return repository.WriteDir(r.Dir, repository.File{Name: "timestamp.json", Data: data})
}

// ReadFile reads a published file.
func (r *Repo) ReadFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(r.Dir, filepath.FromSlash(name)))
}

// WriteFile replaces a published file, as a mirror serving something else
// would.
func (r *Repo) WriteFile(name string, data []byte) error {
	return repository.WriteDir(r.Dir, repository.File{Name: name, Data: data})
}

// RootFileName names root version v's file.
func RootFileName(v int64) string { return strconv.FormatInt(v, 10) + ".root.json" }

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
)

// online is the published online metadata of a repository: timestamp,
// snapshot, targets and delegated targets, read with package repository.
type online struct {
	timestamp *repository.Timestamp
	snapshot  *repository.Snapshot
	targets   *repository.Targets
	delegated map[string]*repository.Targets
	// raw holds the published targets files by role ("targets" or a
	// delegated role's name): editable parses a fresh copy to change.
	raw map[string][]byte
}

// editable parses role's published targets metadata for editing.
func (o *online) editable(role string) (*repository.Targets, error) {
	t, err := repository.ParseTargets(root.Role(role), o.raw[role])
	if err != nil {
		return nil, fmt.Errorf("ceremony: published %s metadata: %w", role, err)
	}
	return t, nil
}

// delegation returns the published delegation to role.
func (o *online) delegation(role string) (repository.Delegation, bool) {
	if o == nil || o.targets == nil {
		return repository.Delegation{}, false
	}
	for _, d := range o.targets.Delegations() {
		if string(d.Name) == role {
			return d, true
		}
	}
	return repository.Delegation{}, false
}

// allTargets returns every target the published metadata lists, the
// top-level role's first, then each delegated role's by name.
func (o *online) allTargets() []repository.Target {
	out := o.targets.Targets()
	names := make([]string, 0, len(o.delegated))
	for n := range o.delegated {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, o.delegated[n].Targets()...)
	}
	return out
}

// loadOnline reads the online metadata the published timestamp points to.
// It returns (nil, nil) when no timestamp is published. It checks
// structure and the version references, not signatures (package verify
// does, see verifyCeremony).
func (r *repo) loadOnline() (*online, error) {
	tsData, err := r.read(r.path(repoDir, "timestamp.json"), maxMetaFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ceremony: reading repository/timestamp.json: %w", err)
	}
	o := &online{delegated: map[string]*repository.Targets{}, raw: map[string][]byte{}}
	if o.timestamp, err = repository.ParseTimestamp(tsData); err != nil {
		return nil, fmt.Errorf("ceremony: repository/timestamp.json: %w", err)
	}
	sm := o.timestamp.Snapshot()
	snapName := fmt.Sprintf("%d.snapshot.json", sm.Version)
	data, err := r.read(r.path(repoDir, snapName), maxMetaFile)
	if err != nil {
		return nil, fmt.Errorf("ceremony: reading repository/%s: %w", snapName, err)
	}
	if o.snapshot, err = repository.ParseSnapshot(data); err != nil {
		return nil, fmt.Errorf("ceremony: repository/%s: %w", snapName, err)
	}
	if o.snapshot.Version() != sm.Version {
		return nil, fmt.Errorf("ceremony: repository/%s holds version %d", snapName, o.snapshot.Version())
	}
	files := o.snapshot.Files()
	if len(files) > maxTargets {
		return nil, fmt.Errorf("ceremony: repository/%s lists more than %d roles", snapName, maxTargets)
	}
	for _, name := range files {
		mf, _ := o.snapshot.Meta(name)
		role := strings.TrimSuffix(name, ".json")
		if role == name || (role != "targets" && checkName("role", role) != nil) {
			return nil, fmt.Errorf("ceremony: repository/%s lists invalid role file %q", snapName, name)
		}
		fn := fmt.Sprintf("%d.%s", mf.Version, name)
		data, err := r.read(r.path(repoDir, fn), maxMetaFile)
		if err != nil {
			return nil, fmt.Errorf("ceremony: reading repository/%s: %w", fn, err)
		}
		md, err := repository.ParseTargets(root.Role(role), data)
		if err != nil {
			return nil, fmt.Errorf("ceremony: repository/%s: %w", fn, err)
		}
		if md.Version() != mf.Version {
			return nil, fmt.Errorf("ceremony: repository/%s holds version %d", fn, md.Version())
		}
		o.raw[role] = data
		if role == "targets" {
			o.targets = md
		} else {
			o.delegated[role] = md
		}
	}
	if o.targets == nil {
		return nil, fmt.Errorf("ceremony: repository/%s lists no targets.json", snapName)
	}
	return o, nil
}

// crossCheckGoTUF runs go-tuf's client workflow (its trusted metadata
// set) over the published metadata with rootData as the trusted root, at
// now: a second implementation that must accept what this project's
// verifier accepted. Its errors are go-tuf's, so they are marked as such.
func (r *repo) crossCheckGoTUF(rootData []byte, now time.Time, o *online) error {
	disagree := func(file string, err error) error {
		return fmt.Errorf("ceremony: the cross-check with go-tuf's client refuses %s/%s, which this project's verifier accepted: %v", repoDir, file, err)
	}
	tm, err := trustedmetadata.New(rootData)
	if err != nil {
		return disagree("root.json", err)
	}
	tm.RefTime = now.UTC()
	read := func(name string) ([]byte, error) {
		data, err := r.read(r.path(repoDir, name), maxMetaFile)
		if err != nil {
			return nil, fmt.Errorf("ceremony: reading %s/%s: %w", repoDir, name, err)
		}
		return data, nil
	}
	data, err := read("timestamp.json")
	if err != nil {
		return err
	}
	if _, err := tm.UpdateTimestamp(data); err != nil {
		return disagree("timestamp.json", err)
	}
	snapName := o.snapshot.FileName()
	if data, err = read(snapName); err != nil {
		return err
	}
	if _, err := tm.UpdateSnapshot(data, false); err != nil {
		return disagree(snapName, err)
	}
	tName := o.targets.FileName()
	if data, err = read(tName); err != nil {
		return err
	}
	if _, err := tm.UpdateTargets(data); err != nil {
		return disagree(tName, err)
	}
	for _, d := range o.targets.Delegations() {
		md, ok := o.delegated[string(d.Name)]
		if !ok {
			continue // delegated but not yet published
		}
		name := md.FileName()
		if data, err = read(name); err != nil {
			return err
		}
		if _, err := tm.UpdateDelegatedTargets(data, string(d.Name), "targets"); err != nil {
			return disagree(name, err)
		}
	}
	return nil
}

// checkTargetFile checks that a listed target's file is published, with
// its length and hashes.
func (r *repo) checkTargetFile(t repository.Target) error {
	p, err := targetPath(t)
	if err != nil {
		return err
	}
	data, err := r.read(r.path(repoDir, p), maxTargetFile)
	if err != nil {
		return fmt.Errorf("ceremony: target %s: %w", t.Name, err)
	}
	if err := t.Verify(data); err != nil {
		return fmt.Errorf("ceremony: target %s (repository/%s): %w", t.Name, p, err)
	}
	return nil
}

var targetNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,3}$`)

func checkTargetName(name string) error {
	if !targetNameRE.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("ceremony: invalid target name %q: use up to 4 path segments of letters, digits, '.', '_' and '-' (no '..')", name)
	}
	return nil
}

// targetPath is where a consistent-snapshot client fetches a target:
// targets/DIR/<sha256>.BASE.
func targetPath(t repository.Target) (string, error) {
	if err := checkTargetName(t.Name); err != nil {
		return "", err
	}
	if _, ok := t.Hashes["sha256"]; !ok {
		return "", fmt.Errorf("ceremony: target %s has no sha256 hash", t.Name)
	}
	return t.Path(true), nil
}

// roleSigner is an online signer and the key ID it signs under.
type roleSigner struct {
	id   string
	key  root.Key
	s    signer.Signer
	spec string
}

// onlineSigners opens the policy's signers for an online role and finds
// their key IDs in rt.
func onlineSigners(ctx context.Context, e *env, p *Policy, rt *root.Root, role string) ([]roleSigner, error) {
	rk, _ := rt.Role(root.Role(role))
	keys, thr := rk.Keys, rk.Threshold
	var out []roleSigner
	for _, spec := range p.Online[role].Signers {
		s, err := e.onlineSigner(ctx, spec)
		if err != nil {
			return nil, err
		}
		fp := fingerprint(s.Public())
		found := false
		for _, k := range keys {
			if k.Fingerprint() == fp {
				out = append(out, roleSigner{id: string(k.ID()), key: k, s: s, spec: spec})
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("ceremony: online %s signer %s holds key %s, which root v%d does not list for %s", role, redactURI(spec), shortFP(fp), rt.Version(), role)
		}
	}
	if len(out) < thr {
		return nil, fmt.Errorf("ceremony: online role %s needs %d signers, ceremony.json gives %d", role, thr, len(out))
	}
	return out, nil
}

// signable is metadata package repository builds.
type signable interface {
	Sign(ctx context.Context, s signer.Signer, keys []root.Key) error
}

// signOnline signs md with every signer. Package repository checks each
// signature under the signer's key in the root before it is used, so a
// backend that signs with another key, or returns garbage, is caught before
// anything is written; one that hangs is cut off after the signing timeout.
func signOnline(ctx context.Context, e *env, md signable, signers []roleSigner) error {
	for _, rs := range signers {
		sctx, cancel := context.WithTimeout(ctx, e.timeout())
		err := md.Sign(sctx, rs.s, []root.Key{rs.key})
		cancel()
		if errors.Is(err, root.ErrBadSignature) {
			return fmt.Errorf("ceremony: online signer %s returned a signature that does not verify under its key %s; nothing written: %w", redactURI(rs.spec), shortFP(rs.id), err)
		}
		if err != nil {
			return fmt.Errorf("ceremony: online signer %s (key %s): %w", redactURI(rs.spec), shortFP(rs.id), err)
		}
	}
	return nil
}

func (e *env) timeout() time.Duration {
	if e.signTimeout > 0 {
		return e.signTimeout
	}
	return 2 * time.Minute
}

// onlineUpdate is a set of changes to the online metadata, written by
// commit in an order that keeps the repository valid at every step.
type onlineUpdate struct {
	targets   *repository.Targets            // new top-level targets, or nil
	delegated map[string]*repository.Targets // new delegated roles
	removed   []string                       // delegated roles no longer listed
	files     map[string][]byte              // target files by repository path
}

// commitOnline signs a new snapshot and a new timestamp for the update,
// then writes everything. Every signature is made and checked before the
// first write, so a failing signer changes nothing. The new files get new
// names (content- or version-addressed), so until timestamp.json is
// replaced, the last and only overwrite, clients and the loader see the
// old state; after it, the new one.
func (r *repo) commitOnline(ctx context.Context, p *Policy, rt *root.Root, cur *online, u onlineUpdate, now time.Time) error {
	plan, err := r.prepareOnline(ctx, p, rt, cur, u, now)
	if err != nil {
		return err
	}
	return r.writeOnline(plan)
}

// onlinePlan is a signed, checked update waiting to be written: target
// files, then targets metadata (delegated roles by name, then the top-level
// targets), then the snapshot and last the timestamp.
type onlinePlan struct {
	files []repository.File
}

// prepareOnline builds and signs the snapshot and timestamp for an update,
// and encodes every file, writing nothing.
func (r *repo) prepareOnline(ctx context.Context, p *Policy, rt *root.Root, cur *online, u onlineUpdate, now time.Time) (*onlinePlan, error) {
	roles := map[string]*repository.Targets{}
	if cur != nil {
		for role := range cur.raw {
			if role == "targets" && u.targets != nil || u.delegated[role] != nil || slices.Contains(u.removed, role) {
				continue
			}
			t, err := cur.editable(role)
			if err != nil {
				return nil, err
			}
			roles[role] = t
		}
	}
	if u.targets != nil {
		roles["targets"] = u.targets
	}
	for k, v := range u.delegated {
		roles[k] = v
	}
	if roles["targets"] == nil {
		return nil, errors.New("ceremony: no targets metadata to publish")
	}
	names := make([]string, 0, len(roles))
	for n := range roles {
		names = append(names, n)
	}
	sort.Strings(names)
	list := make([]*repository.Targets, 0, len(names))
	for _, n := range names {
		list = append(list, roles[n])
	}
	// Sign the snapshot.
	snapVersion, tsVersion := int64(1), int64(1)
	if cur != nil {
		snapVersion, tsVersion = cur.snapshot.Version()+1, cur.timestamp.Version()+1
	}
	snap, err := repository.NewSnapshot(snapVersion, expiry(now, p.Online["snapshot"].ExpiresDays), list...)
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	ss, err := onlineSigners(ctx, r.e, p, rt, "snapshot")
	if err != nil {
		return nil, err
	}
	if err := signOnline(ctx, r.e, snap, ss); err != nil {
		return nil, err
	}
	// Sign the timestamp.
	ts, err := repository.NewTimestamp(tsVersion, expiry(now, p.Online["timestamp"].ExpiresDays), snap)
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	tsig, err := onlineSigners(ctx, r.e, p, rt, "timestamp")
	if err != nil {
		return nil, err
	}
	if err := signOnline(ctx, r.e, ts, tsig); err != nil {
		return nil, err
	}
	// Encode everything in write order.
	plan := &onlinePlan{}
	paths := make([]string, 0, len(u.files))
	for p := range u.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		plan.files = append(plan.files, repository.File{Name: p, Data: u.files[p]})
	}
	var meta []interface {
		File() (repository.File, error)
	}
	delegated := make([]string, 0, len(u.delegated))
	for n := range u.delegated {
		delegated = append(delegated, n)
	}
	sort.Strings(delegated)
	for _, n := range delegated {
		meta = append(meta, u.delegated[n])
	}
	if u.targets != nil {
		meta = append(meta, u.targets)
	}
	for _, m := range append(meta, snap, ts) {
		f, err := m.File()
		if err != nil {
			return nil, fmt.Errorf("ceremony: %w", err)
		}
		plan.files = append(plan.files, f)
	}
	return plan, nil
}

// writeOnline writes a prepared update in commit order; timestamp.json,
// the last file, is the commit point.
func (r *repo) writeOnline(plan *onlinePlan) error {
	for _, f := range plan.files {
		if err := r.e.writeFile(r.path(repoDir, f.Name), f.Data); err != nil {
			return err
		}
	}
	return nil
}

func expiry(now time.Time, days int) time.Time {
	return now.Add(time.Duration(days) * 24 * time.Hour).UTC().Truncate(time.Second)
}

// newTargetsVersion returns the published targets, parsed for editing,
// with the version bumped and a fresh expiry; or an empty version 1.
func newTargetsVersion(p *Policy, cur *online, now time.Time) (*repository.Targets, error) {
	exp := expiry(now, p.Online["targets"].ExpiresDays)
	if cur == nil || cur.targets == nil {
		return repository.NewTargets(repository.TopLevelTargets, 1, exp)
	}
	t, err := cur.editable("targets")
	if err != nil {
		return nil, err
	}
	if err := t.SetVersion(cur.targets.Version()+1, exp); err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	return t, nil
}

// onlineState reads what a command that publishes online metadata starts
// from: the policy, the latest published root and the online metadata
// (nil when no timestamp is published yet).
func (r *repo) onlineState() (*Policy, *root.Root, *online, error) {
	p, err := r.loadPolicy()
	if err != nil {
		return nil, nil, nil, err
	}
	rt, _, err := r.latestRootData()
	if err != nil {
		return nil, nil, nil, err
	}
	cur, err := r.loadOnline()
	if err != nil {
		return nil, nil, nil, err
	}
	return p, rt, cur, nil
}

// latestRootData returns the bytes of the latest published root.
func (r *repo) latestRootData() (*root.Root, []byte, error) {
	vs, err := r.publishedVersions()
	if err != nil {
		return nil, nil, err
	}
	if len(vs) == 0 {
		return nil, nil, fmt.Errorf("ceremony: no root is published yet (run publish first)")
	}
	rt, data, err := loadRootFile(r.dir, r.path(repoDir, fmt.Sprintf("%d.root.json", vs[len(vs)-1])))
	if err != nil {
		return nil, nil, err
	}
	return rt, data, nil
}

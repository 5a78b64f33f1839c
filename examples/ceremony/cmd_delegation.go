package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/internal/atomicfile"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
)

const maxDelegations = 64

func cmdDelegation(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr("delegation needs a subcommand: add, target, sign, publish or list")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stderr, "Usage: ceremony delegation add|target|sign|publish|list [flags]\n"+
			"  add      delegate paths to another project's keys\n"+
			"  target   stage a target file in the delegated role\n"+
			"  sign     sign the role's staged metadata with one of its keys\n"+
			"  publish  publish the role once a threshold has signed\n"+
			"  list     show the delegated roles\n"+
			"Run \"ceremony delegation SUBCOMMAND -h\" for its flags.\n")
		return flag.ErrHelp
	case "add":
		return delegationAdd(ctx, e, args[1:])
	case "target":
		return delegationTarget(ctx, e, args[1:])
	case "sign":
		return delegationSign(ctx, e, args[1:])
	case "publish":
		return delegationPublish(ctx, e, args[1:])
	case "list":
		return delegationList(ctx, e, args[1:])
	}
	return usageErr("unknown delegation subcommand %q: want add, target, sign, publish or list", args[0])
}

func delegDir(role string) string { return delegStaged + "/" + role }

// delegationKey reads a delegated role's public key: fake:NAME or a PEM
// public key (or certificate) file.
func delegationKey(ctx context.Context, e *env, spec string) (root.Key, error) {
	var pub any
	if strings.HasPrefix(spec, "fake:") || strings.Contains(spec, "://") {
		s, err := e.onlineSigner(ctx, spec)
		if err != nil {
			return root.Key{}, err
		}
		pub = s.Public()
	} else {
		p, err := readPublicKeyFile(spec)
		if err != nil {
			return root.Key{}, fmt.Errorf("ceremony: delegated key %s: %w", spec, err)
		}
		pub = p
	}
	k, err := root.NewKey(pub, root.KeyOptions{})
	if err != nil {
		return root.Key{}, fmt.Errorf("ceremony: delegated key %s: %w", redactURI(spec), err)
	}
	return k, nil
}

func delegationAdd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "delegation add", "-role NAME -key SPEC [-key SPEC...] -threshold N -paths PATTERN[,PATTERN] [-terminating] [-C DIR]")
	dir := repoFlag(f)
	role := f.String("role", "", "the delegated role's name (required)")
	var keys, paths listFlag
	f.Var(&keys, "key", "a key of the role: a PEM public key `file`, fake:NAME or a KMS URI (repeatable)")
	f.Var(&paths, "paths", "target path `patterns` the role may sign, e.g. acme/*")
	thr := f.Int("threshold", 1, "how many of the role's keys must sign")
	term := f.Bool("terminating", false, "stop the search at this role for matching paths")
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	if err := checkName("role", *role); err != nil {
		return usageErr("%v", err)
	}
	switch *role {
	case "root", "targets", "snapshot", "timestamp":
		return usageErr("-role %s is a top-level role", *role)
	}
	if len(keys) == 0 || len(keys) > 16 {
		return usageErr("give 1..16 -key values")
	}
	if *thr < 1 || *thr > len(keys) {
		return usageErr("-threshold %d out of range 1..%d", *thr, len(keys))
	}
	if len(paths) == 0 || len(paths) > 32 {
		return usageErr("give 1..32 -paths patterns")
	}
	for _, p := range paths {
		if strings.Contains(p, "..") || strings.HasPrefix(p, "/") || len(p) > 256 {
			return usageErr("-paths %q is not a relative pattern", p)
		}
	}
	r := openRepo(e, *dir)
	p, err := r.loadPolicy()
	if err != nil {
		return err
	}
	rt, _, err := r.latestRootData()
	if err != nil {
		return err
	}
	cur, err := r.loadOnline()
	if err != nil {
		return err
	}
	now := e.currentTime()
	t, err := newTargetsVersion(p, cur, now)
	if err != nil {
		return err
	}
	if cur != nil && cur.targets.Signed.Delegations != nil {
		d := cur.targets.Signed.Delegations
		for _, dr := range d.Roles {
			if dr.Name == *role {
				return fmt.Errorf("ceremony: delegated role %s already exists", *role)
			}
		}
		if len(d.Roles) >= maxDelegations {
			return fmt.Errorf("ceremony: already %d delegated roles", len(d.Roles))
		}
	}
	var dkeys []root.Key
	seen := map[string]bool{}
	for _, spec := range keys {
		k, err := delegationKey(ctx, e, spec)
		if err != nil {
			return err
		}
		if seen[k.Fingerprint()] {
			return usageErr("key %s is given twice", redactURI(spec))
		}
		seen[k.Fingerprint()] = true
		dkeys = append(dkeys, k)
	}
	if err := t.Delegate(repository.Delegation{Name: *role, Keys: dkeys, Threshold: *thr, Paths: paths, Terminating: *term}); err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	signers, err := onlineSigners(ctx, e, p, rt, "targets")
	if err != nil {
		return err
	}
	if err := signOnline(ctx, e, t, signers); err != nil {
		return err
	}
	// Stage the role's first metadata for its keyholders to sign.
	dm := metadata.Targets(expiry(now, p.Online["targets"].ExpiresDays))
	if err := r.writeStagedDelegation(*role, dm); err != nil {
		return err
	}
	if err := r.commitOnline(ctx, p, rt, cur, onlineUpdate{targets: t}, now); err != nil {
		return err
	}
	e.printf("Delegated %s to role %s: %d-of-%d keys, terminating %v; targets v%d published.\n", strings.Join(paths, ", "), *role, *thr, len(keys), *term, t.Version())
	e.printf("Staged %s/metadata.json (v%d) for the role's keyholders to sign.\n", delegDir(*role), dm.Signed.Version)
	return nil
}

func (r *repo) writeStagedDelegation(role string, md *metadata.Metadata[metadata.TargetsType]) error {
	md.Signatures = nil
	if err := r.clearDir(delegDir(role) + "/signatures"); err != nil {
		return err
	}
	data, err := md.ToBytes(true)
	if err != nil {
		return fmt.Errorf("ceremony: encoding staged %s: %w", role, err)
	}
	return r.e.writeFile(r.path(delegDir(role), "metadata.json"), append(data, '\n'))
}

func (r *repo) clearDir(rel string) error {
	ents, err := r.readDir(r.path(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ceremony: reading %s: %w", rel, err)
	}
	for _, ent := range ents {
		if !ent.IsDir() {
			if err := r.e.removeFile(r.path(rel, ent.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// stagedDelegation loads a delegated role's staged metadata and its
// delegation from the published targets.
func (r *repo) stagedDelegation(role string) (*metadata.Metadata[metadata.TargetsType], *online, *metadata.DelegatedRole, error) {
	if err := checkName("role", role); err != nil {
		return nil, nil, nil, usageErr("%v", err)
	}
	cur, err := r.loadOnline()
	if err != nil {
		return nil, nil, nil, err
	}
	if cur == nil || cur.targets.Signed.Delegations == nil {
		return nil, nil, nil, fmt.Errorf("ceremony: no delegated role %s (run delegation add)", role)
	}
	var dr *metadata.DelegatedRole
	for i := range cur.targets.Signed.Delegations.Roles {
		if cur.targets.Signed.Delegations.Roles[i].Name == role {
			dr = &cur.targets.Signed.Delegations.Roles[i]
		}
	}
	if dr == nil {
		return nil, nil, nil, fmt.Errorf("ceremony: no delegated role %s (run delegation add)", role)
	}
	rel := delegDir(role) + "/metadata.json"
	data, err := r.read(r.path(rel), maxMetaFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil, fmt.Errorf("ceremony: nothing staged for %s (run delegation target)", role)
		}
		return nil, nil, nil, fmt.Errorf("ceremony: reading %s: %w", rel, err)
	}
	md, err := metadata.Targets().FromBytes(data)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ceremony: %s: %w", rel, err)
	}
	return md, cur, dr, nil
}

func delegationTarget(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "delegation target", "-role NAME TARGET FILE [-custom JSON] [-C DIR]")
	dir := repoFlag(f)
	role := f.String("role", "", "the delegated role (required)")
	custom := f.String("custom", "", "custom metadata, a JSON object")
	pos, err := parseFlags(f, args)
	if err != nil {
		return err
	}
	name, data, c, err := readTargetArgs(pos, *custom, "delegation target needs TARGET FILE")
	if err != nil {
		return err
	}
	r := openRepo(e, *dir)
	p, err := r.loadPolicy()
	if err != nil {
		return err
	}
	md, cur, dr, err := r.stagedDelegation(*role)
	if err != nil {
		return err
	}
	if ok, _ := dr.IsDelegatedPath(name); !ok {
		return fmt.Errorf("ceremony: target %s is outside role %s's paths (%s)", name, *role, strings.Join(dr.Paths, ", "))
	}
	if len(md.Signed.Targets) >= maxTargets {
		return fmt.Errorf("ceremony: %s already lists %d targets", *role, len(md.Signed.Targets))
	}
	// The staged version is one more than the published one.
	if pub, ok := cur.delegated[*role]; ok {
		md.Signed.Version = pub.Signed.Version + 1
	}
	md.Signed.Expires = expiry(e.currentTime(), p.Online["targets"].ExpiresDays)
	// As with targets add: a new file under the same name keeps its
	// custom metadata unless -custom says otherwise.
	if old, ok := md.Signed.Targets[name]; ok && *custom == "" {
		if c, err = keepCustom(e, name, old, c); err != nil {
			return err
		}
	}
	tf := stagedTargetFile(data, c)
	md.Signed.Targets[name] = tf
	tp, err := targetPath(name, tf)
	if err != nil {
		return err
	}
	if err := e.writeFile(r.path(delegDir(*role), "files", tp), data); err != nil {
		return err
	}
	if err := r.writeStagedDelegation(*role, md); err != nil {
		return err
	}
	e.printf("Staged target %s in role %s v%d; its keyholders must sign again.\n", name, *role, md.Signed.Version)
	return nil
}

func delegationSign(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "delegation sign", "-role NAME -key fake:NAME|KMS-URI [-C DIR]")
	dir := repoFlag(f)
	role := f.String("role", "", "the delegated role (required)")
	keySpec := f.String("key", "", "the signing key: fake:NAME or a KMS URI (required)")
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	if *keySpec == "" {
		return usageErr("-key is required")
	}
	r := openRepo(e, *dir)
	if _, err := r.loadPolicy(); err != nil {
		return err
	}
	md, cur, dr, err := r.stagedDelegation(*role)
	if err != nil {
		return err
	}
	s, err := e.onlineSigner(ctx, *keySpec)
	if err != nil {
		return err
	}
	id, err := delegatedKeyID(cur, dr, s)
	if err != nil {
		return err
	}
	payload, err := cjson.EncodeCanonical(md.Signed)
	if err != nil {
		return fmt.Errorf("ceremony: canonical JSON: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, e.timeout())
	sig, err := s.Sign(sctx, payload)
	cancel()
	if err != nil {
		return fmt.Errorf("ceremony: signing %s: %w", *role, err)
	}
	// Check the signature before it is written.
	one := *md
	one.Signatures = []metadata.Signature{{KeyID: id, Signature: sig}}
	single := *dr
	single.Threshold, single.KeyIDs = 1, []string{id}
	if err := verifyDelegated(cur, &single, &one); err != nil {
		return fmt.Errorf("ceremony: the signer for key %s returned a signature that does not verify under that key; nothing written: %w", shortFP(id), err)
	}
	rel := delegDir(*role) + "/signatures/" + shortFP(id) + ".json"
	if err := r.writeJSON(rel, metadata.Signature{KeyID: id, Signature: sig}); err != nil {
		return err
	}
	e.printf("Signed role %s v%d with key %s: %s.\n", *role, md.Signed.Version, shortFP(id), rel)
	return nil
}

func delegatedKeyID(cur *online, dr *metadata.DelegatedRole, s signer.Signer) (string, error) {
	fp := fingerprint(s.Public())
	for _, id := range dr.KeyIDs {
		k, ok := cur.targets.Signed.Delegations.Keys[id]
		if !ok {
			continue
		}
		pub, err := k.ToPublicKey()
		if err == nil && fingerprint(pub) == fp {
			return id, nil
		}
	}
	return "", fmt.Errorf("ceremony: key %s is not a key of delegated role %s", shortFP(fp), dr.Name)
}

func delegationPublish(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "delegation publish", "-role NAME [-C DIR]")
	dir := repoFlag(f)
	role := f.String("role", "", "the delegated role (required)")
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	r := openRepo(e, *dir)
	p, err := r.loadPolicy()
	if err != nil {
		return err
	}
	rt, _, err := r.latestRootData()
	if err != nil {
		return err
	}
	md, cur, dr, err := r.stagedDelegation(*role)
	if err != nil {
		return err
	}
	if pub, ok := cur.delegated[*role]; ok && md.Signed.Version <= pub.Signed.Version {
		return fmt.Errorf("ceremony: role %s v%d is already published", *role, pub.Signed.Version)
	}
	sigDir := delegDir(*role) + "/signatures"
	ents, err := r.readDir(r.path(sigDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ceremony: reading %s: %w", sigDir, err)
	}
	md.Signatures = nil
	seen := map[string]bool{}
	for _, ent := range ents {
		if atomicfile.IsTemp(ent.Name()) || !strings.HasSuffix(ent.Name(), ".json") {
			continue
		}
		if len(md.Signatures) >= maxSignatures {
			return fmt.Errorf("ceremony: too many signature files in %s", sigDir)
		}
		rel := sigDir + "/" + ent.Name()
		data, err := r.read(r.path(rel), maxSmallFile)
		if err != nil {
			return fmt.Errorf("ceremony: reading %s: %w", rel, err)
		}
		var sig metadata.Signature
		if err := decodeStrict(data, &sig); err != nil {
			return fmt.Errorf("ceremony: parsing %s: %w", rel, err)
		}
		if seen[sig.KeyID] {
			return fmt.Errorf("ceremony: %s: a second signature by key %s", rel, shortFP(sig.KeyID))
		}
		seen[sig.KeyID] = true
		md.Signatures = append(md.Signatures, sig)
	}
	// Each signature must verify on its own, so a tampered file is named.
	for _, sig := range md.Signatures {
		one := *md
		one.Signatures = []metadata.Signature{sig}
		single := *dr
		single.Threshold = 1
		single.KeyIDs = []string{sig.KeyID}
		if err := verifyDelegated(cur, &single, &one); err != nil {
			return fmt.Errorf("ceremony: signature by key %s on role %s does not verify (tampered or over other content): %w", shortFP(sig.KeyID), *role, err)
		}
	}
	if err := verifyDelegated(cur, dr, md); err != nil {
		return fmt.Errorf("ceremony: role %s v%d lacks a threshold of %d signatures: %w", *role, md.Signed.Version, dr.Threshold, err)
	}
	files := map[string][]byte{}
	for name, tf := range md.Signed.Targets {
		tp, err := targetPath(name, tf)
		if err != nil {
			return err
		}
		if _, err := os.Lstat(r.path(repoDir, tp)); err == nil {
			continue
		}
		data, err := r.read(r.path(delegDir(*role), "files", tp), maxTargetFile)
		if err != nil {
			return fmt.Errorf("ceremony: staged file for target %s: %w", name, err)
		}
		if err := tf.VerifyLengthHashes(data); err != nil {
			return fmt.Errorf("ceremony: staged file for target %s: %w", name, err)
		}
		files[tp] = data
	}
	now := e.currentTime()
	signed, err := md.ToBytes(false)
	if err != nil {
		return fmt.Errorf("ceremony: encoding role %s: %w", *role, err)
	}
	dt, err := repository.ParseTargets(*role, signed)
	if err != nil {
		return fmt.Errorf("ceremony: role %s: %w", *role, err)
	}
	if err := r.commitOnline(ctx, p, rt, cur, onlineUpdate{delegated: map[string]*repository.Targets{*role: dt}, files: files}, now); err != nil {
		return err
	}
	e.printf("Published role %s v%d (%d targets, %d signatures).\n", *role, md.Signed.Version, len(md.Signed.Targets), len(md.Signatures))
	return nil
}

// verifyDelegated checks md against role dr of the published targets.
func verifyDelegated(cur *online, dr *metadata.DelegatedRole, md *metadata.Metadata[metadata.TargetsType]) error {
	t := metadata.Targets()
	t.Signed.Delegations = &metadata.Delegations{Keys: cur.targets.Signed.Delegations.Keys, Roles: []metadata.DelegatedRole{*dr}}
	return t.VerifyDelegate(dr.Name, md)
}

func delegationList(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "delegation list", "[-C DIR]")
	dir := repoFlag(f)
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	r := openRepo(e, *dir)
	cur, err := r.loadOnline()
	if err != nil {
		return err
	}
	if cur == nil || cur.targets.Signed.Delegations == nil {
		e.printf("No delegated roles.\n")
		return nil
	}
	for _, dr := range cur.targets.Signed.Delegations.Roles {
		ver := "not published"
		if md, ok := cur.delegated[dr.Name]; ok {
			ver = fmt.Sprintf("v%d, %d targets", md.Signed.Version, len(md.Signed.Targets))
		}
		ids := append([]string(nil), dr.KeyIDs...)
		sort.Strings(ids)
		for i := range ids {
			ids[i] = shortFP(ids[i])
		}
		e.printf("%s: paths %s, %d of %d keys (%s), terminating %v; %s\n", dr.Name, strings.Join(dr.Paths, ","), dr.Threshold, len(dr.KeyIDs), strings.Join(ids, " "), dr.Terminating, ver)
	}
	return nil
}

// stagedTargetFile is a target entry of a role's staged metadata, which its
// keyholders sign one at a time (detached signatures, so it stays in
// go-tuf's model). It lists only the sha256 hash: under consistent
// snapshots a client may fetch HASH.NAME for any hash listed, and the
// repository publishes the file under its sha256 name only.
func stagedTargetFile(data []byte, custom json.RawMessage) *metadata.TargetFiles {
	s256 := sha256.Sum256(data)
	tf := &metadata.TargetFiles{Length: int64(len(data)), Hashes: metadata.Hashes{"sha256": s256[:]}}
	if len(custom) > 0 {
		c := json.RawMessage(append([]byte(nil), custom...))
		tf.Custom = &c
	}
	return tf
}

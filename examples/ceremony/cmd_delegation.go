package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/verify"
)

const maxDelegations = 64

func cmdDelegation(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr("delegation needs a subcommand: add, target, sign, publish, remove or list")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stderr, "Usage: ceremony delegation add|target|sign|publish|remove|list [flags]\n"+
			"  add      delegate paths to another project's keys\n"+
			"  target   stage a target file in the delegated role\n"+
			"  sign     sign the role's staged metadata with one of its keys\n"+
			"  publish  publish the role once a threshold has signed\n"+
			"  remove   take the delegation out of the targets metadata\n"+
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
	case "remove":
		return delegationRemove(ctx, e, args[1:])
	case "list":
		return delegationList(ctx, e, args[1:])
	}
	return usageErr("unknown delegation subcommand %q: want add, target, sign, publish, remove or list", args[0])
}

func delegDir(role string) string { return delegStaged + "/" + role }

// delegationKey reads a delegated role's public key: from a signer spec
// (a KMS URI, pem:FILE, piv[:SERIAL] or fake:NAME) or from a PEM public key
// (or certificate) file.
func delegationKey(ctx context.Context, e *env, spec string) (root.Key, error) {
	var pub any
	if specKind(spec) != "" {
		s, err := e.openSigner(ctx, spec)
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
	f.Var(&keys, "key", "a key of the role (repeatable): a PEM public key `file`, a KMS URI, pem:FILE (a private key file), piv[:SERIAL] (a YubiKey's slot 9c) or fake:NAME")
	f.Var(&paths, "paths", "target path `patterns` the role may sign, e.g. acme/*")
	thr := f.Int("threshold", 1, "how many of the role's keys must sign")
	term := f.Bool("terminating", false, "stop the search at this role for matching paths")
	addSignerFlags(f, e, true)
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
	p, rt, cur, err := r.onlineState()
	if err != nil {
		return err
	}
	now := e.currentTime()
	t, err := newTargetsVersion(p, cur, now)
	if err != nil {
		return err
	}
	if cur != nil {
		if _, ok := cur.delegation(*role); ok {
			return fmt.Errorf("ceremony: delegated role %s already exists", *role)
		}
		if n := len(cur.targets.Delegations()); n >= maxDelegations {
			return fmt.Errorf("ceremony: already %d delegated roles", n)
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
	if err := t.Delegate(repository.Delegation{Name: root.Role(*role), Keys: dkeys, Threshold: *thr, Paths: paths, Terminating: *term}); err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	signers, err := onlineSigners(ctx, e, p, rt, "targets")
	if err != nil {
		return err
	}
	if err := signOnline(ctx, e, t, signers); err != nil {
		return err
	}
	// Stage the role's first metadata for its keyholders to sign. A role
	// delegated before (and removed) keeps counting from its last
	// published version: a published file is never rewritten.
	first, err := r.nextRoleVersion(*role)
	if err != nil {
		return err
	}
	dm, err := repository.NewTargets(root.Role(*role), first, expiry(now, p.Online["targets"].ExpiresDays))
	if err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	if err := r.writeStagedDelegation(*role, dm); err != nil {
		return err
	}
	if err := r.commitOnline(ctx, p, rt, cur, onlineUpdate{targets: t}, now); err != nil {
		return err
	}
	e.printf("Delegated %s to role %s: %d-of-%d keys, terminating %v; targets v%d published.\n", strings.Join(paths, ", "), *role, *thr, len(keys), *term, t.Version())
	e.printf("Staged %s/metadata.json (v%d) for the role's keyholders to sign.\n", delegDir(*role), dm.Version())
	return nil
}

// writeStagedDelegation writes a delegated role's staged metadata,
// unsigned (its keyholders sign detached, one file each), and removes the
// signatures over an earlier staging.
func (r *repo) writeStagedDelegation(role string, md *repository.Targets) error {
	if err := r.clearDir(delegDir(role) + "/signatures"); err != nil {
		return err
	}
	data, err := md.MarshalFile()
	if err != nil {
		return fmt.Errorf("ceremony: encoding staged %s: %w", role, err)
	}
	return r.e.writeFile(r.path(delegDir(role), "metadata.json"), data)
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
func (r *repo) stagedDelegation(role string) (*repository.Targets, *online, repository.Delegation, error) {
	var none repository.Delegation
	if err := checkName("role", role); err != nil {
		return nil, nil, none, usageErr("%v", err)
	}
	cur, err := r.loadOnline()
	if err != nil {
		return nil, nil, none, err
	}
	d, ok := cur.delegation(role)
	if !ok {
		return nil, nil, none, fmt.Errorf("ceremony: no delegated role %s (run delegation add)", role)
	}
	rel := delegDir(role) + "/metadata.json"
	data, err := r.read(r.path(rel), maxMetaFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, none, fmt.Errorf("ceremony: nothing staged for %s (run delegation target)", role)
		}
		return nil, nil, none, fmt.Errorf("ceremony: reading %s: %w", rel, err)
	}
	md, err := repository.ParseTargets(root.Role(role), data)
	if err != nil {
		return nil, nil, none, fmt.Errorf("ceremony: %s: %w", rel, err)
	}
	return md, cur, d, nil
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
	md, cur, d, err := r.stagedDelegation(*role)
	if err != nil {
		return err
	}
	if !d.Matches(name) {
		return fmt.Errorf("ceremony: target %s is outside role %s's paths (%s)", name, *role, strings.Join(d.Paths, ", "))
	}
	old, replaced := md.Target(name)
	if !replaced && len(md.Targets()) >= maxTargets {
		return fmt.Errorf("ceremony: %s already lists %d targets", *role, len(md.Targets()))
	}
	// The staged version is one more than the published one.
	version := md.Version()
	if pub, ok := cur.delegated[*role]; ok {
		version = pub.Version() + 1
	}
	if err := md.SetVersion(version, expiry(e.currentTime(), p.Online["targets"].ExpiresDays)); err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	// As with targets add: a new file under the same name keeps its
	// custom metadata unless -custom says otherwise.
	if replaced && *custom == "" {
		if c, err = keepCustom(e, name, old, c); err != nil {
			return err
		}
	}
	tf, err := md.AddTarget(name, data, c)
	if err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	if err := e.writeFile(r.path(delegDir(*role), "files", tf.Name), data); err != nil {
		return err
	}
	if err := r.writeStagedDelegation(*role, md); err != nil {
		return err
	}
	e.printf("Staged target %s in role %s v%d; its keyholders must sign again.\n", name, *role, md.Version())
	return nil
}

// delegSigFile is staged/delegations/ROLE/signatures/KEYID.json: one
// detached signature over the role's staged metadata.
type delegSigFile struct {
	KeyID string `json:"keyid"`
	// Sig is the hex signature.
	Sig string `json:"sig"`
}

func delegationSign(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "delegation sign", "-role NAME -key KMS-URI|pem:FILE|piv[:SERIAL]|fake:NAME [-C DIR] [-passphrase-fd N] [-pin-fd N]")
	dir := repoFlag(f)
	role := f.String("role", "", "the delegated role (required)")
	keySpec := f.String("key", "", "the signing key (required): a KMS URI, pem:FILE (a private key file), piv[:SERIAL] (a YubiKey's slot 9c) or fake:NAME")
	addSignerFlags(f, e, true)
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
	md, _, d, err := r.stagedDelegation(*role)
	if err != nil {
		return err
	}
	if specKind(*keySpec) == "" {
		return usageErr("-key %q is not a signer: a KMS URI, pem:FILE, piv[:SERIAL] or fake:NAME", *keySpec)
	}
	s, err := e.openSigner(ctx, *keySpec)
	if err != nil {
		return err
	}
	// Sign finds the signer's key among the role's before it asks the
	// signer for anything, and checks the signature before it keeps it.
	sctx, cancel := context.WithTimeout(ctx, e.timeout())
	err = md.Sign(sctx, s, d.Keys)
	cancel()
	switch {
	case errors.Is(err, signer.ErrWrongKey):
		return fmt.Errorf("ceremony: key %s is not a key of delegated role %s", shortFP(fingerprint(s.Public())), *role)
	case errors.Is(err, root.ErrBadSignature):
		key := shortFP(fingerprint(s.Public()))
		if se := (*root.SignatureError)(nil); errors.As(err, &se) && se.KeyID != "" {
			key = shortFP(string(se.KeyID))
		}
		return fmt.Errorf("ceremony: the signer for key %s of role %s returned a signature that does not verify under that key; nothing written: %w", key, *role, err)
	case err != nil:
		return fmt.Errorf("ceremony: signing %s: %w", *role, err)
	}
	for _, sig := range md.Signatures() {
		rel := delegDir(*role) + "/signatures/" + shortFP(string(sig.KeyID)) + ".json"
		if err := r.writeJSON(rel, delegSigFile{KeyID: string(sig.KeyID), Sig: hex.EncodeToString(sig.Value)}); err != nil {
			return err
		}
		e.printf("Signed role %s v%d with key %s: %s.\n", *role, md.Version(), shortFP(string(sig.KeyID)), rel)
	}
	return nil
}

func delegationPublish(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "delegation publish", "-role NAME [-C DIR] [-passphrase-fd N]")
	dir := repoFlag(f)
	role := f.String("role", "", "the delegated role (required)")
	addSignerFlags(f, e, false)
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
	md, cur, d, err := r.stagedDelegation(*role)
	if err != nil {
		return err
	}
	if pub, ok := cur.delegated[*role]; ok && md.Version() <= pub.Version() {
		return fmt.Errorf("ceremony: role %s v%d is already published", *role, pub.Version())
	}
	sigDir := delegDir(*role) + "/signatures"
	ents, err := r.readDir(r.path(sigDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ceremony: reading %s: %w", sigDir, err)
	}
	seen := map[string]bool{}
	n := 0
	for _, ent := range ents {
		if isTempName(ent.Name()) || !strings.HasSuffix(ent.Name(), ".json") {
			continue
		}
		if n >= maxSignatures {
			return fmt.Errorf("ceremony: too many signature files in %s", sigDir)
		}
		n++
		rel := sigDir + "/" + ent.Name()
		data, err := r.read(r.path(rel), maxSmallFile)
		if err != nil {
			return fmt.Errorf("ceremony: reading %s: %w", rel, err)
		}
		var sf delegSigFile
		if err := decodeStrict(data, &sf); err != nil {
			return fmt.Errorf("ceremony: parsing %s: %w", rel, err)
		}
		value, err := decodeHex(sf.Sig)
		if err != nil || len(value) == 0 || len(value) > 1024 || len(sf.KeyID) == 0 || len(sf.KeyID) > 128 {
			return fmt.Errorf("ceremony: %s is not a key ID and a hex signature", rel)
		}
		if seen[sf.KeyID] {
			return fmt.Errorf("ceremony: %s: a second signature by key %s", rel, shortFP(sf.KeyID))
		}
		seen[sf.KeyID] = true
		// Each signature must verify on its own, so a tampered file is
		// named.
		if err := md.AddSignature(root.Signature{KeyID: root.KeyID(sf.KeyID), Value: value}, d.Keys); err != nil {
			return fmt.Errorf("ceremony: %s: signature by key %s on role %s does not verify (tampered or over other content): %w", rel, shortFP(sf.KeyID), *role, err)
		}
	}
	signed, err := md.MarshalFile()
	if err != nil {
		return fmt.Errorf("ceremony: encoding role %s: %w", *role, err)
	}
	if _, err := verify.Delegated(cur.targets, root.Role(*role), signed, verify.Options{Now: e.currentTime()}); err != nil {
		return fmt.Errorf("ceremony: role %s v%d lacks a threshold of %d signatures: %w", *role, md.Version(), d.Threshold, err)
	}
	files := map[string][]byte{}
	for _, t := range md.Targets() {
		tp, err := targetPath(t)
		if err != nil {
			return err
		}
		if _, err := os.Lstat(r.path(repoDir, tp)); err == nil {
			continue
		}
		data, err := r.read(r.path(delegDir(*role), "files", tp), maxTargetFile)
		if err != nil {
			return fmt.Errorf("ceremony: staged file for target %s: %w", t.Name, err)
		}
		if err := t.Verify(data); err != nil {
			return fmt.Errorf("ceremony: staged file for target %s: %w", t.Name, err)
		}
		files[tp] = data
	}
	now := e.currentTime()
	dt, err := repository.ParseTargets(root.Role(*role), signed)
	if err != nil {
		return fmt.Errorf("ceremony: role %s: %w", *role, err)
	}
	if err := r.commitOnline(ctx, p, rt, cur, onlineUpdate{delegated: map[string]*repository.Targets{*role: dt}, files: files}, now); err != nil {
		return err
	}
	e.printf("Published role %s v%d (%d targets, %d signatures).\n", *role, md.Version(), len(md.Targets()), len(md.Signatures()))
	return nil
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
	if cur == nil || len(cur.targets.Delegations()) == 0 {
		e.printf("No delegated roles.\n")
		return nil
	}
	for _, d := range cur.targets.Delegations() {
		ver := "not published"
		if md, ok := cur.delegated[string(d.Name)]; ok {
			ver = fmt.Sprintf("v%d, %d targets", md.Version(), len(md.Targets()))
		}
		ids := make([]string, 0, len(d.Keys))
		for _, k := range d.Keys {
			ids = append(ids, shortFP(string(k.ID())))
		}
		sort.Strings(ids)
		e.printf("%s: paths %s, %d of %d keys (%s), terminating %v; %s\n", d.Name, strings.Join(d.Paths, ","), d.Threshold, len(d.Keys), strings.Join(ids, " "), d.Terminating, ver)
	}
	return nil
}

func delegationRemove(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "delegation remove", "-role NAME [-C DIR] [-passphrase-fd N]")
	dir := repoFlag(f)
	role := f.String("role", "", "the delegated role to remove (required)")
	addSignerFlags(f, e, false)
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	if err := checkName("role", *role); err != nil {
		return usageErr("%v", err)
	}
	r := openRepo(e, *dir)
	p, rt, cur, err := r.onlineState()
	if err != nil {
		return err
	}
	if _, ok := cur.delegation(*role); !ok {
		return fmt.Errorf("ceremony: no delegated role %s to remove (delegation list shows them)", *role)
	}
	now := e.currentTime()
	t, err := newTargetsVersion(p, cur, now)
	if err != nil {
		return err
	}
	t.RemoveDelegation(root.Role(*role))
	signers, err := onlineSigners(ctx, e, p, rt, "targets")
	if err != nil {
		return err
	}
	if err := signOnline(ctx, e, t, signers); err != nil {
		return err
	}
	// The new snapshot no longer lists the role's metadata; its old files
	// stay, as every superseded version does, for clients that still read
	// an older snapshot.
	if err := r.commitOnline(ctx, p, rt, cur, onlineUpdate{targets: t, removed: []string{*role}}, now); err != nil {
		return err
	}
	if err := r.removeTree(delegDir(*role)); err != nil {
		return err
	}
	e.printf("Removed delegated role %s: targets v%d no longer delegates to it, and clients stop trusting its targets.\n", *role, t.Version())
	return nil
}

// nextRoleVersion returns one more than the highest version of role's
// metadata in repository/ (V.ROLE.json), or 1.
func (r *repo) nextRoleVersion(role string) (int64, error) {
	ents, err := r.readDir(r.path(repoDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("ceremony: reading %s: %w", repoDir, err)
	}
	next := int64(1)
	for _, ent := range ents {
		v, ok := strings.CutSuffix(ent.Name(), "."+role+".json")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= next && n < maxRootVersion*1000 {
			next = n + 1
		}
	}
	return next, nil
}

// removeTree removes a directory of the repository and everything in it.
func (r *repo) removeTree(rel string) error {
	ents, err := r.readDir(r.path(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ceremony: reading %s: %w", rel, err)
	}
	for _, ent := range ents {
		sub := rel + "/" + ent.Name()
		if ent.IsDir() {
			if err := r.removeTree(sub); err != nil {
				return err
			}
			continue
		}
		if err := r.e.removeFile(r.path(sub)); err != nil {
			return err
		}
	}
	if err := os.Remove(r.path(rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ceremony: removing %s: %w", rel, err)
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/trustroot/trustroot/root"
)

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

func cmdStage(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "stage", "[-C DIR] [-holders A,B,...] [-add NAME] [-remove NAME] [-replace OLD=NEW] [-threshold N] [-expires-days D] [-passphrase-fd N]")
	dir := repoFlag(f)
	var holders, add, remove, replace listFlag
	f.Var(&holders, "holders", "for version 1: the keyholders of the root role (default: everyone enrolled)")
	f.Var(&add, "add", "for a rotation: add keyholder `NAME` (repeatable, or comma-separated)")
	f.Var(&remove, "remove", "for a rotation: remove keyholder `NAME`")
	f.Var(&replace, "replace", "for a rotation: replace keyholder OLD by NEW (`OLD=NEW`)")
	thr := f.Int("threshold", 0, "root threshold, written to ceremony.json too (default: ceremony.json's)")
	days := f.Int("expires-days", 0, "expiry from now in days, at most ceremony.json's (default: ceremony.json's)")
	addSignerFlags(f, e, false)
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	r := openRepo(e, *dir)
	p, err := r.loadPolicy()
	if err != nil {
		return err
	}
	prev, err := r.published()
	if err != nil {
		return err
	}
	now := e.currentTime()
	if *days == 0 {
		*days = p.Root.ExpiresDays
	}
	if *days < 1 || *days > p.Root.ExpiresDays {
		return usageErr("-expires-days %d out of range 1..%d (%s's root expires_days)", *days, p.Root.ExpiresDays, policyFile)
	}
	expires := now.Add(time.Duration(*days) * 24 * time.Hour).UTC().Truncate(time.Second)

	var next *root.Root
	if prev == nil {
		if len(add)+len(remove)+len(replace) > 0 {
			return usageErr("-add, -remove and -replace edit a published root; nothing is published yet (use -holders)")
		}
		next, err = stageFirst(ctx, r, p, holders, *thr, expires)
	} else {
		if len(holders) > 0 {
			return usageErr("-holders is for version 1; use -add, -remove or -replace for a rotation")
		}
		if *thr == 0 {
			// ceremony.json's threshold, which a reviewed change to it
			// may have raised or lowered since the last root.
			*thr = p.Root.Threshold
		}
		next, err = stageNext(r, prev, add, remove, replace, *thr, expires)
	}
	if err != nil {
		return err
	}
	data, err := next.MarshalFile()
	if err != nil {
		return fmt.Errorf("ceremony: encoding the staged root: %w", err)
	}
	// ceremony.json says what the root should be; sign and publish compare
	// the staged root with it. A new threshold is a change of policy, made
	// here, visibly, in the same change as the staged root.
	rk, _ := next.Role(root.RoleRoot)
	if rk.Threshold != p.Root.Threshold {
		old := p.Root.Threshold
		p.Root.Threshold = rk.Threshold
		if err := r.writeJSON(policyFile, p); err != nil {
			return err
		}
		e.printf("Updated %s: root threshold %d -> %d.\n", policyFile, old, rk.Threshold)
	}
	// Signatures over an earlier staging are now stale: remove them
	// first, so that a crash cannot leave old signatures beside the new
	// root.
	stale := r.signatureHolders()
	if err := r.clearSignatures(); err != nil {
		return err
	}
	if err := e.writeFile(r.path(stagedRoot), data); err != nil {
		return err
	}
	e.printf("Staged root v%d in %s.\n", next.Version(), stagedRoot)
	if len(stale) > 0 {
		e.printf("Removed the signatures over the earlier staged root (%s): they must sign again.\n", strings.Join(stale, ", "))
	}
	printRootDiff(e.stdout, prev, next, r)
	ws := root.Lint(next, root.LintOptions{Now: now})
	if len(ws) == 0 {
		e.printf("Lint: no warnings.\n")
	}
	for _, w := range ws {
		e.printf("Lint warning [%s]: %s\n", w.Code, w.Message)
	}
	req := next.Requirements(prev)
	e.printf("Needs:")
	for i, q := range req {
		if i > 0 {
			e.printf(";")
		}
		e.printf(" %d of %d keys of %s", q.Threshold, len(q.Keys), q.Name)
	}
	e.printf(".\n")
	e.printf("Signing payload SHA-256: %s\n", payloadDigest(next))
	return nil
}

func (r *repo) clearSignatures() error {
	ents, err := r.readDir(r.path(signaturesDir))
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("ceremony: reading %s: %w", signaturesDir, err)
	}
	for _, ent := range ents {
		if err := r.e.removeFile(r.path(signaturesDir, ent.Name())); err != nil {
			return err
		}
	}
	return nil
}

// signatureHolders returns the keyholders with a signature file in
// staged/signatures, sorted, each once.
func (r *repo) signatureHolders() []string {
	ents, err := r.readDir(r.path(signaturesDir))
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, ent := range ents {
		if h := sigFileHolder(ent.Name()); h != "" && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

// holderKey builds the root key for an enrolled keyholder.
func holderKey(k *KeyFile) (root.Key, error) {
	key, err := root.NewKey(k.public(), root.KeyOptions{Holder: k.Holder, Serial: k.Serial})
	if err != nil {
		return root.Key{}, fmt.Errorf("ceremony: key of %s: %w", k.Holder, err)
	}
	return key, nil
}

func stageFirst(ctx context.Context, r *repo, p *Policy, holders []string, thr int, expires time.Time) (*root.Root, error) {
	var kfs []*KeyFile
	if len(holders) == 0 {
		all, err := r.loadKeys()
		if err != nil {
			return nil, err
		}
		kfs = all
	} else {
		for _, h := range holders {
			k, err := r.loadKey(h)
			if err != nil {
				return nil, err
			}
			kfs = append(kfs, k)
		}
	}
	if len(kfs) == 0 {
		return nil, fmt.Errorf("ceremony: no keyholder is enrolled (run enroll first)")
	}
	if thr == 0 {
		thr = p.Root.Threshold
	}
	pol := root.Policy{Roles: map[root.Role]root.RolePolicy{}, Expires: expires, ConsistentSnapshot: true}
	var keys []root.Key
	for _, k := range kfs {
		key, err := holderKey(k)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	pol.Roles[root.RoleRoot] = root.RolePolicy{Keys: keys, Threshold: thr}
	for _, role := range onlineRoles {
		o := p.Online[role]
		var okeys []root.Key
		for _, spec := range o.Signers {
			s, err := r.e.onlineSigner(ctx, spec)
			if err != nil {
				return nil, err
			}
			key, err := root.NewKey(s.Public(), root.KeyOptions{Holder: onlineHolder(p, spec)})
			if err != nil {
				return nil, fmt.Errorf("ceremony: online %s key: %w", role, err)
			}
			okeys = append(okeys, key)
		}
		pol.Roles[root.Role(role)] = root.RolePolicy{Keys: okeys, Threshold: o.Threshold}
	}
	next, err := root.New(pol)
	if err != nil {
		return nil, fmt.Errorf("ceremony: building root v1: %w", err)
	}
	return next, nil
}

func stageNext(r *repo, prev *root.Root, add, remove, replace []string, thr int, expires time.Time) (*root.Root, error) {
	var ch root.RoleChange
	rk, _ := prev.Role(root.RoleRoot)
	current := map[string]root.KeyID{} // holder -> key ID in prev's root role
	for _, k := range rk.Keys {
		if k.Holder() != "" {
			current[k.Holder()] = k.ID()
		}
	}
	removeHolder := func(h string) error {
		id, ok := current[h]
		if !ok {
			return fmt.Errorf("ceremony: %s holds no root key in v%d; nothing to remove", h, prev.Version())
		}
		ch.Remove = append(ch.Remove, id)
		delete(current, h)
		return nil
	}
	addHolder := func(h string) error {
		if _, ok := current[h]; ok {
			return fmt.Errorf("ceremony: %s already holds a root key in v%d", h, prev.Version())
		}
		k, err := r.loadKey(h)
		if err != nil {
			return err
		}
		key, err := holderKey(k)
		if err != nil {
			return err
		}
		ch.Add = append(ch.Add, key)
		current[h] = key.ID()
		return nil
	}
	for _, h := range remove {
		if err := removeHolder(h); err != nil {
			return nil, err
		}
	}
	for _, kv := range replace {
		old, nw, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usageErr("-replace %q is not OLD=NEW", kv)
		}
		if err := removeHolder(old); err != nil {
			return nil, err
		}
		if err := addHolder(nw); err != nil {
			return nil, err
		}
	}
	for _, h := range add {
		if err := addHolder(h); err != nil {
			return nil, err
		}
	}
	ch.Threshold = thr
	rot := root.Rotation{Expires: expires}
	if len(ch.Add)+len(ch.Remove) > 0 || ch.Threshold != 0 {
		rot.Roles = map[root.Role]root.RoleChange{root.RoleRoot: ch}
	}
	next, err := prev.Next(rot)
	if err != nil {
		return nil, fmt.Errorf("ceremony: building root v%d: %w", prev.Version()+1, err)
	}
	return next, nil
}

// describeKey names a key for people: holder, short fingerprint, serial.
func describeKey(k root.Key) string {
	s := k.Holder()
	if s == "" {
		s = "(no holder)"
	}
	s += " key " + fingerprintLabel(k.Fingerprint())
	if k.Serial() != "" {
		s += ", token " + k.Serial()
	}
	return s
}

// printRootDiff prints what next changes against prev, by key content
// (fingerprint), so that a key ID change alone does not look like a new
// key.
func printRootDiff(w io.Writer, prev, next *root.Root, r *repo) {
	if prev == nil {
		fmt.Fprintf(w, "New root v%d, expires %s, consistent snapshots %v:\n", next.Version(), formatTime(next.Expires()), next.ConsistentSnapshot())
		for _, role := range root.TopLevelRoles() {
			rk, _ := next.Role(role)
			keys, thr := rk.Keys, rk.Threshold
			fmt.Fprintf(w, "  %-9s %d of %d\n", role, thr, len(keys))
			for _, k := range keys {
				fmt.Fprintf(w, "    + %s\n", describeKey(k))
			}
		}
		return
	}
	fmt.Fprintf(w, "Changes from v%d to v%d:\n", prev.Version(), next.Version())
	fmt.Fprintf(w, "  version   %d -> %d\n", prev.Version(), next.Version())
	if !prev.Expires().Equal(next.Expires()) {
		fmt.Fprintf(w, "  expires   %s -> %s\n", formatTime(prev.Expires()), formatTime(next.Expires()))
	}
	for _, role := range root.TopLevelRoles() {
		prk, _ := prev.Role(role)
		nrk, _ := next.Role(role)
		pk, pt, nk, nt := prk.Keys, prk.Threshold, nrk.Keys, nrk.Threshold
		pm := map[string]root.Key{}
		for _, k := range pk {
			pm[k.Fingerprint()] = k
		}
		nm := map[string]root.Key{}
		for _, k := range nk {
			nm[k.Fingerprint()] = k
		}
		var lines []string
		for fp, k := range pm {
			if _, ok := nm[fp]; !ok {
				lines = append(lines, "    - "+describeKey(k))
			}
		}
		for fp, k := range nm {
			if o, ok := pm[fp]; !ok {
				lines = append(lines, "    + "+describeKey(k))
			} else if o.ID() != k.ID() {
				lines = append(lines, fmt.Sprintf("    ~ %s: key ID %s -> %s", describeKey(k), shortFP(string(o.ID())), shortFP(string(k.ID()))))
			}
		}
		sort.Strings(lines)
		if pt == nt && len(lines) == 0 {
			fmt.Fprintf(w, "  %-9s unchanged (%d of %d)\n", role, nt, len(nk))
			continue
		}
		fmt.Fprintf(w, "  %-9s threshold %d of %d -> %d of %d\n", role, pt, len(pk), nt, len(nk))
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
}

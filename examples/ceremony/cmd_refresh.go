package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
)

var daysRE = regexp.MustCompile(`^([0-9]{1,4})d$`)

// parseDays reads a duration given in days ("2d") or, for less than a
// day, in Go's form ("36h").
func parseDays(flagName, s string) (time.Duration, error) {
	if m := daysRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > 3660*24*time.Hour {
		return 0, usageErr("-%s %q: give a number of days such as 2d (or hours, 36h)", flagName, s)
	}
	return d, nil
}

// cmdRefresh is the scheduled job that keeps a repository alive: it
// re-signs timestamp, snapshot and targets with the online keys when they
// expire within the window, and does nothing otherwise.
func cmdRefresh(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "refresh", "[-C DIR] [-window 2d] [-passphrase-fd N]")
	dir := repoFlag(f)
	windowFlag := f.String("window", "2d", "re-sign the online metadata that expires within this `duration`, in days (2d) or hours (36h); run refresh more often than that")
	addSignerFlags(f, e, false)
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	window, err := parseDays("window", *windowFlag)
	if err != nil {
		return err
	}
	r := openRepo(e, *dir)
	p, rt, cur, err := r.onlineState()
	if err != nil {
		return err
	}
	if cur == nil {
		return fmt.Errorf("ceremony: repository/timestamp.json is missing: nothing is published to refresh (run publish)")
	}
	now := e.currentTime()
	limit := now.Add(window)
	due := func(t time.Time) bool { return !t.After(limit) }
	state := func(role string, v int64, exp time.Time) string {
		if !exp.After(now) {
			return fmt.Sprintf("%s v%d expired on %s", role, v, formatTime(exp))
		}
		return fmt.Sprintf("%s v%d expires on %s (in %s)", role, v, formatTime(exp), days(exp.Sub(now)))
	}
	// The root and the delegated roles are signed by people, not by this
	// job: say when they need them.
	if exp := rt.Expires(); due(exp) {
		e.printf("Warning: %s: its keyholders must sign a new root (ceremony expiry, ceremony stage).\n", state("root", rt.Version(), exp))
	}
	var delegated []string
	for n := range cur.delegated {
		delegated = append(delegated, n)
	}
	sort.Strings(delegated)
	for _, n := range delegated {
		if md := cur.delegated[n]; due(md.Expires()) {
			e.printf("Warning: %s: its keyholders must sign a new version (ceremony delegation target, sign, publish).\n", state("delegated role "+n, md.Version(), md.Expires()))
		}
	}
	tDue, sDue, tsDue := due(cur.targets.Expires()), due(cur.snapshot.Expires()), due(cur.timestamp.Expires())
	if !tDue && !sDue && !tsDue {
		e.printf("Nothing to re-sign (window %s): %s; %s; %s.\n", days(window), state("timestamp", cur.timestamp.Version(), cur.timestamp.Expires()),
			state("snapshot", cur.snapshot.Version(), cur.snapshot.Expires()), state("targets", cur.targets.Version(), cur.targets.Expires()))
		return nil
	}
	var why []string
	for _, c := range []struct {
		due  bool
		role string
		v    int64
		exp  time.Time
	}{{tDue, "targets", cur.targets.Version(), cur.targets.Expires()}, {sDue, "snapshot", cur.snapshot.Version(), cur.snapshot.Expires()}, {tsDue, "timestamp", cur.timestamp.Version(), cur.timestamp.Expires()}} {
		if c.due {
			why = append(why, state(c.role, c.v, c.exp))
		}
	}
	e.printf("Within the window of %s: %s.\n", days(window), strings.Join(why, "; "))
	var plan *onlinePlan
	switch {
	case tDue:
		// New targets, and so a new snapshot and timestamp.
		if plan, err = r.prepareRefresh(ctx, p, rt, now); err != nil {
			return err
		}
	case sDue:
		// The same targets under a new snapshot and timestamp.
		if plan, err = r.prepareOnline(ctx, p, rt, cur, onlineUpdate{}, now); err != nil {
			return err
		}
	default:
		if plan, err = r.prepareTimestamp(ctx, p, rt, cur, now); err != nil {
			return err
		}
	}
	if err := r.writeOnline(plan); err != nil {
		return err
	}
	after, err := r.loadOnline()
	if err != nil {
		return err
	}
	var did []string
	if tDue {
		did = append(did, fmt.Sprintf("targets v%d (expires %s)", after.targets.Version(), formatTime(after.targets.Expires())))
	}
	if tDue || sDue {
		did = append(did, fmt.Sprintf("snapshot v%d (expires %s)", after.snapshot.Version(), formatTime(after.snapshot.Expires())))
	}
	did = append(did, fmt.Sprintf("timestamp v%d (expires %s)", after.timestamp.Version(), formatTime(after.timestamp.Expires())))
	e.printf("Re-signed %s.\n", strings.Join(did, ", "))
	return nil
}

// prepareTimestamp signs a new timestamp for the published snapshot,
// writing nothing. If the snapshot file on disk is not byte for byte what
// a timestamp would name, it signs a new snapshot too.
func (r *repo) prepareTimestamp(ctx context.Context, p *Policy, rt *root.Root, cur *online, now time.Time) (*onlinePlan, error) {
	name := cur.snapshot.FileName()
	onDisk, err := r.read(r.path(repoDir, name), maxMetaFile)
	if err != nil {
		return nil, fmt.Errorf("ceremony: reading repository/%s: %w", name, err)
	}
	ts, err := repository.NewTimestamp(cur.timestamp.Version()+1, expiry(now, p.Online["timestamp"].ExpiresDays), cur.snapshot)
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	sum := sha256.Sum256(onDisk)
	if m := ts.Snapshot(); m.Length != int64(len(onDisk)) || m.Hashes["sha256"] != hex.EncodeToString(sum[:]) {
		return r.prepareOnline(ctx, p, rt, cur, onlineUpdate{}, now)
	}
	signers, err := onlineSigners(ctx, r.e, p, rt, "timestamp")
	if err != nil {
		return nil, err
	}
	if err := signOnline(ctx, r.e, ts, signers); err != nil {
		return nil, err
	}
	f, err := ts.File()
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	return &onlinePlan{files: []repository.File{f}}, nil
}

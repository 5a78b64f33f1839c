package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

func cmdPublish(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "publish", "[-C DIR] [-passphrase-fd N] [-allow-policy-departure]")
	dir := repoFlag(f)
	addSignerFlags(f, e, false)
	allow := departureFlag(f)
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	r := openRepo(e, *dir)
	p, err := r.loadPolicy()
	if err != nil {
		return err
	}
	now := e.currentTime()
	if done, err := r.resumePublish(ctx, p, now); done || err != nil {
		return err
	}
	s, err := r.mergeSignatures()
	if err != nil {
		return err
	}
	for _, w := range s.stale {
		e.printf("Ignoring %s\n", w)
	}
	if len(s.bad) > 0 {
		return fmt.Errorf("ceremony: refusing to publish: %d invalid signature file(s); remove them and sign again:\n  %s", len(s.bad), strings.Join(s.bad, "\n  "))
	}
	// The staged root is what ceremony.json says, with the online keys
	// the configured signers hold.
	departures, err := r.policyDepartures(p, s.st, s.prev, now)
	if err != nil {
		return err
	}
	online, err := r.onlineKeyDepartures(ctx, p, s.st)
	if err != nil {
		return err
	}
	if err := checkDepartures(e.stdout, "publish", append(departures, online...), *allow, root.Lint(s.st, root.LintOptions{Now: now})); err != nil {
		return err
	}
	opts := verify.Options{Now: now}
	var res *verify.ChainResult
	if s.prev == nil {
		res, err = verify.Root(s.st, opts)
	} else {
		res, err = verify.Rotation(s.prev, s.st, opts)
	}
	if err != nil {
		st := s.st.SigningStatus(s.prev)
		var need []string
		for _, q := range st.Requirements {
			if q.Needed > 0 {
				need = append(need, fmt.Sprintf("%d more of %s (missing: %s)", q.Needed, q.Name, holders(q.Missing)))
			}
		}
		if len(need) > 0 {
			return fmt.Errorf("ceremony: root v%d cannot be published yet: needs %s: %w", s.st.Version(), strings.Join(need, "; "), err)
		}
		return fmt.Errorf("ceremony: root v%d does not verify: %w", s.st.Version(), err)
	}
	for _, w := range res.Warnings {
		e.printf("Warning: %s\n", w.Message)
	}
	data, err := s.st.MarshalFile()
	if err != nil {
		return fmt.Errorf("ceremony: encoding root v%d: %w", s.st.Version(), err)
	}
	name := fmt.Sprintf("%d.root.json", s.st.Version())
	// Every online signature is made and checked before anything is
	// written.
	plan, err := r.prepareRefresh(ctx, p, s.st, now)
	if err != nil {
		return err
	}
	if s.prev == nil {
		// Version 1: the online metadata goes first; until 1.root.json
		// exists nothing is published, so a crash leaves the old
		// (empty) state.
		if err := r.writeOnline(plan); err != nil {
			return err
		}
		if err := e.writeFile(r.path(repoDir, name), data); err != nil {
			return err
		}
	} else {
		// Version N+1: the root first (the online keys carry over, so
		// the published timestamp stays valid), then fresh online
		// metadata signed under it.
		if err := e.writeFile(r.path(repoDir, name), data); err != nil {
			return err
		}
		if err := r.writeOnline(plan); err != nil {
			return fmt.Errorf("%w (root v%d is published; run publish again to finish)", err, s.st.Version())
		}
	}
	return r.finishPublish(s.st, data)
}

// publishOnline re-signs the online metadata under rt with fresh expiry
// dates: a new version of targets (the first one if there is none), a new
// snapshot and a new timestamp. Delegated roles belong to their own
// keyholders and are left as they are.
func (r *repo) publishOnline(ctx context.Context, p *Policy, rt *root.Root, now time.Time) error {
	plan, err := r.prepareRefresh(ctx, p, rt, now)
	if err != nil {
		return err
	}
	return r.writeOnline(plan)
}

// prepareRefresh signs the refreshed online metadata without writing it.
func (r *repo) prepareRefresh(ctx context.Context, p *Policy, rt *root.Root, now time.Time) (*onlinePlan, error) {
	cur, err := r.loadOnline()
	if err != nil {
		return nil, err
	}
	t, err := newTargetsVersion(p, cur, now)
	if err != nil {
		return nil, err
	}
	ts, err := onlineSigners(ctx, r.e, p, rt, "targets")
	if err != nil {
		return nil, err
	}
	if err := signOnline(ctx, r.e, t, ts); err != nil {
		return nil, err
	}
	return r.prepareOnline(ctx, p, rt, cur, onlineUpdate{targets: t}, now)
}

// finishPublish writes root.json, clears the staging area and announces
// the digest.
func (r *repo) finishPublish(rt *root.Root, data []byte) error {
	if err := r.e.writeFile(r.path(repoDir, "root.json"), data); err != nil {
		return err
	}
	if err := r.clearSignatures(); err != nil {
		return err
	}
	if err := r.e.removeFile(r.path(stagedRoot)); err != nil {
		return err
	}
	digest, err := rt.Digest()
	if err != nil {
		return fmt.Errorf("ceremony: digest of root v%d: %w", rt.Version(), err)
	}
	r.e.printf("Published repository/%d.root.json (expires %s).\n", rt.Version(), formatTime(rt.Expires()))
	r.e.printf("Root v%d SHA-256: %s\n", rt.Version(), digest)
	return nil
}

// resumePublish finishes a publish that stopped after N.root.json was
// written: the staged root is the latest published one.
func (r *repo) resumePublish(ctx context.Context, p *Policy, now time.Time) (bool, error) {
	if _, err := os.Lstat(r.path(stagedRoot)); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	st, _, err := loadRootFile(r.dir, r.path(stagedRoot))
	if err != nil {
		return false, err
	}
	pub, pubData, err := r.latestRootData()
	if err != nil || pub.Version() != st.Version() {
		return false, nil
	}
	if !bytes.Equal(pub.SigningPayload(), st.SigningPayload()) {
		return false, fmt.Errorf("ceremony: %s is version %d, but a different root v%d is already published; stage again", stagedRoot, st.Version(), pub.Version())
	}
	r.e.printf("Root v%d is already published; finishing the interrupted publish.\n", pub.Version())
	if err := r.publishOnline(ctx, p, pub, now); err != nil {
		return true, err
	}
	return true, r.finishPublish(pub, pubData)
}

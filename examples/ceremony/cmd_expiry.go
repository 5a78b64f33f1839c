package main

import (
	"context"
	"fmt"
)

// cmdExpiry is the root expiry reminder for a scheduled job, like
// tuf-on-ci's signing period: it exits non-zero when the newest root
// expires within its signing period, so the job can open a signing event.
func cmdExpiry(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "expiry", "[-C DIR] [-signing-period 30d]")
	dir := repoFlag(f)
	periodFlag := f.String("signing-period", "30d", "how long before the root expires its keyholders need to sign the next one, in `days` (30d)")
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	period, err := parseDays("signing-period", *periodFlag)
	if err != nil {
		return err
	}
	r := openRepo(e, *dir)
	if _, err := r.loadPolicy(); err != nil {
		return err
	}
	rt, _, err := r.latestRootData()
	if err != nil {
		return err
	}
	now := e.currentTime()
	exp := rt.Expires()
	start := exp.Add(-period)
	staged := ""
	if st, prev, err := r.staged(); err == nil && prev != nil && prev.Version() == rt.Version() {
		s, err := r.mergeSignatures()
		if err == nil {
			status := s.st.SigningStatus(s.prev)
			need := 0
			for _, q := range status.Requirements {
				need += q.Needed
			}
			staged = fmt.Sprintf(" Root v%d is staged; it needs %d more %s.", st.Version(), need, plural(need, "signature", "signatures"))
		}
	}
	switch {
	case !exp.After(now):
		e.printf("Root v%d expired on %s: no client trusts this repository until its keyholders publish root v%d.%s\n", rt.Version(), formatTime(exp), rt.Version()+1, staged)
		return errSilent
	case !start.After(now):
		e.printf("Root v%d expires on %s, in %s: within its signing period of %s. Time for a signing event: stage root v%d and gather the keyholders' signatures.%s\n",
			rt.Version(), formatTime(exp), days(exp.Sub(now)), days(period), rt.Version()+1, staged)
		return errSilent
	}
	e.printf("Root v%d expires on %s, in %s; its signing period of %s starts on %s.%s\n", rt.Version(), formatTime(exp), days(exp.Sub(now)), days(period), formatDate(start), staged)
	return nil
}

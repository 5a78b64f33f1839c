package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
)

func cmdSign(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "sign", "-holder NAME -token piv|fake [-C DIR] [-pin-fd N] [-serial S] [-force-last-pin-try] [-resign] [-allow-policy-departure]")
	dir := repoFlag(f)
	holder := f.String("holder", "", "the keyholder signing (required)")
	tok := tokenFlags(f)
	pinFD := f.Int("pin-fd", -1, "read the PIN from this inherited file `descriptor` instead of prompting")
	resign := f.Bool("resign", false, "sign again even if the holder has already signed this staged root")
	allow := departureFlag(f)
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	if *holder == "" {
		return usageErr("-holder is required")
	}
	if err := tok.check(); err != nil {
		return err
	}
	r := openRepo(e, *dir)
	p, err := r.loadPolicy()
	if err != nil {
		return err
	}
	kf, err := r.loadKey(*holder)
	if err != nil {
		return err
	}
	st, prev, err := r.staged()
	if err != nil {
		return err
	}
	// Find the key IDs the holder's key has in the staged and the previous
	// root, by key content.
	fp := kf.Fingerprint
	ids := keyIDsFor(st, prev, fp)
	if len(ids) == 0 {
		return fmt.Errorf("ceremony: %s's key %s is not a root key of staged v%d%s; nothing for %s to sign", kf.Holder, shortFP(fp), st.Version(), prevNote(prev), kf.Holder)
	}
	payload := st.SigningPayload()
	sum := sha256.Sum256(payload)
	digest := hex.EncodeToString(sum[:])
	if !*resign {
		if done, file := alreadySigned(r, st, prev, kf.Holder, ids, digest); done {
			return fmt.Errorf("ceremony: %s has already signed staged root v%d (%s); nothing written (use -resign to sign again)", kf.Holder, st.Version(), file)
		}
	}
	// What is about to be signed, checked against ceremony.json and shown
	// to the keyholder before the token asks for a PIN.
	now := e.currentTime()
	departures, err := r.policyDepartures(p, st, prev, now)
	if err != nil {
		return err
	}
	if err := checkDepartures(e.stdout, "sign", departures, *allow, root.Lint(st, root.LintOptions{Now: now})); err != nil {
		return err
	}
	describeStaged(e.stdout, r, p, st, prev, now)
	// Open the token and check that it holds the enrolled key before any
	// PIN is asked for.
	what := "PIN of " + kf.Holder + "'s token"
	if tok.kind == "fake" {
		what = "PIN of " + kf.Holder + "'s token (the " + fakePINNote + ")"
	}
	s, closeTok, err := tok.open(ctx, e, kf, pinSource(e, *pinFD, what))
	if err != nil {
		return err
	}
	defer closeTok()
	if got := fingerprint(s.Public()); got != fp {
		return fmt.Errorf("ceremony: %w: the token holds key %s, but %s enrolled key %s; plug in %s's token (serial %s)", signer.ErrWrongKey, shortFP(got), kf.Holder, shortFP(fp), kf.Holder, kf.Serial)
	}
	e.printf("Signing root v%d as %s (key %s, token %s, %d key ID(s)); touch the token if it blinks.\n", st.Version(), kf.Holder, fingerprintLabel(fp), kf.Serial, len(ids))
	sigs, err := st.Sign(ctx, s, prev)
	if err != nil {
		return fmt.Errorf("ceremony: signing as %s: %w", kf.Holder, err)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("ceremony: signing as %s produced no signature", kf.Holder)
	}
	// The holder's earlier files for these key IDs (a -resign, or a
	// staging signed before) give way to the new ones, which are written
	// first.
	old, err := r.loadSignatures()
	if err != nil {
		return err
	}
	var written []string
	for _, sig := range sigs {
		rel := sigFileName(kf.Holder, sig.KeyID, sig.Value)
		sf := SigFile{Holder: kf.Holder, KeyID: string(sig.KeyID), Sig: hex.EncodeToString(sig.Value), RootVersion: st.Version(), PayloadSHA256: digest}
		if err := r.writeJSON(rel, sf); err != nil {
			return err
		}
		written = append(written, rel)
		e.printf("Wrote %s.\n", rel)
	}
	for _, se := range old {
		if se.f.Holder == kf.Holder && slices.Contains(ids, se.sig.KeyID) && !slices.Contains(written, se.rel) {
			if err := e.removeFile(r.path(se.rel)); err != nil {
				return err
			}
		}
	}
	return nil
}

func prevNote(prev *root.Root) string {
	if prev == nil {
		return ""
	}
	return fmt.Sprintf(" nor of v%d", prev.Version())
}

// keyIDsFor returns the root-role key IDs whose key has fingerprint fp in
// st and prev, without duplicates.
func keyIDsFor(st, prev *root.Root, fp string) []root.KeyID {
	var ids []root.KeyID
	seen := map[root.KeyID]bool{}
	for _, rt := range []*root.Root{st, prev} {
		if rt == nil {
			continue
		}
		rk, _ := rt.Role(root.RoleRoot)
		for _, k := range rk.Keys {
			id := k.ID()
			if k.Fingerprint() == fp && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// alreadySigned reports whether every key ID of the holder already has a
// valid signature file over this exact staged root, and names one.
func alreadySigned(r *repo, st, prev *root.Root, holder string, ids []root.KeyID, digest string) (bool, string) {
	sigs, err := r.loadSignatures()
	if err != nil {
		return false, ""
	}
	var file string
	for _, id := range ids {
		found := false
		for _, se := range sigs {
			if se.f.Holder != holder || se.sig.KeyID != id || se.f.PayloadSHA256 != digest {
				continue
			}
			k, ok := st.Key(id)
			if !ok && prev != nil {
				k, ok = prev.Key(id)
			}
			if ok && k.Verify(st.SigningPayload(), se.sig.Value) == nil {
				found, file = true, se.rel
				break
			}
		}
		if !found {
			return false, ""
		}
	}
	return true, file
}

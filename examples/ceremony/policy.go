package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/trustroot/trustroot/root"
)

// expirySlack is how much later than ceremony.json's root expiry period a
// staged root may expire, for clocks that differ between the machine that
// staged it and the one that checks it.
const expirySlack = 24 * time.Hour

// policyDepartures compares a staged root with ceremony.json and the
// enrolled keys: the root threshold, the expiry bounds, consistent
// snapshots, every root key enrolled, and the online roles' thresholds and
// keys (by annotation; publish compares the keys themselves, see
// onlineKeyDepartures). It returns one line per departure. A staged root
// edited by hand after stage (a lower threshold, a later expiry, another
// key) departs.
func (r *repo) policyDepartures(p *Policy, st, prev *root.Root, now time.Time) ([]string, error) {
	var out []string
	rk, _ := st.Role(root.RoleRoot)
	if rk.Threshold != p.Root.Threshold {
		out = append(out, fmt.Sprintf("the root threshold is %d, %s says %d", rk.Threshold, policyFile, p.Root.Threshold))
	}
	latest := now.Add(time.Duration(p.Root.ExpiresDays)*24*time.Hour + expirySlack)
	switch exp := st.Expires(); {
	case !exp.After(now):
		out = append(out, fmt.Sprintf("it expired on %s", formatTime(exp)))
	case exp.After(latest):
		out = append(out, fmt.Sprintf("it expires on %s, %s after now; %s allows %d days", formatTime(exp), days(exp.Sub(now)), policyFile, p.Root.ExpiresDays))
	}
	if !st.ConsistentSnapshot() {
		out = append(out, "consistent snapshots are off; the repository this tool publishes needs them")
	}
	keys, err := r.loadKeys()
	if err != nil {
		return nil, err
	}
	enrolled := map[string]string{}
	for _, k := range keys {
		enrolled[k.Fingerprint] = k.Holder
	}
	for _, k := range rk.Keys {
		if _, ok := enrolled[k.Fingerprint()]; !ok {
			out = append(out, fmt.Sprintf("root key %s (%s) is not enrolled in %s/", prefix(string(k.ID()), shortIDLen), holderName(k), keysDir))
		}
	}
	for _, role := range onlineRoles {
		o := p.Online[role]
		ork, _ := st.Role(root.Role(role))
		if ork.Threshold != o.Threshold {
			out = append(out, fmt.Sprintf("the %s threshold is %d, %s says %d", role, ork.Threshold, policyFile, o.Threshold))
		}
		want := map[string]bool{}
		for _, s := range o.Signers {
			want[onlineHolder(p, s)] = true
		}
		fps := map[string]bool{}
		for _, k := range ork.Keys {
			fps[k.Fingerprint()] = true
			if !want[k.Holder()] {
				out = append(out, fmt.Sprintf("the %s role lists key %s (%s), which is none of %s's %s signers", role, prefix(string(k.ID()), shortIDLen), holderName(k), policyFile, role))
			}
		}
		if len(fps) != len(o.Signers) {
			out = append(out, fmt.Sprintf("the %s role has %d keys, %s names %d signers", role, len(fps), policyFile, len(o.Signers)))
		}
		if prev != nil {
			prk, _ := prev.Role(root.Role(role))
			if !sameFingerprints(prk.Keys, ork.Keys) {
				out = append(out, fmt.Sprintf("the %s keys differ from root v%d's, and stage never changes them", role, prev.Version()))
			}
		}
	}
	return out, nil
}

// onlineKeyDepartures compares the online roles' keys in rt with the keys
// of the signers ceremony.json names, opened: publish can open them, the
// keyholders who sign cannot.
func (r *repo) onlineKeyDepartures(ctx context.Context, p *Policy, rt *root.Root) ([]string, error) {
	var out []string
	for _, role := range onlineRoles {
		var want []root.Key
		for _, spec := range p.Online[role].Signers {
			s, err := r.e.onlineSigner(ctx, spec)
			if err != nil {
				return nil, err
			}
			k, err := root.NewKey(s.Public(), root.KeyOptions{})
			if err != nil {
				return nil, fmt.Errorf("ceremony: online %s key: %w", role, err)
			}
			want = append(want, k)
		}
		rk, _ := rt.Role(root.Role(role))
		if !sameFingerprints(want, rk.Keys) {
			out = append(out, fmt.Sprintf("the %s role's keys are not the keys of %s's %s signers", role, policyFile, role))
		}
	}
	return out, nil
}

// onlineHolder is the keyholder annotation stage gives an online key: the
// roles its signer signs and the signer. One key listed for several roles
// is one key object with one key ID, so it gets one annotation.
func onlineHolder(p *Policy, spec string) string {
	var roles []string
	for _, role := range onlineRoles {
		if slices.Contains(p.Online[role].Signers, spec) {
			roles = append(roles, role)
		}
	}
	return "online " + strings.Join(roles, ", ") + " (" + redactURI(spec) + ")"
}

func sameFingerprints(a, b []root.Key) bool {
	fa, fb := map[string]bool{}, map[string]bool{}
	for _, k := range a {
		fa[k.Fingerprint()] = true
	}
	for _, k := range b {
		fb[k.Fingerprint()] = true
	}
	if len(fa) != len(fb) {
		return false
	}
	for fp := range fa {
		if !fb[fp] {
			return false
		}
	}
	return true
}

// holderName is a key's holder annotation, or "no holder".
func holderName(k root.Key) string {
	if h := k.Holder(); h != "" {
		return h
	}
	return "no holder"
}

// departureFlag adds the override to a command that checks the staged
// root against ceremony.json.
func departureFlag(f *flag.FlagSet) *bool {
	return f.Bool("allow-policy-departure", false, "sign or publish a staged root that departs from ceremony.json (the departures are printed)")
}

// checkDepartures prints Lint's warnings and refuses departures from the
// policy unless allow is set, in which case it says so.
func checkDepartures(w io.Writer, what string, departures []string, allow bool, lint []root.Warning) error {
	for _, l := range lint {
		fmt.Fprintf(w, "Lint warning [%s]: %s\n", l.Code, l.Message)
	}
	if len(departures) == 0 {
		return nil
	}
	list := "  - " + strings.Join(departures, "\n  - ")
	if !allow {
		return fmt.Errorf("ceremony: refusing to %s: the staged root departs from %s (was it edited after stage?):\n%s\nStage it again, or pass -allow-policy-departure if the departure is intended", what, policyFile, list)
	}
	fmt.Fprintf(w, "WARNING: %s despite %d departure(s) from %s (-allow-policy-departure):\n%s\n", strings.ToUpper(what[:1])+what[1:]+"ing", len(departures), policyFile, list)
	return nil
}

// payloadDigest is the hex SHA-256 of a root's signing payload: what every
// keyholder signs, and what attendees compare aloud.
func payloadDigest(r *root.Root) string {
	sum := sha256.Sum256(r.SigningPayload())
	return hex.EncodeToString(sum[:])
}

// days writes a duration in whole days ("1 day", "12 days"); under a day
// it says "less than a day".
func days(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	switch {
	case d < 0:
		return "-" + days(-d)
	case n == 0:
		return "less than a day"
	case n == 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// describeStaged tells a keyholder what they are about to sign: version,
// payload SHA-256, thresholds, expiry, and what changes from the previous
// root, by keyholder name.
func describeStaged(w io.Writer, r *repo, p *Policy, st, prev *root.Root, now time.Time) {
	fmt.Fprintf(w, "You are signing root v%d of %q:\n", st.Version(), p.Name)
	fmt.Fprintf(w, "  signing payload SHA-256  %s\n", payloadDigest(st))
	fmt.Fprintf(w, "  expires                  %s (in %s)\n", formatTime(st.Expires()), days(st.Expires().Sub(now)))
	var needs []string
	for _, q := range st.Requirements(prev) {
		needs = append(needs, fmt.Sprintf("%d of %d keys of %s", q.Threshold, distinctKeys(q.Keys), q.Name))
	}
	fmt.Fprintf(w, "  needs                    %s\n", strings.Join(needs, "; "))
	printRootDiff(w, prev, st, r)
}

func distinctKeys(ks []root.Key) int {
	var fps []string
	for _, k := range ks {
		if !slices.Contains(fps, k.Fingerprint()) {
			fps = append(fps, k.Fingerprint())
		}
	}
	return len(fps)
}

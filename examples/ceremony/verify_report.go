package main

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trustroot/trustroot/root"
)

// This file is the part of verify's report that people read: every
// version's thresholds with every signer, keys named the same way across
// the chain, repeated warnings merged, and weak policies flagged.

// addSteps records every root of the chain up to lastVerified as a
// verified step (each threshold with every signer, as "ok" lines for
// people and as Steps for -json), then the root after it, if there is one,
// as the step that failed. Keys are labelled from the verified roots only:
// a root that failed verification names nothing. It returns the verified
// roots.
func (rep *verifyReport) addSteps(trusted *root.Root, next [][]byte, lastVerified int64) []*root.Root {
	roots := []*root.Root{trusted}
	var failed *root.Root
	for _, data := range next {
		r, err := root.Parse(data)
		if err != nil {
			break
		}
		if r.Version() > lastVerified {
			failed = r
			break
		}
		roots = append(roots, r)
	}
	if trusted.Version() > lastVerified {
		roots, failed = nil, trusted
	}
	labels := newKeyLabels(roots, rep.enrolled)
	for i, r := range roots {
		var prev *root.Root
		if i > 0 {
			prev = roots[i-1]
		}
		v := viewVersion(r, prev, labels)
		v.Verified = true
		rep.Steps = append(rep.Steps, v)
		rep.Checks = append(rep.Checks, describeStep(v))
	}
	if failed != nil {
		var prev *root.Root
		if n := len(roots); n > 0 && roots[n-1].Version() == failed.Version()-1 {
			prev = roots[n-1]
		}
		rep.Steps = append(rep.Steps, viewVersion(failed, prev, labels))
	}
	rep.Policy = append(rep.Policy, policyFindings(roots, rep.wallClock)...)
	for _, f := range rep.Policy {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("root %s: %s", versionRanges(f.Versions), f.Message))
	}
	return roots
}

// describeStep is one verified version in words, for instance
// "root v2: needs 3 of v1's 5 keys: signed by alice, bob, carol; not by
// dave, erin. needs 3 of its 5 keys: ...".
func describeStep(v versionView) string {
	var parts []string
	for _, t := range titledThresholds(v) {
		parts = append(parts, describeThreshold(t.thresholdView, t.title))
	}
	return fmt.Sprintf("root v%d: %s", v.Version, strings.Join(parts, ". "))
}

func describeThreshold(t thresholdView, need string) string {
	s := "needs " + need + ": signed by " + strings.Join(t.names(resultSigned), ", ")
	if bad := t.names(resultInvalid); len(bad) > 0 {
		s += "; invalid signature from " + strings.Join(bad, ", ")
	}
	if miss := t.names(resultMissing); len(miss) > 0 {
		s += "; not by " + strings.Join(miss, ", ")
	}
	return s
}

// keyIDWarnings lists the key IDs of roots that are not the SHA-256 of
// their key object, as the chain result's warnings do.
func keyIDWarnings(roots []*root.Root) []string {
	var out []string
	for _, r := range roots {
		for _, k := range r.Keys() {
			if !k.IDMatchesContent() {
				out = append(out, fmt.Sprintf("root v%d: key ID %s is not the SHA-256 of its key object", r.Version(), k.ID()))
			}
		}
	}
	return out
}

var versionPrefix = regexp.MustCompile(`^root v([0-9]+): `)

// mergeWarnings drops repeated warnings and merges those that differ only
// in their "root vN: " prefix into one that names every version, such as
// "root v5-v8: key ID ... is not the SHA-256 of its key object". The
// first occurrence keeps its place.
func mergeWarnings(ws []string) []string {
	out := []string{}
	versions := map[string][]int64{}
	var order []string
	for _, w := range ws {
		m := versionPrefix.FindStringSubmatch(w)
		if m == nil {
			if _, seen := versions["\x00"+w]; !seen {
				versions["\x00"+w] = nil
				order = append(order, "\x00"+w)
			}
			continue
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		rest := w[len(m[0]):]
		if err != nil {
			rest = w
		}
		if _, seen := versions[rest]; !seen {
			order = append(order, rest)
		}
		if err == nil {
			versions[rest] = append(versions[rest], v)
		}
	}
	for _, key := range order {
		if strings.HasPrefix(key, "\x00") {
			out = append(out, key[1:])
			continue
		}
		if vs := versions[key]; len(vs) > 0 {
			out = append(out, "root "+versionRanges(vs)+": "+key)
		} else {
			out = append(out, key)
		}
	}
	return out
}

// Codes of weak-policy findings. The threshold and expiry codes are
// root.Lint's; a root that one key can replace has no Lint code.
const (
	policySingleKey = "single-key-root"
)

// maxRootLifetime is how long after its signing a root may stay valid
// before verify calls its expiry far beyond the signing period: a year,
// as root.Lint's default MaxExpiry.
const maxRootLifetime = 366 * 24 * time.Hour

// policyFinding is a weak policy of one or more root versions.
type policyFinding struct {
	// Code is single-key-root, threshold-not-majority or expiry-too-far.
	Code     string  `json:"code"`
	Versions []int64 `json:"versions"`
	Message  string  `json:"message"`
}

// policyFindings flags, in the verified roots (oldest first), root roles
// that one key can sign for alone, thresholds that are not a majority of
// their keys, and roots that stay valid for much longer than a root is
// used. A root's signing time is not recorded, but a root was signed
// before any later root of the chain expired (nobody signs an expired
// root), and the final root before wallClock; so its lifetime is at least
// its expiry minus the earliest of those, and that lower bound is what is
// compared with maxRootLifetime.
func policyFindings(roots []*root.Root, wallClock time.Time) []policyFinding {
	byMsg := map[string]*policyFinding{}
	var order, late, bounds []string
	var lateVs []int64
	add := func(code, msg string, v int64) {
		f, ok := byMsg[code+msg]
		if !ok {
			f = &policyFinding{Code: code, Message: msg}
			byMsg[code+msg] = f
			order = append(order, code+msg)
		}
		f.Versions = append(f.Versions, v)
	}
	for i, r := range roots {
		keys, thr := rootRoleKeys(r)
		distinct := map[string]bool{}
		for _, k := range keys {
			distinct[k.Fingerprint()] = true
		}
		n := len(distinct)
		switch {
		case thr == 1:
			add(policySingleKey, fmt.Sprintf("threshold 1 of %d: one root key alone can sign the next root", n), r.Version())
		case thr >= 1 && 2*thr <= n:
			add(root.LintThresholdNotMajority, fmt.Sprintf("threshold %d of %d is not a majority: two groups of keyholders could each sign a different next root", thr, n), r.Version())
		}
		// The latest this root can have been signed.
		signedBy, why := wallClock, "today"
		for _, later := range roots[i+1:] {
			if later.Expires().Before(signedBy) {
				signedBy, why = later.Expires(), fmt.Sprintf("v%d expired on %s", later.Version(), formatDate(later.Expires()))
			}
		}
		if life := r.Expires().Sub(signedBy); !signedBy.IsZero() && life > maxRootLifetime {
			late = append(late, fmt.Sprintf("v%d until %s (at least %s)", r.Version(), formatDate(r.Expires()), describeDuration(life)))
			lateVs = append(lateVs, r.Version())
			if !slices.Contains(bounds, why) {
				bounds = append(bounds, why)
			}
		}
	}
	if len(late) > 0 {
		order = append(order, "late")
		byMsg["late"] = &policyFinding{Code: root.LintExpiresLate, Versions: lateVs,
			Message: fmt.Sprintf("expiry far beyond the signing period: valid more than a year after it was signed, so a client left on it trusts it that long: %s; signed before %s", strings.Join(late, ", "), strings.Join(bounds, ", "))}
	}
	out := make([]policyFinding, 0, len(order))
	for _, k := range order {
		f := byMsg[k]
		sort.Slice(f.Versions, func(i, j int) bool { return f.Versions[i] < f.Versions[j] })
		out = append(out, *f)
	}
	return out
}

// describeDuration writes a long duration in years or days.
func describeDuration(d time.Duration) string {
	days := int(d.Hours() / 24)
	if days >= 2*365 {
		return fmt.Sprintf("%.1f years", float64(days)/365.25)
	}
	return fmt.Sprintf("%d days", days)
}

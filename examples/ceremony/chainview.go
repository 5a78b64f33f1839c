package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trustroot/trustroot/root"
)

// This file is what verify's report and the chain diagram share: one
// label per key for a whole chain, and each version's thresholds with
// every signer. The two library calls it makes (the root role's keys and
// a root's signing status) are wrapped here, so that a change of the
// library's API touches one place.

// rootRoleKeys returns the keys of r's root role, in listed order, and its
// threshold.
func rootRoleKeys(r *root.Root) ([]root.Key, int) {
	rk, _ := r.Role(root.RoleRoot)
	return rk.Keys, rk.Threshold
}

// signingStatus checks every signature of r against its own root role
// and, when prev is not nil, against prev's.
func signingStatus(r, prev *root.Root) *root.SigningStatus {
	return r.SigningStatus(prev)
}

// keyLabels names the keys of one chain the same way in every version. A
// key is named by the newest keyholder annotation any root of the chain
// gives it, wherever it appears; a key no root names is shown by its TUF
// key ID (as listed in the newest root that lists it), shortened.
// Thresholds count keys by content, so labels are keyed by fingerprint.
type keyLabels struct {
	names  map[string]string // fingerprint -> holder name
	ids    map[string]string // fingerprint -> key ID
	labels map[string]string // fingerprint -> label, built by finish
}

// newKeyLabels labels the root keys of roots (oldest first) and, as a
// fallback for keys no root names, the enrolled keys of a ceremony
// repository (fingerprint -> keyholder).
func newKeyLabels(roots []*root.Root, enrolled map[string]string) *keyLabels {
	l := &keyLabels{names: map[string]string{}, ids: map[string]string{}}
	sorted := append([]*root.Root(nil), roots...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Version() < sorted[j].Version() })
	for _, r := range sorted {
		if r == nil {
			continue
		}
		keys, _ := rootRoleKeys(r)
		seen := map[string]bool{}
		for _, k := range keys {
			fp := k.Fingerprint()
			if !seen[fp] {
				// The first ID the newest root lists the key under.
				seen[fp] = true
				l.ids[fp] = string(k.ID())
			}
			if h := k.Holder(); h != "" {
				l.names[fp] = h
			}
		}
	}
	for fp, h := range enrolled {
		if _, ok := l.ids[fp]; ok && l.names[fp] == "" && h != "" {
			l.names[fp] = h
		}
	}
	l.finish()
	return l
}

// shortIDLen is how many hex digits of a key ID a label shows, unless two
// keys of the chain share that prefix.
const shortIDLen = 8

func (l *keyLabels) finish() {
	l.labels = map[string]string{}
	// Key IDs short enough to read, long enough to be distinct.
	n := shortIDLen
	for ; n < 64; n *= 2 {
		seen := map[string]bool{}
		clash := false
		for _, id := range l.ids {
			p := prefix(id, n)
			clash = clash || seen[p]
			seen[p] = true
		}
		if !clash {
			break
		}
	}
	byName := map[string]int{}
	for fp := range l.ids {
		if h := l.names[fp]; h != "" {
			byName[h]++
		}
	}
	for fp, id := range l.ids {
		h := l.names[fp]
		switch {
		case h == "":
			l.labels[fp] = "key ID " + prefix(id, n)
		case byName[h] > 1:
			// One name on two keys: say which key.
			l.labels[fp] = h + " (key ID " + prefix(id, n) + ")"
		default:
			l.labels[fp] = h
		}
	}
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// label returns the key's label; a key the chain does not list is shown
// by its fingerprint, marked as one.
func (l *keyLabels) label(fp string) string {
	if s, ok := l.labels[fp]; ok {
		return s
	}
	return fingerprintLabel(fp)
}

// fingerprintLabel marks a key fingerprint (the SHA-256 of the PKIX public
// key, this tool's identity for a key) so it is not read as a TUF key ID.
func fingerprintLabel(fp string) string { return "fingerprint " + shortFP(fp) }

// signerResult is what one key did for one threshold.
type signerResult string

const (
	resultSigned  signerResult = "signed"
	resultInvalid signerResult = "invalid"
	resultMissing signerResult = "missing"
)

// keyView is one distinct key of a threshold.
type keyView struct {
	Name        string       `json:"name"`
	KeyID       string       `json:"keyid"`
	Fingerprint string       `json:"fingerprint"`
	Result      signerResult `json:"result"`
	Reason      string       `json:"reason,omitempty"`
}

// thresholdView is one threshold a root version must meet, with every key
// that counts for it.
type thresholdView struct {
	// Name says whose keys count, e.g. "root v3 (previous)".
	Name string `json:"name"`
	// KeysOf is the version whose root role this is.
	KeysOf int64 `json:"keys_of"`
	// Previous is set for the previous root's threshold of a rotation.
	Previous  bool      `json:"previous"`
	Threshold int       `json:"threshold"`
	Keys      int       `json:"keys"`
	Met       bool      `json:"met"`
	Needed    int       `json:"needed"`
	Signers   []keyView `json:"signers"`
}

// versionView is one root version: its thresholds and every signer.
type versionView struct {
	Version int64     `json:"version"`
	Expires time.Time `json:"expires"`
	Staged  bool      `json:"staged,omitempty"`
	// Verified is set (in verify's report) for a version whose
	// signatures verified as a step of the chain.
	Verified   bool            `json:"verified"`
	Thresholds []thresholdView `json:"thresholds"`
	Problems   []string        `json:"problems,omitempty"`
}

// viewVersion checks every signature of r (against prev's root role too,
// when prev is not nil) and labels the keys with l.
func viewVersion(r, prev *root.Root, l *keyLabels) versionView {
	st := signingStatus(r, prev)
	v := versionView{Version: r.Version(), Expires: r.Expires().UTC(), Problems: st.Problems}
	for _, q := range st.Requirements {
		t := thresholdView{Name: q.Name, KeysOf: q.Version, Previous: prev != nil && q.Version == prev.Version() && q.Version != r.Version(),
			Threshold: q.Threshold, Keys: len(q.Signed) + len(q.Invalid) + len(q.Missing), Needed: q.Needed, Met: q.Needed == 0 && q.Threshold >= 1}
		add := func(ks []root.KeyStatus, res signerResult) {
			for _, k := range ks {
				id := ""
				if len(k.KeyIDs) > 0 {
					id = string(k.KeyIDs[0])
				}
				t.Signers = append(t.Signers, keyView{Name: l.label(k.Fingerprint), KeyID: id, Fingerprint: k.Fingerprint, Result: res, Reason: k.Reason})
			}
		}
		add(q.Signed, resultSigned)
		add(q.Invalid, resultInvalid)
		add(q.Missing, resultMissing)
		v.Thresholds = append(v.Thresholds, t)
	}
	return v
}

// names lists the labels of t's keys with the given result.
func (t thresholdView) names(res signerResult) []string {
	var out []string
	for _, k := range t.Signers {
		if k.Result == res {
			out = append(out, k.Name)
		}
	}
	return out
}

// titledThreshold is a threshold with the words that introduce it.
type titledThreshold struct {
	thresholdView
	title string
}

// titledThresholds returns v's thresholds titled for people: "3 of v1's 5
// keys" and "3 of its 5 keys", or one "3 of 5 keys (v1's and its own)"
// when a rotation kept the keys, the threshold and so every result.
func titledThresholds(v versionView) []titledThreshold {
	ths := v.Thresholds
	keys := func(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "key", "keys")) }
	if len(ths) == 2 && sameKeys(ths[0], ths[1]) {
		t := ths[1]
		return []titledThreshold{{t, fmt.Sprintf("%d of %s (v%d's and its own)", t.Threshold, keys(t.Keys), ths[0].KeysOf)}}
	}
	var out []titledThreshold
	for _, t := range ths {
		who := "its " + keys(t.Keys)
		if t.Previous {
			who = fmt.Sprintf("v%d's %s", t.KeysOf, keys(t.Keys))
		}
		out = append(out, titledThreshold{t, fmt.Sprintf("%d of %s", t.Threshold, who)})
	}
	return out
}

// sameKeys reports whether two thresholds count the same keys.
func sameKeys(a, b thresholdView) bool {
	if len(a.Signers) != len(b.Signers) || a.Threshold != b.Threshold {
		return false
	}
	fa := map[string]signerResult{}
	for _, k := range a.Signers {
		fa[k.Fingerprint] = k.Result
	}
	for _, k := range b.Signers {
		if r, ok := fa[k.Fingerprint]; !ok || r != k.Result {
			return false
		}
	}
	return true
}

// versionRanges writes sorted versions as "v1-v4, v6".
func versionRanges(in []int64) string {
	vs := append([]int64(nil), in...)
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	vs = slices.Compact(vs)
	var parts []string
	for i := 0; i < len(vs); {
		j := i
		for j+1 < len(vs) && vs[j+1] == vs[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, fmt.Sprintf("v%d", vs[i]))
		} else {
			parts = append(parts, fmt.Sprintf("v%d-v%d", vs[i], vs[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

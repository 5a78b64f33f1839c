package verify

import (
	"fmt"

	"github.com/trustroot/trustroot/root"
)

// SigningStatus is the state of a root being signed: for each threshold it
// must meet, who signed, whose signature is bad, and who is still missing.
// It is what ceremony attendees watch and what a pull-request comment
// shows; it marshals to JSON as is.
type SigningStatus struct {
	// Version is the version of the root being signed.
	Version int64 `json:"version"`
	// Requirements holds the previous root's threshold (for a rotation)
	// followed by the root's own.
	Requirements []RequirementStatus `json:"requirements"`
	// UnknownKeyIDs lists signatures under key IDs that neither
	// requirement lists; they are ignored.
	UnknownKeyIDs []string `json:"unknown_keyids,omitempty"`
	// EmptySignatures counts placeholder entries with no signature.
	EmptySignatures int `json:"empty_signatures,omitempty"`
	// Problems lists structural faults that no signature can fix, such
	// as a version that is not the previous version plus one.
	Problems []string `json:"problems,omitempty"`
	// Complete reports that every threshold is met and there are no
	// problems. Expiry is not considered: use [Rotation] or [Root] to
	// decide trust.
	Complete bool `json:"complete"`
}

// RequirementStatus is the state of one threshold.
type RequirementStatus struct {
	// Name says whose keys count, e.g. "root v3 (previous)".
	Name string `json:"name"`
	// Version is the version of the root whose root role this is.
	Version int64 `json:"version"`
	// Threshold is how many distinct keys must sign.
	Threshold int `json:"threshold"`
	// Signed lists the keys with a valid signature.
	Signed []KeyStatus `json:"signed"`
	// Invalid lists the keys whose signatures all failed, with why.
	Invalid []KeyStatus `json:"invalid,omitempty"`
	// Missing lists the keys that have not signed.
	Missing []KeyStatus `json:"missing"`
	// Needed is how many more distinct keys must sign; 0 when met.
	Needed int `json:"needed"`
}

// KeyStatus is one distinct public key of a requirement. A key listed
// under several key IDs appears once, with all of them.
type KeyStatus struct {
	// KeyIDs are the IDs under which the role lists the key.
	KeyIDs []string `json:"keyids"`
	// Fingerprint is the hex SHA-256 of the key's PKIX DER encoding.
	Fingerprint string `json:"fingerprint"`
	// Holder is the keyholder annotation, if any.
	Holder string `json:"holder,omitempty"`
	// Serial is the hardware token serial annotation, if any.
	Serial string `json:"serial,omitempty"`
	// Reason says why the signature is invalid (Invalid only).
	Reason string `json:"reason,omitempty"`
}

// Status reports the signing state of r: its own root role's threshold
// and, when prev is not nil, prev's root role's threshold (r as a rotation
// of prev). Unlike [Root] and [Chain] it checks every signature, so it
// lists every signer. It never fails; a root that cannot be trusted shows
// unmet thresholds or problems.
func Status(r, prev *root.Root) *SigningStatus {
	st := &SigningStatus{}
	if r == nil {
		st.Problems = append(st.Problems, "no root")
		return st
	}
	st.Version = r.Version()
	if prev != nil && r.Version() != prev.Version()+1 {
		st.Problems = append(st.Problems, fmt.Sprintf("version %d is not previous version %d + 1", r.Version(), prev.Version()))
	}
	sigs := sigMap(r.Signatures())
	for _, s := range r.Signatures() {
		if len(s.Value) == 0 {
			st.EmptySignatures++
		}
	}
	payload := r.SigningPayload()
	var c pairCache
	known := map[string]bool{}
	var roots []*root.Root
	var names []string
	if prev != nil {
		roots, names = append(roots, prev), append(names, prevName(prev.Version()))
	}
	roots, names = append(roots, r), append(names, ownName(r.Version()))
	st.Complete = len(st.Problems) == 0
	for i, kr := range roots {
		rs := RequirementStatus{Name: names[i], Version: kr.Version(), Signed: []KeyStatus{}, Missing: []KeyStatus{}}
		rk, ok := kr.Role(root.RoleRoot)
		if !ok {
			st.Problems = append(st.Problems, fmt.Sprintf("root v%d has no root role", kr.Version()))
			st.Complete = false
			continue
		}
		rs.Threshold = rk.Threshold
		byFP := map[string]int{} // fingerprint -> index in keys
		var keys []keyGroup
		for _, id := range rk.KeyIDs {
			known[string(id)] = true
			k, ok := kr.Key(id)
			if !ok {
				continue
			}
			fp := k.Fingerprint()
			j, seen := byFP[fp]
			if !seen {
				j = len(keys)
				byFP[fp] = j
				keys = append(keys, keyGroup{st: KeyStatus{Fingerprint: fp, Holder: k.Holder(), Serial: k.Serial()}})
			}
			g := &keys[j]
			g.st.KeyIDs = append(g.st.KeyIDs, string(id))
			sig := sigs[string(id)]
			if len(sig) == 0 || g.valid {
				continue
			}
			g.signed = true
			if err := c.verify(k, payload, sig); err != nil {
				if g.reason == "" {
					g.reason = fmt.Sprintf("signature under %s: %v", id, err)
				}
			} else {
				g.valid = true
			}
		}
		for _, g := range keys {
			switch {
			case g.valid:
				rs.Signed = append(rs.Signed, g.st)
			case g.signed:
				g.st.Reason = g.reason
				rs.Invalid = append(rs.Invalid, g.st)
			default:
				rs.Missing = append(rs.Missing, g.st)
			}
		}
		if rs.Needed = rs.Threshold - len(rs.Signed); rs.Needed < 0 {
			rs.Needed = 0
		}
		if rs.Needed > 0 || rs.Threshold < 1 {
			st.Complete = false
		}
		if rs.Threshold < 1 {
			st.Problems = append(st.Problems, fmt.Sprintf("%s: threshold %d is below 1", rs.Name, rs.Threshold))
		}
		st.Requirements = append(st.Requirements, rs)
	}
	for _, s := range r.Signatures() {
		if len(s.Value) > 0 && !known[string(s.KeyID)] {
			st.UnknownKeyIDs = append(st.UnknownKeyIDs, string(s.KeyID))
		}
	}
	return st
}

type keyGroup struct {
	st            KeyStatus
	signed, valid bool
	reason        string
}

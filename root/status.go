package root

import (
	"bytes"
	"fmt"
)

// SigningStatus is the state of a root being signed: for each threshold it
// must meet, who signed, whose signature is bad, and who is still missing.
// It is what ceremony attendees watch and what a pull-request comment
// shows; it marshals to JSON as is.
type SigningStatus struct {
	// Version is the version of the root being signed.
	Version int64 `json:"version"`
	// Requirements holds the previous root's threshold (for a rotation)
	// followed by the root's own, as [Root.Requirements] lists them.
	Requirements []RequirementStatus `json:"requirements"`
	// UnknownKeyIDs lists signatures under key IDs that neither
	// requirement lists; they are ignored.
	UnknownKeyIDs []KeyID `json:"unknown_keyids,omitempty"`
	// EmptySignatures counts placeholder entries with no signature.
	EmptySignatures int `json:"empty_signatures,omitempty"`
	// Problems lists structural faults that no signature can fix, such
	// as a version that is not the previous version plus one.
	Problems []string `json:"problems,omitempty"`
	// Complete reports that every threshold is met and there are no
	// problems. Expiry is not considered: package verify decides trust.
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
	// Missing lists the keys that have not signed, unsupported keys
	// (which never can) included.
	Missing []KeyStatus `json:"missing"`
	// Needed is how many more distinct keys must sign; 0 when met.
	Needed int `json:"needed"`
}

// KeyStatus is one distinct public key of a requirement. A key listed
// under several key IDs appears once, with all of them.
type KeyStatus struct {
	// KeyIDs are the IDs under which the role lists the key.
	KeyIDs []KeyID `json:"keyids"`
	// Fingerprint is the hex SHA-256 of the key's PKIX DER encoding, ""
	// for an unsupported key.
	Fingerprint string `json:"fingerprint"`
	// Holder is the keyholder annotation, if any.
	Holder string `json:"holder,omitempty"`
	// Serial is the hardware token serial annotation, if any.
	Serial string `json:"serial,omitempty"`
	// Reason says why the signature is invalid (Invalid only), or why
	// the key can never sign (an unsupported key in Missing).
	Reason string `json:"reason,omitempty"`
}

// SigningStatus reports the signing state of r: prev's root role's
// threshold when prev is not nil (r as a rotation of prev), then r's own.
// Unlike package verify it checks every signature, so it lists every
// signer. It never fails; a root that cannot be trusted shows unmet
// thresholds or problems.
func (r *Root) SigningStatus(prev *Root) *SigningStatus {
	st := &SigningStatus{}
	if !r.ok() {
		st.Problems = append(st.Problems, "no root")
		return st
	}
	st.Version = r.Version()
	if prev != nil && (!prev.ok() || r.Version() != prev.Version()+1) {
		st.Problems = append(st.Problems, fmt.Sprintf("version %d is not previous version %d + 1", r.Version(), prev.Version()))
	}
	sigs := map[KeyID][]byte{}
	for _, s := range r.sigs {
		if len(s.Value) == 0 {
			st.EmptySignatures++
			continue
		}
		if _, dup := sigs[s.KeyID]; !dup {
			sigs[s.KeyID] = s.Value
		}
	}
	var checked []checkedPair
	verify := func(k Key, sig []byte) error {
		for _, c := range checked {
			if c.fp == k.Fingerprint() && c.scheme == k.Scheme() && bytes.Equal(c.sig, sig) {
				return c.err
			}
		}
		err := k.Verify(r.payload, sig)
		checked = append(checked, checkedPair{fp: k.Fingerprint(), scheme: k.Scheme(), sig: sig, err: err})
		return err
	}
	known := map[KeyID]bool{}
	st.Complete = len(st.Problems) == 0
	for _, req := range r.Requirements(prev) {
		rs := RequirementStatus{Name: req.Name, Version: req.Version, Threshold: req.Threshold, Signed: []KeyStatus{}, Missing: []KeyStatus{}}
		var groups []*keyGroup
		byKey := map[string]*keyGroup{}
		for _, k := range req.Keys {
			known[k.ID()] = true
			// Distinct public keys group together; an unsupported key
			// stands alone, under its key ID.
			group := "fp:" + k.Fingerprint()
			if k.Unsupported() != "" {
				group = "id:" + string(k.ID())
			}
			g, seen := byKey[group]
			if !seen {
				g = &keyGroup{st: KeyStatus{Fingerprint: k.Fingerprint(), Holder: k.Holder(), Serial: k.Serial(), Reason: k.Unsupported()}}
				byKey[group] = g
				groups = append(groups, g)
			}
			g.st.KeyIDs = append(g.st.KeyIDs, k.ID())
			sig := sigs[k.ID()]
			if len(sig) == 0 || g.valid || k.Unsupported() != "" {
				continue
			}
			g.signed = true
			if err := verify(k, sig); err != nil {
				if g.reason == "" {
					g.reason = fmt.Sprintf("signature under %s: %v", shortID(k.ID()), err)
				}
			} else {
				g.valid = true
			}
		}
		for _, g := range groups {
			switch {
			case g.valid:
				g.st.Reason = ""
				rs.Signed = append(rs.Signed, g.st)
			case g.signed:
				g.st.Reason = g.reason
				rs.Invalid = append(rs.Invalid, g.st)
			default:
				rs.Missing = append(rs.Missing, g.st)
			}
		}
		rs.Needed = max(0, rs.Threshold-len(rs.Signed))
		if rs.Needed > 0 {
			st.Complete = false
		}
		st.Requirements = append(st.Requirements, rs)
	}
	for _, s := range r.sigs {
		if len(s.Value) > 0 && !known[s.KeyID] {
			st.UnknownKeyIDs = append(st.UnknownKeyIDs, s.KeyID)
		}
	}
	return st
}

type checkedPair struct {
	fp, scheme string
	sig        []byte
	err        error
}

type keyGroup struct {
	st            KeyStatus
	signed, valid bool
	reason        string
}

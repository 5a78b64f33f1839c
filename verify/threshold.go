package verify

import (
	"bytes"

	"github.com/trustroot/trustroot/root"
)

// verifier is a public key that can check a signature: a root.Key, or a
// key decoded from targets delegations.
type verifier interface {
	Fingerprint() string
	Scheme() string
	Verify(message, sig []byte) error
}

// pairCache remembers the outcome of each (public key, scheme, signature)
// check made over one payload, so that a key listed in two requirements
// (the previous root's and the new root's) is verified once.
type pairCache struct {
	entries []pairEntry
}

type pairEntry struct {
	fp, scheme string
	sig        []byte
	err        error
}

func (c *pairCache) lookup(k verifier, sig []byte) (error, bool) {
	fp, sc := k.Fingerprint(), k.Scheme()
	for i := range c.entries {
		e := &c.entries[i]
		if e.fp == fp && e.scheme == sc && bytes.Equal(e.sig, sig) {
			return e.err, true
		}
	}
	return nil, false
}

func (c *pairCache) verify(k verifier, payload, sig []byte) error {
	if err, ok := c.lookup(k, sig); ok {
		return err
	}
	err := k.Verify(payload, sig)
	c.entries = append(c.entries, pairEntry{fp: k.Fingerprint(), scheme: k.Scheme(), sig: sig, err: err})
	return err
}

// requirement is one threshold: a role's key IDs, the keys they resolve to
// (nil for an ID the key source does not list) and the threshold.
type requirement struct {
	name      string
	version   int64
	ids       []string
	keys      []verifier
	holders   []string
	threshold int
}

// rootRequirement builds the requirement of r's root role.
func rootRequirement(r *root.Root, name string) (requirement, bool) {
	rk, ok := r.Role(root.RoleRoot)
	if !ok {
		return requirement{}, false
	}
	req := requirement{
		name:      name,
		version:   r.Version(),
		ids:       make([]string, len(rk.KeyIDs)),
		keys:      make([]verifier, len(rk.KeyIDs)),
		holders:   make([]string, len(rk.KeyIDs)),
		threshold: rk.Threshold,
	}
	for i, id := range rk.KeyIDs {
		req.ids[i] = string(id)
		if k, ok := r.Key(id); ok {
			req.keys[i] = k
			req.holders[i] = k.Holder()
		}
	}
	return req, true
}

// fingerprints returns the fingerprints of the requirement's keys that
// have a non-empty signature in sigs.
func (req *requirement) signedFingerprints(sigs map[string][]byte) []string {
	var out []string
	for i, id := range req.ids {
		if req.keys[i] != nil && len(sigs[id]) > 0 {
			out = append(out, req.keys[i].Fingerprint())
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// count counts distinct keys of req with a valid signature over payload and
// stops once the threshold is met. It tries keys in three passes so that
// the fewest signatures are verified: first pairs already verified for
// another requirement, then keys whose fingerprint is in prefer (keys a
// later requirement also needs), then the rest. It returns the indices of
// the counted keys in req.ids.
func (c *pairCache) count(req *requirement, payload []byte, sigs map[string][]byte, prefer []string) []int {
	counted := make([]int, 0, req.threshold)
	var seen []string
	tried := make([]bool, len(req.ids))
	for pass := 0; pass < 3; pass++ {
		for i, id := range req.ids {
			if len(counted) >= req.threshold {
				return counted
			}
			if tried[i] {
				continue
			}
			k := req.keys[i]
			sig := sigs[id]
			if k == nil || len(sig) == 0 {
				tried[i] = true
				continue
			}
			fp := k.Fingerprint()
			if contains(seen, fp) {
				tried[i] = true
				continue
			}
			switch pass {
			case 0:
				if _, ok := c.lookup(k, sig); !ok {
					continue
				}
			case 1:
				if !contains(prefer, fp) {
					continue
				}
			}
			tried[i] = true
			if c.verify(k, payload, sig) == nil {
				counted = append(counted, i)
				seen = append(seen, fp)
			}
		}
	}
	return counted
}

// sigMap indexes non-empty signatures by key ID. Parsers reject repeated
// key IDs; if one slipped through, the first entry wins and the repeat is
// never counted.
func sigMap(sigs []root.Signature) map[string][]byte {
	m := make(map[string][]byte, len(sigs))
	for _, s := range sigs {
		if len(s.Value) == 0 {
			continue
		}
		if _, dup := m[string(s.KeyID)]; dup {
			continue
		}
		m[string(s.KeyID)] = s.Value
	}
	return m
}

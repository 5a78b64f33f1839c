package verify

import (
	"bytes"
	"slices"

	"github.com/trustroot/trustroot/internal/link"
	"github.com/trustroot/trustroot/internal/tufkey"

	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/root"
)

// verifier is what a threshold check needs of a key; root.Key is one.
type verifier interface {
	ID() root.KeyID
	Fingerprint() string
	Scheme() string
	Unsupported() string
	Holder() string
	Verify(message, sig []byte) error
}

// verifiers converts keys for a requirement.
func verifiers(keys []root.Key) []verifier {
	out := make([]verifier, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

// pairCache remembers the outcome of each (public key, scheme, signature)
// check made over one payload, so that a key listed in two requirements
// (the previous root's and the new root's) is verified once.
//
// With a pool, checks can be queued ahead (prefetch) before count needs
// them. count still decides, in its own order, which pairs it consults and
// how their outcomes count, and an entry only becomes visible to its
// first pass once count has consulted it: the outcome of a check does not
// depend on when it ran, so the result is the one a cache without a pool
// gives.
type pairCache struct {
	entries []pairEntry
	pool    *pool
	digests *tufkey.Digests // of the payload
	// spec, if not nil, holds checks a speculation queued over the
	// same payload bytes (see speculation): verify takes an outcome
	// from it instead of checking, only for the same key content,
	// scheme and signature bytes.
	spec *pairCache
}

type pairEntry struct {
	fp, scheme string
	sig        []byte
	err        error
	check      *check // queued ahead; nil once the outcome is in err
	used       bool   // consulted by count
}

// reset empties the cache for another payload, keeping its storage.
func (c *pairCache) reset() {
	clear(c.entries)
	c.entries = c.entries[:0]
	c.digests = nil
}

// digestsOf returns the digests of payload, computed at most once for
// every key that checks a signature over it.
func (c *pairCache) digestsOf(payload []byte) *tufkey.Digests {
	if d := c.digests; d != nil {
		if m := d.Message(); len(m) == len(payload) && (len(m) == 0 || &m[0] == &payload[0]) {
			return d
		}
	}
	c.digests = tufkey.NewDigests(payload)
	return c.digests
}

// checkSig checks sig over d's message with k, through d's digests when k
// is a root.Key.
func checkSig(k verifier, d *tufkey.Digests, sig []byte) error {
	if err, ok := link.VerifyDigests(k, d, sig); ok {
		return err
	}
	return k.Verify(d.Message(), sig)
}

// find returns the entry of the pair (k, sig), or only a consulted one.
func (c *pairCache) find(k verifier, sig []byte, usedOnly bool) *pairEntry {
	fp, sc := k.Fingerprint(), k.Scheme()
	for i := range c.entries {
		e := &c.entries[i]
		if e.fp == fp && e.scheme == sc && bytes.Equal(e.sig, sig) && (e.used || !usedOnly) {
			return e
		}
	}
	return nil
}

func (c *pairCache) add(e pairEntry) {
	if c.entries == nil {
		c.entries = make([]pairEntry, 0, 4)
	}
	c.entries = append(c.entries, e)
}

func (c *pairCache) lookup(k verifier, sig []byte) (error, bool) {
	if e := c.find(k, sig, true); e != nil {
		return e.err, true
	}
	return nil, false
}

func (c *pairCache) verify(k verifier, payload, sig []byte) error {
	if e := c.find(k, sig, false); e != nil {
		if e.check != nil {
			e.err, e.check = c.pool.wait(e.check), nil
		}
		e.used = true
		return e.err
	}
	err, ok := c.speculated(k, sig)
	if !ok {
		err = checkSig(k, c.digestsOf(payload), sig)
	}
	c.add(pairEntry{fp: k.Fingerprint(), scheme: k.Scheme(), sig: sig, err: err, used: true})
	return err
}

// speculated returns the outcome of the check of sig with k's content and
// scheme that c.spec queued, waiting for it, if c.spec holds one. The
// check's key is another decoding of the same public key (same fingerprint
// and scheme) and its payload the same bytes, so its outcome is the one
// checkSig would compute here.
func (c *pairCache) speculated(k verifier, sig []byte) (error, bool) {
	if c.spec == nil {
		return nil, false
	}
	e := c.spec.find(k, sig, false)
	if e == nil {
		return nil, false
	}
	if e.check != nil {
		e.err, e.check = c.spec.pool.wait(e.check), nil
	}
	return e.err, true
}

// prefetch queues on the pool the checks count would make for req if
// every check passed, skipping pairs already known or queued. Without a
// pool it does nothing.
func (c *pairCache) prefetch(req *requirement, payload []byte, sigs sigIndex) {
	if c.pool == nil {
		return
	}
	var triedBuf [16]bool
	var tried []bool
	if len(req.keys) <= len(triedBuf) {
		tried = triedBuf[:len(req.keys)]
	} else {
		tried = make([]bool, len(req.keys))
	}
	var fpBuf [16]string
	fps := fpBuf[:0] // fingerprints count would have counted
	// count's passes without prefer: known pairs first, then the rest.
	for _, known := range []bool{true, false} {
		for i, k := range req.keys {
			if len(fps) >= req.threshold {
				return
			}
			if tried[i] {
				continue
			}
			sig := sigs.get(k.ID())
			if k.Unsupported() != "" || len(sig) == 0 {
				tried[i] = true
				continue
			}
			fp := k.Fingerprint()
			if slices.Contains(fps, fp) {
				tried[i] = true
				continue
			}
			e := c.find(k, sig, known)
			if known && e == nil {
				continue
			}
			tried[i] = true
			if e == nil {
				c.add(pairEntry{fp: fp, scheme: k.Scheme(), sig: sig, check: c.pool.submit(k, c.digestsOf(payload), sig)})
				fps = append(fps, fp)
				continue
			}
			if e.check != nil || e.err == nil {
				fps = append(fps, fp)
			}
		}
	}
}

// requirement is one threshold: a role's keys in listed order and the
// threshold.
type requirement struct {
	name      string
	version   int64
	keys      []verifier
	threshold int
}

// rootRequirement builds the requirement of r's root role.
func rootRequirement(r *root.Root, name string) requirement {
	rk, _ := r.Role(root.RoleRoot)
	return requirement{name: name, version: r.Version(), keys: verifiers(rk.Keys), threshold: rk.Threshold}
}

// signedFingerprints returns the fingerprints of the requirement's usable
// keys that have a signature in sigs.
func (req *requirement) signedFingerprints(sigs map[root.KeyID][]byte) []string {
	var out []string
	for _, k := range req.keys {
		if k.Unsupported() == "" && len(sigs[k.ID()]) > 0 {
			out = append(out, k.Fingerprint())
		}
	}
	return out
}

// count counts distinct usable keys of req with a valid signature over
// payload and stops once the threshold is met. It tries keys in three
// passes so that the fewest signatures are verified: first pairs already
// verified for another requirement, then keys whose fingerprint is in
// prefer (keys a later requirement also needs), then the rest. It returns
// the indices of the counted keys in req.keys. Nothing is sized by the
// threshold, which comes from the file: only by the keys it lists.
func (c *pairCache) count(req *requirement, payload []byte, sigs map[root.KeyID][]byte, prefer []string) []int {
	return c.countInto(nil, req, payload, sigIndex{m: sigs}, prefer)
}

// countInto is count appending the indices to counted[:0].
func (c *pairCache) countInto(counted []int, req *requirement, payload []byte, sigs sigIndex, prefer []string) []int {
	counted = counted[:0]
	var triedBuf [16]bool
	var tried []bool
	if len(req.keys) <= len(triedBuf) {
		tried = triedBuf[:len(req.keys)]
	} else {
		tried = make([]bool, len(req.keys))
	}
	for pass := 0; pass < 3; pass++ {
		for i, k := range req.keys {
			if len(counted) >= req.threshold {
				return counted
			}
			if tried[i] {
				continue
			}
			sig := sigs.get(k.ID())
			if k.Unsupported() != "" || len(sig) == 0 {
				tried[i] = true
				continue
			}
			fp := k.Fingerprint()
			if req.counts(counted, fp) {
				tried[i] = true
				continue
			}
			switch pass {
			case 0:
				if _, ok := c.lookup(k, sig); !ok {
					continue
				}
			case 1:
				if !slices.Contains(prefer, fp) {
					continue
				}
			}
			tried[i] = true
			if c.verify(k, payload, sig) == nil {
				counted = append(counted, i)
			}
		}
	}
	return counted
}

// counts reports whether a counted key has the fingerprint fp.
func (req *requirement) counts(counted []int, fp string) bool {
	for _, j := range counted {
		if req.keys[j].Fingerprint() == fp {
			return true
		}
	}
	return false
}

// met reports whether counted meets req.
func (req *requirement) met(counted []int) bool {
	return req.threshold >= 1 && len(counted) >= req.threshold
}

// sigIndex finds the first non-empty signature under a key ID: in a map,
// or by searching an envelope's short list in place.
type sigIndex struct {
	m    map[root.KeyID][]byte
	list []tufmeta.Signature
}

func (s sigIndex) get(id root.KeyID) []byte {
	if s.m != nil {
		return s.m[id]
	}
	for i := range s.list {
		if e := &s.list[i]; len(e.Sig) > 0 && e.KeyID == string(id) {
			return e.Sig
		}
	}
	return nil
}

// sigMap indexes non-empty signatures by key ID. Parsers reject repeated
// key IDs; if one slipped through, the first entry wins and the repeat is
// never counted.
func sigMap(sigs []root.Signature) map[root.KeyID][]byte {
	m := make(map[root.KeyID][]byte, len(sigs))
	for _, s := range sigs {
		if _, dup := m[s.KeyID]; len(s.Value) > 0 && !dup {
			m[s.KeyID] = s.Value
		}
	}
	return m
}

// envelopeSigs indexes an envelope's signatures like sigMap: a list of up
// to 16 is searched in place, a longer one through a map.
func envelopeSigs(sigs []tufmeta.Signature) sigIndex {
	if len(sigs) <= 16 {
		return sigIndex{list: sigs}
	}
	m := make(map[root.KeyID][]byte, len(sigs))
	for _, s := range sigs {
		if _, dup := m[root.KeyID(s.KeyID)]; len(s.Sig) > 0 && !dup {
			m[root.KeyID(s.KeyID)] = s.Sig
		}
	}
	return sigIndex{m: m}
}

// checkThreshold checks that a threshold of req's distinct keys signed
// payload, for metadata of role at version, taking the outcome of a check
// spec already made over the same payload bytes (spec may be nil).
func checkThreshold(role root.Role, version int64, req requirement, payload []byte, sigs sigIndex, spec *speculation) error {
	c := pairCache{spec: spec.forPayload(payload)}
	got := c.countInto(nil, &req, payload, sigs, nil)
	if !req.met(got) {
		return &ThresholdError{Role: role, Version: version, Requirement: req.name, Threshold: req.threshold, Valid: len(got)}
	}
	return nil
}

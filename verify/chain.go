package verify

import (
	"fmt"
	"time"

	"github.com/trustroot/trustroot/root"
)

// DefaultMaxSteps is the number of root versions a chain may advance by
// when Options.MaxSteps is zero. The specification suggests 2^10; go-tuf
// and tuf-js use 256.
const DefaultMaxSteps = 1024

// Options tune root verification. The zero value verifies at the current
// time with default bounds, reporting key ID mismatches as warnings.
type Options struct {
	// Now is the reference time for expiry; zero means time.Now(). It is
	// read once per call.
	Now time.Time
	// MaxSteps bounds how many new root versions one call accepts; zero
	// means DefaultMaxSteps.
	MaxSteps int
	// MaxFileSize bounds each root file; zero means root.MaxRootSize.
	MaxFileSize int
	// Strict turns key ID/content mismatches (a key ID that is not the
	// SHA-256 of its key object) from warnings into ErrKeyIDMismatch
	// failures.
	Strict bool
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

func (o Options) maxSteps() int {
	if o.MaxSteps <= 0 {
		return DefaultMaxSteps
	}
	return o.MaxSteps
}

func (o Options) maxFileSize() int {
	if o.MaxFileSize <= 0 {
		return root.MaxRootSize
	}
	return o.MaxFileSize
}

// ChainResult describes a root that verified and is trusted at the
// reference time. It is only ever returned with a nil error.
type ChainResult struct {
	// Root is the newest root: trusted, not expired at the reference
	// time.
	Root *root.Root `json:"-"`
	// Steps lists, for the starting root and each new version, the
	// thresholds that were met and the keys counted for them.
	Steps []Step `json:"steps"`
	// Warnings lists findings that did not fail verification, such as
	// key IDs that do not match their key content.
	Warnings []Warning `json:"warnings,omitempty"`
}

// Step is one root version that verified.
type Step struct {
	// Version is the root's version.
	Version int64 `json:"version"`
	// Expires is the root's expiry. Only the newest root's expiry is
	// checked; intermediate roots may have expired.
	Expires time.Time `json:"expires"`
	// Requirements are the thresholds the root met: its own root role's
	// and, for a new version, the previous root's.
	Requirements []Met `json:"requirements"`
}

// Met is a threshold that a root met. Verification stops counting once the
// threshold is reached, so SignedBy holds exactly Threshold keys even when
// more signed; use [SigningStatus] for every signer.
type Met struct {
	// Name says whose keys were counted, e.g. "root v3 (previous)".
	Name string `json:"name"`
	// Version is the version of the root whose root role was used.
	Version int64 `json:"version"`
	// Threshold is how many distinct keys had to sign.
	Threshold int `json:"threshold"`
	// SignedBy lists the distinct keys counted.
	SignedBy []KeyRef `json:"signed_by"`
}

// KeyRef identifies a key in a result.
type KeyRef struct {
	// KeyID is the key ID under which the key is listed.
	KeyID string `json:"keyid"`
	// Fingerprint is the hex SHA-256 of the key's PKIX DER encoding.
	Fingerprint string `json:"fingerprint"`
	// Holder is the keyholder annotation, if any.
	Holder string `json:"holder,omitempty"`
}

// Warning is a finding that did not fail verification.
type Warning struct {
	// Role is the role of the metadata concerned, e.g. "root".
	Role string `json:"role"`
	// Version is the version of the metadata concerned.
	Version int64 `json:"version"`
	// Code is a stable identifier: "keyid-mismatch".
	Code string `json:"code"`
	// KeyID is the key concerned, if any.
	KeyID string `json:"keyid,omitempty"`
	// Message explains the finding.
	Message string `json:"message"`
}

// Root verifies one root on its own: a threshold of distinct keys of its
// own root role signed it, and it has not expired at the reference time.
// Empty signatures and signatures under key IDs the root does not list are
// ignored.
func Root(r *root.Root, opts Options) (*ChainResult, error) {
	return walk(r, nil, opts)
}

// Rotation verifies that next may replace prev: prev is signed by a
// threshold of its own root keys, next's version is exactly prev's plus
// one, next is signed by a threshold of prev's root keys and a threshold of
// its own, and next has not expired at the reference time (prev's expiry
// does not matter).
func Rotation(prev, next *root.Root, opts Options) (*ChainResult, error) {
	if next == nil {
		return nil, fmt.Errorf("%w: nil next root", ErrMalformed)
	}
	return walk(prev, func(yield func(*rootView, error) bool) {
		yield(viewOf(next))
	}, opts)
}

// Chain walks from a trusted root N through the files of versions N+1,
// N+2, ... in order, as a TUF client updates its root (specification
// section 5.3): each version must be exactly one more than the last, and
// signed by a threshold of distinct keys of the previous root's root role
// and of its own. The expiry of intermediate roots is ignored; the newest
// root must not have expired at the reference time. The trusted root must
// be signed by a threshold of its own root keys.
//
// On success the result's Root is the newest root. On any failure the
// result is nil: nothing is trusted, not even the versions that verified
// before the failure. If every signature step verified but the newest root
// has expired, the error is an *ExpiredError naming that version.
func Chain(trusted *root.Root, next [][]byte, opts Options) (*ChainResult, error) {
	if len(next) > opts.maxSteps() {
		return nil, fmt.Errorf("%w: %d root versions offered, at most %d allowed", ErrTooLarge, len(next), opts.maxSteps())
	}
	max := opts.maxFileSize()
	return walk(trusted, func(yield func(*rootView, error) bool) {
		for i, data := range next {
			file := fmt.Sprintf("candidate %d of %d", i+1, len(next))
			if len(data) > max {
				yield(nil, &MetadataError{Role: "root", File: file, Err: fmt.Errorf("%w: %d bytes, at most %d allowed", ErrTooLarge, len(data), max)})
				return
			}
			v, err := parseCandidate(data)
			if err != nil {
				yield(nil, &MetadataError{Role: "root", File: file, Err: err})
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}, opts)
}

// walk verifies trusted on its own, then each root from next against its
// predecessor, then the newest root's expiry.
func walk(trusted *root.Root, next func(yield func(*rootView, error) bool), opts Options) (*ChainResult, error) {
	if trusted == nil {
		return nil, fmt.Errorf("%w: nil trusted root", ErrMalformed)
	}
	now := opts.now()
	res := &ChainResult{}
	tv, err := viewOf(trusted)
	if err != nil {
		return nil, err
	}
	step, err := selfStep(tv)
	if err != nil {
		return nil, err
	}
	res.Steps = append(res.Steps, step)
	if err := res.checkKeyIDs(tv, opts.Strict); err != nil {
		return nil, err
	}
	cur := tv
	var failed error
	steps := 0
	if next != nil {
		next(func(v *rootView, err error) bool {
			if err != nil {
				failed = err
				return false
			}
			steps++
			if steps > opts.maxSteps() {
				failed = fmt.Errorf("%w: more than %d root versions offered", ErrTooLarge, opts.maxSteps())
				return false
			}
			step, err := rotationStep(cur, v)
			if err != nil {
				failed = err
				return false
			}
			if err := res.checkKeyIDs(v, opts.Strict); err != nil {
				failed = err
				return false
			}
			res.Steps = append(res.Steps, step)
			cur = v
			return true
		})
	}
	if failed != nil {
		return nil, failed
	}
	if !now.Before(cur.expires) {
		return nil, &ExpiredError{Role: "root", Version: cur.version, Expires: cur.expires, Now: now, Steps: res.Steps}
	}
	res.Root = cur.full
	return res, nil
}

// rootView is what a chain step needs of a root.
type rootView struct {
	version    int64
	expires    time.Time
	payload    []byte
	own        requirement
	sigs       map[string][]byte
	mismatched []string // key IDs that do not match their content, sorted
	full       *root.Root
}

func viewOf(r *root.Root) (*rootView, error) {
	own, ok := rootRequirement(r, "")
	if !ok {
		return nil, &MetadataError{Role: "root", Version: r.Version(), Err: fmt.Errorf("%w: no root role", ErrMalformed)}
	}
	v := &rootView{version: r.Version(), expires: r.Expires(), payload: r.SigningPayload(), own: own, sigs: sigMap(r.Signatures()), full: r}
	for _, k := range r.Keys() {
		if !k.IDMatchesContent() {
			v.mismatched = append(v.mismatched, string(k.ID()))
		}
	}
	return v, nil
}

// parseCandidate reads a candidate root with root.Parse, the one strict
// parser, which decodes and canonicalises the file once.
func parseCandidate(data []byte) (*rootView, error) {
	r, err := root.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return viewOf(r)
}

func ownName(v int64) string  { return fmt.Sprintf("root v%d (own)", v) }
func prevName(v int64) string { return fmt.Sprintf("root v%d (previous)", v) }

// selfStep checks r against its own root role.
func selfStep(r *rootView) (Step, error) {
	own := r.own
	own.name = ownName(r.version)
	var c pairCache
	got := c.count(&own, r.payload, r.sigs, nil)
	if len(got) < own.threshold || own.threshold < 1 {
		return Step{}, &ThresholdError{Role: "root", Version: r.version, Requirement: own.name, Threshold: own.threshold, Valid: len(got)}
	}
	return Step{Version: r.version, Expires: r.expires, Requirements: []Met{met(&own, got)}}, nil
}

// rotationStep checks next against prev's and its own root role.
func rotationStep(prev, next *rootView) (Step, error) {
	if want := prev.version + 1; next.version != want {
		return Step{}, &VersionError{Role: "root", Got: next.version, Want: want, Rollback: next.version < want,
			Detail: fmt.Sprintf("a new root must be exactly version %d + 1", prev.version)}
	}
	old, own := prev.own, next.own
	old.name, own.name = prevName(prev.version), ownName(next.version)
	var c pairCache
	gotOld := c.count(&old, next.payload, next.sigs, own.signedFingerprints(next.sigs))
	if len(gotOld) < old.threshold || old.threshold < 1 {
		return Step{}, &ThresholdError{Role: "root", Version: next.version, Requirement: old.name, Threshold: old.threshold, Valid: len(gotOld)}
	}
	gotOwn := c.count(&own, next.payload, next.sigs, nil)
	if len(gotOwn) < own.threshold || own.threshold < 1 {
		return Step{}, &ThresholdError{Role: "root", Version: next.version, Requirement: own.name, Threshold: own.threshold, Valid: len(gotOwn)}
	}
	return Step{Version: next.version, Expires: next.expires, Requirements: []Met{met(&old, gotOld), met(&own, gotOwn)}}, nil
}

func met(req *requirement, idx []int) Met {
	m := Met{Name: req.name, Version: req.version, Threshold: req.threshold, SignedBy: make([]KeyRef, len(idx))}
	for j, i := range idx {
		m.SignedBy[j] = KeyRef{KeyID: req.ids[i], Fingerprint: req.keys[i].Fingerprint(), Holder: req.holders[i]}
	}
	return m
}

// checkKeyIDs records a warning, or in strict mode returns an error, for
// each key of r whose ID does not match its content.
func (res *ChainResult) checkKeyIDs(r *rootView, strict bool) error {
	for _, id := range r.mismatched {
		if strict {
			return &MetadataError{Role: "root", Version: r.version, Err: fmt.Errorf("%w: key %s", ErrKeyIDMismatch, id)}
		}
		res.Warnings = append(res.Warnings, Warning{Role: "root", Version: r.version, Code: "keyid-mismatch", KeyID: id,
			Message: fmt.Sprintf("key ID %s is not the SHA-256 of its key object", id)})
	}
	return nil
}

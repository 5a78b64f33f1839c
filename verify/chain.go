package verify

import (
	"fmt"
	"time"

	"github.com/trustroot/trustroot/internal/link"
	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/root"
)

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
	// Requirements are the thresholds the root met, as
	// root.Root.Requirements lists them: the previous root's (for a new
	// version) and its own.
	Requirements []Met `json:"requirements"`
}

// Met is a threshold that a root met. Verification stops counting once the
// threshold is reached, so SignedBy holds exactly Threshold keys even when
// more signed; use root.Root.SigningStatus for every signer.
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
	KeyID root.KeyID `json:"keyid"`
	// Fingerprint is the hex SHA-256 of the key's PKIX DER encoding.
	Fingerprint string `json:"fingerprint"`
	// Holder is the keyholder annotation, if any.
	Holder string `json:"holder,omitempty"`
}

// Warning is a finding that did not fail verification.
type Warning struct {
	// Role is the role of the metadata concerned, e.g. "root".
	Role root.Role `json:"role"`
	// Version is the version of the metadata concerned.
	Version int64 `json:"version"`
	// Code is a stable identifier: root.LintKeyIDMismatch or
	// root.LintUnsupportedKey.
	Code string `json:"code"`
	// KeyID is the key concerned, if any.
	KeyID root.KeyID `json:"keyid,omitempty"`
	// Message explains the finding.
	Message string `json:"message"`
}

// Root verifies one root on its own: a threshold of distinct keys of its
// own root role signed it, and it has not expired at the reference time.
// Empty signatures and signatures under key IDs the root does not list are
// ignored.
func Root(r *root.Root, opts Options) (*ChainResult, error) {
	w, err := newWalk(r, opts)
	if err != nil {
		return nil, err
	}
	return w.finish()
}

// Rotation verifies that next may replace prev: prev is signed by a
// threshold of its own root keys, next's version is exactly prev's plus
// one, next is signed by a threshold of prev's root keys and a threshold of
// its own, and next has not expired at the reference time (prev's expiry
// does not matter).
func Rotation(prev, next *root.Root, opts Options) (*ChainResult, error) {
	if next == nil {
		return nil, fmt.Errorf("verify: %w: nil next root", root.ErrMalformed)
	}
	w, err := newWalkFor(prev, opts, 1, nil, nil)
	if err != nil {
		return nil, err
	}
	payload, sigs := next.SigningPayload(), sigIndex{m: sigMap(next.Signatures())}
	c := &w.caches[0]
	c.reset()
	c.prefetch(&w.own, payload, sigs)
	if err := w.next(c, payload, sigs, next.Version(), func() (*root.Root, error) { return next, nil }, nil); err != nil {
		return nil, err
	}
	return w.finish()
}

// Chain walks from a trusted root N through the files of versions N+1,
// N+2, ... in order, as a TUF client updates its root (specification
// section 5.3): each version must be signed by a threshold of distinct
// keys of the previous root's root role, be exactly one more than the
// last, and be signed by a threshold of its own. The expiry of
// intermediate roots is ignored; the newest root must not have expired at
// the reference time. The trusted root must be signed by a threshold of
// its own root keys.
//
// Each file is read to its canonical bytes and checked against the
// previous root's keys before its own keys are decoded. On success the
// result's Root is the newest root. On any failure the result is nil:
// nothing is trusted, not even the versions that verified before the
// failure. If every signature step verified but the newest root has
// expired, the error is an *ExpiredError naming that version.
//
// With Options.Workers above one and at least four new versions, checks
// run on that many goroutines, and the checks of a version against the
// previous root's keys start while the previous version's own threshold
// is being counted; the result and the error are those of a walk without
// workers.
func Chain(trusted *root.Root, next [][]byte, opts Options) (*ChainResult, error) {
	if len(next) > opts.maxRootSteps() {
		return nil, errf(ErrTooLarge, "verify: %d root versions offered, at most %d allowed", len(next), opts.maxRootSteps())
	}
	var p *pool
	if len(next) >= minPoolSteps {
		p = newPool(opts.Workers)
		defer p.close()
	}
	w, err := newWalkFor(trusted, opts, len(next), p, nil)
	if err != nil {
		return nil, err
	}
	if len(next) == 0 {
		return w.finish()
	}
	cur := w.read(next[0], &w.caches[0], &w.own)
	for i := range next {
		var ahead pendingFile
		read := false
		readAhead := func(_ *root.Root, own *requirement) {
			// Only a pool gains from reading ahead: its workers
			// start on the next file while this one's own threshold
			// is counted.
			if p != nil && i+1 < len(next) {
				ahead, read = w.read(next[i+1], &w.caches[(i+1)%2], own), true
			}
		}
		if err := w.step(cur, func() string { return fmt.Sprintf("root file %d of %d", i+1, len(next)) }, readAhead); err != nil {
			return nil, err
		}
		if i+1 < len(next) && !read {
			ahead = w.read(next[i+1], &w.caches[(i+1)%2], &w.own)
		}
		cur = ahead
	}
	return w.finish()
}

// walk is a root chain being verified, one version at a time.
type walk struct {
	opts  Options
	now   time.Time
	cur   *root.Root
	own   requirement // cur's own root role
	steps int
	res   ChainResult
	pool  *pool // during a call, with Options.Workers above one

	// Reused from step to step: pair caches for this version and the
	// one read ahead, and the keys counted.
	caches          [2]pairCache
	gotPrev, gotOwn []int
}

// newWalk starts a walk at trusted, which must meet its own threshold.
func newWalk(trusted *root.Root, opts Options) (*walk, error) {
	return newWalkFor(trusted, opts, 0, nil, nil)
}

// newWalkFor is newWalk for a caller that expects to add more versions,
// with the pool it uses for the call (nil for none). ahead (if not nil) is
// called once the trusted root's own checks are queued and before they are
// counted, to read the next file into w.caches[1].
func newWalkFor(trusted *root.Root, opts Options, more int, p *pool, ahead func(w *walk)) (*walk, error) {
	if trusted == nil {
		return nil, fmt.Errorf("verify: %w: nil trusted root", root.ErrMalformed)
	}
	w := &walk{opts: opts, now: opts.now(), cur: trusted}
	w.setPool(p)
	w.own = rootRequirement(trusted, root.OwnRequirement(trusted.Version()))
	payload, sigs := trusted.SigningPayload(), sigIndex{m: sigMap(trusted.Signatures())}
	c := &w.caches[0]
	c.prefetch(&w.own, payload, sigs)
	if ahead != nil {
		ahead(w)
	}
	got := c.countInto(nil, &w.own, payload, sigs, nil)
	if !w.own.met(got) {
		return nil, located(root.RoleRoot, trusted.Version(), "", &ThresholdError{Role: root.RoleRoot, Version: trusted.Version(), Requirement: w.own.name, Threshold: w.own.threshold, Valid: len(got)})
	}
	w.res.Steps = make([]Step, 0, 1+max(0, min(more, opts.maxRootSteps())))
	refs := make([]KeyRef, len(got))
	w.res.Steps = append(w.res.Steps, Step{Version: trusted.Version(), Expires: trusted.Expires(), Requirements: []Met{metOf(&w.own, got, refs)}})
	if err := w.warn(trusted); err != nil {
		return nil, err
	}
	return w, nil
}

// setPool makes the walk's checks use p (nil: none).
func (w *walk) setPool(p *pool) {
	w.pool = p
	for i := range w.caches {
		w.caches[i].pool = p
	}
}

// file verifies the root file data as the next version; name says which
// file it is in errors.
func (w *walk) file(data []byte, name string) error {
	return w.step(w.read(data, &w.caches[0], &w.own), func() string { return name }, nil)
}

// pendingFile is a root file read for the next step: its envelope, or
// why it could not be read, and the pair cache its checks go to (with a
// pool, those against the previous root's keys are already queued).
type pendingFile struct {
	env   *tufmeta.Envelope
	err   error
	sigs  sigIndex
	cache *pairCache
}

// read reads data to its envelope and, with a pool, queues the checks
// against prev, the root role of the root it must follow.
func (w *walk) read(data []byte, c *pairCache, prev *requirement) pendingFile {
	c.reset()
	env, err := tufmeta.ParseEnvelope(data, tufmeta.TypeRoot, w.opts.Limits.root())
	if err != nil {
		return pendingFile{err: err, cache: c}
	}
	f := pendingFile{env: env, sigs: envelopeSigs(env.Signatures), cache: c}
	c.prefetch(prev, env.Signed, f.sigs)
	return f
}

// step verifies a file read as the next version; name says which file it
// is in errors, and ahead (if not nil) is called with the new root (not
// yet trusted) and its own requirement once its checks are queued, to read
// the following file.
func (w *walk) step(f pendingFile, name func() string, ahead func(next *root.Root, own *requirement)) error {
	if w.steps >= w.opts.maxRootSteps() {
		return errf(ErrTooLarge, "verify: more than %d root versions offered", w.opts.maxRootSteps())
	}
	want := w.cur.Version() + 1
	if f.err != nil {
		return located(root.RoleRoot, want, name(), f.err)
	}
	env := f.env
	err := w.next(f.cache, env.Signed, f.sigs, env.Version, func() (*root.Root, error) {
		r, err := link.Root(env)
		if err != nil {
			return nil, err
		}
		return r.(*root.Root), nil
	}, ahead)
	if err != nil {
		return located(root.RoleRoot, want, name(), err)
	}
	return nil
}

// next verifies a new version from its payload and signatures: first
// against the current root's keys, then its version, and only then does
// it build the root (model) to check its own threshold.
func (w *walk) next(c *pairCache, payload []byte, sigs sigIndex, version int64, model func() (*root.Root, error), ahead func(next *root.Root, own *requirement)) error {
	// The previous root's root role is the current root's own.
	prev := w.own
	prev.name = root.PreviousRequirement(w.cur.Version())
	w.gotPrev = c.countInto(w.gotPrev, &prev, payload, sigs, nil)
	if !prev.met(w.gotPrev) {
		return &ThresholdError{Role: root.RoleRoot, Version: version, Requirement: prev.name, Threshold: prev.threshold, Valid: len(w.gotPrev)}
	}
	if want := w.cur.Version() + 1; version != want {
		return &VersionError{Role: root.RoleRoot, Got: version, Want: want, Rollback: version < want,
			Detail: fmt.Sprintf("a new root must be exactly version %d + 1", w.cur.Version())}
	}
	next, err := model()
	if err != nil {
		return err
	}
	own := rootRequirement(next, root.OwnRequirement(next.Version()))
	c.prefetch(&own, payload, sigs)
	if ahead != nil {
		ahead(next, &own)
	}
	w.gotOwn = c.countInto(w.gotOwn, &own, payload, sigs, nil)
	if !own.met(w.gotOwn) {
		return &ThresholdError{Role: root.RoleRoot, Version: version, Requirement: own.name, Threshold: own.threshold, Valid: len(w.gotOwn)}
	}
	if err := w.warn(next); err != nil {
		return err
	}
	// One allocation for both lists of keys counted.
	np := len(w.gotPrev)
	refs := make([]KeyRef, np+len(w.gotOwn))
	w.res.Steps = append(w.res.Steps, Step{Version: version, Expires: next.Expires(), Requirements: []Met{metOf(&prev, w.gotPrev, refs[:np:np]), metOf(&own, w.gotOwn, refs[np:])}})
	w.cur, w.own = next, own
	w.steps++
	return nil
}

// finish checks the newest root's expiry.
func (w *walk) finish() (*ChainResult, error) {
	if !w.now.Before(w.cur.Expires()) {
		return nil, &ExpiredError{Role: root.RoleRoot, Version: w.cur.Version(), Expires: w.cur.Expires(), Now: w.now, Steps: w.res.Steps}
	}
	res := w.res
	res.Root = w.cur
	return &res, nil
}

// metOf describes the keys of req at indices idx, in refs (of the same
// length).
func metOf(req *requirement, idx []int, refs []KeyRef) Met {
	m := Met{Name: req.name, Version: req.version, Threshold: req.threshold, SignedBy: refs}
	for j, i := range idx {
		k := req.keys[i]
		m.SignedBy[j] = KeyRef{KeyID: k.ID(), Fingerprint: k.Fingerprint(), Holder: k.Holder()}
	}
	return m
}

// warn records a warning for each key of r whose ID does not match its
// content (in strict mode, fails instead) and for each key that cannot
// verify signatures.
func (w *walk) warn(r *root.Root) error {
	for _, k := range r.Keys() {
		if !k.IDMatchesContent() {
			if w.opts.Strict {
				return located(root.RoleRoot, r.Version(), "", fmt.Errorf("%w: key %s", ErrKeyIDMismatch, k.ID()))
			}
			w.res.Warnings = append(w.res.Warnings, Warning{Role: root.RoleRoot, Version: r.Version(), Code: root.LintKeyIDMismatch, KeyID: k.ID(),
				Message: fmt.Sprintf("key ID %s is not the SHA-256 of its key object", k.ID())})
		}
		if why := k.Unsupported(); why != "" {
			w.res.Warnings = append(w.res.Warnings, Warning{Role: root.RoleRoot, Version: r.Version(), Code: root.LintUnsupportedKey, KeyID: k.ID(),
				Message: fmt.Sprintf("key %s is never counted: %s", k.ID(), why)})
		}
	}
	return nil
}

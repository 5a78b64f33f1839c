package root

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/signer"
)

// Requirements returns the thresholds r must meet: when prev is not nil,
// prev's root role's first (a client holding prev checks it first), then
// r's own root role's.
func (r *Root) Requirements(prev *Root) []Requirement {
	if !r.ok() {
		return nil
	}
	var reqs []Requirement
	if prev.ok() {
		reqs = append(reqs, Requirement{
			Name:      PreviousRequirement(prev.Version()),
			Version:   prev.Version(),
			Keys:      prev.roleKeys(RoleRoot),
			Threshold: prev.threshold(RoleRoot),
		})
	}
	return append(reqs, Requirement{
		Name:      OwnRequirement(r.Version()),
		Version:   r.Version(),
		Keys:      r.roleKeys(RoleRoot),
		Threshold: r.threshold(RoleRoot),
	})
}

// OwnRequirement names the threshold of root version v's own root role,
// as Requirements, SigningStatus and package verify report it.
func OwnRequirement(v int64) string { return fmt.Sprintf("root v%d (own)", v) }

// PreviousRequirement names the threshold of root version v's root role
// that version v+1 must meet.
func PreviousRequirement(v int64) string { return fmt.Sprintf("root v%d (previous)", v) }

// checkPrev refuses a prev that is not the version before r.
func checkPrev(r, prev *Root) error {
	if prev == nil {
		return nil
	}
	if !prev.ok() || prev.Version() != r.Version()-1 {
		pv := int64(0)
		if prev.ok() {
			pv = prev.Version()
		}
		return fmt.Errorf("root: the previous root is v%d, but v%d needs v%d", pv, r.Version(), r.Version()-1)
	}
	return nil
}

// rootKeyCandidates returns the root keys of r and prev listed under id.
func rootKeyCandidates(r, prev *Root, id KeyID) []Key {
	var out []Key
	for _, x := range []*Root{r, prev} {
		if x == nil {
			continue
		}
		for _, k := range x.roleKeys(RoleRoot) {
			if k.ID() == id {
				out = append(out, k)
			}
		}
	}
	return out
}

// checkKeyIDs refuses key IDs that mean different root keys in r and
// prev: a root holds one signature entry per key ID, so a signature for
// one of the keys would replace, or be replaced by, the other's.
func checkKeyIDs(r, prev *Root, ids []KeyID) error {
	if prev == nil {
		return nil
	}
	for _, id := range ids {
		cands := rootKeyCandidates(r, prev, id)
		for _, k := range cands[min(1, len(cands)):] {
			if !k.sameKey(cands[0]) {
				return policyErr(RoleRoot, id, "the key ID names one root key in v%d and another in v%d, and one signature entry cannot serve both; build v%d without reusing the key ID", r.Version(), prev.Version(), r.Version())
			}
		}
	}
	return nil
}

// AddSignature adds a detached signature. It replaces any earlier signature
// under the same key ID, and refuses one that does not verify against a key
// of r's root role or, when prev is not nil, of prev's root role. A
// signature under a key ID only prev lists is stored under that key ID, as
// real rotations do. Refusals are [*SignatureError] values wrapping
// [ErrBadSignature] or [ErrUnknownKey]. A new entry that would take the root
// past the number of signatures [Parse] accepts is refused too, and so,
// with a [*PolicyError] wrapping [ErrInvalidPolicy], is a signature under a
// key ID that names different root keys in r and prev.
func (r *Root) AddSignature(sig Signature, prev *Root) error {
	if !r.ok() {
		return errors.New("root: no root to sign")
	}
	if err := checkPrev(r, prev); err != nil {
		return err
	}
	if len(sig.Value) == 0 {
		return &SignatureError{Role: RoleRoot, KeyID: sig.KeyID, Err: fmt.Errorf("%w: the signature is empty", ErrBadSignature)}
	}
	if len(sig.Value) > tufmeta.MaxSignatureSize {
		return &SignatureError{Role: RoleRoot, KeyID: sig.KeyID, Err: fmt.Errorf("%w: the signature is %d bytes, more than %d", ErrBadSignature, len(sig.Value), tufmeta.MaxSignatureSize)}
	}
	cands := rootKeyCandidates(r, prev, sig.KeyID)
	if len(cands) == 0 {
		which := fmt.Sprintf("v%d", r.Version())
		if prev != nil {
			which += fmt.Sprintf(" or v%d", prev.Version())
		}
		return &SignatureError{Role: RoleRoot, KeyID: sig.KeyID, Err: fmt.Errorf("%w: no root key of %s has this key ID", ErrUnknownKey, which)}
	}
	if err := checkKeyIDs(r, prev, []KeyID{sig.KeyID}); err != nil {
		return err
	}
	if err := r.roomFor([]KeyID{sig.KeyID}); err != nil {
		return err
	}
	var verr error
	for _, k := range cands {
		if verr = k.Verify(r.payload, sig.Value); verr == nil {
			break
		}
	}
	if verr != nil {
		return &SignatureError{Role: RoleRoot, KeyID: sig.KeyID, Err: verr}
	}
	r.putSignature(Signature{KeyID: sig.KeyID, Value: slices.Clone(sig.Value)})
	return nil
}

// roomFor refuses signatures under ids when the new entries would take the
// root past the number of signatures Parse accepts, so that a signed root
// can always be read back.
func (r *Root) roomFor(ids []KeyID) error {
	n := len(r.sigs)
	for _, id := range ids {
		if !slices.ContainsFunc(r.sigs, func(s Signature) bool { return s.KeyID == id }) {
			n++
		}
	}
	if n > tufmeta.MaxSignatures {
		return fmt.Errorf("root: the root already holds %d signature entries; %d more would pass the limit of %d", len(r.sigs), n-len(r.sigs), tufmeta.MaxSignatures)
	}
	return nil
}

func (r *Root) putSignature(s Signature) {
	for i := range r.sigs {
		if r.sigs[i].KeyID == s.KeyID {
			r.sigs[i] = s
			return
		}
	}
	r.sigs = append(r.sigs, s)
}

// Sign signs r with s under every key ID that s's public key has in r's
// and prev's root roles, adds the signatures, and returns them. It checks
// that s's key is listed before it calls s.Sign, so a token is never asked
// for a PIN to make a useless signature. The signature is verified before
// it is added.
//
// If s's key is not a root key the error wraps [signer.ErrWrongKey]; if
// one of its key IDs names different root keys in r and prev, the error is
// a [*PolicyError] wrapping [ErrInvalidPolicy] and s is not asked to sign;
// errors from s.Sign are wrapped, so errors.Is(err, signer.ErrWrongPIN)
// and the like still work.
func (r *Root) Sign(ctx context.Context, s signer.Signer, prev *Root) ([]Signature, error) {
	if !r.ok() {
		return nil, errors.New("root: no root to sign")
	}
	if s == nil {
		return nil, errors.New("root: no signer")
	}
	if err := checkPrev(r, prev); err != nil {
		return nil, err
	}
	pub := s.Public()
	fp, err := tufkey.Fingerprint(pub)
	if err != nil {
		return nil, fmt.Errorf("root: the signer's public key: %w: %s", signer.ErrWrongKey, detail(err))
	}
	var keys []Key
	for _, x := range []*Root{r, prev} {
		if x == nil {
			continue
		}
		for _, k := range x.roleKeys(RoleRoot) {
			if k.Fingerprint() == fp && !slices.ContainsFunc(keys, func(o Key) bool { return o.ID() == k.ID() }) {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		which := fmt.Sprintf("v%d", r.Version())
		if prev != nil {
			which += fmt.Sprintf(" or v%d", prev.Version())
		}
		return nil, fmt.Errorf("root: the signer's key (fingerprint %s) is not a root key of %s: %w", fp[:16], which, signer.ErrWrongKey)
	}
	ids := make([]KeyID, 0, len(keys))
	for _, k := range keys {
		ids = append(ids, k.ID())
	}
	if err := checkKeyIDs(r, prev, ids); err != nil {
		return nil, err
	}
	if err := r.roomFor(ids); err != nil {
		return nil, err
	}
	value, err := s.Sign(ctx, r.SigningPayload())
	if err != nil {
		return nil, fmt.Errorf("root: signing v%d: %w", r.Version(), err)
	}
	out := make([]Signature, 0, len(keys))
	for _, k := range keys {
		if err := k.Verify(r.payload, value); err != nil {
			return nil, &SignatureError{Role: RoleRoot, KeyID: k.ID(), Err: fmt.Errorf("the signer's signature does not verify under the root's scheme %s: %w", k.Scheme(), err)}
		}
		out = append(out, Signature{KeyID: k.ID(), Value: slices.Clone(value)})
	}
	for _, sig := range out {
		r.putSignature(Signature{KeyID: sig.KeyID, Value: slices.Clone(sig.Value)})
	}
	return out, nil
}

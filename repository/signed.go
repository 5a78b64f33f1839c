package repository

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
)

// File is one file of a repository: its path relative to the repository
// directory, slash-separated, and its content.
type File struct {
	Name string
	Data []byte
}

// signed is what Targets, Snapshot and Timestamp share: the role, the
// signatures and the canonical bytes they cover. Every change to the
// metadata calls changed, which drops both.
type signed struct {
	role    root.Role
	encode  func() map[string]any
	payload cjson.Raw // nil until computed, and after a change
	sigs    []root.Signature
}

func (m *signed) changed() {
	m.payload = nil
	m.sigs = nil
}

// SigningPayload returns the canonical JSON of the signed object: the
// bytes every signature covers. For parsed metadata it is exactly what the
// file's signers signed.
func (m *signed) SigningPayload() ([]byte, error) {
	p, err := m.canonical()
	return slices.Clone(p), err
}

func (m *signed) canonical() (cjson.Raw, error) {
	if m.payload == nil {
		p, err := cjson.EncodeCanonical(m.encode())
		if err != nil {
			return nil, fmt.Errorf("repository: encoding %s: %w", m.role, err)
		}
		m.payload = p
	}
	return m.payload, nil
}

// Signatures returns the signatures in file order.
func (m *signed) Signatures() []root.Signature {
	out := make([]root.Signature, len(m.sigs))
	for i, s := range m.sigs {
		out[i] = root.Signature{KeyID: s.KeyID, Value: slices.Clone(s.Value)}
	}
	return out
}

func (m *signed) put(s root.Signature) {
	for i := range m.sigs {
		if m.sigs[i].KeyID == s.KeyID {
			m.sigs[i] = s
			return
		}
	}
	m.sigs = append(m.sigs, s)
}

// AddSignature adds a detached signature by one of keys (the role's keys:
// from the root for a top-level role, from the delegation for a delegated
// one), replacing an earlier one under the same key ID. A signature under
// a key ID none of keys has, or that does not verify, is refused with a
// *root.SignatureError wrapping root.ErrUnknownKey or
// root.ErrBadSignature.
func (m *signed) AddSignature(sig root.Signature, keys []root.Key) error {
	payload, err := m.canonical()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(keys, func(k root.Key) bool { return k.ID() == sig.KeyID })
	if i < 0 {
		return &root.SignatureError{Role: m.role, KeyID: sig.KeyID, Err: fmt.Errorf("%w: none of the %d keys given has this key ID", root.ErrUnknownKey, len(keys))}
	}
	if err := m.room([]root.KeyID{sig.KeyID}); err != nil {
		return err
	}
	if err := keys[i].Verify(payload, sig.Value); err != nil {
		return &root.SignatureError{Role: m.role, KeyID: sig.KeyID, Err: err}
	}
	m.put(root.Signature{KeyID: sig.KeyID, Value: slices.Clone(sig.Value)})
	return nil
}

// Sign signs with s, whose public key must be one of keys (the role's
// keys), under every key ID it has there, after checking that before it
// asks s for anything. The signature is verified under the key before it
// is added; it replaces an earlier one under the same key ID. Errors are a
// *root.SignatureError wrapping signer.ErrWrongKey (s's key is none of
// keys), root.ErrBadSignature, or s's own error unchanged, so
// errors.Is(err, signer.ErrWrongPIN) works.
func (m *signed) Sign(ctx context.Context, s signer.Signer, keys []root.Key) error {
	if s == nil {
		return &root.SignatureError{Role: m.role, Err: invalid("no signer")}
	}
	payload, err := m.canonical()
	if err != nil {
		return err
	}
	fp, err := tufkey.Fingerprint(s.Public())
	if err != nil {
		return &root.SignatureError{Role: m.role, Err: fmt.Errorf("the signer's public key: %w", signer.ErrWrongKey)}
	}
	var mine []root.Key
	for _, k := range keys {
		if k.Fingerprint() == fp && !slices.ContainsFunc(mine, func(o root.Key) bool { return o.ID() == k.ID() }) {
			mine = append(mine, k)
		}
	}
	if len(mine) == 0 {
		return &root.SignatureError{Role: m.role, Err: fmt.Errorf("the signer's key (fingerprint %s) is none of the role's %d keys: %w", fp[:16], len(keys), signer.ErrWrongKey)}
	}
	ids := make([]root.KeyID, len(mine))
	for i, k := range mine {
		ids[i] = k.ID()
	}
	if err := m.room(ids); err != nil {
		return err
	}
	sig, err := s.Sign(ctx, payload)
	if err != nil {
		return &root.SignatureError{Role: m.role, KeyID: mine[0].ID(), Err: err}
	}
	for _, k := range mine {
		if err := k.Verify(payload, sig); err != nil {
			return &root.SignatureError{Role: m.role, KeyID: k.ID(), Err: err}
		}
	}
	for _, k := range mine {
		m.put(root.Signature{KeyID: k.ID(), Value: slices.Clone(sig)})
	}
	return nil
}

// room refuses signatures under ids that would take the file past the
// number of signatures the parsers accept, so a signed file can always be
// read back.
func (m *signed) room(ids []root.KeyID) error {
	n := len(m.sigs)
	for _, id := range ids {
		if !slices.ContainsFunc(m.sigs, func(s root.Signature) bool { return s.KeyID == id }) {
			n++
		}
	}
	if n > tufmeta.MaxSignatures {
		return invalid("%s already holds %d signature entries; %d more would pass the limit of %d", m.role, len(m.sigs), n-len(m.sigs), tufmeta.MaxSignatures)
	}
	return nil
}

// MarshalFile returns the file form: keys sorted, two-space indent, a
// trailing newline. For parsed metadata the signed object is written as it
// was parsed.
func (m *signed) MarshalFile() ([]byte, error) {
	payload, err := m.canonical()
	if err != nil {
		return nil, err
	}
	sigs := make([]any, 0, len(m.sigs))
	for _, s := range m.sigs {
		sigs = append(sigs, map[string]any{"keyid": string(s.KeyID), "sig": hex.EncodeToString(s.Value)})
	}
	data, err := cjson.EncodePretty(map[string]any{"signatures": sigs, "signed": payload})
	if err != nil {
		return nil, fmt.Errorf("repository: encoding %s: %w", m.role, err)
	}
	return data, nil
}

// parsed fills m from an envelope read by a parser.
func (m *signed) parsed(env *tufmeta.Envelope) {
	m.payload = env.Signed
	for _, s := range env.Signatures {
		m.sigs = append(m.sigs, root.Signature{KeyID: root.KeyID(s.KeyID), Value: s.Sig})
	}
}

// checkTime returns t as UTC whole seconds, refusing the zero time.
func checkTime(what root.Role, t time.Time) (time.Time, error) {
	if t.IsZero() {
		return time.Time{}, invalid("%s: expiry is required", what)
	}
	return t.UTC().Truncate(time.Second), nil
}

func checkVersion(what root.Role, v int64) error {
	if v < 1 {
		return invalid("%s: version %d is below 1", what, v)
	}
	if v > 1<<53 {
		return invalid("%s: version %d is more than 2^53, which other clients read inexactly", what, v)
	}
	return nil
}

// parse reads a file of type typ strictly, at most max bytes (0 means the
// module's bound for the type).
func parse(typ string, role root.Role, data []byte, max int) (*tufmeta.Envelope, error) {
	env, err := tufmeta.ParseEnvelope(data, typ, max)
	if err != nil {
		return nil, fmt.Errorf("repository: %s: %w", role, err)
	}
	return env, nil
}

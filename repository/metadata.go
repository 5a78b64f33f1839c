package repository

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/trustroot/trustroot/internal/cjson"
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

// signature is one signature entry.
type signature struct {
	keyID string
	sig   []byte
}

// signed holds what every metadata type shares: the signed object (a
// go-tuf struct that marshals to the signed JSON) and the signatures.
type signed struct {
	role string
	sigs []signature
}

// checkTime returns t as UTC whole seconds, refusing the zero time.
func checkTime(what string, t time.Time) (time.Time, error) {
	if t.IsZero() {
		return time.Time{}, invalid("%s: expiry is required", what)
	}
	return t.UTC().Truncate(time.Second), nil
}

func checkVersion(what string, v int64) error {
	if v < 1 {
		return invalid("%s: version %d is below 1", what, v)
	}
	return nil
}

// sign signs payload with s after finding s's key among keys, verifies
// the signature, and replaces any earlier signature by the same key.
func (m *signed) sign(ctx context.Context, payload []byte, s signer.Signer, keys []root.Key) error {
	if s == nil {
		return &SignError{Role: m.role, Err: invalid("no signer")}
	}
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	if err != nil {
		return &SignError{Role: m.role, Err: fmt.Errorf("%w: signer's public key: %w", ErrKeyNotInRole, err)}
	}
	fp := fingerprintDER(der)
	var key root.Key
	found := false
	for _, k := range keys {
		if k.Fingerprint() == fp {
			key, found = k, true
			break
		}
	}
	if !found {
		return &SignError{Role: m.role, Err: fmt.Errorf("%w: key %s", ErrKeyNotInRole, fp)}
	}
	id := string(key.ID())
	sig, err := s.Sign(ctx, payload)
	if err != nil {
		return &SignError{Role: m.role, KeyID: id, Err: err}
	}
	if err := key.Verify(payload, sig); err != nil {
		return &SignError{Role: m.role, KeyID: id, Err: fmt.Errorf("%w: %w", ErrBadSignature, err)}
	}
	for i := range m.sigs {
		if m.sigs[i].keyID == id {
			m.sigs[i].sig = sig
			return nil
		}
	}
	m.sigs = append(m.sigs, signature{keyID: id, sig: sig})
	return nil
}

// marshal returns the file form of a signed object: keys sorted, two-space
// indent, a trailing newline.
func (m *signed) marshal(v any) ([]byte, error) {
	tree, err := cjson.FromValue(v)
	if err != nil {
		return nil, fmt.Errorf("repository: encoding %s: %w", m.role, err)
	}
	sigs := make([]any, 0, len(m.sigs))
	for _, s := range m.sigs {
		sigs = append(sigs, map[string]any{"keyid": s.keyID, "sig": fmt.Sprintf("%x", s.sig)})
	}
	data, err := cjson.EncodePretty(map[string]any{"signatures": sigs, "signed": tree})
	if err != nil {
		return nil, fmt.Errorf("repository: encoding %s: %w", m.role, err)
	}
	return data, nil
}

func payloadOf(role string, v any) ([]byte, error) {
	p, err := tufmeta.Canonical(v)
	if err != nil {
		return nil, fmt.Errorf("repository: canonical JSON of %s: %w", role, err)
	}
	return p, nil
}

func fingerprintDER(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

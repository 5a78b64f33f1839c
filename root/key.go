package root

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/trustroot/trustroot/internal/tufkey"
)

// Custom key fields that hold the keyholder annotations.
const (
	// FieldHolder is the key object field holding [KeyOptions.Holder].
	FieldHolder = "x-trustroot-keyholder"
	// FieldSerial is the key object field holding [KeyOptions.Serial].
	FieldSerial = "x-trustroot-token-serial"
	// fieldTUFOnCIOwner is tuf-on-ci's keyholder annotation.
	fieldTUFOnCIOwner = "x-tuf-on-ci-keyowner"
	// maxAnnotation bounds the length of Holder and Serial.
	maxAnnotation = 256
)

type keyData struct {
	id        KeyID
	key       *tufkey.Key
	contentID KeyID
}

func newKeyData(id KeyID, k *tufkey.Key) (Key, error) {
	cid, err := k.ContentID()
	if err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	if id == "" {
		id = KeyID(cid)
	}
	return Key{k: &keyData{id: id, key: k, contentID: KeyID(cid)}}, nil
}

// NewKey returns the TUF key for pub: ECDSA P-256 as keytype "ecdsa",
// scheme "ecdsa-sha2-nistp256"; ECDSA P-384 as "ecdsa",
// "ecdsa-sha2-nistp384"; Ed25519 as "ed25519"; RSA (2048 bits or more) as
// "rsa", "rsassa-pss-sha256". ECDSA and RSA keys are PEM (SPKI), Ed25519
// keys hex. The key ID is the SHA-256 of the canonical key object including
// the annotations, which are stored under [FieldHolder] and [FieldSerial].
func NewKey(pub crypto.PublicKey, opts KeyOptions) (Key, error) {
	custom := map[string]any{}
	for name, v := range map[string]string{FieldHolder: opts.Holder, FieldSerial: opts.Serial} {
		if v == "" {
			continue
		}
		if len(v) > maxAnnotation {
			return Key{}, fmt.Errorf("%w: %s is %d bytes, more than %d", ErrInvalidKey, name, len(v), maxAnnotation)
		}
		custom[name] = v
	}
	k, err := tufkey.New(pub, custom)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %s", ErrInvalidKey, detail(err))
	}
	return newKeyData("", k)
}

func (k Key) valid() bool { return k.k != nil && k.k.key != nil }

// ID returns the key ID under which the key is listed.
func (k Key) ID() KeyID {
	if !k.valid() {
		return ""
	}
	return k.k.id
}

// Type returns the TUF keytype, e.g. "ecdsa".
func (k Key) Type() string {
	if !k.valid() {
		return ""
	}
	return k.k.key.Type
}

// Scheme returns the TUF signature scheme, e.g. "ecdsa-sha2-nistp256".
func (k Key) Scheme() string {
	if !k.valid() {
		return ""
	}
	return k.k.key.Scheme
}

// Public returns a copy of the decoded public key: *ecdsa.PublicKey,
// ed25519.PublicKey or *rsa.PublicKey. Changing it does not change k.
func (k Key) Public() crypto.PublicKey {
	if !k.valid() {
		return nil
	}
	// Decoded keys are shared between roots (see decodeKey): never hand
	// out the shared value.
	switch p := k.k.key.Public.(type) {
	case *ecdsa.PublicKey:
		b, err := p.Bytes()
		if err != nil {
			return nil
		}
		c, err := ecdsa.ParseUncompressedPublicKey(p.Curve, b)
		if err != nil {
			return nil
		}
		return c
	case ed25519.PublicKey:
		return slices.Clone(p)
	case *rsa.PublicKey:
		return &rsa.PublicKey{N: new(big.Int).Set(p.N), E: p.E}
	}
	return nil
}

// Holder returns the keyholder annotation, or "" if there is none. It reads
// this package's annotation and falls back to tuf-on-ci's
// x-tuf-on-ci-keyowner.
func (k Key) Holder() string {
	if !k.valid() {
		return ""
	}
	if s, ok := k.k.key.Object[FieldHolder].(string); ok && s != "" {
		return s
	}
	s, _ := k.k.key.Object[fieldTUFOnCIOwner].(string)
	return s
}

// Serial returns the hardware token serial annotation, or "".
func (k Key) Serial() string {
	if !k.valid() {
		return ""
	}
	s, _ := k.k.key.Object[FieldSerial].(string)
	return s
}

// Fingerprint returns the hex SHA-256 of the key's PKIX DER encoding. Two
// key entries with the same fingerprint are the same key, whatever their
// key IDs, keytypes or custom fields; thresholds count fingerprints.
func (k Key) Fingerprint() string {
	if !k.valid() {
		return ""
	}
	return k.k.key.Fingerprint()
}

// IDMatchesContent reports whether ID equals the SHA-256 of the canonical
// key object, as the TUF specification asks. Real roots break this rule
// (Sigstore's production v11), so verifiers warn rather than fail.
func (k Key) IDMatchesContent() bool {
	return k.valid() && k.k.id == k.k.contentID
}

// Verify checks sig over message under the key's scheme. ECDSA signatures
// must be ASN.1 DER.
func (k Key) Verify(message, sig []byte) error {
	if !k.valid() {
		return fmt.Errorf("%w: no key", ErrBadSignature)
	}
	if err := k.k.key.Verify(message, sig); err != nil {
		return fmt.Errorf("%w: %s", ErrBadSignature, detail(err))
	}
	return nil
}

// publishesPrivate reports whether the key object has a keyval.private
// that is neither absent, null nor "": a private key written into the root.
func (k Key) publishesPrivate() bool {
	if !k.valid() {
		return false
	}
	kv, _ := k.k.key.Object["keyval"].(map[string]any)
	v, ok := kv["private"]
	return ok && v != nil && v != ""
}

// sameKey reports whether k and o verify the same signatures: the same
// public key under the same scheme.
func (k Key) sameKey(o Key) bool {
	return k.Fingerprint() == o.Fingerprint() && k.Scheme() == o.Scheme()
}

// object returns the key object as a generic JSON tree.
func (k Key) object() map[string]any { return k.k.key.Object }

// detail strips the internal package's prefixes from err's message, so a
// root error reads "root: invalid key: <reason>".
func detail(err error) string {
	s := err.Error()
	for _, p := range []string{"tufkey: invalid key: ", "tufkey: signature does not verify: ", "tufmeta: malformed metadata: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

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

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/link"
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
	id  KeyID
	key *tufkey.Key
}

func newKey(id KeyID, k *tufkey.Key) Key {
	if id == "" {
		id = KeyID(k.ContentID())
	}
	return Key{k: &keyData{id: id, key: k}}
}

// NewKey returns the TUF key for pub: ECDSA P-256, P-384 and P-521 as
// keytype "ecdsa" with scheme "ecdsa-sha2-nistp256", "-nistp384" or
// "-nistp521"; Ed25519 as "ed25519"; RSA (2048 bits or more) as "rsa",
// "rsassa-pss-sha256". ECDSA and RSA keys are PEM (SPKI), Ed25519 keys hex.
// The key ID is the SHA-256 of the canonical key object including the
// annotations, which are stored under [FieldHolder] and [FieldSerial].
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
	return newKey("", k), nil
}

// ParseKey reads a TUF key object (keytype, scheme, keyval and any custom
// fields) listed under id; an empty id means the key's content ID. The
// object is read strictly, like every metadata file. A key of a type or
// scheme this package does not know, or whose public value cannot be used,
// parses: it reports why in [Key.Unsupported] and never verifies anything.
// Only an object that is not shaped like a key is an error.
func ParseKey(id KeyID, object []byte) (Key, error) {
	if len(object) > maxKeyObject {
		return Key{}, fmt.Errorf("%w: key object is %d bytes, more than %d", ErrInvalidKey, len(object), maxKeyObject)
	}
	canon, err := cjson.Canonicalize(object)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %s", ErrInvalidKey, strings.TrimPrefix(err.Error(), "cjson: "))
	}
	k, err := tufkey.DecodeCached(canon)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %s", ErrInvalidKey, detail(err))
	}
	return newKey(id, k), nil
}

// maxKeyObject bounds the key objects ParseKey reads.
const maxKeyObject = 64 << 10

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

// Unsupported returns why the key cannot verify signatures (an unknown
// keytype or scheme, an unusable public value), or "" when it can. An
// unsupported key never counts toward a threshold.
func (k Key) Unsupported() string {
	if !k.valid() {
		return "the zero Key"
	}
	return k.k.key.Unsupported
}

// Public returns a copy of the decoded public key: *ecdsa.PublicKey,
// ed25519.PublicKey or *rsa.PublicKey; nil for an unsupported key.
// Changing it does not change k.
func (k Key) Public() crypto.PublicKey {
	if !k.valid() {
		return nil
	}
	// Decoded keys are shared between roots (see tufkey.DecodeCached):
	// never hand out the shared value.
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

// stringField returns a custom string field of the key object.
func (k Key) stringField(name string) string {
	if !k.valid() {
		return ""
	}
	s, _ := k.k.key.StringField(name)
	return s
}

// Holder returns the keyholder annotation, or "" if there is none. It reads
// this package's annotation and falls back to tuf-on-ci's
// x-tuf-on-ci-keyowner.
func (k Key) Holder() string {
	if s := k.stringField(FieldHolder); s != "" {
		return s
	}
	return k.stringField(fieldTUFOnCIOwner)
}

// Serial returns the hardware token serial annotation, or "".
func (k Key) Serial() string { return k.stringField(FieldSerial) }

// Fingerprint returns the hex SHA-256 of the key's PKIX DER encoding, or
// "" for an unsupported key. Two key entries with the same fingerprint are
// the same key, whatever their key IDs, keytypes or custom fields;
// thresholds count fingerprints.
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
	return k.valid() && string(k.k.id) == k.k.key.ContentID()
}

// Verify checks sig over message under the key's scheme. ECDSA signatures
// must be ASN.1 DER. An unsupported key verifies nothing.
func (k Key) Verify(message, sig []byte) error {
	return k.verify(message, nil, sig)
}

// verify is Verify, through d's digests when d is not nil (d's message is
// then the message).
func (k Key) verify(message []byte, d *tufkey.Digests, sig []byte) error {
	if !k.valid() {
		return fmt.Errorf("%w: no key", ErrBadSignature)
	}
	var err error
	if d != nil {
		err = k.k.key.VerifyDigests(d, sig)
	} else {
		err = k.k.key.Verify(message, sig)
	}
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBadSignature, detail(err))
	}
	return nil
}

func init() {
	link.VerifyDigests = func(k any, d *tufkey.Digests, sig []byte) (error, bool) {
		rk, ok := k.(Key)
		if !ok {
			return nil, false
		}
		return rk.verify(d.Message(), d, sig), true
	}
}

// MarshalJSON returns the key object, custom fields included, as JSON.
func (k Key) MarshalJSON() ([]byte, error) {
	if !k.valid() {
		return nil, fmt.Errorf("%w: the zero Key", ErrInvalidKey)
	}
	return k.k.key.Object.JSON(), nil
}

// publishesPrivate reports whether the key object has a keyval.private
// that is neither absent, null nor "": a private key written into the root.
func (k Key) publishesPrivate() bool {
	return k.valid() && k.k.key.PrivateValue()
}

// sameKey reports whether k and o verify the same signatures: the same
// public key under the same scheme. Unsupported keys are the same only as
// identical key objects.
func (k Key) sameKey(o Key) bool {
	if k.Unsupported() != "" || o.Unsupported() != "" {
		return k.valid() && o.valid() && string(k.k.key.Object) == string(o.k.key.Object)
	}
	return k.Fingerprint() == o.Fingerprint() && k.Scheme() == o.Scheme()
}

// object returns the key object in canonical form.
func (k Key) object() cjson.Raw { return k.k.key.Object }

// detail strips the internal packages' sentinel texts from err's message,
// so a root error reads "root: invalid key: <reason>".
func detail(err error) string {
	s := err.Error()
	for _, p := range []string{tufkey.ErrInvalidKey.Error() + ": ", tufkey.ErrBadSignature.Error() + ": "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// Package tufkey decodes, builds, identifies and verifies with TUF key
// objects (keytype, scheme, keyval.public and any custom fields).
//
// It accepts the encodings real roots use: ECDSA keys as PEM SPKI or as a
// hex SEC1 uncompressed point (Sigstore's roots v1-v4) under keytype
// "ecdsa", "ecdsa-sha2-nistp256" or "ecdsa-sha2-nistp384"; Ed25519 keys as
// 64 hex characters (a canonical encoding of a point not of small order); RSA keys (2048 bits or more) as PEM SPKI with scheme
// rsassa-pss-sha256. A key's fingerprint (hex SHA-256 of its PKIX DER) is
// what thresholds count; its content ID (hex SHA-256 of the canonical key
// object) is the key ID the TUF specification asks for.
package tufkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/trustroot/trustroot/internal/cjson"
)

// Keytypes and schemes.
const (
	KeyTypeECDSA       = "ecdsa"
	KeyTypeECDSAP256   = "ecdsa-sha2-nistp256"
	KeyTypeECDSAP384   = "ecdsa-sha2-nistp384"
	KeyTypeEd25519     = "ed25519"
	KeyTypeRSA         = "rsa"
	SchemeECDSAP256    = "ecdsa-sha2-nistp256"
	SchemeECDSAP384    = "ecdsa-sha2-nistp384"
	SchemeEd25519      = "ed25519"
	SchemeRSAPSSSHA256 = "rsassa-pss-sha256"
)

// Bounds on RSA key sizes.
const (
	MinRSABits = 2048
	MaxRSABits = 8192
)

const (
	maxPublicValueLength = 8 << 10
	maxSignatureLength   = 2048
	fieldKeyType         = "keytype"
	fieldScheme          = "scheme"
	fieldKeyVal          = "keyval"
	fieldPublic          = "public"
	fieldKeyIDHashAlgos  = "keyid_hash_algorithms"
)

// ErrInvalidKey is wrapped by every error about a key object that cannot
// be decoded or is not acceptable.
var ErrInvalidKey = errors.New("tufkey: invalid key")

// ErrBadSignature is wrapped by every signature verification failure.
var ErrBadSignature = errors.New("tufkey: signature does not verify")

// Key is a decoded TUF key.
type Key struct {
	// Type is the keytype, Scheme the signature scheme.
	Type, Scheme string
	// Public is the decoded key: *ecdsa.PublicKey, ed25519.PublicKey or
	// *rsa.PublicKey.
	Public crypto.PublicKey
	// Object is the complete key object as a generic JSON tree (see
	// package cjson), custom fields included. Treat it as read-only.
	Object map[string]any

	fingerprint string
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidKey, fmt.Sprintf(format, args...))
}

// Decode decodes a key object given as a generic JSON tree.
func Decode(obj map[string]any) (*Key, error) {
	if obj == nil {
		return nil, invalid("key object is missing")
	}
	kt, ok := obj[fieldKeyType].(string)
	if !ok {
		return nil, invalid("keytype is missing or not a string")
	}
	scheme, ok := obj[fieldScheme].(string)
	if !ok {
		return nil, invalid("scheme is missing or not a string")
	}
	kv, ok := obj[fieldKeyVal].(map[string]any)
	if !ok {
		return nil, invalid("keyval is missing or not an object")
	}
	pubStr, ok := kv[fieldPublic].(string)
	if !ok {
		return nil, invalid("keyval.public is missing or not a string")
	}
	if len(pubStr) > maxPublicValueLength {
		return nil, invalid("keyval.public is %d bytes, more than %d", len(pubStr), maxPublicValueLength)
	}
	if h, present := obj[fieldKeyIDHashAlgos]; present {
		list, ok := h.([]any)
		if !ok {
			return nil, invalid("keyid_hash_algorithms is not a list")
		}
		for _, e := range list {
			if _, ok := e.(string); !ok {
				return nil, invalid("keyid_hash_algorithms holds a non-string")
			}
		}
	}
	pub, err := decodePublic(kt, scheme, pubStr)
	if err != nil {
		return nil, err
	}
	k := &Key{Type: kt, Scheme: scheme, Public: pub, Object: obj}
	fp, err := Fingerprint(pub)
	if err != nil {
		return nil, err
	}
	k.fingerprint = fp
	return k, nil
}

// DecodeJSON decodes a key object from JSON (strictly, see cjson.Decode).
func DecodeJSON(data []byte) (*Key, error) {
	v, err := cjson.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("key is not a JSON object")
	}
	return Decode(obj)
}

// FromValue decodes any value that marshals to a key object, such as a
// go-tuf *metadata.Key.
func FromValue(v any) (*Key, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return DecodeJSON(data)
}

func decodePublic(kt, scheme, s string) (crypto.PublicKey, error) {
	switch kt {
	case KeyTypeECDSA, KeyTypeECDSAP256, KeyTypeECDSAP384:
		if scheme != SchemeECDSAP256 && scheme != SchemeECDSAP384 {
			return nil, invalid("scheme %q does not go with keytype %q", scheme, kt)
		}
		var pub *ecdsa.PublicKey
		if strings.HasPrefix(strings.TrimSpace(s), "-----BEGIN") {
			p, err := parsePEM(s)
			if err != nil {
				return nil, err
			}
			ep, ok := p.(*ecdsa.PublicKey)
			if !ok {
				return nil, invalid("keytype %q holds a %T, not an ECDSA key", kt, p)
			}
			pub = ep
		} else {
			raw, err := hex.DecodeString(s)
			if err != nil {
				return nil, invalid("ECDSA key is neither PEM nor hex: %v", err)
			}
			var curve elliptic.Curve
			switch len(raw) {
			case 65:
				curve = elliptic.P256()
			case 97:
				curve = elliptic.P384()
			default:
				return nil, invalid("hex ECDSA key is %d bytes, want an uncompressed P-256 (65) or P-384 (97) point", len(raw))
			}
			ep, err := ecdsa.ParseUncompressedPublicKey(curve, raw)
			if err != nil {
				return nil, invalid("hex ECDSA key: %v", err)
			}
			pub = ep
		}
		switch pub.Curve {
		case elliptic.P256(), elliptic.P384():
		default:
			return nil, invalid("ECDSA curve %s is not supported (want P-256 or P-384)", pub.Curve.Params().Name)
		}
		if kt == KeyTypeECDSAP256 && pub.Curve != elliptic.P256() || kt == KeyTypeECDSAP384 && pub.Curve != elliptic.P384() {
			return nil, invalid("keytype %q holds a %s key", kt, pub.Curve.Params().Name)
		}
		return pub, nil
	case KeyTypeEd25519:
		if scheme != SchemeEd25519 {
			return nil, invalid("scheme %q does not go with keytype %q", scheme, kt)
		}
		if len(s) != 2*ed25519.PublicKeySize {
			return nil, invalid("ed25519 key is %d hex characters, want %d", len(s), 2*ed25519.PublicKeySize)
		}
		raw, err := hex.DecodeString(s)
		if err != nil {
			return nil, invalid("ed25519 key is not hex: %v", err)
		}
		if err := checkEd25519Point(raw); err != nil {
			return nil, err
		}
		return ed25519.PublicKey(raw), nil
	case KeyTypeRSA:
		if scheme != SchemeRSAPSSSHA256 {
			return nil, invalid("scheme %q is not supported for keytype %q (want %q)", scheme, kt, SchemeRSAPSSSHA256)
		}
		p, err := parsePEM(s)
		if err != nil {
			return nil, err
		}
		rp, ok := p.(*rsa.PublicKey)
		if !ok {
			return nil, invalid("keytype rsa holds a %T, not an RSA key", p)
		}
		if n := rp.N.BitLen(); n < MinRSABits || n > MaxRSABits {
			return nil, invalid("RSA key has %d bits, want %d to %d", n, MinRSABits, MaxRSABits)
		}
		// crypto/rsa never verifies with such a key; refuse it here.
		if rp.E < 3 || rp.E%2 == 0 {
			return nil, invalid("RSA public exponent %d is not an odd number of at least 3", rp.E)
		}
		if rp.N.Bit(0) == 0 {
			return nil, invalid("RSA modulus is even")
		}
		return rp, nil
	default:
		return nil, invalid("unknown keytype %q", kt)
	}
}

// ed25519SmallOrderY lists, big-endian, the y coordinates of the eight
// points of small order on edwards25519: 0 (order 4), 1 (the identity),
// p-1 (order 2) and the two y of the order-8 points.
var ed25519SmallOrderY = [...]string{
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000001",
	"7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffec",
	"05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826",
	"7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7",
}

// ed25519P is 2^255-19, big-endian.
const ed25519P = "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed"

// checkEd25519Point refuses a public key encoding whose y is not reduced
// mod p (a second encoding of a point, which would fingerprint as another
// key) or that encodes a point of small order. Go's ed25519.Verify accepts
// both, and for a small-order key anyone can produce a signature that
// verifies.
func checkEd25519Point(raw []byte) error {
	y := make([]byte, len(raw))
	for i, b := range raw {
		y[len(raw)-1-i] = b
	}
	y[0] &= 0x7f // the sign of x
	yHex := hex.EncodeToString(y)
	if yHex >= ed25519P {
		return invalid("ed25519 key is not a canonical point encoding")
	}
	for _, small := range ed25519SmallOrderY {
		if yHex == small {
			return invalid("ed25519 key is a point of small order, for which anyone can forge signatures")
		}
	}
	return nil
}

func parsePEM(s string) (crypto.PublicKey, error) {
	// pem.Decode skips any text before the block; a key value is the
	// block alone.
	if !strings.HasPrefix(strings.TrimSpace(s), "-----BEGIN") {
		return nil, invalid("key is not PEM (or has data before the PEM block)")
	}
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		return nil, invalid("key is not PEM")
	}
	if block.Type != "PUBLIC KEY" {
		return nil, invalid("PEM block is %q, want \"PUBLIC KEY\"", block.Type)
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, invalid("data after the PEM block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, invalid("PEM key: %v", err)
	}
	return pub, nil
}

// Fingerprint returns the hex SHA-256 of pub's PKIX DER encoding.
func Fingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// Fingerprint returns the hex SHA-256 of the key's PKIX DER encoding.
func (k *Key) Fingerprint() string { return k.fingerprint }

// PublicValue returns keyval.public as the key object states it.
func (k *Key) PublicValue() string {
	kv, _ := k.Object[fieldKeyVal].(map[string]any)
	s, _ := kv[fieldPublic].(string)
	return s
}

// ContentID returns the key ID the TUF specification defines: the hex
// SHA-256 of the canonical JSON of the whole key object, custom fields and
// keyid_hash_algorithms (when present) included.
func (k *Key) ContentID() (string, error) {
	c, err := cjson.EncodeCanonical(k.Object)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// Custom returns the key object's fields other than keytype, scheme and
// keyval, keyid_hash_algorithms included.
func (k *Key) Custom() map[string]any {
	m := maps.Clone(k.Object)
	delete(m, fieldKeyType)
	delete(m, fieldScheme)
	delete(m, fieldKeyVal)
	return m
}

// Verify checks sig over message under the key's scheme:
// ecdsa-sha2-nistp256 hashes with SHA-256 and ecdsa-sha2-nistp384 with
// SHA-384 (ASN.1 DER signatures only), ed25519 signs the message itself,
// rsassa-pss-sha256 uses SHA-256 and accepts any salt length.
func (k *Key) Verify(message, sig []byte) error {
	if len(sig) == 0 {
		return fmt.Errorf("%w: empty signature", ErrBadSignature)
	}
	if len(sig) > maxSignatureLength {
		return fmt.Errorf("%w: signature is %d bytes, more than %d", ErrBadSignature, len(sig), maxSignatureLength)
	}
	switch pub := k.Public.(type) {
	case *ecdsa.PublicKey:
		var digest []byte
		switch k.Scheme {
		case SchemeECDSAP256:
			d := sha256.Sum256(message)
			digest = d[:]
		case SchemeECDSAP384:
			d := sha512.Sum384(message)
			digest = d[:]
		default:
			return fmt.Errorf("%w: scheme %q is not an ECDSA scheme", ErrBadSignature, k.Scheme)
		}
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			return fmt.Errorf("%w: ECDSA (%s) check failed", ErrBadSignature, k.Scheme)
		}
		return nil
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: ed25519 key has %d bytes", ErrBadSignature, len(pub))
		}
		if len(sig) != ed25519.SignatureSize {
			return fmt.Errorf("%w: ed25519 signature is %d bytes, want %d", ErrBadSignature, len(sig), ed25519.SignatureSize)
		}
		if !ed25519.Verify(pub, message, sig) {
			return fmt.Errorf("%w: ed25519 check failed", ErrBadSignature)
		}
		return nil
	case *rsa.PublicKey:
		if k.Scheme != SchemeRSAPSSSHA256 {
			return fmt.Errorf("%w: scheme %q is not an RSA scheme", ErrBadSignature, k.Scheme)
		}
		d := sha256.Sum256(message)
		if err := rsa.VerifyPSS(pub, crypto.SHA256, d[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256}); err != nil {
			return fmt.Errorf("%w: RSASSA-PSS check failed: %w", ErrBadSignature, err)
		}
		return nil
	default:
		return fmt.Errorf("%w: unsupported key type %T", ErrBadSignature, k.Public)
	}
}

// New builds the key object for pub: P-256 as "ecdsa"/"ecdsa-sha2-nistp256"
// PEM, P-384 as "ecdsa"/"ecdsa-sha2-nistp384" PEM, Ed25519 as
// "ed25519"/"ed25519" hex, RSA as "rsa"/"rsassa-pss-sha256" PEM. custom
// adds fields to the key object (their values must be JSON strings, bools,
// integers, nil, or lists and objects of those); it must not name keytype,
// scheme or keyval.
func New(pub crypto.PublicKey, custom map[string]any) (*Key, error) {
	var kt, scheme, value string
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if p == nil {
			return nil, invalid("nil ECDSA key")
		}
		kt = KeyTypeECDSA
		switch p.Curve {
		case elliptic.P256():
			scheme = SchemeECDSAP256
		case elliptic.P384():
			scheme = SchemeECDSAP384
		default:
			return nil, invalid("ECDSA curve %v is not supported (want P-256 or P-384)", curveName(p.Curve))
		}
		s, err := pemEncode(p)
		if err != nil {
			return nil, err
		}
		value = s
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, invalid("ed25519 key has %d bytes, want %d", len(p), ed25519.PublicKeySize)
		}
		kt, scheme, value = KeyTypeEd25519, SchemeEd25519, hex.EncodeToString(p)
	case *rsa.PublicKey:
		if p == nil || p.N == nil {
			return nil, invalid("nil RSA key")
		}
		kt, scheme = KeyTypeRSA, SchemeRSAPSSSHA256
		s, err := pemEncode(p)
		if err != nil {
			return nil, err
		}
		value = s
	default:
		return nil, invalid("unsupported public key type %T", pub)
	}
	obj := map[string]any{
		fieldKeyType: kt,
		fieldScheme:  scheme,
		fieldKeyVal:  map[string]any{fieldPublic: value},
	}
	for name, v := range custom {
		switch name {
		case fieldKeyType, fieldScheme, fieldKeyVal:
			return nil, invalid("custom field %q would replace a standard field", name)
		}
		obj[name] = v
	}
	if _, err := cjson.EncodeCanonical(obj); err != nil {
		return nil, fmt.Errorf("%w: custom fields: %w", ErrInvalidKey, err)
	}
	return Decode(obj)
}

func curveName(c elliptic.Curve) string {
	if c == nil || c.Params() == nil {
		return "<nil>"
	}
	return c.Params().Name
}

func pemEncode(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// HashFor returns the hash the key's scheme applies to a message before
// signing, or 0 for ed25519, which signs the message itself.
func (k *Key) HashFor() crypto.Hash {
	switch k.Scheme {
	case SchemeECDSAP384:
		return crypto.SHA384
	case SchemeEd25519:
		return 0
	default:
		return crypto.SHA256
	}
}

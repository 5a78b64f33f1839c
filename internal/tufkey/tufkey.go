// Package tufkey decodes, builds, identifies and verifies with TUF key
// objects (keytype, scheme, keyval.public and any custom fields).
//
// It verifies every scheme securesystemslib defines for RSA, ECDSA and
// Ed25519 keys: rsassa-pss-sha256/384/512 and rsa-pkcs1v15-sha256/384/512
// (keytype "rsa", PEM SPKI, 2048 bits or more), ecdsa-sha2-nistp256/384/521
// (keytype "ecdsa" or "ecdsa-sha2-nistp256/384/521", PEM SPKI or a hex
// uncompressed point as Sigstore's roots v1-v4 write them) and ed25519
// (64 hex characters, a canonical encoding of a point not of small order).
//
// A key object of another type or scheme (tuf-on-ci's "sigstore-oidc"
// keys, a future scheme), or whose public value cannot be used, still
// decodes: it is kept byte for byte and reports why it is unsupported, and
// it never verifies a signature. Only a key object that is not shaped like
// one (keytype, scheme and keyval missing or of the wrong JSON type) is an
// error.
//
// A key's fingerprint (hex SHA-256 of its PKIX DER) is what thresholds
// count; its content ID (hex SHA-256 of the canonical key object) is the key
// ID the TUF specification asks for.
package tufkey

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/trustroot/trustroot/internal/cjson"
)

// Keytypes and schemes.
const (
	KeyTypeECDSA     = "ecdsa"
	KeyTypeECDSAP256 = "ecdsa-sha2-nistp256"
	KeyTypeECDSAP384 = "ecdsa-sha2-nistp384"
	KeyTypeECDSAP521 = "ecdsa-sha2-nistp521"
	KeyTypeEd25519   = "ed25519"
	KeyTypeRSA       = "rsa"

	SchemeECDSAP256       = "ecdsa-sha2-nistp256"
	SchemeECDSAP384       = "ecdsa-sha2-nistp384"
	SchemeECDSAP521       = "ecdsa-sha2-nistp521"
	SchemeEd25519         = "ed25519"
	SchemeRSAPSSSHA256    = "rsassa-pss-sha256"
	SchemeRSAPSSSHA384    = "rsassa-pss-sha384"
	SchemeRSAPSSSHA512    = "rsassa-pss-sha512"
	SchemeRSAPKCS1SHA256  = "rsa-pkcs1v15-sha256"
	SchemeRSAPKCS1SHA384  = "rsa-pkcs1v15-sha384"
	SchemeRSAPKCS1SHA512  = "rsa-pkcs1v15-sha512"
	fieldKeyType          = "keytype"
	fieldScheme           = "scheme"
	fieldKeyVal           = "keyval"
	fieldPublic           = "public"
	maxPublicValueLength  = 8 << 10
	maxSignatureLength    = 2048
	defaultECDSAKeyType   = KeyTypeECDSA
	defaultRSAScheme      = SchemeRSAPSSSHA256
	unsupportedNoVerifier = "no verifier"
)

// Bounds on RSA key sizes.
const (
	MinRSABits = 2048
	MaxRSABits = 8192
)

// ErrInvalidKey is wrapped by every error about a key object that is not
// shaped like one, or a public key that cannot be made into one.
var ErrInvalidKey = errors.New("invalid key")

// ErrBadSignature is wrapped by every signature verification failure.
var ErrBadSignature = errors.New("signature does not verify")

// rsaSchemes maps each RSA scheme to its hash and padding.
var rsaSchemes = map[string]struct {
	hash crypto.Hash
	pss  bool
}{
	SchemeRSAPSSSHA256:   {crypto.SHA256, true},
	SchemeRSAPSSSHA384:   {crypto.SHA384, true},
	SchemeRSAPSSSHA512:   {crypto.SHA512, true},
	SchemeRSAPKCS1SHA256: {crypto.SHA256, false},
	SchemeRSAPKCS1SHA384: {crypto.SHA384, false},
	SchemeRSAPKCS1SHA512: {crypto.SHA512, false},
}

// ecdsaSchemes maps each ECDSA scheme to its hash and the curve the
// specific keytype of the same name requires.
var ecdsaSchemes = map[string]struct {
	hash  crypto.Hash
	curve func() elliptic.Curve
}{
	SchemeECDSAP256: {crypto.SHA256, elliptic.P256},
	SchemeECDSAP384: {crypto.SHA384, elliptic.P384},
	SchemeECDSAP521: {crypto.SHA512, elliptic.P521},
}

// Key is a decoded TUF key. Treat it as read-only.
type Key struct {
	// Type is the keytype, Scheme the signature scheme.
	Type, Scheme string
	// Public is the decoded key: *ecdsa.PublicKey, ed25519.PublicKey or
	// *rsa.PublicKey; nil for an unsupported key.
	Public crypto.PublicKey
	// Object is the complete key object in canonical form, custom fields
	// included.
	Object cjson.Raw
	// Unsupported says why the key cannot verify signatures, or is ""
	// for a usable key.
	Unsupported string

	fingerprint string
	contentID   string
	hash        crypto.Hash
	pss         bool
	caseVariant bool
	members     []cjson.Member
	strings     []stringField // top-level string members, decoded
}

type stringField struct{ name, value string }

// StandardFields are the members every key object has.
var StandardFields = []string{fieldKeyType, fieldScheme, fieldKeyVal}

var publicField = []string{fieldPublic}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidKey, fmt.Sprintf(format, args...))
}

// Decode decodes a key object in canonical form (see cjson.Canonicalize).
// It fails only for an object that is not shaped like a key; a key of an
// unknown type or scheme, or with an unusable public value, is returned
// with Unsupported set.
func Decode(obj cjson.Raw) (*Key, error) {
	members, err := obj.Members()
	if err != nil {
		return nil, invalid("key is not a JSON object")
	}
	k := &Key{Object: obj, members: members}
	kt, ok := k.Field(fieldKeyType).Str()
	if !ok {
		return nil, invalid("keytype is missing or not a string")
	}
	scheme, ok := k.Field(fieldScheme).Str()
	if !ok {
		return nil, invalid("scheme is missing or not a string")
	}
	kv := k.Field(fieldKeyVal)
	if kv.Kind() != cjson.KindObject {
		return nil, invalid("keyval is missing or not an object")
	}
	k.Type, k.Scheme = kt, scheme
	var kvBuf [4]cjson.Member
	kvm, kvErr := kv.AppendMembers(kvBuf[:0])
	if err := k.decodePublic(kvm, kvErr); err != nil {
		k.Unsupported = strings.TrimPrefix(err.Error(), ErrInvalidKey.Error()+": ")
		k.Public = nil
	}
	k.caseVariant = hasCaseVariant(members, StandardFields) || kvErr == nil && hasCaseVariant(kvm, publicField)
	for _, m := range members {
		if s, ok := m.Value.Str(); ok && m.Key != fieldKeyType && m.Key != fieldScheme {
			k.strings = append(k.strings, stringField{m.Key, s})
		}
	}
	sum := sha256.Sum256(obj)
	k.contentID = hex.EncodeToString(sum[:])
	return k, nil
}

// hasCaseVariant reports whether a member's name differs only in case
// from one of names.
func hasCaseVariant(members []cjson.Member, names []string) bool {
	for _, m := range members {
		for _, n := range names {
			if m.Key != n && strings.EqualFold(m.Key, n) {
				return true
			}
		}
	}
	return false
}

// CaseVariant reports whether the key object has a member whose name
// differs only in case from keytype, scheme or keyval, or a keyval member
// that differs only in case from public: clients that decode with Go's
// encoding/json would read it as that member.
func (k *Key) CaseVariant() bool { return k.caseVariant }

// StringField returns the key object's top-level member name if it is a
// string, without allocating.
func (k *Key) StringField(name string) (string, bool) {
	for _, f := range k.strings {
		if f.name == name {
			return f.value, true
		}
	}
	return "", false
}

// DecodeJSON decodes a key object from JSON, read strictly (see
// cjson.Canonicalize).
func DecodeJSON(data []byte) (*Key, error) {
	obj, err := cjson.Canonicalize(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return Decode(obj)
}

// Field returns the member name of the key object, or nil.
func (k *Key) Field(name string) cjson.Raw {
	for _, m := range k.members {
		if m.Key == name {
			return m.Value
		}
	}
	return nil
}

// Supported reports whether the key can verify signatures.
func (k *Key) Supported() bool { return k.Unsupported == "" }

func (k *Key) decodePublic(members []cjson.Member, err error) error {
	if err != nil {
		return invalid("keyval is not an object")
	}
	var pub []byte
	found := false
	for _, m := range members {
		if m.Key == fieldPublic {
			pub, found = rawString(m.Value)
			if !found {
				return invalid("keyval.public is not a string")
			}
		}
	}
	switch k.Type {
	case KeyTypeECDSA, KeyTypeECDSAP256, KeyTypeECDSAP384, KeyTypeECDSAP521, KeyTypeEd25519, KeyTypeRSA:
	default:
		return invalid("unknown keytype %q", k.Type)
	}
	if !found {
		return invalid("keyval.public is missing")
	}
	if len(pub) > maxPublicValueLength {
		return invalid("keyval.public is %d bytes, more than %d", len(pub), maxPublicValueLength)
	}
	switch k.Type {
	case KeyTypeEd25519:
		if k.Scheme != SchemeEd25519 {
			return invalid("scheme %q does not go with keytype %q", k.Scheme, k.Type)
		}
		pub, err := decodeEd25519(pub)
		if err != nil {
			return err
		}
		k.Public = pub
	case KeyTypeRSA:
		s, ok := rsaSchemes[k.Scheme]
		if !ok {
			return invalid("scheme %q does not go with keytype %q", k.Scheme, k.Type)
		}
		pub, err := decodeRSA(pub)
		if err != nil {
			return err
		}
		k.Public, k.hash, k.pss = pub, s.hash, s.pss
	default:
		s, ok := ecdsaSchemes[k.Scheme]
		if !ok {
			return invalid("scheme %q does not go with keytype %q", k.Scheme, k.Type)
		}
		pub, err := decodeECDSA(pub)
		if err != nil {
			return err
		}
		// A keytype that names a curve must hold that curve; keytype
		// "ecdsa" may hold any, and its scheme chooses the hash (Lint
		// flags a curve that does not match the scheme).
		if k.Type != KeyTypeECDSA && pub.Curve != ecdsaSchemes[k.Type].curve() {
			return invalid("keytype %q holds a %s key", k.Type, pub.Curve.Params().Name)
		}
		k.Public, k.hash = pub, s.hash
	}
	fp, err := Fingerprint(k.Public)
	if err != nil {
		return err
	}
	k.fingerprint = fp
	return nil
}

// rawString returns the bytes of the canonical JSON string r stands for:
// r's own bytes when it has no escape (canonical form escapes only '"' and
// '\\').
func rawString(r cjson.Raw) ([]byte, bool) {
	if r.Kind() != cjson.KindString || len(r) < 2 || r[len(r)-1] != '"' {
		return nil, false
	}
	b := r[1 : len(r)-1]
	if bytes.IndexByte(b, '\\') < 0 {
		return b, true
	}
	s, ok := r.Str()
	return []byte(s), ok
}

func decodeEd25519(s []byte) (ed25519.PublicKey, error) {
	if len(s) != 2*ed25519.PublicKeySize {
		return nil, invalid("ed25519 key is %d hex characters, want %d", len(s), 2*ed25519.PublicKeySize)
	}
	raw := make([]byte, ed25519.PublicKeySize)
	if _, err := hex.Decode(raw, s); err != nil {
		return nil, invalid("ed25519 key is not hex: %v", err)
	}
	if err := checkEd25519Point(raw); err != nil {
		return nil, err
	}
	return ed25519.PublicKey(raw), nil
}

func decodeRSA(s []byte) (*rsa.PublicKey, error) {
	p, err := parsePEM(s)
	if err != nil {
		return nil, err
	}
	rp, ok := p.(*rsa.PublicKey)
	if !ok {
		return nil, invalid("keytype rsa holds a %T, not an RSA key", p)
	}
	if err := checkRSA(rp); err != nil {
		return nil, err
	}
	return rp, nil
}

func checkRSA(rp *rsa.PublicKey) error {
	if n := rp.N.BitLen(); n < MinRSABits || n > MaxRSABits {
		return invalid("RSA key has %d bits, want %d to %d", n, MinRSABits, MaxRSABits)
	}
	// crypto/rsa never verifies with such a key; refuse it here.
	if rp.E < 3 || rp.E%2 == 0 {
		return invalid("RSA public exponent %d is not an odd number of at least 3", rp.E)
	}
	if rp.N.Bit(0) == 0 {
		return invalid("RSA modulus is even")
	}
	return nil
}

func decodeECDSA(s []byte) (*ecdsa.PublicKey, error) {
	var pub *ecdsa.PublicKey
	if bytes.HasPrefix(bytes.TrimSpace(s), pemBegin) {
		p, err := parsePEM(s)
		if err != nil {
			return nil, err
		}
		ep, ok := p.(*ecdsa.PublicKey)
		if !ok {
			return nil, invalid("an ECDSA keytype holds a %T", p)
		}
		pub = ep
	} else {
		raw := make([]byte, hex.DecodedLen(len(s)))
		if _, err := hex.Decode(raw, s); err != nil {
			return nil, invalid("ECDSA key is neither PEM nor hex: %v", err)
		}
		var curve elliptic.Curve
		switch len(raw) {
		case 65:
			curve = elliptic.P256()
		case 97:
			curve = elliptic.P384()
		case 133:
			curve = elliptic.P521()
		default:
			return nil, invalid("hex ECDSA key is %d bytes, want an uncompressed P-256 (65), P-384 (97) or P-521 (133) point", len(raw))
		}
		ep, err := ecdsa.ParseUncompressedPublicKey(curve, raw)
		if err != nil {
			return nil, invalid("hex ECDSA key: %v", err)
		}
		pub = ep
	}
	switch pub.Curve {
	case elliptic.P256(), elliptic.P384(), elliptic.P521():
		return pub, nil
	}
	return nil, invalid("ECDSA curve %s is not supported", curveName(pub.Curve))
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
	var y [ed25519.PublicKeySize]byte
	for i, b := range raw {
		y[len(raw)-1-i] = b
	}
	y[0] &= 0x7f // the sign of x
	var yHex [2 * ed25519.PublicKeySize]byte
	hex.Encode(yHex[:], y[:])
	if string(yHex[:]) >= ed25519P {
		return invalid("ed25519 key is not a canonical point encoding")
	}
	for _, small := range ed25519SmallOrderY {
		if string(yHex[:]) == small {
			return invalid("ed25519 key is a point of small order, for which anyone can forge signatures")
		}
	}
	return nil
}

var pemBegin = []byte("-----BEGIN")

func parsePEM(s []byte) (crypto.PublicKey, error) {
	// pem.Decode skips any text before the block; a key value is the
	// block alone.
	if !bytes.HasPrefix(bytes.TrimSpace(s), pemBegin) {
		return nil, invalid("key is not PEM (or has data before the PEM block)")
	}
	block, rest := pem.Decode(s)
	if block == nil {
		return nil, invalid("key is not PEM")
	}
	if block.Type != "PUBLIC KEY" {
		return nil, invalid("PEM block is %q, want \"PUBLIC KEY\"", block.Type)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, invalid("data after the PEM block")
	}
	if pub, ok := parseKnownSPKI(block.Bytes); ok {
		return pub, nil
	}
	pub, err := parseSPKI(block.Bytes)
	if err != nil {
		return nil, invalid("PEM key: %v", err)
	}
	return pub, nil
}

// The DER prefixes of SubjectPublicKeyInfo for the keys TUF repositories
// hold: P-256, P-384 and P-521 (id-ecPublicKey, the named curve, an
// uncompressed point of 65, 97 or 133 bytes) and Ed25519 (32 bytes).
// marshalSPKI writes exactly these bytes before the key.
var (
	spkiP256    = []byte{0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00}
	spkiP384    = []byte{0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00}
	spkiP521    = []byte{0x30, 0x81, 0x9b, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23, 0x03, 0x81, 0x86, 0x00}
	spkiEd25519 = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}
)

// spkiPrefix returns the SubjectPublicKeyInfo prefix for an ECDSA curve and
// the length of its uncompressed points, or nil.
func spkiPrefix(c elliptic.Curve) ([]byte, int) {
	switch c {
	case elliptic.P256():
		return spkiP256, 65
	case elliptic.P384():
		return spkiP384, 97
	case elliptic.P521():
		return spkiP521, 133
	}
	return nil, 0
}

// parseKnownSPKI parses der without the ASN.1 parser when it is exactly a
// known prefix and an uncompressed P-256, P-384 or P-521 point, as
// parseSPKI would (it ends in the same ecdsa.ParseUncompressedPublicKey).
// Anything else, or a point that does not parse, is left to parseSPKI and
// its errors.
func parseKnownSPKI(der []byte) (crypto.PublicKey, bool) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		prefix, n := spkiPrefix(c)
		if len(der) == len(prefix)+n && bytes.HasPrefix(der, prefix) {
			pub, err := ecdsa.ParseUncompressedPublicKey(c, der[len(prefix):])
			return pub, err == nil
		}
	}
	return nil, false
}

// Fingerprint returns the hex SHA-256 of pub's PKIX DER encoding.
func Fingerprint(pub crypto.PublicKey) (string, error) {
	var der []byte
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if len(p) == ed25519.PublicKeySize {
			der = append(append(make([]byte, 0, len(spkiEd25519)+len(p)), spkiEd25519...), p...)
		}
	case *ecdsa.PublicKey:
		if p != nil {
			if prefix, n := spkiPrefix(p.Curve); prefix != nil {
				if pt, err := p.Bytes(); err == nil && len(pt) == n {
					der = append(append(make([]byte, 0, len(prefix)+n), prefix...), pt...)
				}
			}
		}
	}
	if der == nil {
		var err error
		if der, err = marshalSPKI(pub); err != nil {
			return "", fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// Fingerprint returns the hex SHA-256 of the key's PKIX DER encoding, or
// "" for an unsupported key.
func (k *Key) Fingerprint() string { return k.fingerprint }

// PublicValue returns keyval.public as the key object states it, or "".
func (k *Key) PublicValue() string {
	members, _ := k.Field(fieldKeyVal).Members()
	for _, m := range members {
		if m.Key == fieldPublic {
			s, _ := m.Value.Str()
			return s
		}
	}
	return ""
}

// ContentID returns the key ID the TUF specification defines: the hex
// SHA-256 of the canonical JSON of the whole key object, custom fields and
// keyid_hash_algorithms (when present) included.
func (k *Key) ContentID() string {
	return k.contentID
}

// PrivateValue reports whether the key object has a keyval.private that
// is neither null nor "": a private key written into the metadata.
func (k *Key) PrivateValue() bool {
	members, _ := k.Field(fieldKeyVal).Members()
	for _, m := range members {
		if m.Key == "private" {
			s, isString := m.Value.Str()
			return !m.Value.IsNull() && !(isString && s == "")
		}
	}
	return false
}

// Verify checks sig over message under the key's scheme. ECDSA signatures
// must be ASN.1 DER; RSASSA-PSS accepts any salt length.
func (k *Key) Verify(message, sig []byte) error {
	return k.verify(message, nil, sig)
}

// VerifyDigests is Verify for the message of d, whose digests it computes
// once for every key that checks a signature over it.
func (k *Key) VerifyDigests(d *Digests, sig []byte) error {
	return k.verify(d.message, d, sig)
}

func (k *Key) verify(message []byte, d *Digests, sig []byte) error {
	hashed := func() []byte {
		if d != nil {
			return d.sum(k.hash)
		}
		return digest(k.hash, message)
	}
	if k.Unsupported != "" {
		return fmt.Errorf("%w: the key is unsupported (%s)", ErrBadSignature, k.Unsupported)
	}
	if len(sig) == 0 {
		return fmt.Errorf("%w: empty signature", ErrBadSignature)
	}
	if len(sig) > maxSignatureLength {
		return fmt.Errorf("%w: signature is %d bytes, more than %d", ErrBadSignature, len(sig), maxSignatureLength)
	}
	switch pub := k.Public.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, hashed(), sig) {
			return fmt.Errorf("%w: ECDSA (%s) check failed", ErrBadSignature, k.Scheme)
		}
		return nil
	case ed25519.PublicKey:
		if len(sig) != ed25519.SignatureSize {
			return fmt.Errorf("%w: ed25519 signature is %d bytes, want %d", ErrBadSignature, len(sig), ed25519.SignatureSize)
		}
		if !ed25519.Verify(pub, message, sig) {
			return fmt.Errorf("%w: ed25519 check failed", ErrBadSignature)
		}
		return nil
	case *rsa.PublicKey:
		var err error
		if k.pss {
			err = rsa.VerifyPSS(pub, k.hash, hashed(), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: k.hash})
		} else {
			err = rsa.VerifyPKCS1v15(pub, k.hash, hashed(), sig)
		}
		if err != nil {
			return fmt.Errorf("%w: RSA (%s) check failed: %w", ErrBadSignature, k.Scheme, err)
		}
		return nil
	}
	return fmt.Errorf("%w: %s", ErrBadSignature, unsupportedNoVerifier)
}

// Digests holds a message and computes each of its SHA-256, SHA-384 and
// SHA-512 digests once, when a key first needs it. It is safe for
// concurrent use; the message must not change.
type Digests struct {
	message []byte
	once    [3]sync.Once
	sums    [3][]byte
}

// NewDigests returns the Digests of message.
func NewDigests(message []byte) *Digests { return &Digests{message: message} }

// Message returns the message.
func (d *Digests) Message() []byte { return d.message }

func (d *Digests) sum(h crypto.Hash) []byte {
	var i int
	switch h {
	case crypto.SHA256:
		i = 0
	case crypto.SHA384:
		i = 1
	case crypto.SHA512:
		i = 2
	default:
		return nil
	}
	d.once[i].Do(func() { d.sums[i] = digest(h, d.message) })
	return d.sums[i]
}

func digest(h crypto.Hash, message []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(message)
		return d[:]
	case crypto.SHA384:
		d := sha512.Sum384(message)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(message)
		return d[:]
	}
	return nil
}

// HashFor returns the hash the key's scheme applies to a message before
// signing, or 0 for ed25519 (which signs the message itself) and for an
// unsupported key.
func (k *Key) HashFor() crypto.Hash {
	return k.hash
}

// New builds the key object for pub: P-256, P-384 and P-521 as keytype
// "ecdsa" with scheme "ecdsa-sha2-nistp256/384/521" and a PEM value,
// Ed25519 as "ed25519"/"ed25519" hex, RSA as "rsa"/"rsassa-pss-sha256"
// PEM. custom adds fields to the key object (JSON strings, bools,
// integers, nil, cjson.Raw, or lists and objects of those); it must not
// name keytype, scheme or keyval.
func New(pub crypto.PublicKey, custom map[string]any) (*Key, error) {
	var kt, scheme, value string
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if p == nil {
			return nil, invalid("nil ECDSA key")
		}
		kt = defaultECDSAKeyType
		switch p.Curve {
		case elliptic.P256():
			scheme = SchemeECDSAP256
		case elliptic.P384():
			scheme = SchemeECDSAP384
		case elliptic.P521():
			scheme = SchemeECDSAP521
		default:
			return nil, invalid("ECDSA curve %v is not supported (want P-256, P-384 or P-521)", curveName(p.Curve))
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
		if err := checkEd25519Point(p); err != nil {
			return nil, err
		}
		kt, scheme, value = KeyTypeEd25519, SchemeEd25519, hex.EncodeToString(p)
	case *rsa.PublicKey:
		if p == nil || p.N == nil {
			return nil, invalid("nil RSA key")
		}
		if err := checkRSA(p); err != nil {
			return nil, err
		}
		kt, scheme = KeyTypeRSA, defaultRSAScheme
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
	canon, err := cjson.EncodeCanonical(obj)
	if err != nil {
		return nil, fmt.Errorf("%w: custom fields: %w", ErrInvalidKey, err)
	}
	k, err := Decode(canon)
	if err != nil {
		return nil, err
	}
	if !k.Supported() {
		return nil, invalid("%s", k.Unsupported)
	}
	return k, nil
}

func curveName(c elliptic.Curve) string {
	if c == nil || c.Params() == nil {
		return "<nil>"
	}
	return c.Params().Name
}

func pemEncode(pub crypto.PublicKey) (string, error) {
	der, err := marshalSPKI(pub)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

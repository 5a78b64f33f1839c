package root

// This file fixes the exported API of package root. Bodies that say
// "not implemented" are being filled in; signatures here are the contract
// that verify, the ceremony tool and the examples build against. Change a
// signature only together with every caller.

import (
	"context"
	"crypto"
	"errors"
	"time"

	"github.com/trustroot/trustroot/signer"
)

var errNotImplemented = errors.New("root: not implemented")

// Role names a top-level TUF role.
type Role string

// The four top-level roles every root must define.
const (
	RoleRoot      Role = "root"
	RoleTargets   Role = "targets"
	RoleSnapshot  Role = "snapshot"
	RoleTimestamp Role = "timestamp"
)

// TopLevelRoles returns the four top-level roles in a fixed order.
func TopLevelRoles() []Role {
	return []Role{RoleRoot, RoleTargets, RoleSnapshot, RoleTimestamp}
}

// KeyID is a TUF key ID: the hex SHA-256 of the canonical JSON of the key
// object, for keys this package creates. Keys parsed from a file keep the
// ID the file gives them, which may not match their content (see
// [Key.IDMatchesContent]).
type KeyID string

// Key is a public key as listed in a root, with its keyholder annotations.
// It is an immutable value; build one with [NewKey] or read one from a
// parsed [Root].
type Key struct {
	k *keyData
}

type keyData struct{}

// KeyOptions annotate a new key. The annotations are stored as custom
// fields of the key object, so they are covered by the key ID and by every
// signature over the root.
type KeyOptions struct {
	// Holder names the person or service holding the private key.
	Holder string
	// Serial is the serial number of the hardware token holding the key,
	// if any.
	Serial string
}

// NewKey returns the TUF key for pub: ECDSA P-256 as keytype "ecdsa",
// scheme "ecdsa-sha2-nistp256"; ECDSA P-384 as "ecdsa",
// "ecdsa-sha2-nistp384"; Ed25519 as "ed25519"; RSA (2048 bits or more) as
// "rsa", "rsassa-pss-sha256". ECDSA and RSA keys are PEM (SPKI), Ed25519
// keys hex. The key ID is the SHA-256 of the canonical key object including
// the annotations.
func NewKey(pub crypto.PublicKey, opts KeyOptions) (Key, error) {
	return Key{}, errNotImplemented
}

// ID returns the key ID under which the key is listed.
func (k Key) ID() KeyID { return "" }

// Type returns the TUF keytype, e.g. "ecdsa".
func (k Key) Type() string { return "" }

// Scheme returns the TUF signature scheme, e.g. "ecdsa-sha2-nistp256".
func (k Key) Scheme() string { return "" }

// Public returns the decoded public key.
func (k Key) Public() crypto.PublicKey { return nil }

// Holder returns the keyholder annotation, or "" if there is none. It reads
// this package's annotation and falls back to tuf-on-ci's
// x-tuf-on-ci-keyowner.
func (k Key) Holder() string { return "" }

// Serial returns the hardware token serial annotation, or "".
func (k Key) Serial() string { return "" }

// Fingerprint returns the hex SHA-256 of the key's PKIX DER encoding. Two
// key entries with the same fingerprint are the same key, whatever their
// key IDs, keytypes or custom fields; thresholds count fingerprints.
func (k Key) Fingerprint() string { return "" }

// IDMatchesContent reports whether ID equals the SHA-256 of the canonical
// key object, as the TUF specification asks. Real roots break this rule
// (Sigstore's production v11), so verifiers warn rather than fail.
func (k Key) IDMatchesContent() bool { return false }

// Verify checks sig over message under the key's scheme. ECDSA signatures
// must be ASN.1 DER.
func (k Key) Verify(message, sig []byte) error { return errNotImplemented }

// Signature is one signature over a root's signing payload.
type Signature struct {
	KeyID KeyID
	// Value is the raw signature (hex in JSON). It is empty for the
	// placeholder entries some tools write; those never count.
	Value []byte
}

// RoleKeys is a role's key list and threshold as a root states them.
type RoleKeys struct {
	KeyIDs    []KeyID
	Threshold int
}

// Root is TUF root metadata plus its signatures.
//
// A Root parsed from bytes keeps the exact `signed` object it was parsed
// from, so its signing payload is what the signers signed even where this
// package would have written it differently.
type Root struct{}

// RolePolicy assigns keys and a threshold to one role.
type RolePolicy struct {
	Keys      []Key
	Threshold int
}

// Policy describes a first root.
type Policy struct {
	// Roles must hold exactly the four top-level roles.
	Roles map[Role]RolePolicy
	// Expires is when the root expires; it is stored as UTC whole
	// seconds. Required.
	Expires time.Time
	// ConsistentSnapshot turns on consistent snapshots, which a
	// repository served over HTTP should use.
	ConsistentSnapshot bool
}

// New builds version 1 of a root from a policy. It rejects impossible
// policies: a threshold below 1 or above the number of the role's keys, an
// unknown or missing role, and the same public key listed twice under
// different key IDs.
func New(p Policy) (*Root, error) { return nil, errNotImplemented }

// Parse parses a root metadata file strictly: duplicate JSON object keys, a
// wrong _type, a version below 1, a file over MaxRootSize, duplicate
// signature key IDs and undecodable keys are errors. It accepts the forms
// real roots use (hex and PEM ECDSA keys, both ECDSA keytype spellings,
// expires with offsets and fractions, custom fields, empty signatures,
// signatures under key IDs the root does not list).
func Parse(data []byte) (*Root, error) { return nil, errNotImplemented }

// MaxRootSize bounds the size of a root file Parse accepts.
const MaxRootSize = 512 << 10

// Version returns the root's version.
func (r *Root) Version() int64 { return 0 }

// Expires returns the expiry time as the file states it.
func (r *Root) Expires() time.Time { return time.Time{} }

// SpecVersion returns the spec_version field.
func (r *Root) SpecVersion() string { return "" }

// ConsistentSnapshot returns the consistent_snapshot field.
func (r *Root) ConsistentSnapshot() bool { return false }

// Keys returns every key the root lists, sorted by key ID.
func (r *Root) Keys() []Key { return nil }

// Key returns the key listed under id.
func (r *Root) Key(id KeyID) (Key, bool) { return Key{}, false }

// Role returns a role's key IDs and threshold.
func (r *Root) Role(role Role) (RoleKeys, bool) { return RoleKeys{}, false }

// Signatures returns the root's signatures in file order, empty
// placeholders included.
func (r *Root) Signatures() []Signature { return nil }

// SigningPayload returns the canonical JSON of the signed object: the bytes
// every signature covers.
func (r *Root) SigningPayload() []byte { return nil }

// MarshalFile returns the reviewable file form: keys sorted, two-space
// indent, trailing newline.
func (r *Root) MarshalFile() ([]byte, error) { return nil, errNotImplemented }

// Digest returns the hex SHA-256 of the file form, for announcing a
// published root.
func (r *Root) Digest() (string, error) { return "", errNotImplemented }

// RoleChange edits one role in a rotation.
type RoleChange struct {
	// Add lists keys to add to the role.
	Add []Key
	// Remove lists key IDs to take out of the role.
	Remove []KeyID
	// Threshold sets a new threshold; zero keeps the old one.
	Threshold int
}

// Rotation describes how version N+1 differs from version N.
type Rotation struct {
	// Expires is the new expiry time. Required.
	Expires time.Time
	// Roles lists the roles that change. A key is replaced by removing
	// the old one and adding the new one.
	Roles map[Role]RoleChange
}

// Next returns version N+1: r's content with the changes applied and no
// signatures. N+1 needs a threshold of signatures from r's root keys and a
// threshold from its own (see [Requirements]).
func (r *Root) Next(rot Rotation) (*Root, error) { return nil, errNotImplemented }

// Requirement is one threshold a root must meet to be trusted.
type Requirement struct {
	// Name says which root the keys come from, e.g. "root v3 (previous)".
	Name string
	// Version is the version of the root whose root role is used.
	Version int64
	// Keys are that root role's keys.
	Keys []Key
	// Threshold is how many distinct keys must sign.
	Threshold int
}

// Requirements returns the thresholds r must meet: its own root role's
// and, when prev is not nil, prev's root role's.
func Requirements(r, prev *Root) []Requirement { return nil }

// AddSignature adds a detached signature. It replaces any earlier signature
// under the same key ID, and refuses one that does not verify against a key
// of r's root role or, when prev is not nil, of prev's root role.
func (r *Root) AddSignature(sig Signature, prev *Root) error { return errNotImplemented }

// Sign signs r with s under every key ID that s's public key has in r's
// and prev's root roles, adds the signatures, and returns them. It checks
// that s's key is listed before it calls s.Sign, so a token is never asked
// for a PIN to make a useless signature. The signature is verified before
// it is added.
func (r *Root) Sign(ctx context.Context, s signer.Signer, prev *Root) ([]Signature, error) {
	return nil, errNotImplemented
}

// Warning is a policy finding from [Lint].
type Warning struct {
	// Code is a stable identifier such as "threshold-not-majority".
	Code string
	// Message explains the finding to a person.
	Message string
}

// LintOptions tune [Lint]. The zero value lints against the current time
// with default bounds.
type LintOptions struct {
	// Now is the reference time; zero means time.Now().
	Now time.Time
	// MinExpiry warns when the root expires sooner than this after Now;
	// zero means 30 days.
	MinExpiry time.Duration
	// MaxExpiry warns when the root expires later than this after Now;
	// zero means 366 days.
	MaxExpiry time.Duration
}

// Lint returns the warnings a ceremony wants before anyone signs.
func Lint(r *Root, opts LintOptions) []Warning { return nil }

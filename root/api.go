package root

// This file holds the package's exported types. The functions and methods
// live in key.go (keys), parse.go (Parse and accessors), build.go (New and
// Next), sign.go (signatures and requirements), status.go (signing status)
// and lint.go (Lint).

import (
	"time"

	"github.com/trustroot/trustroot/internal/tufmeta"
)

// Role names a TUF role: one of the four top-level roles below, or a
// delegated targets role.
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

// IsTopLevel reports whether r is one of the four top-level roles.
func (r Role) IsTopLevel() bool {
	switch r {
	case RoleRoot, RoleTargets, RoleSnapshot, RoleTimestamp:
		return true
	}
	return false
}

// KeyID is a TUF key ID: the hex SHA-256 of the canonical JSON of the key
// object, for keys this package creates. Keys parsed from a file keep the
// ID the file gives them, which may not match their content (see
// [Key.IDMatchesContent]).
type KeyID string

// Key is a public key as metadata lists it, with its keyholder
// annotations. It is an immutable value; build one with [NewKey] or
// [ParseKey], or read one from a parsed [Root]. The zero Key is not a
// usable key.
type Key struct {
	k *keyData
}

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

// Signature is one signature over metadata's signing payload, in every
// package of this module.
type Signature struct {
	KeyID KeyID
	// Value is the raw signature (hex in JSON). It is empty for the
	// placeholder entries some tools write; those never count.
	Value []byte
}

// RoleKeys is a role's keys, in the order the metadata lists them, and its
// threshold.
type RoleKeys struct {
	Keys      []Key
	Threshold int
}

// Root is TUF root metadata plus its signatures.
//
// A Root parsed from bytes keeps the exact signed object it was parsed
// from, so its signing payload is what the signers signed even where this
// package would have written it differently. The signed content of a Root
// never changes; [Root.AddSignature] and [Root.Sign] only add signatures.
// A Root is not safe for concurrent modification.
type Root struct {
	payload []byte // canonical JSON of the signed object
	m       *tufmeta.Root
	keys    map[KeyID]Key
	sigs    []Signature
}

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

// Bounds on what a root file may hold. They are the bounds every package of
// this module applies.
const (
	// MaxRootSize bounds the size of a root file Parse accepts.
	MaxRootSize = tufmeta.MaxRootSize
	// MaxSignatures bounds the signature entries of one file.
	MaxSignatures = tufmeta.MaxSignatures
)

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

// Warning is a finding that does not make metadata unusable, from [Lint]
// and from package verify.
type Warning struct {
	// Code is a stable identifier, one of the Lint* constants.
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

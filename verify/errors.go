package verify

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Every error this package returns wraps at least one of
// them; test with errors.Is. The typed errors below carry the details; get
// them with errors.As.
var (
	// ErrMalformed means a metadata file could not be parsed or breaks a
	// structural rule (wrong _type, duplicate signatures, bad role).
	ErrMalformed = errors.New("verify: malformed metadata")
	// ErrTooLarge means an input exceeds a size or count bound.
	ErrTooLarge = errors.New("verify: input too large")
	// ErrThreshold means metadata is not signed by a threshold of distinct
	// keys of a role that must sign it. The error is a *ThresholdError.
	ErrThreshold = errors.New("verify: signature threshold not met")
	// ErrVersion means a version number is not the one required, for
	// instance root N+2 offered where N+1 is due. The error is a
	// *VersionError.
	ErrVersion = errors.New("verify: unexpected version")
	// ErrRollback means metadata is older than a version already trusted
	// or referenced. It also wraps ErrVersion.
	ErrRollback = errors.New("verify: rollback")
	// ErrExpired means the metadata that would become trusted has expired
	// at the reference time. The error is an *ExpiredError.
	ErrExpired = errors.New("verify: expired")
	// ErrKeyIDMismatch means a key ID is not the SHA-256 of its key
	// object. It is a failure only with Options.Strict; otherwise it is
	// a Warning.
	ErrKeyIDMismatch = errors.New("verify: key ID does not match key content")
	// ErrHashMismatch means content does not match the hashes that
	// trusted metadata lists for it.
	ErrHashMismatch = errors.New("verify: hash mismatch")
	// ErrLengthMismatch means content does not have the length that
	// trusted metadata lists for it.
	ErrLengthMismatch = errors.New("verify: length mismatch")
	// ErrTargetNotFound means no trusted targets metadata lists the
	// target.
	ErrTargetNotFound = errors.New("verify: target not found")
	// ErrMissing means a metadata file the workflow needs is absent from
	// the repository.
	ErrMissing = errors.New("verify: metadata file missing")
)

// ErrUnsigned is an alias of ErrThreshold, for readers who know go-tuf's
// ErrUnsignedMetadata.
var ErrUnsigned = ErrThreshold

// ThresholdError reports metadata that lacks a threshold of signatures
// from one role's keys. It unwraps to ErrThreshold.
type ThresholdError struct {
	// Role is the role whose metadata was checked, e.g. "root".
	Role string
	// Version is the version of the metadata that was checked.
	Version int64
	// Requirement names whose keys were counted, e.g. "root v3
	// (previous)" or "targets (delegated by targets)".
	Requirement string
	// Threshold is how many distinct keys had to sign.
	Threshold int
	// Valid is how many distinct keys signed validly.
	Valid int
}

// Error describes the failure; it never includes secrets.
func (e *ThresholdError) Error() string {
	return fmt.Sprintf("verify: %s v%d: %d of %d required signatures from %s", e.Role, e.Version, e.Valid, e.Threshold, e.Requirement)
}

// Unwrap returns ErrThreshold.
func (e *ThresholdError) Unwrap() error { return ErrThreshold }

// VersionError reports a version number that is not the expected one. It
// unwraps to ErrVersion, and to ErrRollback when Got is below Want (or
// below a previously trusted version).
type VersionError struct {
	// Role is the role whose metadata was checked.
	Role string
	// Got is the version the metadata states.
	Got int64
	// Want is the version required (for roots: exactly previous + 1; for
	// other roles: the version the referencing metadata lists, or at
	// least the previously trusted version).
	Want int64
	// Rollback is set when the metadata is older than what was trusted
	// or referenced.
	Rollback bool
	// Detail explains the rule, e.g. "must be exactly previous + 1".
	Detail string
}

// Error describes the failure; it never includes secrets.
func (e *VersionError) Error() string {
	d := e.Detail
	if d == "" {
		d = "unexpected version"
	}
	return fmt.Sprintf("verify: %s version %d, want %d: %s", e.Role, e.Got, e.Want, d)
}

// Unwrap returns ErrVersion, plus ErrRollback for a rollback.
func (e *VersionError) Unwrap() []error {
	if e.Rollback {
		return []error{ErrVersion, ErrRollback}
	}
	return []error{ErrVersion}
}

// ExpiredError reports that the metadata that would have become trusted
// has expired. For a root chain every signature step was verified first:
// Version is the last root whose signatures verified and Steps what was
// checked, so a caller can tell "expired" apart from "forged". Nothing in
// it is trusted. It unwraps to ErrExpired.
type ExpiredError struct {
	// Role is the expired role, e.g. "root" or "timestamp".
	Role string
	// Version is the expired metadata's version (for a chain, the last
	// version whose signatures verified).
	Version int64
	// Expires is when it expired.
	Expires time.Time
	// Now is the reference time of the check.
	Now time.Time
	// Steps lists the root chain steps that verified before the expiry
	// check, when the expired role is root.
	Steps []Step
}

// Error describes the failure; it never includes secrets.
func (e *ExpiredError) Error() string {
	return fmt.Sprintf("verify: %s v%d expired at %s (reference time %s)", e.Role, e.Version,
		e.Expires.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrExpired.
func (e *ExpiredError) Unwrap() error { return ErrExpired }

// MetadataError wraps a failure with the role, version and file it
// concerns. It unwraps to its cause.
type MetadataError struct {
	// Role is the role, e.g. "root" or a delegated role name.
	Role string
	// Version is the version being checked, 0 if unknown.
	Version int64
	// File is the file name in the repository or the candidate's
	// position, "" if not applicable.
	File string
	// Err is the cause.
	Err error
}

// Error describes the failure; it never includes secrets.
func (e *MetadataError) Error() string {
	where := e.Role
	if e.Version > 0 {
		where += fmt.Sprintf(" v%d", e.Version)
	}
	if e.File != "" {
		where += " (" + e.File + ")"
	}
	msg := e.Err.Error()
	if len(msg) > 8 && msg[:8] == "verify: " {
		msg = msg[8:]
	}
	return "verify: " + where + ": " + msg
}

// Unwrap returns the cause.
func (e *MetadataError) Unwrap() error { return e.Err }

// sentinelError is an error with its own message that wraps a sentinel,
// so the sentinel's text is not repeated in the message.
type sentinelError struct {
	msg string
	err error
}

func (e *sentinelError) Error() string { return e.msg }
func (e *sentinelError) Unwrap() error { return e.err }

func errf(sentinel error, format string, args ...any) error {
	return &sentinelError{msg: fmt.Sprintf(format, args...), err: sentinel}
}

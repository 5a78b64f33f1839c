package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/root"
)

// Sentinel errors. Every error this package returns wraps at least one of
// them or root.ErrMalformed (a file that cannot be read or breaks a
// structural rule); test with errors.Is. The typed errors below carry the
// details; get them with errors.As. Content checks of target files wrap
// repository.ErrHashMismatch or repository.ErrLengthMismatch.
var (
	// ErrTooLarge means an input exceeds a size or count bound.
	ErrTooLarge = tufmeta.ErrTooLarge
	// ErrThreshold means metadata is not signed by a threshold of distinct
	// keys of a role that must sign it. The error is a *ThresholdError.
	ErrThreshold = errors.New("signature threshold not met")
	// ErrVersion means a version number is not the one required, for
	// instance root N+2 offered where N+1 is due. The error is a
	// *VersionError.
	ErrVersion = errors.New("unexpected version")
	// ErrRollback means metadata is older than a version already trusted
	// or referenced. It also wraps ErrVersion.
	ErrRollback = errors.New("rollback")
	// ErrExpired means the metadata that would become trusted has expired
	// at the reference time. The error is an *ExpiredError.
	ErrExpired = errors.New("expired")
	// ErrKeyIDMismatch means a key ID is not the SHA-256 of its key
	// object. It is a failure only with Options.Strict; otherwise it is
	// a Warning.
	ErrKeyIDMismatch = errors.New("key ID does not match key content")
	// ErrTargetNotFound means no trusted targets metadata lists the
	// target. It also matches fs.ErrNotExist.
	ErrTargetNotFound error = &notExist{"target not found"}
	// ErrMissing means a metadata file the workflow needs is absent from
	// the repository. It also matches fs.ErrNotExist.
	ErrMissing error = &notExist{"metadata file missing"}
)

// notExist is a sentinel that also matches fs.ErrNotExist.
type notExist struct{ msg string }

func (e *notExist) Error() string        { return e.msg }
func (e *notExist) Is(target error) bool { return target == fs.ErrNotExist }

// ThresholdError reports metadata that lacks a threshold of signatures
// from one role's keys. It unwraps to ErrThreshold.
type ThresholdError struct {
	// Role is the role whose metadata was checked, e.g. "root".
	Role root.Role
	// Version is the version of the metadata that was checked.
	Version int64
	// Requirement names whose keys were counted, e.g. "root v3
	// (previous)" or "registry.npmjs.org (delegated by targets)".
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
// unwraps to ErrVersion, and to ErrRollback when Rollback is set.
type VersionError struct {
	// Role is the role whose metadata was checked.
	Role root.Role
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
	kind := "unexpected version"
	if e.Rollback {
		kind = "rollback"
	}
	return fmt.Sprintf("verify: %s: %s: version %d, want %d: %s", e.Role, kind, e.Got, e.Want, d)
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
	Role root.Role
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

// MetadataError names the file or role a failure concerns. It unwraps to
// its cause.
type MetadataError struct {
	// Role is the role, e.g. "root" or a delegated role name.
	Role root.Role
	// Version is the version being checked, 0 if unknown.
	Version int64
	// File is the file name in the repository, "" if not applicable.
	File string
	// Err is the cause.
	Err error
}

// Error describes the failure, naming the file (or role) once; it never
// includes secrets.
func (e *MetadataError) Error() string {
	where := e.File
	if where == "" {
		where = string(e.Role)
		if e.Version > 0 {
			where += fmt.Sprintf(" v%d", e.Version)
		}
	}
	return "verify: " + where + ": " + strings.TrimPrefix(e.Err.Error(), "verify: ")
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

// located wraps err in a *MetadataError naming file (or role and
// version), unless it already is one.
func located(role root.Role, version int64, file string, err error) error {
	if err == nil {
		return nil
	}
	var me *MetadataError
	if errors.As(err, &me) {
		return err
	}
	if file == "" {
		// These already name the role and the version.
		var te *ThresholdError
		var ve *VersionError
		var ee *ExpiredError
		if errors.As(err, &te) || errors.As(err, &ve) || errors.As(err, &ee) {
			return err
		}
	}
	return &MetadataError{Role: role, Version: version, File: file, Err: err}
}

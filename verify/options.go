package verify

import (
	"time"

	"github.com/trustroot/trustroot/internal/tufmeta"
)

// Defaults for Options.
const (
	// DefaultMaxRootSteps is the number of root versions one update may
	// advance by when Options.MaxRootSteps is zero. The specification
	// suggests 2^10; go-tuf and tuf-js use 256.
	DefaultMaxRootSteps = 1024
	// DefaultMaxDelegations bounds the delegated roles one target search
	// visits when Options.MaxDelegations is zero (python-tuf uses 32).
	DefaultMaxDelegations = 32
)

// Options tune every verification in this package. The zero value
// verifies at the current time with default bounds, reporting key ID
// mismatches as warnings.
type Options struct {
	// Now is the reference time for expiry; zero means time.Now(). It is
	// read once per call (once per update for a Repo).
	Now time.Time
	// Strict turns key ID/content mismatches (a key ID that is not the
	// SHA-256 of its key object) from warnings into ErrKeyIDMismatch
	// failures.
	Strict bool
	// MaxRootSteps bounds how many new root versions one call, or one
	// update of a Repo, accepts; zero means DefaultMaxRootSteps.
	MaxRootSteps int
	// MaxDelegations bounds the delegated roles a target search visits,
	// which also bounds its depth; zero means DefaultMaxDelegations.
	MaxDelegations int
	// Limits bound the size of each metadata file; a length that trusted
	// metadata lists for a file is the bound when it is smaller.
	Limits Limits
	// Workers bounds how many signature checks run at once in Chain
	// (for at least four new versions) and in Repository. Zero or one
	// checks them one after another in the calling goroutine. With more,
	// the call starts Workers-1 goroutines for its duration and runs
	// ahead on them the checks its thresholds will need, including a
	// version's checks against the previous root while that root's own
	// threshold is counted; a goroutine with nothing to do polls for up
	// to a millisecond before it sleeps. Repository also reads the
	// timestamp, the snapshot and the targets file ahead (once more than
	// it verifies them, when they are at most 16 KiB) to start their
	// checks against the newest root file's keys while that root is
	// still being verified. Which keys count and which error is returned
	// do not change: results and errors are those of the sequential
	// walk. Root, Rotation, shorter chains and a Repo driven method by
	// method stay sequential: starting workers costs a single root more
	// than it saves. More than 64 counts as 64.
	Workers int
}

// Limits bound metadata files by role, in bytes. A zero field means the
// default, python-tuf's: root 512 KiB, timestamp 16 KiB, snapshot 2 MiB,
// targets (top-level and delegated) 5 MiB.
type Limits struct {
	Root, Timestamp, Snapshot, Targets int
}

func (l Limits) root() int      { return orDefault(l.Root, tufmeta.MaxRootSize) }
func (l Limits) timestamp() int { return orDefault(l.Timestamp, tufmeta.MaxTimestampSize) }
func (l Limits) snapshot() int  { return orDefault(l.Snapshot, tufmeta.MaxSnapshotSize) }
func (l Limits) targets() int   { return orDefault(l.Targets, tufmeta.MaxTargetsSize) }

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

func (o Options) maxRootSteps() int { return orDefault(o.MaxRootSteps, DefaultMaxRootSteps) }

func (o Options) maxDelegations() int { return orDefault(o.MaxDelegations, DefaultMaxDelegations) }

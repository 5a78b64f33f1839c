package repository

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
)

// Snapshot is snapshot metadata being built: the versions of the
// top-level targets and of every delegated targets role.
type Snapshot struct {
	signed
	s *metadata.SnapshotType
}

// NewSnapshot returns snapshot metadata with the given version and expiry
// that lists the version of each of targets, which must include the
// top-level targets and name each role once.
func NewSnapshot(version int64, expires time.Time, targets ...*Targets) (*Snapshot, error) {
	if err := checkVersion("snapshot", version); err != nil {
		return nil, err
	}
	exp, err := checkTime("snapshot", expires)
	if err != nil {
		return nil, err
	}
	s := metadata.Snapshot(exp).Signed
	s.Version = version
	s.Meta = map[string]*metadata.MetaFiles{}
	for _, t := range targets {
		if t == nil || t.t == nil {
			return nil, invalid("snapshot: nil or zero targets; build them with NewTargets or ParseTargets")
		}
		// Role names are restricted (see Delegation.Name), and verify and
		// python-tuf look entries up by the plain name.
		name := t.role + ".json"
		if _, dup := s.Meta[name]; dup {
			return nil, invalid("snapshot: role %s given twice", t.role)
		}
		s.Meta[name] = metadata.MetaFile(t.t.Version)
	}
	if _, ok := s.Meta["targets.json"]; !ok {
		return nil, invalid("snapshot: the top-level targets are required")
	}
	return &Snapshot{signed: signed{role: "snapshot"}, s: &s}, nil
}

// Version returns the version.
func (s *Snapshot) Version() int64 { return s.s.Version }

// FileName returns the consistent-snapshot file name, VERSION.snapshot.json.
func (s *Snapshot) FileName() string { return fmt.Sprintf("%d.snapshot.json", s.s.Version) }

// Sign signs the snapshot with s, whose key must be one of keys (the
// root's snapshot keys). See [Targets.Sign].
func (s *Snapshot) Sign(ctx context.Context, sg signer.Signer, keys []root.Key) error {
	p, err := payloadOf("snapshot", s.s)
	if err != nil {
		return err
	}
	return s.sign(ctx, p, sg, keys)
}

// MarshalFile returns the file form.
func (s *Snapshot) MarshalFile() ([]byte, error) { return s.marshal(s.s) }

// File returns FileName and MarshalFile together.
func (s *Snapshot) File() (File, error) {
	data, err := s.MarshalFile()
	return File{Name: s.FileName(), Data: data}, err
}

// Timestamp is timestamp metadata being built: the version, length and
// SHA-256 of the snapshot file.
type Timestamp struct {
	signed
	t *metadata.TimestampType
}

// NewTimestamp returns timestamp metadata with the given version and
// expiry naming snap's file as [Snapshot.MarshalFile] writes it. Sign snap
// first: a snapshot without signatures is refused with [ErrUnsigned].
func NewTimestamp(version int64, expires time.Time, snap *Snapshot) (*Timestamp, error) {
	if err := checkVersion("timestamp", version); err != nil {
		return nil, err
	}
	exp, err := checkTime("timestamp", expires)
	if err != nil {
		return nil, err
	}
	if snap == nil {
		return nil, invalid("timestamp: no snapshot")
	}
	if len(snap.sigs) == 0 {
		return nil, fmt.Errorf("%w: timestamp: sign the snapshot before the timestamp names it", ErrUnsigned)
	}
	data, err := snap.MarshalFile()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	mf := metadata.MetaFile(snap.s.Version)
	mf.Length = int64(len(data))
	mf.Hashes = metadata.Hashes{"sha256": sum[:]}
	t := metadata.Timestamp(exp).Signed
	t.Version = version
	t.Meta = map[string]*metadata.MetaFiles{"snapshot.json": mf}
	return &Timestamp{signed: signed{role: "timestamp"}, t: &t}, nil
}

// Version returns the version.
func (t *Timestamp) Version() int64 { return t.t.Version }

// FileName returns "timestamp.json": the one file a repository overwrites.
func (t *Timestamp) FileName() string { return "timestamp.json" }

// Sign signs the timestamp with s, whose key must be one of keys (the
// root's timestamp keys). See [Targets.Sign].
func (t *Timestamp) Sign(ctx context.Context, s signer.Signer, keys []root.Key) error {
	p, err := payloadOf("timestamp", t.t)
	if err != nil {
		return err
	}
	return t.sign(ctx, p, s, keys)
}

// MarshalFile returns the file form.
func (t *Timestamp) MarshalFile() ([]byte, error) { return t.marshal(t.t) }

// File returns FileName and MarshalFile together.
func (t *Timestamp) File() (File, error) {
	data, err := t.MarshalFile()
	return File{Name: t.FileName(), Data: data}, err
}

// RoleKeys returns the keys and threshold the root gives role, for the
// Sign methods.
func RoleKeys(r *root.Root, role root.Role) ([]root.Key, int) {
	if r == nil {
		return nil, 0
	}
	rk, ok := r.Role(role)
	if !ok {
		return nil, 0
	}
	var keys []root.Key
	for _, id := range rk.KeyIDs {
		if k, ok := r.Key(id); ok {
			keys = append(keys, k)
		}
	}
	return keys, rk.Threshold
}

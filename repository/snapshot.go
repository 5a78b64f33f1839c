package repository

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/trustroot/trustroot/internal/link"
	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/root"
)

// MetaFile is what a snapshot says of a targets file, or a timestamp of
// the snapshot file: its version and, when listed, its length and hashes.
type MetaFile struct {
	Version int64 `json:"version"`
	// Length is the file's length in bytes, 0 when not listed.
	Length int64 `json:"length,omitempty"`
	// Hashes maps a hash algorithm to the hex digest; nil when not
	// listed.
	Hashes map[string]string `json:"hashes,omitempty"`
}

func metaFileOf(mf tufmeta.MetaFile) MetaFile {
	out := MetaFile{Version: mf.Version}
	if mf.HasLength {
		out.Length = mf.Length
	}
	if mf.Hashes != nil {
		out.Hashes = make(map[string]string, len(mf.Hashes))
		for alg, d := range mf.Hashes {
			out.Hashes[alg] = hex.EncodeToString(d)
		}
	}
	return out
}

// Snapshot is snapshot metadata: the versions of the top-level targets and
// of every delegated targets role.
type Snapshot struct {
	signed
	m *tufmeta.Snapshot
}

func newSnapshot(m *tufmeta.Snapshot) *Snapshot {
	s := &Snapshot{m: m}
	s.signed = signed{role: root.RoleSnapshot, encode: m.Encode}
	return s
}

// NewSnapshot returns snapshot metadata with the given version and expiry
// that lists the version of each of targets, which must include the
// top-level targets and name each role once.
func NewSnapshot(version int64, expires time.Time, targets ...*Targets) (*Snapshot, error) {
	if err := checkVersion(root.RoleSnapshot, version); err != nil {
		return nil, err
	}
	exp, err := checkTime(root.RoleSnapshot, expires)
	if err != nil {
		return nil, err
	}
	meta := map[string]tufmeta.MetaFile{}
	for _, t := range targets {
		if t == nil || t.m == nil {
			return nil, invalid("snapshot: nil or zero targets; build them with NewTargets or ParseTargets")
		}
		// Clients look entries up by the plain role name.
		name := string(t.role) + ".json"
		if _, dup := meta[name]; dup {
			return nil, invalid("snapshot: role %s given twice", t.role)
		}
		meta[name] = tufmeta.MetaFile{Version: t.m.Version}
	}
	if _, ok := meta["targets.json"]; !ok {
		return nil, invalid("snapshot: the top-level targets are required")
	}
	return newSnapshot(&tufmeta.Snapshot{
		Header: tufmeta.Header{Type: tufmeta.TypeSnapshot, SpecVersion: specVersion, Version: version, Expires: exp},
		Meta:   meta,
	}), nil
}

// ParseSnapshot reads a snapshot file strictly (see ParseTargets); errors
// wrap root.ErrMalformed.
func ParseSnapshot(data []byte) (*Snapshot, error) {
	env, err := parse(tufmeta.TypeSnapshot, root.RoleSnapshot, data, 0)
	if err != nil {
		return nil, err
	}
	s, err := snapshotFromEnvelope(env)
	if err != nil {
		return nil, fmt.Errorf("repository: snapshot: %w", err)
	}
	return s, nil
}

func snapshotFromEnvelope(env *tufmeta.Envelope) (*Snapshot, error) {
	m, err := tufmeta.ParseSnapshot(env)
	if err != nil {
		return nil, err
	}
	s := newSnapshot(m)
	s.parsed(env)
	return s, nil
}

func init() {
	link.Snapshot = func(env *tufmeta.Envelope) (any, error) { return snapshotFromEnvelope(env) }
	link.Timestamp = func(env *tufmeta.Envelope) (any, error) { return timestampFromEnvelope(env) }
}

// Version returns the version.
func (s *Snapshot) Version() int64 { return s.m.Version }

// Expires returns the expiry.
func (s *Snapshot) Expires() time.Time { return s.m.Expires }

// Meta returns the entry the snapshot lists for a role's metadata file
// (e.g. "targets.json", "registry.npmjs.org.json").
func (s *Snapshot) Meta(file string) (MetaFile, bool) {
	mf, ok := s.m.Meta[file]
	if !ok {
		return MetaFile{}, false
	}
	return metaFileOf(mf), true
}

// Files returns the names of the metadata files the snapshot lists,
// sorted.
func (s *Snapshot) Files() []string { return slices.Sorted(maps.Keys(s.m.Meta)) }

// FileName returns the consistent-snapshot file name, VERSION.snapshot.json.
func (s *Snapshot) FileName() string { return MetadataFileName(root.RoleSnapshot, s.m.Version) }

// File returns FileName and MarshalFile together.
func (s *Snapshot) File() (File, error) {
	data, err := s.MarshalFile()
	return File{Name: s.FileName(), Data: data}, err
}

// Timestamp is timestamp metadata: the version, length and SHA-256 of the
// snapshot file.
type Timestamp struct {
	signed
	m *tufmeta.Timestamp
}

func newTimestamp(m *tufmeta.Timestamp) *Timestamp {
	t := &Timestamp{m: m}
	t.signed = signed{role: root.RoleTimestamp, encode: m.Encode}
	return t
}

// NewTimestamp returns timestamp metadata with the given version and
// expiry naming snap's file as [Snapshot.MarshalFile] writes it. Sign snap
// first: a snapshot without signatures is refused with [ErrInvalid].
func NewTimestamp(version int64, expires time.Time, snap *Snapshot) (*Timestamp, error) {
	if err := checkVersion(root.RoleTimestamp, version); err != nil {
		return nil, err
	}
	exp, err := checkTime(root.RoleTimestamp, expires)
	if err != nil {
		return nil, err
	}
	if snap == nil || snap.m == nil {
		return nil, invalid("timestamp: no snapshot")
	}
	if len(snap.sigs) == 0 {
		return nil, invalid("timestamp: sign the snapshot before the timestamp names it")
	}
	data, err := snap.MarshalFile()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return newTimestamp(&tufmeta.Timestamp{
		Header: tufmeta.Header{Type: tufmeta.TypeTimestamp, SpecVersion: specVersion, Version: version, Expires: exp},
		Meta: map[string]tufmeta.MetaFile{"snapshot.json": {
			Version: snap.m.Version, Length: int64(len(data)), HasLength: true, Hashes: map[string][]byte{"sha256": sum[:]},
		}},
	}), nil
}

// ParseTimestamp reads a timestamp file strictly (see ParseTargets);
// errors wrap root.ErrMalformed.
func ParseTimestamp(data []byte) (*Timestamp, error) {
	env, err := parse(tufmeta.TypeTimestamp, root.RoleTimestamp, data, 0)
	if err != nil {
		return nil, err
	}
	t, err := timestampFromEnvelope(env)
	if err != nil {
		return nil, fmt.Errorf("repository: timestamp: %w", err)
	}
	return t, nil
}

func timestampFromEnvelope(env *tufmeta.Envelope) (*Timestamp, error) {
	m, err := tufmeta.ParseTimestamp(env)
	if err != nil {
		return nil, err
	}
	t := newTimestamp(m)
	t.parsed(env)
	return t, nil
}

// Version returns the version.
func (t *Timestamp) Version() int64 { return t.m.Version }

// Expires returns the expiry.
func (t *Timestamp) Expires() time.Time { return t.m.Expires }

// Snapshot returns what the timestamp says of the snapshot file.
func (t *Timestamp) Snapshot() MetaFile { return metaFileOf(t.m.Meta["snapshot.json"]) }

// FileName returns "timestamp.json": the one file a repository overwrites.
func (t *Timestamp) FileName() string { return "timestamp.json" }

// File returns FileName and MarshalFile together.
func (t *Timestamp) File() (File, error) {
	data, err := t.MarshalFile()
	return File{Name: t.FileName(), Data: data}, err
}

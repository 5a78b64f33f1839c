package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Targets returns the signed object of targets metadata. delegations may be
// nil.
func Targets(version int64, expires time.Time, targets map[string]any, delegations map[string]any) map[string]any {
	s := map[string]any{
		"_type":        "targets",
		"spec_version": "1.0.31",
		"version":      version,
		"expires":      Expiry(expires),
		"targets":      targets,
	}
	if delegations != nil {
		s["delegations"] = delegations
	}
	return s
}

// Snapshot returns the signed object of snapshot metadata.
func Snapshot(version int64, expires time.Time, meta map[string]any) map[string]any {
	return map[string]any{
		"_type":        "snapshot",
		"spec_version": "1.0.31",
		"version":      version,
		"expires":      Expiry(expires),
		"meta":         meta,
	}
}

// Timestamp returns the signed object of timestamp metadata naming the
// snapshot entry.
func Timestamp(version int64, expires time.Time, snapshot map[string]any) map[string]any {
	return map[string]any{
		"_type":        "timestamp",
		"spec_version": "1.0.31",
		"version":      version,
		"expires":      Expiry(expires),
		"meta":         map[string]any{"snapshot.json": snapshot},
	}
}

// Meta returns a snapshot or timestamp meta entry for a file: its version
// and, when data is not nil, its length and SHA-256.
func Meta(version int64, data []byte) map[string]any {
	m := map[string]any{"version": version}
	if data != nil {
		s := sha256.Sum256(data)
		m["length"] = len(data)
		m["hashes"] = map[string]any{"sha256": hex.EncodeToString(s[:])}
	}
	return m
}

// Target returns a targets entry for content, with custom metadata when
// custom is not nil.
func Target(content []byte, custom map[string]any) map[string]any {
	s := sha256.Sum256(content)
	t := map[string]any{
		"length": len(content),
		"hashes": map[string]any{"sha256": hex.EncodeToString(s[:])},
	}
	if custom != nil {
		t["custom"] = custom
	}
	return t
}

// Delegated describes one delegated role.
type Delegated struct {
	Name             string
	Keys             []*Key
	Threshold        int
	Terminating      bool
	Paths            []string
	PathHashPrefixes []string
}

// Delegations returns a delegations object listing roles in order.
func Delegations(roles ...Delegated) map[string]any {
	keys := map[string]any{}
	list := make([]any, 0, len(roles))
	for _, r := range roles {
		ids := make([]any, 0, len(r.Keys))
		for _, k := range r.Keys {
			keys[k.ID] = k.Object
			ids = append(ids, k.ID)
		}
		e := map[string]any{"name": r.Name, "keyids": ids, "threshold": r.Threshold, "terminating": r.Terminating}
		if r.Paths != nil {
			e["paths"] = r.Paths
		}
		if r.PathHashPrefixes != nil {
			e["path_hash_prefixes"] = r.PathHashPrefixes
		}
		list = append(list, e)
	}
	return map[string]any{"keys": keys, "roles": list}
}

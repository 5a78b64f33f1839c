package tufmeta

// Bounds on metadata, defined here once for every package. The size bounds
// are python-tuf's defaults; verify.Limits lets a caller change them.
const (
	// MaxRootSize bounds a root file.
	MaxRootSize = 512 << 10
	// MaxTimestampSize bounds a timestamp file.
	MaxTimestampSize = 16 << 10
	// MaxSnapshotSize bounds a snapshot file.
	MaxSnapshotSize = 2 << 20
	// MaxTargetsSize bounds a targets file, top-level or delegated.
	MaxTargetsSize = 5 << 20

	// MaxSignatures bounds the signature entries of one file.
	MaxSignatures = 256
	// MaxSignatureSize bounds one signature, in bytes (an RSA-8192
	// signature is 1024).
	MaxSignatureSize = 2048
	// MaxKeys bounds the keys one keys object lists (a root's, or a
	// delegations object's).
	MaxKeys = 512
	// MaxRoleKeys bounds the key IDs one role lists.
	MaxRoleKeys = 256
)

// MaxSize returns the size bound of a metadata file of type typ ("root",
// "timestamp", "snapshot" or "targets").
func MaxSize(typ string) int {
	switch typ {
	case TypeRoot:
		return MaxRootSize
	case TypeTimestamp:
		return MaxTimestampSize
	case TypeSnapshot:
		return MaxSnapshotSize
	}
	return MaxTargetsSize
}

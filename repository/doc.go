// Package repository builds, reads and signs the online TUF metadata a
// root protects: targets (with custom metadata such as Sigstore's
// {"sigstore":{"usage":"Fulcio","status":"Active"}}), delegations,
// delegated targets, snapshot and timestamp. Its types are also what
// package verify hands back once it has verified them: [Targets],
// [Target], [Delegation], [Snapshot], [Timestamp].
//
// # A release
//
// Versions and expiry times are explicit; expiry is stored as UTC whole
// seconds. A release of a repository whose root r is signed:
//
//	rk, _ := r.Role(root.RoleTargets)
//	t, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
//	cert, err := t.AddTarget("fulcio.crt.pem", pem,
//		json.RawMessage(`{"sigstore":{"usage":"Fulcio","status":"Active"}}`))
//	err = t.Sign(ctx, targetsSigner, rk.Keys) // once per signer
//
//	snap, err := repository.NewSnapshot(1, expires, t) // and delegated roles
//	err = snap.Sign(ctx, onlineSigner, snapshotKeys)
//	ts, err := repository.NewTimestamp(1, expires, snap)
//	err = ts.Sign(ctx, onlineSigner, timestampKeys)
//
//	files, err := repository.RootFiles(r) // N.root.json and root.json
//	// append cert, t.File(), snap.File(), ts.File()
//	err = repository.WriteDir(dir, files...)
//
// Each piece of metadata names its file (consistent-snapshot names:
// VERSION.targets.json, VERSION.NAME.json for a delegated role,
// VERSION.snapshot.json, timestamp.json); AddTarget returns the target file
// to publish as targets/DIR/SHA256.BASE. [WriteDir] writes a release
// atomically file by file, target files first and timestamp.json last, so
// a client reading the directory at any moment sees the old release or the
// new one.
//
// # Signing
//
// Sign finds the signer's public key among the role's keys before it asks
// the signer for anything, verifies the signature it gets back and wraps a
// signer's error unchanged, so errors.Is(err, signer.ErrWrongPIN) works;
// failures are a *root.SignatureError wrapping signer.ErrWrongKey,
// root.ErrBadSignature or the signer's error. Keyholders who sign a copy
// elsewhere sign [Targets.SigningPayload] and hand back a root.Signature,
// which [Targets.AddSignature] verifies and adds; Snapshot and Timestamp
// have the same methods. Every change to metadata drops its signatures.
//
// # The next release
//
// [ParseTargets], [ParseSnapshot] and [ParseTimestamp] read published
// files with the module's one strict parser (see root.Parse) and keep
// their signatures and every field this package does not know until the
// first change: read the current targets, change them (AddTarget,
// SetCustom, RemoveTarget, Delegate, RemoveDelegation), SetVersion, sign,
// and build a new snapshot and timestamp. They check no signature;
// package verify does.
//
// Delegate lists a delegated role (its keys, threshold, path patterns,
// terminating flag); that role's own metadata is another Targets, built
// with its name and signed with the keys delegated to it.
//
// Errors about bad input wrap [ErrInvalid]; files that cannot be read wrap
// root.ErrMalformed; content that does not match a [Target] wraps
// [ErrHashMismatch] or [ErrLengthMismatch]. The package never logs.
package repository

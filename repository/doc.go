// Package repository builds and signs the online TUF metadata a root
// protects: targets (with custom metadata such as Sigstore's
// {"sigstore":{"usage":"Fulcio","status":"Active"}}), delegations,
// delegated targets, snapshot and timestamp.
//
// It does no I/O. Each piece of metadata says which file it is
// (consistent-snapshot names: VERSION.targets.json, VERSION.NAME.json for a
// delegated role, VERSION.snapshot.json, timestamp.json) and returns its
// bytes; AddTarget returns the target file to publish as
// targets/DIR/SHA256.BASE. The caller writes them, target files and
// targets first and timestamp.json last, so the repository is valid at
// every step. Versions and expiry times are explicit; expiry is stored as
// UTC whole seconds.
//
// A release of a repository whose root r is signed:
//
//	t, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
//	certFile, err := t.AddTarget("fulcio.crt.pem", pem,
//		json.RawMessage(`{"sigstore":{"usage":"Fulcio","status":"Active"}}`))
//	keys, _ := repository.RoleKeys(r, root.RoleTargets)
//	err = t.Sign(ctx, targetsSigner, keys) // once per signer
//
//	snap, err := repository.NewSnapshot(1, expires, t) // and delegated roles
//	err = snap.Sign(ctx, onlineSigner, snapshotKeys)
//	ts, err := repository.NewTimestamp(1, expires, snap)
//	err = ts.Sign(ctx, onlineSigner, timestampKeys)
//
// then write certFile, t.File(), snap.File() and, last, ts.File().
//
// Sign finds the signer's public key among the role's keys before it asks
// the signer for anything (a key that is not the role's fails with
// [ErrKeyNotInRole]), verifies the signature it gets back
// ([ErrBadSignature]) and wraps a signer's error unchanged, so
// errors.Is(err, signer.ErrWrongPIN) works; all three come as a
// *[SignError]. Every change to metadata drops its signatures.
//
// To publish the next release, read the current targets back with
// ParseTargets, change them, SetVersion, sign, and build a new snapshot and
// timestamp. Delegate lists a delegated role (its keys, threshold, path
// patterns, terminating flag) in a Targets; that role's own metadata is
// another Targets, built with its name and signed with the keys delegated
// to it.
//
// Package verify checks what this package builds: verify.Repository over
// the written directory is what a client does.
package repository

// Package verify decides whether TUF metadata can be trusted: a root on its
// own, a root rotation, a chain of roots, targets metadata and its
// delegations, and a whole repository as a client update sees it. It is
// what services (a CA such as Fulcio, a log such as Rekor) import. It reads
// only what the caller hands it (bytes, parsed roots, an fs.FS, a Loader),
// never logs, needs no cgo and links nothing outside the standard library
// and this module. Package verify/client fetches a repository over HTTP
// with it.
//
// # Roots and root chains
//
// [Root] checks one root against a threshold of its own root keys and its
// expiry. [Rotation] checks that version N+1 may replace N. [Chain] walks
// from a trusted root through the files of the following versions, as a
// client updates its root (specification section 5.3):
//
//	trusted, err := root.Parse(embeddedRootJSON)
//	...
//	res, err := verify.Chain(trusted, [][]byte{v6, v7, v8}, verify.Options{})
//	if err != nil {
//		return err // nothing is trusted
//	}
//	use(res.Root) // version 8, not expired now
//
// Every version must be signed by a threshold of the previous root's root
// keys, be exactly the previous version plus one, and be signed by a
// threshold of its own. Thresholds count distinct public keys (SHA-256 of
// the PKIX DER): a key listed under several key IDs or keytype spellings
// counts once, a repeated signature entry counts once, empty signatures,
// signatures under key IDs a role does not list and keys this module
// cannot use (an unknown type or scheme, an unusable public value) never
// count. Intermediate roots may have expired; the newest must not have
// expired at Options.Now (zero means the current time).
//
// On failure the result is nil: nothing is trusted, not even the versions
// that verified before the failure. When every signature verified but the
// newest root has expired, the error is an [*ExpiredError] that names the
// last version that verified, so "expired" is never confused with "forged"
// and never taken for "trusted".
//
// Key IDs that are not the SHA-256 of their key object (Sigstore's
// production root v11, its staging roots v5-v8) and keys that can never
// count are reported as [Warning]s; Options.Strict makes key ID
// mismatches failures. The signing status of a root being signed is
// root.Root.SigningStatus.
//
// # Untrusted bytes
//
// Every file is read in the same order, by the module's one parser: its
// size against its role's bound ([Limits]: python-tuf's 512 KiB root, 16
// KiB timestamp, 2 MiB snapshot, 5 MiB targets, or the length trusted
// metadata lists), then its canonical bytes and signatures, without a tree
// of the document; then the signatures against the threshold; and only
// then a typed model of the file, which keeps fields it does not know as
// bytes. Reading a file of any shape as large as its bound allocates about
// 2 to 3.5 times its size, whether it is signed or not. Every count a file
// states (thresholds, versions, lengths) is checked before it is used and
// sizes nothing.
//
// # A client update
//
// [Repo] is the client workflow of the specification (section 5) as a
// state machine that the caller feeds with files in its order:
// [Repo.UpdateRoot] for N+1.root.json, N+2.root.json, ... until the
// repository has no next version, [Repo.UpdateTimestamp],
// [Repo.UpdateSnapshot] for the file [Repo.SnapshotFile] names,
// [Repo.UpdateTargets], and delegated targets as a search needs them.
// Each step verifies one file against what is already trusted. [Repository]
// drives a Repo over an fs.FS; package verify/client drives one over
// HTTP with a cache.
//
// [State] is what a client keeps between updates: the trusted root,
// timestamp and snapshot files. Passed to the next update it protects
// against rollback (older timestamp, snapshot or targets versions fail
// with ErrRollback) across restarts: a client that restarts from the root
// it embeds starts its walk at the saved, newer root. After a root
// rotation the saved timestamp and snapshot stay rollback floors only if
// they still verify under the new root's keys (section 5.3.11, as
// python-tuf and go-tuf do), so replacing a compromised online key
// recovers from a fast-forward attack. A timestamp of the trusted version
// is discarded even if its content differs, and the update goes on with
// the trusted snapshot (5.4.3.1).
//
// [Repo.Target] searches the top-level targets and then delegations in
// the specification's pre-order depth-first order, honouring path
// patterns, path hash prefixes and terminating roles, visiting each role
// once and at most Options.MaxDelegations roles; it verifies each
// delegated role it loads once. A target's content is checked with
// repository.Target.Verify.
//
// # Errors
//
// Errors wrap sentinels for errors.Is: [ErrThreshold], [ErrExpired],
// [ErrVersion], [ErrRollback], [ErrTooLarge], [ErrKeyIDMismatch],
// [ErrTargetNotFound] and [ErrMissing] (both also match fs.ErrNotExist),
// root.ErrMalformed for a file that cannot be read or breaks a structural
// rule, and repository.ErrHashMismatch and repository.ErrLengthMismatch
// for content that does not match what metadata lists. Typed errors carry
// the details for errors.As: [*ThresholdError], [*VersionError],
// [*ExpiredError], and [*MetadataError], which names the file once.
//
// # What is not verified
//
//   - The trusted root itself is taken on trust: it must meet its own
//     threshold, but where it came from is the caller's business (ship it
//     out of band, compare its SHA-256 with the announced one).
//   - Freshness beyond expiry: without a network the package cannot know
//     whether newer metadata exists; it checks what it is handed.
//   - Succinct (hash-bin) delegations are read but a search refuses them.
//   - YubiKey attestations are not part of metadata; package attestation
//     checks them.
//   - ECDSA signatures must be ASN.1 DER; high-S signatures are accepted,
//     as every published Sigstore root needs.
package verify

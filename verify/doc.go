// Package verify decides whether TUF metadata can be trusted: a root on its
// own, a root rotation, a chain of roots, targets metadata and its
// delegations, and a whole repository checked offline. It is what services
// (a CA such as Fulcio, a log such as Rekor) and ceremony attendees import.
// It reads only what the caller hands it (bytes, parsed roots, an fs.FS),
// never logs, and needs no cgo.
//
// # Roots and root chains
//
// [Root] checks one root against a threshold of its own root keys and its
// expiry. [Rotation] checks that version N+1 may replace N. [Chain] walks
// from a trusted root through the files of the following versions, as a TUF
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
// Every version must be exactly the previous one plus one and be signed by a
// threshold of the previous root's root keys and a threshold of its own.
// Thresholds count distinct public keys (SHA-256 of the PKIX DER): a key
// listed under several key IDs or keytype spellings counts once, a
// signature entry repeated counts once, empty signatures and signatures
// under key IDs the root does not list are ignored. Intermediate roots may
// have expired; the newest must not have expired at Options.Now (zero means
// the current time). Walks are bounded in steps and file size.
//
// On failure the result is nil: nothing is trusted, not even the versions
// that verified before the failure. When every signature verified but the
// newest root has expired, the error is an [*ExpiredError] that names the
// last version that verified and its expiry, so "expired" is never confused
// with "forged" and never taken for "trusted".
//
// A walk verifies each (key, signature) pair at most once per step (a key
// in both the previous and the new root role is checked once and counts for
// both), stops counting a threshold once it is met, prefers keys that both
// thresholds need, and reads every root, the trusted one and each new
// version, with root.Parse, which decodes and canonicalises each file
// once. BenchmarkRootChain compares it with
// go-tuf's trustedmetadata walk and with the bare signature checks.
//
// Key IDs that are not the SHA-256 of their key object (Sigstore's
// production root v11, its staging roots v5-v8) are reported as [Warning]s;
// Options.Strict makes them failures.
//
// # Signing status
//
// [Status] reports, for a root being signed (and for a rotation, for the
// previous root's threshold too), which keys signed validly, which signed
// invalidly and why, which have not signed, and how many more are needed,
// with keyholder annotations. It marshals to JSON for dashboards and
// pull-request comments.
//
// # Targets, delegations and repositories
//
// [Targets] verifies top-level targets metadata against the root's targets
// role; [TargetsMetadata.Target] looks a target up, [Target.Verify] and
// [Target.VerifyReader] check a file's length and hashes, and
// [Target.DecodeCustom] exposes custom metadata such as Sigstore's
// {"sigstore": {"usage": "Fulcio", "status": "Active"}}.
// [TargetsMetadata.Delegated] verifies a delegated role's metadata against
// its delegator and keeps only the targets the delegation's paths cover.
//
// [Repository] runs the client workflow offline over an fs.FS holding a
// repository: root chain from N.root.json files, timestamp, the snapshot it
// names (version, length, hashes; VERSION.snapshot.json with consistent
// snapshots), the targets metadata the snapshot names, expiry at the
// reference time, and rollback against a previous [State]. [Repo.Target]
// then searches delegations in the specification's pre-order depth-first
// order, honouring path patterns, path hash prefixes and terminating roles,
// visiting each role once and at most MaxDelegations roles.
//
// # Errors
//
// Errors wrap sentinels ([ErrThreshold], [ErrExpired], [ErrVersion],
// [ErrRollback], [ErrMalformed], [ErrTooLarge], [ErrKeyIDMismatch],
// [ErrHashMismatch], [ErrLengthMismatch], [ErrTargetNotFound], [ErrMissing])
// for errors.Is, and typed errors ([*ThresholdError], [*VersionError],
// [*ExpiredError], [*MetadataError]) for errors.As.
//
// # What is not verified
//
//   - The trusted root itself is taken on trust: it must be signed by a
//     threshold of its own keys, but where it came from is the caller's
//     business (ship it out of band).
//   - Freshness beyond expiry: without a network the package cannot know
//     whether newer metadata exists; it checks only what is handed to it.
//   - Fast-forward recovery (spec 5.3.11) needs the root the previous
//     [State] was verified under: [Repository] forgets the previous
//     timestamp, snapshot and targets versions when a new root drops a
//     timestamp or snapshot key only if State.Root is the trusted root's
//     version. A caller that starts from an older root should drop its
//     previous State after such a rotation.
//   - Succinct (hash-bin) delegations are refused at lookup, not verified.
//   - Target files are checked only when the caller passes their content.
//   - YubiKey attestations are not part of root verification: a root does
//     not carry them; package attestation checks them for each key enrolled.
//   - Key IDs are not required to match key content unless Options.Strict.
//   - ECDSA signatures must be ASN.1 DER; high-S signatures are accepted,
//     as every published Sigstore root needs.
package verify

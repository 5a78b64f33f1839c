// Package trustroot is a library for threshold root-of-trust management: the
// key ceremony that creates a TUF root signed by several keyholders, the
// rotations that chain each new root to the last, and the verification that
// services and clients run against it.
//
// The package itself holds no code; it documents the lifecycle and points to
// the packages that implement each step.
//
// # The lifecycle
//
//  1. Enrol. Each keyholder creates a key on a hardware token (signer/piv
//     for YubiKeys; signer/fake for tests and demos) and publishes the
//     public key with the token's attestation. Anyone checks the
//     attestation with package attestation: the key was generated on a
//     genuine token,
//     with the PIN and touch policies the ceremony requires, and it is the
//     key that goes into the root.
//
//  2. Build. The host builds version 1 of the root from a policy with
//     root.New: which keys hold the root, targets, snapshot and timestamp
//     roles, and how many of them must sign (for example 3 of 5). root.Lint
//     flags weak policies before anyone signs.
//
//  3. Sign. Every keyholder signs the root's canonical bytes with their
//     token through the signer.Signer interface (root.Root.Sign), producing
//     detached signatures that are merged without loss. verify's signing
//     status shows, live, who has signed and how many more are needed.
//
//  4. Verify and publish. Once thresholds are met, verify checks the root
//     exactly as a client will, and the root is published as N.root.json with
//     targets, snapshot and timestamp metadata signed by online keys (a KMS
//     key through signer/sigstore.LoadKMS). root.Root.Digest gives the hash to
//     announce. Package repository builds the online metadata.
//
//  5. Protect services. The targets role lists what services trust: a CA
//     certificate for a Fulcio-like CA, a transparency log's public key, a
//     timestamp authority's certificate, each with custom metadata marking
//     its usage and status; delegated roles hand part of the namespace to
//     other projects. Services follow the published repository with
//     verify/client (over HTTP(S) or an fs.FS, with a cache that keeps
//     rollback protection across restarts), starting from an embedded
//     trusted root; verify checks every file it fetches.
//
//  6. Rotate. Every few months root.Root.Next produces version N+1:
//     keyholders join and leave, thresholds change, expiry moves on. N+1 must
//     carry a threshold of signatures from N's root keys and from its own, so
//     a client holding N can follow the chain; verify walks it, counting each
//     distinct public key once and checking only the final root's expiry.
//
// # Packages
//
//   - root: root metadata: build, parse strictly, edit, rotate, canonical
//     bytes, key IDs, detached signatures, policy lint.
//   - signer: the Signer interface, its error contract and the
//     crypto.Signer adapter; standard library only.
//   - signer/sigstore: KMS keys by URI and sigstore signers, both ways.
//   - signer/pemfile: private key files, plain or encrypted by cosign.
//   - signer/piv: YubiKey PIV keys through piv-go (the only package that
//     needs cgo; without it, it reports that PIV support was not built in).
//   - signer/fake: deterministic signers and tokens for tests and demos,
//     never for production.
//   - signer/signertest: the conformance suite every Signer backend passes.
//   - repository: targets (with custom metadata), delegations, snapshot
//     and timestamp metadata, built and signed in memory.
//   - verify: thresholds, root chains, targets, delegations, offline
//     repositories and signing status. Pure Go; no I/O beyond what the
//     caller hands in.
//   - verify/client: a TUF client for services: refresh, target lookup
//     through delegations, checked downloads, Sigstore usage and status.
//   - attestation: YubiKey PIV attestations, verified in pure Go, and the
//     YubiKey vocabulary (slots, PIN and touch policies, form factors,
//     firmware) the other packages share.
//   - examples/ceremony: the ceremony tool built on the packages above; its
//     demo command runs a whole ceremony with fake tokens.
package trustroot

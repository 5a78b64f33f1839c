// Command ceremony runs a TUF root key ceremony from a directory meant to
// live in git, on top of the trustroot packages (root, signer, signer/piv,
// signer/fake, verify).
//
// Start with the whole story, fake tokens and no other setup:
//
//	go run ./examples/ceremony demo -out /tmp/demo
//
// Five keyholders enrol keys, root v1 (3 of 5) is signed and published,
// a CA certificate, a log key, a timestamp certificate and a Sigstore
// trusted_root.json are published as targets, another project gets a
// delegated role, v2 replaces a keyholder and v3 raises the threshold;
// everything verifies, and the demo prints the chain as a Mermaid diagram
// and the root's SHA-256. /tmp/demo/repository is a TUF repository any
// TUF client (go-tuf, tuf-js, sigstore-go) fetches over HTTP.
//
// # The ceremony repository
//
// Every keyholder's contribution is its own file, so pull requests from
// different keyholders never conflict and no signature is lost in a merge:
//
//	ceremony.json                    policy: root threshold, expiry periods,
//	                                 online signers (KMS URIs, pem:FILE, or
//	                                 fake:NAME in demos), attestation roots
//	keys/<holder>.json               public key, token serial, attestation
//	staged/root.json                 the root being signed
//	staged/signatures/<holder>-<keyid>-<sig>.json  one signature each
//	staged/delegations/<role>/       a delegated role being signed
//	repository/                      the published TUF repository:
//	  N.root.json, root.json, timestamp.json, V.snapshot.json,
//	  V.targets.json, V.<role>.json, targets/<sha256>.<name>
//
// Every write is atomic (temporary file, fsync, rename, directory fsync).
// Publishing writes new files under new names first and then replaces
// timestamp.json (the commit point) and root.json (a copy of the newest
// N.root.json), so a publish interrupted at any point leaves the
// repository as it was or as it should be; running publish again finishes
// it.
//
// # A ceremony
//
//	ceremony init -name acme -threshold 3 -online-signers targets=gcpkms://...,snapshot=awskms://...,timestamp=awskms://...
//	ceremony enroll -holder alice -token piv         # each keyholder, own PR
//	ceremony stage                                   # host: root v1 of everyone enrolled
//	ceremony sign -holder alice -token piv           # each keyholder, own PR
//	ceremony status -format markdown                 # PR comment: who signed, who is missing
//	ceremony publish                                 # host: merge, verify, publish, print SHA-256
//	ceremony targets add fulcio.crt.pem FILE -custom '{"sigstore":{"usage":"Fulcio","status":"Active"}}'
//	ceremony stage -replace dave=frank -threshold 4  # a rotation: N+1
//	ceremony refresh                                 # scheduled: re-sign online metadata due within 2 days
//	ceremony expiry                                  # scheduled: exit 1 within the root's 30-day signing period
//	ceremony verify -trusted 1.root.json             # anyone, any time (CI too)
//	ceremony verify -chain DIR -at 2026-11-01T00:00:00Z -json
//	ceremony diagram                                 # the chain, a ```mermaid block for a PR or README
//	ceremony diagram -format mmd > chain.mmd         # the same, plain Mermaid for mmdc
//
// Commands find the repository as git does (the current directory or the
// nearest parent holding ceremony.json), or take -C DIR before or after the
// command.
//
// Online roles are signed by keys in a cloud KMS (the tool links sigstore's
// AWS, GCP, Azure and Vault providers) or by a PEM key file whose
// passphrase is read like a PIN; fake:NAME keys are for demos only.
//
// Without -trusted, verify trusts repository/1.root.json (with -chain, the
// lowest N.root.json) on first use: CI jobs and attendees should pass
// -trusted with the 1.root.json announced at the ceremony, obtained out of
// band, never the one in the pull request under review. With -trusted, the
// repository's copy of that version must be the very same file, older
// versions must lead to it, and root.json must be the newest root. Every
// command refuses symbolic links and non-regular files in the repository.
//
// PINs are never taken from flags, arguments or the environment: sign asks
// at the terminal, or reads one line from an inherited file descriptor
// (-pin-fd 3 3<pinfile; a descriptor the shell did not pass is refused).
// Ctrl-C at a prompt ends the command (exit status 130) and turns echo back on. The token is checked to hold the keyholder's enrolled key
// before any PIN is asked for.
//
// -token piv needs a build with cgo and the pivkey tag (and pcscd);
// otherwise it fails with "built without PIV support". -token fake uses
// signer/fake's deterministic, INSECURE tokens, whose PIN is 123456: for
// demos and tests only.
package main

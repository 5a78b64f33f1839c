// Package signer defines the one interface through which every signature in
// a trustroot ceremony is made, whether the private key sits on a YubiKey, in
// a cloud KMS, in a PEM file or in memory for a test. It uses the standard
// library only, so the packages that sign (root, repository) stay light.
//
// For most uses, obtain a [Signer] from a backend and hand it to
// root.Root.Sign or a repository role's Sign:
//
//   - signer/piv for YubiKeys;
//   - [FromCryptoSigner] for any crypto.Signer (a software key, an HSM, a
//     KMS client);
//   - signer/sigstore for a sigstore KMS URI (LoadKMS: awskms://,
//     gcpkms://, azurekms://, hashivault://) or any sigstore
//     signature.Signer (FromSigner), and back (ToSignerVerifier, for code
//     such as go-tuf's metadata.Sign that expects a sigstore signer);
//   - signer/pemfile for a private key file, plain or encrypted by cosign;
//   - signer/fake for deterministic, insecure keys in tests and demos.
//
// A backend of your own implements the two methods of [Signer] and checks
// itself with signer/signertest, the conformance suite every backend here
// passes.
//
// # Keys, hashes and signature forms
//
// A Signer signs a message, never a digest. [HashFor] says how for each key
// TUF supports: ECDSA P-256 with SHA-256, P-384 with SHA-384 and P-521 with
// SHA-512, ASN.1 DER signatures (TUF schemes ecdsa-sha2-nistp256, -nistp384
// and -nistp521); RSA (2048 to 8192 bits) with RSASSA-PSS, SHA-256 and a
// salt as long as the hash (rsassa-pss-sha256); Ed25519 on the message
// itself (ed25519). The adapters verify every signature a backend returns
// before handing it out, so a misbehaving backend fails with
// [ErrInvalidSignature] at signing time instead of in a client later.
//
// # Errors
//
// Errors from a backend are wrapped, never replaced, so a wrong PIN on a
// token is still a [*PINError] to errors.As after any number of layers, and
// a cancelled context still matches context.Canceled. Sentinels:
// [ErrWrongPIN], [ErrPINBlocked], [ErrKeyNotFound], [ErrWrongKey],
// [ErrUnsupportedKey], [ErrInvalidSignature], [ErrWrongPassword]. No error
// contains a PIN, a password, a management key or private key material.
package signer

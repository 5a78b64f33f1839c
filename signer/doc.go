// Package signer defines the one interface through which every signature in
// a trustroot ceremony is made, whether the private key sits on a YubiKey, in
// a cloud KMS, in a PEM file or in memory for a test.
//
// For most uses, obtain a [Signer] from a backend and hand it to
// root.Root.Sign:
//
//   - signer/piv for YubiKeys;
//   - [FromCryptoSigner] for any crypto.Signer (a software key, an HSM, a
//     KMS client);
//   - [LoadKMS] for a sigstore KMS URI (awskms://, gcpkms://, azurekms://,
//     hashivault://, fakekms://), or [FromSigstore] for any sigstore
//     signature.Signer;
//   - [LoadPEM] for a private key file, plain or encrypted by cosign;
//   - signer/fake for deterministic, insecure keys in tests and demos.
//
// [ToSigstore] goes the other way: it turns a Signer into a sigstore
// signature.SignerVerifier, for code (go-tuf's metadata.Sign, sigstore
// tools) that expects one.
//
// # Keys, hashes and signature forms
//
// A Signer signs a message, never a digest. [HashFor] says how for each key
// TUF supports: ECDSA P-256 with SHA-256 and P-384 with SHA-384, ASN.1 DER
// signatures (TUF schemes ecdsa-sha2-nistp256 and ecdsa-sha2-nistp384);
// RSA (2048 bits or more) with RSASSA-PSS, SHA-256 and a salt as long as
// the hash (rsassa-pss-sha256); Ed25519 on the message itself (ed25519).
// The adapters in this package verify every signature a backend returns
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
//
// # Testing a backend
//
// signer/signertest holds the conformance suite every backend must pass.
package signer

// Package sigstore connects trustroot signers with sigstore/sigstore's
// signature package, in both directions, and opens keys held in a cloud
// KMS.
//
//   - [LoadKMS] opens a key named by a sigstore KMS URI (awskms://,
//     gcpkms://, azurekms://, hashivault://, fakekms:// in tests) as a
//     [signer.Signer], typically for the online roles (targets, snapshot,
//     timestamp) of a repository.
//   - [FromSigner] wraps any sigstore signature.Signer (a KMS signer from
//     kms.Get, a key from signature.LoadSigner) as a [signer.Signer].
//   - [ToSignerVerifier] goes the other way: a [signer.Signer] (a YubiKey,
//     a fake key) as a sigstore signature.SignerVerifier, for code that
//     expects one, such as go-tuf's metadata.Sign.
//
// KMS providers register themselves when their package is imported; this
// package imports none, so the program imports the ones it uses:
//
//	import _ "github.com/sigstore/sigstore/pkg/signature/kms/gcp" // gcpkms://
//
//	s, err := sigstore.LoadKMS(ctx, "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1")
//
// Every signature a backend returns is checked under the key's public key
// before it is handed out, so a provider that signs RSA keys with PKCS #1
// v1.5, or hashes with another function than [signer.HashFor] says, fails
// at signing time with [signer.ErrInvalidSignature] rather than in a
// client later. Backend errors are wrapped, so errors.Is and errors.As
// see through them.
//
// This package is apart from package signer because sigstore's KMS
// registry links its command-line plugin runner (os/exec) and a good part
// of sigstore: programs that only verify, or sign with a YubiKey, do not
// pay for it.
package sigstore

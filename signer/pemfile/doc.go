// Package pemfile loads a private key from a PEM file as a
// [signer.Signer], for offline signing, tests and migrations from keys
// kept on disk:
//
//	data, err := os.ReadFile("cosign.key")
//	s, err := pemfile.Load(data, password) // password may be nil for an unencrypted key
//	sigs, err := r.Sign(ctx, s, prev)       // root.Root.Sign, or a repository role
//
// It reads PKCS #8, SEC 1 and PKCS #1 keys, and keys encrypted the way
// cosign and sigstore's cryptoutils write them ("ENCRYPTED SIGSTORE
// PRIVATE KEY", scrypt and NaCl secretbox). A wrong or missing password
// fails with an error wrapping [signer.ErrWrongPassword].
//
// A private key in a file is only as safe as the file. Root keys belong on
// hardware tokens (signer/piv); online keys in a KMS (signer/sigstore).
package pemfile

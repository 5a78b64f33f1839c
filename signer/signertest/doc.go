// Package signertest is the conformance suite every [signer.Signer] backend
// must pass. It is the one deliberately public test aid of trustroot (all
// other fixtures live in testdata or internal packages): call [Run] from a
// backend's tests with a function that makes a fresh signer.
//
//	func TestConformance(t *testing.T) {
//		signertest.Run(t, func(t *testing.T) signer.Signer {
//			s, err := mybackend.New(...)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite checks that the public key is one TUF supports; that signatures
// verify under it with go-tuf's own verifier (metadata.VerifyDelegate over a
// one-key root; go-tuf v2 has no P-521 scheme, so for P-521 keys that
// subtest is skipped and says why) and with the standard library in
// exactly the form the signer contract fixes (ECDSA ASN.1 DER with the
// key's hash, RSASSA-PSS with SHA-256 and a 32-byte salt, pure Ed25519);
// that an already cancelled
// or expired context is honoured with an error wrapping ctx.Err(); and that
// concurrent signing is safe (run it with -race). [RunWith] adds checks
// that need the backend's help: cancelling a Sign that blocks, and
// wrapping a backend error.
package signertest

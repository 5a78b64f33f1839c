// Package fake provides deterministic, INSECURE signers and a fake hardware
// token for tests and demos. NEVER use it in production: every private key
// it makes is derived from a public name and can be recomputed by anyone.
//
// A fake [Signer] holds one key derived from a name (or seed) and a
// [KeyType]: the same name gives the same key, and so the same TUF key ID,
// on every run and every machine, which keeps test output and Example
// output stable:
//
//	alice := fake.New("alice")                     // ECDSA P-256
//	bob, err := fake.NewType("bob", fake.Ed25519)  // or P384, RSA2048
//
// Signers misbehave on request, to test error paths: [Signer.FailNext]
// fails the next n signatures with a given error (a *signer.PINError, say),
// and [Signer.SetFault] makes every signature use the wrong key
// ([WrongKey]), come out truncated ([Malformed]) or block until the
// context ends ([Block]).
//
// A [Token] stands in for a YubiKey: it generates keys in PIV slots with a
// PIN and touch policy, checks a PIN with a retry counter (a wrong PIN is a
// *signer.PINError, an exhausted counter signer.ErrPINBlocked), has a
// serial number, firmware version and form factor, and attests generated
// keys with certificates shaped exactly like a YubiKey's, issued under a
// test CA ([Token.AttestationRoot]) through a device "f9" certificate.
// [Token.Signer] asks for the PIN through a callback and refuses to sign
// when the slot holds a key other than the expected one
// (signer.ErrWrongKey).
package fake

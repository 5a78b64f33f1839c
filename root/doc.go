// Package root builds, parses, edits, rotates and signs TUF root metadata:
// the file that says which keys may sign for the root, targets, snapshot
// and timestamp roles, and how many of them must agree.
//
// # A first root
//
// Each keyholder's public key becomes a [Key] with [NewKey], annotated
// with who holds it and on which token. [New] turns a [Policy] into
// version 1, refusing policies that cannot work (a threshold of 0 or above
// the number of keys, a missing or unknown role, one public key under two
// key IDs):
//
//	alice, _ := root.NewKey(alicePub, root.KeyOptions{Holder: "alice", Serial: "18158855"})
//	...
//	r, err := root.New(root.Policy{
//		Roles: map[root.Role]root.RolePolicy{
//			root.RoleRoot:      {Keys: holders, Threshold: 3},
//			root.RoleTargets:   {Keys: holders, Threshold: 3},
//			root.RoleSnapshot:  {Keys: []root.Key{online}, Threshold: 1},
//			root.RoleTimestamp: {Keys: []root.Key{online}, Threshold: 1},
//		},
//		Expires: time.Now().AddDate(0, 6, 0),
//	})
//
// Keys default to ECDSA P-256 (keytype "ecdsa"), which every TUF client
// and YubiKey supports; P-384, P-521, Ed25519 and RSASSA-PSS keys work
// too. Run [Lint] before anyone signs: it warns about thresholds that are
// not a majority, root keys that also sign online roles, odd expiries, one
// keyholder holding enough keys to meet a threshold, ECDSA keys whose
// curve does not match their scheme, and keys that can never sign.
//
// # Signing
//
// Every signature covers [Root.SigningPayload], the canonical JSON of the
// signed object. [Root.Sign] signs with a [signer.Signer] (a YubiKey, a KMS
// key, a file) under every key ID the signer's key has, after checking that
// the key is listed at all. Keyholders who sign elsewhere hand back a
// [Signature]; [Root.AddSignature] verifies it and stores it, replacing an
// earlier one for the same key, so signatures from several files merge
// without loss. [Root.SigningStatus] shows, for each threshold, who signed,
// whose signature is bad and who is still missing. [Root.MarshalFile]
// writes the reviewable file form (sorted keys, two-space indent, trailing
// newline) and [Root.Digest] its SHA-256 for announcing the published
// root.
//
// # Rotation
//
// [Root.Next] derives version N+1 from N: keys added, removed or replaced
// per role, thresholds changed, a new expiry, no signatures. N+1 must be
// signed by a threshold of N's root keys and a threshold of its own
// ([Root.Requirements]); pass N as prev to Sign, AddSignature and
// SigningStatus so signatures by keys that only N lists are kept.
//
// # Reading real roots
//
// [Parse] is strict (duplicate JSON keys, a wrong _type, a version below
// 1, oversized files, duplicate signature key IDs, missing roles, numbers
// other clients would read differently) yet reads every root Sigstore has
// published: hex and PEM ECDSA keys, both ECDSA keytype spellings, expiry
// times with offsets and fractions, custom x-* fields, empty signatures
// and signatures under key IDs the root no longer lists. It verifies every
// scheme securesystemslib defines for RSA, ECDSA and Ed25519 keys, and
// keeps a key of another type or scheme (tuf-on-ci's sigstore-oidc keys,
// a future scheme) or with an unusable public value: the file stays valid,
// the key never counts, and [Key.Unsupported] says why. A parsed root
// keeps its signed object exactly, so its payload is what was signed and
// MarshalFile writes it back byte for byte in canonical form. Root files
// are read by the module's one parser, which every other metadata file
// goes through too ([MaxRootSize], [MaxSignatures]).
//
// Errors wrap the sentinels [ErrMalformed], [ErrInvalidPolicy],
// [ErrInvalidKey], [ErrBadSignature] and [ErrUnknownKey]; [*PolicyError]
// and [*SignatureError] carry the details. Nothing panics on bad input, and
// the package never logs.
package root

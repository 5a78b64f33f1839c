// Command serviceverify is what a Sigstore-style service (a certificate
// authority like Fulcio, a transparency log like Rekor, a timestamp
// authority) does at start-up and on every refresh to learn which of its
// keys and certificates the root of trust currently vouches for.
//
// It starts from a trusted root it ships with, updates through a mirror of
// the TUF repository (a directory, or an HTTP server), verifies the root
// chain, timestamp, snapshot and targets metadata offline with package
// verify, then selects the targets whose custom metadata marks them active
// for its usage and loads them:
//
//	serviceverify -root 1.root.json -url https://tuf.example.org -usage Fulcio
//	serviceverify -root 1.root.json -repo ./repository -usage Rekor -state state.json
//
// A real service embeds its first root instead of reading it from a flag:
//
//	//go:embed 1.root.json
//	var trustedRoot []byte
//
// It refuses, with an error naming the cause, an expired root or timestamp
// (verify.ErrExpired), a repository older than one it already trusted
// (verify.ErrRollback, checked against -state and, with -every, against
// the previous refresh), and a target that is listed but missing or altered.
package main

// Command serviceverify is what a Sigstore-style service (a certificate
// authority like Fulcio, a transparency log like Rekor, a timestamp
// authority) does at start-up and on every refresh to learn which of its
// keys and certificates the root of trust currently vouches for.
//
// It is a thin layer over package verify/client: from a trusted root it
// ships with, the client follows the TUF repository (an HTTP mirror or a
// directory), verifies the root chain, timestamp, snapshot and targets,
// and keeps what it trusts in a cache directory; the service selects the
// targets whose custom metadata marks them active for its usage,
// downloads them (length and hashes checked) and loads them:
//
//	serviceverify -root 1.root.json -url https://tuf.example.org -usage Fulcio \
//	    -cache /var/lib/fulcio/tuf -every 10m
//	serviceverify -root 1.root.json -repo ./repository -usage Rekor
//
// A real service embeds its first root instead of reading it from a flag:
//
//	//go:embed 1.root.json
//	var trustedRoot []byte
//
// At start it refuses, with an error naming the cause, an expired root or
// timestamp (verify.ErrExpired), a repository older than one it already
// trusted (verify.ErrRollback, checked against the cache), and a target
// that is missing or altered (repository.ErrHashMismatch). With a cache,
// a restart while the repository is unreachable, or serving a rollback,
// goes on from what the cache holds if it has not expired. Once running,
// a failed refresh keeps the material already loaded.
package main

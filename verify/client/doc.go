// Package client follows a TUF repository for a service: it is the
// network and disk half of the client workflow whose verification is
// package verify's [verify.Repo].
//
// A client starts from the trusted root the program ships with and a
// source, an HTTP(S) mirror or an fs.FS:
//
//	//go:embed 1.root.json
//	var trustedRoot []byte
//
//	c, err := client.New(client.Options{
//		Root:        trustedRoot,
//		MetadataURL: "https://tuf-repo-cdn.sigstore.dev",
//		CacheDir:    "/var/lib/myservice/tuf",
//	})
//	err = c.Refresh(ctx) // root chain, timestamp, snapshot, targets
//	fulcio, err := c.Select(ctx, client.Sigstore{Usage: "Fulcio", Status: "Active"})
//	pem, err := c.Download(ctx, fulcio[0].Name) // length and hashes checked
//	tr, err := c.TrustedRoot(ctx)               // trusted_root.json for sigstore-go
//
// # What it guarantees
//
//   - Nothing fetched is trusted before package verify has checked it:
//     signatures and thresholds, versions against what was trusted
//     before (rollback), expiry, lengths and hashes the trusted metadata
//     lists.
//   - Every fetch is bounded in time (Options.Timeout and the caller's
//     context) and in size: by the length trusted metadata lists, else
//     by the role's limit (verify.Limits), and for a target by its
//     trusted length and Options.MaxTargetSize.
//   - With Options.CacheDir, each file is written atomically as it is
//     accepted, so a restart goes on from the last trusted state
//     (rollback protection survives restarts) and does not fetch again
//     what it holds. At start the cached root must chain from the
//     embedded one through the cached N.root.json files.
//   - A refresh that fails keeps the last trusted view: a service goes
//     on with the material it already loaded and tries again later.
//     [Client.Status] says until when that view is valid.
//
// Errors match package verify's sentinels (verify.ErrExpired,
// verify.ErrRollback, verify.ErrThreshold, verify.ErrTooLarge,
// verify.ErrTargetNotFound and verify.ErrMissing, which both match
// fs.ErrNotExist), repository.ErrLengthMismatch and
// repository.ErrHashMismatch, context.DeadlineExceeded, and
// [*HTTPError] for an unexpected HTTP status.
package client

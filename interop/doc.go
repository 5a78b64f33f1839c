// Package interop holds tests only: they prove that clients which share no
// code with trustroot accept the repository its ceremony tool publishes.
//
//   - go-tuf's client (metadata/updater) fetches the demo repository over
//     HTTP on 127.0.0.1, walks every root version and downloads every
//     target, delegated ones included.
//   - tuf-js's models (@tufjs/models, run with node from tufjs/) verify
//     every root of the chain and the targets.
//   - sigstore-go's TUF client fetches the trusted_root.json target from
//     our v1 root and loads it as a Sigstore trusted root.
//
// It is a separate Go module so that the library's go.mod does not carry
// sigstore-go. Run it with `cd interop && go test ./...` after
// `npm ci` in interop/tufjs.
package interop

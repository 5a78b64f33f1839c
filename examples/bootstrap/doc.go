// Command bootstrap creates version 1 of a project's TUF root with the
// trustroot API: three keyholders, any two of whom can sign the root and
// targets (2-of-3), and an online key for snapshot and timestamp. Every
// keyholder signs, the root is checked with package verify, and
// repository.WriteDir writes the repository, each file atomic (temporary
// file, fsync, rename) and in an order that keeps it valid: the example
// target DIR/targets/SHA256.example.txt, DIR/1.root.json, DIR/1.targets.json
// (built with package repository and signed by the keyholders),
// DIR/1.snapshot.json, DIR/root.json (a copy of the newest root) and last
// DIR/timestamp.json (signed by the online key). It refuses a DIR that
// already holds a repository (1.root.json or timestamp.json): it never
// replaces a root that clients may trust.
//
//	go run ./examples/bootstrap -out repo    # fake tokens: INSECURE, for trying it out
//	CGO_ENABLED=1 go run -tags pivkey ./examples/bootstrap -out repo -piv 111,222,333
//
// With -piv each keyholder's key must already be in slot 9c of their
// YubiKey (generated and attested with piv.Enrol, or `ceremony enroll`);
// each PIN is read from the terminal, never from a flag. A binary built
// without cgo and the pivkey tag says so and writes nothing.
//
// It is the shortest honest start: for a multi-person ceremony with one
// file per signature, rotations, targets and a published repository, use
// examples/ceremony.
package main

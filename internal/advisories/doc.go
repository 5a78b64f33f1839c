// Package advisories holds one named regression test for each published
// advisory about TUF implementations that applies to trustroot (see
// advisories_test.go). Each test reproduces the attack, against the
// adversarial corpus in testdata/vectors or with metadata built through
// the public API, and asserts the outcome that closes it.
//
// The package has no code of its own; run it with
//
//	go test ./internal/advisories
package advisories

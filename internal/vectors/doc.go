// Package vectors holds the loader for trustroot's adversarial test corpus
// in testdata/vectors, and the tests that generate it and run it.
//
// Each case is a directory holding a case.json manifest and the metadata
// files the case feeds to a verifier, byte for byte as an attacker or a
// broken tool would publish them:
//
//	testdata/vectors/<name>/case.json     what to run and what must happen
//	testdata/vectors/<name>/1.root.json   the root the client already trusts
//	testdata/vectors/<name>/2.root.json   chain steps, in order
//	testdata/vectors/<name>/targets.json  for repository cases, and so on
//
// A "chain" case walks root versions from a trusted root; a "repository"
// case verifies a whole offline repository (timestamp, snapshot, targets,
// delegated targets) and looks a target up. The manifest names the
// expected verdict (see [Verdicts]), gives a one-line reason and the
// reference time, and says how go-tuf judges the same files: "agree", or
// "stricter: why" / "lenient: why" where trustroot deliberately differs.
//
// The corpus is generated, never hand-edited: keys come from fixed seeds,
// every signature is made by the generator over canonical JSON (its own
// encoder, not trustroot's), and the attack is applied as a mutation of a
// correct file. Regenerate with
//
//	go test ./internal/vectors -update
//
// TestCorpusUpToDate checks that the committed files equal what the
// generator writes, byte for byte (ECDSA and RSA randomness is fixed with
// testing/cryptotest). TestCorpusVerify runs every case through
// root.Parse and verify (Chain, or Repository and Repo.Target), asserts
// the verdict with errors.Is, then runs go-tuf v2.4.2 (trustedmetadata,
// with the updater's delegation search) on the same files and asserts the
// manifest's go-tuf claim.
package vectors

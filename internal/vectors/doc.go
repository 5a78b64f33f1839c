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
// The manifest names the expected verdict ("valid", "threshold",
// "version", "expired", "parse", ...), gives a one-line reason, the
// reference time, and how go-tuf is expected to judge the same files
// ("agree", or "stricter: why" / "lenient: why" where trustroot
// deliberately differs).
//
// The corpus is generated, never hand-edited: keys come from fixed seeds,
// every signature is made by the generator over canonical JSON, and the
// attack is applied as a mutation of a correct file. Regenerate with
//
//	go test ./internal/vectors -update
//
// and the corpus test checks that the committed files equal what the
// generator produces, byte for byte.
package vectors

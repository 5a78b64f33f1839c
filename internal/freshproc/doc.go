// Package freshproc holds the two programs verify's BenchmarkFirstWalk
// runs, one new process per iteration, to measure a walk in a process
// that has done nothing before (cold caches, package initialisation
// included) against the signature floor in the same conditions:
//
//   - walk links package verify and walks a root chain from a directory;
//   - floor links the standard library's signature code only and makes
//     the checks the walk needs, from public keys, payloads and signatures
//     prepared in advance.
package freshproc

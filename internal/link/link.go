// Package link lets the packages of this module build their public
// metadata types from an envelope already read (tufmeta.ParseEnvelope),
// so a verifier checks signatures before any model is built and never
// parses a file twice, without an exported API that takes an internal
// type. Package root and package repository set these functions when they
// are initialised; any package that imports them may call them.
package link

import (
	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/internal/tufmeta"
)

var (
	// Root builds a *root.Root (returned as any) from an envelope of
	// type "root". Set by package root.
	Root func(env *tufmeta.Envelope) (any, error)
	// Targets builds a *repository.Targets for the role named (as a
	// string) from an envelope of type "targets". Set by package
	// repository.
	Targets func(role string, env *tufmeta.Envelope) (any, error)
	// Snapshot builds a *repository.Snapshot. Set by package repository.
	Snapshot func(env *tufmeta.Envelope) (any, error)
	// Timestamp builds a *repository.Timestamp. Set by package
	// repository.
	Timestamp func(env *tufmeta.Envelope) (any, error)
	// VerifyDigests checks sig over d's message with k if k is a
	// root.Key, as root.Key.Verify does (same result, same error),
	// reusing d's digests; ok is false for any other k. Set by package
	// root.
	VerifyDigests func(k any, d *tufkey.Digests, sig []byte) (err error, ok bool)
)

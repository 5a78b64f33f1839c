// Package rootlink lets the packages of this module turn an envelope they
// have already read (tufmeta.ParseEnvelope) into a *root.Root without
// parsing the file twice and without an exported root API that takes an
// internal type. Package root sets FromEnvelope when it is initialised;
// any package that imports root may call it.
package rootlink

import "github.com/trustroot/trustroot/internal/tufmeta"

// FromEnvelope builds a *root.Root (returned as any) from an envelope of
// type "root". It is set by package root.
var FromEnvelope func(env *tufmeta.Envelope) (any, error)

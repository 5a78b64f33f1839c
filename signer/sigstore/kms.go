package sigstore

import (
	"context"
	"crypto"
	"fmt"
	"slices"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/trustroot/trustroot/signer"
)

// LoadKMS returns a [signer.Signer] for the key named by a sigstore KMS
// URI, such as "awskms:///arn:aws:kms:…",
// "gcpkms://projects/…/cryptoKeyVersions/1", "azurekms://…",
// "hashivault://…" or, in tests, "fakekms://…".
//
// Providers register themselves when their package is imported, so the
// program that calls LoadKMS imports the ones it needs for their side
// effect, for instance
//
//	import _ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
//
// (and .../kms/aws, .../kms/azure, .../kms/hashivault; tests import
// .../kms/fake). This package imports none of them, so it pulls in no
// cloud SDK. A URI whose scheme no imported provider handles is refused:
// LoadKMS never falls back to sigstore's plugin mechanism, which would run
// a program named after the scheme from $PATH; use kms.Get and
// [FromSigner] to opt into that.
//
// The hash is chosen from the key the KMS holds (see [signer.HashFor]).
// ctx bounds the calls made here; each Sign takes its own. The Signer
// behaves like one from [FromSigner].
func LoadKMS(ctx context.Context, uri string) (signer.Signer, error) {
	scheme, _, ok := strings.Cut(uri, "://")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("signer/sigstore: KMS URI %q has no scheme (want e.g. gcpkms://...)", uri)
	}
	prefix := scheme + "://"
	if !slices.Contains(kms.SupportedProviders(), prefix) {
		return nil, fmt.Errorf("signer/sigstore: no KMS provider for %q is registered (import its sigstore package, e.g. github.com/sigstore/sigstore/pkg/signature/kms/...)", prefix)
	}
	sv, err := kms.Get(ctx, uri, crypto.SHA256, options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signer/sigstore: opening KMS key %s: %w", uri, err)
	}
	s, err := fromSigner(ctx, sv)
	if err != nil {
		return nil, fmt.Errorf("signer/sigstore: KMS key %s: %w", uri, err)
	}
	if s.hash == crypto.SHA256 || s.hash == 0 {
		return s, nil
	}
	// The provider was opened for SHA-256 before the key was known; open
	// it again with the key's hash.
	sv, err = kms.Get(ctx, uri, s.hash, options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signer/sigstore: opening KMS key %s for %v: %w", uri, s.hash, err)
	}
	s2, err := fromSigner(ctx, sv)
	if err != nil {
		return nil, fmt.Errorf("signer/sigstore: KMS key %s: %w", uri, err)
	}
	if !publicKeysEqual(s.pub, s2.pub) {
		return nil, fmt.Errorf("signer/sigstore: KMS key %s changed between two reads: %w", uri, signer.ErrWrongKey)
	}
	return s2, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

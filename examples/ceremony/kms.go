package main

// The cloud KMS providers an online role's key can live in. Each registers
// its URI scheme with sigstore's KMS registry when imported; the library's
// signer/sigstore imports none, so they are linked here, in the tool, and
// enter only the examples module's graph, never that of a program that
// imports root or verify.
import (
	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"        // awskms://
	_ "github.com/sigstore/sigstore/pkg/signature/kms/azure"      // azurekms://
	_ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"        // gcpkms://
	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault" // hashivault://
)

// Package attestation verifies YubiKey PIV attestations in pure Go and
// names the YubiKey facts trustroot works with: [Slot], [PINPolicy],
// [TouchPolicy], [FormFactor] and [Firmware].
//
// A YubiKey proves that it generated a key by signing a certificate for it:
// the slot certificate (subject "YubiKey PIV Attestation 9c"), issued by the
// token's own attestation key, whose device certificate (slot f9, subject
// "Yubico PIV Attestation") chains to a Yubico root. Yubico extensions on
// the slot certificate carry the token's serial number, firmware version
// and form factor and the key's PIN and touch policies. A keyholder
// publishes the public key with both certificates; anyone can then check
// that the key lives on a YubiKey, on which token, and that it cannot sign
// without PIN and touch:
//
//	roots, inter, err := attestation.YubicoPools(yubicoPEM) // Yubico's published roots, checked against pinned fingerprints
//	a, err := attestation.VerifyPEM(slotPEM, devicePEM, attestation.Options{
//		Roots:         roots,
//		Intermediates: inter,
//		PublicKey:     key,      // the key listed in the root
//		Serial:        15938765, // the token the keyholder announced
//	})
//	if err != nil {
//		return err // an *attestation.Error; errors.Is(err, attestation.ErrPolicy), ...
//	}
//	for _, w := range a.Warnings {
//		log.Print(w.Message) // e.g. firmware affected by YSA-2024-03
//	}
//
// [Options] asks for PIN policy always and touch policy always unless the
// caller lowers the bar, and can pin the key, serial, slot and a minimum
// firmware. Old firmware gives a [Warning] rather than an error.
//
// The package ships no Yubico certificate (they are third-party files):
// callers pass the roots they trust, and [YubicoPools] accepts a bundle
// only if its self-signed certificates are the Yubico roots whose SHA-256
// fingerprints are pinned here ([YubicoPIVRootCA263751SHA256],
// [YubicoAttestationRoot1SHA256], [YubicoU2FRootCA457200631SHA256]).
//
// The package uses the standard library only; signer/piv, signer/fake and
// the ceremony tool share its types.
package attestation

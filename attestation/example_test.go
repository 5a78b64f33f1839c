package attestation_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
)

// A keyholder publishes the public key of a key generated on a YubiKey,
// with the token's slot attestation certificate and device (f9)
// certificate. Anyone can check that the key lives on a YubiKey with PIN
// and touch required for every signature. Here the certificates come from
// the project's test attestation CA; for real tokens, Roots holds Yubico's
// published roots (see YubicoPools).
func ExampleVerify() {
	when := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	ca, _ := pivattest.NewCA("Example Test PIV Root CA", when)
	token, _ := ca.NewDevice(31415926, attestation.Firmware{Major: 5, Minor: 7, Patch: 4}, when)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	slotCert, _ := token.Attest(pivattest.Slot{
		Slot:        attestation.SlotSignature,
		PINPolicy:   attestation.PINPolicyAlways,
		TouchPolicy: attestation.TouchPolicyAlways,
		FormFactor:  attestation.FormFactorUSBCKeychain,
		Public:      key.Public(),
	})

	a, err := attestation.Verify(slotCert, token.Cert, attestation.Options{
		Roots:     ca.Pool(),
		Now:       when.Add(time.Hour),
		PublicKey: key.Public(), // the key listed in the root
	})
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	fmt.Printf("serial %d, firmware %s, %s, slot %s\n", a.Serial, a.Firmware, a.FormFactor, a.Slot)
	fmt.Printf("PIN %s, touch %s, warnings %d\n", a.PINPolicy, a.TouchPolicy, len(a.Warnings))

	// The same certificate under a policy it does not meet.
	_, err = attestation.Verify(slotCert, token.Cert, attestation.Options{
		Roots:       ca.Pool(),
		Now:         when.Add(time.Hour),
		MinFirmware: attestation.Firmware{Major: 5, Minor: 8},
	})
	fmt.Println(err)
	// Output:
	// serial 31415926, firmware 5.7.4, USB-C keychain, slot 9c
	// PIN always, touch always, warnings 0
	// attestation: firmware: firmware 5.7.4, need at least 5.8.0
}

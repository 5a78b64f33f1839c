package piv_test

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/piv"
)

// A keyholder enrols: a P-256 key is generated in slot 9c with PIN and
// touch policy always, and attested. The ceremony publishes the public
// key and both certificates. (This example needs a YubiKey, so it is only
// compiled.)
func ExampleEnrol() {
	ctx := context.Background()
	var managementKey []byte // read from the keyholder's safe, never a flag
	e, err := piv.Enrol(ctx, piv.EnrolOptions{Serial: 12345678, ManagementKey: managementKey})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	os.Stdout.Write(e.SlotCertificatePEM())
	os.Stdout.Write(e.DeviceCertificatePEM())
}

// A keyholder signs: the signer checks the token holds the key the root
// lists before asking for the PIN, and says when to touch the token.
// (This example needs a YubiKey, so it is only compiled.)
func ExampleNew() {
	ctx := context.Background()
	var expected crypto.PublicKey // the keyholder's key as listed in the root
	s, err := piv.New(ctx, piv.Options{
		Serial:   12345678,
		Expected: expected,
		PIN:      func(ctx context.Context) ([]byte, error) { return readPIN(ctx) },
		Touch:    func() { fmt.Println("touch your YubiKey") },
	})
	switch {
	case errors.Is(err, signer.ErrWrongKey):
		fmt.Println("this is not the YubiKey listed for you in the root")
		return
	case err != nil:
		fmt.Println(err)
		return
	}
	defer s.Close()
	_, err = s.Sign(ctx, []byte("root signing payload"))
	var pe *signer.PINError
	switch {
	case errors.Is(err, piv.ErrLastPINTry):
		fmt.Println("one PIN try left: check the PIN, then retry with ForceLastPINTry")
	case errors.As(err, &pe) && !errors.Is(err, signer.ErrPINBlocked):
		fmt.Printf("wrong PIN, %d tries left\n", pe.Retries)
	case err != nil:
		fmt.Println(err)
	}
}

func readPIN(context.Context) ([]byte, error) { return nil, errors.New("no terminal") }

// Algorithms print as ykman and yubico-piv-tool spell them, and so do the
// slots and policies of package attestation that this package uses.
func ExampleAlgorithm() {
	fmt.Println(piv.AlgorithmECP256, piv.AlgorithmECP384)
	fmt.Println(attestation.SlotSignature, attestation.SlotAuthentication, attestation.Slot(0x82))
	fmt.Println(attestation.PINPolicyAlways, attestation.TouchPolicyCached)
	// Output:
	// ecdsa-p256 ecdsa-p384
	// 9c 9a 82
	// always cached
}

package fake_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
)

func ExampleNew() {
	// The same name gives the same key, and so the same TUF key ID, on
	// every run.
	alice := fake.New("alice")
	k, err := root.NewKey(alice.Public(), root.KeyOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("key ID:     ", k.ID())
	fmt.Println("fingerprint:", k.Fingerprint())
	fmt.Println("scheme:     ", k.Scheme())
	// Output:
	// key ID:      17bcc127adb3afb62fb04eede5baa628c1e7022b3b5bab9c3ce57d4c5efa9151
	// fingerprint: 27a8ed309d95788b06021bdfc6aaf6c0d66d3a338c1b03f296c87019d36b6df4
	// scheme:      ecdsa-sha2-nistp256
}

func ExampleNewType() {
	for _, kt := range fake.KeyTypes() {
		s, err := fake.NewType("bob", kt)
		if err != nil {
			fmt.Println(err)
			return
		}
		k, err := root.NewKey(s.Public(), root.KeyOptions{Holder: "bob"})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-8s %s %s\n", kt, k.Scheme(), k.ID()[:16])
	}
	// Output:
	// p256     ecdsa-sha2-nistp256 b678a437c28ee336
	// p384     ecdsa-sha2-nistp384 851f79244fb6cc18
	// ed25519  ed25519 3ac6ddee1ff41cdf
	// rsa2048  rsassa-pss-sha256 3d03002296ad6068
}

func ExampleSigner_FailNext() {
	s := fake.New("carol")
	// The backend reports a wrong PIN once; callers still see it.
	s.FailNext(1, &signer.PINError{Retries: 2})
	_, err := s.Sign(context.Background(), []byte("payload"))
	var pinErr *signer.PINError
	fmt.Println(errors.As(err, &pinErr), pinErr.Retries, err)

	_, err = s.Sign(context.Background(), []byte("payload"))
	fmt.Println("next signature:", err)
	// Output:
	// true 2 fake: signer carol: signer: wrong PIN: 2 tries left
	// next signature: <nil>
}

func ExampleToken() {
	// A fake YubiKey: generate a key in slot 9c, sign with the PIN, and
	// attest the key as enrolment would.
	tok, err := fake.NewToken("dave's yubikey", fake.TokenOptions{Serial: 12345678})
	if err != nil {
		fmt.Println(err)
		return
	}
	pub, err := tok.GenerateKey(attestation.SlotSignature, fake.P256, fake.KeyPolicy{PIN: attestation.PINPolicyAlways, Touch: attestation.TouchPolicyAlways})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := tok.Signer(attestation.SlotSignature, fake.SignerOptions{
		Expect: pub,
		PIN:    func(context.Context) (string, error) { return "000000", nil }, // wrong
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = s.Sign(context.Background(), []byte("payload"))
	fmt.Println(err)
	fmt.Println("wrong PIN:", errors.Is(err, signer.ErrWrongPIN))

	cert, err := tok.Attest(attestation.SlotSignature)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cert.Subject.CommonName, "issued by", cert.Issuer.CommonName)
	// Output:
	// fake: token 12345678: signer: wrong PIN: 2 tries left
	// wrong PIN: true
	// YubiKey PIV Attestation 9c issued by Yubico PIV Attestation
}

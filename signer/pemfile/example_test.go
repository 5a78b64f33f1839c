package pemfile_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/pemfile"
)

func ExampleLoad() {
	// A PKCS #8 file as openssl genpkey or cosign (unencrypted) write it.
	der, err := x509.MarshalPKCS8PrivateKey(fake.New("pem example").PrivateKey())
	if err != nil {
		fmt.Println(err)
		return
	}
	file := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	s, err := pemfile.Load(file, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	spki, _ := x509.MarshalPKIXPublicKey(s.Public())
	fmt.Printf("key fingerprint %x\n", sha256.Sum256(spki))

	_, err = pemfile.Load([]byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"), nil)
	fmt.Println(errors.Is(err, signer.ErrWrongPassword), err)
	// Output:
	// key fingerprint 6eb6963577d00360dfabf5b7a63deefb72b271f3e372b76cce20749fafbab5d1
	// true signer/pemfile: ENCRYPTED SIGSTORE PRIVATE KEY needs a password: signer: wrong or missing password
}

package pemfile_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/pemfile"
)

// FuzzLoad checks that Load never panics, that every failure is a
// "signer/pemfile: " error that does not echo the password, and that every
// key it accepts is one signer.HashFor supports.
func FuzzLoad(f *testing.F) {
	for _, kt := range fake.KeyTypes() {
		s, err := fake.NewType("fuzz", kt)
		if err != nil {
			f.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(s.PrivateKey())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), []byte(nil))
	}
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: []byte(`{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"AAAA"},"cipher":{"name":"nacl/secretbox","nonce":"AAAA"},"ciphertext":"AAAA"}`)}), []byte("password!"))
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n"), []byte(nil))
	f.Fuzz(func(t *testing.T, data, password []byte) {
		s, err := pemfile.Load(data, password)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "signer/pemfile: ") {
				t.Fatalf("error without the package prefix: %q", err)
			}
			// An error that contains the password and changes with it
			// echoes the password.
			if len(password) > 0 && strings.Contains(err.Error(), string(password)) {
				other := bytes.Repeat([]byte{0xff}, len(password))
				if _, err2 := pemfile.Load(data, other); err2 == nil || err2.Error() != err.Error() {
					t.Fatalf("error %q contains the password", err)
				}
			}
			return
		}
		if _, err := signer.HashFor(s.Public()); err != nil {
			t.Fatalf("Load accepted an unsupported key: %v", err)
		}
	})
}

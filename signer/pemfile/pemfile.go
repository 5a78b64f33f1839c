package pemfile

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/trustroot/trustroot/signer"
)

// maxPEMSize bounds the private key files Load reads.
const maxPEMSize = 1 << 20

// PEM block types Load understands.
const (
	pemPKCS8           = "PRIVATE KEY"
	pemSEC1            = "EC PRIVATE KEY"
	pemPKCS1           = "RSA PRIVATE KEY"
	pemSigstoreEncrypt = "ENCRYPTED SIGSTORE PRIVATE KEY"
	pemCosignEncrypt   = "ENCRYPTED COSIGN PRIVATE KEY"
	pemPKCS8Encrypt    = "ENCRYPTED PRIVATE KEY"
)

// Load returns a [signer.Signer] for the first private key in a PEM file,
// for offline and test use. It reads these block types:
//
//   - "PRIVATE KEY": PKCS #8 (ECDSA, Ed25519 or RSA);
//   - "EC PRIVATE KEY": SEC 1 ECDSA;
//   - "RSA PRIVATE KEY": PKCS #1 RSA;
//   - "ENCRYPTED SIGSTORE PRIVATE KEY" and "ENCRYPTED COSIGN PRIVATE KEY":
//     PKCS #8 encrypted by sigstore's cryptoutils and cosign (scrypt with
//     one of the three standard parameter sets, then NaCl secretbox), as
//     written by cosign generate-key-pair.
//
// Blocks of other types before the key (a public key, a certificate) are
// skipped. password decrypts the encrypted forms and is ignored for the
// others. A wrong or missing password fails with an error that wraps
// [signer.ErrWrongPassword]. Password-encrypted PKCS #8 ("ENCRYPTED
// PRIVATE KEY") and legacy OpenSSL encryption (Proc-Type: 4,ENCRYPTED) are
// refused with an error saying so. The key must be one [signer.HashFor]
// accepts; data is at most 1 MiB. Errors never contain key material or
// the password. The caller may wipe password after Load returns.
//
// The Signer works like one from [signer.FromCryptoSigner] on the parsed
// key.
func Load(data, password []byte) (signer.Signer, error) {
	if len(data) > maxPEMSize {
		return nil, fmt.Errorf("signer/pemfile: PEM file of %d bytes is larger than %d", len(data), maxPEMSize)
	}
	block, err := findPrivateKeyBlock(data)
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKeyBlock(block, password)
	if err != nil {
		return nil, err
	}
	cs, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signer/pemfile: PEM private key of type %T cannot sign: %w", key, signer.ErrUnsupportedKey)
	}
	s, err := signer.FromCryptoSigner(cs)
	if err != nil {
		return nil, fmt.Errorf("signer/pemfile: PEM private key: %w", err)
	}
	return s, nil
}

func findPrivateKeyBlock(data []byte) (*pem.Block, error) {
	rest := data
	var seen []string
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if strings.HasSuffix(block.Type, "PRIVATE KEY") {
			if _, ok := block.Headers["Proc-Type"]; ok {
				return nil, fmt.Errorf("signer/pemfile: PEM %q block uses legacy OpenSSL encryption (Proc-Type), which is insecure and not supported", block.Type)
			}
			return block, nil
		}
		seen = append(seen, fmt.Sprintf("%q", block.Type))
		if len(seen) > 16 {
			break
		}
	}
	if len(seen) == 0 {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, errors.New("signer/pemfile: empty PEM data")
		}
		return nil, errors.New("signer/pemfile: no PEM block found")
	}
	return nil, fmt.Errorf("signer/pemfile: no private key PEM block (found %s)", strings.Join(seen, ", "))
}

func parsePrivateKeyBlock(block *pem.Block, password []byte) (any, error) {
	switch block.Type {
	case pemPKCS8:
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signer/pemfile: parsing PKCS #8 private key: %w", err)
		}
		return k, nil
	case pemSEC1:
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signer/pemfile: parsing SEC 1 EC private key: %w", err)
		}
		return k, nil
	case pemPKCS1:
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signer/pemfile: parsing PKCS #1 RSA private key: %w", err)
		}
		return k, nil
	case pemSigstoreEncrypt, pemCosignEncrypt:
		if len(password) == 0 {
			return nil, fmt.Errorf("signer/pemfile: %s needs a password: %w", block.Type, signer.ErrWrongPassword)
		}
		der, err := encrypted.Decrypt(block.Bytes, password)
		if err != nil {
			// securesystemslib's messages hold neither key nor password.
			// A failed authenticated decryption means a wrong password
			// (or a ciphertext modified in place).
			if err.Error() == "encrypted: decryption failed" {
				return nil, fmt.Errorf("signer/pemfile: decrypting %s: %w: %w", block.Type, signer.ErrWrongPassword, err)
			}
			return nil, fmt.Errorf("signer/pemfile: decrypting %s (damaged file?): %w", block.Type, err)
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		clear(der)
		if err != nil {
			return nil, fmt.Errorf("signer/pemfile: parsing decrypted %s: %w", block.Type, err)
		}
		return k, nil
	case pemPKCS8Encrypt:
		return nil, fmt.Errorf("signer/pemfile: password-encrypted PKCS #8 (%q) is not supported; use cosign's encrypted format (cosign import-key-pair) or an unencrypted key", block.Type)
	}
	return nil, fmt.Errorf("signer/pemfile: unsupported private key PEM type %q", block.Type)
}

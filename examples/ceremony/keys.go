package main

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

func parsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("public_key is not a PEM PUBLIC KEY block")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("public_key has data after the PEM block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public_key: %w", err)
	}
	return pub, nil
}

func publicKeyPEM(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// fingerprint is the hex SHA-256 of the PKIX DER public key, the identity
// thresholds count.
func fingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func shortFP(fp string) string {
	if len(fp) > 16 {
		return fp[:16]
	}
	return fp
}

func decodeHex(s string) ([]byte, error) { return hex.DecodeString(s) }

func (k *KeyFile) public() crypto.PublicKey {
	pub, _ := parsePublicKeyPEM([]byte(k.PublicKey))
	return pub
}

// readPublicKeyFile reads a PEM public key, or a certificate's key.
func readPublicKeyFile(path string) (crypto.PublicKey, error) {
	data, err := readBounded(path, maxSmallFile)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM block", path)
	}
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return c.PublicKey, nil
	}
	return nil, fmt.Errorf("%s: PEM block %q is neither a PUBLIC KEY nor a CERTIFICATE", path, block.Type)
}

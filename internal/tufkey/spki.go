package tufkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// SubjectPublicKeyInfo (RFC 5280, section 4.1.2.7) read and written with
// encoding/asn1, for the key types this package verifies with. It does
// what x509.ParsePKIXPublicKey and x509.MarshalPKIXPublicKey do for them
// (the same keys accepted, the same bytes written: tests compare), without
// linking crypto/x509, which links package net and, with cgo, makes every
// program that verifies start a millisecond later.

var (
	oidRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECDSA   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidP224    = asn1.ObjectIdentifier{1, 3, 132, 0, 33}
	oidP256    = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384    = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidP521    = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
)

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type subjectPublicKeyInfo struct {
	Algorithm algorithmIdentifier
	PublicKey asn1.BitString
}

type pkcs1PublicKey struct {
	N *big.Int
	E int
}

func curveOID(c elliptic.Curve) (asn1.ObjectIdentifier, bool) {
	switch c {
	case elliptic.P224():
		return oidP224, true
	case elliptic.P256():
		return oidP256, true
	case elliptic.P384():
		return oidP384, true
	case elliptic.P521():
		return oidP521, true
	}
	return nil, false
}

func curveOf(oid asn1.ObjectIdentifier) elliptic.Curve {
	switch {
	case oid.Equal(oidP224):
		return elliptic.P224()
	case oid.Equal(oidP256):
		return elliptic.P256()
	case oid.Equal(oidP384):
		return elliptic.P384()
	case oid.Equal(oidP521):
		return elliptic.P521()
	}
	return nil
}

// marshalSPKI returns the DER SubjectPublicKeyInfo of an RSA, ECDSA
// (P-224, P-256, P-384, P-521) or Ed25519 public key.
func marshalSPKI(pub crypto.PublicKey) ([]byte, error) {
	var spki subjectPublicKeyInfo
	var key []byte
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p == nil || p.N == nil {
			return nil, errors.New("nil RSA key")
		}
		var err error
		if key, err = asn1.Marshal(pkcs1PublicKey{N: p.N, E: p.E}); err != nil {
			return nil, err
		}
		// RFC 3279, section 2.3.1: the parameters are NULL.
		spki.Algorithm = algorithmIdentifier{Algorithm: oidRSA, Parameters: asn1.NullRawValue}
	case *ecdsa.PublicKey:
		if p == nil {
			return nil, errors.New("nil ECDSA key")
		}
		oid, ok := curveOID(p.Curve)
		if !ok {
			return nil, errors.New("unsupported elliptic curve")
		}
		var err error
		if key, err = p.Bytes(); err != nil {
			return nil, err
		}
		params, err := asn1.Marshal(oid)
		if err != nil {
			return nil, err
		}
		spki.Algorithm = algorithmIdentifier{Algorithm: oidECDSA, Parameters: asn1.RawValue{FullBytes: params}}
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("ed25519 key of %d bytes", len(p))
		}
		key = p
		spki.Algorithm = algorithmIdentifier{Algorithm: oidEd25519}
	default:
		return nil, fmt.Errorf("unsupported public key type %T", pub)
	}
	spki.PublicKey = asn1.BitString{Bytes: key, BitLength: 8 * len(key)}
	return asn1.Marshal(spki)
}

// parseSPKI parses a DER SubjectPublicKeyInfo holding an RSA, ECDSA
// (named P-224, P-256, P-384 or P-521 curve, uncompressed point) or
// Ed25519 key, with the checks x509.ParsePKIXPublicKey makes.
func parseSPKI(der []byte) (crypto.PublicKey, error) {
	var spki subjectPublicKeyInfo
	rest, err := asn1.Unmarshal(der, &spki)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing data after the public key")
	}
	alg, params := spki.Algorithm.Algorithm, spki.Algorithm.Parameters.FullBytes
	data := spki.PublicKey.RightAlign()
	switch {
	case alg.Equal(oidRSA):
		if string(params) != string(asn1.NullBytes) {
			return nil, errors.New("RSA key without NULL parameters")
		}
		// A SEQUENCE of the modulus and the exponent; like x509, what
		// follows either is not read.
		var seq asn1.RawValue
		if _, err := asn1.Unmarshal(data, &seq); err != nil || seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence || !seq.IsCompound {
			return nil, errors.New("invalid RSA public key")
		}
		n := new(big.Int)
		inner, err := asn1.Unmarshal(seq.Bytes, &n)
		if err != nil {
			return nil, errors.New("invalid RSA modulus")
		}
		var e int
		if _, err := asn1.Unmarshal(inner, &e); err != nil {
			return nil, errors.New("invalid RSA public exponent")
		}
		if n.Sign() <= 0 {
			return nil, errors.New("RSA modulus is not a positive number")
		}
		if e <= 0 {
			return nil, errors.New("RSA public exponent is not a positive number")
		}
		return &rsa.PublicKey{N: n, E: e}, nil
	case alg.Equal(oidECDSA):
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(params, &oid); err != nil {
			return nil, errors.New("invalid ECDSA parameters")
		}
		curve := curveOf(oid)
		if curve == nil {
			return nil, errors.New("unsupported elliptic curve")
		}
		return ecdsa.ParseUncompressedPublicKey(curve, data)
	case alg.Equal(oidEd25519):
		// RFC 8410, section 3: the parameters are absent.
		if len(params) != 0 {
			return nil, errors.New("Ed25519 key with parameters")
		}
		if len(data) != ed25519.PublicKeySize {
			return nil, errors.New("Ed25519 key of the wrong size")
		}
		return ed25519.PublicKey(data), nil
	}
	return nil, fmt.Errorf("unsupported public key algorithm %v", alg)
}

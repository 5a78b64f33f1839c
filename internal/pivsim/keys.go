package pivsim

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"
)

// Key algorithm identifiers (SP 800-78-4 table 6-2 and Yubico's PIV
// extensions).
const (
	algRSA1024 = 0x06
	algRSA2048 = 0x07
	algRSA3072 = 0x05
	algRSA4096 = 0x16
	algECP256  = 0x11
	algECP384  = 0x14
	algEd25519 = 0xe0
	algX25519  = 0xe1
)

type keyKind int

const (
	kindRSA keyKind = iota + 1
	kindEC
	kindEd25519
	kindX25519
)

// algInfo describes a key algorithm and the firmware that has it.
type algInfo struct {
	name  string
	kind  keyKind
	bits  int // RSA modulus or curve size
	curve elliptic.Curve
	since [3]byte // first firmware with the algorithm
	fips  bool    // allowed on FIPS YubiKeys
}

// algorithms lists the key algorithms of YubiKey firmware, with the first
// version that has each (Yubico's yubikit PivSession features: P-384
// from 4.0, RSA 3072/4096, Ed25519 and X25519 from 5.7) and whether FIPS
// YubiKeys allow it (ykman refuses RSA 1024 and X25519 on them).
var algorithms = map[byte]algInfo{
	algRSA1024: {name: "RSA1024", kind: kindRSA, bits: 1024, fips: false},
	algRSA2048: {name: "RSA2048", kind: kindRSA, bits: 2048, fips: true},
	algRSA3072: {name: "RSA3072", kind: kindRSA, bits: 3072, since: [3]byte{5, 7, 0}, fips: true},
	algRSA4096: {name: "RSA4096", kind: kindRSA, bits: 4096, since: [3]byte{5, 7, 0}, fips: true},
	algECP256:  {name: "ECCP256", kind: kindEC, bits: 256, curve: elliptic.P256(), fips: true},
	algECP384:  {name: "ECCP384", kind: kindEC, bits: 384, curve: elliptic.P384(), since: [3]byte{4, 0, 0}, fips: true},
	algEd25519: {name: "ED25519", kind: kindEd25519, bits: 256, since: [3]byte{5, 7, 0}, fips: true},
	algX25519:  {name: "X25519", kind: kindX25519, bits: 256, since: [3]byte{5, 7, 0}, fips: false},
}

// slotKey is a private key in a slot with its policies.
type slotKey struct {
	alg    byte
	priv   any // *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey or *ecdh.PrivateKey
	pin    byte
	touch  byte
	origin byte // originGenerated or originImported
}

const (
	originGenerated = 1
	originImported  = 2
)

// public returns the key's public half.
func (k *slotKey) public() crypto.PublicKey {
	switch p := k.priv.(type) {
	case *rsa.PrivateKey:
		return &p.PublicKey
	case *ecdsa.PrivateKey:
		return &p.PublicKey
	case ed25519.PrivateKey:
		return p.Public()
	case *ecdh.PrivateKey:
		return p.PublicKey()
	}
	return nil
}

// publicTLV encodes the public key as GENERATE returns it inside 7F49 and
// GET METADATA inside tag 04: 81 modulus and 82 exponent for RSA, 86 the
// point (or the 32-byte key for Ed25519 and X25519) otherwise.
func (k *slotKey) publicTLV() ([]byte, error) {
	switch p := k.priv.(type) {
	case *rsa.PrivateKey:
		e := big.NewInt(int64(p.E)).Bytes()
		return append(tlv(0x81, p.N.Bytes()), tlv(0x82, e)...), nil
	case *ecdsa.PrivateKey:
		pk, err := p.PublicKey.ECDH()
		if err != nil {
			return nil, err
		}
		return tlv(0x86, pk.Bytes()), nil
	case ed25519.PrivateKey:
		return tlv(0x86, p.Public().(ed25519.PublicKey)), nil
	case *ecdh.PrivateKey:
		return tlv(0x86, p.PublicKey().Bytes()), nil
	}
	return nil, fmt.Errorf("pivsim: key of type %T", k.priv)
}

// generateKey makes a new private key for alg.
func generateKey(info algInfo) (any, error) {
	switch info.kind {
	case kindRSA:
		return rsa.GenerateKey(rand.Reader, info.bits)
	case kindEC:
		return ecdsa.GenerateKey(info.curve, rand.Reader)
	case kindEd25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case kindX25519:
		return ecdh.X25519().GenerateKey(rand.Reader)
	}
	return nil, errors.New("pivsim: unknown key kind")
}

// importKey builds a private key from the IMPORT KEY (0xFE) data: for RSA
// the CRT components P, Q, dP, dQ and qInv in tags 01 to 05 (public
// exponent 65537, the only one YubiKeys import), for ECDSA the private
// scalar in tag 06, for Ed25519 the seed in tag 07, for X25519 the
// private key in tag 08.
func importKey(info algInfo, data []byte) (any, error) {
	get := func(tag byte) ([]byte, error) {
		v, ok := findTag(data, tag)
		if !ok || len(v) == 0 {
			return nil, fmt.Errorf("tag %02x missing", tag)
		}
		return v, nil
	}
	switch info.kind {
	case kindRSA:
		var parts [5]*big.Int
		for i := range parts {
			v, err := get(byte(0x01 + i))
			if err != nil {
				return nil, err
			}
			if len(v) > info.bits/16 {
				return nil, fmt.Errorf("tag %02x is %d bytes, want at most %d", 0x01+i, len(v), info.bits/16)
			}
			parts[i] = new(big.Int).SetBytes(v)
		}
		p, q := parts[0], parts[1]
		one := big.NewInt(1)
		e := big.NewInt(65537)
		pm1, qm1 := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
		gcd := new(big.Int).GCD(nil, nil, pm1, qm1)
		lambda := new(big.Int).Div(new(big.Int).Mul(pm1, qm1), gcd)
		d := new(big.Int).ModInverse(e, lambda)
		if d == nil {
			return nil, errors.New("e has no inverse")
		}
		k := &rsa.PrivateKey{
			PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 65537},
			D:         d,
			Primes:    []*big.Int{p, q},
		}
		if k.N.BitLen() != info.bits {
			return nil, fmt.Errorf("modulus of %d bits, want %d", k.N.BitLen(), info.bits)
		}
		k.Precompute()
		if err := k.Validate(); err != nil {
			return nil, err
		}
		if k.Precomputed.Dp.Cmp(parts[2]) != 0 || k.Precomputed.Dq.Cmp(parts[3]) != 0 || k.Precomputed.Qinv.Cmp(parts[4]) != 0 {
			return nil, errors.New("CRT components do not match the primes")
		}
		return k, nil
	case kindEC:
		v, err := get(0x06)
		if err != nil {
			return nil, err
		}
		return ecdsa.ParseRawPrivateKey(info.curve, v)
	case kindEd25519:
		v, err := get(0x07)
		if err != nil {
			return nil, err
		}
		if len(v) != ed25519.SeedSize {
			return nil, fmt.Errorf("seed of %d bytes", len(v))
		}
		return ed25519.NewKeyFromSeed(v), nil
	case kindX25519:
		v, err := get(0x08)
		if err != nil {
			return nil, err
		}
		return ecdh.X25519().NewPrivateKey(v)
	}
	return nil, errors.New("unknown key kind")
}

// sign performs GENERAL AUTHENTICATE with tag 81: an ECDSA signature of a
// digest (at most the curve's size; a shorter one is a smaller number,
// as if left-padded), the raw RSA private operation on a block exactly
// the modulus' size (signature or decryption; the host pads), or a pure
// Ed25519 signature of the message.
func (k *slotKey) sign(in []byte) ([]byte, error) {
	switch p := k.priv.(type) {
	case *ecdsa.PrivateKey:
		if len(in) == 0 || len(in) > (p.Curve.Params().BitSize+7)/8 {
			return nil, fmt.Errorf("digest of %d bytes", len(in))
		}
		return ecdsa.SignASN1(rand.Reader, p, in)
	case *rsa.PrivateKey:
		size := p.Size()
		if len(in) != size {
			return nil, fmt.Errorf("block of %d bytes, want %d", len(in), size)
		}
		c := new(big.Int).SetBytes(in)
		if c.Cmp(p.N) >= 0 {
			return nil, errors.New("block not smaller than the modulus")
		}
		m := new(big.Int).Exp(c, p.D, p.N)
		return m.FillBytes(make([]byte, size)), nil
	case ed25519.PrivateKey:
		return ed25519.Sign(p, in), nil
	}
	return nil, fmt.Errorf("a %T key cannot sign", k.priv)
}

// agree performs GENERAL AUTHENTICATE with tag 85: ECDH with the peer's
// uncompressed point (P-256, P-384) or 32-byte key (X25519), returning
// the shared secret.
func (k *slotKey) agree(peer []byte) ([]byte, error) {
	switch p := k.priv.(type) {
	case *ecdsa.PrivateKey:
		ours, err := p.ECDH()
		if err != nil {
			return nil, err
		}
		theirs, err := ours.Curve().NewPublicKey(peer)
		if err != nil {
			return nil, err
		}
		return ours.ECDH(theirs)
	case *ecdh.PrivateKey:
		theirs, err := p.Curve().NewPublicKey(peer)
		if err != nil {
			return nil, err
		}
		return p.ECDH(theirs)
	}
	return nil, fmt.Errorf("a %T key cannot agree on a secret", k.priv)
}

package fake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sync"
)

// KeyType selects the kind of key a fake signer holds. The zero value is
// [P256].
type KeyType int

// The key types a TUF root can hold.
const (
	P256    KeyType = iota // ECDSA P-256, SHA-256 (the default)
	P384                   // ECDSA P-384, SHA-384
	Ed25519                // Ed25519
	RSA2048                // RSA 2048 bits, RSASSA-PSS with SHA-256
)

// KeyTypes returns every key type, in a fixed order.
func KeyTypes() []KeyType { return []KeyType{P256, P384, Ed25519, RSA2048} }

// String returns a short name such as "p256".
func (kt KeyType) String() string {
	switch kt {
	case P256:
		return "p256"
	case P384:
		return "p384"
	case Ed25519:
		return "ed25519"
	case RSA2048:
		return "rsa2048"
	}
	return fmt.Sprintf("KeyType(%d)", int(kt))
}

// keyCache holds derived keys by type and seed: RSA keys take a noticeable
// time to find, and tests ask for the same names again and again.
var keyCache struct {
	sync.Mutex
	m map[cacheKey]crypto.Signer
}

type cacheKey struct {
	kt   KeyType
	seed string
}

// deriveKey returns the private key of type kt for seed, the same on every
// run and every platform.
func deriveKey(kt KeyType, seed []byte) (crypto.Signer, error) {
	ck := cacheKey{kt, string(seed)}
	keyCache.Lock()
	defer keyCache.Unlock()
	if k, ok := keyCache.m[ck]; ok {
		return k, nil
	}
	k, err := newKey(kt, seed)
	if err != nil {
		return nil, err
	}
	if keyCache.m == nil {
		keyCache.m = make(map[cacheKey]crypto.Signer)
	}
	keyCache.m[ck] = k
	return k, nil
}

// drbg returns a deterministic byte stream for kt and seed: ChaCha8 keyed
// with a domain-separated SHA-256 of both.
func drbg(kt KeyType, seed []byte) *rand.ChaCha8 {
	h := sha256.New()
	h.Write([]byte("trustroot signer/fake key v1\x00"))
	h.Write([]byte(kt.String()))
	h.Write([]byte{0})
	h.Write(seed)
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return rand.NewChaCha8(s)
}

func newKey(kt KeyType, seed []byte) (crypto.Signer, error) {
	r := drbg(kt, seed)
	switch kt {
	case P256:
		return ecdsaKey(r, elliptic.P256())
	case P384:
		return ecdsaKey(r, elliptic.P384())
	case Ed25519:
		var s [ed25519.SeedSize]byte
		r.Read(s[:])
		return ed25519.NewKeyFromSeed(s[:]), nil
	case RSA2048:
		return rsaKey(r, 2048)
	}
	return nil, fmt.Errorf("fake: unknown key type %v", kt)
}

func ecdsaKey(r *rand.ChaCha8, c elliptic.Curve) (*ecdsa.PrivateKey, error) {
	b := make([]byte, (c.Params().BitSize+7)/8)
	// A candidate is not below the order with probability about 2^-32
	// for P-256 and P-384, so this loop ends after one try in practice.
	for {
		r.Read(b)
		if k, err := ecdsa.ParseRawPrivateKey(c, b); err == nil {
			return k, nil
		}
	}
}

// rsaKey derives an RSA key with e = 65537 from two primes found by an
// incremental search from random odd starting points. The distribution is
// not uniform; that does not matter for a key that is public knowledge.
func rsaKey(r *rand.ChaCha8, bits int) (*rsa.PrivateKey, error) {
	e := big.NewInt(65537)
	one := big.NewInt(1)
	for range 16 {
		p, err := findPrime(r, bits/2, e)
		if err != nil {
			return nil, err
		}
		q, err := findPrime(r, bits/2, e)
		if err != nil {
			return nil, err
		}
		if p.Cmp(q) == 0 {
			continue
		}
		n := new(big.Int).Mul(p, q)
		if n.BitLen() != bits {
			continue
		}
		pm1 := new(big.Int).Sub(p, one)
		qm1 := new(big.Int).Sub(q, one)
		phi := new(big.Int).Mul(pm1, qm1)
		gcd := new(big.Int).GCD(nil, nil, pm1, qm1)
		lambda := new(big.Int).Div(phi, gcd)
		d := new(big.Int).ModInverse(e, lambda)
		if d == nil {
			continue
		}
		k := &rsa.PrivateKey{
			PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())},
			D:         d,
			Primes:    []*big.Int{p, q},
		}
		k.Precompute()
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("fake: derived RSA key is invalid: %w", err)
		}
		return k, nil
	}
	return nil, errors.New("fake: could not derive an RSA key")
}

func findPrime(r *rand.ChaCha8, bits int, e *big.Int) (*big.Int, error) {
	b := make([]byte, bits/8)
	two := big.NewInt(2)
	rem := new(big.Int)
	for range 64 {
		r.Read(b)
		b[0] |= 0xc0 // top two bits set, so p*q has exactly 2*bits bits
		b[len(b)-1] |= 1
		p := new(big.Int).SetBytes(b)
		// Primes are about ln(2^1024)/2 ≈ 355 odd numbers apart; 4096
		// steps almost always find one.
		for range 4096 {
			if p.BitLen() != bits {
				break
			}
			if rem.Mod(p, e).Int64() != 1 && p.ProbablyPrime(20) {
				return p, nil
			}
			p.Add(p, two)
		}
	}
	return nil, errors.New("fake: could not find an RSA prime")
}

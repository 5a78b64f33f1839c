package tufkey

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
)

// edPoint is a point on edwards25519 in affine coordinates, computed with
// math/big so that the test checks the decoder's list independently.
type edPoint struct{ x, y *big.Int }

var (
	edP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	// d = -121665/121666 mod p
	edD = func() *big.Int {
		n := new(big.Int).Neg(big.NewInt(121665))
		inv := new(big.Int).ModInverse(big.NewInt(121666), edP)
		return n.Mul(n, inv).Mod(n, edP)
	}()
)

// edDecode decodes an encoding with y reduced mod p, as Go's ed25519 does
// (non-canonical y accepted); ok is false when no point has that y.
func edDecode(enc []byte) (edPoint, bool) {
	le := slices.Clone(enc)
	sign := le[31] >> 7
	le[31] &= 0x7f
	slices.Reverse(le)
	y := new(big.Int).SetBytes(le)
	y.Mod(y, edP)
	y2 := new(big.Int).Mul(y, y)
	num := new(big.Int).Sub(y2, big.NewInt(1))
	den := new(big.Int).Mul(edD, y2)
	den.Add(den, big.NewInt(1))
	x2 := num.Mul(num, new(big.Int).ModInverse(den.Mod(den, edP), edP))
	x2.Mod(x2, edP)
	x := new(big.Int).ModSqrt(x2, edP)
	if x == nil {
		return edPoint{}, false
	}
	if x.Bit(0) != uint(sign) {
		x.Sub(edP, x).Mod(x, edP)
	}
	return edPoint{x, y}, true
}

func edAdd(a, b edPoint) edPoint {
	mul := func(u, v *big.Int) *big.Int { return new(big.Int).Mod(new(big.Int).Mul(u, v), edP) }
	t := mul(edD, mul(mul(a.x, b.x), mul(a.y, b.y)))
	xn := new(big.Int).Add(mul(a.x, b.y), mul(a.y, b.x))
	yn := new(big.Int).Add(mul(a.y, b.y), mul(a.x, b.x))
	xd := new(big.Int).ModInverse(new(big.Int).Add(big.NewInt(1), t), edP)
	yd := new(big.Int).ModInverse(new(big.Int).Mod(new(big.Int).Sub(big.NewInt(1), t), edP), edP)
	return edPoint{mul(xn, xd), mul(yn, yd)}
}

func edSmallOrder(p edPoint) bool {
	q := p
	for range 3 {
		q = edAdd(q, q)
	}
	return q.x.Sign() == 0 && q.y.Cmp(big.NewInt(1)) == 0
}

// TestWeakEd25519Keys: Go's ed25519.Verify accepts a
// small-order public key, and for such a key anyone can make a signature
// that verifies (for the identity point, R = identity and S = 0 verify for
// every message). Such a key, or a second encoding of one point, must not
// be accepted as a keyholder's key.
func TestWeakEd25519Keys(t *testing.T) {
	identity := make([]byte, 32)
	identity[0] = 1
	forged := make([]byte, 64)
	copy(forged, identity)
	if !ed25519.Verify(identity, []byte("any message"), forged) {
		t.Fatal("premise: Go no longer accepts the identity key; the check can go")
	}

	// Every small-order point, in every encoding Go's decoder accepts
	// (both sign bits; y and y+p where y+p < 2^255).
	var weak [][]byte
	for y := range 19 {
		// Non-canonical encodings: y+p for y in 0..18.
		enc := make([]byte, 32)
		v := new(big.Int).Add(edP, big.NewInt(int64(y)))
		b := v.FillBytes(make([]byte, 32))
		slices.Reverse(b)
		copy(enc, b)
		for _, sign := range []byte{0, 0x80} {
			e := slices.Clone(enc)
			e[31] |= sign
			if _, ok := edDecode(e); ok {
				weak = append(weak, e)
			}
		}
	}
	for _, s := range []string{
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	} {
		enc, _ := hex.DecodeString(s)
		for _, sign := range []byte{0, 0x80} {
			e := slices.Clone(enc)
			e[31] |= sign
			p, ok := edDecode(e)
			if !ok {
				continue
			}
			if !edSmallOrder(p) {
				t.Fatalf("%x is not of small order; the test's list is wrong", e)
			}
			weak = append(weak, e)
		}
	}
	if len(weak) < 10 {
		t.Fatalf("only %d weak encodings; the test lost its cases", len(weak))
	}
	for _, e := range weak {
		k, err := decodeObj(t, obj("ed25519", "ed25519", hex.EncodeToString(e)))
		if err != nil || k.Supported() || !strings.Contains(k.Unsupported, "ed25519") {
			t.Errorf("Decode(%x) = %v, %q; want an unsupported key naming ed25519", e, err, k.Unsupported)
		}
		if k != nil && k.Verify([]byte("any message"), forged) == nil {
			t.Errorf("the weak key %x verified a forged signature", e)
		}
		if _, err := New(ed25519.PublicKey(e), nil); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("New(%x) = %v, want ErrInvalidKey", e, err)
		}
	}

	// Real keys still decode, and their encoding is canonical.
	for _, seed := range []string{"a", "b", "c", "d"} {
		pub := edKey(seed).Public().(ed25519.PublicKey)
		if k, err := decodeObj(t, obj("ed25519", "ed25519", hex.EncodeToString(pub))); err != nil || !k.Supported() {
			t.Fatalf("real key: %v", err)
		}
		if p, ok := edDecode(pub); !ok || edSmallOrder(p) {
			t.Fatal("premise: a generated key is not a full-order point")
		}
	}
}

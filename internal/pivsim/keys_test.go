package pivsim

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"testing"

	"github.com/trustroot/trustroot/attestation"
)

// unwrap7F49 returns the contents of a 7F49 public key template.
func unwrap7F49(t *testing.T, resp []byte) []byte {
	t.Helper()
	if len(resp) < 3 || resp[0] != 0x7f || resp[1] != 0x49 {
		t.Fatalf("not a 7F49 template: %x", resp)
	}
	rest := resp[2:]
	n, i := int(rest[0]), 1
	switch rest[0] {
	case 0x81:
		n, i = int(rest[1]), 2
	case 0x82:
		n, i = int(rest[1])<<8|int(rest[2]), 3
	}
	if len(rest) != i+n {
		t.Fatalf("7F49 length %d, have %d bytes", n, len(rest)-i)
	}
	return rest[i:]
}

// parsePublic decodes a public key as GENERATE and GET METADATA give it.
func parsePublic(t *testing.T, alg byte, b []byte) crypto.PublicKey {
	t.Helper()
	switch alg {
	case algRSA1024, algRSA2048, algRSA3072, algRSA4096:
		n, ok1 := findTag(b, 0x81)
		e, ok2 := findTag(b, 0x82)
		if !ok1 || !ok2 {
			t.Fatalf("RSA public key without 81/82: %x", b)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	p, ok := findTag(b, 0x86)
	if !ok {
		t.Fatalf("public key without 86: %x", b)
	}
	switch alg {
	case algECP256, algECP384:
		curve := elliptic.P256()
		if alg == algECP384 {
			curve = elliptic.P384()
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, p)
		if err != nil {
			t.Fatal(err)
		}
		return pub
	case algEd25519:
		return ed25519.PublicKey(p)
	case algX25519:
		pub, err := ecdh.X25519().NewPublicKey(p)
		if err != nil {
			t.Fatal(err)
		}
		return pub
	}
	t.Fatalf("algorithm %02x", alg)
	return nil
}

// generate runs GENERATE with explicit policies (0 omits the tag).
func generate(t *testing.T, c *Card, slot, alg, pin, touch byte) ([]byte, uint16) {
	t.Helper()
	ctl := []byte{0x80, 1, alg}
	if pin != 0 {
		ctl = append(ctl, 0xaa, 1, pin)
	}
	if touch != 0 {
		ctl = append(ctl, 0xab, 1, touch)
	}
	return send(t, c, 0x47, 0, slot, tlv(0xac, ctl))
}

// authenticate runs GENERAL AUTHENTICATE on a slot key with tag 81 (sign)
// or 85 (key agreement).
func authenticate(t *testing.T, c *Card, alg, slot, tag byte, in []byte) ([]byte, uint16) {
	t.Helper()
	resp, sw := send(t, c, 0x87, alg, slot, tlv(0x7c, append([]byte{0x82, 0x00}, tlv(tag, in)...)))
	if sw != swOK {
		return nil, sw
	}
	tmpl, _ := findTag(resp, 0x7c)
	out, ok := findTag(tmpl, 0x82)
	if !ok {
		t.Fatalf("response without 82: %x", resp)
	}
	return out, sw
}

func newAuthedCard(t *testing.T, fw [3]byte) *Card {
	t.Helper()
	c, _ := newTestCard(t, fw)
	selectPIV(t, c)
	alg := byte(alg3DES)
	if !fwLess(fw, [3]byte{5, 7, 0}) {
		alg = algAES192
	}
	if sw := authMgm(t, c, alg, DefaultManagementKey()); sw != swOK {
		t.Fatalf("management key: %04x", sw)
	}
	return c
}

// TestGenerateEveryAlgorithm generates a key of each algorithm of
// firmware 5.7 with PIN policy never, uses it, and checks that GET
// METADATA and ATTEST describe that key.
func TestGenerateEveryAlgorithm(t *testing.T) {
	msg := []byte("trustroot")
	digest := sha256.Sum256(msg)
	for _, alg := range []byte{algRSA1024, algRSA2048, algRSA3072, algRSA4096, algECP256, algECP384, algEd25519, algX25519} {
		t.Run(algorithms[alg].name, func(t *testing.T) {
			c := newAuthedCard(t, [3]byte{5, 7, 1})
			resp, sw := generate(t, c, 0x9a, alg, byte(attestation.PINPolicyNever), byte(attestation.TouchPolicyNever))
			if sw != swOK {
				t.Fatalf("GENERATE = %04x", sw)
			}
			pub := parsePublic(t, alg, unwrap7F49(t, resp))
			switch k := pub.(type) {
			case *rsa.PublicKey:
				if k.N.BitLen() != algorithms[alg].bits || k.E != 65537 {
					t.Fatalf("RSA key of %d bits, e=%d", k.N.BitLen(), k.E)
				}
				em, err := pkcs1v15(k, digest[:])
				if err != nil {
					t.Fatal(err)
				}
				sig, sw := authenticate(t, c, alg, 0x9a, 0x81, em)
				if sw != swOK {
					t.Fatalf("sign = %04x", sw)
				}
				if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig); err != nil {
					t.Fatalf("RSA signature: %v", err)
				}
				// Decryption is the same raw operation: c = m^e mod n in,
				// m out.
				m := new(big.Int).SetBytes(append([]byte{0, 2}, bytes.Repeat(msg, k.Size()/len(msg)-1)...))
				ct := new(big.Int).Exp(m, big.NewInt(int64(k.E)), k.N).FillBytes(make([]byte, k.Size()))
				block, sw := authenticate(t, c, alg, 0x9a, 0x81, ct)
				if sw != swOK || new(big.Int).SetBytes(block).Cmp(m) != 0 || len(block) != k.Size() {
					t.Fatalf("decrypt = %x %04x", block, sw)
				}
				if _, sw := authenticate(t, c, alg, 0x9a, 0x81, em[1:]); sw != swIncorrectData {
					t.Errorf("RSA block shorter than the modulus = %04x, want 6a80", sw)
				}
			case *ecdsa.PublicKey:
				sig, sw := authenticate(t, c, alg, 0x9a, 0x81, digest[:])
				if sw != swOK || !ecdsa.VerifyASN1(k, digest[:], sig) {
					t.Fatalf("ECDSA signature %x %04x", sig, sw)
				}
				curve := ecdh.P256()
				if alg == algECP384 {
					curve = ecdh.P384()
				}
				eph, err := curve.GenerateKey(rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				secret, sw := authenticate(t, c, alg, 0x9a, 0x85, eph.PublicKey().Bytes())
				ours, _ := k.ECDH()
				want, _ := eph.ECDH(ours)
				if sw != swOK || !bytes.Equal(secret, want) {
					t.Fatalf("ECDH = %x %04x, want %x", secret, sw, want)
				}
				other, _ := ecdh.X25519().GenerateKey(rand.Reader)
				if _, sw := authenticate(t, c, alg, 0x9a, 0x85, other.PublicKey().Bytes()); sw != swIncorrectData {
					t.Errorf("ECDH with a point of another curve = %04x, want 6a80", sw)
				}
			case ed25519.PublicKey:
				long := bytes.Repeat(msg, 300) // chained command, like a TUF root
				sig, sw := authenticate(t, c, alg, 0x9a, 0x81, long)
				if sw != swOK || !ed25519.Verify(k, long, sig) {
					t.Fatalf("Ed25519 signature %x %04x", sig, sw)
				}
			case *ecdh.PublicKey:
				eph, _ := ecdh.X25519().GenerateKey(rand.Reader)
				secret, sw := authenticate(t, c, alg, 0x9a, 0x85, eph.PublicKey().Bytes())
				want, _ := eph.ECDH(k)
				if sw != swOK || !bytes.Equal(secret, want) {
					t.Fatalf("X25519 = %x %04x", secret, sw)
				}
				if _, sw := authenticate(t, c, alg, 0x9a, 0x81, digest[:]); sw != swIncorrectData {
					t.Errorf("X25519 asked to sign = %04x, want 6a80", sw)
				}
			}
			md, sw := send(t, c, 0xf7, 0, 0x9a, nil)
			if sw != swOK {
				t.Fatalf("GET METADATA = %04x", sw)
			}
			if a, _ := findTag(md, 0x01); !bytes.Equal(a, []byte{alg}) {
				t.Errorf("metadata algorithm %x", a)
			}
			if o, _ := findTag(md, 0x03); !bytes.Equal(o, []byte{originGenerated}) {
				t.Errorf("metadata origin %x", o)
			}
			raw, _ := findTag(md, 0x04)
			if got := parsePublic(t, alg, raw); !samePublic(got, pub) {
				t.Error("metadata public key is not the generated key")
			}
			der, sw := send(t, c, 0xf9, 0x9a, 0, nil)
			if alg == algX25519 {
				// Not simulated: Go's crypto/x509 cannot issue a
				// certificate for an X25519 key.
				if sw != swConditionsNotMet {
					t.Errorf("ATTEST of an X25519 key = %04x, want 6985", sw)
				}
				return
			}
			if sw != swOK {
				t.Fatalf("ATTEST = %04x", sw)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			if !samePublic(cert.PublicKey, pub) {
				t.Error("attestation certifies another key")
			}
			if _, sw := authenticate(t, c, otherAlg(alg), 0x9a, 0x81, digest[:]); sw != swIncorrectP1P2 {
				t.Errorf("GENERAL AUTHENTICATE with another algorithm = %04x, want 6a86", sw)
			}
		})
	}
}

func otherAlg(alg byte) byte {
	if alg == algECP256 {
		return algECP384
	}
	return algECP256
}

func samePublic(a, b crypto.PublicKey) bool {
	da, err1 := x509.MarshalPKIXPublicKey(a)
	db, err2 := x509.MarshalPKIXPublicKey(b)
	return err1 == nil && err2 == nil && bytes.Equal(da, db)
}

// pkcs1v15 pads a SHA-256 digest for an RSA signature, as the host does.
func pkcs1v15(pub *rsa.PublicKey, digest []byte) ([]byte, error) {
	prefix := []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}
	t := append(prefix, digest...)
	em := make([]byte, pub.Size())
	em[1] = 1
	for i := 2; i < len(em)-len(t)-1; i++ {
		em[i] = 0xff
	}
	copy(em[len(em)-len(t):], t)
	return em, nil
}

// TestImportKeys imports a key of each kind, as piv-go and ykman encode
// it, and checks that the card uses that key, reports it imported and
// refuses to attest it.
func TestImportKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey.Precompute()
	pad := func(b []byte, n int) []byte { return append(make([]byte, n-len(b)), b...) }
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	xKey, _ := ecdh.X25519().GenerateKey(rand.Reader)
	ecRaw, _ := ecKey.Bytes()
	for _, tc := range []struct {
		name string
		alg  byte
		data []byte
		pub  crypto.PublicKey
	}{
		{"RSA2048", algRSA2048, bytes.Join([][]byte{
			tlv(0x01, pad(rsaKey.Primes[0].Bytes(), 128)), tlv(0x02, pad(rsaKey.Primes[1].Bytes(), 128)),
			tlv(0x03, pad(rsaKey.Precomputed.Dp.Bytes(), 128)), tlv(0x04, pad(rsaKey.Precomputed.Dq.Bytes(), 128)),
			tlv(0x05, pad(rsaKey.Precomputed.Qinv.Bytes(), 128))}, nil), &rsaKey.PublicKey},
		{"ECCP384", algECP384, tlv(0x06, ecRaw), &ecKey.PublicKey},
		{"ED25519", algEd25519, tlv(0x07, edKey.Seed()), edKey.Public()},
		{"X25519", algX25519, tlv(0x08, xKey.Bytes()), xKey.PublicKey()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newAuthedCard(t, [3]byte{5, 7, 1})
			data := append(append([]byte(nil), tc.data...), 0xaa, 1, byte(attestation.PINPolicyNever), 0xab, 1, byte(attestation.TouchPolicyNever))
			if _, sw := send(t, c, 0xfe, tc.alg, 0x9d, data); sw != swOK {
				t.Fatalf("IMPORT = %04x", sw)
			}
			md, _ := send(t, c, 0xf7, 0, 0x9d, nil)
			raw, _ := findTag(md, 0x04)
			if !samePublic(parsePublic(t, tc.alg, raw), tc.pub) {
				t.Error("metadata public key is not the imported key")
			}
			if o, _ := findTag(md, 0x03); !bytes.Equal(o, []byte{originImported}) {
				t.Errorf("metadata origin %x, want imported", o)
			}
			if _, sw := send(t, c, 0xf9, 0x9d, 0, nil); sw != swIncorrectData {
				t.Errorf("ATTEST of an imported key = %04x, want 6a80", sw)
			}
		})
	}
	t.Run("mismatched CRT", func(t *testing.T) {
		c := newAuthedCard(t, [3]byte{5, 7, 1})
		bad := bytes.Join([][]byte{
			tlv(0x01, pad(rsaKey.Primes[0].Bytes(), 128)), tlv(0x02, pad(rsaKey.Primes[1].Bytes(), 128)),
			tlv(0x03, pad(rsaKey.Precomputed.Dq.Bytes(), 128)), tlv(0x04, pad(rsaKey.Precomputed.Dp.Bytes(), 128)),
			tlv(0x05, pad(rsaKey.Precomputed.Qinv.Bytes(), 128))}, nil)
		if _, sw := send(t, c, 0xfe, algRSA2048, 0x9d, bad); sw != swIncorrectData {
			t.Errorf("IMPORT with swapped dP, dQ = %04x, want 6a80", sw)
		}
		if _, sw := send(t, c, 0xfe, algRSA4096, 0x9d, bad); sw != swIncorrectData {
			t.Errorf("IMPORT of a 2048-bit key as RSA4096 = %04x, want 6a80", sw)
		}
		if _, sw := send(t, c, 0xf7, 0, 0x9d, nil); sw != swRefDataNotFound {
			t.Errorf("a refused import filled the slot: metadata %04x", sw)
		}
	})
	t.Run("without management key", func(t *testing.T) {
		c, _ := newTestCard(t, [3]byte{5, 7, 1})
		selectPIV(t, c)
		if _, sw := send(t, c, 0xfe, algECP384, 0x9d, tlv(0x06, ecRaw)); sw != swSecurityStatus {
			t.Errorf("IMPORT without management key = %04x, want 6982", sw)
		}
	})
}

// TestDefaultPolicies: a key generated without policies gets the slot's
// default PIN policy (9c always, 9e never, others once) and touch never.
func TestDefaultPolicies(t *testing.T) {
	for slot, want := range map[byte]byte{
		0x9a: byte(attestation.PINPolicyOnce), 0x9c: byte(attestation.PINPolicyAlways), 0x9d: byte(attestation.PINPolicyOnce),
		0x9e: byte(attestation.PINPolicyNever), 0x82: byte(attestation.PINPolicyOnce), 0x95: byte(attestation.PINPolicyOnce),
	} {
		c := newAuthedCard(t, [3]byte{5, 7, 1})
		if _, sw := generate(t, c, slot, algECP256, 0, 0); sw != swOK {
			t.Fatalf("GENERATE %02x = %04x", slot, sw)
		}
		md, _ := send(t, c, 0xf7, 0, slot, nil)
		if pol, _ := findTag(md, 0x02); !bytes.Equal(pol, []byte{want, byte(attestation.TouchPolicyNever)}) {
			t.Errorf("slot %02x default policies %x, want %02x01", slot, pol, want)
		}
		// 0 in the policy tags also means the default.
		if _, sw := generate(t, c, slot, algECP256, 0, 0); sw != swOK {
			t.Fatal(sw)
		}
	}
	c := newAuthedCard(t, [3]byte{5, 7, 1})
	d := sha256.Sum256([]byte("m"))
	generate(t, c, 0x9e, algECP256, 0, 0)
	if _, sw := authenticate(t, c, algECP256, 0x9e, 0x81, d[:]); sw != swOK {
		t.Errorf("sign with the 9e key without a PIN = %04x, want 9000 (PIN policy never)", sw)
	}
	generate(t, c, 0x9a, algECP256, 0, 0)
	if _, sw := authenticate(t, c, algECP256, 0x9a, 0x81, d[:]); sw != swSecurityStatus {
		t.Errorf("sign with the 9a key without a PIN = %04x, want 6982 (PIN policy once)", sw)
	}
	for _, bad := range [][]byte{{0x80, 1, algECP256, 0xaa, 1, 4}, {0x80, 1, algECP256, 0xaa, 1, 6}, {0x80, 1, algECP256, 0xab, 1, 4}} {
		if _, sw := send(t, c, 0x47, 0, 0x9a, tlv(0xac, bad)); sw != swIncorrectData {
			t.Errorf("GENERATE with policies %x = %04x, want 6a80", bad[3:], sw)
		}
	}
}

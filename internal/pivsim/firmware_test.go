package pivsim

import (
	"bytes"
	"testing"

	"github.com/trustroot/trustroot/attestation"
)

// TestFirmwareGates: a card configured at an older firmware refuses what
// that firmware lacks, following Yubico's yubikit feature table (P-384
// and policies from 4.0, cached touch and attestation from 4.3, GET
// SERIAL from 5.0, GET METADATA from 5.3, AES management keys from 5.4,
// RSA 3072/4096, Ed25519 and X25519 from 5.7, no RSA generation on
// 4.2.0-4.3.4), and accepts it from that version on.
func TestFirmwareGates(t *testing.T) {
	type check func(t *testing.T, c *Card) uint16
	gen := func(alg, pin, touch byte) check {
		return func(t *testing.T, c *Card) uint16 {
			_, sw := generate(t, c, 0x9a, alg, pin, touch)
			return sw
		}
	}
	for _, tc := range []struct {
		name        string
		before, now [3]byte
		refused     uint16
		do          check
	}{
		{"P-384", [3]byte{3, 4, 3}, [3]byte{4, 0, 0}, swIncorrectData, gen(algECP384, 0, 0)},
		{"PIN policy", [3]byte{3, 4, 3}, [3]byte{4, 0, 0}, swIncorrectData, gen(algECP256, byte(attestation.PINPolicyNever), 0)},
		{"touch policy", [3]byte{3, 4, 3}, [3]byte{4, 0, 0}, swIncorrectData, gen(algECP256, 0, byte(attestation.TouchPolicyAlways))},
		{"cached touch", [3]byte{4, 2, 9}, [3]byte{4, 3, 0}, swIncorrectData, gen(algECP256, 0, byte(attestation.TouchPolicyCached))},
		{"RSA generation (ROCA)", [3]byte{4, 3, 4}, [3]byte{4, 3, 5}, swIncorrectData, gen(algRSA2048, 0, 0)},
		{"RSA 3072", [3]byte{5, 6, 9}, [3]byte{5, 7, 0}, swIncorrectData, gen(algRSA3072, 0, 0)},
		{"RSA 4096", [3]byte{5, 6, 9}, [3]byte{5, 7, 0}, swIncorrectData, gen(algRSA4096, 0, 0)},
		{"Ed25519", [3]byte{5, 4, 3}, [3]byte{5, 7, 0}, swIncorrectData, gen(algEd25519, 0, 0)},
		{"X25519", [3]byte{5, 4, 3}, [3]byte{5, 7, 0}, swIncorrectData, gen(algX25519, 0, 0)},
		{"attestation", [3]byte{4, 2, 9}, [3]byte{4, 3, 0}, swInsNotSupported, func(t *testing.T, c *Card) uint16 {
			if _, sw := generate(t, c, 0x9a, algECP256, 0, 0); sw != swOK {
				t.Fatalf("GENERATE = %04x", sw)
			}
			_, sw := send(t, c, 0xf9, 0x9a, 0, nil)
			return sw
		}},
		{"GET SERIAL", [3]byte{4, 3, 7}, [3]byte{5, 0, 0}, swInsNotSupported, func(t *testing.T, c *Card) uint16 {
			_, sw := cmd(c, 0, 0xf8, 0, 0, nil)
			return sw
		}},
		{"GET METADATA", [3]byte{5, 2, 7}, [3]byte{5, 3, 0}, swInsNotSupported, func(t *testing.T, c *Card) uint16 {
			_, sw := cmd(c, 0, 0xf7, 0, 0x9b, nil)
			return sw
		}},
		{"AES management key", [3]byte{5, 3, 9}, [3]byte{5, 4, 0}, swIncorrectData, func(t *testing.T, c *Card) uint16 {
			_, sw := cmd(c, 0, 0xff, 0xff, 0xff, append([]byte{algAES128, 0x9b, 16}, bytes.Repeat([]byte{7}, 16)...))
			return sw
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, fw := range [][3]byte{tc.before, tc.now} {
				c := newAuthedCard(t, fw)
				sw := tc.do(t, c)
				switch {
				case fw == tc.before && sw != tc.refused:
					t.Errorf("firmware %d.%d.%d: %04x, want %04x", fw[0], fw[1], fw[2], sw, tc.refused)
				case fw == tc.now && sw != swOK:
					t.Errorf("firmware %d.%d.%d: %04x, want 9000", fw[0], fw[1], fw[2], sw)
				}
			}
		})
	}
	if _, err := NewCard(Config{Serial: 1, Firmware: [3]byte{5, 3, 0}, ManagementKey: bytes.Repeat([]byte{1}, 16)}); err == nil {
		t.Error("NewCard accepted an AES management key on firmware 5.3")
	}
}

// TestFIPSRestrictions: a FIPS YubiKey refuses RSA 1024, X25519 and PIN
// policy never (ykman's FIPS rules); the same firmware without the FIPS
// bit allows them.
func TestFIPSRestrictions(t *testing.T) {
	for _, fips := range []bool{false, true} {
		ff := byte(attestation.FormFactorUSBCKeychain)
		if fips {
			ff |= byte(attestation.FormFactorFIPS)
		}
		c, err := NewCard(Config{Serial: 5, FormFactor: ff})
		if err != nil {
			t.Fatal(err)
		}
		selectPIV(t, c)
		authMgm(t, c, algAES192, DefaultManagementKey())
		want := uint16(swOK)
		if fips {
			want = swIncorrectData
		}
		for _, g := range []struct {
			name            string
			alg, pin, touch byte
		}{
			{"RSA1024", algRSA1024, 0, 0},
			{"X25519", algX25519, 0, 0},
			{"PIN policy never", algECP256, byte(attestation.PINPolicyNever), 0},
		} {
			if _, sw := generate(t, c, 0x9a, g.alg, g.pin, g.touch); sw != want {
				t.Errorf("FIPS %t: %s = %04x, want %04x", fips, g.name, sw, want)
			}
		}
		if _, sw := generate(t, c, 0x9a, algRSA2048, byte(attestation.PINPolicyOnce), 0); sw != swOK {
			t.Errorf("FIPS %t: RSA 2048 with PIN policy once = %04x", fips, sw)
		}
	}
}

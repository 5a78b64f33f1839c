package pivsim

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
)

func newTestCard(t *testing.T, fw [3]byte) (*Card, *pivattest.CA) {
	t.Helper()
	ca, err := pivattest.NewCA("pivsim test CA", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := ca.NewDevice(777, attestation.Firmware{Major: fw[0], Minor: fw[1], Patch: fw[2]}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCard(Config{Serial: 777, Firmware: fw, Attestation: dev})
	if err != nil {
		t.Fatal(err)
	}
	return c, ca
}

// cmd sends a short APDU and returns data and status word.
func cmd(c *Card, cla, ins, p1, p2 byte, data []byte) ([]byte, uint16) {
	apdu := []byte{cla, ins, p1, p2}
	if data != nil {
		apdu = append(apdu, byte(len(data)))
		apdu = append(apdu, data...)
	}
	r := c.Transmit(apdu)
	return r[:len(r)-2], binary.BigEndian.Uint16(r[len(r)-2:])
}

// send transmits data with chaining and collects 61xx responses, as
// piv-go does.
func send(t *testing.T, c *Card, ins, p1, p2 byte, data []byte) ([]byte, uint16) {
	t.Helper()
	for len(data) > 255 {
		if _, sw := cmd(c, 0x10, ins, p1, p2, data[:255]); sw != swOK {
			return nil, sw
		}
		data = data[255:]
	}
	resp, sw := cmd(c, 0, ins, p1, p2, data)
	for sw>>8 == 0x61 {
		var more []byte
		more, sw = cmd(c, 0, 0xc0, 0, 0, nil)
		resp = append(resp, more...)
	}
	return resp, sw
}

func selectPIV(t *testing.T, c *Card) {
	t.Helper()
	if _, sw := cmd(c, 0, 0xa4, 0x04, 0, aidPIV); sw != swOK {
		t.Fatalf("SELECT PIV: %04x", sw)
	}
}

func pad(pin string) []byte { p, _ := padPIN([]byte(pin)); return p }

func authMgm(t *testing.T, c *Card, alg byte, key []byte) uint16 {
	t.Helper()
	var block cipher.Block
	var err error
	if alg == alg3DES {
		block, err = des.NewTripleDESCipher(key)
	} else {
		block, err = aes.NewCipher(key)
	}
	if err != nil {
		t.Fatal(err)
	}
	n := block.BlockSize()
	resp, sw := cmd(c, 0, 0x87, alg, 0x9b, []byte{0x7c, 0x02, 0x80, 0x00})
	if sw != swOK {
		return sw
	}
	tmpl, _ := findTag(resp, 0x7c)
	enc, _ := findTag(tmpl, 0x80)
	if len(enc) != n {
		t.Fatalf("witness of %d bytes", len(enc))
	}
	w := make([]byte, n)
	block.Decrypt(w, enc)
	ch := make([]byte, n)
	rand.Read(ch)
	body := append(tlv(0x80, w), tlv(0x81, ch)...)
	resp, sw = cmd(c, 0, 0x87, alg, 0x9b, tlv(0x7c, body))
	if sw != swOK {
		return sw
	}
	tmpl, _ = findTag(resp, 0x7c)
	got, _ := findTag(tmpl, 0x82)
	want := make([]byte, n)
	block.Encrypt(want, ch)
	if !bytes.Equal(got, want) {
		t.Fatal("card answered the challenge wrongly")
	}
	return sw
}

func TestVersionSerialPIN(t *testing.T) {
	c, _ := newTestCard(t, [3]byte{5, 4, 3})
	if _, sw := cmd(c, 0, 0xfd, 0, 0, nil); sw != swInsNotSupported {
		t.Errorf("GET VERSION before SELECT: %04x", sw)
	}
	selectPIV(t, c)
	if v, sw := cmd(c, 0, 0xfd, 0, 0, nil); sw != swOK || !bytes.Equal(v, []byte{5, 4, 3}) {
		t.Errorf("GET VERSION = %x %04x", v, sw)
	}
	if s, sw := cmd(c, 0, 0xf8, 0, 0, nil); sw != swOK || binary.BigEndian.Uint32(s) != 777 {
		t.Errorf("GET SERIAL = %x %04x", s, sw)
	}
	if _, sw := cmd(c, 0, 0x20, 0, 0x80, nil); sw != 0x63c3 {
		t.Errorf("empty VERIFY = %04x, want 63c3", sw)
	}
	if _, sw := cmd(c, 0, 0x20, 0, 0x80, pad("000000")); sw != 0x63c2 {
		t.Errorf("wrong PIN = %04x, want 63c2", sw)
	}
	if _, sw := cmd(c, 0, 0x20, 0, 0x80, pad("123456")); sw != swOK {
		t.Errorf("right PIN = %04x", sw)
	}
	if _, sw := cmd(c, 0, 0x20, 0, 0x80, nil); sw != swOK {
		t.Errorf("empty VERIFY once verified = %04x, want 9000", sw)
	}
	if c.PINRetries() != 3 {
		t.Errorf("retries not reset after a right PIN: %d", c.PINRetries())
	}
	selectPIV(t, c) // SELECT resets the session
	if _, sw := cmd(c, 0, 0x20, 0, 0x80, nil); sw != 0x63c3 {
		t.Errorf("empty VERIFY after SELECT = %04x", sw)
	}
	for range 3 {
		cmd(c, 0, 0x20, 0, 0x80, pad("000000"))
	}
	if _, sw := cmd(c, 0, 0x20, 0, 0x80, pad("123456")); sw != swAuthBlocked {
		t.Errorf("right PIN when blocked = %04x, want 6983", sw)
	}
	// Unblock with the PUK.
	if _, sw := cmd(c, 0, 0x2c, 0, 0x80, append(pad("12345678"), pad("654321")...)); sw != swOK {
		t.Errorf("RESET RETRY = %04x", sw)
	}
	if _, sw := cmd(c, 0, 0x20, 0, 0x80, pad("654321")); sw != swOK {
		t.Errorf("new PIN = %04x", sw)
	}
}

func TestManagementKeyGenerateSign(t *testing.T) {
	for _, tc := range []struct {
		name string
		fw   [3]byte
		alg  byte
	}{{"3DES fw5.4", [3]byte{5, 4, 3}, alg3DES}, {"AES192 fw5.7", [3]byte{5, 7, 1}, algAES192}} {
		t.Run(tc.name, func(t *testing.T) {
			c, ca := newTestCard(t, tc.fw)
			selectPIV(t, c)
			gen := tlv(0xac, []byte{0x80, 1, algECP256, 0xaa, 1, 3, 0xab, 1, 2})
			if _, sw := cmd(c, 0, 0x47, 0, 0x9c, gen); sw != swSecurityStatus {
				t.Fatalf("GENERATE without management key = %04x", sw)
			}
			if md, sw := cmd(c, 0, 0xf7, 0, 0x9b, nil); sw != swOK || md[2] != tc.alg {
				t.Fatalf("management key metadata = %x %04x", md, sw)
			}
			wrong := bytes.Repeat([]byte{9}, 24)
			if sw := authMgm(t, c, tc.alg, wrong); sw != swSecurityStatus {
				t.Fatalf("wrong management key = %04x", sw)
			}
			if sw := authMgm(t, c, tc.alg, DefaultManagementKey()); sw != swOK {
				t.Fatalf("management key = %04x", sw)
			}
			resp, sw := cmd(c, 0, 0x47, 0, 0x9c, gen)
			if sw != swOK || resp[0] != 0x7f || resp[1] != 0x49 {
				t.Fatalf("GENERATE = %x %04x", resp, sw)
			}
			point, _ := findTag(resp[2:][1:], 0x86)
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
			if err != nil {
				t.Fatalf("generated point: %v", err)
			}

			d := sha256.Sum256([]byte("m"))
			sign := tlv(0x7c, append([]byte{0x82, 0x00}, tlv(0x81, d[:])...))
			if _, sw := cmd(c, 0, 0x87, algECP256, 0x9c, sign); sw != swSecurityStatus {
				t.Fatalf("sign without PIN = %04x", sw)
			}
			cmd(c, 0, 0x20, 0, 0x80, pad("123456"))
			resp, sw = cmd(c, 0, 0x87, algECP256, 0x9c, sign)
			if sw != swOK {
				t.Fatalf("sign = %04x", sw)
			}
			tmpl, _ := findTag(resp, 0x7c)
			sig, _ := findTag(tmpl, 0x82)
			if !ecdsa.VerifyASN1(pub, d[:], sig) {
				t.Fatal("signature does not verify")
			}
			// PIN policy always: the verification is used up.
			if _, sw := cmd(c, 0, 0x87, algECP256, 0x9c, sign); sw != swSecurityStatus {
				t.Fatalf("second sign without PIN = %04x", sw)
			}
			if c.Touches() != 1 || c.Signatures() != 1 {
				t.Errorf("touches %d signatures %d", c.Touches(), c.Signatures())
			}
			// Metadata of the key.
			md, sw := cmd(c, 0, 0xf7, 0, 0x9c, nil)
			if pol, _ := findTag(md, 0x02); sw != swOK || !bytes.Equal(pol, []byte{3, 2}) {
				t.Errorf("key metadata policy = %x %04x", pol, sw)
			}
			if _, sw := cmd(c, 0, 0xf7, 0, 0x9a, nil); sw != swRefDataNotFound {
				t.Errorf("metadata of empty slot = %04x", sw)
			}
			// Attestation: a certificate for this key, under the test CA.
			der, sw := send(t, c, 0xf9, 0x9c, 0, nil)
			if sw != swOK {
				t.Fatalf("ATTEST = %04x", sw)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			f9, sw := send(t, c, 0xcb, 0x3f, 0xff, []byte{0x5c, 3, 0x5f, 0xff, 0x01})
			if sw != swOK {
				t.Fatalf("GET DATA f9 = %04x", sw)
			}
			obj, _ := findTag(f9, 0x53)
			devDER, _ := findTag(obj, 0x70)
			dev, err := x509.ParseCertificate(devDER)
			if err != nil {
				t.Fatal(err)
			}
			inter := x509.NewCertPool()
			inter.AddCert(dev)
			if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				t.Fatalf("attestation chain: %v", err)
			}
			if !cert.PublicKey.(*ecdsa.PublicKey).Equal(pub) {
				t.Error("attestation certifies another key")
			}
			if _, sw := cmd(c, 0, 0xf9, 0x9a, 0, nil); sw != swIncorrectData {
				t.Errorf("ATTEST empty slot = %04x, want 6a80", sw)
			}
		})
	}
}

func TestDataObjectsChainingAndMetadataGate(t *testing.T) {
	c, _ := newTestCard(t, [3]byte{5, 7, 1})
	selectPIV(t, c)
	if _, sw := cmd(c, 0, 0xcb, 0x3f, 0xff, []byte{0x5c, 3, 0x5f, 0xc1, 0x0a}); sw != swFileNotFound {
		t.Errorf("GET DATA of an empty object = %04x", sw)
	}
	big := make([]byte, 1500)
	rand.Read(big)
	put := append([]byte{0x5c, 3, 0x5f, 0xc1, 0x0a}, tlv(0x53, big)...)
	if _, sw := send(t, c, 0xdb, 0x3f, 0xff, put); sw != swSecurityStatus {
		t.Errorf("PUT DATA without management key = %04x", sw)
	}
	authMgm(t, c, algAES192, DefaultManagementKey())
	if _, sw := send(t, c, 0xdb, 0x3f, 0xff, put); sw != swOK {
		t.Fatalf("chained PUT DATA = %04x", sw)
	}
	got, sw := send(t, c, 0xcb, 0x3f, 0xff, []byte{0x5c, 3, 0x5f, 0xc1, 0x0a})
	if v, _ := findTag(got, 0x53); sw != swOK || !bytes.Equal(v, big) {
		t.Errorf("GET DATA with GET RESPONSE: %04x, %d bytes", sw, len(v))
	}
	old, _ := newTestCard(t, [3]byte{5, 2, 7})
	selectPIV(t, old)
	if _, sw := cmd(old, 0, 0xf7, 0, 0x9b, nil); sw != swInsNotSupported {
		t.Errorf("GET METADATA on firmware 5.2 = %04x, want 6d00", sw)
	}
}

func TestServerProtocol(t *testing.T) {
	c, _ := newTestCard(t, [3]byte{5, 7, 1})
	if _, err := Listen("0.0.0.0:0", c); err == nil {
		t.Fatal("listened on a non-loopback address")
	}
	s, err := Listen("127.0.0.1:0", c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	<-s.Connected()
	exchange := func(msg []byte) []byte {
		t.Helper()
		out := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
		if _, err := conn.Write(append(out, msg...)); err != nil {
			t.Fatal(err)
		}
		var hdr [2]byte
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			t.Fatal(err)
		}
		reply := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(conn, reply); err != nil {
			t.Fatal(err)
		}
		return reply
	}
	if atr := exchange([]byte{ctrlGetATR}); !bytes.Equal(atr, ATR()) {
		t.Errorf("ATR = %x", atr)
	}
	conn.Write([]byte{0, 1, ctrlPowerOn}) // no reply to power on
	if r := exchange(append([]byte{0, 0xa4, 4, 0, 5}, aidPIV...)); !bytes.HasSuffix(r, []byte{0x90, 0}) {
		t.Errorf("SELECT over the socket = %x", r)
	}
	if r := exchange([]byte{0, 0xf8, 0, 0, 0}); !bytes.Equal(r, []byte{0, 0, 3, 9, 0x90, 0}) {
		t.Errorf("GET SERIAL over the socket = %x", r)
	}
	// Another card inserted: the next commands reach it.
	c2, err := NewCard(Config{Serial: 778})
	if err != nil {
		t.Fatal(err)
	}
	s.Insert(c2)
	exchange(append([]byte{0, 0xa4, 4, 0, 5}, aidPIV...))
	if r := exchange([]byte{0, 0xf8, 0, 0, 0}); !bytes.Equal(r, []byte{0, 0, 3, 10, 0x90, 0}) {
		t.Errorf("GET SERIAL after Insert = %x", r)
	}
	// Unplugged: the slot keeps answering the ATR request (vpcd must not
	// lose the connection) and holds a card that is not a YubiKey.
	s.Insert(nil)
	conn.Write([]byte{0, 1, ctrlPowerOff}) // no reply
	if atr := exchange([]byte{ctrlGetATR}); !bytes.Equal(atr, ATR()) {
		t.Errorf("ATR of an empty slot = %x", atr)
	}
	if r := exchange(append([]byte{0, 0xa4, 4, 0, 5}, aidPIV...)); !bytes.Equal(r, []byte{0x90, 0}) {
		t.Errorf("SELECT PIV in an empty slot = %x, want 9000", r)
	}
	for _, ins := range []byte{0xfd, 0xf8, 0x20} {
		if r := exchange([]byte{0, ins, 0, 0, 0}); !bytes.Equal(r, []byte{0x6d, 0}) {
			t.Errorf("INS %02x in an empty slot = %x, want 6d00", ins, r)
		}
	}
}

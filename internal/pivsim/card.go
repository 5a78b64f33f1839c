package pivsim

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
)

// Status words the card answers with.
const (
	swOK                  = 0x9000
	swWrongLength         = 0x6700
	swSecurityStatus      = 0x6982 // security status not satisfied
	swAuthBlocked         = 0x6983 // authentication method blocked
	swConditionsNotMet    = 0x6985
	swIncorrectData       = 0x6a80
	swFuncNotSupported    = 0x6a81
	swFileNotFound        = 0x6a82
	swIncorrectP1P2       = 0x6a86
	swRefDataNotFound     = 0x6a88
	swInsNotSupported     = 0x6d00
	swClaNotSupported     = 0x6e00
	swVerifyFailPrefix    = 0x63c0
	maxResponseChunk      = 256
	maxChainedCommandSize = 16 << 10
)

// Management key algorithm identifiers (SP 800-78-4 table 6-2).
const (
	alg3DES   = 0x03
	algAES128 = 0x08
	algAES192 = 0x0a
	algAES256 = 0x0c
)

const (
	slotCardManagement = 0x9b
	slotAttestation    = 0xf9
	objAttestation     = 0x5fff01
)

var (
	aidPIV        = []byte{0xa0, 0x00, 0x00, 0x03, 0x08}
	aidManagement = []byte{0xa0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17}
	aidOTP        = []byte{0xa0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01, 0x01}
)

// DefaultPIN, DefaultPUK and DefaultManagementKey are a fresh card's
// credentials, as on a YubiKey from the factory. They are functions so no
// caller can change them for everyone.
func DefaultPIN() []byte { return []byte("123456") }

// DefaultPUK returns the factory PUK.
func DefaultPUK() []byte { return []byte("12345678") }

// DefaultManagementKey returns the factory management key.
func DefaultManagementKey() []byte {
	return []byte{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8}
}

// Config describes a simulated YubiKey.
type Config struct {
	// Serial is the token's serial number.
	Serial uint32
	// Firmware is the firmware version; zero means 5.7.1. Below 5.3 the
	// card answers GET METADATA with "instruction not supported", as a
	// real one does.
	Firmware [3]byte
	// FormFactor is an attestation.FormFactor value; zero means USB-C
	// keychain.
	FormFactor byte
	// Attestation is the device (f9) attestation identity. Nil means the
	// card cannot attest (ATTEST answers "instruction not supported").
	Attestation *pivattest.Device
	// PIN, PUK and ManagementKey are the initial credentials; nil means
	// the factory defaults. A 24-byte management key is 3DES below
	// firmware 5.7 and AES-192 from 5.7, like the factory key.
	PIN, PUK, ManagementKey []byte
	// PINRetries is the number of PIN tries; zero means 3.
	PINRetries int
	// Clock decides when a touch times out and when a cached touch
	// expires; nil means the wall clock.
	Clock Clock
	// Touch is the touch sensor; nil touches at once whenever an
	// operation needs a touch.
	Touch Toucher
}

// Card is a simulated YubiKey PIV applet. Its Transmit method takes a
// command APDU and returns the response APDU; [Server] connects it to
// vpcd. It is safe for concurrent use.
type Card struct {
	mu  sync.Mutex
	cfg Config

	pin, puk            []byte // padded to 8 bytes
	pinRetries, pinMax  int
	pukRetries, pukMax  int
	mgmKey              []byte
	mgmAlg              byte
	mgmTouch            bool
	keys                map[byte]*slotKey
	objects             map[uint32][]byte // object id -> contents of tag 53
	touches, signatures int
	lastTouch           time.Time // zero: no touch yet

	// Session state, cleared on reset and on SELECT.
	selected        []byte
	pinVerified     bool
	pinJustVerified bool
	mgmAuthed       bool
	witness         []byte
	pending         []byte // response bytes waiting for GET RESPONSE
	chain           []byte // command data received with CLA chaining
	chainINS        byte
}

// NewCard returns a factory-fresh simulated YubiKey.
func NewCard(cfg Config) (*Card, error) {
	if cfg.Firmware == [3]byte{} {
		cfg.Firmware = [3]byte{5, 7, 1}
	}
	if cfg.FormFactor == 0 {
		cfg.FormFactor = byte(attestation.FormFactorUSBCKeychain)
	}
	if cfg.PINRetries == 0 {
		cfg.PINRetries = 3
	}
	if cfg.PINRetries < 1 || cfg.PINRetries > 15 {
		return nil, fmt.Errorf("pivsim: PIN retries %d out of range 1-15", cfg.PINRetries)
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	c := &Card{cfg: cfg}
	if err := c.factoryReset(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Card) factoryReset() error {
	pin, puk, mk := c.cfg.PIN, c.cfg.PUK, c.cfg.ManagementKey
	if pin == nil {
		pin = DefaultPIN()
	}
	if puk == nil {
		puk = DefaultPUK()
	}
	if mk == nil {
		mk = DefaultManagementKey()
	}
	var err error
	if c.pin, err = padPIN(pin); err != nil {
		return fmt.Errorf("pivsim: PIN: %w", err)
	}
	if c.puk, err = padPIN(puk); err != nil {
		return fmt.Errorf("pivsim: PUK: %w", err)
	}
	c.pinMax, c.pinRetries = c.cfg.PINRetries, c.cfg.PINRetries
	c.pukMax, c.pukRetries = 3, 3
	switch len(mk) {
	case 16:
		c.mgmAlg = algAES128
	case 24:
		c.mgmAlg = alg3DES
		if c.atLeast(5, 7, 0) {
			c.mgmAlg = algAES192
		}
	case 32:
		c.mgmAlg = algAES256
	default:
		return fmt.Errorf("pivsim: management key of %d bytes", len(mk))
	}
	if c.mgmAlg != alg3DES && !c.atLeast(5, 4, 0) {
		return fmt.Errorf("pivsim: an AES management key needs firmware 5.4 or later, not %d.%d.%d", c.cfg.Firmware[0], c.cfg.Firmware[1], c.cfg.Firmware[2])
	}
	c.mgmKey = append([]byte(nil), mk...)
	c.mgmTouch = false
	c.keys = map[byte]*slotKey{}
	c.objects = map[uint32][]byte{}
	c.resetSession()
	return nil
}

func padPIN(p []byte) ([]byte, error) {
	if len(p) < 1 || len(p) > 8 {
		return nil, errors.New("must be 1 to 8 bytes")
	}
	out := bytes.Repeat([]byte{0xff}, 8)
	copy(out, p)
	return out, nil
}

func (c *Card) atLeast(major, minor, patch byte) bool {
	return !fwLess(c.cfg.Firmware, [3]byte{major, minor, patch})
}

// fwLess reports whether firmware a is older than b.
func fwLess(a, b [3]byte) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// fips reports whether the card is a FIPS YubiKey (form factor bit 0x80).
func (c *Card) fips() bool { return c.cfg.FormFactor&byte(attestation.FormFactorFIPS) != 0 }

func (c *Card) resetSession() {
	c.selected = nil
	c.pinVerified = false
	c.pinJustVerified = false
	c.mgmAuthed = false
	c.witness = nil
	c.pending = nil
	c.chain = nil
}

// Reset powers the card off and on: the session state (PIN verified,
// management key authenticated) is lost, stored keys stay.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resetSession()
}

// Serial returns the card's serial number.
func (c *Card) Serial() uint32 { return c.cfg.Serial }

// PINRetries returns the PIN tries left.
func (c *Card) PINRetries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pinRetries
}

// SetPINRetries sets the PIN tries left (1 to the maximum), as if wrong
// PINs had been typed; 0 blocks the PIN.
func (c *Card) SetPINRetries(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pinRetries = max(0, min(n, c.pinMax))
}

// Touches returns how many times the key was touched (an operation that
// needed a touch and got it).
func (c *Card) Touches() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.touches
}

// Signatures returns how many signatures the card has made.
func (c *Card) Signatures() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.signatures
}

// Transmit executes one command APDU and returns the response APDU (data
// followed by the two status bytes).
func (c *Card) Transmit(apdu []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, sw := c.transmit(apdu)
	return append(data, byte(sw>>8), byte(sw))
}

func (c *Card) transmit(apdu []byte) ([]byte, uint16) {
	if len(apdu) < 4 {
		return nil, swWrongLength
	}
	cla, ins, p1, p2 := apdu[0], apdu[1], apdu[2], apdu[3]
	var data []byte
	if len(apdu) > 5 {
		lc := int(apdu[4])
		if len(apdu) < 5+lc {
			return nil, swWrongLength
		}
		data = apdu[5 : 5+lc]
	}
	if cla&^0x10 != 0 {
		return nil, swClaNotSupported
	}
	if ins == 0xc0 { // GET RESPONSE
		if len(c.pending) == 0 {
			return nil, swConditionsNotMet
		}
		return c.respond(c.pending)
	}
	c.pending = nil
	if cla&0x10 != 0 { // command chaining: more to come
		if len(c.chain) > 0 && c.chainINS != ins {
			c.chain = nil
		}
		if len(c.chain)+len(data) > maxChainedCommandSize {
			c.chain = nil
			return nil, swWrongLength
		}
		c.chain = append(c.chain, data...)
		c.chainINS = ins
		return nil, swOK
	}
	if len(c.chain) > 0 {
		if c.chainINS == ins {
			data = append(c.chain, data...)
		}
		c.chain = nil
	}
	resp, sw := c.execute(ins, p1, p2, data)
	if sw != swOK {
		return nil, sw
	}
	return c.respond(resp)
}

// respond returns up to one chunk of resp, keeping the rest for GET
// RESPONSE (status 61xx).
func (c *Card) respond(resp []byte) ([]byte, uint16) {
	if len(resp) <= maxResponseChunk {
		c.pending = nil
		return resp, swOK
	}
	chunk := resp[:maxResponseChunk]
	c.pending = resp[maxResponseChunk:]
	left := len(c.pending)
	if left > 0xff {
		left = 0
	}
	return append([]byte(nil), chunk...), 0x6100 | uint16(left)
}

func (c *Card) execute(ins, p1, p2 byte, data []byte) ([]byte, uint16) {
	if ins == 0xa4 {
		return c.selectApp(p1, data)
	}
	switch {
	case bytes.Equal(c.selected, aidManagement):
		if ins == 0x1d {
			return c.readConfig()
		}
		return nil, swInsNotSupported
	case bytes.Equal(c.selected, aidOTP):
		if ins == 0x01 && p1 == 0x10 {
			return binary.BigEndian.AppendUint32(nil, c.cfg.Serial), swOK
		}
		return nil, swInsNotSupported
	case !bytes.Equal(c.selected, aidPIV):
		return nil, swInsNotSupported
	}
	// Any command but VERIFY consumes a PIN verification meant for a
	// PIN-always key.
	defer func() {
		if ins != 0x20 {
			c.pinJustVerified = false
		}
	}()
	switch ins {
	case 0xfd: // GET VERSION
		return c.cfg.Firmware[:], swOK
	case 0xf8: // GET SERIAL, from firmware 5.0
		if !c.atLeast(5, 0, 0) {
			return nil, swInsNotSupported
		}
		return binary.BigEndian.AppendUint32(nil, c.cfg.Serial), swOK
	case 0x20:
		return c.verify(p1, p2, data)
	case 0x24:
		return c.changeReference(p2, data)
	case 0x2c:
		return c.resetRetry(p2, data)
	case 0xfb:
		return c.reset()
	case 0xfa:
		return c.setRetries(p1, p2)
	case 0xff:
		return c.setManagementKey(p1, p2, data)
	case 0x87:
		return c.generalAuthenticate(p1, p2, data)
	case 0x47:
		return c.generate(p2, data)
	case 0xfe:
		return c.importKey(p1, p2, data)
	case 0xf9:
		return c.attest(p1)
	case 0xf7:
		return c.metadata(p2)
	case 0xcb:
		return c.getData(p1, p2, data)
	case 0xdb:
		return c.putData(p1, p2, data)
	}
	return nil, swInsNotSupported
}

func (c *Card) selectApp(p1 byte, aid []byte) ([]byte, uint16) {
	if p1 != 0x04 {
		return nil, swIncorrectP1P2
	}
	c.resetSession()
	switch {
	case len(aid) >= len(aidPIV) && bytes.Equal(aid[:len(aidPIV)], aidPIV):
		c.selected = aidPIV
		// Application property template: AID and coexistent tag allocation
		// authority, as SP 800-73-4 part 2 section 3.1.1 describes.
		apt := tlv(0x4f, []byte{0x00, 0x00, 0x10, 0x00, 0x01, 0x00})
		apt = append(apt, tlv(0x79, tlv(0x4f, aidPIV))...)
		return tlv(0x61, apt), swOK
	case bytes.Equal(aid, aidManagement):
		c.selected = aidManagement
		return []byte(fmt.Sprintf("%d.%d.%d", c.cfg.Firmware[0], c.cfg.Firmware[1], c.cfg.Firmware[2])), swOK
	case bytes.Equal(aid, aidOTP):
		c.selected = aidOTP
		return nil, swOK
	}
	return nil, swFileNotFound
}

func (c *Card) readConfig() ([]byte, uint16) {
	var b []byte
	b = append(b, tlv(0x02, binary.BigEndian.AppendUint32(nil, c.cfg.Serial))...)
	b = append(b, tlv(0x04, []byte{c.cfg.FormFactor})...)
	b = append(b, tlv(0x05, c.cfg.Firmware[:])...)
	return append([]byte{byte(len(b))}, b...), swOK
}

func retriesSW(n int) uint16 { return swVerifyFailPrefix | uint16(n&0x0f) }

func (c *Card) verify(p1, p2 byte, data []byte) ([]byte, uint16) {
	if p2 != 0x80 {
		return nil, swRefDataNotFound
	}
	if p1 == 0xff { // reset the verification status
		c.pinVerified = false
		return nil, swOK
	}
	if len(data) == 0 {
		switch {
		case c.pinVerified:
			return nil, swOK
		case c.pinRetries == 0:
			return nil, swAuthBlocked
		}
		return nil, retriesSW(c.pinRetries)
	}
	if len(data) != 8 {
		return nil, swIncorrectData
	}
	if c.pinRetries == 0 {
		return nil, swAuthBlocked
	}
	if subtle.ConstantTimeCompare(data, c.pin) != 1 {
		c.pinRetries--
		c.pinVerified = false
		return nil, retriesSW(c.pinRetries)
	}
	c.pinRetries = c.pinMax
	c.pinVerified = true
	c.pinJustVerified = true
	return nil, swOK
}

// checkRef verifies a PIN or PUK against its counter.
func checkRef(ref []byte, retries *int, max int, given []byte) uint16 {
	if *retries == 0 {
		return swAuthBlocked
	}
	if subtle.ConstantTimeCompare(ref, given) != 1 {
		*retries--
		return retriesSW(*retries)
	}
	*retries = max
	return swOK
}

func (c *Card) changeReference(p2 byte, data []byte) ([]byte, uint16) {
	if len(data) != 16 {
		return nil, swIncorrectData
	}
	switch p2 {
	case 0x80:
		if sw := checkRef(c.pin, &c.pinRetries, c.pinMax, data[:8]); sw != swOK {
			c.pinVerified = false
			return nil, sw
		}
		c.pin = append([]byte(nil), data[8:]...)
	case 0x81:
		if sw := checkRef(c.puk, &c.pukRetries, c.pukMax, data[:8]); sw != swOK {
			return nil, sw
		}
		c.puk = append([]byte(nil), data[8:]...)
	default:
		return nil, swRefDataNotFound
	}
	return nil, swOK
}

func (c *Card) resetRetry(p2 byte, data []byte) ([]byte, uint16) {
	if p2 != 0x80 {
		return nil, swRefDataNotFound
	}
	if len(data) != 16 {
		return nil, swIncorrectData
	}
	if sw := checkRef(c.puk, &c.pukRetries, c.pukMax, data[:8]); sw != swOK {
		return nil, sw
	}
	c.pin = append([]byte(nil), data[8:]...)
	c.pinRetries = c.pinMax
	return nil, swOK
}

func (c *Card) reset() ([]byte, uint16) {
	if c.pinRetries != 0 || c.pukRetries != 0 {
		return nil, swConditionsNotMet
	}
	if err := c.factoryReset(); err != nil {
		return nil, swConditionsNotMet
	}
	c.selected = aidPIV
	return nil, swOK
}

func (c *Card) setRetries(pinTries, pukTries byte) ([]byte, uint16) {
	if !c.mgmAuthed || !c.pinVerified {
		return nil, swSecurityStatus
	}
	if pinTries < 1 || pinTries > 15 || pukTries < 1 || pukTries > 15 {
		return nil, swIncorrectP1P2
	}
	c.pinMax, c.pinRetries = int(pinTries), int(pinTries)
	c.pukMax, c.pukRetries = int(pukTries), int(pukTries)
	c.pin, _ = padPIN(DefaultPIN())
	c.puk, _ = padPIN(DefaultPUK())
	return nil, swOK
}

func (c *Card) setManagementKey(p1, p2 byte, data []byte) ([]byte, uint16) {
	if !c.mgmAuthed {
		return nil, swSecurityStatus
	}
	if p1 != 0xff || (p2 != 0xff && p2 != 0xfe) || len(data) < 3 {
		return nil, swIncorrectP1P2
	}
	if p2 == 0xfe && !c.atLeast(4, 0, 0) { // touch for the management key
		return nil, swIncorrectP1P2
	}
	alg, ref, n := data[0], data[1], int(data[2])
	if ref != slotCardManagement || len(data) != 3+n {
		return nil, swIncorrectData
	}
	want := map[byte]int{alg3DES: 24, algAES128: 16, algAES192: 24, algAES256: 32}
	if l, ok := want[alg]; !ok || l != n {
		return nil, swIncorrectData
	}
	if alg != alg3DES && !c.atLeast(5, 4, 0) {
		return nil, swIncorrectData
	}
	c.mgmAlg = alg
	c.mgmKey = append([]byte(nil), data[3:]...)
	c.mgmTouch = p2 == 0xfe
	return nil, swOK
}

func (c *Card) mgmCipher() (cipher.Block, error) {
	if c.mgmAlg == alg3DES {
		return des.NewTripleDESCipher(c.mgmKey)
	}
	return aes.NewCipher(c.mgmKey)
}

// touch waits, if policy asks for it, until the simulated key is touched;
// it fails with 6982 when nobody touches it within TouchTimeout, as a
// YubiKey does. A touch satisfies cached-policy keys for TouchCache.
func (c *Card) touch(policy byte) uint16 {
	switch policy {
	case byte(attestation.TouchPolicyNever):
		return swOK
	case byte(attestation.TouchPolicyCached):
		if !c.lastTouch.IsZero() && c.cfg.Clock.Now().Sub(c.lastTouch) < TouchCache {
			return swOK
		}
	}
	if c.cfg.Touch != nil && !c.cfg.Touch.WaitTouch(c.cfg.Serial, c.cfg.Clock.After(TouchTimeout)) {
		return swSecurityStatus
	}
	c.touches++
	c.lastTouch = c.cfg.Clock.Now()
	return swOK
}

func (c *Card) generalAuthenticate(alg, slot byte, data []byte) ([]byte, uint16) {
	tmpl, ok := findTag(data, 0x7c)
	if !ok {
		return nil, swIncorrectData
	}
	if slot == slotCardManagement {
		return c.authManagement(alg, tmpl)
	}
	k, ok := c.keys[slot]
	if !ok {
		return nil, swFileNotFound
	}
	if alg != k.alg {
		return nil, swIncorrectP1P2
	}
	challenge, isSign := findTag(tmpl, 0x81)
	peer, isECDH := findTag(tmpl, 0x85)
	if isSign == isECDH {
		return nil, swIncorrectData
	}
	switch k.pin {
	case byte(attestation.PINPolicyAlways):
		if !c.pinJustVerified {
			return nil, swSecurityStatus
		}
	case byte(attestation.PINPolicyOnce):
		if !c.pinVerified {
			return nil, swSecurityStatus
		}
	}
	if sw := c.touch(k.touch); sw != swOK {
		return nil, sw
	}
	var out []byte
	var err error
	if isSign {
		out, err = k.sign(challenge)
	} else {
		out, err = k.agree(peer)
	}
	if err != nil {
		return nil, swIncorrectData
	}
	c.signatures++
	return tlv(0x7c, tlv(0x82, out)), swOK
}

func (c *Card) authManagement(alg byte, tmpl []byte) ([]byte, uint16) {
	if alg != c.mgmAlg {
		return nil, swIncorrectP1P2
	}
	block, err := c.mgmCipher()
	if err != nil {
		return nil, swConditionsNotMet
	}
	n := block.BlockSize()
	w, hasW := findTag(tmpl, 0x80)
	ch, hasC := findTag(tmpl, 0x81)
	switch {
	case hasW && len(w) == 0 && !hasC: // step 1: the host asks for a witness
		c.mgmAuthed = false
		c.witness = make([]byte, n)
		rand.Read(c.witness)
		enc := make([]byte, n)
		block.Encrypt(enc, c.witness)
		return tlv(0x7c, tlv(0x80, enc)), swOK
	case hasW && hasC: // step 2: the decrypted witness and a challenge
		witness := c.witness
		c.witness = nil
		if witness == nil || len(w) != n || len(ch) != n || subtle.ConstantTimeCompare(w, witness) != 1 {
			c.mgmAuthed = false
			return nil, swSecurityStatus
		}
		if c.mgmTouch {
			if sw := c.touch(byte(attestation.TouchPolicyAlways)); sw != swOK {
				return nil, sw
			}
		}
		c.mgmAuthed = true
		resp := make([]byte, n)
		block.Encrypt(resp, ch)
		return tlv(0x7c, tlv(0x82, resp)), swOK
	}
	return nil, swIncorrectData
}

// defaultPINPolicy is a YubiKey's PIN policy for a key generated or
// imported without one: once, but always for the signature slot 9c and
// never for the card authentication slot 9e.
func defaultPINPolicy(slot byte) byte {
	switch slot {
	case byte(attestation.SlotSignature):
		return byte(attestation.PINPolicyAlways)
	case byte(attestation.SlotCardAuthentication):
		return byte(attestation.PINPolicyNever)
	}
	return byte(attestation.PINPolicyOnce)
}

// keyPolicies reads the PIN (tag AA) and touch (tag AB) policies of a
// GENERATE or IMPORT command; an absent tag or 0 means the slot's
// default. It refuses what the firmware lacks: any policy below 4.0, the
// cached touch policy below 4.3, PIN policy never asked of a FIPS YubiKey, and
// the biometric match policies (a YubiKey Bio is not simulated).
func (c *Card) keyPolicies(slot byte, data []byte) (pin, touch byte, sw uint16) {
	pin, touch = defaultPINPolicy(slot), byte(attestation.TouchPolicyNever)
	if v, ok := findTag(data, 0xaa); ok {
		if len(v) != 1 || v[0] > byte(attestation.PINPolicyAlways) {
			return 0, 0, swIncorrectData
		}
		if v[0] != 0 {
			if !c.atLeast(4, 0, 0) {
				return 0, 0, swIncorrectData
			}
			pin = v[0]
		}
	}
	if v, ok := findTag(data, 0xab); ok {
		if len(v) != 1 || v[0] > byte(attestation.TouchPolicyCached) {
			return 0, 0, swIncorrectData
		}
		if v[0] != 0 {
			if !c.atLeast(4, 0, 0) || (v[0] == byte(attestation.TouchPolicyCached) && !c.atLeast(4, 3, 0)) {
				return 0, 0, swIncorrectData
			}
			touch = v[0]
		}
	}
	if v, _ := findTag(data, 0xaa); c.fips() && len(v) == 1 && v[0] == byte(attestation.PINPolicyNever) {
		return 0, 0, swIncorrectData // an explicit never, as ykman checks it
	}
	return pin, touch, swOK
}

// algorithm returns the algorithm alg if this firmware has it.
func (c *Card) algorithm(alg byte) (algInfo, bool) {
	info, ok := algorithms[alg]
	if !ok || fwLess(c.cfg.Firmware, info.since) || (c.fips() && !info.fips) {
		return algInfo{}, false
	}
	return info, true
}

func (c *Card) generate(slot byte, data []byte) ([]byte, uint16) {
	if !c.mgmAuthed {
		return nil, swSecurityStatus
	}
	if !validSlot(slot) {
		return nil, swIncorrectP1P2
	}
	ctl, ok := findTag(data, 0xac)
	if !ok {
		return nil, swIncorrectData
	}
	alg, ok := findTag(ctl, 0x80)
	if !ok || len(alg) != 1 {
		return nil, swIncorrectData
	}
	info, ok := c.algorithm(alg[0])
	if !ok {
		return nil, swIncorrectData
	}
	// Firmware 4.2.0 to 4.3.4 cannot generate RSA keys (the Infineon
	// ROCA flaw, CVE-2017-15361); Yubico's tools refuse it there.
	if info.kind == kindRSA && !fwLess(c.cfg.Firmware, [3]byte{4, 2, 0}) && fwLess(c.cfg.Firmware, [3]byte{4, 3, 5}) {
		return nil, swIncorrectData
	}
	pin, touch, sw := c.keyPolicies(slot, ctl)
	if sw != swOK {
		return nil, sw
	}
	priv, err := generateKey(info)
	if err != nil {
		return nil, swConditionsNotMet
	}
	k := &slotKey{alg: alg[0], priv: priv, pin: pin, touch: touch, origin: originGenerated}
	pub, err := k.publicTLV()
	if err != nil {
		return nil, swConditionsNotMet
	}
	c.keys[slot] = k
	return tlv2(0x7f49, pub), swOK
}

// importKey is IMPORT ASYMMETRIC KEY (0xFE, a Yubico extension): P1 the
// algorithm, P2 the slot, the data the key's components and policies.
func (c *Card) importKey(alg, slot byte, data []byte) ([]byte, uint16) {
	if !c.mgmAuthed {
		return nil, swSecurityStatus
	}
	if !validSlot(slot) {
		return nil, swIncorrectP1P2
	}
	info, ok := c.algorithm(alg)
	if !ok {
		return nil, swIncorrectP1P2
	}
	pin, touch, sw := c.keyPolicies(slot, data)
	if sw != swOK {
		return nil, sw
	}
	priv, err := importKey(info, data)
	if err != nil {
		return nil, swIncorrectData
	}
	c.keys[slot] = &slotKey{alg: alg, priv: priv, pin: pin, touch: touch, origin: originImported}
	return nil, swOK
}

func validSlot(s byte) bool {
	return s == 0x9a || s == 0x9c || s == 0x9d || s == 0x9e || (s >= 0x82 && s <= 0x95)
}

func (c *Card) attest(slot byte) ([]byte, uint16) {
	if c.cfg.Attestation == nil || !c.atLeast(4, 3, 0) {
		return nil, swInsNotSupported
	}
	k, ok := c.keys[slot]
	if !ok || k.origin != originGenerated {
		return nil, swIncorrectData
	}
	cert, err := c.cfg.Attestation.Attest(pivattest.Slot{
		Slot:        attestation.Slot(slot),
		PINPolicy:   attestation.PINPolicy(k.pin),
		TouchPolicy: attestation.TouchPolicy(k.touch),
		FormFactor:  attestation.FormFactor(c.cfg.FormFactor),
		Public:      k.public(),
	})
	if err != nil {
		return nil, swConditionsNotMet
	}
	return cert.Raw, swOK
}

func (c *Card) metadata(slot byte) ([]byte, uint16) {
	if !c.atLeast(5, 3, 0) {
		return nil, swInsNotSupported
	}
	switch slot {
	case slotCardManagement:
		isDefault := byte(0)
		if subtle.ConstantTimeCompare(c.mgmKey, DefaultManagementKey()) == 1 {
			isDefault = 1
		}
		touch := byte(byte(attestation.TouchPolicyNever))
		if c.mgmTouch {
			touch = byte(attestation.TouchPolicyAlways)
		}
		b := tlv(0x01, []byte{c.mgmAlg})
		b = append(b, tlv(0x02, []byte{0x00, touch})...)
		b = append(b, tlv(0x05, []byte{isDefault})...)
		return b, swOK
	case 0x80, 0x81:
		ref, retries, max := c.pin, c.pinRetries, c.pinMax
		def := DefaultPIN()
		if slot == 0x81 {
			ref, retries, max, def = c.puk, c.pukRetries, c.pukMax, DefaultPUK()
		}
		pd, _ := padPIN(def)
		isDefault := byte(0)
		if subtle.ConstantTimeCompare(ref, pd) == 1 {
			isDefault = 1
		}
		b := tlv(0x01, []byte{0xff})
		b = append(b, tlv(0x05, []byte{isDefault})...)
		b = append(b, tlv(0x06, []byte{byte(max), byte(retries)})...)
		return b, swOK
	}
	k, ok := c.keys[slot]
	if !ok {
		return nil, swRefDataNotFound
	}
	pub, err := k.publicTLV()
	if err != nil {
		return nil, swConditionsNotMet
	}
	b := tlv(0x01, []byte{k.alg})
	b = append(b, tlv(0x02, []byte{k.pin, k.touch})...)
	b = append(b, tlv(0x03, []byte{k.origin})...)
	b = append(b, tlv(0x04, pub)...)
	return b, swOK
}

func objectID(data []byte) (uint32, []byte, bool) {
	// 5C 03 xx xx xx (or 5C 01 7E for the discovery object)
	if len(data) < 2 || data[0] != 0x5c {
		return 0, nil, false
	}
	n := int(data[1])
	if n < 1 || n > 3 || len(data) < 2+n {
		return 0, nil, false
	}
	var id uint32
	for _, b := range data[2 : 2+n] {
		id = id<<8 | uint32(b)
	}
	return id, data[2+n:], true
}

func (c *Card) getData(p1, p2 byte, data []byte) ([]byte, uint16) {
	if p1 != 0x3f || p2 != 0xff {
		return nil, swIncorrectP1P2
	}
	id, _, ok := objectID(data)
	if !ok {
		return nil, swIncorrectData
	}
	if id == objAttestation && c.cfg.Attestation != nil {
		if _, stored := c.objects[id]; !stored {
			return tlv(0x53, certObject(c.cfg.Attestation.Cert.Raw)), swOK
		}
	}
	v, ok := c.objects[id]
	if !ok {
		return nil, swFileNotFound
	}
	return tlv(0x53, v), swOK
}

func certObject(der []byte) []byte {
	b := tlv(0x70, der)
	b = append(b, tlv(0x71, []byte{0})...)
	return append(b, tlv(0xfe, nil)...)
}

func (c *Card) putData(p1, p2 byte, data []byte) ([]byte, uint16) {
	if p1 != 0x3f || p2 != 0xff {
		return nil, swIncorrectP1P2
	}
	if !c.mgmAuthed {
		return nil, swSecurityStatus
	}
	id, rest, ok := objectID(data)
	if !ok {
		return nil, swIncorrectData
	}
	v, ok := findTag(rest, 0x53)
	if !ok {
		return nil, swIncorrectData
	}
	if len(v) == 0 {
		delete(c.objects, id)
		return nil, swOK
	}
	c.objects[id] = append([]byte(nil), v...)
	return nil, swOK
}

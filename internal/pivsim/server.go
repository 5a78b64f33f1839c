package pivsim

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
)

// ATR is the answer-to-reset the simulator gives: a YubiKey 5 NFC's,
// which offers T=1 as piv-go requires.
func ATR() []byte {
	return []byte{0x3b, 0xfd, 0x13, 0x00, 0x00, 0x81, 0x31, 0xfe, 0x15, 0x80, 0x73, 0xc0,
		0x21, 0xc0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4b, 0x65, 0x79, 0x40}
}

// vpcd control codes: a one-byte message.
const (
	ctrlPowerOff = 0
	ctrlPowerOn  = 1
	ctrlReset    = 2
	ctrlGetATR   = 4
)

// maxMessage bounds a vpcd message; a short APDU is at most 261 bytes.
const maxMessage = 4096

// Server plays the card side of vsmartcard's vpcd socket protocol for one
// reader slot. vpcd, in client mode, connects to it; each message is a
// two-byte big-endian length and a payload, which is either a one-byte
// control code or a command APDU answered with a response APDU.
type Server struct {
	ln   net.Listener
	mu   sync.Mutex
	card *Card
	conn net.Conn
	seen chan struct{} // closed at the first connection
	once sync.Once
	wg   sync.WaitGroup
}

// Listen starts serving card on addr, which must be a loopback address
// (e.g. "127.0.0.1:35963"). A nil card is an empty slot: as vpcd cannot
// show an empty slot (see [Server.Insert]), it holds a card that is not a
// YubiKey.
func Listen(addr string, card *Card) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("pivsim: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("pivsim: listen address %q is not a loopback IP", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pivsim: %w", err)
	}
	s := &Server{ln: ln, card: card, seen: make(chan struct{})}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Connected is closed once vpcd has connected.
func (s *Server) Connected() <-chan struct{} { return s.seen }

// Card returns the card currently inserted, or nil.
func (s *Server) Card() *Card {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.card
}

// Insert replaces the card in the slot, as if one YubiKey were unplugged
// and another plugged in; nil unplugs it. Do it only while no program has
// the card open. The new card starts powered off.
//
// The reader stays listed after nil: Debian 12's vpcd aborts pcscd when
// a card connection closes, so an unplugged slot holds a card that is not
// a YubiKey (it knows no instruction: GET VERSION answers 6D00), which
// piv-go and ykman refuse to open.
func (s *Server) Insert(c *Card) {
	if c != nil {
		c.Reset()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.card = c
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.conn != nil {
			s.conn.Close()
		}
		s.conn = conn
		s.mu.Unlock()
		s.once.Do(func() { close(s.seen) })
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			s.serve(conn)
		}()
	}
}

func (s *Server) serve(conn net.Conn) {
	var hdr [2]byte
	for {
		quickAck(conn)
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(hdr[:]))
		if n == 0 || n > maxMessage {
			return
		}
		msg := make([]byte, n)
		quickAck(conn)
		if _, err := io.ReadFull(conn, msg); err != nil {
			return
		}
		card := s.Card()
		var reply []byte
		switch {
		case card == nil && n == 1:
			// An empty slot. Debian 12's vpcd aborts pcscd when it loses
			// a connection in client mode, so an empty slot cannot look
			// empty: it holds a card that is not a YubiKey.
			if msg[0] != ctrlGetATR {
				continue
			}
			reply = ATR()
		case card == nil:
			reply = notAYubiKey(msg)
		case n == 1:
			switch msg[0] {
			case ctrlPowerOff, ctrlPowerOn, ctrlReset:
				card.Reset()
				continue
			case ctrlGetATR:
				reply = ATR()
			default:
				continue
			}
		default:
			reply = card.Transmit(msg)
		}
		out := binary.BigEndian.AppendUint16(nil, uint16(len(reply)))
		if _, err := conn.Write(append(out, reply...)); err != nil {
			return
		}
	}
}

// notAYubiKey answers a command APDU as the card in an empty slot: it
// selects any application and knows no instruction (6D00), so piv-go
// fails at GET VERSION and closes the card. (A card refusing SELECT would
// do too, but piv-go v2.6.0's Open then leaves its exclusive connection
// open, and the process cannot open that reader again.)
func notAYubiKey(apdu []byte) []byte {
	if len(apdu) >= 2 && apdu[1] == 0xa4 {
		return []byte{0x90, 0x00}
	}
	return []byte{0x6d, 0x00}
}

// Close stops the server and drops vpcd's connection. Stop pcscd first:
// Debian 12's vpcd aborts pcscd when a card connection is refused.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	if s.conn != nil {
		s.conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

//go:build linux

package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/pivsim"
)

func TestParseArgs(t *testing.T) {
	o, err := parseArgs([]string{"-serials", "1, 22,333", "-firmware", "5.4.3", "-touch", "2s", "-management-key", "00112233445566778899aabbccddeeff", "--", "go", "test"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.serials) != 3 || o.serials[1] != 22 || o.firmware != [3]byte{5, 4, 3} || len(o.mgmKey) != 16 || strings.Join(o.command, " ") != "go test" {
		t.Errorf("parsed %+v", o)
	}
	if o, err := parseArgs(nil, io.Discard); err != nil || len(o.serials) != 1 || o.serials[0] != 10000001 || o.firmware != [3]byte{5, 7, 1} || o.command != nil {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	for _, bad := range [][]string{
		{"-serials", "1,x"},
		{"-serials", "0"},
		{"-serials", "7,7"},
		{"-serials", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"},
		{"-firmware", "5.7"},
		{"-firmware", "5.7.256"},
		{"-touch", "sometimes"},
		{"-touch", "-1s"},
		{"-touch", "manual", "--", "true"},
		{"-management-key", "zz"},
		{"stray"},
	} {
		if _, err := parseArgs(bad, io.Discard); err == nil {
			t.Errorf("parseArgs(%q) accepted", bad)
		}
	}
}

// TestRehearsalCA: the CA is the same on every run (its key derives from
// its name) and is recognisable as a rehearsal CA by its name.
func TestRehearsalCA(t *testing.T) {
	dir := t.TempDir()
	// A 10-digit PIN makes run fail after writing the roots, before it
	// starts pcscd.
	for _, f := range []string{"a.pem", "b.pem"} {
		var out bytes.Buffer
		code, err := run([]string{"-roots", filepath.Join(dir, f), "-pin", "1234567890"}, strings.NewReader(""), &out, io.Discard)
		if err == nil || code != 2 {
			t.Fatalf("run with a 10-digit PIN: code %d, err %v", code, err)
		}
	}
	var certs []*x509.Certificate
	for _, f := range []string{"a.pem", "b.pem"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(data)
		if b == nil {
			t.Fatalf("%s: no PEM", f)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c)
	}
	if !bytes.Equal(certs[0].RawSubjectPublicKeyInfo, certs[1].RawSubjectPublicKeyInfo) || certs[0].Subject.CommonName != RehearsalCAName {
		t.Errorf("rehearsal CA differs between runs or is misnamed: %q", certs[0].Subject.CommonName)
	}
	if !strings.HasPrefix(RehearsalCAName, "trustroot rehearsal") {
		t.Errorf("RehearsalCAName %q lacks the prefix the ceremony tool looks for", RehearsalCAName)
	}
	if err := certs[1].CheckSignatureFrom(certs[0]); err != nil {
		t.Errorf("two runs' CA certificates do not verify each other: %v", err)
	}
}

// TestConsole drives the console commands against servers without pcscd.
func TestConsole(t *testing.T) {
	var cards []*pivsim.Card
	var slots []*pivsim.Server
	for _, serial := range []uint32{11, 22} {
		c, err := pivsim.NewCard(pivsim.Config{Serial: serial})
		if err != nil {
			t.Fatal(err)
		}
		s, err := pivsim.Listen("127.0.0.1:0", c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		cards, slots = append(cards, c), append(slots, s)
	}
	s := &sim{env: &pivsim.Env{Slots: slots}, cards: cards, button: pivsim.NewButton()}
	do := func(line string) (string, error) {
		var out bytes.Buffer
		quit, err := s.console(line, &out)
		if quit {
			return "quit", err
		}
		return out.String(), err
	}
	if _, err := do("unplug 22"); err != nil || slots[1].Card() != nil {
		t.Fatalf("unplug: %v, card %v", err, slots[1].Card())
	}
	if _, err := do("pin-tries 11 0"); err != nil || cards[0].PINRetries() != 0 {
		t.Fatalf("pin-tries: %v, %d", err, cards[0].PINRetries())
	}
	out, err := do("status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`serial 11 reader "Yubico YubiKey Virtual 00 00" plugged true pin-tries 0 signatures 0 touches 0`,
		`serial 22 reader "Yubico YubiKey Virtual 00 01" plugged false pin-tries 3`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if _, err := do("plug 22"); err != nil || slots[1].Card() != cards[1] {
		t.Fatalf("plug: %v", err)
	}
	if _, err := do("touch"); err == nil {
		t.Error("touch with no card waiting succeeded")
	}
	go s.button.WaitTouch(22, time.After(time.Hour))
	<-s.button.Waiting()
	if _, err := do("touch"); err != nil {
		t.Errorf("touch with a card waiting: %v", err)
	}
	for _, bad := range []string{"", "unplug 33", "unplug x", "pin-tries 11 16", "pin-tries 11", "dance"} {
		if _, err := do(bad); err == nil {
			t.Errorf("console accepted %q", bad)
		}
	}
	if q, _ := do("quit"); q != "quit" {
		t.Error("quit did not quit")
	}
}

//go:build linux

// Command pivsim plugs simulated YubiKeys into this machine: it serves
// internal/pivsim cards behind a private pcscd and vsmartcard's vpcd, so
// every PC/SC program (piv-go, ykman, yubico-piv-tool, the ceremony tool
// built with -tags pivkey) sees them as YubiKeys. It is for tests and for
// ceremony rehearsals; nothing it holds is secret.
//
// Usage:
//
//	pivsim [flags]                   serve until stdin closes or Ctrl-C, with a console
//	pivsim [flags] -- COMMAND [ARG]  serve while COMMAND runs; exit with its status
//
// It runs on Linux only and needs root (pcscd creates /run/pcscd), the
// Debian packages pcscd and vsmartcard-vpcd, and no other pcscd running
// (systemctl stop pcscd.socket pcscd). Only one simulator can run on a
// machine at a time.
//
// Flags:
//
//	-serials LIST          serial numbers of the simulated YubiKeys, comma-separated (default 10000001)
//	-firmware X.Y.Z        firmware version of every key (default 5.7.1)
//	-fips                  simulate FIPS YubiKeys (no RSA 1024, X25519 or PIN policy never)
//	-touch MODE            how keys get touched: instant, a delay such as 2s, manual (console "touch"), never
//	-roots FILE            write the rehearsal attestation CA certificate (PEM) to FILE
//	-pin, -puk             initial PIN and PUK (default 123456, 12345678)
//	-management-key HEX    initial management key (default the factory key)
//	-port N                first TCP port on 127.0.0.1 (default 35963; key i uses N+i)
//
// Every key's attestation chains to the rehearsal CA, "trustroot
// rehearsal PIV attestation CA (not Yubico)", whose key is derived from
// its name: the same on every run and every machine, and public. A tool
// must accept it only when told that it runs a rehearsal.
//
// Console commands (one per line on stdin; each answer ends with a line
// "ok" or "error: ..."):
//
//	status                 one line per key: serial, reader, plugged, PIN tries, signatures, touches
//	unplug SERIAL          take the key out (its reader then holds a card that is not a YubiKey)
//	plug SERIAL            put it back
//	touch                  touch the key that waits for a touch (-touch manual)
//	pin-tries SERIAL N     set the PIN tries left (0 blocks the PIN)
//	quit                   stop
//
// In command mode, COMMAND gets PIVSIM_SERIALS (the serials) and, with
// -roots, PIVSIM_ROOTS (the CA file) in its environment.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
	"github.com/trustroot/trustroot/internal/pivsim"
)

// RehearsalCAName is the subject common name of the rehearsal attestation
// CA. The ceremony tool recognises a rehearsal root by its "trustroot
// rehearsal" prefix.
const RehearsalCAName = "trustroot rehearsal PIV attestation CA (not Yubico)"

// rehearsalCAStart is the CA's notBefore, fixed so that every run makes
// the same certificate.
var rehearsalCAStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	code, err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pivsim:", err)
	}
	os.Exit(code)
}

type options struct {
	serials  []uint32
	firmware [3]byte
	fips     bool
	touch    string
	roots    string
	pin, puk string
	mgmKey   []byte
	port     int
	command  []string
}

func parseArgs(args []string, stderr io.Writer) (*options, error) {
	f := flag.NewFlagSet("pivsim", flag.ContinueOnError)
	f.SetOutput(stderr)
	serials := f.String("serials", "10000001", "serial numbers of the simulated YubiKeys, comma-separated")
	firmware := f.String("firmware", "5.7.1", "firmware version of every key")
	o := &options{}
	f.BoolVar(&o.fips, "fips", false, "simulate FIPS YubiKeys")
	f.StringVar(&o.touch, "touch", "1s", "how keys get touched: instant, a delay such as 2s, manual or never")
	f.StringVar(&o.roots, "roots", "", "write the rehearsal attestation CA certificate (PEM) to `file`")
	f.StringVar(&o.pin, "pin", "123456", "initial PIN")
	f.StringVar(&o.puk, "puk", "12345678", "initial PUK")
	mk := f.String("management-key", "", "initial management key in `hex` (default the factory key)")
	f.IntVar(&o.port, "port", pivsim.Port0, "first TCP port on 127.0.0.1")
	if err := f.Parse(args); err != nil {
		return nil, err
	}
	o.command = f.Args()
	if i := len(args) - len(o.command) - 1; len(o.command) > 0 && (i < 0 || args[i] != "--") {
		return nil, fmt.Errorf("unexpected argument %q; put a command after --", o.command[0])
	}
	seen := map[uint32]bool{}
	for _, s := range strings.Split(*serials, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("-serials: %q is not a serial number", s)
		}
		if seen[uint32(n)] {
			return nil, fmt.Errorf("-serials: %d given twice", n)
		}
		seen[uint32(n)] = true
		o.serials = append(o.serials, uint32(n))
	}
	if len(o.serials) > pivsim.MaxCards {
		return nil, fmt.Errorf("-serials: %d keys; at most %d", len(o.serials), pivsim.MaxCards)
	}
	parts := strings.Split(*firmware, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("-firmware %q: want MAJOR.MINOR.PATCH", *firmware)
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil {
			return nil, fmt.Errorf("-firmware %q: want MAJOR.MINOR.PATCH", *firmware)
		}
		o.firmware[i] = byte(n)
	}
	if *mk != "" {
		k, err := hex.DecodeString(*mk)
		if err != nil {
			return nil, fmt.Errorf("-management-key: not hex")
		}
		o.mgmKey = k
	}
	if _, err := toucher(o.touch, nil); err != nil {
		return nil, err
	}
	if o.touch == "manual" && len(o.command) > 0 {
		return nil, errors.New("-touch manual needs the console, which command mode has not")
	}
	return o, nil
}

// toucher returns the touch sensor for a -touch value.
func toucher(mode string, button *pivsim.Button) (pivsim.Toucher, error) {
	switch mode {
	case "instant":
		return nil, nil
	case "never":
		return pivsim.NoTouch{}, nil
	case "manual":
		return button, nil
	}
	d, err := time.ParseDuration(mode)
	if err != nil || d < 0 {
		return nil, fmt.Errorf("-touch %q: want instant, never, manual or a delay such as 2s", mode)
	}
	return pivsim.TouchAfter{Delay: d}, nil
}

// sim is the running simulator.
type sim struct {
	env    *pivsim.Env
	cards  []*pivsim.Card
	button *pivsim.Button
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0, nil
	}
	if err != nil {
		return 2, err
	}
	ca, err := pivattest.NewCA(RehearsalCAName, rehearsalCAStart)
	if err != nil {
		return 1, err
	}
	if o.roots != "" {
		if err := os.WriteFile(o.roots, ca.PEM(), 0o644); err != nil {
			return 1, fmt.Errorf("writing the rehearsal CA: %w", err)
		}
	}
	s := &sim{button: pivsim.NewButton()}
	touch, _ := toucher(o.touch, s.button)
	form := byte(attestation.FormFactorUSBCKeychain)
	if o.fips {
		form |= byte(attestation.FormFactorFIPS)
	}
	for _, serial := range o.serials {
		dev, err := ca.NewDevice(serial, attestation.Firmware{Major: o.firmware[0], Minor: o.firmware[1], Patch: o.firmware[2]}, rehearsalCAStart)
		if err != nil {
			return 1, err
		}
		c, err := pivsim.NewCard(pivsim.Config{
			Serial: serial, Firmware: o.firmware, FormFactor: form, Attestation: dev,
			PIN: []byte(o.pin), PUK: []byte(o.puk), ManagementKey: o.mgmKey, Touch: touch,
		})
		if err != nil {
			return 2, err
		}
		s.cards = append(s.cards, c)
	}
	s.env, err = pivsim.StartOptions(pivsim.Options{BasePort: o.port}, s.cards...)
	if err != nil {
		return 1, err
	}
	defer func() {
		if err := s.env.Stop(); err != nil {
			fmt.Fprintln(stderr, "pivsim: stopping:", err)
		}
	}()
	fmt.Fprintf(stdout, "pivsim: %d simulated YubiKey(s), firmware %d.%d.%d, touch %s, behind pcscd:\n",
		len(s.cards), o.firmware[0], o.firmware[1], o.firmware[2], o.touch)
	for i, c := range s.cards {
		fmt.Fprintf(stdout, "pivsim:   serial %d in reader %q\n", c.Serial(), s.env.Reader(i))
	}
	if o.roots != "" {
		fmt.Fprintf(stdout, "pivsim: rehearsal attestation CA written to %s\n", o.roots)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	if len(o.command) > 0 {
		return s.runCommand(o, sigs, stdout, stderr)
	}
	fmt.Fprintln(stdout, "pivsim: ready; commands: status, unplug SERIAL, plug SERIAL, touch, pin-tries SERIAL N, quit")
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for {
		select {
		case <-sigs:
			return 130, nil
		case line, ok := <-lines:
			if !ok {
				return 0, nil
			}
			quit, err := s.console(line, stdout)
			if err != nil {
				fmt.Fprintln(stdout, "error:", err)
				continue
			}
			fmt.Fprintln(stdout, "ok")
			if quit {
				return 0, nil
			}
		}
	}
}

func (s *sim) runCommand(o *options, sigs <-chan os.Signal, stdout, stderr io.Writer) (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, o.command[0], o.command[1:]...)
	cmd.Stdin = os.Stdin
	cmd.Stdout, cmd.Stderr = stdout, stderr
	serials := make([]string, len(s.cards))
	for i, c := range s.cards {
		serials[i] = strconv.FormatUint(uint64(c.Serial()), 10)
	}
	cmd.Env = append(os.Environ(), "PIVSIM_SERIALS="+strings.Join(serials, ","))
	if o.roots != "" {
		cmd.Env = append(cmd.Env, "PIVSIM_ROOTS="+o.roots)
	}
	if err := cmd.Start(); err != nil {
		return 127, fmt.Errorf("starting %s: %w", o.command[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), nil
		}
		if err != nil {
			return 1, err
		}
		return 0, nil
	case <-sigs:
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		return 130, nil
	}
}

// console runs one console command; quit reports "quit".
func (s *sim) console(line string, out io.Writer) (quit bool, err error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return false, errors.New("empty command")
	}
	slot := func(arg string) (int, error) {
		n, err := strconv.ParseUint(arg, 10, 32)
		if err == nil {
			for i, c := range s.cards {
				if c.Serial() == uint32(n) {
					return i, nil
				}
			}
		}
		return 0, fmt.Errorf("no simulated YubiKey with serial %q", arg)
	}
	switch {
	case f[0] == "status" && len(f) == 1:
		for i, c := range s.cards {
			fmt.Fprintf(out, "serial %d reader %q plugged %t pin-tries %d signatures %d touches %d\n",
				c.Serial(), s.env.Reader(i), s.env.Slots[i].Card() == c, c.PINRetries(), c.Signatures(), c.Touches())
		}
		return false, nil
	case (f[0] == "unplug" || f[0] == "plug") && len(f) == 2:
		i, err := slot(f[1])
		if err != nil {
			return false, err
		}
		if f[0] == "plug" {
			s.env.Slots[i].Insert(s.cards[i])
		} else {
			s.env.Slots[i].Insert(nil)
		}
		return false, nil
	case f[0] == "touch" && len(f) == 1:
		if !s.button.Press() {
			return false, errors.New("no simulated YubiKey is waiting for a touch (or -touch is not manual)")
		}
		return false, nil
	case f[0] == "pin-tries" && len(f) == 3:
		i, err := slot(f[1])
		if err != nil {
			return false, err
		}
		n, err := strconv.Atoi(f[2])
		if err != nil || n < 0 || n > 15 {
			return false, fmt.Errorf("pin-tries: %q is not 0 to 15", f[2])
		}
		s.cards[i].SetPINRetries(n)
		return false, nil
	case f[0] == "quit" && len(f) == 1:
		return true, nil
	}
	return false, fmt.Errorf("unknown command %q; commands: status, unplug SERIAL, plug SERIAL, touch, pin-tries SERIAL N, quit", line)
}

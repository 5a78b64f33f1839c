package pivsim

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Paths of Debian's pcsc-lite daemon, its socket and vsmartcard's vpcd
// driver (packages pcscd and vsmartcard-vpcd).
const (
	PCSCDSocket = "/run/pcscd/pcscd.comm"
	VPCDDriver  = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
)

// Ports vpcd connects to for the reader configured by [Start]: one per
// reader slot, both on 127.0.0.1.
const (
	Port0 = 35963 // 0x8C7B
	Port1 = 35964
)

// ReaderPrefix is the PC/SC name of the simulated reader; the two slots
// are "<ReaderPrefix> 00 00" and "<ReaderPrefix> 00 01".
const ReaderPrefix = "Yubico YubiKey Virtual"

// Env is a running simulator: two card servers and a private pcscd that
// reaches them through vpcd.
type Env struct {
	// Slots serve 127.0.0.1:35963 and :35964, PC/SC readers
	// "Yubico YubiKey Virtual 00 00" and "... 00 01".
	Slots [2]*Server

	dir    string
	cmd    *exec.Cmd
	output *syncBuffer
	exited chan struct{}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// CheckPrerequisites reports what is missing to run the simulator: the
// pcscd binary, the vpcd driver, root privileges, or a free pcscd socket
// (a system pcscd already running).
func CheckPrerequisites() (pcscd string, err error) {
	var errs []error
	pcscd, lerr := exec.LookPath("pcscd")
	if lerr != nil {
		if _, serr := os.Stat("/usr/sbin/pcscd"); serr == nil {
			pcscd, lerr = "/usr/sbin/pcscd", nil
		}
	}
	if lerr != nil {
		errs = append(errs, fmt.Errorf("pcscd not found (apt-get install pcscd): %w", lerr))
	}
	if _, err := os.Stat(VPCDDriver); err != nil {
		errs = append(errs, fmt.Errorf("vpcd driver missing (apt-get install vsmartcard-vpcd): %w", err))
	}
	if os.Geteuid() != 0 {
		errs = append(errs, errors.New("not running as root: pcscd needs to create /run/pcscd"))
	}
	if c, err := net.DialTimeout("unix", PCSCDSocket, time.Second); err == nil {
		c.Close()
		errs = append(errs, fmt.Errorf("a pcscd is already running (%s answers); stop it first (systemctl stop pcscd.socket pcscd)", PCSCDSocket))
	}
	if len(errs) > 0 {
		return "", fmt.Errorf("pivsim: cannot run the simulator: %w", errors.Join(errs...))
	}
	return pcscd, nil
}

// Start serves the two cards on 127.0.0.1:35963 and :35964, then starts
// pcscd in the foreground with a private configuration directory holding
// one vpcd reader, and waits until vpcd has connected to both. Stop it
// with [Env.Stop]. Only one Env can run at a time on a machine.
func Start(card0, card1 *Card) (*Env, error) {
	pcscd, err := CheckPrerequisites()
	if err != nil {
		return nil, err
	}
	e := &Env{output: &syncBuffer{}, exited: make(chan struct{})}
	// The simulator must listen before pcscd starts: Debian 12's vpcd
	// aborts pcscd when a connection is refused.
	for i, c := range []*Card{card0, card1} {
		s, err := Listen(fmt.Sprintf("127.0.0.1:%d", Port0+i), c)
		if err != nil {
			e.closeServers()
			return nil, err
		}
		e.Slots[i] = s
	}
	e.dir, err = os.MkdirTemp("", "pivsim-pcscd-")
	if err != nil {
		e.closeServers()
		return nil, fmt.Errorf("pivsim: %w", err)
	}
	conf := fmt.Sprintf("FRIENDLYNAME \"%s\"\nDEVICENAME   127.0.0.1:0x%X\nLIBPATH      %s\nCHANNELID    0x%X\n",
		ReaderPrefix, Port0, VPCDDriver, Port0)
	if err := os.WriteFile(filepath.Join(e.dir, "vpcd"), []byte(conf), 0o600); err != nil {
		e.cleanup()
		return nil, fmt.Errorf("pivsim: %w", err)
	}
	e.cmd = exec.Command(pcscd, "--foreground", "--config", e.dir)
	e.cmd.Stdout = e.output
	e.cmd.Stderr = e.output
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := e.cmd.Start(); err != nil {
		e.cleanup()
		return nil, fmt.Errorf("pivsim: start pcscd: %w", err)
	}
	go func() {
		e.cmd.Wait()
		close(e.exited)
	}()
	deadline := time.After(15 * time.Second)
	for _, s := range e.Slots {
		select {
		case <-s.Connected():
		case <-e.exited:
			e.closeServers()
			os.RemoveAll(e.dir)
			return nil, fmt.Errorf("pivsim: pcscd exited early: %s", e.output.String())
		case <-deadline:
			e.Stop()
			return nil, fmt.Errorf("pivsim: vpcd did not connect to %s within 15s; pcscd said: %s", s.Addr(), e.output.String())
		}
	}
	return e, nil
}

// Log returns what pcscd printed.
func (e *Env) Log() string { return e.output.String() }

// Stop stops pcscd (SIGTERM, then SIGKILL after 10 s), then the card
// servers, in that order.
func (e *Env) Stop() error {
	var errs []error
	if e.cmd != nil && e.cmd.Process != nil {
		select {
		case <-e.exited:
		default:
			if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				errs = append(errs, fmt.Errorf("pivsim: signal pcscd: %w", err))
			}
			select {
			case <-e.exited:
			case <-time.After(10 * time.Second):
				e.cmd.Process.Kill()
				<-e.exited
				errs = append(errs, errors.New("pivsim: pcscd did not stop on SIGTERM; killed"))
			}
		}
	}
	e.cleanup()
	return errors.Join(errs...)
}

func (e *Env) closeServers() {
	for _, s := range e.Slots {
		if s != nil {
			s.Close()
		}
	}
}

func (e *Env) cleanup() {
	e.closeServers()
	if e.dir != "" {
		os.RemoveAll(e.dir)
	}
}

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

// Port0 is the default first TCP port vpcd connects to (vpcd's own
// default, 0x8C7B); Port1 is the second slot of the first reader.
const (
	Port0 = 35963
	Port1 = 35964
)

// MaxCards is the most cards [Start] serves: pcscd handles at most 16
// reader slots, and each vpcd reader has two.
const MaxCards = 16

// ReaderPrefix starts the PC/SC name of every simulated reader;
// [ReaderName] gives the whole name of a slot.
const ReaderPrefix = "Yubico YubiKey Virtual"

// Options configure [StartOptions].
type Options struct {
	// BasePort is the first TCP port on 127.0.0.1; slot i listens on
	// BasePort+i. Zero means Port0.
	BasePort int
}

// Env is a running simulator: card servers and a private pcscd that
// reaches them through vpcd.
type Env struct {
	// Slots are the reader slots in order: slot i listens on
	// 127.0.0.1:BasePort+i and is the PC/SC reader Reader(i).
	Slots []*Server

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

// Start serves cards on 127.0.0.1:35963 onwards (a nil card is an empty
// slot), then starts pcscd in the foreground with a private configuration
// directory holding the vpcd readers, and waits until vpcd has connected
// to every slot. Stop it with [Env.Stop]. Only one Env can run at a time
// on a machine.
func Start(cards ...*Card) (*Env, error) { return StartOptions(Options{}, cards...) }

// StartOptions is [Start] with options. It serves one to [MaxCards] cards;
// an odd count gets an empty slot after the last card, as each vpcd
// reader has two slots and Debian 12's vpcd aborts pcscd when one of them
// has nothing listening.
func StartOptions(opts Options, cards ...*Card) (*Env, error) {
	if len(cards) == 0 || len(cards) > MaxCards {
		return nil, fmt.Errorf("pivsim: %d cards; serve 1 to %d", len(cards), MaxCards)
	}
	base := opts.BasePort
	if base == 0 {
		base = Port0
	}
	slots := len(cards) + len(cards)%2
	if base < 1024 || base+slots-1 > 65535 {
		return nil, fmt.Errorf("pivsim: ports %d-%d out of range", base, base+slots-1)
	}
	pcscd, err := CheckPrerequisites()
	if err != nil {
		return nil, err
	}
	e := &Env{output: &syncBuffer{}, exited: make(chan struct{})}
	// The simulator must listen before pcscd starts: Debian 12's vpcd
	// aborts pcscd when a connection is refused.
	for i := range slots {
		var c *Card
		if i < len(cards) {
			c = cards[i]
		}
		s, err := Listen(fmt.Sprintf("127.0.0.1:%d", base+i), c)
		if err != nil {
			e.closeServers()
			return nil, err
		}
		e.Slots = append(e.Slots, s)
	}
	e.dir, err = os.MkdirTemp("", "pivsim-pcscd-")
	if err != nil {
		e.closeServers()
		return nil, fmt.Errorf("pivsim: %w", err)
	}
	// One reader.conf entry per vpcd reader. Each loads its own copy of
	// the driver: pcscd shares one loaded driver between readers that
	// name the same file, and vpcd keeps its connections in a global
	// array indexed by slot only, so two readers on one copy would share
	// their connections.
	// pcscd reads every file of its configuration directory as a
	// reader.conf, so the copies live next to it, not in it.
	driver, err := os.ReadFile(VPCDDriver)
	if err != nil {
		e.cleanup()
		return nil, fmt.Errorf("pivsim: %w", err)
	}
	confDir, libDir := filepath.Join(e.dir, "conf"), filepath.Join(e.dir, "lib")
	for _, d := range []string{confDir, libDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			e.cleanup()
			return nil, fmt.Errorf("pivsim: %w", err)
		}
	}
	for r := 0; r < slots/2; r++ {
		lib := filepath.Join(libDir, fmt.Sprintf("libifdvpcd-%d.so", r))
		if err := os.WriteFile(lib, driver, 0o500); err != nil {
			e.cleanup()
			return nil, fmt.Errorf("pivsim: %w", err)
		}
		port := base + 2*r
		conf := fmt.Sprintf("FRIENDLYNAME \"%s\"\nDEVICENAME   127.0.0.1:0x%X\nLIBPATH      %s\nCHANNELID    0x%X\n",
			readerFriendlyName(r), port, lib, port)
		if err := os.WriteFile(filepath.Join(confDir, fmt.Sprintf("vpcd-%d", r)), []byte(conf), 0o600); err != nil {
			e.cleanup()
			return nil, fmt.Errorf("pivsim: %w", err)
		}
	}
	e.cmd = exec.Command(pcscd, "--foreground", "--config", confDir)
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
	// pcscd opens its socket after loading the readers.
	for {
		if c, err := net.DialTimeout("unix", PCSCDSocket, time.Second); err == nil {
			c.Close()
			return e, nil
		}
		select {
		case <-e.exited:
			e.closeServers()
			os.RemoveAll(e.dir)
			return nil, fmt.Errorf("pivsim: pcscd exited early: %s", e.output.String())
		case <-deadline:
			e.Stop()
			return nil, fmt.Errorf("pivsim: pcscd did not open %s within 15s; pcscd said: %s", PCSCDSocket, e.output.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Reader returns the PC/SC name of slot i.
func (e *Env) Reader(i int) string { return ReaderName(i) }

// ReaderName returns the PC/SC name pcscd gives slot i of an [Env]:
// "Yubico YubiKey Virtual 00 00" and "... 00 01" for the first two
// slots, "Yubico YubiKey Virtual B 00 00" and "... B 00 01" for the next
// two, and so on (pcscd numbers slots per reader, so the readers need
// different names).
func ReaderName(i int) string { return fmt.Sprintf("%s 00 %02X", readerFriendlyName(i/2), i%2) }

func readerFriendlyName(r int) string {
	if r == 0 {
		return ReaderPrefix
	}
	return fmt.Sprintf("%s %c", ReaderPrefix, 'A'+r)
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

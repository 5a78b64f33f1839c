//go:build cgo && pivkey

package piv

// The simulator tier: the real piv-go, libpcsclite, pcscd and vpcd
// against internal/pivsim. It runs when PIV_SIM=1; TestMain then starts
// the simulator and a private pcscd, and fails the whole package if it
// cannot.

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	pivgo "github.com/go-piv/piv-go/v2/piv"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
	"github.com/trustroot/trustroot/internal/pivsim"
)

// sim is the running simulator, or nil when PIV_SIM is not set.
var sim *simulator

type simulator struct {
	env *pivsim.Env
	ca  *pivattest.CA
	// cards are the two cards plugged in at start, serials 10000001 and
	// 10000002, in slots 0 and 1.
	cards [2]*pivsim.Card
}

const simGate = "PIV_SIM"

func TestMain(m *testing.M) {
	if os.Getenv(simGate) == "1" {
		s, err := startSimulator()
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: %s=1 but the PIV simulator could not start: %v\n", simGate, err)
			os.Exit(1)
		}
		sim = s
		fmt.Printf("pivsim: simulator tier ENABLED: pcscd + vpcd + 2 simulated YubiKeys (serials %d, %d) on 127.0.0.1:%d/%d\n",
			s.cards[0].Serial(), s.cards[1].Serial(), pivsim.Port0, pivsim.Port1)
	}
	code := m.Run()
	if sim != nil {
		if err := sim.env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pivsim: stopping: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

func startSimulator() (*simulator, error) {
	ca, err := pivattest.NewCA("trustroot signer/piv Test PIV Root CA", time.Time{})
	if err != nil {
		return nil, err
	}
	s := &simulator{ca: ca}
	for i := range s.cards {
		if s.cards[i], err = newSimCard(ca, uint32(10000001+i), [3]byte{5, 7, 1}); err != nil {
			return nil, err
		}
	}
	s.env, err = pivsim.Start(s.cards[0], s.cards[1])
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		readers, err := pivgo.Cards()
		n := 0
		for _, r := range readers {
			if strings.HasPrefix(r, pivsim.ReaderPrefix) {
				n++
			}
		}
		if err == nil && n == 2 {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.env.Stop()
			return nil, fmt.Errorf("readers not ready after 15s (readers %q, err %v); pcscd log: %s", readers, err, s.env.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func newSimCard(ca *pivattest.CA, serial uint32, fw [3]byte) (*pivsim.Card, error) {
	dev, err := ca.NewDevice(serial, attestation.Firmware{Major: fw[0], Minor: fw[1], Patch: fw[2]}, time.Time{})
	if err != nil {
		return nil, err
	}
	return pivsim.NewCard(pivsim.Config{Serial: serial, Firmware: fw, Attestation: dev})
}

// needSim skips the test unless the simulator tier is enabled, and gives
// both slots fresh cards with the start-up serials.
func needSim(t *testing.T) *simulator {
	t.Helper()
	if sim == nil {
		t.Skipf("simulator tier not enabled: set %s=1 (needs root, pcscd, vsmartcard-vpcd)", simGate)
	}
	for i := range sim.cards {
		c, err := newSimCard(sim.ca, uint32(10000001+i), [3]byte{5, 7, 1})
		if err != nil {
			t.Fatal(err)
		}
		sim.cards[i] = c
		sim.env.Slots[i].Insert(c)
	}
	t.Logf("pivsim: running %s against simulated YubiKeys %d and %d through pcscd", t.Name(), sim.cards[0].Serial(), sim.cards[1].Serial())
	return sim
}

func (s *simulator) roots() *x509.CertPool { return s.ca.Pool() }

func (s *simulator) enrol(t *testing.T, serial uint32, opts EnrolOptions) *Enrolment {
	t.Helper()
	opts.Serial = serial
	opts.AllowDefaultManagementKey = true
	opts.Roots = s.roots()
	e, err := Enrol(context.Background(), opts)
	if err != nil {
		t.Fatalf("Enrol(%d): %v", serial, err)
	}
	return e
}

func pinFunc(pin string, calls *int) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) {
		if calls != nil {
			*calls++
		}
		return []byte(pin), nil
	}
}

//go:build cgo && pivkey

package piv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivsim"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/signertest"
	"github.com/trustroot/trustroot/verify"
)

// TestSimConformance runs the signer conformance suite against a key on a
// simulated YubiKey, PIN policy always and touch policy always, through
// pcscd.
func TestSimConformance(t *testing.T) {
	s := needSim(t)
	card := s.cards[0]
	e := s.enrol(t, card.Serial(), EnrolOptions{})
	var (
		mu    sync.Mutex
		modes = map[*Signer]*atomic.Value{} // "", "block" or "wrong"
	)
	newSigner := func(t *testing.T) signer.Signer {
		mode := new(atomic.Value)
		mode.Store("")
		sg, err := New(context.Background(), Options{
			Serial:   card.Serial(),
			Expected: e.Public,
			PIN: func(ctx context.Context) ([]byte, error) {
				switch mode.Load() {
				case "block": // a keyholder who never types the PIN
					<-ctx.Done()
					return nil, ctx.Err()
				case "wrong":
					return []byte("999999"), nil
				}
				return []byte("123456"), nil
			},
		})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		t.Cleanup(func() { sg.Close() })
		mu.Lock()
		modes[sg] = mode
		mu.Unlock()
		return sg
	}
	setMode := func(sg signer.Signer, m string) {
		mu.Lock()
		defer mu.Unlock()
		modes[sg.(*Signer)].Store(m)
	}
	signertest.RunWith(t, newSigner, signertest.Options{
		Concurrency: 4,
		Block:       func(t *testing.T, sg signer.Signer) { setMode(sg, "block") },
		Fail: func(t *testing.T, sg signer.Signer) error {
			setMode(sg, "wrong")
			return signer.ErrWrongPIN
		},
	})
	if card.Signatures() == 0 {
		t.Fatal("the conformance suite made no signature on the simulated card")
	}
	t.Logf("pivsim: conformance suite made %d signatures on YubiKey %d", card.Signatures(), card.Serial())
}

// TestSimCeremony3of5 is a whole first-root ceremony on five simulated
// YubiKeys. The simulator offers two USB ports (vpcd's two slots); as in
// a real ceremony where keyholders take turns at one laptop, each
// keyholder plugs their token in, enrols (or signs) and unplugs it. Each
// token has its own PIN and management key; none uses the defaults.
func TestSimCeremony3of5(t *testing.T) {
	s := needSim(t)
	ctx := context.Background()
	const n = 5
	type keyholder struct {
		name  string
		card  *pivsim.Card
		pin   string
		mgm   []byte
		enrol *Enrolment
	}
	holders := make([]*keyholder, n)
	for i := range holders {
		serial := uint32(20000001 + i)
		dev, err := s.ca.NewDevice(serial, attestation.Firmware{Major: 5, Minor: 7, Patch: 1}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		mgm := make([]byte, 24)
		rand.Read(mgm)
		pin := fmt.Sprintf("2468%02d", i)
		card, err := pivsim.NewCard(pivsim.Config{Serial: serial, Attestation: dev, PIN: []byte(pin), ManagementKey: mgm})
		if err != nil {
			t.Fatal(err)
		}
		holders[i] = &keyholder{name: fmt.Sprintf("keyholder-%d", i+1), card: card, pin: pin, mgm: mgm}
	}
	// plug puts h's token in a port; the other port keeps whatever it
	// holds, so serial selection matters.
	plug := func(h *keyholder, port int) { s.env.Slots[port].Insert(h.card) }

	// 1. Enrolment, one keyholder after another.
	for i, h := range holders {
		plug(h, i%2)
		e, err := Enrol(ctx, EnrolOptions{Serial: h.card.Serial(), ManagementKey: h.mgm, Roots: s.roots()})
		if err != nil {
			t.Fatalf("%s: enrol: %v", h.name, err)
		}
		h.enrol = e
	}

	// 2. Everyone checks everyone's attestation with package verify,
	// from the published certificates only, under the simulator's root.
	for _, h := range holders {
		slotCert, err := attestation.ParseCertificate(h.enrol.SlotCertificatePEM())
		if err != nil {
			t.Fatal(err)
		}
		devCert, err := attestation.ParseCertificate(h.enrol.DeviceCertificatePEM())
		if err != nil {
			t.Fatal(err)
		}
		att, err := attestation.Verify(slotCert, devCert, attestation.Options{
			Roots: s.roots(), PublicKey: h.enrol.Public, Serial: h.card.Serial(), Slot: attestation.SlotSignature,
			MinFirmware: attestation.Firmware{Major: 5, Minor: 7, Patch: 0},
		})
		if err != nil {
			t.Fatalf("%s: attestation: %v", h.name, err)
		}
		if att.PINPolicy != attestation.PINPolicyAlways || att.TouchPolicy != attestation.TouchPolicyAlways || len(att.Warnings) != 0 {
			t.Errorf("%s: attested policies %v/%v, warnings %v", h.name, att.PINPolicy, att.TouchPolicy, att.Warnings)
		}
		// Another keyholder's device certificate does not vouch for it.
		other := holders[(slicesIndex(holders, h)+1)%n]
		otherDev, _ := x509.ParseCertificate(other.enrol.DeviceCertificate)
		if _, err := attestation.Verify(slotCert, otherDev, attestation.Options{Roots: s.roots()}); err == nil {
			t.Errorf("%s: attestation verified under %s's device certificate", h.name, other.name)
		}
	}

	// 3. The root: five YubiKey keys, threshold 3 for root and targets;
	// software keys for the online roles.
	var keys []root.Key
	for _, h := range holders {
		k, err := root.NewKey(h.enrol.Public, root.KeyOptions{Holder: h.name, Serial: fmt.Sprint(h.card.Serial())})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	online := func() root.Key {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		k, err := root.NewKey(&priv.PublicKey, root.KeyOptions{Holder: "online"})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	r, err := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot:      {Keys: keys, Threshold: 3},
			root.RoleTargets:   {Keys: keys, Threshold: 3},
			root.RoleSnapshot:  {Keys: []root.Key{online()}, Threshold: 1},
			root.RoleTimestamp: {Keys: []root.Key{online()}, Threshold: 1},
		},
		Expires:            now.Add(180 * 24 * time.Hour),
		ConsistentSnapshot: true,
	})
	if err != nil {
		t.Fatal(err)
	}

	// 4. Three keyholders sign with their tokens; the token's key is
	// checked against the root's before the PIN is asked for.
	for i, idx := range []int{0, 2, 4} {
		h := holders[idx]
		if i > 0 {
			if _, err := verify.Root(r, verify.Options{Now: now}); !errors.Is(err, verify.ErrThreshold) {
				t.Fatalf("root with %d of 3 signatures: %v, want ErrThreshold", i, err)
			}
		}
		plug(h, i%2)
		var touched bool
		sg, err := New(ctx, Options{
			Serial:   h.card.Serial(),
			Expected: keys[idx].Public(),
			PIN:      func(context.Context) ([]byte, error) { return []byte(h.pin), nil },
			Touch:    func() { touched = true },
		})
		if err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
		sigs, err := r.Sign(ctx, sg, nil)
		sg.Close()
		if err != nil {
			t.Fatalf("%s: sign: %v", h.name, err)
		}
		if len(sigs) != 1 || sigs[0].KeyID != keys[idx].ID() || !touched || h.card.Signatures() != 1 {
			t.Fatalf("%s: %d signatures, touched %v, card signatures %d", h.name, len(sigs), touched, h.card.Signatures())
		}
	}
	// A token whose key is not in the root is refused before any PIN.
	stranger, err := newSimCard(s.ca, 29999999, [3]byte{5, 7, 1})
	if err != nil {
		t.Fatal(err)
	}
	s.env.Slots[0].Insert(stranger)
	if _, err := Enrol(ctx, EnrolOptions{Serial: 29999999, AllowDefaultManagementKey: true, Roots: s.roots()}); err != nil {
		t.Fatal(err)
	}
	_, err = New(ctx, Options{Serial: 29999999, Expected: keys[1].Public(), PIN: func(context.Context) ([]byte, error) {
		t.Error("PIN asked for the wrong token")
		return nil, errors.New("no")
	}})
	if !errors.Is(err, signer.ErrWrongKey) {
		t.Fatalf("stranger token: %v, want ErrWrongKey", err)
	}

	// 5. The published root file verifies: 3 distinct YubiKey keys.
	file, err := r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := root.Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := verify.Root(parsed, verify.Options{Now: now})
	if err != nil {
		t.Fatalf("signed root does not verify: %v", err)
	}
	if len(res.Steps) != 1 || len(res.Steps[0].Requirements) != 1 {
		t.Fatalf("verification steps = %+v", res.Steps)
	}
	met := res.Steps[0].Requirements[0]
	if met.Threshold != 3 || len(met.SignedBy) != 3 {
		t.Fatalf("threshold %d met by %d keys", met.Threshold, len(met.SignedBy))
	}
	t.Logf("pivsim: 3-of-5 root signed by simulated YubiKeys %d, %d, %d verified (%d bytes)",
		holders[0].card.Serial(), holders[2].card.Serial(), holders[4].card.Serial(), len(file))
}

func slicesIndex[T comparable](s []T, v T) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

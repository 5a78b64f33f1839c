package pivsim

import (
	"crypto/sha256"
	"runtime"
	"testing"
	"time"

	"github.com/trustroot/trustroot/attestation"
	"github.com/trustroot/trustroot/internal/pivattest"
)

// touchCard returns a card with the management key authenticated and a
// P-256 key in 9a with PIN policy never and the given touch policy,
// touched through button on clock.
func touchCard(t *testing.T, touch byte, button Toucher, clock Clock) *Card {
	t.Helper()
	ca, err := pivattest.NewCA("pivsim touch test CA", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := ca.NewDevice(42, attestation.Firmware{Major: 5, Minor: 7, Patch: 1}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCard(Config{Serial: 42, Attestation: dev, Touch: button, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	selectPIV(t, c)
	if sw := authMgm(t, c, algAES192, DefaultManagementKey()); sw != swOK {
		t.Fatal(sw)
	}
	if _, sw := generate(t, c, 0x9a, algECP256, byte(attestation.PINPolicyNever), touch); sw != swOK {
		t.Fatalf("GENERATE = %04x", sw)
	}
	return c
}

// signAsync signs on c in the background and returns the status word.
func signAsync(t *testing.T, c *Card) <-chan uint16 {
	d := sha256.Sum256([]byte("touch me"))
	out := make(chan uint16, 1)
	go func() {
		r := c.Transmit(append([]byte{0, 0x87, algECP256, 0x9a, 0x26}, tlv(0x7c, append([]byte{0x82, 0}, tlv(0x81, d[:])...))...))
		out <- uint16(r[len(r)-2])<<8 | uint16(r[len(r)-1])
	}()
	return out
}

// TestTouchWaitsForTheButton: an operation on a touch-always key waits
// until the key is touched, and fails with 6982 when nobody touches it
// within 15 seconds of the card's clock. The clock is a FakeClock, so the
// test never sleeps.
func TestTouchWaitsForTheButton(t *testing.T) {
	clock := NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	button := NewButton()
	c := touchCard(t, byte(attestation.TouchPolicyAlways), button, clock)

	done := signAsync(t, c)
	if serial := <-button.Waiting(); serial != 42 {
		t.Fatalf("button waited for serial %d", serial)
	}
	select {
	case sw := <-done:
		t.Fatalf("the operation finished (%04x) before the key was touched", sw)
	default:
	}
	if !button.Press() {
		t.Fatal("Press found no card waiting")
	}
	if sw := <-done; sw != swOK {
		t.Fatalf("sign after the touch = %04x", sw)
	}
	if c.Touches() != 1 || c.Signatures() != 1 {
		t.Errorf("touches %d, signatures %d; want 1, 1", c.Touches(), c.Signatures())
	}
	if button.Press() {
		t.Error("Press reached a card when none was waiting")
	}

	// Nobody touches: 14.9 s is not enough to give up, 15 s is.
	done = signAsync(t, c)
	<-button.Waiting()
	clock.Advance(TouchTimeout - 100*time.Millisecond)
	select {
	case sw := <-done:
		t.Fatalf("the card gave up after %v (%04x)", TouchTimeout-100*time.Millisecond, sw)
	default:
	}
	clock.Advance(100 * time.Millisecond)
	if sw := <-done; sw != swSecurityStatus {
		t.Fatalf("sign without a touch = %04x, want 6982", sw)
	}
	if c.Signatures() != 1 {
		t.Errorf("a signature was made without a touch")
	}
}

// TestTouchCached: a touch satisfies a cached-policy key for 15 seconds
// of the card's clock, and an always-policy key never.
func TestTouchCached(t *testing.T) {
	clock := NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	c := touchCard(t, byte(attestation.TouchPolicyCached), nil, clock) // nil: touched at once
	for i, step := range []struct {
		advance time.Duration
		touches int
	}{
		{0, 1},                            // first use: touched
		{10 * time.Second, 1},             // cached
		{4900 * time.Millisecond, 1},      // 14.9 s after the touch: cached
		{100 * time.Millisecond, 2},       // 15 s: touched again
		{TouchCache - time.Nanosecond, 2}, // cached from the new touch
	} {
		clock.Advance(step.advance)
		if sw := <-signAsync(t, c); sw != swOK {
			t.Fatalf("step %d: sign = %04x", i, sw)
		}
		if c.Touches() != step.touches {
			t.Fatalf("step %d: %d touches, want %d", i, c.Touches(), step.touches)
		}
	}
	// Nobody at the key: a cached-policy key not touched yet times out.
	clock = NewFakeClock(time.Unix(0, 0))
	never := touchCard(t, byte(attestation.TouchPolicyCached), NoTouch{}, clock)
	done := signAsync(t, never)
	waitTimers(clock, 1)
	clock.Advance(TouchTimeout)
	if sw := <-done; sw != swSecurityStatus {
		t.Fatalf("cached key never touched = %04x, want 6982", sw)
	}
}

// waitTimers waits until clock has n pending timers: the card (or the
// toucher) has started waiting on it.
func waitTimers(clock *FakeClock, n int) {
	for clock.Pending() < n {
		runtime.Gosched()
	}
}

// TestTouchAlwaysIsNotCached: an always-policy key wants a touch every
// time, even right after one.
func TestTouchAlwaysIsNotCached(t *testing.T) {
	clock := NewFakeClock(time.Unix(1e9, 0))
	c := touchCard(t, byte(attestation.TouchPolicyAlways), nil, clock)
	for range 3 {
		if sw := <-signAsync(t, c); sw != swOK {
			t.Fatal(sw)
		}
	}
	if c.Touches() != 3 {
		t.Errorf("%d touches for 3 signatures with touch policy always", c.Touches())
	}
}

// TestManagementKeyTouch: a management key set with P2 FE wants a touch
// to authenticate.
func TestManagementKeyTouch(t *testing.T) {
	clock := NewFakeClock(time.Unix(1e9, 0))
	c, err := NewCard(Config{Serial: 7, Touch: NoTouch{}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	selectPIV(t, c)
	authMgm(t, c, algAES192, DefaultManagementKey())
	key := []byte("0123456789abcdef")
	if _, sw := cmd(c, 0, 0xff, 0xff, 0xfe, append([]byte{algAES128, 0x9b, 16}, key...)); sw != swOK {
		t.Fatalf("SET MANAGEMENT KEY with touch = %04x", sw)
	}
	md, _ := cmd(c, 0, 0xf7, 0, 0x9b, nil)
	if pol, _ := findTag(md, 0x02); len(pol) != 2 || pol[1] != byte(attestation.TouchPolicyAlways) {
		t.Errorf("management key metadata policy %x", pol)
	}
	res := make(chan uint16, 1)
	go func() { res <- authMgm(t, c, algAES128, key) }()
	waitTimers(clock, 1)
	clock.Advance(TouchTimeout)
	if sw := <-res; sw != swSecurityStatus {
		t.Fatalf("management key without a touch = %04x, want 6982", sw)
	}
}

func TestFakeClock(t *testing.T) {
	start := time.Unix(100, 0)
	c := NewFakeClock(start)
	a, b := c.After(2*time.Second), c.After(time.Second)
	if now := <-c.After(0); !now.Equal(start) {
		t.Errorf("After(0) = %v", now)
	}
	c.Advance(time.Second)
	select {
	case <-a:
		t.Fatal("2 s timer fired after 1 s")
	case now := <-b:
		if !now.Equal(start.Add(time.Second)) {
			t.Errorf("1 s timer at %v", now)
		}
	}
	c.Advance(time.Second)
	<-a
	if !c.Now().Equal(start.Add(2 * time.Second)) {
		t.Errorf("Now = %v", c.Now())
	}
}

func TestTouchAfter(t *testing.T) {
	for _, tc := range []struct {
		delay   time.Duration
		touched bool
	}{{2 * time.Second, true}, {TouchTimeout + time.Second, false}} {
		clock := NewFakeClock(time.Unix(0, 0))
		timeout := clock.After(TouchTimeout)
		res := make(chan bool, 1)
		go func() { res <- TouchAfter{Clock: clock, Delay: tc.delay}.WaitTouch(1, timeout) }()
		waitTimers(clock, 2)
		clock.Advance(tc.delay - time.Nanosecond)
		select {
		case ok := <-res:
			if tc.touched {
				t.Fatalf("delay %v: touched=%t before the delay", tc.delay, ok)
			}
			if ok {
				t.Fatalf("delay %v: touched after the timeout", tc.delay)
			}
			continue
		default:
		}
		clock.Advance(time.Nanosecond)
		if ok := <-res; ok != tc.touched {
			t.Errorf("delay %v: touched=%t, want %t", tc.delay, ok, tc.touched)
		}
	}
}

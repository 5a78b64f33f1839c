package pivsim

import (
	"sync"
	"time"
)

// TouchTimeout is how long a YubiKey waits for a touch before it gives up
// and answers 6982 (security status not satisfied), and TouchCache how
// long a touch satisfies keys with the cached touch policy. Both are 15
// seconds on YubiKeys (Yubico's PIV touch policy documentation).
const (
	TouchTimeout = 15 * time.Second
	TouchCache   = 15 * time.Second
)

// Clock is the simulator's time source: it decides when a touch times
// out and when a cached touch expires. Tests inject a [FakeClock] so they
// never sleep.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// FakeClock is a [Clock] whose time moves only when Advance is called.
// It is safe for concurrent use.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the clock's time once Advance has
// moved it d or more past now. A d of zero or less fires at once.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

// Pending returns the number of timers that have not fired yet: a test
// waits for the card to start waiting before it advances the clock.
func (c *FakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Advance moves the clock forward by d and fires the timers that are due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = kept
}

// Toucher is the simulated YubiKey's touch sensor. When an operation needs
// a touch, the card calls WaitTouch with a channel that fires when the
// touch times out; WaitTouch returns true if the key was touched first.
// A nil Toucher in [Config] touches at once.
type Toucher interface {
	WaitTouch(serial uint32, timeout <-chan time.Time) bool
}

// NoTouch is a [Toucher] nobody touches: every operation that needs a
// touch waits for the timeout and fails.
type NoTouch struct{}

// WaitTouch waits for the timeout and returns false.
func (NoTouch) WaitTouch(_ uint32, timeout <-chan time.Time) bool {
	<-timeout
	return false
}

// TouchAfter is a [Toucher] that touches the key Delay after the card
// starts waiting, on Clock (the wall clock when nil): a keyholder who
// reacts to the blinking. A Delay of TouchTimeout or more is too late.
type TouchAfter struct {
	Clock Clock
	Delay time.Duration
}

// WaitTouch waits for the delay or the timeout, whichever comes first.
func (t TouchAfter) WaitTouch(_ uint32, timeout <-chan time.Time) bool {
	clk := t.Clock
	if clk == nil {
		clk = RealClock{}
	}
	if t.Delay <= 0 {
		return true
	}
	touched := clk.After(t.Delay)
	select {
	case <-timeout:
		return false
	case <-touched:
		return true
	}
}

// Button is a [Toucher] pressed by hand (a test, or the rehearsal
// console): Waiting reports that a card waits for it, Press touches it.
type Button struct {
	mu      sync.Mutex
	current chan struct{} // closed by Press; nil when no card waits
	waiting chan uint32
}

// NewButton returns a Button nobody has pressed.
func NewButton() *Button {
	return &Button{waiting: make(chan uint32, 16)}
}

// Waiting receives the card's serial each time a card starts waiting for
// the button (at most 16 unread notices are kept). Once the notice is
// received, Press reaches that card unless its wait has timed out.
func (b *Button) Waiting() <-chan uint32 { return b.waiting }

// Press touches the button for the card that is waiting, and reports
// whether one was. It does not block.
func (b *Button) Press() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.current == nil {
		return false
	}
	close(b.current)
	b.current = nil
	return true
}

// WaitTouch waits for Press or the timeout.
func (b *Button) WaitTouch(serial uint32, timeout <-chan time.Time) bool {
	pressed := make(chan struct{})
	b.mu.Lock()
	b.current = pressed
	b.mu.Unlock()
	select {
	case b.waiting <- serial:
	default:
	}
	select {
	case <-pressed:
		return true
	case <-timeout:
		b.mu.Lock()
		defer b.mu.Unlock()
		select {
		case <-pressed: // pressed just as the wait timed out
			return true
		default:
		}
		if b.current == pressed {
			b.current = nil
		}
		return false
	}
}

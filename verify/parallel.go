package verify

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/trustroot/trustroot/internal/tufkey"
)

// A pool runs signature checks ahead of need on Options.Workers - 1
// goroutines; the goroutine that needs a result runs queued checks itself
// while it waits, so at most Workers checks run at once. Checks only
// compute: which result counts, and in which order, is decided by the
// same sequential code as without a pool (see pairCache), which is why a
// walk with workers returns exactly what a walk without them returns.
//
// Workers and a waiting caller poll for a while before they sleep: a
// goroutine woken through a channel first waits for the processor of the
// goroutine that woke it, which is busy, so checks handed over that way
// start late. Polling is bounded by spinFor and happens only during a
// call that asked for workers.
type pool struct {
	queue chan *check
	stop  atomic.Bool
}

// check is one signature check queued on a pool.
type check struct {
	k   verifier
	d   *tufkey.Digests
	sig []byte

	state    atomic.Int32 // checkQueued, checkClaimed, checkDone
	done     chan struct{}
	err      error
	panicked any
}

const (
	checkQueued int32 = iota
	checkClaimed
	checkDone
)

const (
	// poolQueue bounds the checks queued at once; a check that does
	// not fit is run by the goroutine that needs it.
	poolQueue = 64
	// spinFor bounds how long a worker with nothing to do, or a caller
	// waiting for a check another goroutine runs, polls before it
	// sleeps: far longer than a check, so that a worker stays awake
	// through the caller's parsing between checks.
	spinFor = time.Millisecond
)

// minPoolSteps is the fewest new root versions for which a walk starts a
// pool. A worker needs time to start (a sleeping thread must be woken),
// and measured on two cores it came too late to take a share of the
// checks of a single root (three) or a single rotation (seven).
const minPoolSteps = 4

// maxWorkers caps Options.Workers: checks are computation, so goroutines
// beyond the processors only cost memory, and a caller's typo (a million
// workers) must not start a million goroutines per call.
const maxWorkers = 64

// newPool returns a pool for the given number of workers (at most
// maxWorkers), or nil (checks run in the calling goroutine) for fewer
// than two.
func newPool(workers int) *pool {
	if workers <= 1 {
		return nil
	}
	workers = min(workers, maxWorkers)
	p := &pool{queue: make(chan *check, poolQueue)}
	for range workers - 1 {
		go p.work()
	}
	return p
}

func (p *pool) work() {
	var sp spinner
	for {
		select {
		case c, ok := <-p.queue:
			if !ok {
				return
			}
			p.runQueued(c)
			sp = spinner{}
			continue
		default:
		}
		if sp.spin() {
			continue
		}
		c, ok := <-p.queue
		if !ok {
			return
		}
		p.runQueued(c)
		sp = spinner{}
	}
}

func (p *pool) runQueued(c *check) {
	if !p.stop.Load() && c.claim() {
		c.run()
	}
}

// close stops the pool: queued checks nobody needs any more are dropped,
// and each worker returns once the check it may be running ends. close
// does not wait for that: a worker only reads what its check was given,
// and the caller has every result it needed.
func (p *pool) close() {
	if p == nil {
		return
	}
	p.stop.Store(true)
	close(p.queue)
}

// submit queues a check of sig over d's message under k.
func (p *pool) submit(k verifier, d *tufkey.Digests, sig []byte) *check {
	c := &check{k: k, d: d, sig: sig, done: make(chan struct{})}
	select {
	case p.queue <- c:
	default: // the queue is full: wait will run it
	}
	return c
}

// wait returns the check's result, running it, or other queued checks,
// until it is known.
func (p *pool) wait(c *check) error {
	if c.claim() {
		c.run()
	} else {
		var sp spinner
		for c.state.Load() != checkDone {
			select {
			case o := <-p.queue:
				if o.claim() {
					o.run()
				}
				continue
			default:
			}
			if !sp.spin() {
				select {
				case <-c.done:
				case o := <-p.queue:
					if o.claim() {
						o.run()
					}
				}
			}
		}
	}
	if c.panicked != nil {
		// As a sequential walk would, in the caller's goroutine.
		panic(c.panicked)
	}
	return c.err
}

// spinner paces polling: it yields the processor and reports false once
// spinFor has passed since its first call.
type spinner struct {
	n     int
	start time.Time
}

func (s *spinner) spin() bool {
	if s.n == 0 {
		s.start = time.Now()
	}
	s.n++
	if s.n%32 == 0 && time.Since(s.start) > spinFor {
		return false
	}
	runtime.Gosched()
	return true
}

func (c *check) claim() bool { return c.state.CompareAndSwap(checkQueued, checkClaimed) }

func (c *check) run() {
	defer close(c.done)
	defer c.state.Store(checkDone)
	defer func() {
		if r := recover(); r != nil {
			c.panicked = r
		}
	}()
	c.err = checkSig(c.k, c.d, c.sig)
}

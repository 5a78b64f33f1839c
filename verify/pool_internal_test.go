package verify

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/root"
)

// syncKey is fakeKey with a call counter safe for the pool's goroutines,
// optionally panicking.
type syncKey struct {
	id, fp, scheme string
	calls          *atomic.Int64
	panics         bool
}

func (k syncKey) ID() root.KeyID      { return root.KeyID(k.id) }
func (k syncKey) Holder() string      { return "" }
func (k syncKey) Unsupported() string { return "" }
func (k syncKey) Fingerprint() string { return k.fp }
func (k syncKey) Scheme() string      { return k.scheme }
func (k syncKey) Verify(msg, sig []byte) error {
	k.calls.Add(1)
	if k.panics {
		panic("verifier panicked")
	}
	if string(sig) == "ok:"+k.fp {
		return nil
	}
	return errors.New("bad signature")
}

// TestPoolCountMatches: for random requirements (keys sharing
// fingerprints, good, bad and missing signatures), counting the previous
// and then the own requirement with checks queued ahead on a pool gives
// the indices counting without a pool gives.
func TestPoolCountMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var calls atomic.Int64
	for n := range 500 {
		mk := func() requirement {
			r := requirement{threshold: 1 + rng.IntN(4)}
			for i := range 1 + rng.IntN(7) {
				fp := fmt.Sprint("F", rng.IntN(6))
				r.keys = append(r.keys, syncKey{id: fmt.Sprint("k", n, "-", i, "-", rng.IntN(3)), fp: fp, scheme: "s", calls: &calls})
			}
			return r
		}
		prev, own := mk(), mk()
		sigs := map[root.KeyID][]byte{}
		for _, r := range []requirement{prev, own} {
			for _, k := range r.keys {
				switch rng.IntN(3) {
				case 0:
					sigs[k.ID()] = []byte("ok:" + k.Fingerprint())
				case 1:
					sigs[k.ID()] = []byte("junk")
				}
			}
		}
		idx := sigIndex{m: sigs}
		var plain pairCache
		wantPrev := slices.Clone(plain.countInto(nil, &prev, []byte("p"), idx, nil))
		wantOwn := slices.Clone(plain.countInto(nil, &own, []byte("p"), idx, nil))

		p := newPool(3)
		c := pairCache{pool: p}
		c.prefetch(&prev, []byte("p"), idx)
		gotPrev := slices.Clone(c.countInto(nil, &prev, []byte("p"), idx, nil))
		c.prefetch(&own, []byte("p"), idx)
		gotOwn := slices.Clone(c.countInto(nil, &own, []byte("p"), idx, nil))
		p.close()
		if !slices.Equal(gotPrev, wantPrev) || !slices.Equal(gotOwn, wantOwn) {
			t.Fatalf("case %d: with a pool counted %v then %v, without %v then %v", n, gotPrev, gotOwn, wantPrev, wantOwn)
		}
	}
}

// TestPoolPanicReachesCaller: a verifier that panics on a worker panics in
// the goroutine that needs its result, as it would without workers.
func TestPoolPanicReachesCaller(t *testing.T) {
	var calls atomic.Int64
	p := newPool(2)
	defer p.close()
	c := p.submit(syncKey{fp: "F", calls: &calls, panics: true}, tufkey.NewDigests([]byte("p")), []byte("s"))
	defer func() {
		if r := recover(); r != "verifier panicked" {
			t.Fatalf("recovered %v, want the verifier's panic", r)
		}
	}()
	p.wait(c)
	t.Fatal("wait returned")
}

// TestPoolCapsWorkers: an absurd Options.Workers starts maxWorkers-1
// goroutines, not that many, and closing the pool ends them.
func TestPoolCapsWorkers(t *testing.T) {
	before := runtime.NumGoroutine()
	p := newPool(1 << 20)
	started := runtime.NumGoroutine() - before
	p.close()
	if started > maxWorkers-1 {
		t.Fatalf("a pool for 2^20 workers started %d goroutines, want at most %d", started, maxWorkers-1)
	}
	if started < 1 {
		t.Fatalf("a pool for 2^20 workers started %d goroutines, want some", started)
	}
	for range 1000 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%d goroutines still running after close", runtime.NumGoroutine()-before)
}

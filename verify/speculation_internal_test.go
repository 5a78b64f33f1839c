package verify

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/trustroot/trustroot/root"
)

// msgKey is a verifier whose verdict depends on its fingerprint and
// scheme, the message and the signature: it accepts "ok:FP:SCHEME:MSG".
type msgKey struct {
	id, fp, scheme string
	calls          *atomic.Int64
}

func (k msgKey) ID() root.KeyID      { return root.KeyID(k.id) }
func (k msgKey) Holder() string      { return "" }
func (k msgKey) Unsupported() string { return "" }
func (k msgKey) Fingerprint() string { return k.fp }
func (k msgKey) Scheme() string      { return k.scheme }
func (k msgKey) Verify(msg, sig []byte) error {
	k.calls.Add(1)
	if string(sig) == "ok:"+k.fp+":"+k.scheme+":"+string(msg) {
		return nil
	}
	return errors.New("bad signature")
}

// TestSpeculationOnlySameTriple: checkThreshold with a speculation made
// for other keys, payloads and signatures, some the same and some not
// (same key ID with other content or scheme, same key with another
// payload or signature), returns exactly what it returns without one, and
// takes speculative outcomes only for the same (key content and scheme,
// payload bytes, signature bytes).
func TestSpeculationOnlySameTriple(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := newPool(2)
	defer p.close()
	var calls atomic.Int64
	pick := func(opts ...string) string { return opts[rng.IntN(len(opts))] }
	mkReq := func() requirement {
		r := requirement{name: "r", threshold: rng.IntN(4)}
		for range 1 + rng.IntN(4) {
			r.keys = append(r.keys, msgKey{id: pick("a", "b", "c", "d"), fp: pick("A", "B", "C"), scheme: pick("s", "t"), calls: &calls})
		}
		return r
	}
	mkSigs := func(keys []verifier, payload string) sigIndex {
		m := map[root.KeyID][]byte{}
		for _, k := range keys {
			if rng.IntN(4) == 0 {
				continue
			}
			// Good for this key and payload, or for another
			// fingerprint, scheme or payload.
			m[k.ID()] = fmt.Appendf(nil, "ok:%s:%s:%s", pick(k.Fingerprint(), k.Fingerprint(), "B"), pick(k.Scheme(), k.Scheme(), "t"), pick(payload, payload, "q"))
		}
		return sigIndex{m: m}
	}
	saved := 0
	for range 2000 {
		specPayload := pick("p", "q")
		specReq := mkReq()
		specSigs := mkSigs(specReq.keys, specPayload)
		s := &speculation{n: 1}
		s.files[0].pool = p
		s.files[0].prefetch(&specReq, []byte(specPayload), specSigs)

		payload := pick("p", "q")
		req := mkReq()
		sigs := specSigs
		if rng.IntN(2) == 0 {
			sigs = mkSigs(req.keys, payload)
		}
		before := calls.Load()
		want := checkThreshold(root.RoleTimestamp, 1, req, []byte(payload), sigs, nil)
		alone := calls.Load() - before
		// Every speculative check done, so that the calls counted
		// next are checkThreshold's own.
		for i := range s.files[0].entries {
			if e := &s.files[0].entries[i]; e.check != nil {
				p.wait(e.check)
			}
		}
		before = calls.Load()
		got := checkThreshold(root.RoleTimestamp, 1, req, []byte(payload), sigs, s)
		with := calls.Load() - before
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("with a speculation: %v, without: %v", got, want)
		}
		if with > alone {
			t.Fatalf("%d checks with a speculation, %d without", with, alone)
		}
		saved += int(alone - with)
	}
	if saved == 0 {
		t.Fatal("no speculative outcome was ever used")
	}
}

package verify_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// Benchmarks of a root chain walk, in one run so their ratios are
// meaningful:
//
//   - ours:  root.Parse of the trusted root + verify.Chain over the rest;
//   - ours-parsed: verify.Chain alone, the trusted root parsed beforehand;
//   - gotuf: go-tuf's trustedmetadata.New + UpdateRoot per version;
//   - floor: only the signature checks the walk needs (a threshold of the
//     trusted root's own keys, then per version a threshold of keys that
//     both the previous and the new root list), with canonical bytes and
//     public keys prepared in advance.
//
// Chains are 3-of-5, one key replaced per version, every version signed by
// all its keys and the retired one (see gen.Chain). go-tuf checks every
// signature of both roles (about 10 per version); the walk and the floor
// check 3.

var benchExpires = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

type benchChain struct {
	files  [][]byte
	checks []floorCheck
}

type floorCheck struct {
	pub     any
	payload []byte
	sig     []byte
}

var (
	benchMu     sync.Mutex
	benchChains = map[string]*benchChain{}
)

func getBenchChain(b *testing.B, kind string, n int) *benchChain {
	benchMu.Lock()
	defer benchMu.Unlock()
	key := fmt.Sprintf("%s/%d", kind, n)
	if c, ok := benchChains[key]; ok {
		return c
	}
	const nkeys, threshold = 5, 3
	vs := gen.Chain(kind, n, nkeys, threshold, benchExpires)
	c := &benchChain{}
	for i, v := range vs {
		c.files = append(c.files, v.File)
		// The keys whose signatures the walk needs: for v1 its first
		// `threshold` keys; afterwards the first `threshold` keys the
		// previous version also lists (they meet both thresholds).
		var need []*gen.Key
		for _, k := range v.RootKeys {
			if i == 0 || listed(vs[i-1].RootKeys, k) {
				need = append(need, k)
			}
		}
		for _, k := range need[:threshold] {
			c.checks = append(c.checks, floorCheck{pub: k.Public(), payload: v.Payload, sig: v.Sigs[k.ID]})
		}
	}
	benchChains[key] = c
	return c
}

func listed(ks []*gen.Key, k *gen.Key) bool {
	for _, e := range ks {
		if e.ID == k.ID {
			return true
		}
	}
	return false
}

func BenchmarkRootChain(b *testing.B) {
	for _, kind := range []string{"ed25519", "ecdsa"} {
		for _, n := range []int{10, 100} {
			name := fmt.Sprintf("%s/%d", kind, n)
			b.Run("ours/"+name, func(b *testing.B) {
				c := getBenchChain(b, kind, n)
				now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					trusted, err := root.Parse(c.files[0])
					if err != nil {
						b.Fatal(err)
					}
					res, err := verify.Chain(trusted, c.files[1:], verify.Options{Now: now})
					if err != nil || res.Root.Version() != int64(n) {
						b.Fatalf("chain: %v", err)
					}
				}
			})
			b.Run("ours-parsed/"+name, func(b *testing.B) {
				// As a long-running client: the trusted root is
				// already parsed.
				c := getBenchChain(b, kind, n)
				now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				trusted, err := root.Parse(c.files[0])
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					res, err := verify.Chain(trusted, c.files[1:], verify.Options{Now: now})
					if err != nil || res.Root.Version() != int64(n) {
						b.Fatalf("chain: %v", err)
					}
				}
			})
			b.Run("gotuf/"+name, func(b *testing.B) {
				c := getBenchChain(b, kind, n)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					tm, err := trustedmetadata.New(c.files[0])
					if err != nil {
						b.Fatal(err)
					}
					for _, f := range c.files[1:] {
						if _, err := tm.UpdateRoot(f); err != nil {
							b.Fatal(err)
						}
					}
					if tm.Root.Signed.Version != int64(n) {
						b.Fatalf("go-tuf ended at v%d", tm.Root.Signed.Version)
					}
				}
			})
			b.Run("floor/"+name, func(b *testing.B) {
				c := getBenchChain(b, kind, n)
				if len(c.checks) != 3*n {
					b.Fatalf("%d floor checks, want %d", len(c.checks), 3*n)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					for _, ch := range c.checks {
						switch pub := ch.pub.(type) {
						case ed25519.PublicKey:
							if !ed25519.Verify(pub, ch.payload, ch.sig) {
								b.Fatal("floor: bad signature")
							}
						case *ecdsa.PublicKey:
							d := sha256.Sum256(ch.payload)
							if !ecdsa.VerifyASN1(pub, d[:], ch.sig) {
								b.Fatal("floor: bad signature")
							}
						}
					}
				}
			})
		}
	}
}

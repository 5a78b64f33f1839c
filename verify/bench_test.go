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
	"github.com/trustroot/trustroot/internal/tufkey"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// Benchmarks of a root chain walk, in one run so their ratios are
// meaningful (make bench prints them):
//
//   - ours: root.Parse of the trusted root + verify.Chain over the rest,
//     the decoded-key cache warm (as across a service's refreshes);
//   - ours-cold: the same with the decoded-key cache emptied before each
//     walk;
//   - ours-parsed: verify.Chain alone, the trusted root parsed beforehand;
//   - ours-workers2: as ours, with Options.Workers = 2;
//   - gotuf: go-tuf's trustedmetadata.New + UpdateRoot per version;
//   - floor-t1: the T+1 floor, the signature checks a walk that checks the
//     previous root's threshold before it decodes the new root's keys
//     cannot avoid: per version, T of the new root's keys plus the one
//     previous-root key not among them, each distinct (key, signature)
//     pair once, with canonical bytes and public keys prepared in advance;
//   - floor: the lower floor of an oracle that knows in advance which keys
//     both roots list: T checks per version.
//
// Chains are 3-of-5, one key replaced per version, every version signed by
// all its keys and the retired one (see gen.Chain). go-tuf checks every
// signature of both roles (about 10 per version); the walk checks T+1.

var (
	benchExpires = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	benchNow     = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

const benchKeys, benchThreshold = 5, 3

type benchChain struct {
	files [][]byte
	// checks is the floor (T per version), checksT1 the T+1 floor.
	checks, checksT1 []floorCheck
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

func getBenchChain(b testing.TB, kind string, n int) *benchChain {
	benchMu.Lock()
	defer benchMu.Unlock()
	key := fmt.Sprintf("%s/%d", kind, n)
	if c, ok := benchChains[key]; ok {
		return c
	}
	vs := gen.Chain(kind, n, benchKeys, benchThreshold, benchExpires)
	c := &benchChain{}
	check := func(v gen.ChainVersion, k *gen.Key) floorCheck {
		return floorCheck{pub: k.Public(), payload: v.Payload, sig: v.Sigs[k.ID]}
	}
	for i, v := range vs {
		c.files = append(c.files, v.File)
		// The floor: for v1 its first T keys; afterwards the first T
		// keys the previous version also lists (they meet both
		// thresholds).
		var both []*gen.Key
		for _, k := range v.RootKeys {
			if i == 0 || listed(vs[i-1].RootKeys, k) {
				both = append(both, k)
			}
		}
		for _, k := range both[:benchThreshold] {
			c.checks = append(c.checks, check(v, k))
		}
		// The T+1 floor: the first T of the new root's keys, and for a
		// new version the previous root's key it no longer lists.
		for _, k := range v.RootKeys[:benchThreshold] {
			c.checksT1 = append(c.checksT1, check(v, k))
		}
		if i > 0 {
			var retired []*gen.Key
			for _, k := range vs[i-1].RootKeys {
				if !listed(v.RootKeys, k) {
					retired = append(retired, k)
				}
			}
			if len(retired) != 1 {
				b.Fatalf("version %d retires %d keys, want 1", i+1, len(retired))
			}
			c.checksT1 = append(c.checksT1, check(v, retired[0]))
		}
	}
	if len(c.checks) != benchThreshold*n || len(c.checksT1) != (benchThreshold+1)*n-1 {
		b.Fatalf("%d floor checks and %d T+1 floor checks for %d versions", len(c.checks), len(c.checksT1), n)
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

// runFloor makes the checks, failing b on a bad signature.
func runFloor(b *testing.B, checks []floorCheck) {
	for _, ch := range checks {
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
		default:
			b.Fatalf("floor: key type %T", pub)
		}
	}
}

func walkChain(b *testing.B, c *benchChain, n int, opts verify.Options) {
	trusted, err := root.Parse(c.files[0])
	if err != nil {
		b.Fatal(err)
	}
	res, err := verify.Chain(trusted, c.files[1:], opts)
	if err != nil || res.Root.Version() != int64(n) {
		b.Fatalf("chain: %v", err)
	}
}

func BenchmarkRootChain(b *testing.B) {
	for _, kind := range []string{"ed25519", "ecdsa"} {
		for _, n := range []int{10, 100} {
			name := fmt.Sprintf("%s/%d", kind, n)
			b.Run("ours/"+name, func(b *testing.B) {
				c := getBenchChain(b, kind, n)
				walkChain(b, c, n, verify.Options{Now: benchNow}) // warm the key cache
				b.ReportAllocs()
				for b.Loop() {
					walkChain(b, c, n, verify.Options{Now: benchNow})
				}
			})
			b.Run("ours-cold/"+name, func(b *testing.B) {
				c := getBenchChain(b, kind, n)
				b.ReportAllocs()
				for b.Loop() {
					tufkey.ResetCache()
					walkChain(b, c, n, verify.Options{Now: benchNow})
				}
			})
			b.Run("ours-parsed/"+name, func(b *testing.B) {
				// As a long-running client: the trusted root is
				// already parsed.
				c := getBenchChain(b, kind, n)
				trusted, err := root.Parse(c.files[0])
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					res, err := verify.Chain(trusted, c.files[1:], verify.Options{Now: benchNow})
					if err != nil || res.Root.Version() != int64(n) {
						b.Fatalf("chain: %v", err)
					}
				}
			})
			b.Run("ours-workers2/"+name, func(b *testing.B) {
				c := getBenchChain(b, kind, n)
				walkChain(b, c, n, verify.Options{Now: benchNow})
				b.ReportAllocs()
				for b.Loop() {
					walkChain(b, c, n, verify.Options{Now: benchNow, Workers: 2})
				}
			})
			b.Run("gotuf/"+name, func(b *testing.B) {
				c := getBenchChain(b, kind, n)
				b.ReportAllocs()
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
			b.Run("floor-t1/"+name, func(b *testing.B) {
				c := getBenchChain(b, kind, n)
				b.ReportAllocs()
				for b.Loop() {
					runFloor(b, c.checksT1)
				}
			})
			b.Run("floor-t1-workers2/"+name, func(b *testing.B) {
				// The T+1 floor's checks split between two
				// goroutines: what two cores can give at best.
				c := getBenchChain(b, kind, n)
				half := len(c.checksT1) / 2
				b.ReportAllocs()
				for b.Loop() {
					var wg sync.WaitGroup
					wg.Add(1)
					go func() {
						defer wg.Done()
						runFloor(b, c.checksT1[half:])
					}()
					runFloor(b, c.checksT1[:half])
					wg.Wait()
				}
			})
			b.Run("floor/"+name, func(b *testing.B) {
				c := getBenchChain(b, kind, n)
				b.ReportAllocs()
				for b.Loop() {
					runFloor(b, c.checks)
				}
			})
		}
	}
}

// BenchmarkRootSingle verifies one root (parse + verify.Root), sequentially
// and with two workers: the parallel option must not cost a single root
// anything.
func BenchmarkRootSingle(b *testing.B) {
	for _, kind := range []string{"ed25519", "ecdsa"} {
		for _, w := range []int{0, 2} {
			b.Run(fmt.Sprintf("workers%d/%s", w, kind), func(b *testing.B) {
				c := getBenchChain(b, kind, 10)
				opts := verify.Options{Now: benchNow, Workers: w}
				b.ReportAllocs()
				for b.Loop() {
					r, err := root.Parse(c.files[0])
					if err != nil {
						b.Fatal(err)
					}
					if _, err := verify.Root(r, opts); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
